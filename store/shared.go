package store

import (
	"context"
	"crypto/cipher"
	"time"
)

// The exported helpers below let another implementation of the store (the
// PostgreSQL one in store/postgres) keep the rules, formats and checks of
// this one instead of copying them: the same validation and errors, the
// same sealed format (crypt.go) and compression (blob.go), the same audit
// entry attached to a context.

// Sealer seals and opens values in the format of crypt.go with one key.
// The zero key (a nil cipher) stores values plain.
type Sealer struct{ aead cipher.AEAD }

// NewSealer returns the Sealer of key: no encryption when key is empty,
// AES-256-GCM when it is EncryptionKeySize bytes, and an ErrInvalid error
// otherwise.
func NewSealer(key []byte) (*Sealer, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal returns the value to store for plain, authenticated with ad: sealed
// when the Sealer has a key, plain otherwise.
func (sl *Sealer) Seal(ad, plain []byte) ([]byte, error) { return sealValue(sl.aead, ad, plain) }

// Open reverses Seal. A plain stored value is returned as it is; a sealed
// one fails with ErrEncrypted without a key and ErrDecrypt when the key
// cannot open it.
func (sl *Sealer) Open(ad, stored []byte) ([]byte, error) { return openSealed(sl.aead, ad, stored) }

// PlanFileAD is the additional data the plan file of run runID is sealed
// with, the same as in the bbolt store, so that sealed plan files move
// between stores as they are.
func PlanFileAD(runID string) ([]byte, error) {
	key, err := parseRunID(runID)
	if err != nil {
		return nil, err
	}
	return sealAD(planFilesBucket, key), nil
}

// EncodeStateVersion returns the stored record of sv, in the bbolt store's
// format (statever.go): compressed JSON, its body sealed when sl has a key.
func EncodeStateVersion(sl *Sealer, sv *StateVersion) ([]byte, error) {
	return encodeStateVersion(sl.aead, sv, serialKey(sv.Serial))
}

// DecodeStateVersion decodes a record EncodeStateVersion made for the
// stack repo/stack at serial, opening its sealed body.
func DecodeStateVersion(sl *Sealer, repo, stack string, serial uint64, stored []byte) (*StateVersion, error) {
	return decodeStateVersion(sl.aead, stackKey(repo, stack), serialKey(serial), stored)
}

// DecodeStateVersionMeta decodes a stored record without its Version.
func DecodeStateVersionMeta(stored []byte) (StateVersion, error) {
	return decodeStateVersionMeta(stored)
}

// CheckStateVersion validates what PutStateVersion requires of sv; errors
// wrap ErrInvalid.
func CheckStateVersion(sv *StateVersion) error { return checkStateVersion(sv) }

// Compress compresses a plan part or a log as the store stores it.
func Compress(b []byte) ([]byte, error) { return compress(b) }

// Decompress reverses Compress; sizeHint, when positive, is the expected
// size.
func Decompress(b []byte, sizeHint int64) ([]byte, error) { return decompress(b, sizeHint) }

// IDs hands out ULIDs that increase strictly within the process, as the
// store's run, audit and delivery ids do.
type IDs struct{ src *idSource }

// NewIDs returns a new id source.
func NewIDs() *IDs { return &IDs{src: newIDSource()} }

// Next returns a new id made at now, in its string form.
func (g *IDs) Next(now time.Time) (string, error) {
	id, err := g.src.next(now)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// ParseRunID returns the canonical form of a run (or audit, or delivery)
// id, a ULID; a malformed one fails with ErrInvalid.
func ParseRunID(id string) (string, error) {
	key, err := parseRunID(id)
	if err != nil {
		return "", err
	}
	return formatRunID(key), nil
}

// RepoKey maps the empty repo of local runs to LocalRepo.
func RepoKey(repo string) string { return repoKey(repo) }

// CheckName refuses a repo or stack name the store cannot key (ErrInvalid).
func CheckName(kind, name string) error { return checkName(kind, name) }

// CheckStackKey validates repo and stack names as the store's key of a
// stack (ErrInvalid).
func CheckStackKey(repo, stack string) error { return checkStackKey(repo, stack) }

// CloneRun copies run deeply enough that a change to the copy leaves run
// as it was.
func CloneRun(run *Run) *Run { return cloneRun(run) }

// ApplyRunChange runs change on run, restoring run when change refuses or
// changes nothing, and checks what it changed (CheckRunChange).
func ApplyRunChange(run *Run, change RunChange) (bool, error) { return applyChange(run, change) }

// CheckRunChange refuses a change from old to run that renames the run,
// moves it to another stack or gives it an unknown status (ErrInvalid).
func CheckRunChange(old, run *Run) error { return checkChanged(old, run) }

// Match reports whether run r passes the filter f.
func (f RunFilter) Match(r *Run) bool { return f.match(r) }

// Match reports whether the stored entry e passes the filter f.
func (f AuditFilter) Match(e *AuditEntry) bool { return f.match(e) }

// Match reports whether delivery d passes the filter f.
func (f DeliveryFilter) Match(d *Delivery) bool { return f.match(d) }

// CheckAudit refuses an entry AppendAudit would not store (ErrInvalid).
func CheckAudit(e *AuditEntry) error { return checkAudit(e) }

// CapAudit shortens e's fields to the bounds the audit log keeps.
func CapAudit(e *AuditEntry) { capAudit(e) }

// AuditToWrite returns the entry WithAudit (or WithAuditOf) attached to
// ctx that no write has stored yet, or nil. A store writes it in the
// transaction of its next write and then calls AuditStored.
func AuditToWrite(ctx context.Context) *AuditEntry {
	if a := attachedTo(ctx); a != nil {
		return a.e
	}
	return nil
}

// AuditStored records that the entry attached to ctx was stored as e,
// once its transaction committed: the caller's entry becomes e and
// AuditWritten reports true.
func AuditStored(ctx context.Context, e AuditEntry) {
	if a := attachedTo(ctx); a != nil {
		*a.e, a.written = e, true
	}
}

// AuditRunCreated names id, the run a write creates, in the entry
// WithAuditOf attached to ctx.
func AuditRunCreated(ctx context.Context, id string) { auditRunCreated(ctx, id) }

// WithoutAudit returns ctx with no entry attached: AppendAudit's own write
// must not also store the caller's attached entry.
func WithoutAudit(ctx context.Context) context.Context {
	return context.WithValue(ctx, auditKey{}, (*attachedAudit)(nil))
}

// Key returns the key of its target: one entry per PR comment marker or
// commit status context, sorting as the bbolt store lists them.
func (it *OutboxItem) Key() []byte { return it.key() }

// AuditRunUncreated undoes AuditRunCreated for a write that did not
// commit.
func AuditRunUncreated(ctx context.Context, id string) { auditRunUncreated(ctx, id) }

// CheckNodeName refuses a name that cannot key a node (ErrInvalid).
func CheckNodeName(name string) error { return checkNodeName(name) }
