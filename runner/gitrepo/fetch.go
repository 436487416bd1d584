package gitrepo

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// maxHaves bounds how many commits of its history the mirror offers the
// remote as already held (go-git's Remote.Fetch offers 100 per ref). They
// let the remote send only what is new, even after a force-push that kept
// part of the history.
const maxHaves = 256

// Fetch brings the branch up to date with the remote, as
// git fetch origin +refs/heads/B:refs/heads/B would: forced, since the
// remote's history may be rewritten. It returns the new head; a fetch that
// finds nothing new is a success. Only what the mirror lacks is
// downloaded. On failure the mirror keeps its last head and the error is
// a *FetchError, classified by kind: ErrAuth, ErrUnreachable, or
// ErrBranchNotFound (the branch is gone upstream; Head still gives the
// last one fetched). Fetch returns soon after ctx ends, with ctx's error.
func (m *Mirror) Fetch(ctx context.Context) (plumbing.Hash, error) {
	select {
	case m.fetching <- struct{}{}:
	case <-ctx.Done():
		return plumbing.ZeroHash, m.fetchError(ctx, ctx.Err())
	}
	defer func() { <-m.fetching }()
	head, err := m.fetch(ctx)
	if err != nil {
		return plumbing.ZeroHash, m.fetchError(ctx, err)
	}
	return head, nil
}

// fetchError classifies err, hiding credentials. When ctx has ended its
// error is the cause: transports report cancellation in many ways.
func (m *Mirror) fetchError(ctx context.Context, err error) *FetchError {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	hint, kind := classify(err)
	return &FetchError{
		URL:    m.dialer.rem.display,
		Branch: m.branch,
		Hint:   hint,
		kind:   kind,
		cause:  &redactedError{err: err, secrets: m.dialer.secrets()},
	}
}

func (m *Mirror) fetch(ctx context.Context) (plumbing.Hash, error) {
	sess, err := m.dialer.open(ctx)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	// A close error (an SSH upload-pack's exit status) says nothing about
	// the pack, whose checksum was verified when it was stored.
	defer func() { _ = sess.Close() }()
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("list remote branches: %w", err)
	}
	head, ok := adv.References[m.ref.String()]
	if !ok {
		return plumbing.ZeroHash, &missingBranchError{ref: m.ref, branches: branchNames(adv)}
	}
	if err := m.download(ctx, sess, adv, head); err != nil {
		return plumbing.ZeroHash, err
	}
	m.repo.mu.Lock()
	defer m.repo.mu.Unlock()
	if err := m.repo.repo.Storer.SetReference(plumbing.NewHashReference(m.ref, head)); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("move %s to %s: %w", m.ref, short(head), err)
	}
	return head, nil
}

// download adds the objects of head the mirror lacks: the remote packs
// them, the pack goes to a temporary file without the lock, and is then
// added under the lock. Nothing is asked for when head is already held
// (the branch did not move, or was reset to a commit fetched before).
func (m *Mirror) download(ctx context.Context, sess transport.UploadPackSession, adv *packp.AdvRefs, head plumbing.Hash) error {
	sto := m.repo.repo.Storer
	m.repo.mu.Lock()
	held := sto.HasEncodedObject(head) == nil
	var haves []plumbing.Hash
	if !held {
		haves = recentCommits(sto, maxHaves)
	}
	m.repo.mu.Unlock()
	if held {
		return nil
	}

	req := packp.NewUploadPackRequestFromCapabilities(adv.Capabilities)
	if adv.Capabilities.Supports(capability.NoProgress) {
		if err := req.Capabilities.Set(capability.NoProgress); err != nil {
			return fmt.Errorf("request pack: %w", err)
		}
	}
	req.Wants = []plumbing.Hash{head}
	req.Haves = haves
	resp, err := sess.UploadPack(ctx, req)
	if err != nil {
		return fmt.Errorf("request pack: %w", err)
	}
	pack, err := os.CreateTemp(m.dir, tmpPackPattern)
	if err != nil {
		_ = resp.Close()
		return fmt.Errorf("download pack: %w", err)
	}
	defer func() {
		_ = pack.Close()
		_ = os.Remove(pack.Name())
	}()
	_, err = io.Copy(pack, packReader(req.Capabilities, resp))
	_ = resp.Close() // as for the session: the pack's checksum is what counts
	if err != nil {
		return fmt.Errorf("download pack: %w", err)
	}
	if _, err := pack.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("download pack: %w", err)
	}

	m.repo.mu.Lock()
	defer m.repo.mu.Unlock()
	if err := packfile.UpdateObjectStorage(sto, pack); err != nil {
		return fmt.Errorf("store pack: %w", err)
	}
	if err := sto.HasEncodedObject(head); err != nil {
		return fmt.Errorf("store pack: the remote did not send %s: %w", short(head), err)
	}
	return nil
}

// packReader strips the side-band framing when the request asked for it.
func packReader(caps *capability.List, r io.Reader) io.Reader {
	switch {
	case caps.Supports(capability.Sideband64k):
		return sideband.NewDemuxer(sideband.Sideband64k, r)
	case caps.Supports(capability.Sideband):
		return sideband.NewDemuxer(sideband.Sideband, r)
	}
	return r
}

// recentCommits lists up to limit commits of each branch in sto, newest
// first, skipping what cannot be read: they only make the pack smaller.
// The lock guarding sto must be held.
func recentCommits(sto storer.Storer, limit int) []plumbing.Hash {
	refs, err := sto.IterReferences()
	if err != nil {
		return nil
	}
	seen := make(map[plumbing.Hash]bool)
	var out []plumbing.Hash
	_ = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() != plumbing.HashReference || !ref.Name().IsBranch() {
			return nil
		}
		c, err := object.GetCommit(sto, ref.Hash())
		if err != nil {
			return nil
		}
		n := 0
		_ = object.NewCommitPreorderIter(c, seen, nil).ForEach(func(c *object.Commit) error {
			seen[c.Hash] = true
			out = append(out, c.Hash)
			if n++; n >= limit {
				return storer.ErrStop
			}
			return nil
		})
		return nil
	})
	return out
}

// missingBranchError reports a branch the remote does not advertise.
type missingBranchError struct {
	ref      plumbing.ReferenceName
	branches []string // what the remote has instead, sorted
}

// maxListedBranches bounds the branches a missingBranchError lists.
const maxListedBranches = 5

func (e *missingBranchError) Error() string {
	msg := "the remote has no " + e.ref.String()
	switch n := len(e.branches); {
	case n == 0:
	case n <= maxListedBranches:
		msg += " (it has " + strings.Join(e.branches, ", ") + ")"
	default:
		msg += fmt.Sprintf(" (it has %s and %d more)", strings.Join(e.branches[:maxListedBranches], ", "), n-maxListedBranches)
	}
	return msg
}

// branchNames lists the branches a remote advertises, sorted.
func branchNames(adv *packp.AdvRefs) []string {
	var names []string
	for name := range adv.References {
		if ref := plumbing.ReferenceName(name); ref.IsBranch() {
			names = append(names, ref.Short())
		}
	}
	slices.Sort(names)
	return names
}
