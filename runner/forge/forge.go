// Package forge is what driftgate needs from a code forge (GitHub, GitLab,
// Gitea/Forgejo) to work on pull requests: read a pull request and its
// reviews, check a user's permission, keep one comment up to date, set
// commit statuses, and understand the forge's webhooks. Each forge is a
// package below this one (forge/github, forge/gitlab, forge/gitea) built on
// the forge's maintained Go SDK; forgetest holds the one test suite every
// implementation passes.
//
// "PR" means a GitHub or Gitea pull request and a GitLab merge request.
package forge

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Kind names a forge type, as the config's forge { type } does.
type Kind string

// Forge types.
const (
	GitHub Kind = "github"
	GitLab Kind = "gitlab"
	Gitea  Kind = "gitea"
)

// Client talks to one project (repository) on a forge. Every call takes a
// context bounding it; implementations retry transient failures (5xx,
// timeouts) with backoff and honour rate-limit headers, and return
// ErrNotFound, ErrUnauthorized or a *RateLimitError where they apply.
type Client interface {
	// PullRequest reads PR number.
	PullRequest(ctx context.Context, number int) (*PullRequest, error)
	// Reviews lists the reviews of PR number, oldest first.
	Reviews(ctx context.Context, number int) ([]Review, error)
	// CanWrite reports whether user may push to the project (write,
	// maintain or admin access; GitLab: developer or above).
	CanWrite(ctx context.Context, user string) (bool, error)
	// UpsertComment makes the PR's comment that contains marker (an HTML
	// comment such as "<!-- driftgate:plan:1 -->", which the body must
	// contain) say body: it edits the comment found, or creates one. It
	// returns the comment's id.
	UpsertComment(ctx context.Context, number int, marker, body string) (int64, error)
	// DeleteComment deletes the PR's comment that contains marker, if
	// there is one.
	DeleteComment(ctx context.Context, number int, marker string) error
	// SetStatus sets a commit status on sha.
	SetStatus(ctx context.Context, sha string, s Status) error
	// CreatePullRequest opens a PR from head into base and returns it.
	CreatePullRequest(ctx context.Context, pr NewPullRequest) (*PullRequest, error)
	// MaxCommentLength is the longest comment body the forge accepts, in
	// characters (GitHub 65,536; GitLab 1,000,000; Gitea configurable).
	MaxCommentLength() int
}

// PullRequest is a PR as driftgate sees it.
type PullRequest struct {
	Number int
	Title  string
	// Author is the forge user name of who opened the PR.
	Author string
	// HeadSHA is the commit at the PR's head; HeadRef its branch.
	HeadSHA string
	HeadRef string
	// BaseRef is the target branch.
	BaseRef string
	State   PRState
	Draft   bool
	// FromFork is true when the head branch lives in another repository.
	FromFork bool
	// MergeCommitSHA is the commit the merge made, once merged.
	MergeCommitSHA string
	// URL is the PR's page.
	URL string
}

// PRState is the state of a PR.
type PRState string

// PR states.
const (
	PROpen   PRState = "open"
	PRClosed PRState = "closed" // closed without merge
	PRMerged PRState = "merged"
)

// NewPullRequest is what CreatePullRequest opens.
type NewPullRequest struct {
	Title string
	Body  string
	Head  string // branch to merge
	Base  string // target branch
}

// Review is one review of a PR.
type Review struct {
	ID int64
	// User is the reviewer's forge user name.
	User  string
	State ReviewState
	// CommitSHA is the PR head the review was given on.
	CommitSHA   string
	SubmittedAt time.Time
}

// ReviewState is a review's verdict.
type ReviewState string

// Review states.
const (
	ReviewApproved         ReviewState = "approved"
	ReviewChangesRequested ReviewState = "changes_requested"
	ReviewCommented        ReviewState = "commented"
	ReviewDismissed        ReviewState = "dismissed"
)

// Status is a commit status.
type Status struct {
	// Context names the check, such as "driftgate/plan".
	Context     string
	State       StatusState
	Description string
	// TargetURL is where the status links to.
	TargetURL string
}

// StatusState is a commit status state.
type StatusState string

// Commit status states.
const (
	StatusPending StatusState = "pending"
	StatusSuccess StatusState = "success"
	StatusFailure StatusState = "failure"
	StatusError   StatusState = "error"
)

// Webhooks turns a forge's webhook deliveries into Events.
type Webhooks interface {
	// Verify checks the delivery's signature or token against secret in
	// constant time; ErrSignature when it does not match or is missing.
	Verify(h http.Header, body, secret []byte) error
	// Parse reads a verified delivery. It returns ErrIgnored for events
	// driftgate does not act on, and an error wrapping ErrMalformed for a
	// body that is not the forge's JSON.
	Parse(h http.Header, body []byte) (*Event, error)
}

// Event is a webhook delivery driftgate acts on.
type Event struct {
	Kind EventKind
	// DeliveryID identifies the delivery; a redelivery repeats it.
	DeliveryID string
	// Project is the repository's full path, such as "acme/infra".
	Project string
	// Exactly one of these is set, by Kind (none for EventPing).
	Push    *PushEvent
	PR      *PREvent
	Comment *CommentEvent
	Review  *ReviewEvent
}

// EventKind says what an Event is about.
type EventKind string

// Event kinds.
const (
	EventPing    EventKind = "ping"
	EventPush    EventKind = "push"
	EventPR      EventKind = "pull_request"
	EventComment EventKind = "comment"
	EventReview  EventKind = "review"
)

// PushEvent is a push to a branch.
type PushEvent struct {
	// Branch is the pushed branch (without refs/heads/); empty for tags.
	Branch string
	Before string
	After  string
}

// PREvent is a change to a PR.
type PREvent struct {
	Action PRAction
	PR     PullRequest
}

// PRAction is what happened to a PR.
type PRAction string

// PR actions. Forges' own words map onto these (GitLab's "update" with new
// commits is PRSynchronized, "merge" is PRClosed with a merged PR).
const (
	PROpened         PRAction = "opened"
	PRReopened       PRAction = "reopened"
	PRSynchronized   PRAction = "synchronized" // new commits on the head
	PRReadyForReview PRAction = "ready_for_review"
	PRClosedAction   PRAction = "closed" // PR.State says merged or closed
	PROther          PRAction = "other"  // edited, labeled, ...: nothing to do
)

// CommentEvent is a new comment on a PR.
type CommentEvent struct {
	PRNumber int
	// Author is the commenter's forge user name.
	Author string
	Body   string
	ID     int64
}

// ReviewEvent is a review submitted on a PR.
type ReviewEvent struct {
	PRNumber int
	Review   Review
}

// Errors of forge clients and webhooks.
var (
	ErrNotFound     = errors.New("not found on the forge")
	ErrUnauthorized = errors.New("the forge refused the token")
	ErrSignature    = errors.New("webhook signature or token missing or wrong")
	ErrMalformed    = errors.New("malformed webhook body")
	ErrIgnored      = errors.New("webhook event not acted on")
)

// RateLimitError is returned when the forge's rate limit is exhausted until
// Reset.
type RateLimitError struct {
	Reset time.Time
}

func (e *RateLimitError) Error() string {
	return "forge rate limit exhausted until " + e.Reset.UTC().Format(time.RFC3339)
}
