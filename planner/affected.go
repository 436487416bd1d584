package planner

import (
	"path"
	"sort"
	"strings"
)

// lockFile is Terraform's dependency lock file, kept in the root module.
const lockFile = ".terraform.lock.hcl"

// AffectedStack is a stack that a change affects, with why.
type AffectedStack struct {
	Stack string `json:"stack"`
	// Reasons are "PATH: why" lines, sorted, such as
	// "modules/vpc/main.tf: in module modules/vpc".
	Reasons []string `json:"reasons"`
}

// Affected returns the stacks that the changed paths (repo-relative, slash;
// a rename gives both the old and the new path) affect, sorted by stack
// name. Pass the stacks of the new tree: stacks gone from it are not
// returned. It is pure, and indexes the stacks once, so thousands of stacks
// and hundreds of paths take milliseconds.
//
// A changed path affects a stack when it is:
//   - .driftgate.hcl: every stack;
//   - in the stack's directory, at any depth, unless a deeper directory on
//     its way is another stack's directory (that stack owns it); the lock
//     file is reported as such;
//   - in a local module directory the stack calls, transitively, at any
//     depth, unless a deeper directory on its way is a stack directory
//     (a module's examples/ are not the module);
//   - one of the stack's var files or linked files;
//   - matched by one of the stack's extra_triggers globs.
func Affected(stacks []Stack, changed []string) []AffectedStack {
	return newStackIndex(stacks).affected(changed)
}

// stackIndex maps directories and files to the indexes of stacks in a
// []Stack, built once per call of Affected.
type stackIndex struct {
	stacks   []Stack
	byDir    map[string][]int // stack directory → stacks planned there
	byModule map[string][]int // module directory → stacks calling it
	byFile   map[string][]fileTrigger
	globs    []globTrigger
}

type fileTrigger struct {
	stack  int
	reason string
}

type globTrigger struct {
	glob   *glob
	stacks []int
}

func newStackIndex(stacks []Stack) *stackIndex {
	x := &stackIndex{
		stacks:   stacks,
		byDir:    make(map[string][]int),
		byModule: make(map[string][]int),
		byFile:   make(map[string][]fileTrigger),
	}
	globIdx := make(map[string]int)
	for i, s := range stacks {
		x.byDir[s.Dir] = append(x.byDir[s.Dir], i)
		for _, m := range s.Modules {
			x.byModule[m] = append(x.byModule[m], i)
		}
		for _, f := range s.VarFiles {
			x.byFile[f] = append(x.byFile[f], fileTrigger{i, "var file"})
		}
		for _, f := range s.LinkedFiles {
			x.byFile[f] = append(x.byFile[f], fileTrigger{i, "linked file"})
		}
		for _, pattern := range s.ExtraTriggers {
			j, ok := globIdx[pattern]
			if !ok {
				g, err := compileGlob(pattern)
				if err != nil {
					continue // LoadRepoConfig reports it
				}
				j = len(x.globs)
				globIdx[pattern] = j
				x.globs = append(x.globs, globTrigger{glob: g})
			}
			x.globs[j].stacks = append(x.globs[j].stacks, i)
		}
	}
	return x
}

func (x *stackIndex) affected(changed []string) []AffectedStack {
	reasons := make(map[int][]string)
	add := func(stacks []int, reason string) {
		for _, i := range stacks {
			reasons[i] = append(reasons[i], reason)
		}
	}
	all := make([]int, len(x.stacks))
	for i := range all {
		all[i] = i
	}
	for _, raw := range changed {
		p, ok := cleanChangedPath(raw)
		if !ok {
			continue
		}
		if p == RepoConfigFile {
			add(all, p+": repo config changed")
		}
		for _, t := range x.byFile[p] {
			add([]int{t.stack}, p+": "+t.reason)
		}
		for _, g := range x.globs {
			if g.glob.match(p) {
				add(g.stacks, p+": matches extra trigger "+g.glob.pattern)
			}
		}
		x.addOwners(p, add)
	}
	out := make([]AffectedStack, 0, len(reasons))
	for i, rs := range reasons {
		sort.Strings(rs)
		out = append(out, AffectedStack{Stack: x.stacks[i].Name, Reasons: compactStrings(rs)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Stack != out[j].Stack {
			return out[i].Stack < out[j].Stack
		}
		return strings.Join(out[i].Reasons, "\n") < strings.Join(out[j].Reasons, "\n")
	})
	return out
}

// addOwners walks up from p (itself first, in case a directory such as a
// symbolic link or a submodule changed): every module directory on the way
// adds the stacks calling it, until the first stack directory, whose stacks
// own p and end the walk.
func (x *stackIndex) addOwners(p string, add func([]int, string)) {
	for dir := p; ; dir = path.Dir(dir) {
		if users, ok := x.byModule[dir]; ok {
			add(users, p+": in module "+dir)
		}
		if owners, ok := x.byDir[dir]; ok {
			reason := p + ": in stack dir"
			if p == path.Join(dir, lockFile) {
				reason = p + ": lock file"
			}
			add(owners, reason)
			return
		}
		if dir == "." {
			return
		}
	}
}

// cleanChangedPath cleans a changed path and drops what cannot be in the
// repo (empty, absolute, escaping).
func cleanChangedPath(p string) (string, bool) {
	p = strings.TrimPrefix(p, "./")
	if p == "" || isAbsPath(p) {
		return "", false
	}
	c := path.Clean(p)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}

func compactStrings(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
