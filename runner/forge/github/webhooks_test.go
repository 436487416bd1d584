package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/forge"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sign(body, secret []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func headers(event string) http.Header {
	h := http.Header{}
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	return h
}

const (
	head1 = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	head2 = "9a8f6c7a0b5d1e3f2c4b6a8d0e1f2a3b4c5d6e7f"
	merge = "e5bd3914e2e596debea16f433f57875b5b90bcd6"
)

func TestParse(t *testing.T) {
	pr := func(mod func(*forge.PullRequest)) forge.PullRequest {
		p := forge.PullRequest{Number: 7, Title: "Raise the instance count", Author: "alice", HeadSHA: head1,
			HeadRef: "scale-web", BaseRef: "main", State: forge.PROpen, URL: "https://github.com/acme/infra/pull/7"}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	prEvent := func(a forge.PRAction, p forge.PullRequest) *forge.Event {
		return &forge.Event{Kind: forge.EventPR, PR: &forge.PREvent{Action: a, PR: p}}
	}
	for _, tc := range []struct {
		file, event string
		want        *forge.Event
	}{
		{"ping.json", "ping", &forge.Event{Kind: forge.EventPing}},
		{"push.json", "push", &forge.Event{Kind: forge.EventPush, Push: &forge.PushEvent{Branch: "main",
			Before: "2f2ef8b16b0f54b7e03fd33a3f0bf46ad4dbc4f1", After: merge}}},
		{"push_tag.json", "push", &forge.Event{Kind: forge.EventPush, Push: &forge.PushEvent{Branch: "",
			Before: "0000000000000000000000000000000000000000", After: merge}}},
		{"pull_request_opened.json", "pull_request", prEvent(forge.PROpened, pr(nil))},
		{"pull_request_reopened.json", "pull_request", prEvent(forge.PRReopened, pr(nil))},
		{"pull_request_draft_opened.json", "pull_request", prEvent(forge.PROpened, pr(func(p *forge.PullRequest) { p.Draft = true }))},
		{"pull_request_ready_for_review.json", "pull_request", prEvent(forge.PRReadyForReview, pr(nil))},
		{"pull_request_synchronize.json", "pull_request", prEvent(forge.PRSynchronized, pr(func(p *forge.PullRequest) { p.HeadSHA = head2 }))},
		{"pull_request_closed_merged.json", "pull_request", prEvent(forge.PRClosedAction, pr(func(p *forge.PullRequest) {
			p.State, p.MergeCommitSHA = forge.PRMerged, merge
		}))},
		{"pull_request_closed_unmerged.json", "pull_request", prEvent(forge.PRClosedAction, pr(func(p *forge.PullRequest) { p.State = forge.PRClosed }))},
		{"pull_request_labeled.json", "pull_request", prEvent(forge.PROther, pr(nil))},
		{"pull_request_fork.json", "pull_request", prEvent(forge.PROpened, pr(func(p *forge.PullRequest) { p.FromFork = true }))},
		{"issue_comment_pr.json", "issue_comment", &forge.Event{Kind: forge.EventComment, Comment: &forge.CommentEvent{
			PRNumber: 7, Author: "bob", Body: "/driftgate plan web", ID: 1081119451}}},
		{"pull_request_review_approved.json", "pull_request_review", &forge.Event{Kind: forge.EventReview, Review: &forge.ReviewEvent{
			PRNumber: 7, Review: forge.Review{ID: 80, User: "bob", State: forge.ReviewApproved, CommitSHA: head1,
				SubmittedAt: time.Date(2026, 11, 30, 10, 45, 0, 0, time.UTC)}}}},
		{"pull_request_review_changes_requested.json", "pull_request_review", &forge.Event{Kind: forge.EventReview, Review: &forge.ReviewEvent{
			PRNumber: 7, Review: forge.Review{ID: 81, User: "carol", State: forge.ReviewChangesRequested, CommitSHA: head1,
				SubmittedAt: time.Date(2026, 11, 30, 10, 46, 0, 0, time.UTC)}}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := Webhooks{}.Parse(headers(tc.event), fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			tc.want.DeliveryID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
			tc.want.Project = "acme/infra"
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", describe(got), describe(tc.want))
			}
		})
	}
}

func describe(e *forge.Event) string {
	s := fmt.Sprintf("%s %s %s", e.Kind, e.DeliveryID, e.Project)
	for _, v := range []any{e.Push, e.PR, e.Comment, e.Review} {
		if !reflect.ValueOf(v).IsNil() {
			s += fmt.Sprintf(" %+v", reflect.ValueOf(v).Elem().Interface())
		}
	}
	return s
}

func TestParseFormEncoded(t *testing.T) {
	h := headers("pull_request")
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	body := "payload=" + url.QueryEscape(string(fixture(t, "pull_request_opened.json")))
	ev, err := Webhooks{}.Parse(h, []byte(body))
	if err != nil || ev.PR == nil || ev.PR.PR.Number != 7 || ev.PR.Action != forge.PROpened {
		t.Fatalf("Parse(form) = %+v, %v; want PR 7 opened", ev, err)
	}
	if _, err := (Webhooks{}).Parse(h, []byte("zen=x")); !errors.Is(err, forge.ErrMalformed) {
		t.Errorf("form without payload: error = %v, want ErrMalformed", err)
	}
}

func TestParseIgnoresAndRejects(t *testing.T) {
	for _, tc := range []struct {
		name, event string
		body        string
		want        error
	}{
		{"unknown event", "workflow_run", `{"action":"completed"}`, forge.ErrIgnored},
		{"comment on an issue", "issue_comment", string(fixture(t, "issue_comment_issue.json")), forge.ErrIgnored},
		{"edited comment", "issue_comment", `{"action":"edited","repository":{"full_name":"acme/infra"}}`, forge.ErrIgnored},
		{"review edited", "pull_request_review", `{"action":"edited","repository":{"full_name":"acme/infra"}}`, forge.ErrIgnored},
		{"malformed JSON", "push", `{"ref": "refs/heads/main",`, forge.ErrMalformed},
		{"not an object", "pull_request", `[1,2]`, forge.ErrMalformed},
		{"no repository", "push", `{"ref":"refs/heads/main","after":"abc"}`, forge.ErrMalformed},
		{"PR without number", "pull_request", `{"action":"opened","repository":{"full_name":"acme/infra"},"pull_request":{}}`, forge.ErrMalformed},
		{"no event header", "", `{}`, forge.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := headers(tc.event)
			if tc.event == "" {
				h.Del("X-GitHub-Event")
			}
			if _, err := (Webhooks{}).Parse(h, []byte(tc.body)); !errors.Is(err, tc.want) {
				t.Errorf("Parse error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	body := fixture(t, "push.json")
	secret := []byte("s3cret")
	for _, tc := range []struct {
		name   string
		sig    string
		secret []byte
		ok     bool
	}{
		{"good", sign(body, secret), secret, true},
		{"wrong secret", sign(body, []byte("other")), secret, false},
		{"missing header", "", secret, false},
		{"body changed", sign(append([]byte(" "), body...), secret), secret, false},
		{"sha1 signature", "sha1=" + strings.Repeat("0", 40), secret, false},
		{"not hex", "sha256=zz", secret, false},
		{"no secret configured", sign(body, nil), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := headers("push")
			if tc.sig != "" {
				h.Set("X-Hub-Signature-256", tc.sig)
			}
			err := Webhooks{}.Verify(h, body, tc.secret)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, forge.ErrSignature)) {
				t.Errorf("Verify = %v, want ok=%v (or ErrSignature)", err, tc.ok)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	entries, _ := os.ReadDir(filepath.Join("testdata", "webhooks"))
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join("testdata", "webhooks", e.Name()))
		event := strings.TrimSuffix(e.Name(), ".json")
		for _, k := range []string{"pull_request_review", "pull_request", "issue_comment", "push", "ping"} {
			if strings.HasPrefix(event, k) {
				event = k
				break
			}
		}
		f.Add(event, b)
	}
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		ev, err := Webhooks{}.Parse(headers(event), body)
		if err != nil {
			if !errors.Is(err, forge.ErrIgnored) && !errors.Is(err, forge.ErrMalformed) {
				t.Fatalf("error %v is neither ErrIgnored nor ErrMalformed", err)
			}
			return
		}
		set := 0
		for _, p := range []bool{ev.Push != nil, ev.PR != nil, ev.Comment != nil, ev.Review != nil} {
			if p {
				set++
			}
		}
		if (ev.Kind == forge.EventPing) != (set == 0) || set > 1 {
			t.Fatalf("event %s has %d payloads", ev.Kind, set)
		}
		if ev.Kind != forge.EventPing && ev.Project == "" {
			t.Fatalf("event %s without a project", ev.Kind)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"zen":"x"}`), []byte("secret"), "sha256=00")
	f.Add([]byte{}, []byte("k"), "")
	f.Fuzz(func(t *testing.T, body, secret []byte, sig string) {
		h := http.Header{}
		h.Set("X-Hub-Signature-256", sig)
		if err := (Webhooks{}).Verify(h, body, secret); err == nil && !strings.EqualFold(sig, sign(body, secret)) {
			t.Fatalf("accepted %q for a body whose signature is %q", sig, sign(body, secret))
		}
		if len(secret) > 0 {
			h.Set("X-Hub-Signature-256", sign(body, secret))
			if err := (Webhooks{}).Verify(h, body, secret); err != nil {
				t.Fatalf("refused its own signature: %v", err)
			}
		}
	})
}
