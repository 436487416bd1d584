package gitea

import (
	"context"
	"errors"
	"fmt"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/driftgate/driftgate/runner/forge"
)

// CanWrite reports whether user may push to the repository: Gitea's
// permission for them (as collaborator, team member or owner) is write,
// admin or owner. A user Gitea does not know cannot write: false, nil.
//
// Gitea shows other users' permissions only to repository and site admins:
// with a token of a mere writer, CanWrite fails with forge.ErrUnauthorized.
func (c *Client) CanWrite(ctx context.Context, user string) (bool, error) {
	var perm *sdk.CollaboratorPermissionResult
	op := fmt.Sprintf("read %s's permission on %s/%s", user, c.owner, c.repo)
	err := c.do(ctx, op, func(api *sdk.Client) (*sdk.Response, error) {
		var (
			resp *sdk.Response
			err  error
		)
		perm, resp, err = api.CollaboratorPermission(c.owner, c.repo, user)
		return resp, err
	})
	switch {
	case errors.Is(err, forge.ErrNotFound):
		// The user or the repository is missing: only the first is a no.
		if rerr := c.do(ctx, fmt.Sprintf("read %s/%s", c.owner, c.repo), func(api *sdk.Client) (*sdk.Response, error) {
			_, resp, err := api.GetRepo(c.owner, c.repo)
			return resp, err
		}); rerr != nil {
			return false, rerr
		}
		return false, nil
	case errors.Is(err, forge.ErrUnauthorized):
		return false, fmt.Errorf("%w (the token's user must be an admin of the repository to read others' permissions)", err)
	case err != nil:
		return false, err
	}
	if perm == nil {
		return false, nil
	}
	switch perm.Permission {
	case sdk.AccessModeWrite, sdk.AccessModeAdmin, sdk.AccessModeOwner:
		return true, nil
	}
	return false, nil
}

// SetStatus sets the commit status s.Context on sha.
func (c *Client) SetStatus(ctx context.Context, sha string, s forge.Status) error {
	state, err := statusState(s.State)
	if err != nil {
		return err
	}
	return c.do(ctx, fmt.Sprintf("set status %s on %s of %s/%s", s.Context, sha, c.owner, c.repo), func(api *sdk.Client) (*sdk.Response, error) {
		_, resp, err := api.CreateStatus(c.owner, c.repo, sha, sdk.CreateStatusOption{
			State: state, TargetURL: s.TargetURL, Description: s.Description, Context: s.Context,
		})
		return resp, err
	})
}

func statusState(s forge.StatusState) (sdk.StatusState, error) {
	switch s {
	case forge.StatusPending:
		return sdk.StatusPending, nil
	case forge.StatusSuccess:
		return sdk.StatusSuccess, nil
	case forge.StatusFailure:
		return sdk.StatusFailure, nil
	case forge.StatusError:
		return sdk.StatusError, nil
	}
	return "", fmt.Errorf("gitea: unknown commit status state %q", s)
}
