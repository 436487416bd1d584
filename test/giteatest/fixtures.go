package giteatest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"code.gitea.io/sdk/gitea"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// CreateUser creates a user named name plus a number (unique on the server)
// with a token of scope "all".
func (s *Server) CreateUser(tb testing.TB, name string) User {
	tb.Helper()
	return s.CreateUserNamed(tb, s.unique(name))
}

// CreateUserNamed creates a user named exactly name, with a token of scope
// "all"; it fails tb when the name is taken. For tests that need fixed
// names (a conformance suite on its own server, see Start).
func (s *Server) CreateUserNamed(tb testing.TB, name string) User {
	tb.Helper()
	u := User{Name: name, Password: "pw-" + randomHex(8)}
	u.Email = u.Name + "@example.test"
	no := false
	if _, _, err := s.Client(tb, s.Admin).AdminCreateUser(gitea.CreateUserOption{
		Username: u.Name, Email: u.Email, Password: u.Password, MustChangePassword: &no,
	}); err != nil {
		tb.Fatalf("giteatest: create user %s: %v", u.Name, err)
	}
	basic, err := gitea.NewClient(s.URL, gitea.SetBasicAuth(u.Name, u.Password), gitea.SetGiteaVersion(""))
	if err != nil {
		tb.Fatal(err)
	}
	tok, _, err := basic.CreateAccessToken(gitea.CreateAccessTokenOption{
		Name: "giteatest", Scopes: []gitea.AccessTokenScope{gitea.AccessTokenScopeAll},
	})
	if err != nil {
		tb.Fatalf("giteatest: token for %s: %v", u.Name, err)
	}
	u.Token = tok.Token
	return u
}

// CreateOrg creates an organization named name plus a number, owned by the
// admin, and returns its name.
func (s *Server) CreateOrg(tb testing.TB, name string) string {
	tb.Helper()
	org := s.unique(name)
	if _, _, err := s.Client(tb, s.Admin).AdminCreateOrg(s.Admin.Name, gitea.CreateOrgOption{Name: org}); err != nil {
		tb.Fatalf("giteatest: create org %s: %v", org, err)
	}
	return org
}

// CreateRepo creates a public repository named name plus a number, owned by
// owner (a user or an organization; empty: the admin), with one commit on
// main. It returns the full name, "owner/repo".
func (s *Server) CreateRepo(tb testing.TB, owner, name string) string {
	tb.Helper()
	c := s.Client(tb, s.Admin)
	opt := gitea.CreateRepoOption{Name: s.unique(name), AutoInit: true, Readme: "Default", DefaultBranch: "main"}
	var (
		repo *gitea.Repository
		err  error
	)
	switch {
	case owner == "" || owner == s.Admin.Name:
		repo, _, err = c.CreateRepo(opt)
	default:
		if _, _, oerr := c.GetOrg(owner); oerr == nil {
			repo, _, err = c.CreateOrgRepo(owner, opt)
		} else {
			repo, _, err = c.AdminCreateRepo(owner, opt)
		}
	}
	if err != nil {
		tb.Fatalf("giteatest: create repo %s/%s: %v", owner, opt.Name, err)
	}
	return repo.FullName
}

// AddCollaborator gives user access to repo ("owner/name"): gitea.AccessModeRead,
// AccessModeWrite or AccessModeAdmin.
func (s *Server) AddCollaborator(tb testing.TB, repo, user string, mode gitea.AccessMode) {
	tb.Helper()
	owner, name := split(tb, repo)
	if _, err := s.Client(tb, s.Admin).AddCollaborator(owner, name, user, gitea.AddCollaboratorOption{Permission: &mode}); err != nil {
		tb.Fatalf("giteatest: add %s to %s as %s: %v", user, repo, mode, err)
	}
}

// Fork forks repo into u's account and returns the fork's full name.
func (s *Server) Fork(tb testing.TB, u User, repo string) string {
	tb.Helper()
	owner, name := split(tb, repo)
	fork, _, err := s.Client(tb, u).CreateFork(owner, name, gitea.CreateForkOption{})
	if err != nil {
		tb.Fatalf("giteatest: fork %s as %s: %v", repo, u.Name, err)
	}
	return fork.FullName
}

// Commit commits files (path → content) to branch of repo as u, pushes over
// HTTP with u's password, and returns the new head. A branch that does not
// exist yet starts at the default branch's head.
func (s *Server) Commit(tb testing.TB, u User, repo, branch, msg string, files map[string]string) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "clone")
	auth := &githttp.BasicAuth{Username: u.Name, Password: u.Password}
	r, err := git.PlainClone(dir, false, &git.CloneOptions{URL: s.URL + "/" + repo + ".git", Auth: auth})
	if err != nil {
		tb.Fatalf("giteatest: clone %s: %v", repo, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		tb.Fatal(err)
	}
	local := plumbing.NewBranchReferenceName(branch)
	co := &git.CheckoutOptions{Branch: local}
	if _, err := r.Reference(local, false); err != nil {
		co.Create = true // a new local branch: at the remote one, or at HEAD
		if ref, err := r.Reference(plumbing.NewRemoteReferenceName("origin", branch), true); err == nil {
			co.Hash = ref.Hash()
		}
	}
	if err := wt.Checkout(co); err != nil {
		tb.Fatalf("giteatest: check out %s of %s: %v", branch, repo, err)
	}
	for path, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
		if _, err := wt.Add(path); err != nil {
			tb.Fatal(err)
		}
	}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: u.Name, Email: u.Email, When: time.Now()}})
	if err != nil {
		tb.Fatal(err)
	}
	spec := config.RefSpec("refs/heads/" + branch + ":refs/heads/" + branch)
	if err := r.Push(&git.PushOptions{Auth: auth, RefSpecs: []config.RefSpec{spec}}); err != nil {
		tb.Fatalf("giteatest: push %s to %s as %s: %v", branch, repo, u.Name, err)
	}
	return h.String()
}

// OpenPR opens a PR from head into base of repo as u. For a PR from a fork,
// head is "forkowner:branch".
func (s *Server) OpenPR(tb testing.TB, u User, repo, head, base, title string) *gitea.PullRequest {
	tb.Helper()
	owner, name := split(tb, repo)
	pr, _, err := s.Client(tb, u).CreatePullRequest(owner, name, gitea.CreatePullRequestOption{Head: head, Base: base, Title: title})
	if err != nil {
		tb.Fatalf("giteatest: open PR %s→%s on %s as %s: %v", head, base, repo, u.Name, err)
	}
	return pr
}

// Review submits a review of PR number as u: gitea.ReviewStateApproved,
// ReviewStateRequestChanges or ReviewStateComment, on commit (empty: the
// PR's head).
func (s *Server) Review(tb testing.TB, u User, repo string, number int64, state gitea.ReviewStateType, commit string) *gitea.PullReview {
	tb.Helper()
	owner, name := split(tb, repo)
	rv, _, err := s.Client(tb, u).CreatePullReview(owner, name, number, gitea.CreatePullReviewOptions{
		State: state, Body: "review by " + u.Name, CommitID: commit,
	})
	if err != nil {
		tb.Fatalf("giteatest: review PR %d on %s as %s: %v", number, repo, u.Name, err)
	}
	return rv
}

// Comment comments on PR (or issue) number as u.
func (s *Server) Comment(tb testing.TB, u User, repo string, number int64, body string) *gitea.Comment {
	tb.Helper()
	owner, name := split(tb, repo)
	c, _, err := s.Client(tb, u).CreateIssueComment(owner, name, number, gitea.CreateIssueCommentOption{Body: body})
	if err != nil {
		tb.Fatalf("giteatest: comment on %d of %s as %s: %v", number, repo, u.Name, err)
	}
	return c
}

// Merge merges PR number with a merge commit as the admin and returns the
// merged PR.
func (s *Server) Merge(tb testing.TB, repo string, number int64) *gitea.PullRequest {
	tb.Helper()
	owner, name := split(tb, repo)
	c := s.Client(tb, s.Admin)
	// Gitea checks mergeability in the background after a push; retry
	// while it has not finished.
	var lastErr error
	for i := 0; i < 100; i++ {
		ok, _, err := c.MergePullRequest(owner, name, number, gitea.MergePullRequestOption{Style: gitea.MergeStyleMerge})
		if err == nil && ok {
			pr, _, err := c.GetPullRequest(owner, name, number)
			if err != nil {
				tb.Fatal(err)
			}
			return pr
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("giteatest: merge PR %d of %s: %v", number, repo, lastErr)
	return nil
}

// Close closes PR number without merging it.
func (s *Server) Close(tb testing.TB, repo string, number int64) {
	tb.Helper()
	owner, name := split(tb, repo)
	closed := gitea.StateClosed
	if _, _, err := s.Client(tb, s.Admin).EditPullRequest(owner, name, number, gitea.EditPullRequestOption{State: &closed}); err != nil {
		tb.Fatalf("giteatest: close PR %d of %s: %v", number, repo, err)
	}
}

// HookEvents are the events AddWebhook subscribes to.
var HookEvents = []string{
	"push", "pull_request", "pull_request_sync", "issue_comment", "pull_request_comment",
	"pull_request_review_approved", "pull_request_review_rejected", "pull_request_review_comment",
}

// AddWebhook registers a Gitea-type webhook on repo delivering HookEvents as
// JSON to url, signed with secret.
func (s *Server) AddWebhook(tb testing.TB, repo, url, secret string) {
	tb.Helper()
	owner, name := split(tb, repo)
	_, _, err := s.Client(tb, s.Admin).CreateRepoHook(owner, name, gitea.CreateHookOption{
		Type:   gitea.HookTypeGitea,
		Config: map[string]string{"url": url, "content_type": "json", "secret": secret},
		Events: HookEvents, BranchFilter: "*", Active: true,
	})
	if err != nil {
		tb.Fatalf("giteatest: webhook on %s to %s: %v", repo, url, err)
	}
}

func split(tb testing.TB, repo string) (owner, name string) {
	tb.Helper()
	for i := 0; i < len(repo); i++ {
		if repo[i] == '/' {
			return repo[:i], repo[i+1:]
		}
	}
	tb.Fatalf("giteatest: repo %q is not owner/name", repo)
	return "", ""
}
