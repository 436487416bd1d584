// Package gitlab is driftgate's forge.Client and forge.Webhooks for GitLab
// (gitlab.com and self-managed) merge requests, on GitLab's client-go.
//
// Setting up GitLab for driftgate:
//
//   - Token: a project access token (or a bot user's personal token) with
//     the api scope and the Developer role, which commit statuses need.
//   - Webhook (project settings → Webhooks): URL
//     <public_url>/webhooks/<repo>, a secret token (webhook_secret_env),
//     and the triggers Push events, Merge request events and Comments.
//   - Self-managed: base_url is the server (https://gitlab.example.com);
//     the API path /api/v4/ is added.
//
// GitLab has approvals, not reviews: Reviews lists one approved review per
// approver, on the MR head at approval time (see Reviews). Enabling the
// project's "Remove all approvals when commits are added" keeps the list
// to approvals of the current head.
//
// Notes are written as the token's user, and only that user's notes are
// ever updated or deleted.
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/driftgate/driftgate/runner/forge"
)

// MaxCommentLength is the longest note GitLab accepts, in characters.
const MaxCommentLength = 1000000

// Options configure a Client.
type Options struct {
	// BaseURL is the GitLab server; empty means https://gitlab.com. The
	// API path /api/v4/ is added when missing.
	BaseURL string
	// Project is the project's full path, "group/subgroup/name".
	Project string
	// Token is a personal, project or group access token with api scope.
	Token string
	// HTTPClient's transport carries the requests; nil uses
	// http.DefaultTransport.
	HTTPClient *http.Client
	// Logger receives retries and rate-limit waits; nil discards them.
	Logger *slog.Logger
	// CallTimeout bounds each attempt of a call (default 30s).
	CallTimeout time.Duration
	// Retries is how many times a transient failure is retried (default 4).
	Retries int
	// RetryBackoff is the first retry's wait, doubled on each retry up to
	// 10s (default 500ms).
	RetryBackoff time.Duration
	// MaxRateLimitWait is how long a call waits for an exhausted rate
	// limit to reset before it returns a *forge.RateLimitError instead
	// (default 1m).
	MaxRateLimitWait time.Duration
}

// Client is a forge.Client for one GitLab project.
type Client struct {
	gl     *gl.Client
	pid    string
	opts   Options
	log    *slog.Logger
	limits *limits

	mu       sync.Mutex
	username string // the token's user, read once
}

var _ forge.Client = (*Client)(nil)

// New returns a Client for opts.Project.
func New(opts Options) (*Client, error) {
	p := strings.Trim(opts.Project, "/")
	if !strings.Contains(p, "/") || strings.Contains(p, "//") {
		return nil, fmt.Errorf("gitlab: project %q: want the full path, such as \"group/name\"", opts.Project)
	}
	if opts.Token == "" {
		return nil, fmt.Errorf("gitlab: no token: set token_env")
	}
	base := opts.BaseURL
	if base == "" {
		base = "https://gitlab.com"
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("gitlab: base_url %q: want an http(s) URL such as https://gitlab.example.com", opts.BaseURL)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var tr http.RoundTripper = http.DefaultTransport
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		tr = opts.HTTPClient.Transport
	}
	lim := &limits{}
	// Retries are ours (the same rules as every forge, and a find+write
	// comment retried as one), so client-go's own are off.
	c, err := gl.NewClient(opts.Token,
		gl.WithBaseURL(base),
		gl.WithHTTPClient(&http.Client{Transport: recorder{next: tr, limits: lim}}),
		gl.WithoutRetries(),
		gl.WithURLWarningLogger(log),
	)
	if err != nil {
		return nil, fmt.Errorf("gitlab: %w", err)
	}
	return &Client{gl: c, pid: p, opts: opts, log: log, limits: lim}, nil
}

// MaxCommentLength implements forge.Client.
func (c *Client) MaxCommentLength() int { return MaxCommentLength }

// PullRequest implements forge.Client: the merge request with IID number.
func (c *Client) PullRequest(ctx context.Context, number int) (*forge.PullRequest, error) {
	var mr *gl.MergeRequest
	err := c.call(ctx, fmt.Sprintf("read MR !%d", number), func(ctx context.Context) error {
		var err error
		mr, _, err = c.gl.MergeRequests.GetMergeRequest(c.pid, int64(number), nil, gl.WithContext(ctx))
		return err
	})
	if err != nil {
		return nil, err
	}
	return toPR(&mr.BasicMergeRequest), nil
}

func toPR(mr *gl.BasicMergeRequest) *forge.PullRequest {
	out := &forge.PullRequest{Number: int(mr.IID), Title: mr.Title, HeadSHA: mr.SHA, HeadRef: mr.SourceBranch,
		BaseRef: mr.TargetBranch, Draft: mr.Draft, URL: mr.WebURL, State: forge.PROpen,
		FromFork: mr.SourceProjectID != mr.TargetProjectID}
	if mr.Author != nil {
		out.Author = mr.Author.Username
	}
	switch mr.State {
	case "merged":
		out.State = forge.PRMerged
		out.MergeCommitSHA = mr.MergeCommitSHA
		if out.MergeCommitSHA == "" {
			out.MergeCommitSHA = mr.SquashCommitSHA
		}
	case "closed":
		out.State = forge.PRClosed
	}
	return out
}

// Reviews implements forge.Client with the MR's approvals: GitLab has
// approvals, not reviews, so each approver is one approved Review whose
// ID is the approver's user id (GitLab allows one approval per user) and
// whose CommitSHA is the MR's head when the approval was given: the
// newest MR diff version created at or before approved_at. GitLab versions
// that do not report approved_at get the current head.
func (c *Client) Reviews(ctx context.Context, number int) ([]forge.Review, error) {
	var out []forge.Review
	err := c.call(ctx, fmt.Sprintf("list approvals of MR !%d", number), func(ctx context.Context) error {
		out = out[:0]
		mr, _, err := c.gl.MergeRequests.GetMergeRequest(c.pid, int64(number), nil, gl.WithContext(ctx))
		if err != nil {
			return err
		}
		ap, _, err := c.gl.MergeRequestApprovals.GetConfiguration(c.pid, int64(number), gl.WithContext(ctx))
		if err != nil {
			return err
		}
		var versions []*gl.MergeRequestDiffVersion
		for _, a := range ap.ApprovedBy {
			if a.ApprovedAt != nil && versions == nil {
				if versions, err = c.versions(ctx, number); err != nil {
					return err
				}
			}
			if a.User == nil {
				continue
			}
			r := forge.Review{ID: a.User.ID, User: a.User.Username, State: forge.ReviewApproved, CommitSHA: mr.SHA}
			if a.ApprovedAt != nil {
				r.SubmittedAt = *a.ApprovedAt
				if sha := headAt(versions, *a.ApprovedAt); sha != "" {
					r.CommitSHA = sha
				}
			}
			out = append(out, r)
		}
		slices.SortStableFunc(out, func(a, b forge.Review) int { return a.SubmittedAt.Compare(b.SubmittedAt) })
		return nil
	})
	return out, err
}

// versions lists all diff versions of MR number.
func (c *Client) versions(ctx context.Context, number int) ([]*gl.MergeRequestDiffVersion, error) {
	out := []*gl.MergeRequestDiffVersion{}
	opt := &gl.GetMergeRequestDiffVersionsOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.gl.MergeRequests.GetMergeRequestDiffVersions(c.pid, int64(number), opt, gl.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// headAt is the head of the newest version created at or before t.
func headAt(versions []*gl.MergeRequestDiffVersion, t time.Time) string {
	var best *gl.MergeRequestDiffVersion
	for _, v := range versions {
		if v.CreatedAt == nil || v.CreatedAt.After(t) {
			continue
		}
		if best == nil || v.CreatedAt.After(*best.CreatedAt) || (v.CreatedAt.Equal(*best.CreatedAt) && v.ID > best.ID) {
			best = v
		}
	}
	if best == nil {
		return ""
	}
	return best.HeadCommitSHA
}

// CanWrite implements forge.Client: the user's access to the project,
// inherited from groups included, is Developer (30) or above. A user
// GitLab does not know, or who is no member, cannot write.
func (c *Client) CanWrite(ctx context.Context, user string) (bool, error) {
	var level gl.AccessLevelValue
	err := c.call(ctx, fmt.Sprintf("read %s's access", user), func(ctx context.Context) error {
		level = 0
		users, _, err := c.gl.Users.ListUsers(&gl.ListUsersOptions{Username: gl.Ptr(user)}, gl.WithContext(ctx))
		if err != nil {
			return err
		}
		for _, u := range users {
			if !strings.EqualFold(u.Username, user) {
				continue
			}
			m, _, err := c.gl.ProjectMembers.GetInheritedProjectMember(c.pid, u.ID, gl.WithContext(ctx))
			if err != nil {
				return err
			}
			level = m.AccessLevel
		}
		return nil
	})
	if errors.Is(err, forge.ErrNotFound) {
		return false, nil
	}
	return level >= gl.DeveloperPermissions, err
}

// SetStatus implements forge.Client with a commit status named s.Context:
// pending → pending, success → success, failure and error → failed.
// Setting the state a status already has is not an error (GitLab answers
// it with "Cannot transition status").
func (c *Client) SetStatus(ctx context.Context, sha string, s forge.Status) error {
	state := gl.Pending
	switch s.State {
	case forge.StatusSuccess:
		state = gl.Success
	case forge.StatusFailure, forge.StatusError:
		state = gl.Failed
	}
	opt := &gl.SetCommitStatusOptions{State: state, Name: gl.Ptr(s.Context)}
	if s.Description != "" {
		opt.Description = gl.Ptr(s.Description)
	}
	if s.TargetURL != "" {
		opt.TargetURL = gl.Ptr(s.TargetURL)
	}
	return c.call(ctx, fmt.Sprintf("set status %s on %s", s.Context, sha), func(ctx context.Context) error {
		_, _, err := c.gl.Commits.SetCommitStatus(c.pid, sha, opt, gl.WithContext(ctx))
		var er *gl.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusBadRequest &&
			strings.Contains(er.Message, "Cannot transition status") {
			return nil
		}
		return err
	})
}

// CreatePullRequest implements forge.Client: a merge request. When an
// open MR from head into base already exists (GitLab answers 409, also
// after a retried create whose first answer was lost), it returns that MR.
func (c *Client) CreatePullRequest(ctx context.Context, npr forge.NewPullRequest) (*forge.PullRequest, error) {
	var mr *gl.BasicMergeRequest
	err := c.call(ctx, fmt.Sprintf("open an MR from %s into %s", npr.Head, npr.Base), func(ctx context.Context) error {
		created, _, err := c.gl.MergeRequests.CreateMergeRequest(c.pid, &gl.CreateMergeRequestOptions{Title: gl.Ptr(npr.Title),
			Description: gl.Ptr(npr.Body), SourceBranch: gl.Ptr(npr.Head), TargetBranch: gl.Ptr(npr.Base)}, gl.WithContext(ctx))
		var er *gl.ErrorResponse
		if !errors.As(err, &er) || er.StatusCode != http.StatusConflict {
			if err == nil {
				mr = &created.BasicMergeRequest
			}
			return err
		}
		open, _, err := c.gl.MergeRequests.ListProjectMergeRequests(c.pid, &gl.ListProjectMergeRequestsOptions{
			State: gl.Ptr("opened"), SourceBranch: gl.Ptr(npr.Head), TargetBranch: gl.Ptr(npr.Base)}, gl.WithContext(ctx))
		if err != nil {
			return err
		}
		if len(open) == 0 {
			return fmt.Errorf("GitLab says an MR from %s into %s exists but lists none open", npr.Head, npr.Base)
		}
		mr = open[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return toPR(mr), nil
}
