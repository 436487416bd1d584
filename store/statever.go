package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// State versions. Every Terraform state version driftgate sees of a stack
// is kept, keyed by its serial, for the apply gate's history and diffs. The
// store never holds a raw state: Version is the redacted record that
// planner/statever makes, and SHA256 identifies the raw state it came from.
// Nothing prunes state versions.
//
//	state_versions/
//	|-- <stack key>/                 one bucket per stack
//	    |-- <serial> -> gzip(stateVersionRecord, JSON)   8-byte big-endian
//	                                              serial: newest is the last key
//
// A record is a StateVersion's JSON with the body last. Without an
// encryption key the body is the "version" field, the redacted state as
// JSON. With one, "version" is absent and the last field is
// "sealed_version": base64 of seal(gzip(Version)) (crypt.go), sealed with
// the additional data sealAD("state_versions", <stack key><serial>), so a
// body copied to another stack or serial fails to open. The metadata stays
// plain: listings need no key. Records written without a key stay readable
// with one; a sealed body read without the key fails with ErrEncrypted.

var stateVersionsBucket = []byte("state_versions")

// StateVersion is one stored state version of a stack.
type StateVersion struct {
	Repo  string `json:"repo"`
	Stack string `json:"stack"`
	// Serial and Lineage are the state's own: Terraform increments the
	// serial on every write and gives a state a new lineage only when it is
	// created from scratch.
	Serial  uint64 `json:"serial"`
	Lineage string `json:"lineage"`
	// SHA256 is the hex sha256 of the raw state, as `terraform state pull`
	// printed it.
	SHA256 string `json:"sha256"`
	// RunID is the run that recorded the version, if any.
	RunID string `json:"run_id,omitempty"`
	// CreatedAt is when the store first recorded the version.
	CreatedAt time.Time `json:"created_at"`
	// Resources counts the resource instances in the state.
	Resources int `json:"resources"`
	// Version is the redacted state (planner/statever.Version as JSON).
	// ListStateVersions leaves it nil. It stays the last field: listings
	// stop decoding a record when they reach it (or the sealed body after
	// it).
	Version json.RawMessage `json:"version,omitempty"`
}

// stateVersionRecord is the stored form of a StateVersion. With an
// encryption key, Version is nil and SealedVersion holds it sealed.
type stateVersionRecord struct {
	StateVersion
	// SealedVersion is seal(gzip(Version)); see the format above.
	SealedVersion []byte `json:"sealed_version,omitempty"`
}

// versionField and sealedVersionField are the JSON names of the body,
// where listings stop reading once they have every field in metaFields:
// the fields PutStateVersion always writes, and writes before the body.
const (
	versionField       = "version"
	sealedVersionField = "sealed_version"
)

var metaFields = []string{"repo", "stack", "serial", "lineage", "sha256", "created_at", "resources"}

// migrateStateVersions creates the state_versions bucket.
func migrateStateVersions(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(stateVersionsBucket); err != nil {
		return fmt.Errorf("create bucket %s: %w", stateVersionsBucket, err)
	}
	return nil
}

// PutStateVersion stores sv under its stack and serial. Storing the same
// state again (same serial, lineage and SHA256) changes nothing and
// succeeds; a different state at a serial already stored fails with
// ErrConflict: a stored version is never replaced. Repo and Stack must make
// a valid stack key, Lineage must be set, SHA256 must be a hex sha256,
// Version (when set) valid JSON and RunID (when set) a run id; otherwise
// it fails with ErrInvalid. A zero CreatedAt is set to now; on an
// idempotent call sv.CreatedAt is set to the stored one.
func (s *Store) PutStateVersion(ctx context.Context, sv *StateVersion) error {
	if err := checkStateVersion(sv); err != nil {
		return fmt.Errorf("put state version: %w", err)
	}
	rec := *sv
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = time.Now().UTC()
	}
	key := serialKey(rec.Serial)
	val, err := s.encodeStateVersion(&rec, key)
	if err != nil {
		return fmt.Errorf("put state version: %w", err)
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		b, err := tx.Bucket(stateVersionsBucket).CreateBucketIfNotExists(stackKey(rec.Repo, rec.Stack))
		if err != nil {
			return fmt.Errorf("create stack bucket: %w", err)
		}
		if old := b.Get(key); old != nil {
			have, err := decodeStateVersionMeta(old)
			if err != nil {
				return err
			}
			if have.Lineage != rec.Lineage {
				return conflict("serial already stored for lineage %s, not %s", have.Lineage, rec.Lineage)
			}
			if have.SHA256 != rec.SHA256 {
				return conflict("serial already stored with sha256 %s, not %s", have.SHA256, rec.SHA256)
			}
			rec.CreatedAt = have.CreatedAt
			return nil
		}
		if err := b.Put(key, val); err != nil {
			return fmt.Errorf("write (%d bytes): %w", len(val), err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put state version %d of stack %s/%s: %w", sv.Serial, repoKey(sv.Repo), sv.Stack, err)
	}
	sv.CreatedAt = rec.CreatedAt
	return nil
}

// checkStateVersion validates what PutStateVersion requires of sv.
func checkStateVersion(sv *StateVersion) error {
	if err := checkStackKey(sv.Repo, sv.Stack); err != nil {
		return err
	}
	if sv.Lineage == "" {
		return fmt.Errorf("%w: state version has no lineage", ErrInvalid)
	}
	if sum, err := hex.DecodeString(sv.SHA256); err != nil || len(sum) != 32 {
		return fmt.Errorf("%w: sha256 %q is not 64 hex digits", ErrInvalid, sv.SHA256)
	}
	if len(sv.Version) > 0 && !json.Valid(sv.Version) {
		return fmt.Errorf("%w: version is not valid JSON", ErrInvalid)
	}
	if sv.RunID != "" {
		if _, err := parseRunID(sv.RunID); err != nil {
			return err
		}
	}
	return nil
}

// ListStateVersions returns a stack's state versions newest (highest
// serial) first, at most limit of them (0 or less: all), without their
// Version. A stack with none gives an empty list.
func (s *Store) ListStateVersions(ctx context.Context, repo, stack string, limit int) ([]StateVersion, error) {
	if err := checkStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("list state versions: %w", err)
	}
	var out []StateVersion
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(stateVersionsBucket).Bucket(stackKey(repo, stack))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			sv, err := decodeStateVersionMeta(v)
			if err != nil {
				return fmt.Errorf("serial %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, sv)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list state versions of stack %s/%s: %w", repoKey(repo), stack, err)
	}
	return out, nil
}

// GetStateVersion returns a stack's state version serial with its Version,
// or fails with ErrNotFound. A sealed Version fails with ErrEncrypted when
// the store has no key and with ErrDecrypt when its key cannot open it.
func (s *Store) GetStateVersion(ctx context.Context, repo, stack string, serial uint64) (*StateVersion, error) {
	sv, err := s.getStateVersion(ctx, repo, stack, func(b *bbolt.Bucket) ([]byte, []byte) {
		k := serialKey(serial)
		return k, b.Get(k)
	})
	if err != nil {
		return nil, fmt.Errorf("state version %d of stack %s/%s: %w", serial, repoKey(repo), stack, err)
	}
	return sv, nil
}

// LatestStateVersion returns a stack's state version with the highest
// serial, with its Version, or fails with ErrNotFound when there is none.
// A sealed Version fails as in GetStateVersion.
func (s *Store) LatestStateVersion(ctx context.Context, repo, stack string) (*StateVersion, error) {
	sv, err := s.getStateVersion(ctx, repo, stack, func(b *bbolt.Bucket) ([]byte, []byte) {
		return b.Cursor().Last()
	})
	if err != nil {
		return nil, fmt.Errorf("latest state version of stack %s/%s: %w", repoKey(repo), stack, err)
	}
	return sv, nil
}

// getStateVersion decodes the record pick finds (its key and value) in the
// stack's bucket, opening a sealed body.
func (s *Store) getStateVersion(ctx context.Context, repo, stack string, pick func(*bbolt.Bucket) (k, v []byte)) (*StateVersion, error) {
	if err := checkStackKey(repo, stack); err != nil {
		return nil, err
	}
	var key, stored []byte
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(stateVersionsBucket).Bucket(stackKey(repo, stack))
		if b == nil {
			return ErrNotFound
		}
		k, v := pick(b)
		if v == nil {
			return ErrNotFound
		}
		key, stored = bytes.Clone(k), bytes.Clone(v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.decodeStateVersion(stackKey(repo, stack), key, stored)
}

// stateVersionAD is the additional data a body is sealed with: it binds
// the body to its bucket, stack and serial.
func stateVersionAD(stack, serial []byte) []byte {
	key := make([]byte, 0, len(stack)+len(serial))
	return sealAD(stateVersionsBucket, append(append(key, stack...), serial...))
}

// encodeStateVersion makes the stored record of rec, to be stored under
// key: its body sealed when the store has a key.
func (s *Store) encodeStateVersion(rec *StateVersion, key []byte) ([]byte, error) {
	return encodeStateVersion(s.aead, rec, key)
}

// encodeStateVersion is Store.encodeStateVersion with the cipher aead.
func encodeStateVersion(aead cipher.AEAD, rec *StateVersion, key []byte) ([]byte, error) {
	stored := stateVersionRecord{StateVersion: *rec}
	if aead != nil && len(rec.Version) > 0 {
		body, err := compress(rec.Version)
		if err != nil {
			return nil, fmt.Errorf("version: %w", err)
		}
		if stored.SealedVersion, err = sealValue(aead, stateVersionAD(stackKey(rec.Repo, rec.Stack), key), body); err != nil {
			return nil, fmt.Errorf("seal version: %w", err)
		}
		stored.Version = nil
	}
	raw, err := json.Marshal(&stored)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return compress(raw)
}

// decodeStateVersion decodes the record stored under the serial key in
// the bucket of stack (a stack key), opening its sealed body.
func (s *Store) decodeStateVersion(stack, key, stored []byte) (*StateVersion, error) {
	return decodeStateVersion(s.aead, stack, key, stored)
}

// decodeStateVersion is Store.decodeStateVersion with the cipher aead.
func decodeStateVersion(aead cipher.AEAD, stack, key, stored []byte) (*StateVersion, error) {
	raw, err := decompress(stored, 0)
	if err != nil {
		return nil, err
	}
	var rec stateVersionRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if rec.SealedVersion == nil {
		return &rec.StateVersion, nil
	}
	if !isSealed(rec.SealedVersion) {
		// open would return it as it is: a body put there in place of the
		// sealed one.
		return nil, fmt.Errorf("%w: its sealed version is not sealed", ErrDecrypt)
	}
	body, err := openSealed(aead, stateVersionAD(stack, key), rec.SealedVersion)
	switch {
	case errors.Is(err, ErrEncrypted):
		return nil, fmt.Errorf("its version is %w; configure the encryption key that wrote it", err)
	case err != nil:
		return nil, fmt.Errorf("open version: %w", err)
	}
	if rec.Version, err = decompress(body, 0); err != nil {
		return nil, fmt.Errorf("version: %w", err)
	}
	return &rec.StateVersion, nil
}

// serialKey is the bucket key of a serial.
func serialKey(serial uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, serial)
}

// decodeStateVersionMeta decodes a stored record without its Version. It
// stops reading at the body (version or sealed_version), which
// PutStateVersion writes last, so a listing does not decompress whole
// states; a record with fields after the body is read through. It returns
// values that do not alias b.
func decodeStateVersionMeta(b []byte) (StateVersion, error) {
	var sv StateVersion
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return sv, fmt.Errorf("decompress: %w", err)
	}
	defer zr.Close()
	dec := json.NewDecoder(zr)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return sv, fmt.Errorf("decode: not a JSON object (%v)", err)
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return sv, fmt.Errorf("decode: %w", err)
		}
		name, _ := tok.(string)
		body := name == versionField || name == sealedVersionField
		if body && hasAll(fields, metaFields) {
			break
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return sv, fmt.Errorf("decode: %w", err)
		}
		if !body {
			fields[name] = raw
		}
	}
	obj, err := json.Marshal(fields)
	if err != nil {
		return sv, fmt.Errorf("decode: %w", err)
	}
	if err := json.Unmarshal(obj, &sv); err != nil {
		return sv, fmt.Errorf("decode: %w", err)
	}
	return sv, nil
}

func hasAll(fields map[string]json.RawMessage, names []string) bool {
	for _, n := range names {
		if _, ok := fields[n]; !ok {
			return false
		}
	}
	return true
}
