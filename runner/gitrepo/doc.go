// Package gitrepo reads git repositories with go-git, never the git binary:
// it resolves revisions, lists the paths changed between two commits, serves
// a commit's tree as a read-only fs.FS (symbolic links included) so the
// planner can discover stacks without a checkout, and exports a commit's
// files to a directory.
package gitrepo
