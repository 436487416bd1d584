package giteatest

import (
	"strings"
	"sync"
	"testing"

	"code.gitea.io/sdk/gitea"

	"github.com/driftgate/driftgate/runner/forge"
)

// Harness is one repository on a Gitea with the methods the forge
// conformance suite (runner/forge/forgetest) asks of a forge: users by their
// exact names, branches, PRs, reviews, merges, comments and statuses. Its
// bot, whose token Client uses, is an admin of the repository (Gitea shows
// other users' permissions only to admins).
//
// Users keep the names the suite gives, so give the Harness a Server of its
// own (Start), not the Shared one.
type Harness struct {
	S    *Server
	Repo string // "owner/name"
	Bot  User

	newClient func(tb testing.TB, token string) forge.Client

	mu    sync.Mutex
	users map[string]User
}

// NewHarness creates an organization and a repository on s, and a bot user.
// newClient builds the forge client under test for the repository, with
// the given token.
func NewHarness(tb testing.TB, s *Server, newClient func(tb testing.TB, baseURL, project, token string) forge.Client) *Harness {
	tb.Helper()
	h := &Harness{S: s, users: map[string]User{}}
	h.Repo = s.CreateRepo(tb, s.CreateOrg(tb, "conformance"), "infra")
	h.Bot = s.CreateUser(tb, "driftbot")
	s.AddCollaborator(tb, h.Repo, h.Bot.Name, gitea.AccessModeAdmin)
	h.newClient = func(tb testing.TB, token string) forge.Client { return newClient(tb, s.URL, h.Repo, token) }
	return h
}

// Client is the client under test, as the bot.
func (h *Harness) Client(tb testing.TB) forge.Client { return h.newClient(tb, h.Bot.Token) }

// BadTokenClient is a client whose token Gitea refuses.
func (h *Harness) BadTokenClient(tb testing.TB) forge.Client {
	return h.newClient(tb, "bad-token-"+randomHex(8))
}

// BaseBranch is main.
func (h *Harness) BaseBranch() string { return "main" }

// AddUser creates user (on first use) and makes them a collaborator with
// write or read access.
func (h *Harness) AddUser(tb testing.TB, user string, write bool) {
	tb.Helper()
	h.user(tb, user)
	mode := gitea.AccessModeRead
	if write {
		mode = gitea.AccessModeWrite
	}
	h.S.AddCollaborator(tb, h.Repo, user, mode)
}

func (h *Harness) user(tb testing.TB, name string) User {
	tb.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	u, ok := h.users[name]
	if !ok {
		u = h.S.CreateUserNamed(tb, name)
		h.users[name] = u
	}
	return u
}

// Branch creates branch off main with one commit, as the admin.
func (h *Harness) Branch(tb testing.TB, branch string) string {
	tb.Helper()
	return h.Push(tb, branch)
}

// Push adds a commit to branch, as the admin.
func (h *Harness) Push(tb testing.TB, branch string) string {
	tb.Helper()
	name := branch + "/" + randomHex(4) + ".tf"
	return h.S.Commit(tb, h.S.Admin, h.Repo, branch, "change "+branch, map[string]string{name: "# " + name + "\n"})
}

// OpenPR opens a PR from branch into main as author.
func (h *Harness) OpenPR(tb testing.TB, author, branch string) int {
	tb.Helper()
	return int(h.S.OpenPR(tb, h.user(tb, author), h.Repo, branch, "main", "change "+branch).Index)
}

// Approve approves PR number as reviewer on its head.
func (h *Harness) Approve(tb testing.TB, reviewer string, number int) {
	tb.Helper()
	h.S.Review(tb, h.user(tb, reviewer), h.Repo, int64(number), gitea.ReviewStateApproved, "")
}

// Merge merges PR number and returns the merge commit.
func (h *Harness) Merge(tb testing.TB, number int) string {
	tb.Helper()
	pr := h.S.Merge(tb, h.Repo, int64(number))
	if pr.MergedCommitID == nil {
		tb.Fatalf("giteatest: PR %d merged without a merge commit", number)
	}
	return *pr.MergedCommitID
}

// Comment posts body on PR number as user.
func (h *Harness) Comment(tb testing.TB, user string, number int, body string) {
	tb.Helper()
	h.S.Comment(tb, h.user(tb, user), h.Repo, int64(number), body)
}

// Comments returns the bodies of PR number's comments, oldest first.
func (h *Harness) Comments(tb testing.TB, number int) []string {
	tb.Helper()
	owner, name := split(tb, h.Repo)
	list, _, err := h.S.Client(tb, h.S.Admin).ListIssueComments(owner, name, int64(number), gitea.ListIssueCommentOptions{})
	if err != nil {
		tb.Fatalf("giteatest: comments of PR %d: %v", number, err)
	}
	var bodies []string
	for _, c := range list {
		bodies = append(bodies, c.Body)
	}
	return bodies
}

// Status returns the latest commit status named context on sha.
func (h *Harness) Status(tb testing.TB, sha, context string) (forge.Status, bool) {
	tb.Helper()
	owner, name := split(tb, h.Repo)
	combined, _, err := h.S.Client(tb, h.S.Admin).GetCombinedStatus(owner, name, sha)
	if err != nil {
		tb.Fatalf("giteatest: statuses of %s: %v", sha, err)
	}
	for _, s := range combined.Statuses {
		if strings.EqualFold(s.Context, context) {
			return forge.Status{Context: s.Context, State: forge.StatusState(s.State), Description: s.Description, TargetURL: s.TargetURL}, true
		}
	}
	return forge.Status{}, false
}
