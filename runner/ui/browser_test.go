package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/runner/ui"
	"github.com/driftgate/driftgate/store"
)

// screenshotDir is where the browser tests leave a screenshot of each
// page for a reviewer: .build/screenshots at the repo's root.
const screenshotDir = "../../.build/screenshots"

// tab is a headless chromium tab a test drives; every step fails the
// test on error.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// browser starts headless chromium (DRIFTGATE_CHROMIUM, else chromium on
// PATH) and returns a tab; it skips the test without one.
func browser(t *testing.T) *tab {
	t.Helper()
	path := os.Getenv("DRIFTGATE_CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		t.Skip("chromium is not installed (apt-get install -y chromium, or set DRIFTGATE_CHROMIUM): browser tests skipped")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1000, 760),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-default-browser-check", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A JavaScript dialog would be script injected through a page.
	err := chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			t.Errorf("a JavaScript dialog opened: %q", d.Message)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return &tab{t: t, ctx: ctx}
}

// do runs steps, failing the test on error.
func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// run runs a, failing the test on error, and returns its value.
func run[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// text returns the text of the element with id.
func (b *tab) text(id string) string {
	b.t.Helper()
	return run(b, chromedp.Text(chromedp.ID(id)))
}

// waitFor evaluates the JavaScript predicate until it holds, across page
// loads (a failed evaluation, while the page reloads, is tried again).
func (b *tab) waitFor(predicate string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](predicate))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out waiting for %s (last error: %v)", predicate, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shot saves a screenshot of the viewport as name.png.
func (b *tab) shot(name string) {
	b.t.Helper()
	png := run(b, chromedp.CaptureScreenshot())
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// signIn signs in on the login page with token.
func (b *tab) signIn(base, token string) {
	b.t.Helper()
	b.do(
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("counts")),
	)
}

// open navigates to path and waits for the element with id.
func (b *tab) open(base, path, id string) {
	b.t.Helper()
	b.do(chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.ID(id)))
}

// post posts the form field csrf (the page's token, or none) to path with
// fetch from the page, as a forged form would, and returns the status.
func (b *tab) post(path string, withCSRF bool) int {
	b.t.Helper()
	csrf := `""`
	if withCSRF {
		csrf = `document.querySelector("input[name=csrf]").value`
	}
	js := fmt.Sprintf(`(async () => { const f = new URLSearchParams(); f.set("csrf", %s);
		const r = await fetch(%q, {method: "POST", body: f, redirect: "manual"}); return r.status; })()`, csrf, path)
	return run(b, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise))
}

// drift seeds a drift check of infra/database that found a changed
// attribute whose new value is script.
func drift(t *testing.T, g *runnertest.Gate) {
	t.Helper()
	now := time.Now().UTC()
	err := g.Store.RecordDriftCheck(context.Background(),
		&store.StackDrift{Repo: "infra", Stack: "database", Status: store.DriftDrifted, CheckedAt: now, Open: 1},
		[]store.DriftFinding{{ID: "f1", Repo: "infra", Stack: "database", Address: "aws_db_instance.main", Kind: "modified", Cause: "changed outside",
			Attributes: []store.DriftAttribute{{Path: "tags.owner", Before: "dba", After: `<script>alert("drift")</script>`}}, FirstSeen: now, LastSeen: now}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBrowserSignInApproveAndSignOut(t *testing.T) {
	b := browser(t)
	g := runnertest.StartGate(t)
	drift(t, g)
	apply := g.Latest("infra", "database", "apply")
	b.open(g.URL, "/", "token")
	b.shot("login")
	b.signIn(g.URL, apitest.ApproverToken)
	if counts := b.text("counts"); !strings.Contains(counts, "drifted 1") || !strings.Contains(counts, "3 awaiting approval") {
		t.Errorf("overview counts %q: want 1 drifted and 3 awaiting approval", counts)
	}
	b.shot("overview")
	b.do(chromedp.Navigate(g.URL+"/stacks/infra/database"), chromedp.WaitVisible(chromedp.CSS(".finding")))
	if finding := run(b, chromedp.Text(chromedp.CSS(".finding"))); !strings.Contains(finding, `<script>alert("drift")</script>`) {
		t.Errorf("finding %q: want the script shown as text", finding)
	}
	b.shot("stack")
	b.open(g.URL, "/runs/"+apply.ID, "approve")
	b.shot("run-awaiting")
	b.do(chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	g.WaitRun(apply.ID, store.StatusApplied)
	b.open(g.URL, "/runs/"+apply.ID, "approvals")
	if status := b.text("run-status"); !strings.Contains(status, "applied") {
		t.Errorf("run status %q, want applied", status)
	}
	if approvals := b.text("approvals"); !strings.Contains(approvals, apitest.Approver) {
		t.Errorf("approvals %q, want alice's", approvals)
	}
	b.shot("run")
	b.do(chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("token")))
	b.open(g.URL, "/runs/"+apply.ID, "token")
	if loc := run(b, chromedp.Location()); !strings.Contains(loc, "/login") {
		t.Errorf("after sign out a run page went to %q, want /login", loc)
	}
}

func TestBrowserViewerSeesNoButtonsAndIsRefused(t *testing.T) {
	b := browser(t)
	g := runnertest.StartGate(t)
	apply := g.Latest("infra", "database", "apply")
	b.signIn(g.URL, apitest.ViewerToken)
	b.open(g.URL, "/runs/"+apply.ID, "run-status")
	b.shot("run-viewer")
	if n := run(b, chromedp.Evaluate[int](`document.querySelectorAll(".actions button").length`)); n != 0 {
		t.Errorf("a viewer sees %d action buttons, want none", n)
	}
	if with, without := b.post("/runs/"+apply.ID+"/approve", true), b.post("/runs/"+apply.ID+"/approve", false); with != http.StatusForbidden || without != http.StatusForbidden {
		t.Errorf("viewer's forged approve: %d with the CSRF token, %d without; want 403 and 403", with, without)
	}
	if got := g.WaitRun(apply.ID, store.StatusAwaitingApproval); len(got.Approvals) != 0 {
		t.Errorf("approvals %+v after a viewer's posts", got.Approvals)
	}
}

func TestBrowserCSRFTokenIsRequired(t *testing.T) {
	b := browser(t)
	g := runnertest.StartGate(t)
	apply := g.Latest("infra", "database", "apply")
	b.signIn(g.URL, apitest.AdminToken)
	b.open(g.URL, "/runs/"+apply.ID, "approve")
	if without := b.post("/runs/"+apply.ID+"/approve", false); without != http.StatusForbidden {
		t.Errorf("approve without the CSRF token: %d, want 403", without)
	}
	if got := g.WaitRun(apply.ID, store.StatusAwaitingApproval); len(got.Approvals) != 0 {
		t.Errorf("approvals %+v after a post without the CSRF token", got.Approvals)
	}
}

// sseLog answers GET /api/v1/runs/{id}/log?follow=true as the live log
// endpoint's contract says: "log" events whose data is a chunk of the log
// and whose id is the byte offset after it, then an "end" event with the
// final run as JSON. It stands in for the daemon's endpoint so this test
// checks what ui.js does with that contract; before the end event it
// marks the run finished in svc.
type sseLog struct {
	svc    *apitest.Canned
	final  *store.Run
	chunks []string
	mu     sync.Mutex
	auth   string
}

func (s *sseLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.auth = r.Header.Get("Authorization")
	s.mu.Unlock()
	if r.URL.Query().Get("follow") != "true" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	off := 0
	for _, c := range s.chunks {
		off += len(c)
		fmt.Fprintf(w, "event: log\nid: %d\n", off)
		for _, line := range strings.Split(c, "\n") {
			fmt.Fprintf(w, "data: %s\n", line)
		}
		fmt.Fprint(w, "\n")
		fl.Flush()
		time.Sleep(300 * time.Millisecond)
	}
	s.svc.Later = s.final
	fmt.Fprintf(w, "event: end\ndata: {\"id\":%q,\"status\":%q}\n\n", s.final.ID, s.final.Status)
	fl.Flush()
}

func TestBrowserLiveLogFollowsTheStream(t *testing.T) {
	b := browser(t)
	running := &store.Run{ID: "01RUNNING", Repo: "infra", Stack: "database", Operation: store.OperationApply, Status: store.StatusRunning}
	final := *running
	final.Status = store.StatusApplied
	svc := &apitest.Canned{Answer: running}
	auth := apitest.Auth()
	sse := &sseLog{svc: svc, final: &final, chunks: []string{"Initializing...\n", "Applying <script>alert(1)</script>\n", "Apply complete!\n"}}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/runs/{id}/log", sse)
	mux.Handle("/", api.NewHandler(svc, auth, nil))
	srv := httptest.NewServer(ui.Handler(ui.Config{}, svc, auth, mux, nil))
	t.Cleanup(srv.Close)
	b.signIn(srv.URL, apitest.ViewerToken)
	b.open(srv.URL, "/runs/"+running.ID, "log")
	b.waitFor(`document.getElementById("log").textContent.includes("Applying <script>")`)
	if status := b.text("run-status"); !strings.Contains(status, "running") {
		t.Errorf("status %q while the log streams, want running", status)
	}
	b.shot("run-live")
	b.waitFor(`document.readyState === "complete" && !document.getElementById("live-hint")`)
	if status := b.text("run-status"); !strings.Contains(status, "applied") {
		t.Errorf("status %q after the end event, want applied", status)
	}
	sse.mu.Lock()
	defer sse.mu.Unlock()
	if sse.auth != "Bearer "+apitest.ViewerToken {
		t.Errorf("the log stream was asked with Authorization %q, want the session's token", sse.auth)
	}
}

func TestBrowserPagesFitAPhone(t *testing.T) {
	b := browser(t)
	g := runnertest.StartGate(t)
	drift(t, g)
	apply := g.Latest("infra", "network", "apply")
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.signIn(g.URL, apitest.AdminToken)
	for name, path := range map[string]string{
		"phone-overview": "/", "phone-stack": "/stacks/infra/database", "phone-run": "/runs/" + apply.ID, "phone-audit": "/audit",
	} {
		b.open(g.URL, path, "signout")
		if wide := run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); wide > 0 {
			t.Errorf("%s is %dpx wider than a 390px phone", path, wide)
		}
		b.shot(name)
	}
}

// streams reports whether the daemon at base serves run id's log as
// Server-Sent Events.
func streams(t *testing.T, base, id string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/runs/"+id+"/log?follow=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apitest.Token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
}

func TestBrowserRunPageFollowsTheDaemonsLiveLog(t *testing.T) {
	b := browser(t)
	g := runnertest.StartGate(t)
	g.Terraform.BlockApplies("database")
	apply := g.Latest("infra", "database", "apply")
	b.signIn(g.URL, apitest.ApproverToken)
	b.open(g.URL, "/runs/"+apply.ID, "approve")
	b.do(chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	g.WaitRun(apply.ID, store.StatusRunning)
	if !streams(t, g.URL, apply.ID) {
		t.Skip("this build serves no live log (GET /api/v1/runs/{id}/log?follow=true as text/event-stream): the run page's live log is tested against the contract only")
	}
	b.open(g.URL, "/runs/"+apply.ID, "live-hint")
	if status := b.text("run-status"); !strings.Contains(status, "running") {
		t.Fatalf("run page status %q, want running", status)
	}
	b.shot("run-running")
	req, err := http.NewRequest(http.MethodPost, g.URL+"/api/v1/runs/"+apply.ID+"/cancel", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apitest.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The end event reloads the page: its status is the run's final one.
	b.waitFor(`document.readyState === "complete" && !document.getElementById("live-hint")`)
	final := g.WaitRun(apply.ID, store.StatusCanceled, store.StatusInterrupted, store.StatusErrored)
	if status := b.text("run-status"); !strings.Contains(status, string(final.Status)) {
		t.Errorf("run page status %q after the end event, want %s", status, final.Status)
	}
}

func TestBrowserRunPageShowsAttributeChanges(t *testing.T) {
	b := browser(t)
	srv := runnertest.Serve(t, nil, "infra")
	ctx := context.Background()
	if err := srv.Store.PutStack(ctx, &store.StackRecord{Repo: "infra", Name: "app", Dir: "envs/prod/app"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	plan := &store.Run{Repo: "infra", Stack: "app", Commit: "4f1c2b9e8d7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e", Trigger: "push",
		Operation: store.OperationPlan, Status: store.StatusQueued, CreatedAt: now.Add(-time.Minute)}
	if err := srv.Store.CreateRun(ctx, plan); err != nil {
		t.Fatal(err)
	}
	plan.Status, plan.StartedAt, plan.FinishedAt, plan.TerraformVersion = store.StatusPlanned, now.Add(-50*time.Second), now.Add(-40*time.Second), "1.11.4"
	plan.Summary = &store.PlanSummary{Add: 1, Change: 1, HasChanges: true}
	analysis := `{"summary":{"add":1,"change":1},"changes":[
		{"address":"aws_instance.web","mode":"managed","type":"aws_instance","name":"web","action":"update","attributes":[
			{"path":"instance_type","before":"t3.small","after":"t3.large"},{"path":"tags[\"owner\"]","before":"web","after":"platform"}]},
		{"address":"aws_s3_bucket.logs","mode":"managed","type":"aws_s3_bucket","name":"logs","action":"create","attributes":[
			{"path":"bucket","before":null,"after":"acme-web-logs"},{"path":"arn","before":null,"after":null,"unknown":true}]}],"drift":[]}`
	text := "  # aws_instance.web will be updated in-place\n  ~ instance_type = \"t3.small\" -> \"t3.large\"\n\nPlan: 1 to add, 1 to change, 0 to destroy.\n"
	if err := srv.Store.FinishRun(ctx, plan, &store.Plan{RunID: plan.ID, JSON: []byte(`{}`), Text: []byte(text), Analysis: []byte(analysis)}, []byte("terraform plan\n"+text)); err != nil {
		t.Fatal(err)
	}
	b.signIn(srv.URL, apitest.ViewerToken)
	b.open(srv.URL, "/runs/"+plan.ID, "plan")
	diff := run(b, chromedp.Text(chromedp.CSS("table.diff")))
	for _, want := range []string{"instance_type", "t3.small", "t3.large"} {
		if !strings.Contains(diff, want) {
			t.Errorf("the change table %q lacks %q", diff, want)
		}
	}
	if page := run(b, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(page, "(known after apply)") {
		t.Errorf("an unknown value is not shown as known after apply")
	}
	b.shot("run-changes")
}
