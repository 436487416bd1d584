package gitlab

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

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

func headers(event string) http.Header {
	h := http.Header{}
	h.Set("X-Gitlab-Event", event)
	h.Set("X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e")
	return h
}

const (
	head1 = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
	head2 = "b83d6e391c22777fca1ed3012fce84f633d7fed0"
	merge = "f6d1c0a34b7bcbd6b4a0d72e33b6d6a44d0e6b3a"
)

func describe(e *forge.Event) string {
	s := fmt.Sprintf("%s %s %s", e.Kind, e.DeliveryID, e.Project)
	for _, v := range []any{e.Push, e.PR, e.Comment, e.Review} {
		if !reflect.ValueOf(v).IsNil() {
			s += fmt.Sprintf(" %+v", reflect.ValueOf(v).Elem().Interface())
		}
	}
	return s
}

func TestParse(t *testing.T) {
	pr := func(mod func(*forge.PullRequest)) forge.PullRequest {
		p := forge.PullRequest{Number: 7, Title: "Raise the instance count", HeadSHA: head1, HeadRef: "scale-web",
			BaseRef: "main", State: forge.PROpen, URL: "https://gitlab.example.com/acme/infra/-/merge_requests/7"}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	prEvent := func(a forge.PRAction, p forge.PullRequest) *forge.Event {
		return &forge.Event{Kind: forge.EventPR, PR: &forge.PREvent{Action: a, PR: p}}
	}
	authored := func(p *forge.PullRequest) { p.Author = "alice" }
	for _, tc := range []struct {
		file, event string
		want        *forge.Event
	}{
		{"push.json", "Push Hook", &forge.Event{Kind: forge.EventPush, Push: &forge.PushEvent{Branch: "main",
			Before: "95790bf891e76fee5e1747ab589903a6a1f80f22", After: merge}}},
		{"tag_push.json", "Tag Push Hook", &forge.Event{Kind: forge.EventPush, Push: &forge.PushEvent{
			Before: "0000000000000000000000000000000000000000", After: merge}}},
		{"merge_request_open.json", "Merge Request Hook", prEvent(forge.PROpened, pr(authored))},
		{"merge_request_open_draft.json", "Merge Request Hook", prEvent(forge.PROpened, pr(func(p *forge.PullRequest) { authored(p); p.Draft = true }))},
		{"merge_request_open_fork.json", "Merge Request Hook", prEvent(forge.PROpened, pr(func(p *forge.PullRequest) { authored(p); p.FromFork = true }))},
		{"merge_request_reopen.json", "Merge Request Hook", prEvent(forge.PRReopened, pr(nil))},
		{"merge_request_update_push.json", "Merge Request Hook", prEvent(forge.PRSynchronized, pr(func(p *forge.PullRequest) { p.HeadSHA = head2 }))},
		{"merge_request_update_ready.json", "Merge Request Hook", prEvent(forge.PRReadyForReview, pr(nil))},
		{"merge_request_update_title.json", "Merge Request Hook", prEvent(forge.PROther, pr(nil))},
		{"merge_request_merge.json", "Merge Request Hook", prEvent(forge.PRClosedAction, pr(func(p *forge.PullRequest) {
			p.State, p.MergeCommitSHA = forge.PRMerged, merge
		}))},
		{"merge_request_close.json", "Merge Request Hook", prEvent(forge.PRClosedAction, pr(func(p *forge.PullRequest) { p.State = forge.PRClosed }))},
		{"merge_request_approval.json", "Merge Request Hook", &forge.Event{Kind: forge.EventReview, Review: &forge.ReviewEvent{
			PRNumber: 7, Review: forge.Review{ID: 12, User: "bob", State: forge.ReviewApproved, CommitSHA: head1}}}},
		{"merge_request_unapproval.json", "Merge Request Hook", &forge.Event{Kind: forge.EventReview, Review: &forge.ReviewEvent{
			PRNumber: 7, Review: forge.Review{ID: 12, User: "bob", State: forge.ReviewDismissed, CommitSHA: head1}}}},
		{"note_merge_request.json", "Note Hook", &forge.Event{Kind: forge.EventComment, Comment: &forge.CommentEvent{
			PRNumber: 7, Author: "bob", Body: "/driftgate plan web", ID: 1244}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := Webhooks{}.Parse(headers(tc.event), fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			tc.want.DeliveryID = "13792a34-cac6-4fda-95a8-c58e00a3954e"
			tc.want.Project = "acme/infra"
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse =\n%s\nwant\n%s", describe(got), describe(tc.want))
			}
		})
	}
}

func TestDeliveryIDPrefersIdempotencyKey(t *testing.T) {
	h := headers("Push Hook")
	h.Set("Idempotency-Key", "f0e1d2c3-retry-stable")
	ev, err := Webhooks{}.Parse(h, fixture(t, "push.json"))
	if err != nil || ev.DeliveryID != "f0e1d2c3-retry-stable" {
		t.Errorf("Parse = %+v, %v; want the Idempotency-Key as delivery id", ev, err)
	}
}

func TestParseIgnoresAndRejects(t *testing.T) {
	for _, tc := range []struct {
		name, event string
		body        string
		want        error
	}{
		{"unknown event", "Pipeline Hook", `{"object_kind":"pipeline"}`, forge.ErrIgnored},
		{"note on an issue", "Note Hook", string(fixture(t, "note_issue.json")), forge.ErrIgnored},
		{"edited note", "Note Hook", strings.Replace(string(fixture(t, "note_merge_request.json")), `"action": "create"`, `"action": "update"`, 1), forge.ErrIgnored},
		{"system note", "Note Hook", strings.Replace(string(fixture(t, "note_merge_request.json")), `"system": false`, `"system": true`, 1), forge.ErrIgnored},
		{"malformed JSON", "Push Hook", `{"ref": "refs/heads/main",`, forge.ErrMalformed},
		{"not an object", "Merge Request Hook", `"x"`, forge.ErrMalformed},
		{"no project", "Push Hook", `{"ref":"refs/heads/main","after":"abc"}`, forge.ErrMalformed},
		{"MR without iid", "Merge Request Hook", `{"project":{"path_with_namespace":"acme/infra"},"object_attributes":{}}`, forge.ErrMalformed},
		{"no event header", "", `{}`, forge.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := headers(tc.event)
			if tc.event == "" {
				h.Del("X-Gitlab-Event")
			}
			if _, err := (Webhooks{}).Parse(h, []byte(tc.body)); !errors.Is(err, tc.want) {
				t.Errorf("Parse error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	body := fixture(t, "push.json")
	for _, tc := range []struct {
		name, token, secret string
		ok                  bool
	}{
		{"good", "s3cret", "s3cret", true},
		{"wrong secret", "other", "s3cret", false},
		{"prefix of the secret", "s3cr", "s3cret", false},
		{"missing header", "", "s3cret", false},
		{"no secret configured", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := headers("Push Hook")
			if tc.token != "" {
				h.Set("X-Gitlab-Token", tc.token)
			}
			err := Webhooks{}.Verify(h, body, []byte(tc.secret))
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
		event := map[string]string{"push": "Push Hook", "tag": "Tag Push Hook", "merge": "Merge Request Hook", "note": "Note Hook"}[strings.Split(e.Name(), "_")[0]]
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
		if set != 1 || ev.Project == "" {
			t.Fatalf("event %s has %d payloads, project %q", ev.Kind, set, ev.Project)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add("s3cret", "s3cret")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, token, secret string) {
		h := http.Header{}
		h.Set("X-Gitlab-Token", token)
		err := Webhooks{}.Verify(h, nil, []byte(secret))
		if ok := err == nil; ok != (secret != "" && h.Get("X-Gitlab-Token") == secret) {
			t.Fatalf("Verify(token %q, secret %q) = %v", token, secret, err)
		}
	})
}
