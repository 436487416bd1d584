package runner

import (
	"context"
	"strconv"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/runner/forge"
)

// fakeForge is a forge.Client that answers and records: comments by PR and
// marker, statuses in order. It decides nothing.
type fakeForge struct {
	mu       sync.Mutex
	comments map[int]map[string]string // PR -> marker -> body
	upserts  int
	statuses []fakeStatus
	writers  map[string]bool
	canWrite map[string]int // user -> CanWrite calls
	prs      map[int]*forge.PullRequest
	reviews  map[int][]forge.Review
	fail     error // every call fails with it when set
}

type fakeStatus struct {
	sha string
	forge.Status
}

func newFakeForge() *fakeForge {
	return &fakeForge{comments: map[int]map[string]string{}, writers: map[string]bool{}, prs: map[int]*forge.PullRequest{}, reviews: map[int][]forge.Review{}}
}

func (f *fakeForge) PullRequest(_ context.Context, n int) (*forge.PullRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if pr, ok := f.prs[n]; ok {
		c := *pr
		return &c, nil
	}
	return nil, forge.ErrNotFound
}

func (f *fakeForge) Reviews(_ context.Context, n int) ([]forge.Review, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]forge.Review(nil), f.reviews[n]...), nil
}

func (f *fakeForge) CanWrite(_ context.Context, user string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.canWrite == nil {
		f.canWrite = map[string]int{}
	}
	f.canWrite[user]++
	return f.writers[user], nil
}

func (f *fakeForge) UpsertComment(_ context.Context, n int, marker, body string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, f.fail
	}
	if f.comments[n] == nil {
		f.comments[n] = map[string]string{}
	}
	f.comments[n][marker] = body
	f.upserts++
	return int64(len(f.comments[n])), nil
}

func (f *fakeForge) DeleteComment(_ context.Context, n int, marker string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	delete(f.comments[n], marker)
	return nil
}

func (f *fakeForge) SetStatus(_ context.Context, sha string, s forge.Status) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.statuses = append(f.statuses, fakeStatus{sha, s})
	return nil
}

func (f *fakeForge) CreatePullRequest(context.Context, forge.NewPullRequest) (*forge.PullRequest, error) {
	return nil, forge.ErrNotFound
}

func (f *fakeForge) MaxCommentLength() int { return 65536 }

// commentsOf returns a copy of the comments on PR n.
func (f *fakeForge) commentsOf(n int) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, v := range f.comments[n] {
		out[k] = v
	}
	return out
}

// lastStatus is the newest status of context on sha.
func (f *fakeForge) lastStatus(sha, context string) (forge.Status, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.statuses) - 1; i >= 0; i-- {
		if s := f.statuses[i]; s.sha == sha && s.Context == context {
			return s.Status, true
		}
	}
	return forge.Status{}, false
}

// withForge gives the harness's repo a forge whose client is fake.
func (h *gateHarness) withForge(fake *fakeForge, change func(*ForgeConfig)) RepoConfig {
	h.tb.Helper()
	fc := &ForgeConfig{Kind: forge.GitHub, Project: "acme/infra", Client: fake, Secret: []byte("s3cret")}
	if change != nil {
		change(fc)
	}
	h.d.mu.Lock()
	h.d.cfg.Repos[0].Forge = fc
	h.d.cfg.PublicURL = "https://driftgate.example.com"
	rc := h.d.cfg.Repos[0]
	h.d.mu.Unlock()
	return rc
}

// pushPR commits files as PR n's new head (refs/pull/n/head) off the
// tracked branch, which stays where it was. It returns the PR head.
func (h *gateHarness) pushPR(n int, files map[string]string) string {
	h.tb.Helper()
	main, err := h.repo.Git.Reference("refs/heads/main", true)
	if err != nil {
		h.tb.Fatal(err)
	}
	head := h.repo.Commit("pr change", files)
	sto := h.repo.Git.Storer
	if err := sto.SetReference(plumbing.NewHashReference(plumbing.ReferenceName("refs/pull/"+strconv.Itoa(n)+"/head"), plumbing.NewHash(head))); err != nil {
		h.tb.Fatal(err)
	}
	if err := sto.SetReference(plumbing.NewHashReference("refs/heads/main", main.Hash())); err != nil {
		h.tb.Fatal(err)
	}
	return head
}
