// Package gitrepo reads git repositories with go-git, never the git binary:
// it resolves revisions, lists the paths changed between two commits, serves
// a commit's tree as a read-only fs.FS (symbolic links included) so the
// planner can discover stacks without a checkout, and exports a commit's
// files to a directory.
//
// It also keeps the daemon's mirrors: a Mirror is a bare clone of one
// branch of a remote (HTTPS with a token, SSH with a key, or a local
// path), fetched on demand, whose failures are classified as ErrAuth,
// ErrUnreachable or ErrBranchNotFound for the repository's status.
package gitrepo
