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

// planState is the state a local plan reads.
type planState struct {
	// runDir, without --config, is the stack's directory: the stack is
	// planned against the state terraform would use there.
	runDir string
	// daemon, with --config, is the daemon's state of the stack, and repo
	// the daemon's repo it belongs to.
	daemon *tfrun.LocalState
	repo   string
}

// apply makes spec read the state.
func (s planState) apply(spec *tfrun.StackPlan) {
	spec.RunDir, spec.State = s.runDir, s.daemon
}

// output describes the state a stack without a backend reads, for the
// plan's output; nil for a stack with a backend of its own.
func (s planState) output(stack planner.Stack) *planStateOutput {
	switch {
	case stack.Backend != "":
		return nil
	case s.daemon != nil:
		return &planStateOutput{Path: s.daemon.WorkspacePath(stack.Workspace), Repo: s.repo}
	}
	return &planStateOutput{Path: tfrun.DirState(s.runDir).WorkspacePath(stack.Workspace)}
}

// warnMissing warns when the daemon's state of stack does not exist: the
// plan then proposes to create everything, which is right only for a stack
// the daemon never applied.
func (s planState) warnMissing(g *globals, stack planner.Stack) {
	if s.daemon == nil {
		return
	}
	path := s.daemon.WorkspacePath(stack.Workspace)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(g.stderr, "warning: the daemon has no state for stack %q of repo %q (no %s): it has not applied it yet, or knows it by another name (see driftgate stacks)\n", stack.Name, s.repo, path)
	}
}

// initCacheKey names the init cache of a local plan of dir: its own, never
// the daemon's, and a new one whenever the state moves, since terraform
// init refuses a backend whose settings changed under an existing
// .terraform.
func (s planState) initCacheKey(dir string) string {
	id := dir
	switch {
	case s.daemon != nil:
		id += "\x00daemon\x00" + s.daemon.Path
	case s.runDir != "":
		id += "\x00run-dir"
	}
	sum := sha256.Sum256([]byte(id))
	return "local/" + filepath.Base(dir) + "-" + hex.EncodeToString(sum[:4])
}

// choosePlanState picks the state of a local plan of ls, whose directory
// is dir. With a --config that watches repos (or a --repo), a stack without a backend
// reads the daemon's state of that repo's stack, exactly where the
// daemon's runs keep it. Else the stack reads the state terraform itself
// uses in dir, in the workspace selected there unless the stack's
// declaration or --workspace names one.
func choosePlanState(f *planFlags, cfg *Config, pl *tfrun.Planner, ls *planner.LocalStack, dir string) (planState, error) {
	if f.configFile == "" || (len(cfg.Repos) == 0 && f.repo == "") {
		if f.workspace == "" && !ls.Stack.Declared {
			ws, err := selectedWorkspace(dir)
			if err != nil {
				return planState{}, err
			}
			if ws != "" {
				ls.Stack.Workspace = ws
			}
		}
		return planState{runDir: dir}, nil
	}
	if ls.Stack.Backend != "" {
		return planState{}, nil
	}
	repo, err := daemonRepo(cfg, f.configFile, f.repo)
	if err != nil {
		return planState{}, err
	}
	state := pl.DefaultState(runner.StackKey(repo, ls.Stack.Name))
	return planState{daemon: &state, repo: repo}, nil
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
