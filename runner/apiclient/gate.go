package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// ApproveRun approves an apply run awaiting approval, with an optional
// comment, and returns the run: queued when it has every approval its
// stack requires, still awaiting approval (Run.Waiting says for what)
// otherwise. A principal the stack's policy does not allow is an *Error
// with status 403; a run not awaiting approval one with status 409.
func (c *Client) ApproveRun(ctx context.Context, id, comment string) (*apiv1.Run, error) {
	var run apiv1.Run
	if err := c.postBody(ctx, runPath(id, "approve"), apiv1.DecisionRequest{Comment: comment}, &run); err != nil {
		return nil, fmt.Errorf("approve run %s: %w", id, err)
	}
	return &run, nil
}

// RejectRun rejects an apply run that has not started, with an optional
// comment, and returns the run, rejected. The errors are ApproveRun's.
func (c *Client) RejectRun(ctx context.Context, id, comment string) (*apiv1.Run, error) {
	var run apiv1.Run
	if err := c.postBody(ctx, runPath(id, "reject"), apiv1.DecisionRequest{Comment: comment}, &run); err != nil {
		return nil, fmt.Errorf("reject run %s: %w", id, err)
	}
	return &run, nil
}

// ApplyRun queues an apply run awaiting approval whose gate is satisfied
// (an auto stack's plan that destroys nothing, or every approval given)
// and returns it. A run whose gate is not satisfied is an *Error with
// status 409 saying what is missing.
func (c *Client) ApplyRun(ctx context.Context, id string) (*apiv1.Run, error) {
	var run apiv1.Run
	if err := c.postJSON(ctx, runPath(id, "apply"), &run); err != nil {
		return nil, fmt.Errorf("apply run %s: %w", id, err)
	}
	return &run, nil
}

// Locks returns the stacks of repo (of every repo when repo is "") that a
// run holds now or that are held after a cut-off apply.
func (c *Client) Locks(ctx context.Context, repo string) ([]apiv1.StackLock, error) {
	q := url.Values{}
	if repo != "" {
		q.Set("repo", repo)
	}
	var body apiv1.LockList
	if err := c.getJSON(ctx, "/api/v1/locks", q, &body); err != nil {
		return nil, fmt.Errorf("list locks: %w", err)
	}
	return body.Locks, nil
}

// StackLock returns one stack's lock; a free stack has neither Holder nor
// Hold.
func (c *Client) StackLock(ctx context.Context, repo, stack string) (*apiv1.StackLock, error) {
	var l apiv1.StackLock
	if err := c.getJSON(ctx, stackPath(repo, stack, "lock"), nil, &l); err != nil {
		return nil, fmt.Errorf("lock of stack %s/%s: %w", repo, stack, err)
	}
	return &l, nil
}

// ReleaseStack lifts a held stack's hold, with an optional comment, and
// returns the hold released and the plan queued. It needs an admin token;
// a stack that is not held is an *Error with status 409.
func (c *Client) ReleaseStack(ctx context.Context, repo, stack, comment string) (*apiv1.Release, error) {
	var rel apiv1.Release
	if err := c.postBody(ctx, stackPath(repo, stack, "release"), apiv1.DecisionRequest{Comment: comment}, &rel); err != nil {
		return nil, fmt.Errorf("release stack %s/%s: %w", repo, stack, err)
	}
	return &rel, nil
}

// postBody POSTs body as JSON to path and decodes the JSON answer into v.
func (c *Client) postBody(ctx context.Context, path string, body, v any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	var buf bytes.Buffer
	if err := c.do(ctx, http.MethodPost, path, bytes.NewReader(data), &buf); err != nil {
		return err
	}
	return decode(&buf, v)
}

// runPath is the path of a run's endpoint, its id escaped.
func runPath(id, endpoint string) string {
	return "/api/v1/runs/" + url.PathEscape(id) + "/" + endpoint
}
