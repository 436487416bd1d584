package github

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v75/github"
)

// errNoMarker is returned when a body lacks its marker: the comment could
// never be found again.
var errNoMarker = errors.New("comment body does not contain its marker")

// UpsertComment implements forge.Client. Finding and writing are retried
// together, so a retried create after a lost answer finds the comment the
// first attempt made instead of adding a second one.
func (c *Client) UpsertComment(ctx context.Context, number int, marker, body string) (int64, error) {
	if marker == "" || !strings.Contains(body, marker) {
		return 0, fmt.Errorf("github: comment on PR %d: %w %q", number, errNoMarker, marker)
	}
	var id int64
	err := c.call(ctx, fmt.Sprintf("write the comment on PR %d", number), func(ctx context.Context) error {
		found, err := c.findComment(ctx, number, marker)
		if err != nil {
			return err
		}
		if found != nil {
			if found.GetBody() == body {
				id = found.GetID()
				return nil
			}
			got, _, err := c.gh.Issues.EditComment(ctx, c.owner, c.repo, found.GetID(), &gh.IssueComment{Body: gh.Ptr(body)})
			if err != nil {
				return err
			}
			id = got.GetID()
			return nil
		}
		got, _, err := c.gh.Issues.CreateComment(ctx, c.owner, c.repo, number, &gh.IssueComment{Body: gh.Ptr(body)})
		if err != nil {
			return err
		}
		id = got.GetID()
		return nil
	})
	return id, err
}

// DeleteComment implements forge.Client.
func (c *Client) DeleteComment(ctx context.Context, number int, marker string) error {
	return c.call(ctx, fmt.Sprintf("delete the comment on PR %d", number), func(ctx context.Context) error {
		found, err := c.findComment(ctx, number, marker)
		if err != nil || found == nil {
			return err
		}
		_, err = c.gh.Issues.DeleteComment(ctx, c.owner, c.repo, found.GetID())
		return err
	})
}

// self returns the login the client comments as, read once.
func (c *Client) self(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.login != "" {
		return c.login, nil
	}
	login, err := c.whoami(ctx)
	if err != nil {
		return "", err
	}
	c.login = login
	return login, nil
}

// findComment returns PR number's first comment written by the client
// that contains marker, or nil. Comments by anyone else are never taken,
// so a user quoting or faking the marker cannot capture the plan comment.
func (c *Client) findComment(ctx context.Context, number int, marker string) (*gh.IssueComment, error) {
	me, err := c.self(ctx)
	if err != nil {
		return nil, err
	}
	opt := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.gh.Issues.ListComments(ctx, c.owner, c.repo, number, opt)
		if err != nil {
			return nil, err
		}
		for _, cm := range page {
			if cm.GetUser().GetLogin() == me && strings.Contains(cm.GetBody(), marker) {
				return cm, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opt.Page = resp.NextPage
	}
}
