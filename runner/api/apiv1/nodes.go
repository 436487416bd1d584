package apiv1

import "time"

// NodeState says whether a node still heartbeats.
type NodeState string

// Node states.
const (
	// NodeLive is a node whose last heartbeat is within the server's
	// lease.
	NodeLive NodeState = "live"
	// NodeGone is a node whose last heartbeat is older than the lease: it
	// crashed, was killed or lost the database. A node that stops cleanly
	// removes its record instead.
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
	// heartbeat, sorted; [] when none.
	Running []string `json:"running"`
	// Workers is how many runs the node executes at once at most.
	Workers int `json:"workers"`
	// Ready says the node was taking work at its last heartbeat.
	Ready bool `json:"ready"`
	// NotReady says why the node was not taking work, when it was not.
	NotReady string `json:"not_ready,omitempty"`
}

// NodeList is the body of GET /api/v1/nodes.
type NodeList struct {
	// Nodes are the nodes that have a record, by name; [] when none.
	Nodes []Node `json:"nodes"`
}
