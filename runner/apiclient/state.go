package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// StateVersions returns a stack's recorded state versions, newest first,
// without their bodies: at most limit of them, or all when limit <= 0.
func (c *Client) StateVersions(ctx context.Context, repo, stack string, limit int) ([]apiv1.StateVersion, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var body apiv1.StateVersionList
	if err := c.getJSON(ctx, stackPath(repo, stack, "state-versions"), q, &body); err != nil {
		return nil, fmt.Errorf("list state versions of stack %s/%s: %w", repo, stack, err)
	}
	return body.Versions, nil
}

// StateVersion returns one recorded state version of a stack with its
// redacted body (a planner/statever.Version as JSON, see statever.Decode)
// in Version. An unknown serial is an *Error with status 404.
func (c *Client) StateVersion(ctx context.Context, repo, stack string, serial uint64) (*apiv1.StateVersion, error) {
	var sv apiv1.StateVersion
	path := stackPath(repo, stack, "state-versions/"+strconv.FormatUint(serial, 10))
	if err := c.getJSON(ctx, path, nil, &sv); err != nil {
		return nil, fmt.Errorf("state version %d of stack %s/%s: %w", serial, repo, stack, err)
	}
	return &sv, nil
}

// StateDiff compares two recorded state versions of a stack, attribute by
// attribute. Numbers in the changes' values are json.Number, exact as the
// state wrote them.
func (c *Client) StateDiff(ctx context.Context, repo, stack string, from, to uint64) (*apiv1.StateDiff, error) {
	q := url.Values{}
	q.Set("from", strconv.FormatUint(from, 10))
	q.Set("to", strconv.FormatUint(to, 10))
	var buf bytes.Buffer
	err := c.do(ctx, http.MethodGet, stackPath(repo, stack, "state-diff")+encodeQuery(q), nil, &buf)
	var d apiv1.StateDiff
	if err == nil {
		dec := json.NewDecoder(&buf)
		dec.UseNumber()
		if err = dec.Decode(&d); err != nil {
			err = fmt.Errorf("decode answer: %w", err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("diff state versions %d and %d of stack %s/%s: %w", from, to, repo, stack, err)
	}
	return &d, nil
}
