package gitrepo

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// isAncestor walks the history of descendant, breadth first, looking for
// ancestor. It takes r.mu for each commit it reads rather than for the
// whole walk, so a long walk does not stall other readers or a fetch.
func (r *Repo) isAncestor(ctx context.Context, ancestor, descendant plumbing.Hash) (bool, error) {
	if _, err := r.commit(ancestor); err != nil {
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("is %s an ancestor of %s: %w", short(ancestor), short(descendant), err)
	}
	queue := []plumbing.Hash{descendant}
	seen := map[plumbing.Hash]bool{descendant: true}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return false, fmt.Errorf("is %s an ancestor of %s: %w", short(ancestor), short(descendant), err)
		}
		h := queue[0]
		queue = queue[1:]
		if h == ancestor {
			return true, nil
		}
		c, err := r.commit(h)
		if err != nil {
			return false, fmt.Errorf("is %s an ancestor of %s: %w", short(ancestor), short(descendant), err)
		}
		for _, p := range c.ParentHashes {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	return false, nil
}

// commit reads one commit under r.mu.
func (r *Repo) commit(h plumbing.Hash) (*object.Commit, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", short(h), err)
	}
	return c, nil
}
