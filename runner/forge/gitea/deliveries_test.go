package gitea

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/driftgate/driftgate/runner/forge"
)

// fixtureSecret signs the deliveries captured into testdata.
const fixtureSecret = "fixture-secret"

// envUpdateFixtures, set to 1, has TestRealDeliveries write what Gitea
// delivers to testdata/<case>/ (headers.json, body.json).
const envUpdateFixtures = "DRIFTGATE_UPDATE_GITEA_FIXTURES"

// fixtureHeaders are the delivery headers kept in fixtures.
var fixtureHeaders = []string{headerEvent, headerEventType, headerDelivery, headerSignature, "Content-Type"}

type delivery struct {
	header http.Header
	body   []byte
}

// receiver is the httptest server Gitea's webhook delivers to.
type receiver struct {
	t   *testing.T
	srv *httptest.Server
	got chan delivery
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, got: make(chan delivery, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.got <- delivery{header: req.Header.Clone(), body: body}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// wait returns the first delivery match accepts, checking each one's
// signature, and saves it as fixture name when asked to.
func (r *receiver) wait(name string, match func(*forge.Event, error) bool) (*forge.Event, error) {
	r.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case d := <-r.got:
			if err := (Webhooks{}).Verify(d.header, d.body, []byte(fixtureSecret)); err != nil {
				r.t.Fatalf("a real delivery (%s) does not verify: %v", d.header.Get(headerEvent), err)
			}
			if err := (Webhooks{}).Verify(d.header, d.body, []byte("wrong")); !errors.Is(err, forge.ErrSignature) {
				r.t.Fatalf("a real delivery verifies with the wrong secret: %v", err)
			}
			ev, err := (Webhooks{}).Parse(d.header, d.body)
			if !match(ev, err) {
				continue
			}
			if os.Getenv(envUpdateFixtures) == "1" {
				saveFixture(r.t, name, d)
			}
			return ev, err
		case <-timeout:
			r.t.Fatalf("no delivery for %s within 30 s", name)
			return nil, nil
		}
	}
}

func saveFixture(t *testing.T, name string, d delivery) {
	t.Helper()
	dir := filepath.Join("testdata", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := map[string]string{}
	for _, k := range fixtureHeaders {
		h[k] = d.header.Get(k)
	}
	hj, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "headers.json"), append(hj, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "body.json"), d.body, 0o644); err != nil {
		t.Fatal(err)
	}
}

func prEvent(action forge.PRAction, number int64) func(*forge.Event, error) bool {
	return func(ev *forge.Event, err error) bool {
		return err == nil && ev.Kind == forge.EventPR && ev.PR.Action == action && ev.PR.PR.Number == int(number)
	}
}

// TestRealDeliveries drives a real Gitea through a PR's life and checks
// Verify and Parse on what its webhook delivers.
func TestRealDeliveries(t *testing.T) {
	p := newFixture(t)
	rec := newReceiver(t)
	p.srv.AddWebhook(t, p.repo, rec.srv.URL+"/webhooks/infra", fixtureSecret)
	owner, name := splitRepo(p.repo)

	// push
	head := p.srv.Commit(t, p.alice, p.repo, "main", "to main", map[string]string{"main.tf": "# main\n"})
	ev, _ := rec.wait("push", func(ev *forge.Event, err error) bool {
		return err == nil && ev.Kind == forge.EventPush && ev.Push.After == head
	})
	if ev.Project != p.repo || ev.Push.Branch != "main" || len(ev.Push.Before) != 40 || ev.DeliveryID == "" {
		t.Errorf("push = %+v %+v", ev, ev.Push)
	}

	// opened
	pr, prHead := p.openPR(t, p.alice, "feature")
	ev, _ = rec.wait("pr_opened", prEvent(forge.PROpened, pr.Index))
	want := forge.PullRequest{Number: int(pr.Index), Title: "change feature", Author: p.alice.Name, HeadSHA: prHead,
		HeadRef: "feature", BaseRef: "main", State: forge.PROpen, URL: pr.HTMLURL}
	if ev.PR.PR != want || ev.Project != p.repo {
		t.Errorf("opened: %+v, want %+v", ev.PR.PR, want)
	}

	// synchronized
	second := p.srv.Commit(t, p.alice, p.repo, "feature", "second", map[string]string{"more.tf": "# more\n"})
	ev, _ = rec.wait("pr_synchronized", prEvent(forge.PRSynchronized, pr.Index))
	if ev.PR.PR.HeadSHA != second {
		t.Errorf("synchronized head = %s, want %s", ev.PR.PR.HeadSHA, second)
	}

	// comment on the PR
	cm := p.srv.Comment(t, p.bob, p.repo, pr.Index, "/driftgate plan")
	ev, _ = rec.wait("comment", func(ev *forge.Event, err error) bool { return err == nil && ev.Kind == forge.EventComment })
	if *ev.Comment != (forge.CommentEvent{PRNumber: int(pr.Index), Author: p.bob.Name, Body: "/driftgate plan", ID: cm.ID}) {
		t.Errorf("comment = %+v", ev.Comment)
	}

	// reviews
	p.srv.Review(t, p.carol, p.repo, pr.Index, sdk.ReviewStateRequestChanges, "")
	ev, _ = rec.wait("review_changes_requested", func(ev *forge.Event, err error) bool {
		return err == nil && ev.Kind == forge.EventReview && ev.Review.Review.State == forge.ReviewChangesRequested
	})
	if ev.Review.Review.User != p.carol.Name || ev.Review.PRNumber != int(pr.Index) {
		t.Errorf("changes requested = %+v", ev.Review)
	}
	p.srv.Review(t, p.bob, p.repo, pr.Index, sdk.ReviewStateApproved, "")
	ev, _ = rec.wait("review_approved", func(ev *forge.Event, err error) bool {
		return err == nil && ev.Kind == forge.EventReview && ev.Review.Review.State == forge.ReviewApproved
	})
	if r := ev.Review; r.PRNumber != int(pr.Index) || r.Review.User != p.bob.Name || r.Review.CommitSHA != second {
		t.Errorf("approved = %+v, want bob on %s", r, second)
	}

	// merged
	merged := p.srv.Merge(t, p.repo, pr.Index)
	ev, _ = rec.wait("pr_merged", prEvent(forge.PRClosedAction, pr.Index))
	if ev.PR.PR.State != forge.PRMerged || ev.PR.PR.MergeCommitSHA != *merged.MergedCommitID {
		t.Errorf("merged = %+v, want merge commit %s", ev.PR.PR, *merged.MergedCommitID)
	}

	// a draft, made ready, closed, reopened
	p.srv.Commit(t, p.alice, p.repo, "draft", "draft", map[string]string{"draft.tf": "# draft\n"})
	draft := p.srv.OpenPR(t, p.alice, p.repo, "draft", "main", "WIP: not yet")
	ev, _ = rec.wait("pr_opened_draft", prEvent(forge.PROpened, draft.Index))
	if !ev.PR.PR.Draft {
		t.Errorf("WIP PR not a draft: %+v", ev.PR.PR)
	}
	title := "ready now"
	if _, _, err := p.srv.Client(t, p.alice).EditPullRequest(owner, name, draft.Index, sdk.EditPullRequestOption{Title: title}); err != nil {
		t.Fatal(err)
	}
	ev, _ = rec.wait("pr_ready_for_review", prEvent(forge.PRReadyForReview, draft.Index))
	if ev.PR.PR.Draft {
		t.Errorf("ready PR still a draft: %+v", ev.PR.PR)
	}
	p.srv.Close(t, p.repo, draft.Index)
	ev, _ = rec.wait("pr_closed", prEvent(forge.PRClosedAction, draft.Index))
	if ev.PR.PR.State != forge.PRClosed || ev.PR.PR.MergeCommitSHA != "" {
		t.Errorf("closed = %+v", ev.PR.PR)
	}
	open := sdk.StateOpen
	if _, _, err := p.srv.Client(t, p.alice).EditPullRequest(owner, name, draft.Index, sdk.EditPullRequestOption{State: &open}); err != nil {
		t.Fatal(err)
	}
	rec.wait("pr_reopened", prEvent(forge.PRReopened, draft.Index))

	// from a fork
	fork := p.srv.Fork(t, p.stranger, p.repo)
	p.srv.Commit(t, p.stranger, fork, "evil", "from a fork", map[string]string{"evil.tf": "# evil\n"})
	fpr := p.srv.OpenPR(t, p.stranger, p.repo, p.stranger.Name+":evil", "main", "from a fork")
	ev, _ = rec.wait("pr_opened_fork", prEvent(forge.PROpened, fpr.Index))
	if !ev.PR.PR.FromFork || ev.Project != p.repo {
		t.Errorf("fork PR = %+v in %s, want FromFork in %s", ev.PR.PR, ev.Project, p.repo)
	}

	// a comment on an issue, not a PR: ignored
	issue, _, err := p.srv.Client(t, p.alice).CreateIssue(owner, name, sdk.CreateIssueOption{Title: "an issue"})
	if err != nil {
		t.Fatal(err)
	}
	p.srv.Comment(t, p.bob, p.repo, issue.Index, "/driftgate plan")
	_, err = rec.wait("comment_on_issue", func(_ *forge.Event, err error) bool {
		return errors.Is(err, forge.ErrIgnored) && strings.Contains(err.Error(), "not on a PR")
	})
	if !errors.Is(err, forge.ErrIgnored) {
		t.Errorf("comment on an issue: %v", err)
	}
}

func splitRepo(repo string) (string, string) {
	for i := range repo {
		if repo[i] == '/' {
			return repo[:i], repo[i+1:]
		}
	}
	return repo, ""
}
