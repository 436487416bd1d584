package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// stateKeyID names the state-version key without giving it away: a hash
// of it under a label of its own.
func stateKeyID(key []byte) string {
	if len(key) == 0 {
		return ""
	}
	sum := sha256.Sum256(append([]byte("driftgate state-version key id\x00"), key...))
	return hex.EncodeToString(sum[:8])
}

// checkSharedStateKey refuses to start a node whose state-version key is
// not the one the live nodes sharing its database use: the same secret
// would get another marker from each node, and a diff between two state
// versions would show a change where there is none.
func (d *Daemon) checkSharedStateKey(ctx context.Context) error {
	nodes, err := d.store.ListNodes(ctx)
	if err != nil {
		return fmt.Errorf("check the state-version key against the other nodes: %w", err)
	}
	mine, now := stateKeyID(d.stateKey), time.Now()
	for _, n := range nodes {
		if n.Name == d.node.Name || n.StateKeyID == "" || n.StateKeyID == mine || nodeState(n, now, d.node.Lease) != apiv1.NodeLive {
			continue
		}
		return fmt.Errorf("this node's state-version key (%s/%s) is not the one node %s uses: nodes sharing a database must share it; "+
			"stop this node, copy %s from node %s's data_dir over this one, and start it again",
			d.cfg.DataDir, stateKeyFile, n.Name, stateKeyFile, n.Name)
	}
	return nil
}
