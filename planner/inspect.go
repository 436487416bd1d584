package planner

import (
	"context"
	"fmt"
	"io/fs"
)

// InspectStack reads one root module, dir, and the local modules it calls,
// transitively, without walking the rest of fsys. dir is relative to the
// root of fsys, which is also the boundary that module sources and links may
// not cross: with os.DirFS("/") that is the whole file system.
//
// The Stack is named by its real directory and uses the default workspace;
// the caller adds what .driftgate.hcl says. Without the walk of the whole
// repo it has no Nested, nor Inputs from symbolic links in its directory. Problems are as for Discover.
// It fails when ctx ends or dir is not a readable directory with Terraform
// files (ErrNoConfiguration).
func InspectStack(ctx context.Context, fsys fs.FS, dir string) (*Stack, []Problem, error) {
	l := newLoader(ctx, fsys)
	real, err := l.realPath(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("inspect stack %s: %w", dir, err)
	}
	info, err := fs.Stat(fsys, real)
	if err != nil {
		return nil, nil, fmt.Errorf("inspect stack %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("inspect stack %s: not a directory", dir)
	}
	l.spawnLoad(real)
	if err := l.run(); err != nil {
		return nil, nil, err
	}
	g := newGraph(l.dirs)
	if g.dirs[real] == nil {
		return nil, l.sortedProblems(), fmt.Errorf("inspect stack %s: %w", dir, ErrNoConfiguration)
	}
	s := &Stack{Name: real, Dir: real, Workspace: DefaultWorkspace}
	if g.describe(s) {
		l.problem(Problem{Dir: real, Summary: fmt.Sprintf("stack %q: local module calls form a cycle", s.Name)})
	}
	l.resolveInputs(s)
	for _, p := range g.emptyCalls() {
		l.problem(p)
	}
	return s, l.sortedProblems(), nil
}
