package gitea

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/driftgate/driftgate/runner/forge"
)

// readFixture reads a delivery captured from Gitea 1.27.3 by
// TestRealDeliveries (DRIFTGATE_UPDATE_GITEA_FIXTURES=1).
func readFixture(t testing.TB, name string) (http.Header, []byte) {
	t.Helper()
	hb, err := os.ReadFile(filepath.Join("testdata", name, "headers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var hm map[string]string
	if err := json.Unmarshal(hb, &hm); err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for k, v := range hm {
		h.Set(k, v)
	}
	body, err := os.ReadFile(filepath.Join("testdata", name, "body.json"))
	if err != nil {
		t.Fatal(err)
	}
	return h, body
}

func TestFixtures(t *testing.T) {
	const (
		project = "acme1/infra2"
		url     = "http://127.0.0.1:39675/acme1/infra2/pulls/"
		head1   = "44fbbefb9ce585cc4cc4253b7a140dfd33f1af3e"
		head2   = "df8e699cd938184bb557aacdc89db7036aa8f7bf"
		draft   = "e07f2251c3eca6e3c2d04753d82047d252472183"
	)
	pr1 := forge.PullRequest{Number: 1, Title: "change feature", Author: "writer4", HeadSHA: head2, HeadRef: "feature", BaseRef: "main", State: forge.PROpen, URL: url + "1"}
	pr2 := forge.PullRequest{Number: 2, Title: "ready now", Author: "writer4", HeadSHA: draft, HeadRef: "draft", BaseRef: "main", State: forge.PROpen, URL: url + "2"}
	with := func(pr forge.PullRequest, f func(*forge.PullRequest)) forge.PullRequest { f(&pr); return pr }

	tests := []struct {
		name    string
		want    *forge.Event // without DeliveryID and Project
		wantErr error
	}{
		{name: "push", want: &forge.Event{Kind: forge.EventPush, Push: &forge.PushEvent{
			Branch: "main", Before: "2f16c9c230dbbb8adbc67bc9591188085b2bd18a", After: "97eac1abb922c2baa05903a94c9b31459c37a91e"}}},
		{name: "pr_opened", want: &forge.Event{Kind: forge.EventPR, PR: &forge.PREvent{Action: forge.PROpened,
			PR: with(pr1, func(p *forge.PullRequest) { p.HeadSHA = head1 })}}},
		{name: "pr_synchronized", want: &forge.Event{Kind: forge.EventPR, PR: &forge.PREvent{Action: forge.PRSynchronized, PR: pr1}}},
		{name: "pr_merged", want: &forge.Event{Kind: forge.EventPR, PR: &forge.PREvent{Action: forge.PRClosedAction,
			PR: with(pr1, func(p *forge.PullRequest) {
				p.State, p.MergeCommitSHA = forge.PRMerged, "29ab49d3260f23b4260d0b7730609db7eb30e7a0"
			})}}},
		{name: "pr_opened_draft", want: &forge.Event{Kind: forge.EventPR, PR: &forge.PREvent{Action: forge.PROpened,
			PR: with(pr2, func(p *forge.PullRequest) { p.Title, p.Draft = "WIP: not yet", true })}}},
		{name: "pr_ready_for_review", want: &forge.Event{Kind: forge.EventPR, PR: &forge.PREvent{Action: forge.PRReadyForReview, PR: pr2}}},
		{name: "pr_closed", want: &forge.Event{Kind: forge.EventPR, PR: &forge.PREvent{Action: forge.PRClosedAction,
			PR: with(pr2, func(p *forge.PullRequest) { p.State = forge.PRClosed })}}},
		{name: "pr_reopened", want: &forge.Event{Kind: forge.EventPR, PR: &forge.PREvent{Action: forge.PRReopened, PR: pr2}}},
		{name: "pr_opened_fork", want: &forge.Event{Kind: forge.EventPR, PR: &forge.PREvent{Action: forge.PROpened,
			PR: forge.PullRequest{Number: 3, Title: "from a fork", Author: "stranger8", HeadSHA: "30251d4889b01545f746f07f14fe23907c1dd65c",
				HeadRef: "evil", BaseRef: "main", State: forge.PROpen, FromFork: true, URL: url + "3"}}}},
		{name: "comment", want: &forge.Event{Kind: forge.EventComment, Comment: &forge.CommentEvent{
			PRNumber: 1, Author: "writer5", Body: "/driftgate plan", ID: 3}}},
		{name: "review_approved", want: &forge.Event{Kind: forge.EventReview, Review: &forge.ReviewEvent{
			PRNumber: 1, Review: forge.Review{User: "writer5", State: forge.ReviewApproved, CommitSHA: head2}}}},
		{name: "review_changes_requested", want: &forge.Event{Kind: forge.EventReview, Review: &forge.ReviewEvent{
			PRNumber: 1, Review: forge.Review{User: "writer6", State: forge.ReviewChangesRequested, CommitSHA: head2}}}},
		{name: "comment_on_issue", wantErr: forge.ErrIgnored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := readFixture(t, tt.name)
			if err := (Webhooks{}).Verify(h, body, []byte(fixtureSecret)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got, err := Webhooks{}.Parse(h, body)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.DeliveryID != h.Get(headerDelivery) || got.DeliveryID == "" || got.Project != project {
				t.Errorf("delivery %q project %q, want %q %q", got.DeliveryID, got.Project, h.Get(headerDelivery), project)
			}
			got.DeliveryID, got.Project = "", ""
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(tt.want)
			if string(gj) != string(wj) {
				t.Errorf("Parse =\n%s\nwant\n%s", gj, wj)
			}
		})
	}
}

// fixtureNames are the captured deliveries, seeds for FuzzParse.
func fixtureNames(t testing.TB) []string {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "fuzz" {
			names = append(names, e.Name())
		}
	}
	return names
}
