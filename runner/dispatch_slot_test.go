package runner

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// TestDispatcherFreedSlotStartsNextRun: a run whose terraform is done
// (freeSlot) while its outcome is still being recorded lets the next run
// of another stack start, but not one of its own stack.
func TestDispatcherFreedSlotStartsNextRun(t *testing.T) {
	s := openStore(t)
	recording := make(chan struct{})
	started := make(chan string, 10)
	var d *dispatcher
	exec := func(ctx context.Context, run *store.Run) {
		started <- run.Stack
		if run.Stack == "a" {
			d.freeSlot(run.ID) // terraform done; the outcome write is slow
			select {
			case <-recording:
			case <-ctx.Done():
			}
		}
	}
	d = newDispatcher(s, exec, 1, time.Minute, slog.New(slog.DiscardHandler))
	enqueueN(t, s, "a")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	defer func() { close(recording); cancel(); <-done }()

	if got := <-started; got != "a" {
		t.Fatalf("first run of stack %s, want a", got)
	}
	r := store.Run{Repo: "infra", Stack: "a", Operation: "drift", Commit: "a2"}
	if _, err := enqueueRun(t.Context(), s, &r); err != nil {
		t.Fatal(err)
	}
	enqueueN(t, s, "b")
	d.Wake()
	select {
	case got := <-started:
		if got != "b" {
			t.Fatalf("started a run of stack %s while a's outcome is recorded; want b", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a freed slot did not start the next run")
	}
	select {
	case got := <-started:
		t.Fatalf("started a run of stack %s; a's drift check must wait for a to end", got)
	case <-time.After(300 * time.Millisecond):
	}
}
