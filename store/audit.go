package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"
	"go.etcd.io/bbolt"
)

// The audit log records who did what to which stack and run: approvals,
// applies, cancels, holds, refusals. It is append-only: the store has no
// call that changes or deletes an entry, and retention never prunes it.
//
//	audit/
//	|-- <entry id> -> AuditEntry, JSON   16-byte ULID keys: oldest first

var auditBucket = []byte("audit")

// AuditActor is the Actor of entries about what driftgate did on its own,
// such as a scheduled drift check or an automatic apply.
const AuditActor = "driftgate"

// AuditAction names what an audit entry records.
type AuditAction string

// Audit actions. The list grows with driftgate; the store accepts any
// non-empty action.
const (
	AuditPlan       AuditAction = "plan"
	AuditDriftCheck AuditAction = "drift-check"
	AuditCancel     AuditAction = "cancel"
	AuditApprove    AuditAction = "approve"
	AuditReject     AuditAction = "reject"
	AuditApply      AuditAction = "apply"
	AuditHold       AuditAction = "hold"
	AuditRelease    AuditAction = "release"
	AuditReadAudit  AuditAction = "read-audit"
)

// Bounds of what the audit log stores and serves. A request's fields reach
// the log (a refused request's run id is whatever the path said), so each
// stored field is capped, and a page stops at a byte budget as well as at
// its limit: the lowest role cannot bloat the database or a reader's
// memory.
const (
	// MaxAuditField is the most bytes an entry keeps of its actor, action,
	// repo, stack or run id; longer values keep their start and say how
	// long they were.
	MaxAuditField = 512
	// MaxAuditDetail is the most bytes an entry keeps of its detail.
	MaxAuditDetail = 4096
	// MaxAuditPageBytes is the most bytes of stored entries one ListAudit
	// page returns (a page has at least one entry); the rest is on the
	// next page.
	MaxAuditPageBytes = 256 << 10
)

// capAudit shortens e's fields to the bounds above.
func capAudit(e *AuditEntry) {
	e.Actor = capField(e.Actor, MaxAuditField)
	e.Action = AuditAction(capField(string(e.Action), MaxAuditField))
	e.Repo = capField(e.Repo, MaxAuditField)
	e.Stack = capField(e.Stack, MaxAuditField)
	e.RunID = capField(e.RunID, MaxAuditField)
	e.Detail = capField(e.Detail, MaxAuditDetail)
}

// capField returns s when it has at most max bytes, else its start (cut at
// a rune boundary) with an ellipsis and its original length, within max
// bytes in all.
func capField(s string, max int) string {
	if len(s) <= max {
		return s
	}
	tail := fmt.Sprintf("… (%d bytes)", len(s))
	cut := max - len(tail)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}

// AuditResult is how the recorded action ended.
type AuditResult string

// Audit results.
const (
	// AuditOK is an action that was done.
	AuditOK AuditResult = "ok"
	// AuditRefused is an action that was not allowed: the actor's role
	// or permissions, the stack's apply policy or the run's state forbade
	// it. Detail says why.
	AuditRefused AuditResult = "refused"
	// AuditFailed is an action that was allowed but did not succeed.
	// Detail says why.
	AuditFailed AuditResult = "failed"
)

// Valid reports whether r is one of the declared results.
func (r AuditResult) Valid() bool {
	switch r {
	case AuditOK, AuditRefused, AuditFailed:
		return true
	}
	return false
}

// AuditEntry is one record of the audit log. It is stored as JSON; the tags
// are the storage format and the API's.
type AuditEntry struct {
	// ID is the entry's ULID, time-ordered; AppendAudit assigns it.
	ID string `json:"id"`
	// Time is when the entry was appended; AppendAudit sets it.
	Time time.Time `json:"time"`
	// Actor is the name of the API token that acted, or AuditActor.
	Actor string `json:"actor"`
	// Action is what was done or attempted.
	Action AuditAction `json:"action"`
	// Repo, Stack and RunID name what the action was about, when it was
	// about one.
	Repo  string `json:"repo,omitempty"`
	Stack string `json:"stack,omitempty"`
	RunID string `json:"run_id,omitempty"`
	// Result is how it ended.
	Result AuditResult `json:"result"`
	// Detail explains a refusal or a failure, or adds context (such as a
	// rejection's reason). It must carry no secrets.
	Detail string `json:"detail,omitempty"`
}

// AuditFilter selects entries for ListAudit. Zero fields match everything.
type AuditFilter struct {
	Repo   string
	Stack  string
	Actor  string
	Action AuditAction
	// Limit is the number of entries returned: zero or negative means
	// DefaultListLimit, and values above MaxListLimit are lowered to it.
	Limit int
	// Cursor is the next_cursor of the previous page, or "" for the
	// newest entries.
	Cursor string
}

// match applies f to a decoded entry.
func (f AuditFilter) match(e *AuditEntry) bool {
	return (f.Repo == "" || f.Repo == e.Repo) &&
		(f.Stack == "" || f.Stack == e.Stack) &&
		(f.Actor == "" || f.Actor == e.Actor) &&
		(f.Action == "" || f.Action == e.Action)
}

// migrateAudit creates the audit bucket.
func migrateAudit(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(auditBucket); err != nil {
		return fmt.Errorf("create bucket %s: %w", auditBucket, err)
	}
	return nil
}

// AppendAudit appends e to the audit log. It assigns e.ID, from the
// process's monotonic ULID source, and e.Time, now: entries sort by when
// they were appended and cannot be back-dated. An entry with an ID already
// set is refused with ErrInvalid (entries are never replaced), as is one
// without an Actor or Action or with an unknown Result. Fields longer than
// MaxAuditField (MaxAuditDetail for Detail) are stored shortened, see
// capField. e is updated only if the entry was stored.
func (s *Store) AppendAudit(ctx context.Context, e *AuditEntry) error {
	if err := checkAudit(e); err != nil {
		return err
	}
	var entry AuditEntry
	// An entry attached to ctx (WithAudit) is not this one's to write.
	ctx = context.WithValue(ctx, auditKey{}, (*attachedAudit)(nil))
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		entry, err = s.putAudit(tx, e)
		return err
	})
	if err != nil {
		return fmt.Errorf("append audit %s by %s: %w", e.Action, e.Actor, err)
	}
	*e = entry
	return nil
}

// checkAudit refuses an entry AppendAudit would not store.
func checkAudit(e *AuditEntry) error {
	switch {
	case e.ID != "":
		return fmt.Errorf("append audit: %w: entry already has id %s; audit entries are never replaced", ErrInvalid, e.ID)
	case e.Actor == "":
		return fmt.Errorf("append audit: %w: empty actor", ErrInvalid)
	case e.Action == "":
		return fmt.Errorf("append audit: %w: empty action", ErrInvalid)
	case !e.Result.Valid():
		return fmt.Errorf("append audit: %w: unknown result %q", ErrInvalid, e.Result)
	}
	return nil
}

// putAudit writes a copy of e, capped, with its ID and Time assigned, in
// tx, and returns it.
func (s *Store) putAudit(tx *bbolt.Tx, e *AuditEntry) (AuditEntry, error) {
	entry := *e
	capAudit(&entry)
	now := time.Now().UTC()
	id, err := s.ids.next(now)
	if err != nil {
		return AuditEntry{}, err
	}
	entry.ID, entry.Time = id.String(), now
	v, err := json.Marshal(&entry)
	if err != nil {
		return AuditEntry{}, fmt.Errorf("encode audit entry: %w", err)
	}
	if err := tx.Bucket(auditBucket).Put(id[:], v); err != nil {
		return AuditEntry{}, fmt.Errorf("write audit entry (%d bytes): %w", len(v), err)
	}
	return entry, nil
}

// auditKey is the context key of the entry WithAudit attaches.
type auditKey struct{}

// attachedAudit is an entry to record with the next write.
type attachedAudit struct {
	e       *AuditEntry
	written bool
	// ofRun is true when the write creates the run the entry is about:
	// the id it is given becomes the entry's RunID (auditRunCreated).
	ofRun bool
}

// WithAudit returns ctx carrying e: the first write the store commits with
// the returned context (UpdateRun, Enqueue, ReleaseStack, any other)
// appends e to the audit log in the same transaction, so the action and
// its entry are stored together or not at all. A write that refuses (a
// change func's ErrConflict) or fails records neither. e is checked as AppendAudit
// checks it, when the write is made, and updated once it is stored; see
// AuditWritten.
func WithAudit(ctx context.Context, e *AuditEntry) context.Context {
	return context.WithValue(ctx, auditKey{}, &attachedAudit{e: e})
}

// WithAuditOf is WithAudit for a write that creates a run (Enqueue):
// the entry names the id the run is given in that write.
func WithAuditOf(ctx context.Context, e *AuditEntry) context.Context {
	return context.WithValue(ctx, auditKey{}, &attachedAudit{e: e, ofRun: true})
}

// auditRunUncreated undoes auditRunCreated for a write that did not
// commit.
func auditRunUncreated(ctx context.Context, id string) {
	if a := attachedTo(ctx); a != nil && a.ofRun && a.e.RunID == id {
		a.e.RunID = ""
	}
}

// auditRunCreated names id, the run a write creates, in the entry
// WithAuditOf attached to ctx.
func auditRunCreated(ctx context.Context, id string) {
	if a := attachedTo(ctx); a != nil && a.ofRun && a.e.RunID == "" {
		a.e.RunID = id
	}
}

// AuditWritten reports whether the entry WithAudit attached to ctx was
// stored.
func AuditWritten(ctx context.Context) bool {
	a, _ := ctx.Value(auditKey{}).(*attachedAudit)
	return a != nil && a.written
}

// attachedTo returns the entry of ctx still to be written, or nil.
func attachedTo(ctx context.Context) *attachedAudit {
	a, _ := ctx.Value(auditKey{}).(*attachedAudit)
	if a == nil || a.written {
		return nil
	}
	return a
}

// ListAudit returns the entries matching f, newest first, at most f.Limit
// of them and at most MaxAuditPageBytes of stored entries (at least one),
// and the cursor of the next page: "" when there are no more. Entries
// stored before fields were capped are served capped. A malformed cursor
// fails with ErrInvalid. Filters scan the log from the
// cursor back, so a filter that matches little reads much of it.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) (entries []AuditEntry, next string, err error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultListLimit
	case limit > MaxListLimit:
		limit = MaxListLimit
	}
	var after []byte
	if f.Cursor != "" {
		id, err := ulid.ParseStrict(f.Cursor)
		if err != nil {
			return nil, "", fmt.Errorf("list audit: %w: bad cursor %q: %w", ErrInvalid, f.Cursor, err)
		}
		after = id[:]
	}
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(auditBucket).Cursor()
		size := 0
		for k, v := seekBefore(c, after); k != nil; k, v = c.Prev() {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode audit entry %s: %w", formatRunID(k), err)
			}
			if !f.match(&e) {
				continue
			}
			capAudit(&e)
			n := len(e.Actor) + len(e.Action) + len(e.Repo) + len(e.Stack) + len(e.RunID) + len(e.Detail)
			if len(entries) == limit || len(entries) > 0 && size+n > MaxAuditPageBytes {
				next = entries[len(entries)-1].ID
				return nil
			}
			size += n
			entries = append(entries, e)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list audit: %w", err)
	}
	return entries, next, nil
}
