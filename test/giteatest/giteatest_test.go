package giteatest

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"code.gitea.io/sdk/gitea"
)

func TestStart(t *testing.T) {
	begin := time.Now()
	s := Start(t)
	t.Logf("Gitea started in %s", time.Since(begin).Round(time.Millisecond))

	c := s.Client(t, s.Admin)
	v, _, err := c.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "1.27.") {
		t.Errorf("Gitea version %s, want 1.27.x", v)
	}
	me, _, err := c.GetMyUserInfo()
	if err != nil || !me.IsAdmin || me.UserName != s.Admin.Name {
		t.Fatalf("admin token user = %+v, %v", me, err)
	}

	org := s.CreateOrg(t, "acme")
	repo := s.CreateRepo(t, org, "infra")
	if !strings.HasPrefix(repo, org+"/infra") {
		t.Errorf("repo %s not in %s", repo, org)
	}
	alice := s.CreateUser(t, "alice")
	bob := s.CreateUser(t, "alice")
	if alice.Name == bob.Name {
		t.Fatalf("two users named %s", alice.Name)
	}
	fixed := s.CreateUserNamed(t, "pr-author")
	if fixed.Name != "pr-author" || fixed.Token == "" {
		t.Errorf("CreateUserNamed = %+v", fixed)
	}
	s.AddCollaborator(t, repo, alice.Name, gitea.AccessModeWrite)
	s.AddCollaborator(t, repo, bob.Name, gitea.AccessModeWrite)

	head := s.Commit(t, alice, repo, "feature", "add a", map[string]string{"a/main.tf": "# a\n"})
	next := s.Commit(t, alice, repo, "feature", "add b", map[string]string{"b/main.tf": "# b\n"})
	owner, name, _ := strings.Cut(repo, "/")
	br, _, err := c.GetRepoBranch(owner, name, "feature")
	if err != nil || br.Commit.ID != next || head == next {
		t.Fatalf("branch feature at %v (%v), want %s", br, err, next)
	}

	pr := s.OpenPR(t, alice, repo, "feature", "main", "two stacks")
	if pr.Poster.UserName != alice.Name {
		t.Errorf("PR by %s, want %s", pr.Poster.UserName, alice.Name)
	}
	rv := s.Review(t, bob, repo, pr.Index, gitea.ReviewStateApproved, "")
	if rv.State != gitea.ReviewStateApproved || rv.CommitID != next {
		t.Errorf("review = %s on %s, want APPROVED on %s", rv.State, rv.CommitID, next)
	}
	merged := s.Merge(t, repo, pr.Index)
	if !merged.HasMerged || merged.MergedCommitID == nil {
		t.Fatalf("PR not merged: %+v", merged)
	}

	// The web UI answers too (templates found next to the binary).
	resp, err := http.Get(s.URL + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("repo page: HTTP %d", resp.StatusCode)
	}
}

// skipRecorder records Skipf instead of skipping.
type skipRecorder struct {
	testing.TB
	skipped string
}

func (r *skipRecorder) Skipf(format string, args ...any) { r.skipped = fmt.Sprintf(format, args...) }

func TestSkipsWithoutBinary(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "no-gitea"))
	r := &skipRecorder{TB: t}
	binary(r)
	if !strings.Contains(r.skipped, "make gitea") || !strings.Contains(r.skipped, EnvBinary) {
		t.Errorf("skip message %q does not say how to get Gitea", r.skipped)
	}
}
