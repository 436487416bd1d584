// Package gitea is driftgate's forge.Client and forge.Webhooks for Gitea and
// Forgejo, on the code.gitea.io/sdk/gitea SDK.
//
// Every call runs with its own timeout and is retried on transient failures
// (5xx, connection errors, timeouts, 429) with bounded exponential backoff;
// a 429 whose Retry-After is longer than the backoff cap, or that persists
// through the retries, becomes a *forge.RateLimitError. Gitea has no rate
// limit by default, but a proxy in front of it may.
//
// The token's user needs write access to the repository to comment and set
// statuses, and admin access to it (or to be a site admin) for CanWrite:
// Gitea shows other users' permissions only to repository admins.
package gitea

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/driftgate/driftgate/runner/forge"
)

// DefaultMaxCommentLength is the comment size assumed when Options does not
// say: Gitea does not limit comment bodies itself, but a proxy or a
// database column might, and reviewers cannot read more.
const DefaultMaxCommentLength = 65536

// Options configure a Client.
type Options struct {
	// BaseURL is the Gitea's address, such as https://gitea.example.com.
	BaseURL string
	// Project is the repository, "owner/name".
	Project string
	// Token is an access token (scopes: write:repository, write:issue,
	// read:user).
	Token string
	// HTTPClient sends the requests; default a new http.Client.
	HTTPClient *http.Client
	// Timeout bounds each attempt of a call; default 30 s.
	Timeout time.Duration
	// Attempts is how often a call is tried in all; default 4.
	Attempts int
	// MaxBackoff caps the wait between attempts; default 10 s.
	MaxBackoff time.Duration
	// MaxCommentLength is what MaxCommentLength reports; default 65,536.
	MaxCommentLength int
	// Logger gets one line per retried failure; default discards.
	Logger *slog.Logger
}

// Client is a forge.Client for one Gitea repository.
type Client struct {
	base, owner, repo, token string
	http                     *http.Client
	timeout, maxBackoff      time.Duration
	attempts, maxComment     int
	log                      *slog.Logger

	selfMu sync.Mutex
	self   string // the token's user name, once looked up
}

var _ forge.Client = (*Client)(nil)

// Log keys.
const (
	logKeyOp      = "op"
	logKeyAttempt = "attempt"
	logKeyErr     = "err"
	logKeyWait    = "wait"
)

// New checks o and returns a Client. It does not call Gitea.
func New(o Options) (*Client, error) {
	base := strings.TrimRight(o.BaseURL, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("gitea: base_url %q must start with http:// or https://", o.BaseURL)
	}
	owner, repo, ok := strings.Cut(strings.Trim(o.Project, "/"), "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("gitea: project %q must be \"owner/name\"", o.Project)
	}
	if o.Token == "" {
		return nil, errors.New("gitea: no token: set the environment variable token_env names")
	}
	c := &Client{
		base: base, owner: owner, repo: repo, token: o.Token,
		http: o.HTTPClient, timeout: o.Timeout, maxBackoff: o.MaxBackoff,
		attempts: o.Attempts, maxComment: o.MaxCommentLength, log: o.Logger,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = 10 * time.Second
	}
	if c.attempts <= 0 {
		c.attempts = 4
	}
	if c.maxComment <= 0 {
		c.maxComment = DefaultMaxCommentLength
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c, nil
}

// MaxCommentLength is the configured limit (default 65,536). Callers keep
// bodies under it; UpsertComment sends what it is given.
func (c *Client) MaxCommentLength() int { return c.maxComment }

// api is an SDK client whose requests run under ctx. The SDK keeps one
// context per client, so each attempt gets its own.
func (c *Client) api(ctx context.Context) (*sdk.Client, error) {
	return sdk.NewClient(c.base,
		sdk.SetToken(c.token), sdk.SetHTTPClient(c.http), sdk.SetContext(ctx),
		sdk.SetGiteaVersion(""), sdk.SetUserAgent("driftgate"))
}

// do runs fn with retries. fn gets an SDK client bound to the attempt's
// timeout and returns the SDK's response and error.
func (c *Client) do(ctx context.Context, op string, fn func(*sdk.Client) (*sdk.Response, error)) error {
	for attempt := 1; ; attempt++ {
		retry, wait, err := c.once(ctx, fn)
		if err == nil {
			return nil
		}
		if !retry || attempt >= c.attempts {
			// After a last 429, err is the *forge.RateLimitError.
			return fmt.Errorf("gitea: %s: %w", op, err)
		}
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		c.log.Warn("gitea call failed, retrying", logKeyOp, op, logKeyAttempt, attempt, logKeyWait, wait, logKeyErr, err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("gitea: %s: %w (last error: %w)", op, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// once is one attempt: whether to retry it, how long the server asked to
// wait (0: use the backoff), and its error.
func (c *Client) once(ctx context.Context, fn func(*sdk.Client) (*sdk.Response, error)) (retry bool, wait time.Duration, err error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	api, err := c.api(actx)
	if err != nil {
		return false, 0, err
	}
	resp, err := fn(api)
	if err == nil {
		return false, 0, nil
	}
	if ctx.Err() != nil {
		return false, 0, ctx.Err()
	}
	if resp == nil || resp.Response == nil {
		// No answer: a connection error or the attempt's timeout.
		return true, 0, err
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusNotFound:
		return false, 0, fmt.Errorf("%w: %w", forge.ErrNotFound, err)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return false, 0, fmt.Errorf("%w (HTTP %d): %w", forge.ErrUnauthorized, code, err)
	case code == http.StatusTooManyRequests:
		after := retryAfter(resp.Header.Get("Retry-After"))
		reset := time.Now().Add(after)
		if after > c.maxBackoff {
			// Waiting here would block the caller longer than a retry may.
			return false, 0, &forge.RateLimitError{Reset: reset}
		}
		return true, after, &forge.RateLimitError{Reset: reset}
	case code >= 500:
		after := retryAfter(resp.Header.Get("Retry-After"))
		if after > c.maxBackoff {
			after = c.maxBackoff
		}
		return true, after, fmt.Errorf("HTTP %d: %w", code, err)
	}
	return false, 0, fmt.Errorf("HTTP %d: %w", code, err)
}

// backoff is 250 ms doubling per attempt, with jitter, capped.
func (c *Client) backoff(attempt int) time.Duration {
	d := 250 * time.Millisecond << min(attempt-1, 10)
	d = d/2 + rand.N(d/2+1)
	return min(d, c.maxBackoff)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// statusOf is the HTTP status of a failed call, 0 when there was none.
func statusOf(resp *sdk.Response) int {
	if resp == nil || resp.Response == nil {
		return 0
	}
	return resp.StatusCode
}

// whoami is the token's user name, looked up once.
func (c *Client) whoami(ctx context.Context) (string, error) {
	c.selfMu.Lock()
	defer c.selfMu.Unlock()
	if c.self != "" {
		return c.self, nil
	}
	var name string
	err := c.do(ctx, "read the token's user", func(api *sdk.Client) (*sdk.Response, error) {
		u, resp, err := api.GetMyUserInfo()
		if err == nil {
			name = u.UserName
		}
		return resp, err
	})
	if err != nil {
		return "", err
	}
	c.self = name
	return name, nil
}
