package apiclient

import (
	"context"
	"fmt"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// Nodes returns the nodes sharing the server's database, by name, each
// with its state (live or gone) as the server judges it.
func (c *Client) Nodes(ctx context.Context) ([]apiv1.Node, error) {
	var body apiv1.NodeList
	if err := c.getJSON(ctx, "/api/v1/nodes", nil, &body); err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return body.Nodes, nil
}
