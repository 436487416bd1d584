package gitea

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/driftgate/driftgate/runner/forge"
)

// Webhooks reads Gitea's (and Forgejo's) webhook deliveries of type
// "gitea" with content type JSON.
//
// Gitea sends no review id, commit or time in a review delivery:
// ReviewEvent.Review has ID 0, no SubmittedAt, the sender as User and the
// PR's head at delivery as CommitSHA; read Client.Reviews for the stored
// review before counting it. Gitea's drafts are PRs whose title starts with a
// work-in-progress prefix ("WIP:", "[WIP]"); removing it is an "edited"
// delivery, which Parse reports as forge.PRReadyForReview.
type Webhooks struct{}

var _ forge.Webhooks = Webhooks{}

// Delivery headers Gitea sets (Forgejo sets the same).
const (
	headerSignature = "X-Gitea-Signature"
	headerEvent     = "X-Gitea-Event"
	headerEventType = "X-Gitea-Event-Type"
	headerDelivery  = "X-Gitea-Delivery"
)

// Verify checks X-Gitea-Signature, the hex HMAC-SHA256 of body with secret,
// in constant time. An empty secret verifies nothing: ErrSignature.
func (Webhooks) Verify(h http.Header, body, secret []byte) error {
	sig := strings.TrimSpace(h.Get(headerSignature))
	if len(secret) == 0 || sig == "" {
		return forge.ErrSignature
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return forge.ErrSignature
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return forge.ErrSignature
	}
	return nil
}

// Parse reads a verified delivery: push, pull_request, issue_comment on a
// PR, and the review deliveries (pull_request_approved,
// pull_request_rejected, pull_request_comment). Anything else is
// forge.ErrIgnored.
func (Webhooks) Parse(h http.Header, body []byte) (*forge.Event, error) {
	event := h.Get(headerEvent)
	if event == "" {
		event = h.Get("X-Gogs-Event")
	}
	ev := &forge.Event{DeliveryID: h.Get(headerDelivery)}
	var err error
	switch event {
	case "push":
		err = parsePush(ev, body)
	case "pull_request":
		err = parsePR(ev, body)
	case "issue_comment":
		err = parseComment(ev, body)
	case "pull_request_approved", "pull_request_rejected", "pull_request_comment":
		err = parseReview(ev, event, body)
	default:
		return nil, fmt.Errorf("gitea: %w: event %q (%s)", forge.ErrIgnored, event, h.Get(headerEventType))
	}
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// The parts of Gitea's payloads (modules/structs) driftgate reads.
type (
	hookUser struct {
		Login string `json:"login"`
	}
	hookRepo struct {
		ID       int64  `json:"id"`
		FullName string `json:"full_name"`
	}
	hookBranch struct {
		Ref    string    `json:"ref"`
		Sha    string    `json:"sha"`
		RepoID int64     `json:"repo_id"`
		Repo   *hookRepo `json:"repo"`
	}
	hookPR struct {
		Number         int64       `json:"number"`
		Title          string      `json:"title"`
		User           *hookUser   `json:"user"`
		State          string      `json:"state"`
		Draft          bool        `json:"draft"`
		Merged         bool        `json:"merged"`
		MergeCommitSHA *string     `json:"merge_commit_sha"`
		HTMLURL        string      `json:"html_url"`
		Head           *hookBranch `json:"head"`
		Base           *hookBranch `json:"base"`
	}
	hookChanges struct {
		Title *struct {
			From string `json:"from"`
		} `json:"title"`
	}
)

func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("gitea: %w: %w", forge.ErrMalformed, err)
	}
	return nil
}

func project(r *hookRepo) (string, error) {
	if r == nil || r.FullName == "" {
		return "", fmt.Errorf("gitea: %w: no repository.full_name", forge.ErrMalformed)
	}
	return r.FullName, nil
}

func parsePush(ev *forge.Event, body []byte) error {
	var p struct {
		Ref    string    `json:"ref"`
		Before string    `json:"before"`
		After  string    `json:"after"`
		Repo   *hookRepo `json:"repository"`
	}
	if err := decode(body, &p); err != nil {
		return err
	}
	var err error
	if ev.Project, err = project(p.Repo); err != nil {
		return err
	}
	if p.Ref == "" {
		return fmt.Errorf("gitea: %w: push without ref", forge.ErrMalformed)
	}
	ev.Kind = forge.EventPush
	ev.Push = &forge.PushEvent{Before: p.Before, After: p.After}
	if b, ok := strings.CutPrefix(p.Ref, "refs/heads/"); ok {
		ev.Push.Branch = b
	}
	return nil
}

func parsePR(ev *forge.Event, body []byte) error {
	var p struct {
		Action  string       `json:"action"`
		PR      *hookPR      `json:"pull_request"`
		Repo    *hookRepo    `json:"repository"`
		Changes *hookChanges `json:"changes"`
	}
	if err := decode(body, &p); err != nil {
		return err
	}
	var err error
	if ev.Project, err = project(p.Repo); err != nil {
		return err
	}
	if p.PR == nil {
		return fmt.Errorf("gitea: %w: pull_request event without pull_request", forge.ErrMalformed)
	}
	ev.Kind = forge.EventPR
	ev.PR = &forge.PREvent{PR: p.PR.convert()}
	switch p.Action {
	case "opened":
		ev.PR.Action = forge.PROpened
	case "reopened":
		ev.PR.Action = forge.PRReopened
	case "synchronized":
		ev.PR.Action = forge.PRSynchronized
	case "closed":
		ev.PR.Action = forge.PRClosedAction
	case "edited":
		ev.PR.Action = forge.PROther
		if p.Changes != nil && p.Changes.Title != nil && isWIP(p.Changes.Title.From) && !p.PR.Draft {
			ev.PR.Action = forge.PRReadyForReview
		}
	default:
		ev.PR.Action = forge.PROther
	}
	return nil
}

// isWIP reports whether title starts with one of Gitea's default
// work-in-progress prefixes ([repository.pull-request]
// WORK_IN_PROGRESS_PREFIXES), case-insensitively, as Gitea compares.
func isWIP(title string) bool {
	t := strings.ToUpper(strings.TrimSpace(title))
	return strings.HasPrefix(t, "WIP:") || strings.HasPrefix(t, "[WIP]")
}

func (p *hookPR) convert() forge.PullRequest {
	pr := forge.PullRequest{
		Number: int(p.Number), Title: p.Title, Draft: p.Draft, URL: p.HTMLURL, State: forge.PROpen,
	}
	if p.User != nil {
		pr.Author = p.User.Login
	}
	if p.Head != nil {
		pr.HeadSHA, pr.HeadRef = p.Head.Sha, p.Head.Ref
	}
	if p.Base != nil {
		pr.BaseRef = p.Base.Ref
	}
	pr.FromFork = hookFromFork(p.Head, p.Base)
	switch {
	case p.Merged:
		pr.State = forge.PRMerged
		if p.MergeCommitSHA != nil {
			pr.MergeCommitSHA = *p.MergeCommitSHA
		}
	case p.State == "closed":
		pr.State = forge.PRClosed
	}
	return pr
}

// hookFromFork is fromFork for the webhook's branch info.
func hookFromFork(head, base *hookBranch) bool {
	if head == nil || base == nil {
		return false
	}
	if head.RepoID != 0 && base.RepoID != 0 {
		return head.RepoID != base.RepoID
	}
	if head.Repo != nil && base.Repo != nil {
		return head.Repo.ID != base.Repo.ID || !strings.EqualFold(head.Repo.FullName, base.Repo.FullName)
	}
	return head.Repo == nil && base.Repo != nil
}

func parseComment(ev *forge.Event, body []byte) error {
	var p struct {
		Action string `json:"action"`
		Issue  *struct {
			Number      int64           `json:"number"`
			PullRequest json.RawMessage `json:"pull_request"`
		} `json:"issue"`
		Comment *struct {
			ID   int64     `json:"id"`
			User *hookUser `json:"user"`
			Body string    `json:"body"`
		} `json:"comment"`
		Repo   *hookRepo `json:"repository"`
		IsPull bool      `json:"is_pull"`
	}
	if err := decode(body, &p); err != nil {
		return err
	}
	var err error
	if ev.Project, err = project(p.Repo); err != nil {
		return err
	}
	if p.Issue == nil || p.Comment == nil {
		return fmt.Errorf("gitea: %w: issue_comment without issue or comment", forge.ErrMalformed)
	}
	onPR := p.IsPull || (len(p.Issue.PullRequest) > 0 && string(p.Issue.PullRequest) != "null")
	if !onPR {
		return fmt.Errorf("gitea: %w: a comment on issue %d, not on a PR", forge.ErrIgnored, p.Issue.Number)
	}
	if p.Action != "created" {
		return fmt.Errorf("gitea: %w: comment %s", forge.ErrIgnored, p.Action)
	}
	ev.Kind = forge.EventComment
	ev.Comment = &forge.CommentEvent{PRNumber: int(p.Issue.Number), Body: p.Comment.Body, ID: p.Comment.ID}
	if p.Comment.User != nil {
		ev.Comment.Author = p.Comment.User.Login
	}
	return nil
}

func parseReview(ev *forge.Event, event string, body []byte) error {
	var p struct {
		Action   string    `json:"action"`
		PR       *hookPR   `json:"pull_request"`
		Repo     *hookRepo `json:"repository"`
		Sender   *hookUser `json:"sender"`
		CommitID string    `json:"commit_id"`
		Review   *struct {
			Type string `json:"type"`
		} `json:"review"`
	}
	if err := decode(body, &p); err != nil {
		return err
	}
	var err error
	if ev.Project, err = project(p.Repo); err != nil {
		return err
	}
	if p.PR == nil || p.Sender == nil {
		return fmt.Errorf("gitea: %w: %s without pull_request or sender", forge.ErrMalformed, event)
	}
	rv := forge.Review{User: p.Sender.Login, CommitSHA: p.CommitID}
	if rv.CommitSHA == "" && p.PR.Head != nil {
		rv.CommitSHA = p.PR.Head.Sha
	}
	switch event {
	case "pull_request_approved":
		rv.State = forge.ReviewApproved
	case "pull_request_rejected":
		rv.State = forge.ReviewChangesRequested
	default:
		rv.State = forge.ReviewCommented
	}
	ev.Kind = forge.EventReview
	ev.Review = &forge.ReviewEvent{PRNumber: int(p.PR.Number), Review: rv}
	return nil
}
