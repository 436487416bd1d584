package planner

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
)

// Stack is one root module that driftgate plans in one workspace. All paths
// are repo-relative, slash-separated, clean and real: resolved through
// symbolic links, so that they match the paths git reports as changed.
type Stack struct {
	// Name comes from .driftgate.hcl; a discovered stack is named by its
	// directory ("." for the repo root).
	Name      string `json:"name"`
	Dir       string `json:"dir"`
	Workspace string `json:"workspace"`
	// VarFiles, TerraformVersion (a version constraint), DependsOn (stack
	// names) and ExtraTriggers (globs) come from .driftgate.hcl.
	VarFiles         []string `json:"var_files,omitempty"`
	TerraformVersion string   `json:"terraform_version,omitempty"`
	DependsOn        []string `json:"depends_on,omitempty"`
	ExtraTriggers    []string `json:"extra_triggers,omitempty"`
	// DriftSchedule, OnDrift and IgnoreDrift are the stack's drift policy
	// from .driftgate.hcl (see StackConfig); empty means the repo's
	// defaults from the server config.
	DriftSchedule string       `json:"drift_schedule,omitempty"`
	OnDrift       string       `json:"on_drift,omitempty"`
	IgnoreDrift   []IgnoreRule `json:"ignore_drift,omitempty"`
	// Apply, Approvals, Approvers, AllowDestroy and SelfApproval are the
	// stack's apply policy from .driftgate.hcl (see StackConfig); the zero
	// policy is the default. Read Apply and Approvals through AutoApply
	// and RequiredApprovals, which fill in the defaults.
	Apply        string   `json:"apply,omitempty"`
	Approvals    int      `json:"approvals,omitempty"`
	Approvers    []string `json:"approvers,omitempty"`
	AllowDestroy bool     `json:"allow_destroy,omitempty"`
	SelfApproval bool     `json:"self_approval,omitempty"`
	// RequiredVersion joins, with ", ", the distinct required_version
	// constraints of the root module and of every module it calls.
	RequiredVersion string `json:"required_version,omitempty"`
	// Backend is the root module's backend type, BackendCloud for a cloud
	// block, or "" when state is local.
	Backend string `json:"backend,omitempty"`
	// Providers merges the required_providers of the root module and its
	// modules, sorted by name and source.
	Providers []ProviderRequirement `json:"providers,omitempty"`
	// Modules are the local module directories the stack calls,
	// transitively, sorted.
	Modules []string `json:"modules,omitempty"`
	// LinkedFiles are Terraform files of the stack or its modules that live
	// elsewhere in the repo and are reached through symbolic links.
	LinkedFiles []string `json:"linked_files,omitempty"`
	// Declared is true when the stack comes from .driftgate.hcl.
	Declared bool `json:"declared"`
}

// AutoApply reports whether the stack's plans are applied without approval
// (apply = "auto"), save those that delete or replace resources when the
// stack does not allow destroying.
func (s *Stack) AutoApply() bool { return s.Apply == ApplyAuto }

// RequiredApprovals is how many distinct approvers must approve one of the
// stack's plans: Approvals, or DefaultApprovals when unset.
func (s *Stack) RequiredApprovals() int { return max(s.Approvals, DefaultApprovals) }

// BackendCloud is the Backend of a stack configured with a `cloud` block.
const BackendCloud = "cloud"

// ProviderRequirement is one entry of a required_providers block: the
// provider's local name, its source address and version constraints.
type ProviderRequirement struct {
	Name    string `json:"name"`
	Source  string `json:"source,omitempty"`
	Version string `json:"version,omitempty"`
}

// Module is a directory holding Terraform files, with its direct local
// module calls and the directories calling it.
type Module struct {
	Dir      string   `json:"dir"`
	Calls    []string `json:"calls,omitempty"`
	CalledBy []string `json:"called_by,omitempty"`
}

// Discovery is what Discover found in a repo.
type Discovery struct {
	// Stacks are sorted by name.
	Stacks []Stack `json:"stacks"`
	// Modules lists every directory with Terraform files, stacks included,
	// sorted by directory: the local module graph.
	Modules []Module `json:"modules"`
	// Undeclared lists root modules that are not stacks because
	// .driftgate.hcl declares the stacks and does not name them.
	Undeclared []string `json:"undeclared,omitempty"`
	// Problems are what could not be read, sorted by directory.
	Problems []Problem `json:"problems,omitempty"`
}

// DiscoverOptions tunes Discover.
type DiscoverOptions struct {
	// Config is the repo config to use. When nil, Discover loads
	// .driftgate.hcl from the repo itself and reports its errors as a Problem
	// (use LoadRepoConfig first to print them with source snippets).
	Config *RepoConfig
}

// Discover finds the Terraform stacks of the repo in fsys, whose root is
// the repo root: a checkout on disk (os.DirFS) or a commit's tree.
//
// Rules:
//   - The walk skips hidden directories (".git", ".terraform", any ".x").
//     It follows symbolic links that stay inside the repo (fsys must
//     implement fs.ReadLinkFS for that), visits a directory reached twice
//     only once, and reports links with absolute or escaping targets.
//   - A directory with *.tf or *.tf.json files is a module. Its local module
//     calls (source "./..." or "../...") are resolved relative to it and
//     read too, even in hidden directories; a source escaping the repo or
//     naming no directory is a Problem of the calling directory.
//   - When .driftgate.hcl declares stacks, they are the stacks; the root
//     modules it leaves out are listed in Undeclared.
//   - Otherwise the stacks are the root modules: modules no other directory
//     calls, plus called ones that configure a backend or cloud block.
//   - A module whose files do not parse is a Problem; what could be read of
//     it still counts, and the rest of the repo is read as usual.
//
// Only ctx ending or an unreadable repo root make it fail.
func Discover(ctx context.Context, fsys fs.FS, opts DiscoverOptions) (*Discovery, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("discover: read repo root: %w", err)
	}
	l := newLoader(ctx, fsys)
	cfg := opts.Config
	if cfg == nil {
		var diags []Diagnostic
		cfgFile, hclDiags := LoadRepoConfig(fsys)
		if hclDiags.HasErrors() {
			diags = convertDiagnostics(hclDiags)
			l.problem(Problem{Dir: ".", Summary: "invalid " + RepoConfigFile, Diagnostics: diags})
		}
		cfg = cfgFile
	}
	var declared []Stack
	if cfg != nil {
		declared = l.declaredStacks(cfg.Stacks)
	}
	l.claim(l.walked, ".")
	l.spawn(func() { l.walkEntries(".", entries) })
	if err := l.run(); err != nil {
		return nil, err
	}

	g := newGraph(l.dirs)
	d := &Discovery{Stacks: []Stack{}, Modules: g.modules()}
	roots := g.roots()
	if len(declared) > 0 {
		d.Stacks = declared
		declaredDirs := make(map[string]bool, len(declared))
		for _, s := range declared {
			declaredDirs[s.Dir] = true
		}
		for _, r := range roots {
			if !declaredDirs[r] {
				d.Undeclared = append(d.Undeclared, r)
			}
		}
	} else {
		for _, r := range roots {
			d.Stacks = append(d.Stacks, Stack{Name: r, Dir: r, Workspace: DefaultWorkspace})
		}
	}
	for i := range d.Stacks {
		s := &d.Stacks[i]
		if s.Declared && g.dirs[s.Dir] == nil {
			l.problem(Problem{Dir: s.Dir, Summary: fmt.Sprintf("stack %q: %s in %s", s.Name, ErrNoConfiguration, s.Dir)})
		}
		if g.describe(s) {
			l.problem(Problem{Dir: s.Dir, Summary: fmt.Sprintf("stack %q: local module calls form a cycle", s.Name)})
		}
	}
	sort.SliceStable(d.Stacks, func(i, j int) bool { return d.Stacks[i].Name < d.Stacks[j].Name })
	d.Problems = l.sortedProblems()
	return d, nil
}

// declaredStacks turns the stacks of the repo config into Stacks with real
// paths and starts loading their directories, which the walk may not reach.
func (l *loader) declaredStacks(cfgs []StackConfig) []Stack {
	out := make([]Stack, 0, len(cfgs))
	for _, c := range cfgs {
		s := Stack{
			Name:             c.Name,
			Dir:              c.Dir,
			Workspace:        c.Workspace,
			TerraformVersion: c.TerraformVersion,
			DependsOn:        c.DependsOn,
			ExtraTriggers:    c.ExtraTriggers,
			DriftSchedule:    c.DriftSchedule,
			OnDrift:          c.OnDrift,
			IgnoreDrift:      c.IgnoreDrift,
			Apply:            c.Apply,
			Approvals:        c.Approvals,
			Approvers:        c.Approvers,
			AllowDestroy:     c.AllowDestroy,
			SelfApproval:     c.SelfApproval,
			Declared:         true,
		}
		if s.Workspace == "" {
			s.Workspace = DefaultWorkspace
		}
		if dir, err := l.realPath(c.Dir); err == nil {
			s.Dir = dir
			l.spawnLoad(dir)
		} else {
			l.problem(Problem{Dir: c.Dir, Summary: fmt.Sprintf("stack %q: dir: %s", c.Name, err)})
		}
		for _, f := range c.VarFiles {
			if real, err := l.realPath(f); err == nil {
				f = real
			}
			s.VarFiles = append(s.VarFiles, f)
		}
		out = append(out, s)
	}
	return out
}

// realPath cleans the repo-relative path p and resolves it through links.
func (l *loader) realPath(p string) (string, error) {
	clean, err := cleanRepoPath(p)
	if err != nil {
		return "", err
	}
	return l.res.resolve(clean)
}
