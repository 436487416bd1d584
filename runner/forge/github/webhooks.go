package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/driftgate/driftgate/runner/forge"
)

// Webhooks is forge.Webhooks for GitHub deliveries. It reads only the
// payload fields driftgate uses, so a change elsewhere in GitHub's payloads
// does not reject a delivery.
type Webhooks struct{}

var _ forge.Webhooks = Webhooks{}

// Delivery headers.
const (
	headerSignature = "X-Hub-Signature-256"
	headerEvent     = "X-GitHub-Event"
	headerDelivery  = "X-GitHub-Delivery"
)

// Verify implements forge.Webhooks: X-Hub-Signature-256 must be
// "sha256=" and the hex HMAC-SHA256 of body keyed with secret.
func (Webhooks) Verify(h http.Header, body, secret []byte) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no webhook secret configured", forge.ErrSignature)
	}
	sig := h.Get(headerSignature)
	if sig == "" {
		return fmt.Errorf("%w: no %s header", forge.ErrSignature, headerSignature)
	}
	hexSig, ok := strings.CutPrefix(sig, "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil {
		return fmt.Errorf("%w: %s is not sha256=<hex>", forge.ErrSignature, headerSignature)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%w: %s does not match the body", forge.ErrSignature, headerSignature)
	}
	return nil
}

type ghUser struct {
	Login string `json:"login"`
}

type ghRepo struct {
	FullName string `json:"full_name"`
}

type ghPR struct {
	Number  int    `json:"number"`
	Title   string `json:"title"`
	State   string `json:"state"`
	Draft   bool   `json:"draft"`
	Merged  bool   `json:"merged"`
	HTMLURL string `json:"html_url"`
	User    ghUser `json:"user"`
	Head    struct {
		Ref  string  `json:"ref"`
		SHA  string  `json:"sha"`
		Repo *ghRepo `json:"repo"`
	} `json:"head"`
	Base struct {
		Ref  string  `json:"ref"`
		Repo *ghRepo `json:"repo"`
	} `json:"base"`
	MergeCommitSHA *string `json:"merge_commit_sha"`
}

type ghPayload struct {
	Action     string  `json:"action"`
	Repository *ghRepo `json:"repository"`
	// push
	Ref    string `json:"ref"`
	Before string `json:"before"`
	After  string `json:"after"`
	// pull_request, pull_request_review
	PullRequest *ghPR `json:"pull_request"`
	// issue_comment
	Issue *struct {
		Number      int             `json:"number"`
		PullRequest json.RawMessage `json:"pull_request"`
	} `json:"issue"`
	Comment *struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
		User ghUser `json:"user"`
	} `json:"comment"`
	// pull_request_review
	Review *struct {
		ID          int64     `json:"id"`
		User        ghUser    `json:"user"`
		State       string    `json:"state"`
		CommitID    string    `json:"commit_id"`
		SubmittedAt time.Time `json:"submitted_at"`
	} `json:"review"`
}

// Parse implements forge.Webhooks for push, ping, pull_request,
// issue_comment (created, on a PR) and pull_request_review (submitted or
// dismissed). Everything else is forge.ErrIgnored.
func (Webhooks) Parse(h http.Header, body []byte) (*forge.Event, error) {
	kind := h.Get(headerEvent)
	if kind == "" {
		return nil, fmt.Errorf("%w: no %s header", forge.ErrMalformed, headerEvent)
	}
	switch kind {
	case "push", "ping", "pull_request", "issue_comment", "pull_request_review":
	default:
		return nil, fmt.Errorf("%w: GitHub event %q", forge.ErrIgnored, kind)
	}
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		// A webhook set to content type "form" sends the JSON as the
		// payload field.
		form, err := url.ParseQuery(string(body))
		if err != nil || !form.Has("payload") {
			return nil, fmt.Errorf("%w: GitHub %s: form body without a payload field", forge.ErrMalformed, kind)
		}
		body = []byte(form.Get("payload"))
	}
	var p ghPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: GitHub %s: %w", forge.ErrMalformed, kind, err)
	}
	ev := &forge.Event{DeliveryID: h.Get(headerDelivery)}
	if p.Repository != nil {
		ev.Project = p.Repository.FullName
	}
	if ev.Project == "" && kind != "ping" {
		return nil, fmt.Errorf("%w: GitHub %s without repository.full_name", forge.ErrMalformed, kind)
	}
	switch kind {
	case "ping":
		ev.Kind = forge.EventPing
	case "push":
		if p.After == "" || p.Ref == "" {
			return nil, fmt.Errorf("%w: GitHub push without ref or after", forge.ErrMalformed)
		}
		branch, _ := strings.CutPrefix(p.Ref, "refs/heads/")
		if !strings.HasPrefix(p.Ref, "refs/heads/") {
			branch = ""
		}
		ev.Kind, ev.Push = forge.EventPush, &forge.PushEvent{Branch: branch, Before: p.Before, After: p.After}
	case "pull_request":
		if p.PullRequest == nil || p.PullRequest.Number <= 0 {
			return nil, fmt.Errorf("%w: GitHub pull_request without pull_request.number", forge.ErrMalformed)
		}
		ev.Kind, ev.PR = forge.EventPR, &forge.PREvent{Action: prAction(p.Action), PR: p.PullRequest.toForge()}
	case "issue_comment":
		if p.Action != "created" {
			return nil, fmt.Errorf("%w: GitHub issue_comment %q", forge.ErrIgnored, p.Action)
		}
		if p.Issue == nil || p.Comment == nil {
			return nil, fmt.Errorf("%w: GitHub issue_comment without issue or comment", forge.ErrMalformed)
		}
		if len(p.Issue.PullRequest) == 0 || string(p.Issue.PullRequest) == "null" {
			return nil, fmt.Errorf("%w: comment on issue %d, not a pull request", forge.ErrIgnored, p.Issue.Number)
		}
		ev.Kind, ev.Comment = forge.EventComment, &forge.CommentEvent{PRNumber: p.Issue.Number,
			Author: p.Comment.User.Login, Body: p.Comment.Body, ID: p.Comment.ID}
	case "pull_request_review":
		if p.Action != "submitted" && p.Action != "dismissed" {
			return nil, fmt.Errorf("%w: GitHub pull_request_review %q", forge.ErrIgnored, p.Action)
		}
		if p.Review == nil || p.PullRequest == nil {
			return nil, fmt.Errorf("%w: GitHub pull_request_review without review or pull_request", forge.ErrMalformed)
		}
		st, ok := reviewState(p.Review.State)
		if !ok {
			return nil, fmt.Errorf("%w: GitHub review state %q", forge.ErrIgnored, p.Review.State)
		}
		ev.Kind, ev.Review = forge.EventReview, &forge.ReviewEvent{PRNumber: p.PullRequest.Number, Review: forge.Review{
			ID: p.Review.ID, User: p.Review.User.Login, State: st, CommitSHA: p.Review.CommitID, SubmittedAt: p.Review.SubmittedAt}}
	}
	return ev, nil
}

func prAction(a string) forge.PRAction {
	switch a {
	case "opened":
		return forge.PROpened
	case "reopened":
		return forge.PRReopened
	case "synchronize":
		return forge.PRSynchronized
	case "ready_for_review":
		return forge.PRReadyForReview
	case "closed":
		return forge.PRClosedAction
	}
	return forge.PROther
}

func (p *ghPR) toForge() forge.PullRequest {
	out := forge.PullRequest{Number: p.Number, Title: p.Title, Author: p.User.Login, HeadSHA: p.Head.SHA,
		HeadRef: p.Head.Ref, BaseRef: p.Base.Ref, Draft: p.Draft, URL: p.HTMLURL, State: forge.PROpen}
	var head, base string
	if p.Head.Repo != nil {
		head = p.Head.Repo.FullName
	}
	if p.Base.Repo != nil {
		base = p.Base.Repo.FullName
	}
	// A deleted fork (head.repo null) is still a fork.
	out.FromFork = head != base || head == ""
	switch {
	case p.Merged:
		out.State = forge.PRMerged
		if p.MergeCommitSHA != nil {
			out.MergeCommitSHA = *p.MergeCommitSHA
		}
	case p.State == "closed":
		out.State = forge.PRClosed
	}
	return out
}
