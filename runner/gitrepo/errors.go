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
)
