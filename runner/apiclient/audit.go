package apiclient

import (
	"context"
	"fmt"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// Audit returns a page of the audit log matching f, newest first, and the
// cursor of the next page ("" when there is none): GET /api/v1/audit,
// admin only.
func (c *Client) Audit(ctx context.Context, f apiv1.AuditFilter) ([]apiv1.AuditEntry, string, error) {
	var body apiv1.AuditPage
	if err := c.getJSON(ctx, "/api/v1/audit", f.Query(), &body); err != nil {
		return nil, "", fmt.Errorf("list the audit log: %w", err)
	}
	return body.Entries, body.NextCursor, nil
}
