package api

import (
	"context"
	"net/http"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// NodeStatus is a node's stored record with what the daemon judges of it:
// whether it is live by the lease, and whether it leads (a gone node does
// not, whatever its record says).
type NodeStatus struct {
	Node   store.Node
	State  apiv1.NodeState
	Leader bool
}

// NodeLister is what GET /api/v1/nodes needs: a Service that implements it
// serves the route, else the route answers 404.
type NodeLister interface {
	// Nodes returns the nodes by name, each with its state.
	Nodes(ctx context.Context) ([]NodeStatus, error)
}

// listNodes answers the nodes sharing the server's database.
func (s *server) listNodes(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery("/api/v1/nodes", r.URL.RawQuery, nil); err != nil {
		return err
	}
	nl, ok := s.svc.(NodeLister)
	if !ok {
		return &problem{status: http.StatusNotFound, msg: "this driftgate server keeps no node list"}
	}
	nodes, err := nl.Nodes(r.Context())
	if err != nil {
		return explain(err, "nodes", Hint{})
	}
	s.writeJSON(w, http.StatusOK, apiv1.NodeList{Nodes: wireNodes(nodes)})
	return nil
}

// wireNodes converts nodes; nil becomes empty, as does a node's nil list
// of running runs.
func wireNodes(nodes []NodeStatus) []apiv1.Node {
	out := make([]apiv1.Node, len(nodes))
	for i, ns := range nodes {
		n := ns.Node
		running := n.Running
		if running == nil {
			running = []string{}
		}
		out[i] = apiv1.Node{
			Name: n.Name, Version: n.Version, Commit: n.Commit, Address: n.Address,
			State: ns.State, Leader: ns.Leader, StartedAt: n.StartedAt, Heartbeat: n.Heartbeat,
			Running: running, Workers: n.Workers, Ready: n.Ready, NotReady: n.NotReady,
		}
	}
	return out
}
