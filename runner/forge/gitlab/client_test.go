package gitlab

import (
	"context"
	"errors"
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

// openMR opens MR !1 on a fresh fake and returns both.
func openMR(t *testing.T) (*fakeGitLab, *Client) {
	f := newFakeGitLab(t)
	f.AddUser(t, "alice", true)
	f.Branch(t, "feature")
	if n := f.OpenPR(t, "alice", "feature"); n != 1 {
		t.Fatalf("first MR is %d", n)
	}
	return f, f.newClient(t, fakeToken)
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no project", Options{Token: "x"}, "want the full path"},
		{"no namespace", Options{Token: "x", Project: "infra"}, "want the full path"},
		{"no token", Options{Project: "a/b"}, "no token"},
		{"bad base url", Options{Token: "x", Project: "a/b", BaseURL: "gitlab.example.com"}, "want an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New(%+v) error = %v, want it to say %q", tc.opts, err, tc.want)
			}
		})
	}
}

func TestNestedGroupProjectPath(t *testing.T) {
	f := newFakeGitLab(t)
	c, err := New(Options{BaseURL: f.srv.URL, Project: "acme/platform/infra", Token: fakeToken, RetryBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.PullRequest(testCtx(t), 1)
	if got := f.requests[0]; got != "GET /api/v4/projects/acme%2Fplatform%2Finfra/merge_requests/1" {
		t.Errorf("request %q: want the path URL-encoded as one id", got)
	}
}

func TestUpsertFindsNoteOnALaterPage(t *testing.T) {
	f, c := openMR(t)
	f.perPage = 2
	f.mu.Lock()
	for i := range 5 {
		f.seq++
		f.notes[int64(f.seq)] = &fakeNote{ID: int64(f.seq), MR: 1, Body: "chatter " + strconv.Itoa(i), At: f.tick(), System: i%2 == 0}
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
	if len(got) != 3 || got[2] != marker+" v2" {
		t.Errorf("notes = %q, want two others and the updated one", got)
	}
}

func TestSystemNotesAreNeverEdited(t *testing.T) {
	f, c := openMR(t)
	const marker = "<!-- driftgate:plan:1 -->"
	f.mu.Lock()
	f.seq++
	f.notes[int64(f.seq)] = &fakeNote{ID: int64(f.seq), MR: 1, Body: "mentioned in " + marker, System: true, At: f.tick()}
	f.mu.Unlock()
	if _, err := c.UpsertComment(testCtx(t), 1, marker, marker+" plan"); err != nil {
		t.Fatal(err)
	}
	if got := f.Comments(t, 1); len(got) != 1 || got[0] != marker+" plan" {
		t.Errorf("notes = %q, want a new note beside the system note", got)
	}
}

func TestNoteOverTheLimitIsRefused(t *testing.T) {
	f, c := openMR(t)
	const marker = "<!-- driftgate:plan:1 -->"
	fits := marker + strings.Repeat("x", MaxCommentLength-len(marker))
	if _, err := c.UpsertComment(testCtx(t), 1, marker, fits); err != nil {
		t.Fatalf("a note of exactly %d characters: %v", MaxCommentLength, err)
	}
	_, err := c.UpsertComment(testCtx(t), 1, marker, fits+"x")
	if err == nil || !strings.Contains(err.Error(), "is too long") {
		t.Errorf("over-long note: error = %v, want GitLab's 400 too long", err)
	}
	if got := f.Comments(t, 1); len(got) != 1 || got[0] != fits {
		t.Errorf("after the refused edit the note changed")
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	f, c := openMR(t)
	f.fail("/merge_requests/1", 502, nil, "")
	f.fail("/merge_requests/1", 500, nil, "")
	mr, err := c.PullRequest(testCtx(t), 1)
	if err != nil || mr.Number != 1 {
		t.Fatalf("PullRequest after two 5xx = %+v, %v", mr, err)
	}
	if n := len(f.requests); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	f, c := openMR(t)
	for range 10 {
		f.fail("/merge_requests/1", 503, nil, "")
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
	f := newFakeGitLab(t)
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
	f, _ := openMR(t)
	f.faults = append(f.faults, fault{path: "/merge_requests/1", status: 200, delay: 5 * time.Second})
	c, err := New(Options{BaseURL: f.srv.URL, Project: fakeProject, Token: fakeToken,
		RetryBackoff: time.Millisecond, CallTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if mr, err := c.PullRequest(testCtx(t), 1); err != nil || mr.Number != 1 {
		t.Fatalf("PullRequest after a hung attempt = %+v, %v", mr, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s: the hung attempt was not cut at the call timeout", d)
	}
}

func TestRateLimit(t *testing.T) {
	t.Run("429 with a near reset: wait, then succeed", func(t *testing.T) {
		f, c := openMR(t)
		reset := time.Now().Add(time.Second).Unix()
		f.fail("/merge_requests/1", 429, map[string]string{"RateLimit-Remaining": "0", "RateLimit-Reset": strconv.FormatInt(reset, 10)},
			`{"message":"Retry later"}`)
		if mr, err := c.PullRequest(testCtx(t), 1); err != nil || mr.Number != 1 {
			t.Fatalf("PullRequest = %+v, %v", mr, err)
		}
		if now := time.Now().Unix(); now < reset {
			t.Errorf("retried at %d, before the reset %d", now, reset)
		}
	})
	t.Run("429 with Retry-After an hour: RateLimitError", func(t *testing.T) {
		f, c := openMR(t)
		f.fail("/merge_requests/1", 429, map[string]string{"Retry-After": "3600"}, `{"message":"Retry later"}`)
		start := time.Now()
		_, err := c.PullRequest(testCtx(t), 1)
		var rle *forge.RateLimitError
		if !errors.As(err, &rle) || rle.Reset.Before(start.Add(59*time.Minute)) {
			t.Fatalf("error = %v, want a RateLimitError an hour ahead", err)
		}
		if time.Since(start) > time.Second {
			t.Errorf("waited %s for a reset an hour away", time.Since(start))
		}
	})
	t.Run("exhausted on a success: the next call refuses without asking", func(t *testing.T) {
		f, c := openMR(t)
		f.remaining = 0
		if _, err := c.PullRequest(testCtx(t), 1); err != nil {
			t.Fatal(err)
		}
		before := len(f.requests)
		var rle *forge.RateLimitError
		if _, err := c.PullRequest(testCtx(t), 1); !errors.As(err, &rle) {
			t.Fatalf("error = %v, want a RateLimitError", err)
		}
		if len(f.requests) != before {
			t.Errorf("the client asked GitLab with its limit exhausted")
		}
	})
}

func TestCanWriteByAccessLevel(t *testing.T) {
	f := newFakeGitLab(t)
	c := f.newClient(t, fakeToken)
	for user, lvl := range map[string]int{"guest": 10, "reporter": 20, "developer": 30, "maintainer": 40, "owner": 50, "outsider": -1} {
		f.AddUser(t, user, false)
		if lvl < 0 {
			delete(f.access, f.users[user]) // a GitLab user who is no member
		} else {
			f.access[f.users[user]] = lvl
		}
	}
	for user, want := range map[string]bool{"guest": false, "reporter": false, "developer": true, "maintainer": true,
		"owner": true, "outsider": false, "nobody": false} {
		if got, err := c.CanWrite(testCtx(t), user); err != nil || got != want {
			t.Errorf("CanWrite(%q) = %v, %v; want %v", user, got, err, want)
		}
	}
}

func TestStatusStates(t *testing.T) {
	f, c := openMR(t)
	for _, tc := range []struct {
		in   forge.StatusState
		want string
	}{
		{forge.StatusPending, "pending"},
		{forge.StatusPending, "pending"}, // again: GitLab's "Cannot transition" is not an error
		{forge.StatusSuccess, "success"},
		{forge.StatusFailure, "failed"},
		{forge.StatusError, "failed"},
	} {
		if err := c.SetStatus(testCtx(t), "abc", forge.Status{Context: "driftgate/plan", State: tc.in}); err != nil {
			t.Fatalf("SetStatus(%s): %v", tc.in, err)
		}
		if got := f.statuses["abc"]["driftgate/plan"]["status"]; got != tc.want {
			t.Errorf("SetStatus(%s): GitLab state %v, want %s", tc.in, got, tc.want)
		}
	}
}

func TestReviewsNameTheHeadAtApprovalTime(t *testing.T) {
	f, c := openMR(t)
	f.perPage = 1 // versions span pages
	first := f.mrs[1].SHA
	f.AddUser(t, "bob", true)
	f.AddUser(t, "carol", true)
	f.AddUser(t, "dave", true)
	f.Approve(t, "bob", 1)
	second := f.Push(t, "feature")
	f.Approve(t, "carol", 1)
	third := f.Push(t, "feature")
	f.mrs[1].Approvals = append(f.mrs[1].Approvals, map[string]any{"user": f.userJSON("dave")}) // no approved_at (older GitLab)

	got, err := c.Reviews(testCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"bob": first, "carol": second, "dave": third}
	if len(got) != 3 {
		t.Fatalf("Reviews = %+v, want 3", got)
	}
	for _, r := range got {
		if r.State != forge.ReviewApproved || r.CommitSHA != want[r.User] || r.ID != f.users[r.User] {
			t.Errorf("review %+v: want approved on %s with the user's id", r, want[r.User])
		}
	}
	if got[0].User != "dave" || got[1].User != "bob" || got[2].User != "carol" {
		t.Errorf("order %s %s %s: want oldest first (no time first)", got[0].User, got[1].User, got[2].User)
	}
}

func TestMRStates(t *testing.T) {
	f, c := openMR(t)
	f.mrs[1].SourceProject = 777
	f.mrs[1].State = "closed"
	pr, err := c.PullRequest(testCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !pr.FromFork || pr.State != forge.PRClosed {
		t.Errorf("PR = %+v, want a closed fork MR", *pr)
	}
	f.mrs[1].State = "locked"
	if pr, _ = c.PullRequest(testCtx(t), 1); pr.State != forge.PROpen {
		t.Errorf("locked MR: state %q, want open", pr.State)
	}
}

func TestLostAnswerDoesNotDoubleTheNote(t *testing.T) {
	f, c := openMR(t)
	const marker = "<!-- driftgate:plan:1 -->"
	f.faults = append(f.faults, fault{path: "POST /api/v4/projects/acme/infra/merge_requests/1/notes", status: 502, lost: true,
		body: `{"message":"502 Bad Gateway"}`})
	if _, err := c.UpsertComment(testCtx(t), 1, marker, marker+" plan"); err != nil {
		t.Fatal(err)
	}
	if got := f.Comments(t, 1); len(got) != 1 {
		t.Errorf("notes = %q: the retried upsert made a second note", got)
	}
	if len(f.faults) != 0 {
		t.Error("the lost answer was never simulated")
	}
}

func TestLostCreateReturnsTheOpenMR(t *testing.T) {
	f, c := openMR(t)
	f.Branch(t, "drift-fix")
	f.faults = append(f.faults, fault{path: "POST /api/v4/projects/acme/infra/merge_requests", status: 504, lost: true, body: `{"message":"timeout"}`})
	mr, err := c.CreatePullRequest(testCtx(t), forge.NewPullRequest{Title: "fix", Head: "drift-fix", Base: "main"})
	if err != nil || mr.Number != 2 || len(f.mrs) != 2 {
		t.Errorf("CreatePullRequest after a lost answer = %+v, %v; want MR 2, made once", mr, err)
	}
	if len(f.faults) != 0 {
		t.Error("the lost answer was never simulated")
	}
}
