package gitea

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/driftgate/driftgate/runner/forge"
)

// pageSize is how many items a list call asks for per page (Gitea's
// default MAX_RESPONSE_ITEMS is 50).
const pageSize = 50

// PullRequest reads PR number.
func (c *Client) PullRequest(ctx context.Context, number int) (*forge.PullRequest, error) {
	var pr *sdk.PullRequest
	err := c.do(ctx, fmt.Sprintf("read PR %d of %s/%s", number, c.owner, c.repo), func(api *sdk.Client) (*sdk.Response, error) {
		var (
			resp *sdk.Response
			err  error
		)
		pr, resp, err = api.GetPullRequest(c.owner, c.repo, int64(number))
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	return pullRequest(pr), nil
}

// Reviews lists the submitted reviews of PR number, oldest first. Pending
// (unsubmitted) reviews and review requests are left out; a dismissed
// review has State forge.ReviewDismissed.
func (c *Client) Reviews(ctx context.Context, number int) ([]forge.Review, error) {
	var out []forge.Review
	for page := 1; ; page++ {
		var list []*sdk.PullReview
		err := c.do(ctx, fmt.Sprintf("list reviews of PR %d of %s/%s", number, c.owner, c.repo), func(api *sdk.Client) (*sdk.Response, error) {
			var (
				resp *sdk.Response
				err  error
			)
			list, resp, err = api.ListPullReviews(c.owner, c.repo, int64(number), sdk.ListPullReviewsOptions{
				ListOptions: sdk.ListOptions{Page: page, PageSize: pageSize},
			})
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			if rv, ok := review(r); ok {
				out = append(out, rv)
			}
		}
		if len(list) < pageSize {
			break
		}
	}
	slices.SortStableFunc(out, func(a, b forge.Review) int {
		return cmp.Or(a.SubmittedAt.Compare(b.SubmittedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// CreatePullRequest opens a PR from head into base. When the PR already
// exists (a retry after a lost answer, or opened before), it returns that
// one.
func (c *Client) CreatePullRequest(ctx context.Context, n forge.NewPullRequest) (*forge.PullRequest, error) {
	var pr *sdk.PullRequest
	op := fmt.Sprintf("open a PR %s→%s on %s/%s", n.Head, n.Base, c.owner, c.repo)
	conflict := false
	err := c.do(ctx, op, func(api *sdk.Client) (*sdk.Response, error) {
		var (
			resp *sdk.Response
			err  error
		)
		pr, resp, err = api.CreatePullRequest(c.owner, c.repo, sdk.CreatePullRequestOption{
			Head: n.Head, Base: n.Base, Title: n.Title, Body: n.Body,
		})
		if statusOf(resp) == http.StatusConflict {
			conflict = true
			return nil, nil
		}
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	if conflict {
		err = c.do(ctx, op+": read the existing PR", func(api *sdk.Client) (*sdk.Response, error) {
			var (
				resp *sdk.Response
				err  error
			)
			pr, resp, err = api.GetPullRequestByBaseHead(c.owner, c.repo, n.Base, n.Head)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
	}
	return pullRequest(pr), nil
}

// pullRequest converts the SDK's PR.
func pullRequest(p *sdk.PullRequest) *forge.PullRequest {
	pr := &forge.PullRequest{
		Number: int(p.Index),
		Title:  p.Title,
		State:  forge.PROpen,
		Draft:  p.Draft,
		URL:    p.HTMLURL,
	}
	if p.Poster != nil {
		pr.Author = p.Poster.UserName
	}
	if p.Head != nil {
		pr.HeadSHA, pr.HeadRef = p.Head.Sha, p.Head.Ref
	}
	if p.Base != nil {
		pr.BaseRef = p.Base.Ref
	}
	pr.FromFork = fromFork(p.Head, p.Base)
	switch {
	case p.HasMerged:
		pr.State = forge.PRMerged
		if p.MergedCommitID != nil {
			pr.MergeCommitSHA = *p.MergedCommitID
		}
	case p.State == sdk.StateClosed:
		pr.State = forge.PRClosed
	}
	return pr
}

// fromFork reports whether head lives in another repository than base. A
// head whose repository is gone (a deleted fork) counts as a fork.
func fromFork(head, base *sdk.PRBranchInfo) bool {
	if head == nil || base == nil {
		return false
	}
	if head.RepoID != 0 && base.RepoID != 0 {
		return head.RepoID != base.RepoID
	}
	if head.Repository != nil && base.Repository != nil {
		return head.Repository.ID != base.Repository.ID
	}
	return head.Repository == nil && base.Repository != nil
}

// review converts a review; ok is false for what is not a submitted review.
func review(r *sdk.PullReview) (forge.Review, bool) {
	if r == nil || r.Reviewer == nil {
		return forge.Review{}, false // a team review request
	}
	rv := forge.Review{ID: r.ID, User: r.Reviewer.UserName, CommitSHA: r.CommitID, SubmittedAt: r.Submitted}
	switch r.State {
	case sdk.ReviewStateApproved:
		rv.State = forge.ReviewApproved
	case sdk.ReviewStateRequestChanges:
		rv.State = forge.ReviewChangesRequested
	case sdk.ReviewStateComment:
		rv.State = forge.ReviewCommented
	default:
		return forge.Review{}, false // PENDING, REQUEST_REVIEW
	}
	if r.Dismissed {
		rv.State = forge.ReviewDismissed
	}
	return rv, true
}
