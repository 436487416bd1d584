package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/forge"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openPR opens PR 1 on a fresh fake and returns both.
func openPR(t *testing.T) (*fakeGitHub, *Client) {
	f := newFakeGitHub(t)
	f.AddUser(t, "alice", true)
	f.Branch(t, "feature")
	if n := f.OpenPR(t, "alice", "feature"); n != 1 {
		t.Fatalf("first PR is %d", n)
	}
	return f, f.newClient(t, fakeToken)
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no project", Options{Token: "x"}, `want "owner/name"`},
		{"nested project", Options{Token: "x", Project: "a/b/c"}, `want "owner/name"`},
		{"bad base url", Options{Token: "x", Project: "a/b", BaseURL: "ftp://x"}, "want an http(s) URL"},
		{"no credentials", Options{Project: "a/b"}, "no token and no app"},
		{"incomplete app", Options{Project: "a/b", App: &App{AppID: 1}}, "app needs app_id, installation_id and private_key_file"},
		{"missing key", Options{Project: "a/b", App: &App{AppID: 1, InstallationID: 2, PrivateKeyFile: "/nonexistent.pem"}}, "/nonexistent.pem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New(%+v) error = %v, want it to say %q", tc.opts, err, tc.want)
			}
		})
	}
}

func TestAPIBase(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "https://api.github.com/",
		"https://api.github.com":             "https://api.github.com/",
		"https://github.example.com":         "https://github.example.com/api/v3/",
		"https://github.example.com/api/v3/": "https://github.example.com/api/v3/",
		"http://10.0.0.1:8080/ghe/":          "http://10.0.0.1:8080/ghe/api/v3/",
	} {
		if got, _, err := apiBase(in); err != nil || got != want {
			t.Errorf("apiBase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestUpsertFindsCommentOnALaterPage(t *testing.T) {
	f, c := openPR(t)
	f.perPage = 2
	f.mu.Lock()
	for i := range 5 {
		f.seq++
		f.comments[int64(f.seq)] = &fakeComment{ID: int64(f.seq), Issue: 1, Body: "chatter " + strconv.Itoa(i), Author: "bob"}
		if i == 4 {
			f.comments[int64(f.seq)].Author = "driftgate-bot"
		}
	}
	f.mu.Unlock()
	const marker = "<!-- driftgate:plan:1 -->"
	id, err := c.UpsertComment(testCtx(t), 1, marker, marker+" v1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.UpsertComment(testCtx(t), 1, marker, marker+" v2")
	if err != nil || again != id {
		t.Fatalf("second upsert = %d, %v; want %d", again, err, id)
	}
	got := f.Comments(t, 1)
	if len(got) != 6 || got[5] != marker+" v2" {
		t.Errorf("comments = %q, want 5 others and the updated one", got)
	}
	pages := 0
	for _, r := range f.requests {
		if r == "GET /api/v3/repos/acme/infra/issues/1/comments" {
			pages++
		}
	}
	if pages != 6 { // two upserts × three pages
		t.Errorf("listed %d comment pages, want 6", pages)
	}
}

func TestUpsertNeedsTheMarkerInTheBody(t *testing.T) {
	_, c := openPR(t)
	_, err := c.UpsertComment(testCtx(t), 1, "<!-- m -->", "no marker here")
	if !errors.Is(err, errNoMarker) {
		t.Errorf("error = %v, want errNoMarker", err)
	}
}

func TestCommentOverTheLimitIsRefused(t *testing.T) {
	f, c := openPR(t)
	const marker = "<!-- driftgate:plan:1 -->"
	fits := marker + strings.Repeat("é", MaxCommentLength-len([]rune(marker)))
	if _, err := c.UpsertComment(testCtx(t), 1, marker, fits); err != nil {
		t.Fatalf("a comment of exactly %d characters: %v", MaxCommentLength, err)
	}
	_, err := c.UpsertComment(testCtx(t), 1, marker, fits+"x")
	if err == nil || !strings.Contains(err.Error(), "422") || !strings.Contains(err.Error(), "too long") {
		t.Errorf("over-long comment: error = %v, want GitHub's 422 too long", err)
	}
	if got := f.Comments(t, 1); len(got) != 1 || got[0] != fits {
		t.Errorf("after the refused edit the comment changed")
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	f, c := openPR(t)
	f.fail("/pulls/1", 502, nil, "")
	f.fail("/pulls/1", 503, nil, "")
	pr, err := c.PullRequest(testCtx(t), 1)
	if err != nil || pr.Number != 1 {
		t.Fatalf("PullRequest after two 5xx = %+v, %v", pr, err)
	}
	if n := len(f.requests); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	f, c := openPR(t)
	for range 10 {
		f.fail("/pulls/1", 500, nil, "")
	}
	_, err := c.PullRequest(testCtx(t), 1)
	if err == nil || !strings.Contains(err.Error(), "gave up after 5 attempts") {
		t.Fatalf("error = %v, want gave up after 5 attempts", err)
	}
	if n := len(f.requests); n != 5 {
		t.Errorf("%d requests, want 5", n)
	}
}

func TestConnectionFailuresAreRetried(t *testing.T) {
	f := newFakeGitHub(t)
	url := f.srv.URL
	f.srv.Close()
	c, err := New(Options{BaseURL: url, Project: fakeProject, Token: fakeToken, RetryBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PullRequest(testCtx(t), 1)
	if err == nil || !strings.Contains(err.Error(), "gave up after 5 attempts") {
		t.Errorf("error = %v, want gave up after 5 attempts", err)
	}
}

func TestEachAttemptHasATimeout(t *testing.T) {
	f, _ := openPR(t)
	f.faults = append(f.faults, fault{path: "/pulls/1", status: 200, delay: 5 * time.Second})
	c, err := New(Options{BaseURL: f.srv.URL, Project: fakeProject, Token: fakeToken,
		RetryBackoff: time.Millisecond, CallTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	pr, err := c.PullRequest(testCtx(t), 1)
	if err != nil || pr.Number != 1 {
		t.Fatalf("PullRequest after a hung attempt = %+v, %v", pr, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s: the hung attempt was not cut at the call timeout", d)
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	t.Run("reset near: wait, then succeed", func(t *testing.T) {
		f, c := openPR(t)
		reset := time.Now().Add(time.Second).Unix()
		f.fail("/pulls/1", 403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset, 10)},
			`{"message":"API rate limit exceeded for user ID 1."}`)
		pr, err := c.PullRequest(testCtx(t), 1)
		if err != nil || pr.Number != 1 {
			t.Fatalf("PullRequest = %+v, %v", pr, err)
		}
		if now := time.Now().Unix(); now < reset {
			t.Errorf("retried at %d, before the reset %d", now, reset)
		}
	})
	t.Run("reset far: RateLimitError", func(t *testing.T) {
		f, c := openPR(t)
		reset := time.Now().Add(time.Hour).Unix()
		f.fail("/pulls/1", 429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset, 10)},
			`{"message":"API rate limit exceeded"}`)
		start := time.Now()
		_, err := c.PullRequest(testCtx(t), 1)
		var rle *forge.RateLimitError
		if !errors.As(err, &rle) || rle.Reset.Unix() != reset {
			t.Fatalf("error = %v, want a RateLimitError until %d", err, reset)
		}
		if time.Since(start) > time.Second {
			t.Errorf("waited %s for a reset an hour away", time.Since(start))
		}
	})
	t.Run("reset after the context deadline: RateLimitError", func(t *testing.T) {
		f, c := openPR(t)
		reset := time.Now().Add(2 * time.Second).Unix()
		f.fail("/pulls/1", 403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset, 10)}, "")
		ctx, cancel := context.WithTimeout(testCtx(t), 200*time.Millisecond)
		defer cancel()
		var rle *forge.RateLimitError
		if _, err := c.PullRequest(ctx, 1); !errors.As(err, &rle) {
			t.Fatalf("error = %v, want a RateLimitError", err)
		}
	})
	t.Run("exhausted on a success: the next call waits or refuses", func(t *testing.T) {
		f, c := openPR(t)
		f.remaining, f.resetAfter = 0, time.Hour
		if _, err := c.PullRequest(testCtx(t), 1); err != nil {
			t.Fatal(err)
		}
		before := len(f.requests)
		var rle *forge.RateLimitError
		if _, err := c.PullRequest(testCtx(t), 1); !errors.As(err, &rle) {
			t.Fatalf("error = %v, want a RateLimitError without asking GitHub", err)
		}
		if len(f.requests) != before {
			t.Errorf("the client asked GitHub with its limit exhausted")
		}
	})
}

func TestSecondaryRateLimit(t *testing.T) {
	f, c := openPR(t)
	f.fail("/statuses/", 403, map[string]string{"Retry-After": "1"},
		`{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`)
	start := time.Now()
	if err := c.SetStatus(testCtx(t), "abc", forge.Status{Context: "driftgate/plan", State: forge.StatusPending}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("retried after %s, before Retry-After", d)
	}
	if _, ok := f.Status(t, "abc", "driftgate/plan"); !ok {
		t.Error("status not set after the retry")
	}

	f.fail("/statuses/", 429, map[string]string{"Retry-After": "3600"}, `{"message":"secondary rate limit"}`)
	var rle *forge.RateLimitError
	if err := c.SetStatus(testCtx(t), "abc", forge.Status{Context: "driftgate/plan", State: forge.StatusPending}); !errors.As(err, &rle) {
		t.Errorf("Retry-After an hour: error = %v, want a RateLimitError", err)
	}
}

func TestCanWriteByPermission(t *testing.T) {
	f := newFakeGitHub(t)
	c := f.newClient(t, fakeToken)
	for user, want := range map[string]bool{
		"ann-admin": true, "max-maintain": true, "wes-write": true, "tri-triage": false, "rae-read": false,
		"nobody": false, "ghost-404": false,
	} {
		f.perms[user] = map[string]string{"ann-admin": "admin", "max-maintain": "maintain", "wes-write": "write",
			"tri-triage": "triage", "rae-read": "read"}[user]
		got, err := c.CanWrite(testCtx(t), user)
		if err != nil || got != want {
			t.Errorf("CanWrite(%q) = %v, %v; want %v", user, got, err, want)
		}
	}
}

func TestStatusDescriptionIsCutTo140(t *testing.T) {
	f, c := openPR(t)
	long := strings.Repeat("d", 300)
	if err := c.SetStatus(testCtx(t), "abc", forge.Status{Context: "driftgate/plan", State: forge.StatusSuccess, Description: long}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.Status(t, "abc", "driftgate/plan")
	if n := len([]rune(got.Description)); n != 140 {
		t.Errorf("description has %d characters, want 140", n)
	}
}

func TestFromForkAndClosed(t *testing.T) {
	f, c := openPR(t)
	f.prs[1].HeadRepo = "mallory/infra"
	f.prs[1].State = "closed"
	pr, err := c.PullRequest(testCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !pr.FromFork || pr.State != forge.PRClosed || pr.MergeCommitSHA != "" {
		t.Errorf("PR = %+v, want a closed fork PR", *pr)
	}
}

func appKey(t *testing.T) string {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return keyFile
}

func TestGitHubAppWrongInstallationIsUnauthorized(t *testing.T) {
	f, _ := openPR(t)
	c, err := New(Options{BaseURL: f.srv.URL, Project: fakeProject,
		App: &App{AppID: 7, InstallationID: 43, PrivateKeyFile: appKey(t)}, RetryBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PullRequest(testCtx(t), 1); !errors.Is(err, forge.ErrUnauthorized) {
		t.Errorf("error = %v, want ErrUnauthorized", err)
	}
	if n := len(f.requests); n != 1 {
		t.Errorf("%d requests: a refused token exchange must not be retried", n)
	}
}

func TestGitHubAppInstallation(t *testing.T) {
	f, _ := openPR(t)
	keyFile := appKey(t)
	c, err := New(Options{BaseURL: f.srv.URL, Project: fakeProject,
		App: &App{AppID: 7, InstallationID: 42, PrivateKeyFile: keyFile}, RetryBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if pr, err := c.PullRequest(testCtx(t), 1); err != nil || pr.Author != "alice" {
			t.Fatalf("PullRequest as the app = %+v, %v", pr, err)
		}
	}
	if f.appTokens != 1 || f.lastAuth != "token "+fakeAppTok {
		t.Errorf("installation tokens issued %d, last auth %q: want one token, reused", f.appTokens, f.lastAuth)
	}
	// The app finds its own comment again: it writes as "driftgate[bot]".
	const marker = "<!-- driftgate:plan:1 -->"
	for _, body := range []string{"v1", "v2"} {
		if _, err := c.UpsertComment(testCtx(t), 1, marker, marker+body); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.Comments(t, 1); len(got) != 1 || got[0] != marker+"v2" {
		t.Errorf("comments = %q, want the app's one comment updated", got)
	}
}

func TestLostAnswerDoesNotDoubleTheComment(t *testing.T) {
	f, c := openPR(t)
	const marker = "<!-- driftgate:plan:1 -->"
	f.faults = append(f.faults, fault{path: "POST /api/v3/repos/acme/infra/issues/1/comments", status: 502, lost: true,
		body: `{"message":"Server Error"}`})
	if _, err := c.UpsertComment(testCtx(t), 1, marker, marker+" plan"); err != nil {
		t.Fatal(err)
	}
	if got := f.Comments(t, 1); len(got) != 1 {
		t.Errorf("comments = %q: the retried upsert made a second comment", got)
	}
	if len(f.faults) != 0 {
		t.Error("the lost answer was never simulated")
	}
}

func TestReviewsSpanPages(t *testing.T) {
	f, c := openPR(t)
	f.perPage = 2
	for i := range 5 {
		f.Approve(t, "reviewer"+strconv.Itoa(i), 1)
	}
	got, err := c.Reviews(testCtx(t), 1)
	if err != nil || len(got) != 5 || got[4].User != "reviewer4" {
		t.Fatalf("Reviews = %+v, %v; want 5 across 3 pages", got, err)
	}
}

func TestLostCreateReturnsTheOpenPR(t *testing.T) {
	f, c := openPR(t)
	f.Branch(t, "drift-fix")
	f.faults = append(f.faults, fault{path: "POST /api/v3/repos/acme/infra/pulls", status: 504, lost: true, body: `{"message":"timeout"}`})
	pr, err := c.CreatePullRequest(testCtx(t), forge.NewPullRequest{Title: "fix", Head: "drift-fix", Base: "main"})
	if err != nil || pr.Number != 2 || len(f.prs) != 2 {
		t.Errorf("CreatePullRequest after a lost answer = %+v, %v; want PR 2, made once", pr, err)
	}
	if len(f.faults) != 0 {
		t.Error("the lost answer was never simulated")
	}
}
