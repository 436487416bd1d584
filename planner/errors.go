package planner

import "errors"

// Sentinel errors returned (wrapped) by the planner. Match them with errors.Is.
var (
	// ErrLinkAbsolute reports a symbolic link whose target is an absolute path.
	// Such links are never followed: the repo must be readable on any machine.
	ErrLinkAbsolute = errors.New("symbolic link target is absolute")
	// ErrLinkEscapes reports a symbolic link whose target lies outside the repo root.
	ErrLinkEscapes = errors.New("symbolic link target escapes the repo root")
	// ErrLinkLoop reports a path that needs too many symbolic link hops to resolve.
	ErrLinkLoop = errors.New("too many levels of symbolic links")
	// ErrPathEscapes reports a repo-relative path that climbs above the repo root.
	ErrPathEscapes = errors.New("path escapes the repo root")
	// ErrPathAbsolute reports a path that should be repo-relative but is absolute.
	ErrPathAbsolute = errors.New("path is absolute")
	// ErrBadGlob reports a malformed glob pattern.
	ErrBadGlob = errors.New("malformed glob pattern")
	// ErrNoConfiguration reports a directory that holds no Terraform files.
	ErrNoConfiguration = errors.New("no Terraform configuration files")
	// ErrUnknownStack reports a stack name the repo does not have.
	ErrUnknownStack = errors.New("no such stack")
	// ErrRepoConfig reports a .driftgate.hcl with errors; the diagnostics
	// come alongside it.
	ErrRepoConfig = errors.New("repo config has errors")
)
