package apiclient

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/driftgate/driftgate/store"
)

// Audit returns a page of the audit log matching f, newest first, and the
// cursor of the next page ("" when there is none): GET /api/v1/audit,
// admin only.
func (c *Client) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, string, error) {
	q := url.Values{}
	for k, v := range map[string]string{"repo": f.Repo, "stack": f.Stack, "actor": f.Actor, "action": string(f.Action), "cursor": f.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var body struct {
		Entries    []store.AuditEntry `json:"entries"`
		NextCursor string             `json:"next_cursor"`
	}
	if err := c.getJSON(ctx, "/api/v1/audit", q, &body); err != nil {
		return nil, "", fmt.Errorf("list the audit log: %w", err)
	}
	return body.Entries, body.NextCursor, nil
}
