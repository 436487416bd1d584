package cluster

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/test/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const lease = 500 * time.Millisecond

// cluster runs n electors on url and records who leads.
type cluster struct {
	mu      sync.Mutex
	leaders []string // who took the lead, in order
	now     atomic.Int32
	most    atomic.Int32
	cancel  []context.CancelFunc
	done    []chan struct{}
	els     []*Elector
}

func start(t *testing.T, url string, n int) *cluster {
	t.Helper()
	c := &cluster{}
	for i := range n {
		e := &Elector{URL: url, NodeID: fmt.Sprintf("node-%d", i), Lease: lease}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		c.els, c.cancel, c.done = append(c.els, e), append(c.cancel, cancel), append(c.done, done)
		go func() {
			defer close(done)
			_ = e.Run(ctx, func(ctx context.Context) {
				n := c.now.Add(1)
				for {
					m := c.most.Load()
					if n <= m || c.most.CompareAndSwap(m, n) {
						break
					}
				}
				c.mu.Lock()
				c.leaders = append(c.leaders, e.NodeID)
				c.mu.Unlock()
				<-ctx.Done()
				c.now.Add(-1)
			})
		}()
	}
	t.Cleanup(func() {
		for i := range c.cancel {
			c.stop(i)
		}
	})
	return c
}

func (c *cluster) stop(i int) {
	c.cancel[i]()
	<-c.done[i]
}

// leader waits for a leader other than not and returns its index.
func (c *cluster) leader(t *testing.T, not int) int {
	t.Helper()
	deadline := time.Now().Add(10 * lease * 5)
	for time.Now().Before(deadline) {
		for i, e := range c.els {
			if i != not && e.Leading() {
				return i
			}
		}
		time.Sleep(lease / 10)
	}
	t.Fatalf("no leader (other than %d) within %s", not, 50*lease)
	return -1
}

func TestOneLeaderAndHandover(t *testing.T) {
	url := pgtest.NewDatabase(t)
	c := start(t, url, 3)
	first := c.leader(t, -1)
	time.Sleep(3 * lease)
	if n := count(c.els); n != 1 {
		t.Fatalf("%d nodes lead at once", n)
	}

	// Stopping the leader hands over within a few leases.
	stopped := time.Now()
	c.stop(first)
	second := c.leader(t, first)
	t.Logf("node %d took over from node %d in %s", second, first, time.Since(stopped))
	if took := time.Since(stopped); took > 5*lease {
		t.Errorf("handover took %s, want within %s", took, 5*lease)
	}

	// A leader whose session the database drops (its node lost the
	// database) steps down, and another node leads.
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(),
		"SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = ($1::bigint & 4294967295)::oid", LeaderLockKey); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * lease)
	for c.els[second].Leading() && time.Now().Before(deadline) {
		time.Sleep(lease / 10)
	}
	if c.els[second].Leading() {
		t.Fatalf("node %d still believes it leads after its session was terminated", second)
	}
	c.leader(t, -1)
	if m := c.most.Load(); m != 1 {
		t.Errorf("at most %d nodes led at the same time, want 1", m)
	}
	c.mu.Lock()
	t.Logf("leaders in turn: %v", c.leaders)
	c.mu.Unlock()
}

func count(els []*Elector) int {
	n := 0
	for _, e := range els {
		if e.Leading() {
			n++
		}
	}
	return n
}
