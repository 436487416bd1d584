package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"code.gitea.io/sdk/gitea"

	"github.com/driftgate/driftgate/runner/prcomment"
	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/giteatest"
	"github.com/driftgate/driftgate/test/tftest"
)

// splitLimit is the Gitea comment limit the split test configures: the
// smallest max_comment_length driftgate accepts.
const splitLimit = 4096

// TestPullRequestSplitOnGitea checks, on a real Gitea (built by make gitea;
// skipped without it) with real terraform, that a PR plan bigger than the
// forge's comment limit (max_comment_length = 4096) is split correctly: a
// main comment opening with the summary plus continuation comments, each
// within the limit, every code fence closed in the comment that opens it,
// and each stack's section present in one of them. On the next push, which
// makes two of the three plans small, the comments that remain are the same
// comments edited in place, no comment is added, and the surplus one is
// deleted.
func TestPullRequestSplitOnGitea(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := giteatest.Start(t)
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()
	stacks := []string{"x", "y", "z"}

	repo := srv.CreateRepo(t, "", "infra")
	files := map[string]string{}
	for _, s := range stacks {
		files["stacks/"+s+"/main.tf"] = bigStackTF(s+"-base", 1)
	}
	srv.Commit(t, srv.Admin, repo, "main", "three stacks", files)

	const secret = "gitea-webhook-secret-split"
	addr := freeAddr(t)
	config := writeGiteaConfig(t, work, addr, srv, repo, fmt.Sprintf("public_url        = \"http://%s\"\nmax_parallel_runs = 2\n", addr))
	setForgeAttr(t, config, fmt.Sprintf("max_comment_length = %d", splitLimit))
	d := newDaemon(t, env, bin, config, "DGTEST_ROOT="+filepath.Join(work, "objects"),
		"DG_TEST_GITEA_TOKEN="+srv.Admin.Token, "DG_TEST_GITEA_SECRET="+secret)
	d.start()
	d.waitRuns("the first plans of main", 3*time.Minute, func(runs []store.Run) bool {
		planned := 0
		for _, r := range runs {
			if r.Operation == store.OperationPlan && r.Status.Terminal() {
				planned++
			}
		}
		return planned >= len(stacks)
	})
	srv.AddWebhook(t, repo, "http://"+addr+"/webhooks/infra", secret)

	// Push 1: every stack plans a server with a 150-line size, a plan of
	// about 8 KB each, 24 KB in all.
	files = map[string]string{}
	for _, s := range stacks {
		files["stacks/"+s+"/main.tf"] = bigStackTF(s+"-big", 150)
	}
	head := srv.Commit(t, srv.Admin, repo, "big", "big sizes", files)
	pr := srv.OpenPR(t, srv.Admin, repo, "big", "main", "Big sizes")
	w := &splitWatch{t: t, srv: srv, repo: repo, pr: pr.Index, d: d}
	w.waitPlanned(head, len(stacks))
	first := w.parts()
	if len(first) < 3 {
		t.Fatalf("a 24 KB plan under a %d-byte limit made %d comments, want at least 3:\n%s", splitLimit, len(first), joinBodies(first))
	}
	checkSplit(t, first, stacks, stacks...)
	if !strings.Contains(first[0].Body, "| Stack | Result |") {
		t.Errorf("the main comment does not open with the summary table:\n%s", first[0].Body)
	}
	for i, c := range first[1:] {
		if want := fmt.Sprintf("continued (part %d)", i+2); !strings.Contains(c.Body, want) {
			t.Errorf("comment %d lacks %q:\n%s", i+2, want, c.Body)
		}
	}

	// Push 2: y and z shrink to two lines; x stays big. Fewer parts.
	head2 := srv.Commit(t, srv.Admin, repo, "big", "small sizes", map[string]string{
		"stacks/y/main.tf": bigStackTF("y-small", 2),
		"stacks/z/main.tf": bigStackTF("z-small", 2),
	})
	w.waitPlanned(head2, len(stacks))
	second := w.parts()
	if len(second) >= len(first) {
		t.Fatalf("after the plans shrank there are %d comments, want fewer than %d:\n%s", len(second), len(first), joinBodies(second))
	}
	checkSplit(t, second, stacks, "x")
	for i, c := range second {
		if c.ID != first[i].ID {
			t.Errorf("part %d is comment %d after the second push, was %d: want the same comment edited in place", i+1, c.ID, first[i].ID)
		}
		if c.Body == first[i].Body {
			t.Errorf("part %d was not updated for the second push", i+1)
		}
	}
	// The surplus parts are deleted, and nothing else was added.
	all := w.comments()
	if len(all) != len(second) {
		t.Errorf("the PR has %d comments, want only the %d parts:\n%s", len(all), len(second), joinBodies(all))
	}
	d.stop(30 * time.Second)
}

// bigStackTF is a stack of one server named name whose size is a string
// of n lines: the plan prints each line, while the change list shows size
// as one value cut short, so the plan's diff block is most of the section.
func bigStackTF(name string, n int) string {
	return tftest.ProviderBlock("") + fmt.Sprintf(`resource "dgtest_server" "this" {
  name = %q
  size = join("\n", [for i in range(%d) : "line ${i} of a size long enough to fill the plan"])
}
`, name, n)
}

// setForgeAttr adds an attribute line to the forge block of the config
// writeGiteaConfig wrote.
func setForgeAttr(t *testing.T, config, line string) {
	t.Helper()
	raw, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "  forge {\n"
	if !strings.Contains(string(raw), anchor) {
		t.Fatalf("no forge block in %s:\n%s", config, raw)
	}
	out := strings.Replace(string(raw), anchor, anchor+"    "+line+"\n", 1)
	if err := os.WriteFile(config, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
}

// splitWatch reads the comments of a PR on Gitea.
type splitWatch struct {
	t    *testing.T
	srv  *giteatest.Server
	repo string
	pr   int64
	d    *daemon
}

// comments are every comment on the PR, oldest first.
func (w *splitWatch) comments() []*gitea.Comment {
	w.t.Helper()
	owner, name, _ := strings.Cut(w.repo, "/")
	list, _, err := w.srv.Client(w.t, w.srv.Admin).ListIssueComments(owner, name, w.pr, gitea.ListIssueCommentOptions{})
	if err != nil {
		w.t.Fatalf("list comments: %v", err)
	}
	return list
}

var partMarker = regexp.MustCompile(`<!-- driftgate:plan:(\d+) -->`)

// parts are driftgate's comments ordered by their part number; it fails
// the test when a part number is missing or repeated.
func (w *splitWatch) parts() []*gitea.Comment {
	w.t.Helper()
	var out []*gitea.Comment
	for _, c := range w.comments() {
		if partMarker.MatchString(c.Body) {
			out = append(out, c)
		}
	}
	num := func(c *gitea.Comment) int {
		n, _ := strconv.Atoi(partMarker.FindStringSubmatch(c.Body)[1])
		return n
	}
	sort.SliceStable(out, func(i, j int) bool { return num(out[i]) < num(out[j]) })
	for i, c := range out {
		if !strings.Contains(c.Body, prcomment.Marker(i+1)) {
			w.t.Fatalf("comment %d is not part %d:\n%s", c.ID, i+1, joinBodies(out))
		}
	}
	return out
}

// waitPlanned waits until head has its driftgate/plan success status and
// the main comment shows head with n stacks planned with changes (the
// result links to the run, public_url being set). The
// outbox delivers a report's comments before its status, so the comments
// are final when the status is.
func (w *splitWatch) waitPlanned(head string, n int) {
	w.t.Helper()
	owner, name, _ := strings.Cut(w.repo, "/")
	c := w.srv.Client(w.t, w.srv.Admin)
	deadline := time.Now().Add(4 * time.Minute)
	for {
		st, _, err := c.GetCombinedStatus(owner, name, head)
		success := false
		if err == nil && st != nil {
			for _, s := range st.Statuses {
				success = success || (s.Context == "driftgate/plan" && s.State == gitea.StatusSuccess)
			}
		}
		if success {
			if p := w.parts(); len(p) > 0 && strings.Contains(p[0].Body, head) && strings.Count(p[0].Body, "[changes](") >= n {
				return
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out waiting for the plans of %s\ncomments:\n%s\ndaemon log:\n%s", head, joinBodies(w.comments()), w.d.log())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// checkSplit checks the parts of a split plan: each within the limit, each
// code fence closed in the part that opens it, every stack's section in
// exactly one part, and every part carrying a diff block of a plan. Of the
// stacks in truncated, the section says it was cut; the others are whole.
func checkSplit(t *testing.T, parts []*gitea.Comment, stacks []string, truncated ...string) {
	t.Helper()
	sections := map[string]string{}
	for i, c := range parts {
		if len(c.Body) > splitLimit {
			t.Errorf("part %d is %d bytes, over the %d limit", i+1, len(c.Body), splitLimit)
		}
		if open := unclosedFence(c.Body); open != "" {
			t.Errorf("part %d leaves the code block opened by %q unclosed:\n%s", i+1, open, c.Body)
		}
		if !regexp.MustCompile("(?m)^```+diff$").MatchString(c.Body) {
			t.Errorf("part %d has no diff block of a plan:\n%s", i+1, c.Body)
		}
		for _, sec := range strings.Split(c.Body, "<details>")[1:] {
			for _, s := range stacks {
				if strings.HasPrefix(sec, "\n<summary>stacks/"+s+":") {
					if _, dup := sections[s]; dup {
						t.Errorf("stack %s has two sections", s)
					}
					sections[s] = sec
				}
			}
		}
	}
	for _, s := range stacks {
		sec, ok := sections[s]
		switch {
		case !ok:
			t.Errorf("stack %s has no section in the parts:\n%s", s, joinBodies(parts))
		case slices.Contains(truncated, s) != strings.Contains(sec, "Truncated to fit the comment"):
			t.Errorf("stack %s: truncated %v, want %v:\n%s", s, !slices.Contains(truncated, s), slices.Contains(truncated, s), sec)
		case !slices.Contains(truncated, s) && !strings.Contains(sec, "line 1 of a size"):
			t.Errorf("the whole section of stack %s lacks its plan's last line:\n%s", s, sec)
		}
	}
}

// unclosedFence returns the fence line of a fenced code block that body
// opens and never closes, or "".
func unclosedFence(body string) string {
	fence, open := "", ""
	for _, line := range strings.Split(body, "\n") {
		ticks := len(line) - len(strings.TrimLeft(line, "`"))
		switch {
		case fence == "" && ticks >= 3:
			fence, open = line[:ticks], line
		case fence != "" && strings.TrimRight(line, " ") == fence:
			fence = ""
		}
	}
	if fence != "" {
		return open
	}
	return ""
}

// joinBodies is the comments' bodies, for failure messages.
func joinBodies(cs []*gitea.Comment) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "--- comment %d (%d bytes)\n%s\n", c.ID, len(c.Body), c.Body)
	}
	return b.String()
}
