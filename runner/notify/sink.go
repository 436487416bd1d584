package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sink is a destination of notifications.
type Sink interface {
	// Name is the sink's configured name, used in records and logs.
	Name() string
	// Send delivers ev once, without retrying. It redacts ev itself.
	Send(ctx context.Context, ev Event) error
}

// Limits of what a failed request reports.
const (
	// maxBodySnippet is how much of a failure response's body an error
	// quotes.
	maxBodySnippet = 200
	// maxDrain is how much of a response body is read so the connection
	// can be reused.
	maxDrain = 64 << 10
	// defaultClientTimeout bounds a request made with the default client.
	defaultClientTimeout = 30 * time.Second
)

// StatusError is a receiver's answer outside 2xx.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// Body is the start of the response body, cleaned up for logs.
	Body string
	// RetryAfter is the receiver's Retry-After delay, if it sent one.
	RetryAfter time.Duration
}

// Error names the status and quotes the start of the body.
func (e *StatusError) Error() string {
	msg := "receiver answered " + strconv.Itoa(e.Code)
	if t := http.StatusText(e.Code); t != "" {
		msg += " " + t
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retryable reports whether a later attempt may succeed: server errors,
// 408 Request Timeout, 425 Too Early and 429 Too Many Requests. Other
// answers (a wrong URL, a rejected payload, an archived Slack channel) will
// not change.
func (e *StatusError) Retryable() bool {
	switch {
	case e.Code >= 500:
		return true
	case e.Code == http.StatusRequestTimeout, e.Code == http.StatusTooEarly, e.Code == http.StatusTooManyRequests:
		return true
	}
	return false
}

// retryable reports whether a failed send may succeed on a later attempt.
func retryable(err error) bool {
	if errors.Is(err, errPermanent) {
		return false
	}
	if se, ok := errors.AsType[*StatusError](err); ok {
		return se.Retryable()
	}
	return true // network errors, timeouts
}

// defaultClient is the client of a sink built without one: it times out
// and does not follow redirects, so a body is never sent somewhere else.
func defaultClient() *http.Client {
	return &http.Client{
		Timeout: defaultClientTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// post sends body to target and checks for a 2xx answer. target may hold a
// secret (a Slack webhook URL is one), so no error names it: the URL is
// dropped from transport errors and scrubbed from quoted response bodies.
func post(ctx context.Context, client *http.Client, target string, header http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		// The parse error quotes the URL: do not wrap it.
		return fmt.Errorf("%w: the sink's URL is not a valid URL", errPermanent)
	}
	req.Header = header
	resp, err := client.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // the same error without the URL
		}
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxBodySnippet+1))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &StatusError{
		Code:       resp.StatusCode,
		Body:       cleanSnippet(snippet, target),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After")),
	}
}

// cleanSnippet makes the start of a response body fit for an error: one
// line, no URL of the sink, at most maxBodySnippet bytes.
func cleanSnippet(b []byte, target string) string {
	s := string(b)
	if target != "" {
		s = strings.ReplaceAll(s, target, "[sink url]")
	}
	if u, err := url.Parse(target); err == nil && len(u.Path) > 1 {
		s = strings.ReplaceAll(s, u.Path, "[sink url]")
	}
	s = strings.Join(strings.Fields(s), " ")
	return clip(s, maxBodySnippet)
}

// retryAfter parses a Retry-After header given in seconds; dates and
// garbage count as absent.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
