package runner

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/runner/forge/gitea"
	"github.com/driftgate/driftgate/runner/forge/github"
	"github.com/driftgate/driftgate/runner/forge/gitlab"
)

func webhookFixture(tb testing.TB, forgeDir, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("forge", forgeDir, "testdata", "webhooks", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func githubSign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// TestWebhookHandler drives POST /webhooks/{repo} with each forge's
// fixtures: the answer codes, and what reaches the event queue.
func TestWebhookHandler(t *testing.T) {
	const secret = "s3cret"
	type delivery struct {
		repo    string
		body    []byte
		headers map[string]string
	}
	gh := func(event, id string, body []byte, sig string) delivery {
		return delivery{"infra", body, map[string]string{"X-GitHub-Event": event, "X-GitHub-Delivery": id, "X-Hub-Signature-256": sig}}
	}
	ghOpened := webhookFixture(t, "github", "pull_request_opened.json")
	ghOther := bytes.ReplaceAll(ghOpened, []byte(`"acme/infra"`), []byte(`"acme/other"`))
	malformed := []byte(`{"action": "opened", "pull_request": `)
	oversize := bytes.Repeat([]byte(" "), maxWebhookBody+1)
	gl := func(event, id string, body []byte, token string) delivery {
		return delivery{"infra-gl", body, map[string]string{"X-Gitlab-Event": event, "X-Gitlab-Event-UUID": id, "X-Gitlab-Token": token}}
	}
	glOpen := webhookFixture(t, "gitlab", "merge_request_open.json")
	gtOpen, err := os.ReadFile(filepath.Join("forge", "gitea", "testdata", "pr_opened", "body.json"))
	if err != nil {
		t.Fatal(err)
	}
	gt := func(id string, body []byte, key string) delivery {
		sig := githubSign(body, key)[len("sha256="):]
		return delivery{"infra-gt", body, map[string]string{"X-Gitea-Event": "pull_request", "X-Gitea-Delivery": id, "X-Gitea-Signature": sig}}
	}

	tests := []struct {
		name       string
		deliveries []delivery
		want       []int
		queued     int
	}{
		{"github good", []delivery{gh("pull_request", "d1", ghOpened, githubSign(ghOpened, secret))}, []int{202}, 1},
		{"github redelivery acted on once", []delivery{
			gh("pull_request", "d2", ghOpened, githubSign(ghOpened, secret)),
			gh("pull_request", "d2", ghOpened, githubSign(ghOpened, secret)),
		}, []int{202, 200}, 1},
		{"github wrong secret", []delivery{gh("pull_request", "d3", ghOpened, githubSign(ghOpened, "wrong"))}, []int{401}, 0},
		{"github missing signature", []delivery{gh("pull_request", "d4", ghOpened, "")}, []int{401}, 0},
		{"github oversize", []delivery{gh("pull_request", "d5", oversize, githubSign(oversize, secret))}, []int{413}, 0},
		{"github malformed", []delivery{gh("pull_request", "d6", malformed, githubSign(malformed, secret))}, []int{400}, 0},
		{"github other project", []delivery{gh("pull_request", "d7", ghOther, githubSign(ghOther, secret))}, []int{422}, 0},
		{"github ping", []delivery{gh("ping", "d8", webhookFixture(t, "github", "ping.json"), githubSign(webhookFixture(t, "github", "ping.json"), secret))}, []int{200}, 0},
		{"unknown repo", []delivery{{"nope", ghOpened, nil}}, []int{404}, 0},
		{"repo without forge", []delivery{{"plain", ghOpened, nil}}, []int{404}, 0},
		{"gitlab good", []delivery{gl("Merge Request Hook", "g1", glOpen, secret)}, []int{202}, 1},
		{"gitlab redelivery acted on once", []delivery{
			gl("Merge Request Hook", "g2", glOpen, secret),
			gl("Merge Request Hook", "g2", glOpen, secret),
		}, []int{202, 200}, 1},
		{"gitlab wrong token", []delivery{gl("Merge Request Hook", "g3", glOpen, "wrong")}, []int{401}, 0},
		{"gitlab missing token", []delivery{{"infra-gl", glOpen, map[string]string{"X-Gitlab-Event": "Merge Request Hook"}}}, []int{401}, 0},
		{"gitlab malformed", []delivery{gl("Merge Request Hook", "g4", malformed, secret)}, []int{400}, 0},
		{"gitea good, redelivery acted on once", []delivery{gt("t1", gtOpen, secret), gt("t1", gtOpen, secret)}, []int{202, 200}, 1},
		{"gitea wrong secret", []delivery{gt("t2", gtOpen, "wrong")}, []int{401}, 0},
		{"gitea malformed", []delivery{gt("t3", malformed, secret)}, []int{400}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newGateHarness(t, prStacks, "alpha", "beta")
			h.withForge(newFakeForge(), func(fc *ForgeConfig) { fc.Webhooks = github.Webhooks{} })
			h.d.mu.Lock()
			glRepo := h.d.cfg.Repos[0]
			glRepo.Name = "infra-gl"
			glRepo.Forge = &ForgeConfig{Kind: forge.GitLab, Project: "acme/infra", Client: newFakeForge(), Webhooks: gitlab.Webhooks{}, Secret: []byte(secret)}
			gtRepo := h.d.cfg.Repos[0]
			gtRepo.Name = "infra-gt"
			gtRepo.Forge = &ForgeConfig{Kind: forge.Gitea, Project: "acme1/infra2", Client: newFakeForge(), Webhooks: gitea.Webhooks{}, Secret: []byte(secret)}
			plain := h.d.cfg.Repos[0]
			plain.Name, plain.Forge = "plain", nil
			h.d.cfg.Repos = append(h.d.cfg.Repos, glRepo, gtRepo, plain)
			h.d.mu.Unlock()
			srv := h.d.Handler()
			for i, dl := range tc.deliveries {
				req := httptest.NewRequest(http.MethodPost, "/webhooks/"+dl.repo, bytes.NewReader(dl.body))
				for k, v := range dl.headers {
					if v != "" {
						req.Header.Set(k, v)
					}
				}
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != tc.want[i] {
					t.Errorf("delivery %d: %d %s, want %d", i, rec.Code, rec.Body, tc.want[i])
				}
			}
			if got := len(h.d.events); got != tc.queued {
				t.Errorf("%d events queued, want %d", got, tc.queued)
			}
		})
	}
}

// TestWebhookQueueFull: a delivery that cannot be queued is refused with
// 503 and its redelivery is acted on.
func TestWebhookQueueFull(t *testing.T) {
	h := newGateHarness(t, prStacks, "alpha", "beta")
	h.withForge(newFakeForge(), func(fc *ForgeConfig) { fc.Webhooks = github.Webhooks{} })
	for range cap(h.d.events) {
		h.d.events <- webhookEvent{}
	}
	body := webhookFixture(t, "github", "pull_request_opened.json")
	send := func() int {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/infra", bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", "pull_request")
		req.Header.Set("X-GitHub-Delivery", "full-1")
		req.Header.Set("X-Hub-Signature-256", githubSign(body, "s3cret"))
		rec := httptest.NewRecorder()
		h.d.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	if code := send(); code != http.StatusServiceUnavailable {
		t.Errorf("delivery into a full queue: %d, want 503", code)
	}
	<-h.d.events
	if code := send(); code != http.StatusAccepted {
		t.Errorf("redelivery once there is room: %d, want 202", code)
	}
}

// TestWebhookToPlan: a forge's PR-opened delivery, through the handler and
// the event loop, plans the PR head fetched from the forge's ref.
func TestWebhookToPlan(t *testing.T) {
	for _, tc := range []struct {
		kind    forge.Kind
		hooks   forge.Webhooks
		fixture string
		headers map[string]string
		ref     string
	}{
		{forge.GitHub, github.Webhooks{}, "github/pull_request_opened.json",
			map[string]string{"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "e2e"}, "refs/pull/7/head"},
		{forge.GitLab, gitlab.Webhooks{}, "gitlab/merge_request_open.json",
			map[string]string{"X-Gitlab-Event": "Merge Request Hook", "X-Gitlab-Event-UUID": "e2e", "X-Gitlab-Token": "s3cret"}, "refs/merge-requests/7/head"},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			h := newGateHarness(t, prStacks, "alpha", "beta")
			h.withForge(newFakeForge(), func(fc *ForgeConfig) { fc.Kind, fc.Webhooks = tc.kind, tc.hooks })
			h.poll()
			h.settle()
			head := h.pushPR(7, map[string]string{"beta/main.tf": `resource "x" "e" {}` + "\n"})
			if tc.kind == forge.GitLab { // GitLab keeps MR heads elsewhere
				ref, _ := h.repo.Git.Reference("refs/pull/7/head", false)
				if err := h.repo.Git.Storer.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(tc.ref), ref.Hash())); err != nil {
					t.Fatal(err)
				}
				if err := h.repo.Git.Storer.RemoveReference("refs/pull/7/head"); err != nil {
					t.Fatal(err)
				}
			}
			dir, name, _ := strings.Cut(tc.fixture, "/")
			body := webhookFixture(t, dir, name)
			req := httptest.NewRequest(http.MethodPost, "/webhooks/infra", bytes.NewReader(body))
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if tc.kind == forge.GitHub {
				req.Header.Set("X-Hub-Signature-256", githubSign(body, "s3cret"))
			}
			rec := httptest.NewRecorder()
			h.d.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusAccepted {
				t.Fatalf("delivery: %d %s", rec.Code, rec.Body)
			}
			ctx, cancel := context.WithCancel(h.ctx)
			done := make(chan error)
			go func() { done <- h.d.runEvents(ctx) }()
			deadline := time.Now().Add(10 * time.Second)
			for len(h.prRuns(7)) == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
			<-done
			runs := h.prRuns(7)
			if len(runs) == 0 || runs[0].Commit != head || runs[0].Trigger != TriggerPullRequest {
				t.Fatalf("PR runs = %v, want a plan of %s", statuses(runs), head)
			}
		})
	}
}
