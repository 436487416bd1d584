package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
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
//	    |-- <serial> -> gzip(StateVersion, JSON)   8-byte big-endian serial:
//	                                              newest is the last key

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
	// stop decoding a record when they reach it.
	Version json.RawMessage `json:"version,omitempty"`
}

// versionField is Version's JSON name, where listings stop reading once
// they have every field in metaFields: the fields PutStateVersion always
// writes, and writes before Version.
const versionField = "version"

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
	raw, err := json.Marshal(&rec)
	if err != nil {
		return fmt.Errorf("put state version: encode: %w", err)
	}
	val, err := compress(raw)
	if err != nil {
		return fmt.Errorf("put state version: %w", err)
	}
	key := serialKey(rec.Serial)
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
				return fmt.Errorf("%w: serial already stored for lineage %s, not %s", ErrConflict, have.Lineage, rec.Lineage)
			}
			if have.SHA256 != rec.SHA256 {
				return fmt.Errorf("%w: serial already stored with sha256 %s, not %s", ErrConflict, have.SHA256, rec.SHA256)
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
// or fails with ErrNotFound.
func (s *Store) GetStateVersion(ctx context.Context, repo, stack string, serial uint64) (*StateVersion, error) {
	sv, err := s.getStateVersion(ctx, repo, stack, func(b *bbolt.Bucket) []byte {
		return b.Get(serialKey(serial))
	})
	if err != nil {
		return nil, fmt.Errorf("state version %d of stack %s/%s: %w", serial, repoKey(repo), stack, err)
	}
	return sv, nil
}

// LatestStateVersion returns a stack's state version with the highest
// serial, with its Version, or fails with ErrNotFound when there is none.
func (s *Store) LatestStateVersion(ctx context.Context, repo, stack string) (*StateVersion, error) {
	sv, err := s.getStateVersion(ctx, repo, stack, func(b *bbolt.Bucket) []byte {
		_, v := b.Cursor().Last()
		return v
	})
	if err != nil {
		return nil, fmt.Errorf("latest state version of stack %s/%s: %w", repoKey(repo), stack, err)
	}
	return sv, nil
}

// getStateVersion decodes the record pick finds in the stack's bucket.
func (s *Store) getStateVersion(ctx context.Context, repo, stack string, pick func(*bbolt.Bucket) []byte) (*StateVersion, error) {
	var out *StateVersion
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(stateVersionsBucket).Bucket(stackKey(repo, stack))
		if b == nil {
			return ErrNotFound
		}
		v := pick(b)
		if v == nil {
			return ErrNotFound
		}
		raw, err := decompress(v, 0)
		if err != nil {
			return err
		}
		out = &StateVersion{}
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// serialKey is the bucket key of a serial.
func serialKey(serial uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, serial)
}

// decodeStateVersionMeta decodes a stored record without its Version. It
// stops reading at the version field, which PutStateVersion writes last, so
// a listing does not decompress whole states; a record with fields after
// Version is read through. It returns values that do not alias b.
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
		if name == versionField && hasAll(fields, metaFields) {
			break
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return sv, fmt.Errorf("decode: %w", err)
		}
		if name != versionField {
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
