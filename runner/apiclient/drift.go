package apiclient

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// Drift returns the drift state of every stack of repo, or of every repo
// when repo is "", each with its open findings. Stacks never checked have
// status apiv1.DriftUnknown.
func (c *Client) Drift(ctx context.Context, repo string) ([]apiv1.StackDrift, error) {
	q := url.Values{}
	if repo != "" {
		q.Set("repo", repo)
	}
	var body apiv1.DriftList
	if err := c.getJSON(ctx, "/api/v1/drift", q, &body); err != nil {
		return nil, fmt.Errorf("list drift: %w", err)
	}
	return body.Stacks, nil
}

// StackDrift returns one stack's drift state and its findings, newest
// first: the open ones and at most history resolved ones. A negative
// history leaves the number to the server (apiv1.DefaultDriftHistory); the
// server accepts 0 to apiv1.MaxDriftHistory.
func (c *Client) StackDrift(ctx context.Context, repo, stack string, history int) (*apiv1.StackDrift, error) {
	q := url.Values{}
	if history >= 0 {
		q.Set("history", strconv.Itoa(history))
	}
	var v apiv1.StackDrift
	if err := c.getJSON(ctx, stackPath(repo, stack, "drift"), q, &v); err != nil {
		return nil, fmt.Errorf("drift of stack %s/%s: %w", repo, stack, err)
	}
	return &v, nil
}

// CheckDrift queues a drift check of a stack at its branch head and
// returns the queued run.
func (c *Client) CheckDrift(ctx context.Context, repo, stack string) (*apiv1.Run, error) {
	var run apiv1.Run
	if err := c.postJSON(ctx, stackPath(repo, stack, "drift-check"), &run); err != nil {
		return nil, fmt.Errorf("check drift of stack %s/%s: %w", repo, stack, err)
	}
	return &run, nil
}

// stackPath is the path of a stack's endpoint, its names escaped.
func stackPath(repo, stack, endpoint string) string {
	return "/api/v1/stacks/" + url.PathEscape(repo) + "/" + url.PathEscape(stack) + "/" + endpoint
}
