// Package forgetest is the one conformance suite every forge.Client passes.
// A forge package plugs in by implementing Harness over a forge it can set
// up state on (a fake REST server, or a real Gitea) and calling Run.
package forgetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/forge"
)

// Harness sets up state on one project of a forge, as users would, and
// reads back what a client wrote. Every method fails t on error. Users are
// forge user names: AddUser creates them (on first use) and sets their
// access; the suite also asks CanWrite about a user it never added, who
// must not be able to write, whether or not the forge knows the name.
type Harness interface {
	// Client is a client for the project, authenticated as the bot driftgate
	// runs as (a user with write access).
	Client(t testing.TB) forge.Client
	// BadTokenClient is a client for the same project whose token the forge
	// refuses.
	BadTokenClient(t testing.TB) forge.Client
	// BaseBranch is the project's default branch, the target of PRs.
	BaseBranch() string
	// AddUser gives user write access to the project when write is true,
	// and read access (GitLab: reporter) otherwise.
	AddUser(t testing.TB, user string, write bool)
	// Branch creates branch off the base branch with one new commit and
	// returns its head commit.
	Branch(t testing.TB, branch string) (head string)
	// OpenPR opens a PR from branch into the base branch as author (who
	// has been added with AddUser) and returns its number.
	OpenPR(t testing.TB, author, branch string) (number int)
	// Push adds a commit to branch and returns the new head.
	Push(t testing.TB, branch string) (head string)
	// Approve approves PR number as reviewer, on the PR's current head.
	Approve(t testing.TB, reviewer string, number int)
	// Merge merges PR number and returns the merge commit.
	Merge(t testing.TB, number int) (mergeCommit string)
	// Comment posts body on PR number as user.
	Comment(t testing.TB, user string, number int, body string)
	// Comments returns the bodies of PR number's comments (not system
	// notes), oldest first.
	Comments(t testing.TB, number int) []string
	// Status returns the commit status named context on sha, and whether
	// there is one.
	Status(t testing.TB, sha, context string) (forge.Status, bool)
}

// Run runs the suite against h. Each subtest uses its own users and
// branches, so a harness can share one project across them.
func Run(t *testing.T, h Harness) {
	t.Run("PullRequest", func(t *testing.T) { testPullRequest(t, h) })
	t.Run("Reviews", func(t *testing.T) { testReviews(t, h) })
	t.Run("CanWrite", func(t *testing.T) { testCanWrite(t, h) })
	t.Run("UpsertComment", func(t *testing.T) { testUpsertComment(t, h) })
	t.Run("DeleteComment", func(t *testing.T) { testDeleteComment(t, h) })
	t.Run("SetStatus", func(t *testing.T) { testSetStatus(t, h) })
	t.Run("CreatePullRequest", func(t *testing.T) { testCreatePullRequest(t, h) })
	t.Run("MaxCommentLength", func(t *testing.T) {
		if n := h.Client(t).MaxCommentLength(); n <= 0 {
			t.Fatalf("MaxCommentLength() = %d, want > 0", n)
		}
	})
	t.Run("Errors", func(t *testing.T) { testErrors(t, h) })
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func testPullRequest(t *testing.T, h Harness) {
	h.AddUser(t, "pr-author", true)
	head := h.Branch(t, "pr-fields")
	n := h.OpenPR(t, "pr-author", "pr-fields")
	c := h.Client(t)

	pr, err := c.PullRequest(ctx(t), n)
	if err != nil {
		t.Fatalf("PullRequest(%d): %v", n, err)
	}
	want := forge.PullRequest{Number: n, Author: "pr-author", HeadSHA: head, HeadRef: "pr-fields",
		BaseRef: h.BaseBranch(), State: forge.PROpen}
	if pr.Number != want.Number || pr.Author != want.Author || pr.HeadSHA != want.HeadSHA ||
		pr.HeadRef != want.HeadRef || pr.BaseRef != want.BaseRef || pr.State != want.State ||
		pr.FromFork || pr.Draft || pr.MergeCommitSHA != "" {
		t.Errorf("PullRequest(%d) = %+v, want %+v", n, *pr, want)
	}
	if pr.URL == "" || pr.Title == "" {
		t.Errorf("PullRequest(%d): URL %q, Title %q: want both set", n, pr.URL, pr.Title)
	}

	newHead := h.Push(t, "pr-fields")
	if pr, err = c.PullRequest(ctx(t), n); err != nil || pr.HeadSHA != newHead {
		t.Fatalf("after push: PullRequest(%d) = %+v, %v; want head %s", n, pr, err, newHead)
	}

	merge := h.Merge(t, n)
	pr, err = c.PullRequest(ctx(t), n)
	if err != nil {
		t.Fatalf("after merge: PullRequest(%d): %v", n, err)
	}
	if pr.State != forge.PRMerged || pr.MergeCommitSHA != merge {
		t.Errorf("after merge: state %q merge commit %q, want %q %q", pr.State, pr.MergeCommitSHA, forge.PRMerged, merge)
	}
}

func testReviews(t *testing.T, h Harness) {
	h.AddUser(t, "rv-author", true)
	h.AddUser(t, "rv-early", true)
	h.AddUser(t, "rv-late", true)
	first := h.Branch(t, "reviews")
	n := h.OpenPR(t, "rv-author", "reviews")
	h.Approve(t, "rv-early", n)
	second := h.Push(t, "reviews")
	h.Approve(t, "rv-late", n)

	got, err := h.Client(t).Reviews(ctx(t), n)
	if err != nil {
		t.Fatalf("Reviews(%d): %v", n, err)
	}
	byUser := map[string]forge.Review{}
	for _, r := range got {
		if r.State == forge.ReviewApproved {
			byUser[r.User] = r
		}
	}
	// A forge that drops approvals on push (GitLab's "reset approvals on
	// push") may not list the stale one; if it does, it names the old head.
	if r, ok := byUser["rv-early"]; ok && r.CommitSHA != first {
		t.Errorf("stale approval by rv-early: CommitSHA %q, want the older head %q", r.CommitSHA, first)
	}
	r, ok := byUser["rv-late"]
	if !ok {
		t.Fatalf("Reviews(%d) = %+v: no approval by rv-late", n, got)
	}
	if r.CommitSHA != second {
		t.Errorf("approval by rv-late: CommitSHA %q, want the current head %q", r.CommitSHA, second)
	}
	for i := 1; i < len(got); i++ {
		if got[i].SubmittedAt.Before(got[i-1].SubmittedAt) {
			t.Errorf("Reviews(%d) not oldest first: %+v", n, got)
		}
	}
}

func testCanWrite(t *testing.T, h Harness) {
	h.AddUser(t, "cw-writer", true)
	h.AddUser(t, "cw-reader", false)
	c := h.Client(t)
	for user, want := range map[string]bool{"cw-writer": true, "cw-reader": false, "cw-stranger": false} {
		got, err := c.CanWrite(ctx(t), user)
		if err != nil || got != want {
			t.Errorf("CanWrite(%q) = %v, %v; want %v, nil", user, got, err, want)
		}
	}
}

func testUpsertComment(t *testing.T, h Harness) {
	h.AddUser(t, "uc-author", true)
	h.Branch(t, "upsert")
	n := h.OpenPR(t, "uc-author", "upsert")
	c := h.Client(t)
	const marker = "<!-- driftgate:plan:1 -->"
	const other = "<!-- driftgate:plan:2 -->"
	// Someone else's comment carrying the marker is never taken over.
	const fake = "quoting " + marker + " by hand"
	h.Comment(t, "uc-author", n, fake)

	id1, err := c.UpsertComment(ctx(t), n, marker, marker+"\nfirst")
	if err != nil {
		t.Fatalf("UpsertComment first: %v", err)
	}
	id2, err := c.UpsertComment(ctx(t), n, marker, marker+"\nsecond")
	if err != nil {
		t.Fatalf("UpsertComment second: %v", err)
	}
	if id1 != id2 {
		t.Errorf("UpsertComment ids %d then %d: want the same comment updated", id1, id2)
	}
	id3, err := c.UpsertComment(ctx(t), n, other, other+"\npart two")
	if err != nil {
		t.Fatalf("UpsertComment other marker: %v", err)
	}
	if id3 == id1 {
		t.Errorf("a second marker reused comment %d", id1)
	}
	got := h.Comments(t, n)
	if len(got) != 3 || got[0] != fake || got[1] != marker+"\nsecond" || got[2] != other+"\npart two" {
		t.Errorf("comments = %q, want the other user's untouched, the updated one and the second marker's", got)
	}
}

func testDeleteComment(t *testing.T, h Harness) {
	h.AddUser(t, "dc-author", true)
	h.Branch(t, "delete")
	n := h.OpenPR(t, "dc-author", "delete")
	c := h.Client(t)
	const marker = "<!-- driftgate:plan:9 -->"
	if err := c.DeleteComment(ctx(t), n, marker); err != nil {
		t.Fatalf("DeleteComment with no comment: %v", err)
	}
	if _, err := c.UpsertComment(ctx(t), n, marker, marker+"\nbody"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteComment(ctx(t), n, marker); err != nil {
		t.Fatalf("DeleteComment: %v", err)
	}
	if got := h.Comments(t, n); len(got) != 0 {
		t.Errorf("after DeleteComment comments = %q, want none", got)
	}
}

func testSetStatus(t *testing.T, h Harness) {
	head := h.Branch(t, "status")
	c := h.Client(t)
	for _, s := range []forge.Status{
		{Context: "driftgate/plan", State: forge.StatusPending, Description: "planning", TargetURL: "https://driftgate.example.com/runs/1"},
		{Context: "driftgate/plan", State: forge.StatusSuccess, Description: "2 stacks planned", TargetURL: "https://driftgate.example.com/runs/1"},
		{Context: "driftgate/apply", State: forge.StatusFailure, Description: "refused", TargetURL: "https://driftgate.example.com/runs/2"},
	} {
		if err := c.SetStatus(ctx(t), head, s); err != nil {
			t.Fatalf("SetStatus(%+v): %v", s, err)
		}
		got, ok := h.Status(t, head, s.Context)
		if !ok || got != s {
			t.Errorf("status %q on %s = %+v (found %v), want %+v", s.Context, head, got, ok, s)
		}
	}
}

func testCreatePullRequest(t *testing.T, h Harness) {
	head := h.Branch(t, "created")
	c := h.Client(t)
	pr, err := c.CreatePullRequest(ctx(t), forge.NewPullRequest{Title: "driftgate: fix drift", Body: "body", Head: "created", Base: h.BaseBranch()})
	if err != nil {
		t.Fatalf("CreatePullRequest: %v", err)
	}
	if pr.Number <= 0 || pr.HeadSHA != head || pr.HeadRef != "created" || pr.BaseRef != h.BaseBranch() ||
		pr.State != forge.PROpen || pr.Title != "driftgate: fix drift" {
		t.Errorf("CreatePullRequest = %+v", *pr)
	}
	again, err := c.PullRequest(ctx(t), pr.Number)
	if err != nil || again.HeadSHA != head {
		t.Errorf("PullRequest(%d) after create = %+v, %v", pr.Number, again, err)
	}
	// Opening it again (a retried create) returns the open PR.
	dup, err := c.CreatePullRequest(ctx(t), forge.NewPullRequest{Title: "driftgate: fix drift", Body: "body", Head: "created", Base: h.BaseBranch()})
	if err != nil || dup.Number != pr.Number {
		t.Errorf("CreatePullRequest again = %+v, %v; want PR %d", dup, err, pr.Number)
	}
}

func testErrors(t *testing.T, h Harness) {
	c := h.Client(t)
	if _, err := c.PullRequest(ctx(t), 99999); !errors.Is(err, forge.ErrNotFound) {
		t.Errorf("PullRequest(99999) error = %v, want ErrNotFound", err)
	}
	if _, err := c.Reviews(ctx(t), 99999); !errors.Is(err, forge.ErrNotFound) {
		t.Errorf("Reviews(99999) error = %v, want ErrNotFound", err)
	}
	bad := h.BadTokenClient(t)
	_, err := bad.PullRequest(ctx(t), 1)
	if !errors.Is(err, forge.ErrUnauthorized) {
		t.Errorf("bad token: PullRequest error = %v, want ErrUnauthorized", err)
	}
	if err != nil && strings.Contains(err.Error(), "bad-token") {
		t.Errorf("bad token: error %q repeats the token", err)
	}
}
