package gitlab

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/driftgate/driftgate/runner/forge"
)

// limits remembers the rate limit GitLab last reported (RateLimit-Remaining
// and RateLimit-Reset on every answer), so a call made while the limit is
// exhausted waits or fails without spending a request.
type limits struct {
	mu        sync.Mutex
	exhausted bool
	reset     time.Time
}

// check returns a *forge.RateLimitError while the last answer said the
// limit is exhausted and its reset is ahead.
func (l *limits) check(now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.exhausted && now.Before(l.reset) {
		return &forge.RateLimitError{Reset: l.reset}
	}
	return nil
}

func (l *limits) record(h http.Header) {
	rem := h.Get("RateLimit-Remaining")
	if rem == "" {
		return
	}
	n, err := strconv.ParseInt(h.Get("RateLimit-Reset"), 10, 64)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.exhausted = rem == "0" && err == nil
	if l.exhausted {
		l.reset = time.Unix(n, 0)
	}
}

// recorder is the transport that feeds limits.
type recorder struct {
	next   http.RoundTripper
	limits *limits
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err == nil {
		r.limits.record(resp.Header)
	}
	return resp, err
}
