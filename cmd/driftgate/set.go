package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/planner/varedit"
	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/runner/gitrepo"
)

type setFlags struct {
	file, block         string
	vars, varJSON       []string
	message, branch     string
	author              string
	push, pr, dryRun    bool
	existingOnly        bool
	tokenEnv, sshKey    string
	knownHosts          string
	attempts            int
	forgeKind, forgeURL string
	forgeProject        string
	forgeTokenEnv       string
	config              string // a server config whose repo forge block --pr may use
	configRepo          string
}

// forgeSpec is the forge --pr opens the pull request on.
type forgeSpec struct {
	Kind    forge.Kind
	URL     string // API base URL; empty means the forge's public service
	Project string // "owner/name" or GitLab's "group/project"
	Token   string
}

// newForgeClient makes the forge client --pr uses: the real client of
// runner/forge/{github,gitlab,gitea} (wiring_forge.go); tests set a fake.
var newForgeClient = func(_ context.Context, spec forgeSpec) (forge.Client, error) {
	return forgeClient(spec, ForgeConfig{}, slog.New(slog.DiscardHandler))
}

func newSetCmd(g *globals) *cobra.Command {
	f := &setFlags{}
	cmd := &cobra.Command{
		Use:   "set REPO_DIR_OR_URL --file FILE --var NAME=VALUE [--var-json NAME=JSON] [--push | --pr] [--dry-run]",
		Short: "Set variables in a .tfvars, .tfvars.json or .tf file and push the commit (the CI handoff)",
		Long: `Set variable values in one file of an infrastructure repository, changing
only those values: comments, order, alignment and every other value stay
as they are. Values are typed by the variable's declared type in the stacks
that use the file (string, number, bool; lists, maps and objects as JSON
with --var-json); a value of the wrong type is an error. A variable the
file does not set is added at its end, unless --existing-only.

FILE is a .tfvars or .tfvars.json file, or a .tf file with --block locals
or --block variable.NAME (the variable's default).

With a directory and neither --push nor --pr, the file in the directory is
edited. With a URL, or --push on a clone (whose origin is pushed to), the
branch is cloned, edited, committed and pushed; when someone pushed
meanwhile, the edit is made again on the new head (up to --attempts). With
--pr the commit goes to a new branch driftgate/set-NAME-HASH and a pull
request is opened on the forge; its URL is printed.

--dry-run prints the unified diff and exits 2 when something would change,
0 when every value is already set. Without --dry-run nothing to change
means no commit and exit 0, so a re-run CI job is a no-op.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSet(cmd.Context(), g, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.file, "file", "", "file to edit, relative to the repository root (required)")
	fl.StringArrayVar(&f.vars, "var", nil, "NAME=VALUE to set (repeatable)")
	fl.StringArrayVar(&f.varJSON, "var-json", nil, "NAME=JSON to set, for lists, maps and objects (repeatable)")
	fl.StringVar(&f.block, "block", "", "in a .tf file: locals, or variable.NAME for the variable's default")
	fl.BoolVar(&f.existingOnly, "existing-only", false, "refuse to add a variable the file does not set")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the diff; exit 2 when it would change the file, 0 when not")
	fl.BoolVar(&f.push, "push", false, "with a clone: commit and push to its origin")
	fl.BoolVar(&f.pr, "pr", false, "push to a new branch and open a pull request")
	fl.StringVar(&f.message, "message", "", "more text for the commit message (and pull request)")
	fl.StringVar(&f.branch, "branch", "", "branch to change (default: the clone's branch, or the remote's default)")
	fl.StringVar(&f.author, "author", "", `commit author "Name <email>" (default: GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL)`)
	fl.StringVar(&f.tokenEnv, "token-env", "", "environment variable holding the HTTPS token to push with")
	fl.StringVar(&f.sshKey, "ssh-key-file", "", "private key to push with over SSH")
	fl.StringVar(&f.knownHosts, "ssh-known-hosts-file", "", "known_hosts file for SSH (default: SSH_KNOWN_HOSTS, ~/.ssh/known_hosts)")
	fl.IntVar(&f.attempts, "attempts", gitrepo.DefaultPushAttempts, "push attempts when the branch keeps moving")
	fl.StringVar(&f.forgeKind, "forge", "", "with --pr: github, gitlab or gitea")
	fl.StringVar(&f.forgeURL, "forge-url", "", "with --pr: the forge's API URL (default: the public service)")
	fl.StringVar(&f.forgeProject, "forge-project", "", "with --pr: the project, as owner/name")
	fl.StringVar(&f.forgeTokenEnv, "forge-token-env", "", "with --pr: environment variable holding the forge API token")
	fl.StringVar(&f.config, "config", "", "with --pr and no --forge: take the forge from this server config's repo block")
	fl.StringVar(&f.configRepo, "repo", "", "with --config: the repo block (default: the only one with a forge)")
	return cmd
}

func runSet(ctx context.Context, g *globals, target string, f *setFlags) error {
	sets, err := f.settings()
	if err != nil {
		return err
	}
	opts := varedit.Options{Block: f.block, ExistingOnly: f.existingOnly}
	st, statErr := os.Stat(target)
	isDir := statErr == nil && st.IsDir() && !gitrepo.IsBare(target)
	if isDir && !f.push && !f.pr {
		res, err := varedit.SetInDir(ctx, target, f.file, sets, opts, f.dryRun)
		if err != nil {
			return err
		}
		return reportSet(g, f, res, "")
	}
	url, branch := target, f.branch
	if isDir {
		if url, branch, err = gitrepo.Origin(target); err != nil {
			return err
		}
		if f.branch != "" {
			branch = f.branch
		}
	}
	push, err := f.pushOptions(g, url, branch)
	if err != nil {
		return err
	}
	var fc forge.Client
	if f.pr && !f.dryRun {
		if fc, err = f.forgeClient(ctx); err != nil {
			return err
		}
		push.PushBranch = prBranch(f.file, sets)
	}
	var last *varedit.Result
	pushed, err := gitrepo.Push(ctx, push, func(ctx context.Context, dir string) (string, error) {
		res, err := varedit.SetInDir(ctx, dir, f.file, sets, opts, f.dryRun)
		if err != nil {
			return "", err
		}
		last = res
		if !res.Changed() || f.dryRun {
			return "", nil
		}
		return res.CommitMessage(f.message), nil
	})
	if errors.Is(err, gitrepo.ErrBranchExists) && fc != nil {
		// The branch is named by the change: an earlier run pushed it.
		fmt.Fprintf(g.stderr, "branch %s exists already: an earlier run pushed this change; not opening another pull request\n", push.PushBranch)
		return nil
	}
	if err != nil {
		return err
	}
	if !pushed.Changed {
		return reportSet(g, f, last, "")
	}
	where := fmt.Sprintf("pushed %s to %s", pushed.Commit[:12], pushed.Branch)
	if fc != nil {
		pr, err := fc.CreatePullRequest(ctx, forge.NewPullRequest{
			Title: strings.SplitN(last.CommitMessage(""), "\n", 2)[0],
			Body:  last.CommitMessage(f.message) + "\n```diff\n" + last.Diff() + "```\n",
			Head:  pushed.Branch,
			Base:  pushed.From,
		})
		if err != nil {
			return fmt.Errorf("open a pull request from %s (pushed) into %s: %w", pushed.Branch, pushed.From, err)
		}
		where += "; opened " + pr.URL
		fmt.Fprintln(g.stdout, pr.URL)
	}
	return reportSet(g, f, last, where)
}

// reportSet prints what changed and picks the exit code.
func reportSet(g *globals, f *setFlags, res *varedit.Result, where string) error {
	if !res.Changed() {
		fmt.Fprintf(g.stderr, "%s: every value is already set; nothing to do\n", res.File)
		return nil
	}
	if f.dryRun {
		fmt.Fprint(g.stdout, res.Diff())
		return exitCode(exitChanges)
	}
	for _, c := range res.Changes {
		fmt.Fprintf(g.stderr, "%s: %s\n", res.File, c)
	}
	if where != "" {
		fmt.Fprintln(g.stderr, where)
	}
	return nil
}

func (f *setFlags) settings() ([]varedit.Setting, error) {
	if f.file == "" {
		return nil, errors.New("--file is required: the .tfvars, .tfvars.json or .tf file to edit, relative to the repository root")
	}
	if len(f.vars)+len(f.varJSON) == 0 {
		return nil, errors.New("nothing to set: give --var NAME=VALUE or --var-json NAME=JSON")
	}
	if f.push && f.pr {
		return nil, errors.New("give --push or --pr, not both: --pr pushes to a new branch")
	}
	var sets []varedit.Setting
	for i, list := range [][]string{f.vars, f.varJSON} {
		for _, arg := range list {
			s, err := varedit.ParseSetting(arg, i == 1)
			if err != nil {
				return nil, err
			}
			sets = append(sets, s)
		}
	}
	return sets, nil
}

func (f *setFlags) pushOptions(g *globals, url, branch string) (gitrepo.PushOptions, error) {
	o := gitrepo.PushOptions{URL: url, Branch: branch, Attempts: f.attempts, Logger: g.logger()}
	o.Auth.SSHKeyFile, o.Auth.SSHKnownHostsFile = f.sshKey, f.knownHosts
	if f.tokenEnv != "" {
		o.Auth.Token = os.Getenv(f.tokenEnv)
		if o.Auth.Token == "" {
			return o, fmt.Errorf("--token-env %s: the variable is not set or empty", f.tokenEnv)
		}
	}
	o.AuthorName, o.AuthorEmail = os.Getenv("GIT_AUTHOR_NAME"), os.Getenv("GIT_AUTHOR_EMAIL")
	if f.author != "" {
		a, err := mail.ParseAddress(f.author)
		if err != nil {
			return o, fmt.Errorf(`--author %q: want "Name <email>": %w`, f.author, err)
		}
		o.AuthorName, o.AuthorEmail = a.Name, a.Address
	}
	if o.AuthorName == "" {
		o.AuthorName = "driftgate"
	}
	if o.AuthorEmail == "" {
		o.AuthorEmail = "driftgate@localhost"
	}
	return o, nil
}

func (f *setFlags) forgeClient(ctx context.Context) (forge.Client, error) {
	if f.forgeKind == "" && f.config != "" {
		return f.configForgeClient(ctx)
	}
	spec := forgeSpec{Kind: forge.Kind(f.forgeKind), URL: f.forgeURL, Project: f.forgeProject}
	switch spec.Kind {
	case forge.GitHub, forge.GitLab, forge.Gitea:
	default:
		return nil, fmt.Errorf("--pr needs --forge github, gitlab or gitea (got %q)", f.forgeKind)
	}
	if spec.Project == "" {
		return nil, errors.New("--pr needs --forge-project owner/name")
	}
	if f.forgeTokenEnv == "" {
		return nil, errors.New("--pr needs --forge-token-env VAR: the environment variable holding the forge API token")
	}
	if spec.Token = os.Getenv(f.forgeTokenEnv); spec.Token == "" {
		return nil, fmt.Errorf("--forge-token-env %s: the variable is not set or empty", f.forgeTokenEnv)
	}
	return newForgeClient(ctx, spec)
}

// configForgeClient builds the --pr client from the forge block of a repo
// in the server config (--config, --repo), as the daemon does.
func (f *setFlags) configForgeClient(ctx context.Context) (forge.Client, error) {
	cfg, parser, diags := LoadConfig(f.config)
	if diags.HasErrors() {
		return nil, errors.New("invalid config:\n" + FormatDiagnostics(parser, diags))
	}
	var repo *RepoConfig
	var withForge []string
	for i := range cfg.Repos {
		r := &cfg.Repos[i]
		if r.Forge == nil {
			continue
		}
		withForge = append(withForge, r.Name)
		if f.configRepo == "" || f.configRepo == r.Name {
			repo = r
		}
	}
	switch {
	case f.configRepo != "" && repo == nil:
		return nil, fmt.Errorf("--repo %s: %s has no repo of that name with a forge block (repos with one: %s)", f.configRepo, f.config, strings.Join(withForge, ", "))
	case len(withForge) == 0:
		return nil, fmt.Errorf("--pr: %s has no repo with a forge block; add one, or give --forge", f.config)
	case f.configRepo == "" && len(withForge) > 1:
		return nil, fmt.Errorf("--pr: %s has several repos with a forge block (%s); say which with --repo", f.config, strings.Join(withForge, ", "))
	}
	fb := repo.Forge
	spec := forgeSpec{Kind: fb.Kind, URL: fb.BaseURL, Project: fb.Project}
	if fb.TokenEnv != "" {
		spec.Token = os.Getenv(fb.TokenEnv)
	}
	if fb.App == nil && spec.Token == "" {
		return nil, fmt.Errorf("--pr: the forge token variable %s of repo %s is not set", fb.TokenEnv, repo.Name)
	}
	if fb.App != nil {
		return forgeClient(spec, *fb, slog.New(slog.DiscardHandler))
	}
	return newForgeClient(ctx, spec)
}

// prBranch names the branch of a --pr: driftgate/set-NAME-HASH, the hash
// of the file and values, so the same request always names one branch.
func prBranch(file string, sets []varedit.Setting) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", file)
	names := make([]string, len(sets))
	for i, s := range sets {
		names[i] = s.Name
		fmt.Fprintf(h, "%s\x00%t\x00%s\x00", s.Name, s.JSON, s.Raw)
	}
	name := strings.Join(names, "-")
	if len(name) > 40 {
		name = name[:40]
	}
	return "driftgate/set-" + name + "-" + hex.EncodeToString(h.Sum(nil))[:8]
}
