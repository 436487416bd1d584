package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	berrors "go.etcd.io/bbolt/errors"
)

func TestFinishRunStoresEverything(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, Options{})
	run := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusRunning})
	run.Status = StatusPlanned
	run.FinishedAt = time.Now().UTC()
	run.Summary = &PlanSummary{Add: 1, HasChanges: true}
	plan := &Plan{JSON: []byte(`{"a":1}`), Text: []byte("text"), Analysis: []byte(`{}`), File: []byte("planfile")}
	if err := s.FinishRun(ctx, &run, plan, []byte("the log")); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRun(ctx, run.ID)
	if err != nil || got.Status != StatusPlanned || got.Summary == nil || got.Summary.Add != 1 {
		t.Fatalf("run = %+v, %v", got, err)
	}
	p, err := s.GetPlan(ctx, run.ID)
	if err != nil || string(p.Text) != "text" || p.SHA256 == "" || p.SHA256 != plan.SHA256 {
		t.Fatalf("plan = %+v, %v", p, err)
	}
	log, err := s.GetLog(ctx, run.ID)
	if err != nil || string(log) != "the log" {
		t.Fatalf("log = %q, %v", log, err)
	}
}

func TestFinishRunUnknownRun(t *testing.T) {
	s := openTestStore(t, Options{})
	run := Run{ID: "01JDQ4S7ZK5T3V8M2X9W6YB1CD", Repo: "x", Stack: "y", Status: StatusErrored}
	if err := s.FinishRun(context.Background(), &run, nil, []byte("log")); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

// TestFinishRunAllOrNothing fails the write with a full database and checks
// that neither the status nor the log moved: the run still reads as running.
func TestFinishRunAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s, err := open(t.TempDir(), Options{}, openConfig{migrations: migrations, maxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusRunning})
	done := run
	done.Status = StatusPlanned
	big := &Plan{File: bytes.Repeat([]byte{0xCD}, 4<<20)}
	err = s.FinishRun(ctx, &done, big, []byte("log"))
	if !errors.Is(err, berrors.ErrMaxSizeReached) {
		t.Fatalf("err = %v, want ErrMaxSizeReached", err)
	}
	got, err := s.GetRun(ctx, run.ID)
	if err != nil || got.Status != StatusRunning {
		t.Errorf("run after failed finish = %+v, %v; want still running", got, err)
	}
	if _, err := s.GetLog(ctx, run.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("log stored by a failed finish: %v", err)
	}
}
