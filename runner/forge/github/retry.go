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

// call runs op with forge.Retry's policy of retries, backoff and
// rate-limit waits; classify reads go-github's errors.
func (c *Client) call(ctx context.Context, what string, op func(ctx context.Context) error) error {
	return forge.Retry(ctx, c.retryPolicy(), what, op, classify)
}

func (c *Client) retryPolicy() forge.RetryPolicy {
	return forge.RetryPolicy{
		Forge: "github", CallTimeout: c.opts.CallTimeout, Retries: c.opts.Retries,
		Backoff: c.opts.RetryBackoff, MaxRateLimitWait: c.opts.MaxRateLimitWait, Logger: c.log,
	}
}

// classify reads a go-github error. The error it returns is the one to
// report: the forge sentinel for 401/403 and 404, else err.
func classify(err error, now time.Time) (forge.Verdict, time.Time, error) {
	var rle *gh.RateLimitError
	if errors.As(err, &rle) {
		reset := rle.Rate.Reset.Time
		if reset.IsZero() && rle.Response != nil {
			_, reset = limitOf(rle.Response, now)
		}
		return forge.Limited, reset, err
	}
	var abuse *gh.AbuseRateLimitError
	if errors.As(err, &abuse) {
		wait := time.Minute
		if abuse.RetryAfter != nil {
			wait = *abuse.RetryAfter
		}
		return forge.Limited, now.Add(wait), err
	}
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		resp := er.Response
		if ok, reset := limitOf(resp, now); ok {
			return forge.Limited, reset, err
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return forge.Permanent, time.Time{}, fmt.Errorf("%w (%d %s)", forge.ErrUnauthorized, resp.StatusCode, er.Message)
		case resp.StatusCode == http.StatusNotFound:
			return forge.Permanent, time.Time{}, fmt.Errorf("%w (%s %s)", forge.ErrNotFound, resp.Request.Method, resp.Request.URL.Path)
		case resp.StatusCode >= 500:
			return forge.Transient, time.Time{}, err
		}
		return forge.Permanent, time.Time{}, err
	}
	var he *ghinstallation.HTTPError
	if errors.As(err, &he) && he.Response != nil {
		// The app's installation token exchange failed.
		resp := he.Response
		if ok, reset := limitOf(resp, now); ok {
			return forge.Limited, reset, err
		}
		if resp.StatusCode >= 500 {
			return forge.Transient, time.Time{}, err
		}
		return forge.Permanent, time.Time{}, fmt.Errorf("%w: GitHub App installation %d: %s", forge.ErrUnauthorized, he.InstallationID, resp.Status)
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
