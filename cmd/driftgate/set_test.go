package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/tftest"
)

// setRepoFiles is a repo with one stack, envs/prod, that reads app.tfvars
// from its directory (terraform loads *.auto.tfvars; here the file sits
// in the stack's directory, which makes it the stack's input).
var setRepoFiles = map[string]string{
	"envs/prod/main.tf": `variable "image_tag" {
  type = string
}

variable "replicas" {
  type = number
}

variable "zones" {
  type    = list(string)
  default = []
}
`,
	"envs/prod/app.auto.tfvars": "# set by CI\nimage_tag = \"v1.4.1\"\nreplicas  = 3\n",
	"envs/dev/main.tf":          "variable \"image_tag\" {\n  type = string\n}\n",
}

func TestSetDirDryRunThenEdit(t *testing.T) {
	dir := t.TempDir()
	tftest.WriteFiles(t, dir, setRepoFiles)
	file := filepath.Join(dir, "envs/prod/app.auto.tfvars")
	args := []string{"set", dir, "--file", "envs/prod/app.auto.tfvars", "--var", "image_tag=v1.4.2", "--var-json", `zones=["a","b"]`}

	code, out, errOut := runCLI(t, append(args, "--dry-run")...)
	if code != exitChanges {
		t.Fatalf("dry-run exit %d, want 2: %s", code, errOut)
	}
	for _, want := range []string{"--- a/envs/prod/app.auto.tfvars", `-image_tag = "v1.4.1"`, `+image_tag = "v1.4.2"`, `+zones     = ["a", "b"]`} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != setRepoFiles["envs/prod/app.auto.tfvars"] {
		t.Errorf("dry-run wrote the file:\n%s", b)
	}

	if code, _, errOut := runCLI(t, args...); code != exitOK {
		t.Fatalf("set exit %d: %s", code, errOut)
	}
	want := "# set by CI\nimage_tag = \"v1.4.2\"\nreplicas  = 3\nzones     = [\"a\", \"b\"]\n"
	if b, _ := os.ReadFile(file); string(b) != want {
		t.Errorf("file:\n%s\nwant:\n%s", b, want)
	}
	if code, out, _ := runCLI(t, append(args, "--dry-run")...); code != exitOK || out != "" {
		t.Errorf("dry-run after set: exit %d, diff %q; want 0 and none", code, out)
	}
}

func TestSetRefusesWrongType(t *testing.T) {
	dir := t.TempDir()
	tftest.WriteFiles(t, dir, setRepoFiles)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--var", "replicas=three"}, []string{"variable replicas is declared as number in stack envs/prod", `"three" is not a number`}},
		{[]string{"--var", "zones=a"}, []string{"variable zones is declared as list(string)", "--var-json zones=JSON"}},
		{[]string{"--var", "imagetag=v2"}, []string{"imagetag", "envs/prod", "check the name"}},
		{[]string{"--var-json", "zones=[]", "--existing-only"}, []string{"zones is not set", "--existing-only"}},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, append([]string{"set", dir, "--file", "envs/prod/app.auto.tfvars"}, tt.args...)...)
		if code != exitError {
			t.Errorf("%v: exit %d, want 1", tt.args, code)
		}
		for _, w := range tt.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr %q lacks %q", tt.args, errOut, w)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "envs/prod/app.auto.tfvars")); string(b) != setRepoFiles["envs/prod/app.auto.tfvars"] {
		t.Errorf("a refused set changed the file:\n%s", b)
	}
}

// bareSetRemote is a bare remote whose main holds setRepoFiles.
func bareSetRemote(t *testing.T) string {
	t.Helper()
	up := gittest.New(t, setRepoFiles)
	bare := filepath.Join(t.TempDir(), "infra.git")
	if _, err := git.PlainClone(bare, true, &git.CloneOptions{URL: up.Dir}); err != nil {
		t.Fatal(err)
	}
	return bare
}

func branchHead(t *testing.T, bare, branch string) *object.Commit {
	t.Helper()
	repo, err := git.PlainOpen(bare)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		t.Fatalf("branch %s: %v", branch, err)
	}
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fileAt(t *testing.T, c *object.Commit, path string) string {
	t.Helper()
	f, err := c.File(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Contents()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSetPushConcurrentAndRerun(t *testing.T) {
	bare := bareSetRemote(t)
	jobs := [][]string{{"--var", "image_tag=v2.0.0"}, {"--var", "replicas=5"}}
	var wg sync.WaitGroup
	codes := make([]int, len(jobs))
	errs := make([]string, len(jobs))
	for i, job := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, errs[i] = runCLI(t, append([]string{"set", bare, "--file", "envs/prod/app.auto.tfvars", "--author", "CI Bot <ci@example.com>", "--message", "release"}, job...)...)
		}()
	}
	wg.Wait()
	for i := range jobs {
		if codes[i] != exitOK {
			t.Fatalf("job %d: exit %d: %s", i, codes[i], errs[i])
		}
	}
	head := branchHead(t, bare, "main")
	want := "# set by CI\nimage_tag = \"v2.0.0\"\nreplicas  = 5\n"
	if got := fileAt(t, head, "envs/prod/app.auto.tfvars"); got != want {
		t.Errorf("remote file:\n%s\nwant both values:\n%s", got, want)
	}
	if head.Author.Name != "CI Bot" || head.Author.Email != "ci@example.com" {
		t.Errorf("author %v", head.Author)
	}
	if !strings.Contains(head.Message, "in envs/prod/app.auto.tfvars") || !strings.Contains(head.Message, "release") || !strings.Contains(head.Message, "\n- ") {
		t.Errorf("message %q", head.Message)
	}

	// The same job again: no commit.
	code, _, errOut := runCLI(t, "set", bare, "--file", "envs/prod/app.auto.tfvars", "--var", "replicas=5")
	if code != exitOK || !strings.Contains(errOut, "already set") {
		t.Errorf("re-run: exit %d: %s", code, errOut)
	}
	if again := branchHead(t, bare, "main"); again.Hash != head.Hash {
		t.Errorf("re-run committed %s", again.Hash)
	}
	// A dry run against the remote shows the diff and pushes nothing.
	code, out, errOut := runCLI(t, "set", bare, "--dry-run", "--file", "envs/prod/app.auto.tfvars", "--var", "replicas=6")
	if code != exitChanges || !strings.Contains(out, "-replicas  = 5\n+replicas  = 6\n") {
		t.Errorf("dry-run: exit %d, diff %q: %s", code, out, errOut)
	}
	if again := branchHead(t, bare, "main"); again.Hash != head.Hash {
		t.Errorf("dry-run committed %s", again.Hash)
	}
	// A refused value pushes nothing either.
	if code, _, _ := runCLI(t, "set", bare, "--file", "envs/prod/app.auto.tfvars", "--var", "replicas=x"); code != exitError {
		t.Errorf("bad value: exit %d", code)
	}
	if again := branchHead(t, bare, "main"); again.Hash != head.Hash {
		t.Errorf("a refused value committed %s", again.Hash)
	}
}

func TestSetPushFromClone(t *testing.T) {
	bare := bareSetRemote(t)
	clone := filepath.Join(t.TempDir(), "clone")
	if _, err := git.PlainClone(clone, false, &git.CloneOptions{URL: bare}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_AUTHOR_NAME", "Env Author")
	t.Setenv("GIT_AUTHOR_EMAIL", "env@example.com")
	code, _, errOut := runCLI(t, "set", clone, "--push", "--file", "envs/prod/app.auto.tfvars", "--var", "replicas=7")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	head := branchHead(t, bare, "main")
	if !strings.Contains(fileAt(t, head, "envs/prod/app.auto.tfvars"), "replicas  = 7\n") || head.Author.Email != "env@example.com" {
		t.Errorf("pushed %q by %v", fileAt(t, head, "envs/prod/app.auto.tfvars"), head.Author)
	}
	if b, _ := os.ReadFile(filepath.Join(clone, "envs/prod/app.auto.tfvars")); string(b) != setRepoFiles["envs/prod/app.auto.tfvars"] {
		t.Errorf("the checkout was changed:\n%s", b)
	}
}

// fakeForge records CreatePullRequest and answers with a canned PR.
type fakeForge struct {
	forge.Client // other methods are not called by set
	mu           sync.Mutex
	got          []forge.NewPullRequest
	spec         forgeSpec
}

func (f *fakeForge) CreatePullRequest(_ context.Context, pr forge.NewPullRequest) (*forge.PullRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, pr)
	return &forge.PullRequest{Number: 7, HeadRef: pr.Head, BaseRef: pr.Base, URL: "https://forge.example/acme/infra/pulls/7"}, nil
}

func TestSetPullRequest(t *testing.T) {
	bare := bareSetRemote(t)
	fake := &fakeForge{}
	old := newForgeClient
	newForgeClient = func(_ context.Context, spec forgeSpec) (forge.Client, error) {
		fake.spec = spec
		return fake, nil
	}
	t.Cleanup(func() { newForgeClient = old })
	t.Setenv("FORGE_TOKEN", "forge-secret-9")
	t.Setenv("GIT_AUTHOR_NAME", "")
	t.Setenv("GIT_AUTHOR_EMAIL", "")

	code, out, errOut := runCLI(t, "set", bare, "--pr", "--forge", "gitea", "--forge-project", "acme/infra", "--forge-token-env", "FORGE_TOKEN",
		"--file", "envs/prod/app.auto.tfvars", "--var", "image_tag=v3")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.TrimSpace(out) != "https://forge.example/acme/infra/pulls/7" {
		t.Errorf("stdout %q, want the PR URL", out)
	}
	if len(fake.got) != 1 {
		t.Fatalf("CreatePullRequest calls: %v", fake.got)
	}
	pr := fake.got[0]
	if !strings.HasPrefix(pr.Head, "driftgate/set-image_tag-") || pr.Base != "main" {
		t.Errorf("PR %s -> %s", pr.Head, pr.Base)
	}
	if !strings.Contains(pr.Body, "```diff\n--- a/envs/prod/app.auto.tfvars") || !strings.Contains(pr.Body, `+image_tag = "v3"`) ||
		!strings.Contains(pr.Body, `- image_tag: "v1.4.1" -> "v3"`) || pr.Title != "set image_tag in envs/prod/app.auto.tfvars" {
		t.Errorf("PR body lacks the diff:\n%s", pr.Body)
	}
	if fake.spec.Token != "forge-secret-9" || fake.spec.Kind != forge.Gitea || fake.spec.Project != "acme/infra" {
		t.Errorf("forge spec %+v", fake.spec)
	}
	if strings.Contains(errOut, "forge-secret-9") {
		t.Errorf("stderr shows the token: %s", errOut)
	}
	prHead := branchHead(t, bare, pr.Head)
	if got := fileAt(t, prHead, "envs/prod/app.auto.tfvars"); !strings.Contains(got, `image_tag = "v3"`) {
		t.Errorf("PR branch has:\n%s", got)
	}
	if prHead.Author.Name != "driftgate" || prHead.Author.Email != "driftgate@localhost" {
		t.Errorf("default author %v", prHead.Author)
	}
	if got := fileAt(t, branchHead(t, bare, "main"), "envs/prod/app.auto.tfvars"); got != setRepoFiles["envs/prod/app.auto.tfvars"] {
		t.Errorf("main changed:\n%s", got)
	}
	// The same job again: the branch is there, no second pull request.
	code, _, errOut = runCLI(t, "set", bare, "--pr", "--forge", "gitea", "--forge-project", "acme/infra", "--forge-token-env", "FORGE_TOKEN",
		"--file", "envs/prod/app.auto.tfvars", "--var", "image_tag=v3")
	if code != exitOK || !strings.Contains(errOut, "exists already") || len(fake.got) != 1 {
		t.Errorf("re-run of --pr: exit %d, %d PRs: %s", code, len(fake.got), errOut)
	}
	// Without a forge the flag says what is missing.
	if code, _, errOut := runCLI(t, "set", bare, "--pr", "--file", "envs/prod/app.auto.tfvars", "--var", "image_tag=v4"); code != exitError || !strings.Contains(errOut, "--forge github, gitlab or gitea") {
		t.Errorf("--pr without --forge: exit %d: %s", code, errOut)
	}
}

// TestSetPullRequestForgeFromConfig takes --pr's forge from the repo block
// of a server config, and says what is missing when it cannot.
func TestSetPullRequestForgeFromConfig(t *testing.T) {
	bare := bareSetRemote(t)
	fake := &fakeForge{}
	old := newForgeClient
	newForgeClient = func(_ context.Context, spec forgeSpec) (forge.Client, error) {
		fake.spec = spec
		return fake, nil
	}
	t.Cleanup(func() { newForgeClient = old })
	t.Setenv("CFG_FORGE_TOKEN", "forge-secret-cfg")
	t.Setenv("CFG_HOOK_SECRET", "hook-secret")
	dir := t.TempDir()
	config := filepath.Join(dir, "driftgate.hcl")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	repoBlock := func(name string) string {
		return fmt.Sprintf(`
repo %q {
  url = "https://gitea.example.com/acme/%s.git"
  forge {
    type               = "gitea"
    base_url           = "https://gitea.example.com"
    token_env          = "CFG_FORGE_TOKEN"
    webhook_secret_env = "CFG_HOOK_SECRET"
  }
}
`, name, name)
	}
	write(fmt.Sprintf("data_dir = %q\n", dir) + repoBlock("infra"))
	args := []string{"set", bare, "--pr", "--config", config, "--file", "envs/prod/app.auto.tfvars", "--var", "image_tag=v5"}
	if code, _, errOut := runCLI(t, args...); code != exitOK || len(fake.got) != 1 {
		t.Fatalf("set --pr --config: exit %d, %d PRs: %s", code, len(fake.got), errOut)
	}
	if fake.spec.Kind != forge.Gitea || fake.spec.Project != "acme/infra" || fake.spec.URL != "https://gitea.example.com" || fake.spec.Token != "forge-secret-cfg" {
		t.Errorf("forge spec from the config: %+v", fake.spec)
	}

	write(fmt.Sprintf("data_dir = %q\n", dir) + repoBlock("infra") + repoBlock("apps"))
	args[len(args)-1] = "image_tag=v6"
	if code, _, errOut := runCLI(t, args...); code != exitError || !strings.Contains(errOut, "say which with --repo") {
		t.Errorf("two forges, no --repo: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, append(args, "--repo", "nope")...); code != exitError || !strings.Contains(errOut, "infra, apps") {
		t.Errorf("--repo nope: exit %d: %s", code, errOut)
	}
}
