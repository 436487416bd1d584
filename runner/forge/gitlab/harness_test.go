package gitlab

import (
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/runner/forge/forgetest"
)

// The fake GitLab as a forgetest.Harness: it sets state up the way users
// acting on GitLab would (with "reset approvals on push" off, so a stale
// approval stays listed).
var _ forgetest.Harness = (*fakeGitLab)(nil)

func (f *fakeGitLab) newClient(t testing.TB, token string) *Client {
	t.Helper()
	c, err := New(Options{BaseURL: f.srv.URL, Project: fakeProject, Token: token,
		RetryBackoff: time.Millisecond, MaxRateLimitWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fakeGitLab) Client(t testing.TB) forge.Client         { return f.newClient(t, fakeToken) }
func (f *fakeGitLab) BadTokenClient(t testing.TB) forge.Client { return f.newClient(t, "bad-token") }
func (f *fakeGitLab) BaseBranch() string                       { return "main" }

func (f *fakeGitLab) AddUser(t testing.TB, user string, write bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[user]; !ok {
		f.seq++
		f.users[user] = int64(100 + f.seq)
	}
	f.access[f.users[user]] = 20 // reporter
	if write {
		f.access[f.users[user]] = 30 // developer
	}
}

func (f *fakeGitLab) Branch(t testing.TB, branch string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.branches[branch] = f.sha(branch)
	return f.branches[branch]
}

func (f *fakeGitLab) OpenPR(t testing.TB, author, branch string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	head, ok := f.branches[branch]
	if !ok {
		t.Fatalf("fake gitlab: no branch %q", branch)
	}
	return f.open(author, branch, "change "+branch, head).IID
}

func (f *fakeGitLab) Push(t testing.TB, branch string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.branches[branch] = f.sha(branch)
	for _, mr := range f.mrs {
		if mr.Source == branch && mr.State == "opened" {
			mr.SHA = f.branches[branch]
			mr.Versions = append(mr.Versions, f.version(mr.SHA))
		}
	}
	return f.branches[branch]
}

func (f *fakeGitLab) Approve(t testing.TB, reviewer string, number int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mr := f.mrs[number]
	if mr == nil {
		t.Fatalf("fake gitlab: no MR !%d", number)
	}
	mr.Approvals = append(mr.Approvals, map[string]any{"user": f.userJSON(reviewer), "approved_at": f.tick().Format(time.RFC3339)})
}

func (f *fakeGitLab) Merge(t testing.TB, number int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	mr := f.mrs[number]
	if mr == nil {
		t.Fatalf("fake gitlab: no MR !%d", number)
	}
	mr.State, mr.MergeSHA = "merged", f.sha("merge")
	f.branches[mr.Target] = mr.MergeSHA
	return mr.MergeSHA
}

func (f *fakeGitLab) Comment(t testing.TB, user string, number int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	f.notes[int64(f.seq)] = &fakeNote{ID: int64(f.seq), MR: number, Body: body, Author: user, At: f.tick()}
}

func (f *fakeGitLab) Comments(t testing.TB, number int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, n := range f.mrNotes(number) {
		if !n.System {
			out = append(out, n.Body)
		}
	}
	return out
}

func (f *fakeGitLab) Status(t testing.TB, sha, context string) (forge.Status, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.statuses[sha][context]
	if !ok {
		return forge.Status{}, false
	}
	str := func(k string) string { v, _ := s[k].(string); return v }
	state := map[string]forge.StatusState{"pending": forge.StatusPending, "running": forge.StatusPending,
		"success": forge.StatusSuccess, "failed": forge.StatusFailure}[str("status")]
	return forge.Status{Context: str("name"), State: state, Description: str("description"), TargetURL: str("target_url")}, true
}

func TestConformance(t *testing.T) {
	forgetest.Run(t, newFakeGitLab(t))
}

// With pages of two, every list the suite reads spans pages.
func TestConformanceSmallPages(t *testing.T) {
	f := newFakeGitLab(t)
	f.perPage = 2
	forgetest.Run(t, f)
}
