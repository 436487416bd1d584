package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"go.etcd.io/bbolt"
)

// Nodes. Every driftgate serve process sharing the store keeps a record of
// itself here, rewritten at each heartbeat. The store keeps what a node
// wrote; whether a node is still alive (its heartbeat within a lease) is
// the runner's to decide.
//
//	nodes/
//	|-- <node name> -> Node, JSON

var nodesBucket = []byte("nodes")

// MaxNodeName is the longest node name the store accepts, in bytes.
const MaxNodeName = 253

// Node is one driftgate serve process as it last described itself.
type Node struct {
	// Name names the node among those sharing the store (the host name
	// by default).
	Name string `json:"name"`
	// Version and Commit are those of the driftgate binary.
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	// Address is where the node's API is reached: its public URL, else
	// the address it listens on.
	Address string `json:"address,omitempty"`
	// StartedAt is when the process started serving.
	StartedAt time.Time `json:"started_at"`
	// Heartbeat is when the node last wrote this record.
	Heartbeat time.Time `json:"heartbeat"`
	// Leader says the node led (polled git, scheduled drift checks) when
	// it wrote the record.
	Leader bool `json:"leader"`
	// Running are the ids of the runs the node was executing, sorted.
	Running []string `json:"running"`
	// Workers is how many runs the node executes at once at most.
	Workers int `json:"workers"`
	// Ready says the node took work; NotReady says why it did not.
	Ready    bool   `json:"ready"`
	NotReady string `json:"not_ready,omitempty"`
	// StateKeyID identifies the key of the short hashes that stand in
	// for secrets in the node's state versions (a hash of it, never the
	// key), so that nodes sharing a store can tell they share the key too.
	StateKeyID string `json:"state_key_id,omitempty"`
}

// migrateNodes creates the nodes bucket.
func migrateNodes(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(nodesBucket); err != nil {
		return fmt.Errorf("create bucket %s: %w", nodesBucket, err)
	}
	return nil
}

// checkNodeName refuses a name that cannot key a node: empty, longer than
// MaxNodeName, not UTF-8 or holding a control character.
func checkNodeName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty node name", ErrInvalid)
	case len(name) > MaxNodeName:
		return fmt.Errorf("%w: node name of %d bytes, at most %d", ErrInvalid, len(name), MaxNodeName)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: node name %q is not UTF-8", ErrInvalid, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: node name %q holds a control character", ErrInvalid, name)
		}
	}
	return nil
}

// PutNode writes n, replacing the record of the node of the same name. An
// invalid name is ErrInvalid.
func (s *Store) PutNode(ctx context.Context, n *Node) error {
	if err := checkNodeName(n.Name); err != nil {
		return fmt.Errorf("put node: %w", err)
	}
	if err := s.putJSON(ctx, nodesBucket, []byte(n.Name), n); err != nil {
		return fmt.Errorf("put node %q: %w", n.Name, err)
	}
	return nil
}

// ListNodes returns every node record, ordered by name.
func (s *Store) ListNodes(ctx context.Context) ([]Node, error) {
	var out []Node
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(nodesBucket).ForEach(func(k, v []byte) error {
			var n Node
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("decode node %q: %w", k, err)
			}
			out = append(out, n)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}

// DeleteNode removes the record of the node name, or fails with
// ErrNotFound when there is none.
func (s *Store) DeleteNode(ctx context.Context, name string) error {
	if err := checkNodeName(name); err != nil {
		return fmt.Errorf("delete node: %w", err)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(nodesBucket)
		if b.Get([]byte(name)) == nil {
			return ErrNotFound
		}
		return b.Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("delete node %q: %w", name, err)
	}
	return nil
}
