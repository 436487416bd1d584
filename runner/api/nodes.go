package api

import (
	"context"
	"net/http"
	"time"
)

// NodeState says whether a node still heartbeats.
type NodeState string

// Node states.
const (
	// NodeLive is a node whose last heartbeat is within its lease.
	NodeLive NodeState = "live"
	// NodeGone is a node whose last heartbeat is older than its lease: it
	// was stopped without leaving, crashed or lost the database.
	NodeGone NodeState = "gone"
)

// Node is one driftgate serve process sharing the server's database, an
// element of NodeList.
type Node struct {
	// Name names the node among the others (its host name by default).
	Name string `json:"name"`
	// Version is the driftgate version the node runs.
	Version string `json:"version"`
	// Commit is the commit its binary was built from, when known.
	Commit string `json:"commit,omitempty"`
	// Address is where the node's API is reached: its public URL, else
	// the address it listens on.
	Address string `json:"address,omitempty"`
	// State is live or gone, by the server's lease.
	State NodeState `json:"state"`
	// Leader says the node leads (polls git, schedules drift checks); a
	// gone node never does.
	Leader bool `json:"leader"`
	// StartedAt is when the node started serving.
	StartedAt time.Time `json:"started_at"`
	// Heartbeat is when the node last wrote its record.
	Heartbeat time.Time `json:"heartbeat"`
	// Running are the ids of the runs the node was executing at its last
	// heartbeat, sorted.
	Running []string `json:"running"`
	// Workers is how many runs the node executes at once at most.
	Workers int `json:"workers"`
	// Ready says the node was taking work at its last heartbeat; NotReady
	// says why it was not.
	Ready    bool   `json:"ready"`
	NotReady string `json:"not_ready,omitempty"`
}

// NodeList is the body of GET /api/v1/nodes.
type NodeList struct {
	// Nodes are the nodes that wrote a record, by name. A node that
	// stopped cleanly removed its own.
	Nodes []Node `json:"nodes"`
}

// NodeLister is what GET /api/v1/nodes needs: a Service that implements it
// serves the route, else the route answers 404.
type NodeLister interface {
	// Nodes returns the nodes by name, each with its state.
	Nodes(ctx context.Context) ([]Node, error)
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
	s.writeJSON(w, http.StatusOK, NodeList{Nodes: nonNil(nodes)})
	return nil
}
