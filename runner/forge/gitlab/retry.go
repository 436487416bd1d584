package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/driftgate/driftgate/runner/forge"
)

// verdict is what a failed attempt calls for.
type verdict int

const (
	permanent verdict = iota // give up with the error
	transient                // retry with backoff
	limited                  // rate limited until reset
)

// call runs op, one attempt at a time, each bounded by the call timeout.
// It retries transient failures (5xx, connection errors, an attempt's
// timeout) with capped exponential backoff, waits out a rate limit whose
// reset is within MaxRateLimitWait (and before ctx's deadline), and
// otherwise returns a *forge.RateLimitError. what names the call in errors.
func (c *Client) call(ctx context.Context, what string, op func(ctx context.Context) error) error {
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
		err := c.limits.check(time.Now())
		if err == nil {
			err = op(actx)
		}
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("gitlab: %s: %w", what, ctx.Err())
		}
		v, reset, err := classify(err, time.Now())
		switch v {
		case limited:
			// A reset already past still waits a backoff step, so a forge
			// repeating it does not make a busy loop.
			wait := max(time.Until(reset), c.opts.RetryBackoff)
			dl, hasDL := ctx.Deadline()
			if wait > c.opts.MaxRateLimitWait || (hasDL && dl.Before(reset)) || attempt > c.opts.Retries {
				return fmt.Errorf("gitlab: %s: %w", what, &forge.RateLimitError{Reset: reset})
			}
			c.log.Warn("gitlab rate limit; waiting for the reset", keyCall, what, keyWait, wait)
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("gitlab: %s: %w", what, err)
			}
		case transient:
			if attempt > c.opts.Retries {
				return fmt.Errorf("gitlab: %s: gave up after %d attempts: %w", what, attempt, err)
			}
			wait := c.opts.RetryBackoff << (attempt - 1)
			wait = min(wait, maxBackoff)
			c.log.Warn("gitlab call failed; retrying", keyCall, what, keyAttempt, attempt, keyErr, err.Error())
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("gitlab: %s: %w", what, err)
			}
		default:
			return fmt.Errorf("gitlab: %s: %w", what, err)
		}
	}
}

const maxBackoff = 10 * time.Second

// Log keys.
const (
	keyCall    = "call"
	keyWait    = "wait"
	keyAttempt = "attempt"
	keyErr     = "err"
)

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// classify reads a client-go error. The error it returns is the one to
// report: the forge sentinel for 401/403 and 404, else err.
func classify(err error, now time.Time) (verdict, time.Time, error) {
	var rle *forge.RateLimitError
	if errors.As(err, &rle) {
		return limited, rle.Reset, err
	}
	var er *gl.ErrorResponse
	if errors.As(err, &er) {
		status := er.StatusCode
		if resp := er.Response; resp != nil {
			status = resp.StatusCode
			if ok, reset := limitOf(resp, now); ok {
				return limited, reset, err
			}
		}
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return permanent, time.Time{}, fmt.Errorf("%w (%d %s)", forge.ErrUnauthorized, status, er.Message)
		case status == http.StatusNotFound:
			// client-go answers every 404 with its ErrNotFound value.
			return permanent, time.Time{}, forge.ErrNotFound
		case status >= 500:
			return transient, time.Time{}, err
		}
		return permanent, time.Time{}, err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// The attempt's own timeout (the caller's ctx was checked first).
		return transient, time.Time{}, err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Connection refused, reset, TLS or DNS failure.
		return transient, time.Time{}, err
	}
	return permanent, time.Time{}, err
}

// limitOf reports whether resp says the client is rate limited and until
// when: GitLab answers 429 with Retry-After and RateLimit-Reset (a Unix
// time).
func limitOf(resp *http.Response, now time.Time) (bool, time.Time) {
	if resp.StatusCode != http.StatusTooManyRequests &&
		(resp.StatusCode != http.StatusForbidden || resp.Header.Get("RateLimit-Remaining") != "0") {
		return false, time.Time{}
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			return true, now.Add(time.Duration(n) * time.Second)
		}
		if t, err := http.ParseTime(s); err == nil {
			return true, t
		}
	}
	if n, err := strconv.ParseInt(resp.Header.Get("RateLimit-Reset"), 10, 64); err == nil {
		return true, time.Unix(n, 0)
	}
	return true, now.Add(time.Minute)
}
