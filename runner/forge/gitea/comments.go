package gitea

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	sdk "code.gitea.io/sdk/gitea"
)

// UpsertComment makes the PR's comment containing marker say body. Only
// comments written by the token's user count, so a marker quoted by someone
// else is never edited. A body longer than MaxCommentLength is sent as is:
// keeping under the limit is the caller's job (Gitea itself stores it).
//
// Creating is not retried blindly: after a failed create the comments are
// read again, so a create whose answer was lost does not leave two.
func (c *Client) UpsertComment(ctx context.Context, number int, marker, body string) (int64, error) {
	if marker == "" || !strings.Contains(body, marker) {
		return 0, fmt.Errorf("gitea: comment on PR %d: the body does not contain the marker %q", number, marker)
	}
	var lastErr error
	for range c.attempts {
		found, err := c.findComment(ctx, number, marker)
		if err != nil {
			return 0, err
		}
		if found != nil {
			if found.Body == body {
				return found.ID, nil
			}
			err := c.do(ctx, fmt.Sprintf("edit comment %d on PR %d of %s/%s", found.ID, number, c.owner, c.repo), func(api *sdk.Client) (*sdk.Response, error) {
				_, resp, err := api.EditIssueComment(c.owner, c.repo, found.ID, sdk.EditIssueCommentOption{Body: body})
				return resp, err
			})
			return found.ID, err
		}
		retry, wait, err := c.once(ctx, func(api *sdk.Client) (*sdk.Response, error) {
			cm, resp, err := api.CreateIssueComment(c.owner, c.repo, int64(number), sdk.CreateIssueCommentOption{Body: body})
			if err == nil {
				found = cm
			}
			return resp, err
		})
		if err == nil {
			return found.ID, nil
		}
		lastErr = fmt.Errorf("gitea: comment on PR %d of %s/%s: %w", number, c.owner, c.repo, err)
		if !retry {
			return 0, lastErr
		}
		if err := sleep(ctx, max(wait, c.backoff(1))); err != nil {
			return 0, errors.Join(lastErr, err)
		}
	}
	return 0, lastErr
}

// DeleteComment deletes the token user's comment on PR number that
// contains marker, if there is one.
func (c *Client) DeleteComment(ctx context.Context, number int, marker string) error {
	found, err := c.findComment(ctx, number, marker)
	if err != nil || found == nil {
		return err
	}
	return c.do(ctx, fmt.Sprintf("delete comment %d on PR %d of %s/%s", found.ID, number, c.owner, c.repo), func(api *sdk.Client) (*sdk.Response, error) {
		return api.DeleteIssueComment(c.owner, c.repo, found.ID)
	})
}

// findComment is the oldest comment of the token's user on PR number that
// contains marker, or nil.
func (c *Client) findComment(ctx context.Context, number int, marker string) (*sdk.Comment, error) {
	if marker == "" {
		return nil, errors.New("gitea: empty comment marker")
	}
	self, err := c.whoami(ctx)
	if err != nil {
		return nil, err
	}
	for page := 1; ; page++ {
		var list []*sdk.Comment
		err := c.do(ctx, fmt.Sprintf("list comments of PR %d of %s/%s", number, c.owner, c.repo), func(api *sdk.Client) (*sdk.Response, error) {
			var (
				resp *sdk.Response
				err  error
			)
			list, resp, err = api.ListIssueComments(c.owner, c.repo, int64(number), sdk.ListIssueCommentOptions{
				ListOptions: sdk.ListOptions{Page: page, PageSize: pageSize},
			})
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, cm := range list {
			if cm.Poster != nil && strings.EqualFold(cm.Poster.UserName, self) && strings.Contains(cm.Body, marker) {
				return cm, nil
			}
		}
		if len(list) < pageSize {
			return nil, nil
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
