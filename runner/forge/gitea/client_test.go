package gitea

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/forge"
)

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string // substring of the error; empty: no error
	}{
		{"ok", Options{BaseURL: "https://gitea.example.com/", Project: "acme/infra", Token: "t"}, ""},
		{"no scheme", Options{BaseURL: "gitea.example.com", Project: "acme/infra", Token: "t"}, "must start with http"},
		{"project without owner", Options{BaseURL: "https://g", Project: "infra", Token: "t"}, `"owner/name"`},
		{"project too deep", Options{BaseURL: "https://g", Project: "a/b/c", Token: "t"}, `"owner/name"`},
		{"no token", Options{BaseURL: "https://g", Project: "acme/infra"}, "token_env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.o)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.MaxCommentLength() != DefaultMaxCommentLength {
					t.Errorf("MaxCommentLength = %d, want %d", c.MaxCommentLength(), DefaultMaxCommentLength)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	c, err := New(Options{BaseURL: "https://g", Project: "a/b", Token: "t", MaxCommentLength: 1000})
	if err != nil || c.MaxCommentLength() != 1000 {
		t.Fatalf("MaxCommentLength = %d, %v; want 1000", c.MaxCommentLength(), err)
	}
}

const prJSON = `{"number":7,"title":"t","user":{"login":"alice"},"state":"open","head":{"ref":"feature","sha":"abc","repo_id":1},"base":{"ref":"main","sha":"def","repo_id":1},"html_url":"http://g/acme/infra/pulls/7"}`

// answers serves the canned responses in order (the last one repeats) and
// counts requests.
func answers(t *testing.T, fns ...http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		fns[min(i, len(fns)-1)](w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func status(code int, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"message":"canned"}`))
	}
}

func body(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(s))
	}
}

func testClient(t *testing.T, url string, o Options) *Client {
	t.Helper()
	o.BaseURL, o.Project, o.Token = url, "acme/infra", "secret-token"
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 20 * time.Millisecond
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		answers   []http.HandlerFunc
		attempts  int
		ok        bool  // PullRequest succeeds
		wantErr   error // the error it wraps, when it fails and that matters
		wantCalls int32
	}{
		{"5xx then success", []http.HandlerFunc{status(502), status(503), body(prJSON)}, 4, true, nil, 3},
		{"5xx throughout", []http.HandlerFunc{status(500)}, 3, false, nil, 3},
		{"404 not retried", []http.HandlerFunc{status(404)}, 4, false, forge.ErrNotFound, 1},
		{"401 not retried", []http.HandlerFunc{status(401)}, 4, false, forge.ErrUnauthorized, 1},
		{"403 not retried", []http.HandlerFunc{status(403)}, 4, false, forge.ErrUnauthorized, 1},
		{"422 not retried", []http.HandlerFunc{status(422)}, 4, false, nil, 1},
		{"429 short then success", []http.HandlerFunc{status(429, "Retry-After", "0"), body(prJSON)}, 4, true, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := answers(t, tt.answers...)
			c := testClient(t, srv.URL, Options{Attempts: tt.attempts})
			pr, err := c.PullRequest(context.Background(), 7)
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.ok:
				if err != nil {
					t.Fatal(err)
				}
				if pr.Number != 7 || pr.Author != "alice" || pr.HeadSHA != "abc" {
					t.Errorf("pr = %+v", pr)
				}
			default:
				if err == nil {
					t.Fatal("no error")
				}
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	t.Run("retry-after beyond the backoff cap is returned at once", func(t *testing.T) {
		srv, calls := answers(t, status(429, "Retry-After", "3600"))
		c := testClient(t, srv.URL, Options{})
		_, err := c.PullRequest(context.Background(), 7)
		var rl *forge.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("err = %v, want a *forge.RateLimitError", err)
		}
		if d := time.Until(rl.Reset); d < 59*time.Minute || d > 61*time.Minute {
			t.Errorf("Reset in %s, want about an hour", d)
		}
		if calls.Load() != 1 {
			t.Errorf("calls = %d, want 1", calls.Load())
		}
	})
	t.Run("429 through every attempt", func(t *testing.T) {
		srv, calls := answers(t, status(429, "Retry-After", "0"))
		c := testClient(t, srv.URL, Options{Attempts: 3})
		_, err := c.PullRequest(context.Background(), 7)
		var rl *forge.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("err = %v, want a *forge.RateLimitError", err)
		}
		if calls.Load() != 3 {
			t.Errorf("calls = %d, want 3", calls.Load())
		}
	})
}

func TestTimeoutPerAttempt(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	srv, calls := answers(t, hang, body(prJSON))
	c := testClient(t, srv.URL, Options{Timeout: 100 * time.Millisecond})
	start := time.Now()
	pr, err := c.PullRequest(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 7 || calls.Load() != 2 {
		t.Errorf("pr %d after %d calls, want 7 after 2", pr.Number, calls.Load())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestCanceledContextStopsRetrying(t *testing.T) {
	srv, calls := answers(t, status(503))
	c := testClient(t, srv.URL, Options{Attempts: 100, MaxBackoff: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.PullRequest(ctx, 7)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if calls.Load() >= 100 {
		t.Errorf("calls = %d", calls.Load())
	}
}

func TestConnectionErrorRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	c := testClient(t, url, Options{Attempts: 3})
	_, err := c.PullRequest(context.Background(), 7)
	if err == nil || errors.Is(err, forge.ErrNotFound) {
		t.Fatalf("err = %v, want a connection error", err)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"5", 5 * time.Second}, {"-3", 0}, {"soon", 0},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in); got != tt.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if got := retryAfter(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)); got < 59*time.Minute {
		t.Errorf("retryAfter(date in an hour) = %s", got)
	}
}

func TestUpsertCommentNeedsMarkerInBody(t *testing.T) {
	srv, calls := answers(t, status(500))
	c := testClient(t, srv.URL, Options{})
	if _, err := c.UpsertComment(context.Background(), 1, "<!-- m -->", "no marker here"); err == nil || !strings.Contains(err.Error(), "marker") {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 0 {
		t.Errorf("calls = %d, want none", calls.Load())
	}
}

func TestSetStatusUnknownState(t *testing.T) {
	srv, calls := answers(t, status(500))
	c := testClient(t, srv.URL, Options{})
	if err := c.SetStatus(context.Background(), "abc", forge.Status{Context: "driftgate/plan", State: "green"}); err == nil {
		t.Fatal("no error for state green")
	}
	if calls.Load() != 0 {
		t.Errorf("calls = %d, want none", calls.Load())
	}
}
