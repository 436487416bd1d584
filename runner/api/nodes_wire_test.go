package api

import (
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// wireNodesStored are the node statuses the golden nodes.json encodes: one
// with every field set, one with only the required ones.
func wireNodesStored() []NodeStatus {
	return []NodeStatus{
		{Node: store.Node{
			Name: "node-a", Version: "v1.4.0", Commit: "0123abcd", Address: "https://driftgate.example.com",
			StartedAt: wireT0, Heartbeat: wireT1, Leader: true, Running: []string{"01J0RUNFULL000000000000000"},
			Workers: 4, Ready: false, NotReady: "stopping: finishing the runs in progress",
		}, State: apiv1.NodeLive, Leader: true},
		{Node: store.Node{Name: "node-b"}, State: apiv1.NodeGone},
	}
}
