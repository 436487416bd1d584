package runner

import (
	"io/fs"
	"slices"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/planner/tfrun"
)

// StackKey is how the daemon keys a stack across runs: it names the
// stack's default-backend state under the data dir (tfrun.Planner's
// DefaultState) and its init cache. A local plan that uses the daemon's
// state keys it the same way.
func StackKey(repo, stack string) string {
	return repo + "/" + stack
}

// StackPlan describes how to plan a discovered stack from src: what to
// copy, which state to use and which binary constraints apply. others are
// the repo's other stacks; those nested inside this stack's directory are
// not copied with it.
func StackPlan(src fs.FS, stack planner.Stack, stateKey string, others []planner.Stack) tfrun.StackPlan {
	var skip []string
	for _, o := range others {
		if o.Dir != stack.Dir && isWithin(o.Dir, stack.Dir) && !slices.Contains(stack.Modules, o.Dir) {
			skip = append(skip, o.Dir)
		}
	}
	return tfrun.StackPlan{
		Source: src,
		Layout: tfrun.Layout{
			Dir:      stack.Dir,
			Modules:  stack.Modules,
			VarFiles: stack.VarFiles,
			Skip:     skip,
		},
		Backend:     stack.Backend,
		Key:         stateKey,
		Workspace:   stack.Workspace,
		Constraints: []string{stack.RequiredVersion, stack.TerraformVersion},
	}
}

// isWithin reports whether the slash path p is inside dir ("." holds all).
func isWithin(p, dir string) bool {
	return dir == "." || len(p) > len(dir) && p[:len(dir)] == dir && p[len(dir)] == '/'
}
