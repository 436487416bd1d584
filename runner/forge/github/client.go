// Package github is driftgate's forge.Client and forge.Webhooks for GitHub
// and GitHub Enterprise Server, on go-github. It authenticates with a
// personal (or fine-grained) token, or as a GitHub App installation.
//
// Setting up GitHub for driftgate:
//
//   - Token: a fine-grained token on the repository with Pull requests,
//     Issues and Commit statuses read & write and Metadata read (a classic
//     token needs the repo scope). Or a GitHub App with the same
//     permissions, installed on the repository: app_id, installation_id
//     and the app's private key file.
//   - Webhook (repository settings → Webhooks): payload URL
//     <public_url>/webhooks/<repo>, content type application/json (form
//     works too), a secret (webhook_secret_env), and the events Pushes,
//     Pull requests, Issue comments and Pull request reviews.
//   - Enterprise Server: base_url is the server (https://github.example.com);
//     the API path /api/v3/ is added.
//
// Comments are written as the token's user (the app's "<slug>[bot]"), and
// only that user's comments are ever updated or deleted.
package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v75/github"

	"github.com/driftgate/driftgate/runner/forge"
)

// MaxCommentLength is the longest issue comment GitHub accepts, in
// characters.
const MaxCommentLength = 65536

// Options configure a Client.
type Options struct {
	// BaseURL is the API or server URL. Empty (or https://api.github.com)
	// means github.com; anything else is a GitHub Enterprise Server, whose
	// API lives under /api/v3/ (added when missing).
	BaseURL string
	// Project is the repository, "owner/name".
	Project string
	// Token is a personal access token. Ignored when App is set.
	Token string
	// App authenticates as a GitHub App installation instead of Token.
	App *App
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

// App is a GitHub App installation.
type App struct {
	AppID          int64
	InstallationID int64
	// PrivateKeyFile is the app's PEM private key.
	PrivateKeyFile string
}

// Client is a forge.Client for one GitHub repository.
type Client struct {
	gh          *gh.Client
	owner, repo string
	opts        Options
	log         *slog.Logger
	// whoami reads the login comments are written as.
	whoami func(ctx context.Context) (string, error)

	mu    sync.Mutex
	login string // cached whoami
}

var _ forge.Client = (*Client)(nil)

// New returns a Client for opts.Project.
func New(opts Options) (*Client, error) {
	owner, repo, ok := strings.Cut(opts.Project, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("github: project %q: want \"owner/name\"", opts.Project)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var base http.RoundTripper = http.DefaultTransport
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		base = opts.HTTPClient.Transport
	}

	apiURL, enterprise, err := apiBase(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	var hc *http.Client
	var appClient *gh.Client
	switch {
	case opts.App != nil:
		a := opts.App
		if a.AppID <= 0 || a.InstallationID <= 0 || a.PrivateKeyFile == "" {
			return nil, fmt.Errorf("github: app needs app_id, installation_id and private_key_file")
		}
		tr, err := ghinstallation.NewKeyFromFile(base, a.AppID, a.InstallationID, a.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("github: app private key %s: %w", a.PrivateKeyFile, err)
		}
		tr.BaseURL = strings.TrimSuffix(apiURL, "/")
		hc = &http.Client{Transport: tr}
		appTr, err := ghinstallation.NewAppsTransportKeyFromFile(base, a.AppID, a.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("github: app private key %s: %w", a.PrivateKeyFile, err)
		}
		appTr.BaseURL = tr.BaseURL
		appClient = gh.NewClient(&http.Client{Transport: appTr})
	case opts.Token != "":
		hc = &http.Client{Transport: base}
	default:
		return nil, fmt.Errorf("github: no token and no app: set token_env or an app block")
	}
	c := gh.NewClient(hc)
	if opts.App == nil {
		c = c.WithAuthToken(opts.Token)
	}
	if enterprise {
		if c, err = c.WithEnterpriseURLs(apiURL, apiURL); err != nil {
			return nil, fmt.Errorf("github: base_url %q: %w", opts.BaseURL, err)
		}
		if appClient != nil {
			if appClient, err = appClient.WithEnterpriseURLs(apiURL, apiURL); err != nil {
				return nil, fmt.Errorf("github: base_url %q: %w", opts.BaseURL, err)
			}
		}
	}
	cl := &Client{gh: c, owner: owner, repo: repo, opts: opts, log: log}
	// A token writes as its user; an app installation as "<slug>[bot]".
	cl.whoami = func(ctx context.Context) (string, error) {
		u, _, err := c.Users.Get(ctx, "")
		return u.GetLogin(), err
	}
	if appClient != nil {
		cl.whoami = func(ctx context.Context) (string, error) {
			a, _, err := appClient.Apps.Get(ctx, "")
			return a.GetSlug() + "[bot]", err
		}
	}
	return cl, nil
}

// apiBase returns the REST API root for baseURL and whether it is an
// Enterprise Server.
func apiBase(baseURL string) (string, bool, error) {
	if baseURL == "" {
		return "https://api.github.com/", false, nil
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", false, fmt.Errorf("github: base_url %q: want an http(s) URL such as https://github.example.com", baseURL)
	}
	if u.Host == "api.github.com" || u.Host == "github.com" {
		return "https://api.github.com/", false, nil
	}
	p := strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(p, "/api/v3") {
		p += "/api/v3"
	}
	u.Path = p + "/"
	return u.String(), true, nil
}

// MaxCommentLength implements forge.Client.
func (c *Client) MaxCommentLength() int { return MaxCommentLength }

// PullRequest implements forge.Client.
func (c *Client) PullRequest(ctx context.Context, number int) (*forge.PullRequest, error) {
	var pr *gh.PullRequest
	err := c.call(ctx, fmt.Sprintf("read PR %d", number), func(ctx context.Context) error {
		var err error
		pr, _, err = c.gh.PullRequests.Get(ctx, c.owner, c.repo, number)
		return err
	})
	if err != nil {
		return nil, err
	}
	return toPR(pr), nil
}

func toPR(pr *gh.PullRequest) *forge.PullRequest {
	out := &forge.PullRequest{
		Number:  pr.GetNumber(),
		Title:   pr.GetTitle(),
		Author:  pr.GetUser().GetLogin(),
		HeadSHA: pr.GetHead().GetSHA(),
		HeadRef: pr.GetHead().GetRef(),
		BaseRef: pr.GetBase().GetRef(),
		Draft:   pr.GetDraft(),
		URL:     pr.GetHTMLURL(),
		State:   forge.PROpen,
		// A head repository GitHub no longer knows (a deleted fork) is
		// a fork too.
		FromFork: pr.GetHead().GetRepo().GetFullName() != pr.GetBase().GetRepo().GetFullName(),
	}
	switch {
	case pr.GetMerged() || pr.MergedAt != nil:
		out.State = forge.PRMerged
		out.MergeCommitSHA = pr.GetMergeCommitSHA()
	case pr.GetState() == "closed":
		out.State = forge.PRClosed
	}
	return out
}

// Reviews implements forge.Client. Pending (unsubmitted) reviews are left
// out.
func (c *Client) Reviews(ctx context.Context, number int) ([]forge.Review, error) {
	var out []forge.Review
	err := c.call(ctx, fmt.Sprintf("list reviews of PR %d", number), func(ctx context.Context) error {
		out = out[:0]
		opt := &gh.ListOptions{PerPage: 100}
		for {
			page, resp, err := c.gh.PullRequests.ListReviews(ctx, c.owner, c.repo, number, opt)
			if err != nil {
				return err
			}
			for _, r := range page {
				st, ok := reviewState(r.GetState())
				if !ok {
					continue
				}
				out = append(out, forge.Review{ID: r.GetID(), User: r.GetUser().GetLogin(), State: st,
					CommitSHA: r.GetCommitID(), SubmittedAt: r.GetSubmittedAt().Time})
			}
			if resp.NextPage == 0 {
				return nil
			}
			opt.Page = resp.NextPage
		}
	})
	return out, err
}

func reviewState(s string) (forge.ReviewState, bool) {
	switch strings.ToUpper(s) {
	case "APPROVED":
		return forge.ReviewApproved, true
	case "CHANGES_REQUESTED":
		return forge.ReviewChangesRequested, true
	case "COMMENTED":
		return forge.ReviewCommented, true
	case "DISMISSED":
		return forge.ReviewDismissed, true
	}
	return "", false
}

// CanWrite implements forge.Client: the collaborator permission is admin,
// maintain or write. A user GitHub does not know cannot write.
func (c *Client) CanWrite(ctx context.Context, user string) (bool, error) {
	var lvl *gh.RepositoryPermissionLevel
	err := c.call(ctx, fmt.Sprintf("read %s's permission", user), func(ctx context.Context) error {
		var err error
		lvl, _, err = c.gh.Repositories.GetPermissionLevel(ctx, c.owner, c.repo, user)
		return err
	})
	if errors.Is(err, forge.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch lvl.GetRoleName() {
	case "admin", "maintain", "write":
		return true, nil
	}
	switch lvl.GetPermission() {
	case "admin", "maintain", "write":
		return true, nil
	}
	return false, nil
}

// SetStatus implements forge.Client with the commit status API.
func (c *Client) SetStatus(ctx context.Context, sha string, s forge.Status) error {
	st := &gh.RepoStatus{State: gh.Ptr(string(s.State)), Context: gh.Ptr(s.Context)}
	if s.Description != "" {
		// GitHub rejects descriptions over 140 characters.
		st.Description = gh.Ptr(truncate(s.Description, 140))
	}
	if s.TargetURL != "" {
		st.TargetURL = gh.Ptr(s.TargetURL)
	}
	return c.call(ctx, fmt.Sprintf("set status %s on %s", s.Context, sha), func(ctx context.Context) error {
		_, _, err := c.gh.Repositories.CreateStatus(ctx, c.owner, c.repo, sha, st)
		return err
	})
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// CreatePullRequest implements forge.Client. When an open PR from head
// into base already exists (GitHub answers 422 "already exists", also
// after a retried create whose first answer was lost), it returns that PR.
func (c *Client) CreatePullRequest(ctx context.Context, npr forge.NewPullRequest) (*forge.PullRequest, error) {
	var pr *gh.PullRequest
	err := c.call(ctx, fmt.Sprintf("open a PR from %s into %s", npr.Head, npr.Base), func(ctx context.Context) error {
		var err error
		pr, _, err = c.gh.PullRequests.Create(ctx, c.owner, c.repo, &gh.NewPullRequest{
			Title: gh.Ptr(npr.Title), Body: gh.Ptr(npr.Body), Head: gh.Ptr(npr.Head), Base: gh.Ptr(npr.Base)})
		if !alreadyExists(err) {
			return err
		}
		open, _, err := c.gh.PullRequests.List(ctx, c.owner, c.repo, &gh.PullRequestListOptions{
			State: "open", Head: c.owner + ":" + npr.Head, Base: npr.Base})
		if err != nil {
			return err
		}
		if len(open) == 0 {
			return fmt.Errorf("GitHub says a PR from %s into %s exists but lists none open", npr.Head, npr.Base)
		}
		pr = open[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return toPR(pr), nil
}

// alreadyExists reports GitHub's 422 for a PR that is already open.
func alreadyExists(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if strings.Contains(e.Message, "already exists") {
			return true
		}
	}
	return false
}
