package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// What a request may make the server store or say back. The audit log caps
// what it stores of an entry (store.MaxAuditField); the handler rate-limits
// the refusals it records per token and quotes at most maxQuoted bytes of a
// request's path or ids in its answers.
const (
	// refusalBurst is how many refusals in a row a token may collect
	// before it is rate-limited.
	refusalBurst = 20
	// refusalEvery is how often a rate-limited token earns one refusal
	// back.
	refusalEvery = 3 * time.Second
	// maxQuoted is the most bytes of a request's path or id an answer
	// quotes.
	maxQuoted = 64
	// maxPathValue is the longest {repo} or {stack} path value the
	// handler passes on, and maxQuoted the longest {id}: run ids are 26
	// characters, names a few dozen.
	maxPathValue = 256
)

// refusalLimiter is a token bucket per principal name for the refusals the
// handler records in the audit log. It is a few lines, so no dependency:
// the principals are the configured tokens, a short fixed list, and the
// bucket never needs more than Allow.
type refusalLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	buckets map[string]*refusalBucket
}

// refusalBucket is one principal's bucket.
type refusalBucket struct {
	tokens float64
	last   time.Time
	// dropped counts refusals not recorded since the last one that was.
	dropped int
}

func newRefusalLimiter() *refusalLimiter {
	return &refusalLimiter{now: time.Now, buckets: map[string]*refusalBucket{}}
}

// allow takes a token from name's bucket. It reports whether one was left,
// how many refusals were dropped since the last allowed one (when it was),
// and how long until the next token (when it was not).
func (l *refusalLimiter) allow(name string) (ok bool, dropped int, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[name]
	if b == nil {
		b = &refusalBucket{tokens: refusalBurst, last: now}
		l.buckets[name] = b
	}
	b.tokens = math.Min(refusalBurst, b.tokens+float64(now.Sub(b.last))/float64(refusalEvery))
	b.last = now
	if b.tokens < 1 {
		b.dropped++
		return false, 0, time.Duration((1 - b.tokens) * float64(refusalEvery))
	}
	b.tokens--
	dropped, b.dropped = b.dropped, 0
	return true, dropped, 0
}

// tooManyRefusals is the 429 answered to a rate-limited token.
func tooManyRefusals(w http.ResponseWriter, name string, wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return &problem{
		status: http.StatusTooManyRequests,
		msg: fmt.Sprintf("token %q was refused %d times in quick succession; wait %ds: its role does not allow this request",
			name, refusalBurst, secs),
	}
}

// quote is s quoted for an answer: at most maxQuoted bytes of it, with its
// length when it was cut.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:maxQuoted]), len(s))
}

// clip is s for an answer, unquoted: at most maxQuoted bytes of it, with
// its length when it was cut.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:maxQuoted], len(s))
}

// checkPathValues refuses a request whose {id}, {repo} or {stack} is
// longer than any the server has: nothing that long exists, and it is not
// passed on or echoed.
func checkPathValues(r *http.Request) error {
	for _, name := range []string{"id", "repo", "stack"} {
		v, limit := r.PathValue(name), maxPathValue
		if name == "id" {
			limit = maxQuoted
		}
		if len(v) <= limit {
			continue
		}
		what := name
		if name == "id" {
			what = "run id"
		}
		return &problem{
			status: http.StatusNotFound,
			msg:    fmt.Sprintf("no %s %s: it is %d bytes, longer than any driftgate has", what, quote(v), len(v)),
			hint: Hint{
				API: "list what exists with GET /api/v1/runs or /api/v1/stacks",
				CLI: "list what exists with: driftgate runs or driftgate stacks",
			},
		}
	}
	return nil
}

// capPath is a request path as logged: at most maxPathValue bytes of it.
func capPath(p string) string {
	if len(p) <= maxPathValue {
		return p
	}
	return fmt.Sprintf("%s… (%d bytes)", p[:maxPathValue], len(p))
}
