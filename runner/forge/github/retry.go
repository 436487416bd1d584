package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v75/github"

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
		err := op(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("github: %s: %w", what, ctx.Err())
		}
		v, reset, err := classify(err, time.Now())
		switch v {
		case limited:
			// A reset already past still waits a backoff step, so a forge
			// repeating it does not make a busy loop.
			wait := max(time.Until(reset), c.opts.RetryBackoff)
			dl, hasDL := ctx.Deadline()
			if wait > c.opts.MaxRateLimitWait || (hasDL && dl.Before(reset)) || attempt > c.opts.Retries {
				return fmt.Errorf("github: %s: %w", what, &forge.RateLimitError{Reset: reset})
			}
			c.log.Warn("github rate limit; waiting for the reset", keyCall, what, keyWait, wait)
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("github: %s: %w", what, err)
			}
		case transient:
			if attempt > c.opts.Retries {
				return fmt.Errorf("github: %s: gave up after %d attempts: %w", what, attempt, err)
			}
			wait := c.opts.RetryBackoff << (attempt - 1)
			wait = min(wait, maxBackoff)
			c.log.Warn("github call failed; retrying", keyCall, what, keyAttempt, attempt, keyErr, err.Error())
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("github: %s: %w", what, err)
			}
		default:
			return fmt.Errorf("github: %s: %w", what, err)
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

// classify reads a go-github error. The error it returns is the one to
// report: the forge sentinel for 401/403 and 404, else err.
func classify(err error, now time.Time) (verdict, time.Time, error) {
	var rle *gh.RateLimitError
	if errors.As(err, &rle) {
		reset := rle.Rate.Reset.Time
		if reset.IsZero() && rle.Response != nil {
			_, reset = limitOf(rle.Response, now)
		}
		return limited, reset, err
	}
	var abuse *gh.AbuseRateLimitError
	if errors.As(err, &abuse) {
		wait := time.Minute
		if abuse.RetryAfter != nil {
			wait = *abuse.RetryAfter
		}
		return limited, now.Add(wait), err
	}
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		resp := er.Response
		if ok, reset := limitOf(resp, now); ok {
			return limited, reset, err
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return permanent, time.Time{}, fmt.Errorf("%w (%d %s)", forge.ErrUnauthorized, resp.StatusCode, er.Message)
		case resp.StatusCode == http.StatusNotFound:
			return permanent, time.Time{}, fmt.Errorf("%w (%s %s)", forge.ErrNotFound, resp.Request.Method, resp.Request.URL.Path)
		case resp.StatusCode >= 500:
			return transient, time.Time{}, err
		}
		return permanent, time.Time{}, err
	}
	var he *ghinstallation.HTTPError
	if errors.As(err, &he) && he.Response != nil {
		// The app's installation token exchange failed.
		resp := he.Response
		if ok, reset := limitOf(resp, now); ok {
			return limited, reset, err
		}
		if resp.StatusCode >= 500 {
			return transient, time.Time{}, err
		}
		return permanent, time.Time{}, fmt.Errorf("%w: GitHub App installation %d: %s", forge.ErrUnauthorized, he.InstallationID, resp.Status)
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
// when: a Retry-After header (secondary limits, 429), or an exhausted
// X-RateLimit-Remaining with its X-RateLimit-Reset (primary limit).
func limitOf(resp *http.Response, now time.Time) (bool, time.Time) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
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
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if n, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return true, time.Unix(n, 0)
		}
		return true, now.Add(time.Minute)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return true, now.Add(time.Minute)
	}
	return false, time.Time{}
}
