package gitlab

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// errNoMarker is returned when a body lacks its marker: the note could
// never be found again.
var errNoMarker = errors.New("comment body does not contain its marker")

// UpsertComment implements forge.Client with MR notes. Finding and writing
// are retried together, so a retried create after a lost answer finds the
// note the first attempt made instead of adding a second one.
func (c *Client) UpsertComment(ctx context.Context, number int, marker, body string) (int64, error) {
	if marker == "" || !strings.Contains(body, marker) {
		return 0, fmt.Errorf("gitlab: note on MR !%d: %w %q", number, errNoMarker, marker)
	}
	var id int64
	err := c.call(ctx, fmt.Sprintf("write the note on MR !%d", number), func(ctx context.Context) error {
		found, err := c.findNote(ctx, number, marker)
		if err != nil {
			return err
		}
		if found != nil {
			id = found.ID
			if found.Body == body {
				return nil
			}
			_, _, err := c.gl.Notes.UpdateMergeRequestNote(c.pid, int64(number), found.ID,
				&gl.UpdateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx))
			return err
		}
		n, _, err := c.gl.Notes.CreateMergeRequestNote(c.pid, int64(number),
			&gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx))
		if err != nil {
			return err
		}
		id = n.ID
		return nil
	})
	return id, err
}

// DeleteComment implements forge.Client.
func (c *Client) DeleteComment(ctx context.Context, number int, marker string) error {
	return c.call(ctx, fmt.Sprintf("delete the note on MR !%d", number), func(ctx context.Context) error {
		found, err := c.findNote(ctx, number, marker)
		if err != nil || found == nil {
			return err
		}
		_, err = c.gl.Notes.DeleteMergeRequestNote(c.pid, int64(number), found.ID, gl.WithContext(ctx))
		return err
	})
}

// self returns the user name the client writes notes as, read once.
func (c *Client) self(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.username != "" {
		return c.username, nil
	}
	u, _, err := c.gl.Users.CurrentUser(gl.WithContext(ctx))
	if err != nil {
		return "", err
	}
	c.username = u.Username
	return c.username, nil
}

// findNote returns MR number's oldest non-system note written by the
// client that contains marker, or nil. Notes by anyone else are never
// taken, so a user quoting or faking the marker cannot capture the plan
// note.
func (c *Client) findNote(ctx context.Context, number int, marker string) (*gl.Note, error) {
	me, err := c.self(ctx)
	if err != nil {
		return nil, err
	}
	opt := &gl.ListMergeRequestNotesOptions{ListOptions: gl.ListOptions{PerPage: 100},
		OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("asc")}
	for {
		page, resp, err := c.gl.Notes.ListMergeRequestNotes(c.pid, int64(number), opt, gl.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		for _, n := range page {
			if !n.System && n.Author.Username == me && strings.Contains(n.Body, marker) {
				return n, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opt.Page = resp.NextPage
	}
}
