package gitrepo

import "errors"

// Sentinel errors returned (wrapped) by this package. Match them with
// errors.Is.
var (
	// ErrNotRepository reports that no git repository was found at or above
	// the given path.
	ErrNotRepository = errors.New("not a git repository")
	// ErrLinkAbsolute reports a symbolic link whose target is absolute.
	ErrLinkAbsolute = errors.New("symbolic link target is absolute")
	// ErrLinkEscapes reports a symbolic link whose target leaves the tree.
	ErrLinkEscapes = errors.New("symbolic link target escapes the tree")
	// ErrLinkLoop reports a path that needs too many link hops to resolve.
	ErrLinkLoop = errors.New("too many levels of symbolic links")
	// ErrNotDir reports a path that goes through something not a directory.
	ErrNotDir = errors.New("not a directory")
	// ErrNotLink reports ReadLink on something that is not a symbolic link.
	ErrNotLink = errors.New("not a symbolic link")

	// ErrAuth reports that a remote asked for credentials or refused the
	// ones given, or that an SSH host key could not be verified.
	ErrAuth = errors.New("authentication failed")
	// ErrUnreachable reports that a remote could not be reached: a host
	// name that does not resolve, a refused or timed-out connection, a TLS
	// failure, or a repository (or local path) that does not exist.
	ErrUnreachable = errors.New("remote unreachable")
	// ErrBranchNotFound reports that the remote has no such branch (it may
	// have been deleted or renamed), or no branches at all.
	ErrBranchNotFound = errors.New("branch not found on the remote")
	// ErrNotFetched reports a mirror whose branch has never been fetched.
	ErrNotFetched = errors.New("branch not fetched yet")
	// ErrInvalidURL reports a remote URL this package cannot fetch from.
	ErrInvalidURL = errors.New("invalid remote URL")
)
