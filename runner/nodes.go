package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// nodeStore is what the node heartbeat and the node list need from the
// store: the node records, as each node last wrote its own.
type nodeStore interface {
	PutNode(ctx context.Context, n *store.Node) error
	ListNodes(ctx context.Context) ([]store.Node, error)
	DeleteNode(ctx context.Context, name string) error
}

// Leader says whether this node leads now; runner/cluster's Elector is
// one.
type Leader interface {
	Leading() bool
}

// DefaultNodeLease is how long after its last heartbeat a node still
// counts as live when NodeConfig.Lease is zero.
const DefaultNodeLease = 15 * time.Second

// NodeConfig is how the daemon describes itself to the other nodes
// sharing its store, in the node record it rewrites every heartbeat.
type NodeConfig struct {
	// Name names the node; "" is the host name.
	Name string
	// Version and Commit are those of the driftgate binary.
	Version, Commit string
	// Lease is how long after its last heartbeat a node counts as live
	// (see nodeState); zero is DefaultNodeLease.
	Lease time.Duration
	// Heartbeat is how often the node rewrites its record; zero is a
	// third of Lease. It must be shorter than Lease.
	Heartbeat time.Duration
	// Leader, when set, says whether this node leads; nil: it leads
	// alone (one node on its own store).
	Leader Leader
}

// withDefaults fills the zero fields of c and checks the result.
func (c NodeConfig) withDefaults() (NodeConfig, error) {
	if c.Name == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "driftgate"
		}
		c.Name = h
	}
	if c.Lease <= 0 {
		c.Lease = DefaultNodeLease
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = c.Lease / 3
	}
	if c.Heartbeat >= c.Lease {
		return c, fmt.Errorf("node heartbeat every %s is not shorter than its lease of %s: the node would count as gone between beats; beat more often", c.Heartbeat, c.Lease)
	}
	return c, nil
}

// nodeState is the lease rule: a node is live while its last heartbeat is
// at most lease old at now, else gone.
func nodeState(n store.Node, now time.Time, lease time.Duration) apiv1.NodeState {
	if now.Sub(n.Heartbeat) > lease {
		return apiv1.NodeGone
	}
	return apiv1.NodeLive
}

// nodeStatus is n as the daemon judges it at now: its state by the lease
// rule, and leading only while live.
func nodeStatus(n store.Node, now time.Time, lease time.Duration) api.NodeStatus {
	state := nodeState(n, now, lease)
	return api.NodeStatus{Node: n, State: state, Leader: n.Leader && state == apiv1.NodeLive}
}

// Nodes answers the nodes sharing the store, by name, each with its state
// by this node's lease.
func (s service) Nodes(ctx context.Context) ([]api.NodeStatus, error) {
	nodes, err := s.d.store.ListNodes(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]api.NodeStatus, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, nodeStatus(n, now, s.d.node.Lease))
	}
	return out, nil
}

// runHeartbeat writes this node's record now and every heartbeat until
// drained closes (the dispatcher has finished its runs after ctx ended),
// then deletes it. A write that fails is logged and retried at the next
// beat; it never stops a run.
func (d *Daemon) runHeartbeat(ctx context.Context, drained <-chan struct{}, started time.Time) {
	tick := time.NewTicker(d.node.Heartbeat)
	defer tick.Stop()
	failing := false
	for {
		err := d.beat(ctx, started)
		switch {
		case err != nil && !failing:
			d.logger.Error("write node record; retrying at the next heartbeat", logNode, d.node.Name, logErr, err)
		case err == nil && failing:
			d.logger.Info("node record written again", logNode, d.node.Name)
		}
		failing = err != nil
		select {
		case <-drained:
			d.leave(ctx)
			return
		case <-tick.C:
		}
	}
}

// beat writes this node's record as it is now. ctx ending means the
// daemon is stopping: the record says so, and is still written.
func (d *Daemon) beat(ctx context.Context, started time.Time) error {
	n := d.nodeRecord(ctx, started)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.node.Heartbeat)
	defer cancel()
	return d.store.PutNode(wctx, n)
}

// nodeRecord is this node's record at now.
func (d *Daemon) nodeRecord(ctx context.Context, started time.Time) *store.Node {
	d.mu.RLock()
	workers, publicURL, tls := d.cfg.MaxParallelRuns, d.cfg.PublicURL, d.cfg.TLS != nil
	d.mu.RUnlock()
	n := &store.Node{
		Name: d.node.Name, Version: d.node.Version, Commit: d.node.Commit,
		Address: nodeAddress(publicURL, d.Addr(), tls), StartedAt: started, Heartbeat: time.Now().UTC(),
		Leader: d.node.Leader == nil || d.node.Leader.Leading(), Running: d.disp.runningIDs(),
		Workers: workers, Ready: true, StateKeyID: stateKeyID(d.stateKey),
	}
	notReady := service{d}.Ready(ctx)
	if ctx.Err() != nil {
		notReady = errors.New("stopping: finishing the runs in progress")
	}
	if notReady != nil {
		n.Ready, n.NotReady = false, notReady.Error()
	}
	return n
}

// nodeAddress is where a node's API is reached: its public URL, else the
// address it listens on (nil: not listening yet).
func nodeAddress(publicURL string, listening net.Addr, tls bool) string {
	switch {
	case publicURL != "":
		return publicURL
	case listening == nil:
		return ""
	case tls:
		return "https://" + listening.String()
	}
	return "http://" + listening.String()
}

// leave deletes this node's record: it stopped cleanly.
func (d *Daemon) leave(ctx context.Context) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.node.Heartbeat)
	defer cancel()
	if err := d.store.DeleteNode(dctx, d.node.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
		d.logger.Warn("delete node record at shutdown; it reads as gone once its lease ends", logNode, d.node.Name, logErr, err)
	}
}

// runningIDs returns the ids of the runs the dispatcher is executing,
// sorted.
func (d *dispatcher) runningIDs() []string {
	d.mu.Lock()
	ids := make([]string, 0, len(d.running))
	for id := range d.running {
		ids = append(ids, id)
	}
	d.mu.Unlock()
	slices.Sort(ids)
	return ids
}
