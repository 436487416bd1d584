package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/runner"
)

// planState is the state a local plan of a stack without a backend reads.
type planState struct {
	state tfrun.LocalState
	// repo is the daemon repo whose state it is; "" for the directory's
	// own.
	repo string
}

// warnMissing warns when the daemon's state of stack does not exist: the
// plan then proposes to create everything, which is right only for a stack
// the daemon never applied.
func (s planState) warnMissing(g *globals, stack planner.Stack) {
	if s.repo == "" {
		return
	}
	path := s.state.WorkspacePath(stack.Workspace)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(g.stderr, "warning: the daemon has no state for stack %q of repo %q (no %s): it has not applied it yet, or knows it by another name (see driftgate stacks)\n", stack.Name, s.repo, path)
	}
}

// choosePlanState picks the state of a local plan of ls, whose directory
// is dir: with a --config that watches repos, the daemon's state of that
// repo's stack, exactly where the daemon's runs keep it; else the state
// terraform itself uses in dir, in the workspace selected there unless
// the stack's declaration or --workspace names one.
//
// A stack with a backend of its own keeps its state there: the result is
// nil, and only the workspace may change.
func choosePlanState(f *planFlags, cfg *Config, pl *tfrun.Planner, ls *planner.LocalStack, dir string) (*planState, error) {
	if f.configFile == "" || len(cfg.Repos) == 0 {
		if f.workspace == "" && !ls.Stack.Declared {
			ws, err := selectedWorkspace(dir)
			if err != nil {
				return nil, err
			}
			if ws != "" {
				ls.Stack.Workspace = ws
			}
		}
		if ls.Stack.Backend != "" {
			return nil, nil
		}
		return &planState{state: tfrun.DirState(dir)}, nil
	}
	if ls.Stack.Backend != "" {
		return nil, nil
	}
	repo, err := daemonRepo(cfg, f.configFile, f.repo)
	if err != nil {
		return nil, err
	}
	return &planState{state: pl.DefaultState(runner.StackKey(repo, ls.Stack.Name)), repo: repo}, nil
}

// daemonRepo returns the repo of cfg a local plan's directory belongs to:
// name, which must be one of them, or the only one.
func daemonRepo(cfg *Config, file, name string) (string, error) {
	names := make([]string, 0, len(cfg.Repos))
	for _, r := range cfg.Repos {
		if r.Name == name {
			return name, nil
		}
		names = append(names, r.Name)
	}
	switch {
	case name != "":
		return "", fmt.Errorf("--repo %q: %s has no such repo; its repos: %s", name, file, strings.Join(names, ", "))
	case len(names) > 1:
		return "", fmt.Errorf("%s watches %d repos (%s): pass --repo NAME to say which one the stack's directory is a checkout of", file, len(names), strings.Join(names, ", "))
	}
	return names[0], nil
}

// selectedWorkspace returns the workspace terraform would use in dir:
// TF_WORKSPACE, else the one `terraform workspace select` recorded in
// .terraform/environment (under TF_DATA_DIR when that is set), else "".
func selectedWorkspace(dir string) (string, error) {
	if ws := os.Getenv("TF_WORKSPACE"); ws != "" {
		return ws, nil
	}
	dataDir := os.Getenv("TF_DATA_DIR")
	if dataDir == "" {
		dataDir = ".terraform"
	}
	if !filepath.IsAbs(dataDir) {
		dataDir = filepath.Join(dir, dataDir)
	}
	raw, err := os.ReadFile(filepath.Join(dataDir, "environment"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("selected workspace: %w", err)
	}
	return strings.TrimSpace(string(raw)), nil
}

// initCacheKey names the init cache of a local plan of dir: its own, never
// the daemon's, and a new one whenever the state moves, since terraform
// init refuses a backend whose settings changed under an existing
// .terraform.
func initCacheKey(dir string, s *planState) string {
	id := dir
	if s != nil {
		id += "\x00" + s.state.Path
	}
	sum := sha256.Sum256([]byte(id))
	return "local/" + filepath.Base(dir) + "-" + hex.EncodeToString(sum[:4])
}
