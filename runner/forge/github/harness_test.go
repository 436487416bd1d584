package github

import (
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/runner/forge/forgetest"
)

// The fake GitHub as a forgetest.Harness: it sets state up the way users
// acting on github.com would.
var _ forgetest.Harness = (*fakeGitHub)(nil)

func (f *fakeGitHub) newClient(t testing.TB, token string) *Client {
	t.Helper()
	c, err := New(Options{BaseURL: f.srv.URL, Project: fakeProject, Token: token,
		RetryBackoff: time.Millisecond, MaxRateLimitWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fakeGitHub) Client(t testing.TB) forge.Client         { return f.newClient(t, fakeToken) }
func (f *fakeGitHub) BadTokenClient(t testing.TB) forge.Client { return f.newClient(t, "bad-token") }
func (f *fakeGitHub) BaseBranch() string                       { return "main" }

func (f *fakeGitHub) AddUser(t testing.TB, user string, write bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.perms[user] = "read"
	if write {
		f.perms[user] = "write"
	}
}

func (f *fakeGitHub) Branch(t testing.TB, branch string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.branches[branch] = f.sha(branch)
	return f.branches[branch]
}

func (f *fakeGitHub) OpenPR(t testing.TB, author, branch string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	head, ok := f.branches[branch]
	if !ok {
		t.Fatalf("fake github: no branch %q", branch)
	}
	pr := &fakePR{Number: len(f.prs) + 1, Title: "change " + branch, Author: author, Head: branch, Base: "main", HeadSHA: head, State: "open"}
	f.prs[pr.Number] = pr
	return pr.Number
}

func (f *fakeGitHub) Push(t testing.TB, branch string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.branches[branch] = f.sha(branch)
	for _, pr := range f.prs {
		if pr.Head == branch && pr.State == "open" {
			pr.HeadSHA = f.branches[branch]
		}
	}
	return f.branches[branch]
}

func (f *fakeGitHub) Approve(t testing.TB, reviewer string, number int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pr := f.prs[number]
	if pr == nil {
		t.Fatalf("fake github: no PR %d", number)
	}
	f.seq++
	pr.Reviews = append(pr.Reviews, map[string]any{"id": f.seq, "user": user(reviewer), "state": "APPROVED",
		"commit_id": pr.HeadSHA, "body": "", "submitted_at": time.Date(2026, 1, 1, 0, 0, f.seq, 0, time.UTC).Format(time.RFC3339)})
}

func (f *fakeGitHub) Merge(t testing.TB, number int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	pr := f.prs[number]
	if pr == nil {
		t.Fatalf("fake github: no PR %d", number)
	}
	pr.State, pr.Merged, pr.MergeSHA = "closed", true, f.sha("merge")
	f.branches[pr.Base] = pr.MergeSHA
	return pr.MergeSHA
}

func (f *fakeGitHub) Comment(t testing.TB, user string, number int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	f.comments[int64(f.seq)] = &fakeComment{ID: int64(f.seq), Issue: number, Body: body, Author: user}
}

func (f *fakeGitHub) Comments(t testing.TB, number int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.issueComments(number) {
		out = append(out, c.Body)
	}
	return out
}

func (f *fakeGitHub) Status(t testing.TB, sha, context string) (forge.Status, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.statuses[sha][context]
	if !ok {
		return forge.Status{}, false
	}
	str := func(k string) string { v, _ := s[k].(string); return v }
	return forge.Status{Context: str("context"), State: forge.StatusState(str("state")),
		Description: str("description"), TargetURL: str("target_url")}, true
}

func TestConformance(t *testing.T) {
	forgetest.Run(t, newFakeGitHub(t))
}

// With pages of two, every list the suite reads spans pages.
func TestConformanceSmallPages(t *testing.T) {
	f := newFakeGitHub(t)
	f.perPage = 2
	forgetest.Run(t, f)
}
