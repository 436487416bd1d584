package runner

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// blockingExec records what runs at once and holds each run until released
// or its context ends.
type blockingExec struct {
	mu      sync.Mutex
	running map[string]int // by stack
	maxSeen int
	started chan string
	release chan struct{}
	causes  map[string]error
}

func newBlockingExec() *blockingExec {
	return &blockingExec{running: map[string]int{}, started: make(chan string, 100), release: make(chan struct{}), causes: map[string]error{}}
}

func (b *blockingExec) exec(ctx context.Context, run *store.Run) {
	b.mu.Lock()
	b.running[run.Stack]++
	total := 0
	for _, n := range b.running {
		total += n
	}
	b.maxSeen = max(b.maxSeen, total)
	if b.running[run.Stack] > 1 {
		b.causes[run.ID] = errors.New("two runs of one stack at once")
	}
	b.mu.Unlock()
	b.started <- run.ID
	select {
	case <-b.release:
	case <-ctx.Done():
		b.mu.Lock()
		b.causes[run.ID] = context.Cause(ctx)
		b.mu.Unlock()
	}
	b.mu.Lock()
	b.running[run.Stack]--
	b.mu.Unlock()
}

func enqueueN(t *testing.T, s *store.Store, stacks ...string) []string {
	t.Helper()
	var ids []string
	for _, st := range stacks {
		r := store.Run{Repo: "infra", Stack: st, Operation: "plan", Commit: st}
		if _, err := enqueueRun(t.Context(), s, &r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

func TestDispatcherParallelismAndOnePerStack(t *testing.T) {
	s := openStore(t)
	b := newBlockingExec()
	d := newDispatcher(s, b.exec, 2, time.Minute, slog.New(slog.DiscardHandler))
	// Two runs of "a" can both be queued only with different operations.
	enqueueN(t, s, "a", "b", "c")
	r := store.Run{Repo: "infra", Stack: "a", Operation: "drift"}
	if _, err := enqueueRun(t.Context(), s, &r); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = d.Run(ctx)
		close(done)
	}()
	got := map[string]bool{}
	for len(got) < 4 {
		select {
		case id := <-b.started:
			got[id] = true
			b.release <- struct{}{}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of 4 runs started", len(got))
		}
	}
	cancel()
	<-done
	if b.maxSeen > 2 {
		t.Errorf("%d runs at once, max is 2", b.maxSeen)
	}
	for id, c := range b.causes {
		t.Errorf("run %s: %v", id, c)
	}
}

func TestDispatcherDrainsThenInterrupts(t *testing.T) {
	s := openStore(t)
	b := newBlockingExec()
	d := newDispatcher(s, b.exec, 1, 300*time.Millisecond, slog.New(slog.DiscardHandler))
	ids := enqueueN(t, s, "a", "b")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = d.Run(ctx)
		close(done)
	}()
	select {
	case <-b.started:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing started")
	}
	start := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("dispatcher did not return")
	}
	if time.Since(start) < 250*time.Millisecond {
		t.Error("running run was interrupted before the shutdown timeout")
	}
	if c := b.causes[ids[0]]; !errors.Is(c, ErrShutdown) {
		t.Errorf("cause = %v, want ErrShutdown", c)
	}
	// The queued run was never started and is still queued for next time.
	if r, _ := s.GetRun(t.Context(), ids[1]); r.Status != store.StatusQueued {
		t.Errorf("queued run = %s after shutdown", r.Status)
	}
}

func TestDispatcherCancel(t *testing.T) {
	s := openStore(t)
	b := newBlockingExec()
	d := newDispatcher(s, b.exec, 1, time.Minute, slog.New(slog.DiscardHandler))
	ids := enqueueN(t, s, "a")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = d.Run(ctx) }()
	<-b.started
	if running, _ := d.cancel(ids[0]); !running {
		t.Fatal("cancel found no running run")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		c := b.causes[ids[0]]
		b.mu.Unlock()
		if c != nil {
			if !errors.Is(c, errCanceled) {
				t.Errorf("cause = %v", c)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("run not canceled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if running, _ := d.cancel("01JDQ4S7ZK5T3V8M2X9W6YB1CD"); running {
		t.Error("cancel of an unknown run reported success")
	}
}
