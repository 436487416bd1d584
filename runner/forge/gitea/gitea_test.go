package gitea

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/test/giteatest"
)

// The tests below run against one real Gitea (test/giteatest), skipped
// when it is not built (make gitea).
func TestMain(m *testing.M) { os.Exit(giteatest.Main(m)) }

// fixture is a repository in an organization, a bot user (repository
// admin) whose token the Client uses, and users with write and read access.
type fixture struct {
	srv                    *giteatest.Server
	repo                   string
	bot, alice, bob, carol giteatest.User // alice, bob, carol: write
	reader, stranger       giteatest.User
	client                 *Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := giteatest.Shared(t)
	p := &fixture{srv: srv}
	org := srv.CreateOrg(t, "acme")
	p.repo = srv.CreateRepo(t, org, "infra")
	p.bot = srv.CreateUser(t, "driftbot")
	srv.AddCollaborator(t, p.repo, p.bot.Name, sdk.AccessModeAdmin)
	for _, u := range []*giteatest.User{&p.alice, &p.bob, &p.carol} {
		*u = srv.CreateUser(t, "writer")
		srv.AddCollaborator(t, p.repo, u.Name, sdk.AccessModeWrite)
	}
	p.reader = srv.CreateUser(t, "reader")
	srv.AddCollaborator(t, p.repo, p.reader.Name, sdk.AccessModeRead)
	p.stranger = srv.CreateUser(t, "stranger")
	p.client = p.newClient(t, srv.URL, Options{})
	return p
}

func (p *fixture) newClient(t *testing.T, base string, o Options) *Client {
	t.Helper()
	o.BaseURL, o.Project, o.Token = base, p.repo, p.bot.Token
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (p *fixture) openPR(t *testing.T, author giteatest.User, branch string) (*sdk.PullRequest, string) {
	t.Helper()
	head := p.srv.Commit(t, author, p.repo, branch, "change "+branch, map[string]string{branch + ".tf": "# " + branch + "\n"})
	return p.srv.OpenPR(t, author, p.repo, branch, "main", "change "+branch), head
}

func TestPullRequestAndReviews(t *testing.T) {
	p := newFixture(t)
	ctx := context.Background()
	pr, first := p.openPR(t, p.alice, "feature")
	p.srv.Review(t, p.bob, p.repo, pr.Index, sdk.ReviewStateApproved, "")
	second := p.srv.Commit(t, p.alice, p.repo, "feature", "second", map[string]string{"more.tf": "# more\n"})
	waitHead(t, p, int(pr.Index), second)
	p.srv.Review(t, p.carol, p.repo, pr.Index, sdk.ReviewStateApproved, "")
	p.srv.Review(t, p.bob, p.repo, pr.Index, sdk.ReviewStateComment, "")

	got, err := p.client.PullRequest(ctx, int(pr.Index))
	if err != nil {
		t.Fatal(err)
	}
	want := forge.PullRequest{
		Number: int(pr.Index), Title: "change feature", Author: p.alice.Name, HeadSHA: second,
		HeadRef: "feature", BaseRef: "main", State: forge.PROpen, URL: pr.HTMLURL,
	}
	if *got != want {
		t.Errorf("PullRequest =\n%+v\nwant\n%+v", *got, want)
	}

	reviews, err := p.client.Reviews(ctx, int(pr.Index))
	if err != nil {
		t.Fatal(err)
	}
	type short struct {
		user, sha string
		state     forge.ReviewState
	}
	var gotR []short
	for _, r := range reviews {
		if r.ID == 0 || r.SubmittedAt.IsZero() {
			t.Errorf("review %+v lacks id or time", r)
		}
		gotR = append(gotR, short{r.User, r.CommitSHA, r.State})
	}
	wantR := []short{
		{p.bob.Name, first, forge.ReviewApproved}, // stale: given on the first head
		{p.carol.Name, second, forge.ReviewApproved},
		{p.bob.Name, second, forge.ReviewCommented},
	}
	if len(gotR) != len(wantR) {
		t.Fatalf("Reviews = %+v, want %+v", gotR, wantR)
	}
	for i := range wantR {
		if gotR[i] != wantR[i] {
			t.Errorf("review %d = %+v, want %+v", i, gotR[i], wantR[i])
		}
	}

	if _, err := p.client.PullRequest(ctx, 9999); !errors.Is(err, forge.ErrNotFound) {
		t.Errorf("PullRequest(9999) err = %v, want ErrNotFound", err)
	}
	if _, err := p.client.Reviews(ctx, 9999); !errors.Is(err, forge.ErrNotFound) {
		t.Errorf("Reviews(9999) err = %v, want ErrNotFound", err)
	}
	bad := p.newClient(t, p.srv.URL, Options{})
	bad.token = "bad-token-0123456789"
	_, err = bad.PullRequest(ctx, int(pr.Index))
	if !errors.Is(err, forge.ErrUnauthorized) || strings.Contains(err.Error(), bad.token) {
		t.Errorf("bad token: err = %v, want ErrUnauthorized without the token", err)
	}
}

// waitHead waits until Gitea has moved PR number's head to sha (it does so
// in the background after a push).
func waitHead(t *testing.T, p *fixture, number int, sha string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pr, err := p.client.PullRequest(context.Background(), number)
		if err == nil && pr.HeadSHA == sha {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PR %d head did not become %s (last %+v, %v)", number, sha, pr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMergedAndClosedPR(t *testing.T) {
	p := newFixture(t)
	ctx := context.Background()
	merged, head := p.openPR(t, p.alice, "merge-me")
	m := p.srv.Merge(t, p.repo, merged.Index)
	got, err := p.client.PullRequest(ctx, int(merged.Index))
	if err != nil {
		t.Fatal(err)
	}
	if got.State != forge.PRMerged || got.MergeCommitSHA == "" || got.MergeCommitSHA != *m.MergedCommitID || got.HeadSHA != head {
		t.Errorf("merged PR = %+v, want merged with merge commit %s and head %s", got, *m.MergedCommitID, head)
	}

	closed, _ := p.openPR(t, p.alice, "close-me")
	p.srv.Close(t, p.repo, closed.Index)
	got, err = p.client.PullRequest(ctx, int(closed.Index))
	if err != nil {
		t.Fatal(err)
	}
	if got.State != forge.PRClosed || got.MergeCommitSHA != "" {
		t.Errorf("closed PR = %+v, want closed without merge commit", got)
	}
}

func TestPullRequestFromFork(t *testing.T) {
	p := newFixture(t)
	fork := p.srv.Fork(t, p.stranger, p.repo)
	p.srv.Commit(t, p.stranger, fork, "evil", "from a fork", map[string]string{"evil.tf": "# evil\n"})
	pr := p.srv.OpenPR(t, p.stranger, p.repo, p.stranger.Name+":evil", "main", "from a fork")
	got, err := p.client.PullRequest(context.Background(), int(pr.Index))
	if err != nil {
		t.Fatal(err)
	}
	if !got.FromFork || got.Author != p.stranger.Name || got.HeadRef != "evil" {
		t.Errorf("fork PR = %+v, want FromFork by %s from evil", got, p.stranger.Name)
	}
	same, _ := p.openPR(t, p.alice, "same-repo")
	if got, err := p.client.PullRequest(context.Background(), int(same.Index)); err != nil || got.FromFork {
		t.Errorf("same-repo PR FromFork = %v, %v; want false", got.FromFork, err)
	}
}

func TestCanWrite(t *testing.T) {
	p := newFixture(t)
	tests := []struct {
		user string
		want bool
	}{
		{p.alice.Name, true},
		{p.bot.Name, true}, // admin
		{p.srv.Admin.Name, true},
		{p.reader.Name, false},
		{p.stranger.Name, false},
	}
	for _, tt := range tests {
		got, err := p.client.CanWrite(context.Background(), tt.user)
		if err != nil || got != tt.want {
			t.Errorf("CanWrite(%s) = %v, %v; want %v", tt.user, got, err, tt.want)
		}
	}
	if got, err := p.client.CanWrite(context.Background(), "nobody-by-that-name"); got || err != nil {
		t.Errorf("CanWrite(unknown user) = %v, %v; want false, nil", got, err)
	}
	gone, err := New(Options{BaseURL: p.srv.URL, Project: p.repo + "-gone", Token: p.bot.Token})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gone.CanWrite(context.Background(), p.alice.Name); !errors.Is(err, forge.ErrNotFound) {
		t.Errorf("CanWrite on a missing repository err = %v, want ErrNotFound", err)
	}

	// A token that is not a repository admin may not read others'
	// permissions: that is an error, never a silent false.
	writer, err := New(Options{BaseURL: p.srv.URL, Project: p.repo, Token: p.alice.Token})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writer.CanWrite(context.Background(), p.bob.Name); !errors.Is(err, forge.ErrUnauthorized) {
		t.Errorf("CanWrite with a writer's token err = %v, want ErrUnauthorized", err)
	}
}

// comments lists PR number's comments as Gitea stores them.
func comments(t *testing.T, p *fixture, number int64) []*sdk.Comment {
	t.Helper()
	owner, name, _ := strings.Cut(p.repo, "/")
	list, _, err := p.srv.Client(t, p.srv.Admin).ListIssueComments(owner, name, number, sdk.ListIssueCommentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestUpsertAndDeleteComment(t *testing.T) {
	p := newFixture(t)
	ctx := context.Background()
	pr, _ := p.openPR(t, p.alice, "commented")
	n := int(pr.Index)
	const marker = "<!-- driftgate:plan:1 -->"
	// Someone quoting the marker: never edited.
	quote := p.srv.Comment(t, p.alice, p.repo, pr.Index, "quoting "+marker)

	id1, err := p.client.UpsertComment(ctx, n, marker, marker+"\nfirst plan")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := p.client.UpsertComment(ctx, n, marker, marker+"\nsecond plan")
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 {
		t.Errorf("second upsert made comment %d, want %d updated", id2, id1)
	}
	other, err := p.client.UpsertComment(ctx, n, "<!-- driftgate:plan:2 -->", "<!-- driftgate:plan:2 -->\nrest")
	if err != nil || other == id1 {
		t.Fatalf("second marker: id %d, %v", other, err)
	}
	got := map[int64]string{}
	for _, c := range comments(t, p, pr.Index) {
		got[c.ID] = c.Body
	}
	want := map[int64]string{quote.ID: "quoting " + marker, id1: marker + "\nsecond plan", other: "<!-- driftgate:plan:2 -->\nrest"}
	if len(got) != len(want) {
		t.Fatalf("comments = %v, want %v", got, want)
	}
	for id, body := range want {
		if got[id] != body {
			t.Errorf("comment %d = %q, want %q", id, got[id], body)
		}
	}

	if err := p.client.DeleteComment(ctx, n, marker); err != nil {
		t.Fatal(err)
	}
	if err := p.client.DeleteComment(ctx, n, marker); err != nil {
		t.Fatalf("deleting an absent comment: %v", err)
	}
	left := comments(t, p, pr.Index)
	if len(left) != 2 || left[0].ID != quote.ID || left[1].ID != other {
		t.Errorf("after delete: %d comments, want the quote and the second marker's", len(left))
	}
}

// Bodies over MaxCommentLength are the caller's problem: the client sends
// them whole and Gitea stores them.
func TestUpsertCommentOverLimitIsSentWhole(t *testing.T) {
	p := newFixture(t)
	c := p.newClient(t, p.srv.URL, Options{MaxCommentLength: 100})
	pr, _ := p.openPR(t, p.alice, "big")
	body := "<!-- m -->" + strings.Repeat("x", 500)
	if _, err := c.UpsertComment(context.Background(), int(pr.Index), "<!-- m -->", body); err != nil {
		t.Fatal(err)
	}
	if list := comments(t, p, pr.Index); len(list) != 1 || list[0].Body != body {
		t.Errorf("stored %d comments, want the whole body once", len(list))
	}
}

// flaky is a proxy to the real Gitea that fails requests: fail says, per
// request, whether to answer 502 without forwarding ("drop") or after
// forwarding ("lose the answer").
func flaky(t *testing.T, target string, fail func(r *http.Request) (drop, lose bool)) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		drop, lose := fail(r)
		switch {
		case drop:
			http.Error(w, "bad gateway", http.StatusBadGateway)
		case lose:
			proxy.ServeHTTP(httptest.NewRecorder(), r)
			http.Error(w, "bad gateway", http.StatusBadGateway)
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRetriesAgainstGitea(t *testing.T) {
	p := newFixture(t)
	ctx := context.Background()
	pr, _ := p.openPR(t, p.alice, "flaky")

	var n atomic.Int32
	proxy := flaky(t, p.srv.URL, func(*http.Request) (bool, bool) { return n.Add(1) <= 2, false })
	c := p.newClient(t, proxy.URL, Options{MaxBackoff: 50 * time.Millisecond})
	if got, err := c.PullRequest(ctx, int(pr.Index)); err != nil || got.Number != int(pr.Index) {
		t.Fatalf("PullRequest through two 502s = %+v, %v", got, err)
	}

	// The first comment create reaches Gitea but its answer is lost: the
	// retry must find it instead of adding a second one.
	var lost atomic.Bool
	proxy = flaky(t, p.srv.URL, func(r *http.Request) (bool, bool) {
		return false, r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/comments") && lost.CompareAndSwap(false, true)
	})
	c = p.newClient(t, proxy.URL, Options{MaxBackoff: 50 * time.Millisecond})
	const marker = "<!-- driftgate:plan:1 -->"
	if _, err := c.UpsertComment(ctx, int(pr.Index), marker, marker+" plan"); err != nil {
		t.Fatal(err)
	}
	if !lost.Load() {
		t.Fatal("the proxy lost no answer")
	}
	if list := comments(t, p, pr.Index); len(list) != 1 {
		t.Errorf("%d comments after a lost answer, want 1", len(list))
	}
}

func TestSetStatus(t *testing.T) {
	p := newFixture(t)
	ctx := context.Background()
	_, head := p.openPR(t, p.alice, "status")
	for _, s := range []forge.Status{
		{Context: "driftgate/plan", State: forge.StatusPending, Description: "planning", TargetURL: "https://driftgate.example.com/runs/1"},
		{Context: "driftgate/plan", State: forge.StatusSuccess, Description: "2 stacks planned", TargetURL: "https://driftgate.example.com/runs/1"},
		{Context: "driftgate/apply", State: forge.StatusFailure, Description: "refused"},
	} {
		if err := p.client.SetStatus(ctx, head, s); err != nil {
			t.Fatal(err)
		}
	}
	owner, name, _ := strings.Cut(p.repo, "/")
	combined, _, err := p.srv.Client(t, p.srv.Admin).GetCombinedStatus(owner, name, head)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]sdk.Status{}
	for _, s := range combined.Statuses {
		got[s.Context] = *s
	}
	if s := got["driftgate/plan"]; s.State != sdk.StatusSuccess || s.Description != "2 stacks planned" || s.TargetURL != "https://driftgate.example.com/runs/1" {
		t.Errorf("driftgate/plan = %+v", s)
	}
	if s := got["driftgate/apply"]; s.State != sdk.StatusFailure {
		t.Errorf("driftgate/apply = %+v", s)
	}
	if err := p.client.SetStatus(ctx, strings.Repeat("0", 40), forge.Status{Context: "x", State: forge.StatusSuccess}); err == nil {
		t.Error("status on a commit Gitea does not have: no error")
	}
}

func TestCreatePullRequest(t *testing.T) {
	p := newFixture(t)
	ctx := context.Background()
	head := p.srv.Commit(t, p.alice, p.repo, "bot-branch", "bot change", map[string]string{"bot.tf": "# bot\n"})
	n := forge.NewPullRequest{Title: "driftgate: remediate", Body: "body", Head: "bot-branch", Base: "main"}
	pr, err := p.client.CreatePullRequest(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number == 0 || pr.HeadSHA != head || pr.Author != p.bot.Name || pr.State != forge.PROpen || pr.Title != n.Title {
		t.Errorf("CreatePullRequest = %+v", pr)
	}
	again, err := p.client.CreatePullRequest(ctx, n)
	if err != nil || again.Number != pr.Number {
		t.Errorf("opening it again = %+v, %v; want PR %d", again, err, pr.Number)
	}
	if _, err := p.client.CreatePullRequest(ctx, forge.NewPullRequest{Title: "x", Head: "no-such-branch", Base: "main"}); err == nil {
		t.Error("PR from a missing branch: no error")
	}
}
