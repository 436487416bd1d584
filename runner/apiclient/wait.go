package apiclient

import (
	"context"
	"fmt"
	"time"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// DefaultWaitInterval is how often Wait polls when asked for a zero or
// negative interval.
const DefaultWaitInterval = 2 * time.Second

// Wait polls the run every interval until its status is terminal and
// returns it. It stops with the first failed poll, with ctx's error when ctx
// ends, and with an error for a status this client does not know (a newer
// server), which it could not tell finished from live.
func (c *Client) Wait(ctx context.Context, id string, every time.Duration) (*apiv1.Run, error) {
	return c.WaitSeeing(ctx, id, every, nil)
}

// WaitSeeing is Wait that shows seen (when not nil) the run as each poll
// finds it unfinished.
func (c *Client) WaitSeeing(ctx context.Context, id string, every time.Duration, seen func(*apiv1.Run)) (*apiv1.Run, error) {
	if every <= 0 {
		every = DefaultWaitInterval
	}
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		run, err := c.Run(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("wait: %w", err)
		}
		if !run.Status.Valid() {
			return nil, fmt.Errorf("wait for run %s: unknown status %q; upgrade this driftgate client", id, run.Status)
		}
		if run.Status.Terminal() {
			return run, nil
		}
		if seen != nil {
			seen(run)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for run %s (last seen %s): %w", id, run.Status, context.Cause(ctx))
		case <-ticker.C:
		}
	}
}
