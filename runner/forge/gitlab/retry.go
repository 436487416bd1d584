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

// call runs op with forge.Retry's policy of retries, backoff and
// rate-limit waits, first checking the rate limit the last answer reported
// (an exhausted one fails the attempt as a rate limit without a request);
// classify reads client-go's errors.
func (c *Client) call(ctx context.Context, what string, op func(ctx context.Context) error) error {
	p := forge.RetryPolicy{
		Forge: "gitlab", CallTimeout: c.opts.CallTimeout, Retries: c.opts.Retries,
		Backoff: c.opts.RetryBackoff, MaxRateLimitWait: c.opts.MaxRateLimitWait, Logger: c.log,
	}
	return forge.Retry(ctx, p, what, func(actx context.Context) error {
		if err := c.limits.check(time.Now()); err != nil {
			return err
		}
		return op(actx)
	}, classify)
}

// classify reads a client-go error. The error it returns is the one to
// report: the forge sentinel for 401/403 and 404, else err.
func classify(err error, now time.Time) (forge.Verdict, time.Time, error) {
	var rle *forge.RateLimitError
	if errors.As(err, &rle) {
		return forge.Limited, rle.Reset, err
	}
	var er *gl.ErrorResponse
	if errors.As(err, &er) {
		status := er.StatusCode
		if resp := er.Response; resp != nil {
			status = resp.StatusCode
			if ok, reset := limitOf(resp, now); ok {
				return forge.Limited, reset, err
			}
		}
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return forge.Permanent, time.Time{}, fmt.Errorf("%w (%d %s)", forge.ErrUnauthorized, status, er.Message)
		case status == http.StatusNotFound:
			// client-go answers every 404 with its ErrNotFound value.
			return forge.Permanent, time.Time{}, forge.ErrNotFound
		case status >= 500:
			return forge.Transient, time.Time{}, err
		}
		return forge.Permanent, time.Time{}, err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// The attempt's own timeout (the caller's ctx was checked first).
		return forge.Transient, time.Time{}, err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Connection refused, reset, TLS or DNS failure.
		return forge.Transient, time.Time{}, err
	}
	return forge.Permanent, time.Time{}, err
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
