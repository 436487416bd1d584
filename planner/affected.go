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
// name. Pass the stacks of the new tree, as Discover returns them: stacks
// gone from it are not returned. It is pure, and indexes the stacks once,
// so thousands of stacks and hundreds of paths take milliseconds.
//
// A file belongs to the innermost unit that contains it: a stack's
// directory or a module's (a directory with Terraform files; see
// Stack.Nested). A changed path affects a stack when it is:
//   - .driftgate.hcl: every stack ("repo config changed");
//   - under the stack's directory and in no nested unit ("in stack dir"),
//     the lock file included ("lock file");
//   - a Terraform file (*.tf, *.tf.json, overrides) directly in a module
//     directory the stack calls, transitively, or that directory itself
//     ("Terraform file of module M", "directory of module M");
//   - one of the stack's var files ("var file") or of the Terraform files
//     it or its modules reach through links ("linked file");
//   - one of its Inputs, or under one: a file it or its modules read
//     through path.module, path.root or a file function ("read by
//     FILE:LINE"), or the target of a link in its part of its directory
//     ("target of link L");
//   - matched by one of its extra_triggers globs ("matches extra trigger G").
//
// Anything else, such as a module repo's README.md, CHANGELOG.md, .github
// or the non-Terraform files of a module, affects no stack.
func Affected(stacks []Stack, changed []string) []AffectedStack {
	return newStackIndex(stacks).affected(changed)
}

// stackIndex maps directories and files to the indexes of stacks in a
// []Stack, built once per call of Affected.
type stackIndex struct {
	stacks   []Stack
	byDir    map[string][]int // stack directory → stacks planned there
	nested   map[string]bool  // units nested in stack directories
	byModule map[string][]int // module directory → stacks calling it
	byFile   map[string][]fileTrigger
	byInput  map[string][]fileTrigger // input path → stacks, covering what is under it
	globs    []globTrigger
}

type fileTrigger struct {
	stack  int
	reason string
}

type globTrigger struct {
	glob   *glob
	reason string
	stacks []int
}

func newStackIndex(stacks []Stack) *stackIndex {
	x := &stackIndex{
		stacks:   stacks,
		byDir:    make(map[string][]int),
		nested:   make(map[string]bool),
		byModule: make(map[string][]int),
		byFile:   make(map[string][]fileTrigger),
		byInput:  make(map[string][]fileTrigger),
	}
	globIdx := make(map[string]int)
	addGlob := func(i int, pattern, reason string) {
		key := pattern + "\x00" + reason
		j, ok := globIdx[key]
		if !ok {
			g, err := compileGlob(pattern)
			if err != nil {
				return // LoadRepoConfig reports it
			}
			j = len(x.globs)
			globIdx[key] = j
			x.globs = append(x.globs, globTrigger{glob: g, reason: reason})
		}
		x.globs[j].stacks = append(x.globs[j].stacks, i)
	}
	for i, s := range stacks {
		x.byDir[s.Dir] = append(x.byDir[s.Dir], i)
		for _, n := range s.Nested {
			x.nested[n] = true
		}
		for _, m := range s.Modules {
			x.byModule[m] = append(x.byModule[m], i)
		}
		for _, f := range s.VarFiles {
			x.byFile[f] = append(x.byFile[f], fileTrigger{i, "var file"})
		}
		for _, f := range s.LinkedFiles {
			x.byFile[f] = append(x.byFile[f], fileTrigger{i, "linked file"})
		}
		for _, in := range s.Inputs {
			if in.Glob {
				addGlob(i, in.Path, in.Reason)
			} else {
				x.byInput[in.Path] = append(x.byInput[in.Path], fileTrigger{i, in.Reason})
			}
		}
		for _, pattern := range s.ExtraTriggers {
			addGlob(i, pattern, "matches extra trigger "+pattern)
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
			reasons[t.stack] = append(reasons[t.stack], p+": "+t.reason)
		}
		for _, g := range x.globs {
			if g.glob.match(p) {
				add(g.stacks, p+": "+g.reason)
			}
		}
		if users, ok := x.byModule[p]; ok {
			add(users, p+": directory of module "+p)
		}
		if dir := path.Dir(p); isTerraformFile(path.Base(p)) {
			if users, ok := x.byModule[dir]; ok {
				add(users, p+": Terraform file of module "+dir)
			}
		}
		x.addOwners(p, reasons)
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
// symbolic link or a submodule changed). Every input on the way adds its
// stacks. The first stack directory owns p, unless a nested unit came
// first: then p is that unit's, and the module rules decide.
func (x *stackIndex) addOwners(p string, reasons map[int][]string) {
	owned := false
	for dir := p; ; dir = path.Dir(dir) {
		for _, t := range x.byInput[dir] {
			reasons[t.stack] = append(reasons[t.stack], p+": "+t.reason)
		}
		if !owned {
			if owners, ok := x.byDir[dir]; ok {
				reason := p + ": in stack dir"
				if p == path.Join(dir, lockFile) {
					reason = p + ": lock file"
				}
				for _, i := range owners {
					reasons[i] = append(reasons[i], reason)
				}
				owned = true
			} else if x.nested[dir] {
				owned = true
			}
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
