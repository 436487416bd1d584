package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
)

// PutNode writes n, replacing the record of the node of the same name. An
// invalid name is store.ErrInvalid.
func (s *Store) PutNode(ctx context.Context, n *store.Node) error {
	if err := store.CheckNodeName(n.Name); err != nil {
		return fmt.Errorf("put node: %w", err)
	}
	err := s.putJSON(ctx, "INSERT INTO nodes (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = $2", n, n.Name)
	if err != nil {
		return fmt.Errorf("put node %q: %w", n.Name, err)
	}
	return nil
}

// ListNodes returns every node record, ordered by name.
func (s *Store) ListNodes(ctx context.Context) ([]store.Node, error) {
	out, err := listJSON[store.Node](ctx, s, "nodes", "SELECT name, data FROM nodes ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}

// DeleteNode removes the record of the node name, or fails with
// store.ErrNotFound when there is none.
func (s *Store) DeleteNode(ctx context.Context, name string) error {
	if err := store.CheckNodeName(name); err != nil {
		return fmt.Errorf("delete node: %w", err)
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM nodes WHERE name = $1", name)
		if err == nil && tag.RowsAffected() == 0 {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete node %q: %w", name, err)
	}
	return nil
}
