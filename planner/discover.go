package planner

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
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
	// NoPRApprovals is pr_approvals = false: a merged pull request's
	// approving reviews do not count toward Approvals. Read it through
	// CountsPRApprovals.
	NoPRApprovals bool `json:"no_pr_approvals,omitempty"`
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
	// Inputs are the other paths whose change affects the stack: what it
	// and its modules read through path.module, path.root or a file
	// function, and the targets of symbolic links in its part of its
	// directory. Sorted by path.
	Inputs []Input `json:"inputs,omitempty"`
	// Nested are the directories inside Dir, outermost only, that hold
	// Terraform files of their own (modules or other stacks): what is
	// under them is theirs, not the stack's. Sorted.
	Nested []string `json:"nested,omitempty"`
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

// CountsPRApprovals reports whether a merged pull request's approving
// reviews count toward the stack's approvals (pr_approvals, default true).
func (s *Stack) CountsPRApprovals() bool { return !s.NoPRApprovals }

// BackendCloud is the Backend of a stack configured with a `cloud` block.
const BackendCloud = "cloud"

// Input is a path whose change affects a stack (see Stack.Inputs).
type Input struct {
	// Path is a real repo-relative path, which covers itself and
	// everything under it; with Glob, a glob pattern (the syntax of
	// extra_triggers).
	Path string `json:"path"`
	Glob bool   `json:"glob,omitempty"`
	// Reason says how the stack reaches it, such as "read by
	// modules/vpc/main.tf:12" or "target of link envs/prod/x.auto.tfvars".
	Reason string `json:"reason"`
}

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
	// UnusedModules lists the directories under a modules/ path segment
	// that no directory calls and that configure no backend: library
	// modules nobody calls, which are not stacks.
	UnusedModules []string `json:"unused_modules,omitempty"`
	// Excluded lists the root modules that the discover block of
	// .driftgate.hcl leaves out.
	Excluded []string `json:"excluded,omitempty"`
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
//     only once, and reports links with absolute or escaping targets, and
//     dangling links in a stack or named as Terraform files.
//   - A directory with *.tf or *.tf.json files is a module. Its local module
//     calls (source "./..." or "../...") are resolved relative to it and
//     read too, even in hidden directories; a source escaping the repo,
//     naming no directory or not a literal string is a Problem of the
//     calling directory.
//   - When .driftgate.hcl declares stacks, they are the stacks; the root
//     modules it leaves out are listed in Undeclared.
//   - Otherwise the stacks are the root modules: modules no other directory
//     calls, plus called ones that configure a backend or cloud block,
//     that the discover block of .driftgate.hcl keeps (see DiscoverConfig;
//     the others are listed in Excluded).
//   - Either way, an uncalled module without a backend under a directory
//     named "modules" is an unused library module, listed in
//     UnusedModules, not a stack.
//   - A module whose files do not parse is a Problem; what could be read of
//     it still counts, and the rest of the repo is read as usual.
//   - No stacks and terragrunt.hcl files is a Problem: driftgate does not
//     plan Terragrunt configurations.
//   - Each stack gets the facts Affected needs: its Modules, Nested units,
//     LinkedFiles and Inputs (see Stack).
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
	l.chooseStacks(g, d, cfg, declared)
	for _, p := range g.emptyCalls() {
		l.problem(p)
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
	l.assignUnits(g, d.Stacks)
	for i := range d.Stacks {
		l.resolveInputs(&d.Stacks[i])
	}
	if len(d.Stacks) == 0 {
		l.terragruntProblem()
	}
	sort.SliceStable(d.Stacks, func(i, j int) bool { return d.Stacks[i].Name < d.Stacks[j].Name })
	d.Problems = l.sortedProblems()
	return d, nil
}

// chooseStacks sorts the root modules of g into d's stacks, undeclared
// root modules, unused modules and excluded ones.
func (l *loader) chooseStacks(g *graph, d *Discovery, cfg *RepoConfig, declared []Stack) {
	declaredDirs := make(map[string]bool, len(declared))
	for _, s := range declared {
		declaredDirs[s.Dir] = true
	}
	var filter *dirFilter
	if len(declared) == 0 && cfg != nil {
		filter = newDirFilter(cfg.Discover)
	}
	for _, r := range g.roots() {
		switch {
		case declaredDirs[r]:
		case g.isUnusedModule(r):
			d.UnusedModules = append(d.UnusedModules, r)
		case len(declared) > 0:
			d.Undeclared = append(d.Undeclared, r)
		case !filter.keep(r):
			d.Excluded = append(d.Excluded, r)
		default:
			d.Stacks = append(d.Stacks, Stack{Name: r, Dir: r, Workspace: DefaultWorkspace})
		}
	}
	if len(declared) > 0 {
		d.Stacks = declared
	}
}

// dirFilter applies the discover block of the repo config.
type dirFilter struct {
	include, exclude []*glob
}

func newDirFilter(c DiscoverConfig) *dirFilter {
	f := &dirFilter{}
	for _, p := range c.Include {
		if g, err := compileGlob(p); err == nil { // LoadRepoConfig reports the others
			f.include = append(f.include, g)
		}
	}
	for _, p := range c.Exclude {
		if g, err := compileGlob(p); err == nil {
			f.exclude = append(f.exclude, g)
		}
	}
	return f
}

// keep reports whether the root module dir is a stack: included (by
// default, when there are no include globs) and not excluded.
func (f *dirFilter) keep(dir string) bool {
	if f == nil {
		return true
	}
	match := func(globs []*glob) bool {
		return slices.ContainsFunc(globs, func(g *glob) bool { return g.match(dir) })
	}
	return (len(f.include) == 0 || match(f.include)) && !match(f.exclude)
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
			NoPRApprovals:    !c.PRApprovals,
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
