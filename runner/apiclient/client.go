// Package apiclient is the Go client of driftgate's HTTP API (package
// runner/api). Its methods mirror the API's endpoints and return the API's
// wire types (package apiv1), never the store's; answers other than 2xx
// are *Error.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// DefaultTimeout bounds each request of a Client made without
// WithHTTPClient.
const DefaultTimeout = time.Minute

// maxErrorBody caps how much of an error answer is read.
const maxErrorBody = 64 << 10

// Error is a non-2xx answer of the API.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Message is the server's error message, or the status text when the
	// answer carried none. It ends with Hint when there is one.
	Message string
	// Reason is the message without the hint; "" when the server sent no
	// hint (or is older), and then Message is all there is.
	Reason string
	// Hint says what to do next with the API (a route); CLIHint says it as
	// a driftgate command. Either may be "".
	Hint    string
	CLIHint string
}

// ForCLI returns the message for a person at a terminal: the reason and
// the CLI hint when the server sent them, else Message.
func (e *Error) ForCLI() string {
	if e.Reason == "" || e.CLIHint == "" {
		return e.Message
	}
	return e.Reason + "; " + e.CLIHint
}

// Error returns the message and the status.
func (e *Error) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status)
}

// Client calls a driftgate server's API. It is safe for concurrent use.
type Client struct {
	base  string
	err   error // a malformed base URL, returned by every call
	token string
	hc    *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests with hc.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.hc = hc }
}

// New returns a client of the server at baseURL (such as
// "http://127.0.0.1:8080") that authenticates with token; an empty token
// sends no Authorization header. A malformed baseURL makes every call fail.
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), token: token}
	u, err := url.Parse(c.base)
	switch {
	case err != nil:
		c.err = fmt.Errorf("server URL %q: %w", baseURL, err)
	case u.Scheme != "http" && u.Scheme != "https":
		c.err = fmt.Errorf("server URL %q: want an http:// or https:// URL", baseURL)
	case u.Host == "":
		c.err = fmt.Errorf("server URL %q has no host", baseURL)
	}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultTimeout}
	}
	return c
}

// BaseURL returns the server URL the client talks to.
func (c *Client) BaseURL() string { return c.base }

// Health checks GET /healthz.
func (c *Client) Health(ctx context.Context) error {
	if err := c.do(ctx, http.MethodGet, "/healthz", nil, nil); err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	return nil
}

// Ready checks GET /readyz; a daemon that is not ready is an *Error with
// status 503 and the reason.
func (c *Client) Ready(ctx context.Context) error {
	if err := c.do(ctx, http.MethodGet, "/readyz", nil, nil); err != nil {
		return fmt.Errorf("readiness check: %w", err)
	}
	return nil
}

// Repos returns the watched repos.
func (c *Client) Repos(ctx context.Context) ([]apiv1.Repo, error) {
	var body apiv1.RepoList
	if err := c.getJSON(ctx, "/api/v1/repos", nil, &body); err != nil {
		return nil, fmt.Errorf("list repos: %w", err)
	}
	return body.Repos, nil
}

// Stacks returns the stacks of repo, or of every repo when repo is "".
func (c *Client) Stacks(ctx context.Context, repo string) ([]apiv1.Stack, error) {
	q := url.Values{}
	if repo != "" {
		q.Set("repo", repo)
	}
	var body apiv1.StackList
	if err := c.getJSON(ctx, "/api/v1/stacks", q, &body); err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	return body.Stacks, nil
}

// Runs returns one page of the runs matching f, newest first, and the
// cursor of the next page ("" after the last page).
func (c *Client) Runs(ctx context.Context, f apiv1.RunFilter) ([]apiv1.Run, string, error) {
	var body apiv1.RunList
	if err := c.getJSON(ctx, "/api/v1/runs", f.Query(), &body); err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	return body.Runs, body.NextCursor, nil
}

// Run returns one run.
func (c *Client) Run(ctx context.Context, id string) (*apiv1.Run, error) {
	var run apiv1.Run
	if err := c.getJSON(ctx, "/api/v1/runs/"+url.PathEscape(id), nil, &run); err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, err)
	}
	return &run, nil
}

// Plan returns the redacted plan JSON of a run, as the server stored it
// (terraform's JSON plan format, redacted).
func (c *Client) Plan(ctx context.Context, id string) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := c.do(ctx, http.MethodGet, "/api/v1/runs/"+url.PathEscape(id)+"/plan", nil, &buf); err != nil {
		return nil, fmt.Errorf("get plan of run %s: %w", id, err)
	}
	return buf.Bytes(), nil
}

// Log returns the log of a run.
func (c *Client) Log(ctx context.Context, id string) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.do(ctx, http.MethodGet, "/api/v1/runs/"+url.PathEscape(id)+"/log", nil, &buf); err != nil {
		return nil, fmt.Errorf("get log of run %s: %w", id, err)
	}
	return buf.Bytes(), nil
}

// TriggerPlan queues a manual plan of a stack at its branch head and
// returns the queued run.
func (c *Client) TriggerPlan(ctx context.Context, repo, stack string) (*apiv1.Run, error) {
	var run apiv1.Run
	if err := c.postJSON(ctx, stackPath(repo, stack, "plan"), &run); err != nil {
		return nil, fmt.Errorf("plan stack %s/%s: %w", repo, stack, err)
	}
	return &run, nil
}

// CancelRun cancels a queued run, or asks a running run to stop, and
// returns the run. A finished run is an *Error with status 409.
func (c *Client) CancelRun(ctx context.Context, id string) (*apiv1.Run, error) {
	var run apiv1.Run
	if err := c.postJSON(ctx, "/api/v1/runs/"+url.PathEscape(id)+"/cancel", &run); err != nil {
		return nil, fmt.Errorf("cancel run %s: %w", id, err)
	}
	return &run, nil
}

// getJSON GETs path with query and decodes the JSON answer into v.
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, v any) error {
	var buf bytes.Buffer
	if err := c.do(ctx, http.MethodGet, path+encodeQuery(query), nil, &buf); err != nil {
		return err
	}
	return decode(&buf, v)
}

// postJSON POSTs to path without a body and decodes the JSON answer into v.
func (c *Client) postJSON(ctx context.Context, path string, v any) error {
	var buf bytes.Buffer
	if err := c.do(ctx, http.MethodPost, path, nil, &buf); err != nil {
		return err
	}
	return decode(&buf, v)
}

// decode decodes a JSON answer.
func decode(buf *bytes.Buffer, v any) error {
	if err := json.Unmarshal(buf.Bytes(), v); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

// encodeQuery returns "?query", or "" for an empty query.
func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// do sends a request to path (escaped, with any query), with body as JSON
// when not nil, and copies a 2xx answer's body into out (when not nil).
// Other answers are *Error.
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, out io.Writer) error {
	if c.err != nil {
		return c.err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/plain")
	req.Header.Set("User-Agent", "driftgate-apiclient")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return readError(resp)
	}
	if out == nil {
		out = io.Discard
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	return nil
}

// readError turns a non-2xx answer into an *Error, taking the message from
// a JSON {"error": "..."} body and else from the status text.
func readError(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body struct {
		Error   string `json:"error"`
		Hint    string `json:"hint"`
		CLIHint string `json:"cli_hint"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error != "" {
		e.Message, e.Hint, e.CLIHint = body.Error, body.Hint, body.CLIHint
		// The server sends the message and the hint joined in error.
		if reason, ok := strings.CutSuffix(body.Error, "; "+body.Hint); ok && body.Hint != "" {
			e.Reason = reason
		}
	} else if e.Message = http.StatusText(resp.StatusCode); e.Message == "" {
		e.Message = "unexpected status " + resp.Status
	}
	return e
}

// IsStatus reports whether err is an *Error with the given HTTP status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// Backup writes a consistent copy of the server's database to w (GET
// /api/v1/backup, admin only). The copy is as long as the database, so
// give the Client an http.Client without a timeout for a large one; check
// the copy (store.Check) before trusting it.
func (c *Client) Backup(ctx context.Context, w io.Writer) error {
	if err := c.do(ctx, http.MethodGet, "/api/v1/backup", nil, w); err != nil {
		return fmt.Errorf("back up the database: %w", err)
	}
	return nil
}
