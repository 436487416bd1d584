package planner

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Which files belong to which stack. A file belongs to the innermost unit
// that contains it: a stack directory or a directory with Terraform files
// (a module). A stack owns what is under its directory outside nested
// units; a module owns only its Terraform files. The rest, such as a module
// repo's CHANGELOG.md or .github, belongs to no stack; Affected applies the
// rule, from the Nested and Inputs that the functions here fill in.

// units maps the directory of every unit to the indexes of the stacks
// planned there (none for a module).
type units map[string][]int

func newUnits(g *graph, stacks []Stack) units {
	u := make(units, len(g.dirs)+len(stacks))
	for dir := range g.dirs {
		u[dir] = nil
	}
	for i, s := range stacks {
		u[s.Dir] = append(u[s.Dir], i)
	}
	return u
}

// owner returns the innermost unit strictly above p.
func (u units) owner(p string) (string, bool) {
	for d := p; d != "."; {
		d = path.Dir(d)
		if _, ok := u[d]; ok {
			return d, true
		}
	}
	return "", false
}

// assignUnits fills the stacks' Nested, gives each stack the targets of
// the symbolic links in its part of the tree as Inputs, and reports
// dangling links in stacks and dangling links named as Terraform files.
func (l *loader) assignUnits(g *graph, stacks []Stack) {
	u := newUnits(g, stacks)
	for dir := range u {
		if dir == "." {
			continue
		}
		if owner, ok := u.owner(dir); ok {
			for _, i := range u[owner] {
				stacks[i].Nested = append(stacks[i].Nested, dir)
			}
		}
	}
	links := slices.SortedFunc(slices.Values(l.links), func(a, b walkedLink) int { return cmp.Compare(a.path, b.path) })
	for _, k := range links {
		owner, _ := u.owner(k.path)
		owners := u[owner]
		if k.target == "" {
			dangling := fmt.Sprintf("symbolic link %s -> %s: target does not exist", k.path, k.readLink)
			switch {
			case len(owners) > 0:
				l.problem(Problem{Dir: owner, Summary: dangling})
			case isTerraformFile(path.Base(k.path)):
				l.problem(Problem{Dir: path.Dir(k.path), Summary: dangling})
			}
			continue
		}
		if _, unit := u[k.target]; unit || k.target == "." || strings.HasPrefix(owner, k.target+"/") {
			// A unit's files are its own, whatever links to it (a
			// module the stack calls through a link is in Modules); a
			// loop back up adds nothing the stack does not own.
			continue
		}
		for _, i := range owners {
			stacks[i].Inputs = append(stacks[i].Inputs, Input{Path: k.target, Reason: "target of link " + k.path})
		}
	}
	for i := range stacks {
		slices.Sort(stacks[i].Nested)
		sortInputs(&stacks[i])
	}
}

// resolveInputs adds the real form of the stack's literal inputs that are
// reached through symbolic links: git reports a change to a link's target
// by the target's path.
func (l *loader) resolveInputs(s *Stack) {
	n := len(s.Inputs)
	for _, in := range s.Inputs[:n] {
		if in.Glob {
			continue
		}
		if real, err := l.res.resolve(in.Path); err == nil && real != in.Path {
			s.Inputs = append(s.Inputs, Input{Path: real, Reason: fmt.Sprintf("%s (through %s)", in.Reason, in.Path)})
		}
	}
	if len(s.Inputs) > n {
		sortInputs(s)
	}
}

// sortInputs sorts the stack's inputs and drops duplicates.
func sortInputs(s *Stack) {
	slices.SortFunc(s.Inputs, func(a, b Input) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Reason, b.Reason), boolOrder(a.Glob, b.Glob))
	})
	s.Inputs = slices.Compact(s.Inputs)
}

func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// terragruntProblem reports the Terragrunt files of a repo in which
// discovery found no stack, so that "0 stacks" does not pass for success.
func (l *loader) terragruntProblem() {
	if len(l.terragrunt) == 0 {
		return
	}
	files := slices.Sorted(slices.Values(l.terragrunt))
	const show = 20
	p := Problem{Dir: ".", Summary: fmt.Sprintf(
		"no stacks, but %d Terragrunt %s: driftgate plans plain Terraform/OpenTofu root modules (directories of .tf files), not Terragrunt configurations",
		len(files), pluralWord(len(files), "file", "files"))}
	for i, f := range files {
		if i == show {
			p.Diagnostics = append(p.Diagnostics, Diagnostic{Severity: SeverityError, Summary: fmt.Sprintf("and %d more Terragrunt files", len(files)-show)})
			break
		}
		p.Diagnostics = append(p.Diagnostics, Diagnostic{Severity: SeverityError, Summary: "Terragrunt configuration, not planned", File: f})
	}
	l.problem(p)
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
