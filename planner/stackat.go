package planner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

// StackAt returns the stack called name in the repo at fsys (a commit's
// tree): the stack .driftgate.hcl declares under that name, inspected at
// its dir, or, when the repo declares no stacks, the root module whose dir
// is name. It reads only that stack and its modules, not the whole tree.
// An unknown name fails with ErrUnknownStack; a broken .driftgate.hcl with
// ErrRepoConfig.
func StackAt(ctx context.Context, fsys fs.FS, name string) (*Stack, []Problem, error) {
	cfg, diags := LoadRepoConfig(fsys)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("%w: %s", ErrRepoConfig, diags.Error())
	}
	dir := name
	var decl *StackConfig
	if cfg != nil && len(cfg.Stacks) > 0 {
		for i := range cfg.Stacks {
			if cfg.Stacks[i].Name == name {
				decl = &cfg.Stacks[i]
				break
			}
		}
		if decl == nil {
			return nil, nil, fmt.Errorf("stack %q: %w: %s declares no stack of that name", name, ErrUnknownStack, RepoConfigFile)
		}
		dir = decl.Dir
	}
	stack, problems, err := InspectStack(ctx, fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("stack %q: %w: no directory %s", name, ErrUnknownStack, dir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("stack %q: %w", name, err)
	}
	if decl != nil {
		stack.declare(decl)
	}
	return stack, problems, nil
}

// declare applies a stack's declaration in .driftgate.hcl.
func (s *Stack) declare(decl *StackConfig) {
	s.Name = decl.Name
	s.Workspace = decl.Workspace
	s.VarFiles = decl.VarFiles
	s.TerraformVersion = decl.TerraformVersion
	s.DependsOn = decl.DependsOn
	s.ExtraTriggers = decl.ExtraTriggers
	s.DriftSchedule = decl.DriftSchedule
	s.OnDrift = decl.OnDrift
	s.IgnoreDrift = decl.IgnoreDrift
	s.Apply = decl.Apply
	s.Approvals = decl.Approvals
	s.Approvers = decl.Approvers
	s.AllowDestroy = decl.AllowDestroy
	s.SelfApproval = decl.SelfApproval
	s.NoPRApprovals = !decl.PRApprovals
	s.Declared = true
}
