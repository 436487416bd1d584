package runner

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

func TestNodeState(t *testing.T) {
	beat := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	const lease = 15 * time.Second
	tests := []struct {
		name       string
		now        time.Time
		leader     bool
		wantState  apiv1.NodeState
		wantLeader bool
	}{
		{"just beat", beat, true, apiv1.NodeLive, true},
		{"clock behind the node's", beat.Add(-time.Second), true, apiv1.NodeLive, true},
		{"lease not over", beat.Add(lease), true, apiv1.NodeLive, true},
		{"lease over", beat.Add(lease + time.Nanosecond), true, apiv1.NodeGone, false},
		{"long gone follower", beat.Add(time.Hour), false, apiv1.NodeGone, false},
		{"live follower", beat.Add(time.Second), false, apiv1.NodeLive, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := store.Node{Name: "a", Heartbeat: beat, Leader: tt.leader}
			got := nodeStatus(n, tt.now, lease)
			if got.State != tt.wantState || got.Leader != tt.wantLeader || got.Node.Name != "a" {
				t.Errorf("status at %s = %s leader %t, want %s leader %t",
					tt.now.Sub(beat), got.State, got.Leader, tt.wantState, tt.wantLeader)
			}
		})
	}
}

func TestNodeConfigDefaults(t *testing.T) {
	got, err := NodeConfig{Name: "a"}.withDefaults()
	if err != nil || got.Lease != 15*time.Second || got.Heartbeat != 5*time.Second {
		t.Errorf("defaults = %+v, %v; want lease %s, heartbeat a third of it", got, err, DefaultNodeLease)
	}
	if got, _ := (NodeConfig{}).withDefaults(); got.Name == "" {
		t.Error("no default node name")
	}
	_, err = NodeConfig{Name: "a", Lease: time.Second, Heartbeat: time.Second}.withDefaults()
	if err == nil || !strings.Contains(err.Error(), "not shorter than its lease") {
		t.Errorf("heartbeat as long as the lease: err = %v", err)
	}
}

// nodeFailStore fails PutNode, as a full disk does, while fail is set.
type nodeFailStore struct {
	daemonStore
	fail  atomic.Bool
	tries atomic.Int32
}

func (s *nodeFailStore) PutNode(ctx context.Context, n *store.Node) error {
	s.tries.Add(1)
	if s.fail.Load() {
		return fmt.Errorf("put node %q: commit: %w", n.Name, errDiskFull)
	}
	return s.daemonStore.PutNode(ctx, n)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestHeartbeatRetries: a node record that cannot be written is logged
// once, retried at every beat and written once the store writes again;
// meanwhile the daemon stays ready and runs what is queued.
func TestHeartbeatRetries(t *testing.T) {
	h := newGateHarness(t, `
stack "app" {
  dir = "app"
}
`, "app")
	st := &nodeFailStore{daemonStore: h.d.store}
	st.fail.Store(true)
	var logs syncBuffer
	h.d.store, h.d.logger = st, slog.New(slog.NewTextHandler(&logs, nil))
	h.d.node.Heartbeat = 5 * time.Millisecond
	h.d.ready.Store(true)

	ctx, stop := context.WithCancel(t.Context())
	drained := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.d.runHeartbeat(ctx, drained, time.Now())
	}()
	defer func() {
		stop()
		close(drained)
		<-done
	}()

	for st.tries.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	h.poll()
	h.settle()
	if plan := h.latest("app", OperationPlan); plan.Status != store.StatusPlanned {
		t.Errorf("plan run while the node record fails to write: %s %s", plan.Status, plan.Error)
	}
	if err := (service{h.d}).Ready(t.Context()); err != nil {
		t.Errorf("not ready while the node record fails to write: %v", err)
	}
	if n := strings.Count(logs.String(), "write node record; retrying at the next heartbeat"); n != 1 {
		t.Errorf("failing beats logged %d times, want once:\n%s", n, logs.String())
	}

	st.fail.Store(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		nodes, err := h.st.ListNodes(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// The beat logs that it wrote once the write has returned.
		if len(nodes) == 1 && nodes[0].Ready && strings.Contains(logs.String(), "node record written again") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node record not written, or that not logged, once the store writes: %+v\n%s", nodes, logs.String())
		}
		time.Sleep(time.Millisecond)
	}
}
