package gitlab

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/driftgate/driftgate/runner/forge"
)

// Webhooks is forge.Webhooks for GitLab project webhooks. It reads only
// the payload fields driftgate uses, so a change elsewhere in GitLab's
// payloads does not reject a delivery.
type Webhooks struct{}

var _ forge.Webhooks = Webhooks{}

// Delivery headers.
const (
	headerToken       = "X-Gitlab-Token"
	headerEvent       = "X-Gitlab-Event"
	headerEventUUID   = "X-Gitlab-Event-UUID"
	headerIdempotency = "Idempotency-Key"
)

// Verify implements forge.Webhooks: X-Gitlab-Token must equal secret.
// Both are hashed first so the comparison takes the same time whatever
// their lengths.
func (Webhooks) Verify(h http.Header, _, secret []byte) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no webhook secret configured", forge.ErrSignature)
	}
	tok := h.Get(headerToken)
	if tok == "" {
		return fmt.Errorf("%w: no %s header", forge.ErrSignature, headerToken)
	}
	got, want := sha256.Sum256([]byte(tok)), sha256.Sum256(secret)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return fmt.Errorf("%w: %s does not match the secret", forge.ErrSignature, headerToken)
	}
	return nil
}

type glUser struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

type glPayload struct {
	ObjectKind string `json:"object_kind"`
	Project    *struct {
		PathWithNamespace string `json:"path_with_namespace"`
	} `json:"project"`
	User *glUser `json:"user"`
	// push
	Ref    string `json:"ref"`
	Before string `json:"before"`
	After  string `json:"after"`
	// merge_request and note
	ObjectAttributes *struct {
		ID              int64  `json:"id"`
		IID             int    `json:"iid"`
		Title           string `json:"title"`
		State           string `json:"state"`
		Action          string `json:"action"`
		OldRev          string `json:"oldrev"`
		Draft           bool   `json:"draft"`
		WorkInProgress  bool   `json:"work_in_progress"`
		SourceBranch    string `json:"source_branch"`
		TargetBranch    string `json:"target_branch"`
		SourceProjectID int64  `json:"source_project_id"`
		TargetProjectID int64  `json:"target_project_id"`
		MergeCommitSHA  string `json:"merge_commit_sha"`
		URL             string `json:"url"`
		LastCommit      struct {
			ID string `json:"id"`
		} `json:"last_commit"`
		// note
		Note         string `json:"note"`
		NoteableType string `json:"noteable_type"`
		System       bool   `json:"system"`
	} `json:"object_attributes"`
	Changes struct {
		Draft *struct {
			Previous bool `json:"previous"`
			Current  bool `json:"current"`
		} `json:"draft"`
	} `json:"changes"`
	MergeRequest *struct {
		IID int `json:"iid"`
	} `json:"merge_request"`
}

// Parse implements forge.Webhooks for Push Hook, Tag Push Hook, Merge
// Request Hook and Note Hook on a merge request; everything else is
// forge.ErrIgnored.
//
// Merge Request Hook actions map as: open → opened, reopen → reopened,
// update with oldrev (new commits) → synchronized, update taking the MR
// out of draft → ready_for_review, merge → closed with state merged,
// close → closed, approval/approved → an approved review by the hook's
// user on last_commit, unapproval/unapproved → a dismissed one, the rest
// → other. GitLab's MR hooks name the author only by id, so
// PullRequest.Author is set for open (where the user is the author) and
// is otherwise empty: read the MR when it matters.
//
// The delivery id is Idempotency-Key (kept across GitLab's retries), else
// X-Gitlab-Event-UUID.
func (Webhooks) Parse(h http.Header, body []byte) (*forge.Event, error) {
	kind := h.Get(headerEvent)
	if kind == "" {
		return nil, fmt.Errorf("%w: no %s header", forge.ErrMalformed, headerEvent)
	}
	switch kind {
	case "Push Hook", "Tag Push Hook", "Merge Request Hook", "Note Hook":
	default:
		return nil, fmt.Errorf("%w: GitLab %s", forge.ErrIgnored, kind)
	}
	var p glPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: GitLab %s: %w", forge.ErrMalformed, kind, err)
	}
	ev := &forge.Event{DeliveryID: h.Get(headerIdempotency)}
	if ev.DeliveryID == "" {
		ev.DeliveryID = h.Get(headerEventUUID)
	}
	if p.Project == nil || p.Project.PathWithNamespace == "" {
		return nil, fmt.Errorf("%w: GitLab %s without project.path_with_namespace", forge.ErrMalformed, kind)
	}
	ev.Project = p.Project.PathWithNamespace
	switch kind {
	case "Push Hook", "Tag Push Hook":
		if p.Ref == "" || p.After == "" {
			return nil, fmt.Errorf("%w: GitLab %s without ref or after", forge.ErrMalformed, kind)
		}
		branch := ""
		if b, ok := strings.CutPrefix(p.Ref, "refs/heads/"); ok {
			branch = b
		}
		ev.Kind, ev.Push = forge.EventPush, &forge.PushEvent{Branch: branch, Before: p.Before, After: p.After}
	case "Merge Request Hook":
		return mergeRequest(ev, &p)
	case "Note Hook":
		a := p.ObjectAttributes
		if a == nil {
			return nil, fmt.Errorf("%w: GitLab Note Hook without object_attributes", forge.ErrMalformed)
		}
		if a.NoteableType != "MergeRequest" {
			return nil, fmt.Errorf("%w: note on a %s, not a merge request", forge.ErrIgnored, a.NoteableType)
		}
		if a.System || (a.Action != "" && a.Action != "create") {
			return nil, fmt.Errorf("%w: system or edited note", forge.ErrIgnored)
		}
		if p.MergeRequest == nil || p.MergeRequest.IID <= 0 || p.User == nil {
			return nil, fmt.Errorf("%w: GitLab Note Hook without merge_request.iid or user", forge.ErrMalformed)
		}
		ev.Kind, ev.Comment = forge.EventComment, &forge.CommentEvent{PRNumber: p.MergeRequest.IID,
			Author: p.User.Username, Body: a.Note, ID: a.ID}
	}
	return ev, nil
}

func mergeRequest(ev *forge.Event, p *glPayload) (*forge.Event, error) {
	a := p.ObjectAttributes
	if a == nil || a.IID <= 0 {
		return nil, fmt.Errorf("%w: GitLab Merge Request Hook without object_attributes.iid", forge.ErrMalformed)
	}
	pr := forge.PullRequest{Number: a.IID, Title: a.Title, HeadSHA: a.LastCommit.ID, HeadRef: a.SourceBranch,
		BaseRef: a.TargetBranch, Draft: a.Draft || a.WorkInProgress, URL: a.URL, State: forge.PROpen,
		FromFork: a.SourceProjectID != a.TargetProjectID}
	switch a.State {
	case "merged":
		pr.State, pr.MergeCommitSHA = forge.PRMerged, a.MergeCommitSHA
	case "closed":
		pr.State = forge.PRClosed
	}
	var action forge.PRAction
	switch a.Action {
	case "open":
		action = forge.PROpened
		if p.User != nil {
			pr.Author = p.User.Username
		}
	case "reopen":
		action = forge.PRReopened
	case "update":
		switch {
		case a.OldRev != "":
			action = forge.PRSynchronized
		case p.Changes.Draft != nil && p.Changes.Draft.Previous && !p.Changes.Draft.Current:
			action = forge.PRReadyForReview
		default:
			action = forge.PROther
		}
	case "merge":
		action, pr.State = forge.PRClosedAction, forge.PRMerged
		pr.MergeCommitSHA = a.MergeCommitSHA
	case "close":
		action, pr.State = forge.PRClosedAction, forge.PRClosed
	case "approval", "approved", "unapproval", "unapproved":
		if p.User == nil || p.User.Username == "" {
			return nil, fmt.Errorf("%w: GitLab %s without user", forge.ErrMalformed, a.Action)
		}
		st := forge.ReviewApproved
		if strings.HasPrefix(a.Action, "un") {
			st = forge.ReviewDismissed
		}
		ev.Kind, ev.Review = forge.EventReview, &forge.ReviewEvent{PRNumber: a.IID, Review: forge.Review{
			ID: p.User.ID, User: p.User.Username, State: st, CommitSHA: a.LastCommit.ID /* the hook carries no approval time */}}
		return ev, nil
	default:
		action = forge.PROther
	}
	ev.Kind, ev.PR = forge.EventPR, &forge.PREvent{Action: action, PR: pr}
	return ev, nil
}
