package gitrepo

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// FetchRef fetches one remote ref that is not a branch, such as a pull
// request's head (refs/pull/7/head on GitHub and Gitea,
// refs/merge-requests/7/head on GitLab), into the mirror under
// refs/driftgate/<ref without refs/>, and returns its commit. The tracked
// branch is not touched. Errors are *FetchError as Fetch's.
func (m *Mirror) FetchRef(ctx context.Context, ref string) (plumbing.Hash, error) {
	if !strings.HasPrefix(ref, "refs/") || strings.Contains(ref, "..") {
		return plumbing.ZeroHash, fmt.Errorf("fetch %q: not a full ref name (refs/...)", ref)
	}
	select {
	case m.fetching <- struct{}{}:
	case <-ctx.Done():
		return plumbing.ZeroHash, m.fetchError(ctx, ctx.Err())
	}
	defer func() { <-m.fetching }()
	head, err := m.fetchRef(ctx, ref)
	if err != nil {
		return plumbing.ZeroHash, m.fetchError(ctx, err)
	}
	return head, nil
}

func (m *Mirror) fetchRef(ctx context.Context, ref string) (plumbing.Hash, error) {
	sess, err := m.dialer.open(ctx)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer func() { _ = sess.Close() }()
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("list remote refs: %w", err)
	}
	head, ok := adv.References[ref]
	if !ok {
		return plumbing.ZeroHash, fmt.Errorf("the remote has no %s", ref)
	}
	if err := m.download(ctx, sess, adv, head); err != nil {
		return plumbing.ZeroHash, err
	}
	local := plumbing.ReferenceName("refs/driftgate/" + strings.TrimPrefix(ref, "refs/"))
	m.repo.mu.Lock()
	defer m.repo.mu.Unlock()
	if err := m.repo.repo.Storer.SetReference(plumbing.NewHashReference(local, head)); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("move %s to %s: %w", local, short(head), err)
	}
	return head, nil
}

// MergeBase returns the best common ancestor of a and b, as git merge-base
// does (the first when there are several).
func (r *Repo) MergeBase(ctx context.Context, a, b plumbing.Hash) (plumbing.Hash, error) {
	if err := ctx.Err(); err != nil {
		return plumbing.ZeroHash, err
	}
	ca, err := r.commit(a)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	cb, err := r.commit(b)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	bases, err := ca.MergeBase(cb)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("merge base of %s and %s: %w", short(a), short(b), err)
	}
	if len(bases) == 0 {
		return plumbing.ZeroHash, fmt.Errorf("%s and %s have no common history", short(a), short(b))
	}
	return bases[0].Hash, nil
}
