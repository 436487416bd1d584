package gitrepo

import (
	"context"
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ChangedFiles lists the paths that differ between the trees of two commits,
// sorted, slash-separated, without duplicates. A rename gives both the old
// and the new path; a mode change (such as a file becoming a link) gives
// the path. A zero from lists every path of to.
func (r *Repo) ChangedFiles(ctx context.Context, from, to plumbing.Hash) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fromTree, err := r.commitTree(from)
	if err != nil {
		return nil, fmt.Errorf("changed files: %w", err)
	}
	toTree, err := r.commitTree(to)
	if err != nil {
		return nil, fmt.Errorf("changed files: %w", err)
	}
	// Without rename detection a rename is a deletion and an addition,
	// which is exactly the pair of paths wanted, and much cheaper.
	changes, err := object.DiffTreeWithOptions(ctx, fromTree, toTree, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("changed files %s..%s: %w", short(from), short(to), ctx.Err())
		}
		return nil, fmt.Errorf("changed files %s..%s: %w", short(from), short(to), err)
	}
	paths := make([]string, 0, len(changes)*2)
	for _, c := range changes {
		if c.From.Name != "" {
			paths = append(paths, c.From.Name)
		}
		if c.To.Name != "" {
			paths = append(paths, c.To.Name)
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths), nil
}

func short(h plumbing.Hash) string {
	return h.String()[:12]
}
