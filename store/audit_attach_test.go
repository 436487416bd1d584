package store

import (
	"bytes"
	"context"
	"errors"
	"testing"

	berrors "go.etcd.io/bbolt/errors"
)

// TestWithAuditSameTransaction checks that an entry attached with
// WithAudit is stored with the write that carries it, and only then: not
// when the write is refused, not when it fails on a full database, not a
// second time, and not when the entry itself cannot be stored (the write
// is then not made either).
func TestWithAuditSameTransaction(t *testing.T) {
	ctx := context.Background()
	s, err := open(t.TempDir(), Options{}, openConfig{migrations: migrations, maxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	count := func() int {
		t.Helper()
		es, _, err := s.ListAudit(ctx, AuditFilter{Limit: MaxListLimit})
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	queued := createRun(t, s, Run{Repo: "infra", Stack: "net"})
	cancel := func(ctx context.Context, reason string) error {
		_, err := s.UpdateRun(ctx, queued.ID, func(r *Run) error {
			r.Status, r.Error = StatusCanceled, reason
			return nil
		})
		return err
	}
	errRefused := errors.New("refused by the caller's rule")
	refuse := func(ctx context.Context) error {
		_, err := s.UpdateRun(ctx, queued.ID, func(*Run) error { return errRefused })
		return err
	}

	// A bad entry: the cancel is not made.
	bad := &AuditEntry{Actor: "alice", Action: AuditCancel}
	if err := cancel(WithAudit(ctx, bad), "by alice"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("cancel with an entry without result: %v, want ErrInvalid", err)
	}
	if r, _ := s.GetRun(ctx, queued.ID); r.Status != StatusQueued {
		t.Fatalf("run after the refused entry = %s, want still queued", r.Status)
	}

	// The write is made: the entry is stored with it, once.
	e := &AuditEntry{Actor: "alice", Action: AuditCancel, RunID: queued.ID, Result: AuditOK}
	actx := WithAudit(ctx, e)
	if err := cancel(actx, "by alice"); err != nil {
		t.Fatal(err)
	}
	if !AuditWritten(actx) || e.ID == "" || count() != 1 {
		t.Fatalf("after the cancel: written %v, id %q, %d entries; want the entry stored once", AuditWritten(actx), e.ID, count())
	}
	if err := cancel(actx, "again"); err != nil || count() != 1 {
		t.Fatalf("second write with the same context: %v, %d entries; want it made and still 1 entry", err, count())
	}

	// A refused write stores no entry.
	refused := WithAudit(ctx, &AuditEntry{Actor: "bob", Action: AuditCancel, Result: AuditOK})
	if err := refuse(refused); !errors.Is(err, errRefused) || AuditWritten(refused) || count() != 1 {
		t.Fatalf("refused cancel: %v, written %v, %d entries; want the refusal and no entry", err, AuditWritten(refused), count())
	}

	// A write that fails on the full database stores no entry either.
	running := createRun(t, s, Run{Repo: "infra", Stack: "app", Status: StatusRunning})
	done := running
	done.Status = StatusPlanned
	full := WithAudit(ctx, &AuditEntry{Actor: "driftgate", Action: AuditPlan, Result: AuditOK})
	err = s.FinishRun(full, &done, &Plan{File: bytes.Repeat([]byte{0xCD}, 4<<20)}, []byte("log"))
	if !errors.Is(err, berrors.ErrMaxSizeReached) || AuditWritten(full) || count() != 1 {
		t.Fatalf("finish on a full database: %v, written %v, %d entries; want ErrMaxSizeReached and no entry", err, AuditWritten(full), count())
	}

	// AppendAudit with a context carrying an entry writes only its own.
	other := WithAudit(ctx, &AuditEntry{Actor: "carol", Action: AuditApprove, Result: AuditOK})
	if err := s.AppendAudit(other, &AuditEntry{Actor: "carol", Action: AuditApprove, Result: AuditRefused}); err != nil {
		t.Fatal(err)
	}
	if AuditWritten(other) || count() != 2 {
		t.Errorf("AppendAudit wrote the attached entry too: written %v, %d entries", AuditWritten(other), count())
	}
}
