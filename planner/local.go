package planner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
)

// LocalStack is a stack found from a directory on disk, for a one-off plan.
type LocalStack struct {
	// Root is the repository root the stack's paths are relative to: the
	// nearest directory above (or at) the stack holding .git or
	// .driftgate.hcl, else the file system root, so that "../" module
	// sources resolve either way.
	Root string
	// Stack is the inspected stack; when .driftgate.hcl declares the
	// directory, its name, workspace, var files and version come from there.
	Stack    Stack
	Problems []Problem
	// Config is the repo config, nil when the repo has none.
	Config *RepoConfig
}

// FindLocalStack reads the stack in dir. workspace, when not empty, picks
// among several declarations of the same dir. When .driftgate.hcl is broken
// it returns ErrRepoConfig with the diagnostics and a LocalStack holding
// just Root and Config, whose Files let the caller print source snippets.
func FindLocalStack(ctx context.Context, dir, workspace string) (*LocalStack, hcl.Diagnostics, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("stack dir %s: %w", dir, err)
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, nil, fmt.Errorf("stack dir %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, nil, fmt.Errorf("stack dir %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("stack dir %s is not a directory", dir)
	}
	root := repoRoot(abs)
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return nil, nil, fmt.Errorf("stack dir %s: %w", dir, err)
	}
	rel = filepath.ToSlash(rel)
	fsys := os.DirFS(root)

	cfg, diags := LoadRepoConfig(fsys)
	ls := &LocalStack{Root: root, Config: cfg}
	if diags.HasErrors() {
		return ls, diags, fmt.Errorf("%s: %w", filepath.Join(root, RepoConfigFile), ErrRepoConfig)
	}

	stack, problems, err := InspectStack(ctx, fsys, rel)
	if err != nil {
		return nil, diags, err
	}
	ls.Stack, ls.Problems = *stack, problems
	if decl := declaredFor(cfg, root, rel, workspace); decl != nil {
		ls.Stack.declare(decl)
	} else {
		if workspace != "" {
			ls.Stack.Workspace = workspace
		}
		if filepath.Dir(root) == root {
			// No repository: name the stack after its directory.
			ls.Stack.Name = filepath.Base(abs)
		}
	}
	return ls, diags, nil
}

// declaredFor returns the repo config's declaration of dir (a real,
// repo-relative path), preferring the one for workspace. Declared dirs are
// compared by their real path, so a declaration through a symlink matches.
func declaredFor(cfg *RepoConfig, root, dir, workspace string) *StackConfig {
	if cfg == nil {
		return nil
	}
	var first *StackConfig
	for i := range cfg.Stacks {
		sc := &cfg.Stacks[i]
		if realRel(root, sc.Dir) != dir {
			continue
		}
		if workspace == "" || sc.Workspace == workspace {
			return sc
		}
		if first == nil {
			first = sc
		}
	}
	if workspace != "" {
		return nil
	}
	return first
}

// repoRoot returns the nearest directory at or above dir that holds .git or
// .driftgate.hcl, or the file system root.
func repoRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		for _, marker := range []string{".git", RepoConfigFile} {
			if _, err := os.Lstat(filepath.Join(d, marker)); err == nil {
				return d
			} else if !errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
		if parent := filepath.Dir(d); parent == d {
			return d
		}
	}
}

// realRel resolves the repo-relative dir through symlinks and returns it
// relative to root again, or dir itself when it cannot be resolved.
func realRel(root, dir string) string {
	real, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(dir)))
	if err != nil {
		return dir
	}
	rel, err := filepath.Rel(root, real)
	if err != nil {
		return dir
	}
	return filepath.ToSlash(rel)
}
