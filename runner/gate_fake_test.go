package runner

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
)

// fakeVersion is the terraform version the fake plans and applies with.
const fakeVersion = "1.11.4"

// fakeState is the Terraform state of one stack as the fake keeps it.
type fakeState struct {
	serial  uint64
	lineage string
}

// fakeApplyCall is one call of fakeTerraform.Apply.
type fakeApplyCall struct {
	stack         string
	planFile      []byte
	expectVersion string
}

// fakeTerraform is a stackRunner without terraform: it keeps a state per
// stack (by the stack part of StackPlan.Key), plans a real zip plan file
// recording that state, and applies by bumping the serial. Its zero value
// is not usable; build it with newFakeTerraform.
type fakeTerraform struct {
	mu       sync.Mutex
	states   map[string]fakeState
	destroys map[string]bool  // stack -> its plans delete something
	applyErr map[string]error // stack -> what Apply returns
	block    map[string]bool  // stack -> Apply blocks until canceled
	lock     *tfrun.LockInfo  // what StateLock returns
	planLog  []byte           // the log of every plan; nil for a short one
	plans    map[string][]byte
	changes  map[string][]analysis.ResourceChange // stack -> the changes its plans list
	applies  []fakeApplyCall
	n        int
	// started receives the stack of every Apply that blocks.
	started chan string
}

func newFakeTerraform() *fakeTerraform {
	return &fakeTerraform{
		states: map[string]fakeState{}, destroys: map[string]bool{}, applyErr: map[string]error{},
		block: map[string]bool{}, plans: map[string][]byte{}, changes: map[string][]analysis.ResourceChange{}, started: make(chan string, 8),
	}
}

func stackOfKey(key string) string {
	_, stack, _ := strings.Cut(key, "/")
	return stack
}

func (f *fakeTerraform) Plan(_ context.Context, sp tfrun.StackPlan) (*tfrun.PlanResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	stack := stackOfKey(sp.Key)
	st := f.states[stack]
	f.n++
	file, err := fakePlanFile(st, fmt.Sprintf("plan %d of %s", f.n, stack))
	if err != nil {
		return nil, err
	}
	f.plans[stack] = file
	log := []byte("$ terraform plan")
	if f.planLog != nil {
		log = f.planLog
	}
	sum := analysis.Summary{Add: 1, HasChanges: true}
	if f.destroys[stack] {
		sum = analysis.Summary{Destroy: 1, HasChanges: true}
	}
	changes := []analysis.ResourceChange{}
	if c, ok := f.changes[stack]; ok {
		changes = c
	}
	a := &analysis.Analysis{Summary: sum, Changes: changes, Drift: []analysis.ResourceChange{}}
	return &tfrun.PlanResult{
		TerraformVersion: fakeVersion, HasChanges: true, PlanFile: file, PlanJSON: []byte(`{}`),
		Text: []byte("Plan: 1 to change"), Log: log, Analysis: a,
	}, nil
}

// fakePlanFile is a saved plan as terraform writes it, as far as driftgate
// reads one: a zip whose tfstate entry is the prior state.
func fakePlanFile(st fakeState, body string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range []struct{ name, body string }{
		{"tfplan", body},
		{"tfstate", fmt.Sprintf(`{"version":4,"serial":%d,"lineage":%q}`, st.serial, st.lineage)},
	} {
		w, err := zw.Create(e.name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (f *fakeTerraform) Apply(ctx context.Context, sa tfrun.StackApply) (*tfrun.ApplyResult, error) {
	stack := stackOfKey(sa.Key)
	f.mu.Lock()
	st := f.states[stack]
	if want := sa.ExpectState; want != nil {
		if got := (tfrun.StateRef{Serial: st.serial, Lineage: st.lineage}); got != *want {
			f.mu.Unlock()
			return &tfrun.ApplyResult{TerraformVersion: fakeVersion}, &tfrun.StaleStateError{Want: *want, Got: got}
		}
	}
	f.applies = append(f.applies, fakeApplyCall{stack: stack, planFile: bytes.Clone(sa.PlanFile), expectVersion: sa.ExpectVersion})
	err, block := f.applyErr[stack], f.block[stack]
	f.mu.Unlock()
	if err != nil {
		return &tfrun.ApplyResult{TerraformVersion: fakeVersion, Log: []byte("apply failed")}, err
	}
	if block {
		f.started <- stack
		<-ctx.Done()
		return &tfrun.ApplyResult{TerraformVersion: fakeVersion, Log: []byte("interrupted"), State: f.pulled(stack)}, ctx.Err()
	}
	f.bump(stack)
	return &tfrun.ApplyResult{TerraformVersion: fakeVersion, Log: []byte("Apply complete!"), State: f.pulled(stack)}, nil
}

func (f *fakeTerraform) PullState(_ context.Context, sp tfrun.StackPlan) (*tfrun.PulledState, error) {
	return f.pulled(stackOfKey(sp.Key)), nil
}

// pulled is the stack's state as terraform would pull it.
func (f *fakeTerraform) pulled(stack string) *tfrun.PulledState {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.states[stack]
	if st.serial == 0 && st.lineage == "" {
		return &tfrun.PulledState{Empty: true, TerraformVersion: fakeVersion}
	}
	raw := fmt.Sprintf(`{"version":4,"terraform_version":%q,"serial":%d,"lineage":%q,"outputs":{},"resources":[]}`,
		fakeVersion, st.serial, st.lineage)
	return &tfrun.PulledState{Raw: []byte(raw), Serial: st.serial, Lineage: st.lineage, TerraformVersion: fakeVersion}
}

func (f *fakeTerraform) StateLock(context.Context, tfrun.StackPlan) (*tfrun.LockInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lock == nil {
		return nil, nil
	}
	l := *f.lock
	return &l, nil
}

// bump writes the stack's state once more, as an apply or someone outside
// driftgate would.
func (f *fakeTerraform) bump(stack string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.states[stack]
	st.serial++
	if st.lineage == "" {
		st.lineage = "lineage-" + stack
	}
	f.states[stack] = st
}

// set changes the fake's behaviour under its lock.
func (f *fakeTerraform) set(change func(f *fakeTerraform)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeTerraform) state(stack string) fakeState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.states[stack]
}

func (f *fakeTerraform) lastPlan(stack string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.plans[stack]
}

func (f *fakeTerraform) applyCalls() []fakeApplyCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeApplyCall(nil), f.applies...)
}

// tamperingStore is the real store, whose plan files can be made to read back
// as other bytes (with their own hash), as if someone rewrote them, and
// whose outcome and audit writes can be made to fail as on a full disk.
type tamperingStore struct {
	*store.Store
	tamper atomic.Bool
	// full makes FinishRun and AppendAudit fail with ENOSPC, fullUpdates
	// UpdateRun (and so the claim of a queued run).
	full, fullUpdates atomic.Bool
}

func (s *tamperingStore) UpdateRun(ctx context.Context, id string, change func(*store.Run) error) (*store.Run, error) {
	if s.fullUpdates.Load() {
		return nil, fmt.Errorf("update run %s: commit: %w", id, errDiskFull)
	}
	return s.Store.UpdateRun(ctx, id, change)
}

// errDiskFull is what a write to a full disk fails with.
var errDiskFull = &fs.PathError{Op: "write", Path: "driftgate.db", Err: syscall.ENOSPC}

func (s *tamperingStore) FinishRun(ctx context.Context, r *store.Run, plan *store.Plan, log []byte) error {
	if s.full.Load() {
		return fmt.Errorf("finish run %s: commit: %w", r.ID, errDiskFull)
	}
	return s.Store.FinishRun(ctx, r, plan, log)
}

func (s *tamperingStore) AppendAudit(ctx context.Context, e *store.AuditEntry) error {
	if s.full.Load() {
		return fmt.Errorf("append audit: commit: %w", errDiskFull)
	}
	return s.Store.AppendAudit(ctx, e)
}

func (s *tamperingStore) GetPlanFile(ctx context.Context, runID string) ([]byte, string, error) {
	file, sum, err := s.Store.GetPlanFile(ctx, runID)
	if err != nil || !s.tamper.Load() {
		return file, sum, err
	}
	file = append(bytes.Clone(file), "tampered"...)
	h := sha256.Sum256(file)
	return file, hex.EncodeToString(h[:]), nil
}

// gateHarness is a daemon on a real store and a real git repo, with
// fakeTerraform as its runner. Nothing runs in the background: tests poll
// the watcher and step the dispatcher.
type gateHarness struct {
	tb   testing.TB
	ctx  context.Context
	repo *gittest.Repo
	st   *tamperingStore
	fake *fakeTerraform
	d    *Daemon
	w    *repoWatcher
}

// newGateHarness makes a repo with config as its .driftgate.hcl and a
// main.tf in each stack dir, and a daemon watching it as repo "infra".
func newGateHarness(tb testing.TB, config string, dirs ...string) *gateHarness {
	tb.Helper()
	return newGateHarnessOn(tb, openStore(tb), config, dirs...)
}

// newGateHarnessOn is newGateHarness on the store st.
func newGateHarnessOn(tb testing.TB, st *store.Store, config string, dirs ...string) *gateHarness {
	tb.Helper()
	files := map[string]string{".driftgate.hcl": config}
	for _, dir := range dirs {
		files[dir+"/main.tf"] = `resource "x" "y" {}` + "\n"
	}
	h := &gateHarness{tb: tb, ctx: tb.Context(), repo: gittest.New(tb, files), st: &tamperingStore{Store: st}, fake: newFakeTerraform()}
	d, err := New(Config{
		DataDir: tb.TempDir(), MaxParallelRuns: 2, Auth: api.StaticToken("test-token"),
		Repos: []RepoConfig{{Name: "infra", URL: h.repo.Dir, Branch: "main", PollInterval: time.Second}},
	}, h.st, h.fake, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	d.stateKey = bytes.Repeat([]byte{7}, 32)
	h.d, h.w = d, d.watchers["infra"]
	tb.Cleanup(func() {
		// A test that failed half way may leave an apply blocked.
		d.disp.mu.Lock()
		for id := range d.disp.running {
			d.disp.running[id].cancel(ErrShutdown)
		}
		d.disp.mu.Unlock()
		d.disp.wg.Wait()
	})
	return h
}

// poll has the watcher fetch and queue plans of what changed.
func (h *gateHarness) poll() {
	h.tb.Helper()
	if err := h.w.poll(h.ctx); err != nil {
		h.tb.Fatal(err)
	}
}

// step starts what may start and waits for it to finish.
func (h *gateHarness) step() {
	h.tb.Helper()
	if err := h.d.disp.dispatch(h.ctx); err != nil {
		h.tb.Fatal(err)
	}
	h.d.disp.wg.Wait()
}

// settle steps until a step starts nothing.
func (h *gateHarness) settle() {
	h.tb.Helper()
	for range 50 {
		before := h.active()
		h.step()
		if h.active() == before {
			return
		}
	}
	h.tb.Fatalf("the queue did not settle: %s", h.active())
}

func (h *gateHarness) active() string {
	h.tb.Helper()
	runs, err := h.st.ActiveRuns(h.ctx)
	if err != nil {
		h.tb.Fatal(err)
	}
	var b strings.Builder
	for _, r := range runs {
		fmt.Fprintf(&b, "%s %s %s %s; ", r.ID, r.Stack, r.Operation, r.Status)
	}
	return b.String()
}

// runs returns the stack's runs of op, newest first.
func (h *gateHarness) runs(stack string, op store.Operation) []store.Run {
	h.tb.Helper()
	runs, _, err := h.st.ListRuns(h.ctx, store.RunFilter{Repo: "infra", Stack: stack, Operation: op, Limit: store.MaxListLimit})
	if err != nil {
		h.tb.Fatal(err)
	}
	return runs
}

// latest returns the stack's newest run of op.
func (h *gateHarness) latest(stack string, op store.Operation) store.Run {
	h.tb.Helper()
	runs := h.runs(stack, op)
	if len(runs) == 0 {
		h.tb.Fatalf("stack %s has no %s run", stack, op)
	}
	return runs[0]
}

func (h *gateHarness) run(id string) *store.Run {
	h.tb.Helper()
	r, err := h.st.GetRun(h.ctx, id)
	if err != nil {
		h.tb.Fatal(err)
	}
	return r
}

// as returns h.ctx carrying p as the request's principal.
func (h *gateHarness) as(p api.Principal) context.Context {
	h.tb.Helper()
	return principalContext(h.tb, h.ctx, p)
}

// approve approves run id as p and fails the test on an error.
func (h *gateHarness) approve(p api.Principal, id string) *store.Run {
	h.tb.Helper()
	r, err := service{h.d}.ApproveRun(h.as(p), id, "")
	if err != nil {
		h.tb.Fatalf("%s approves %s: %v", p.Name, id, err)
	}
	return r
}

// Principals of the gate tests.
var (
	alice = api.Principal{Name: "alice", Role: api.RoleApprover}
	bob   = api.Principal{Name: "bob", Role: api.RoleApprover}
	dave  = api.Principal{Name: "dave", Role: api.RoleApprover}
	root  = api.Principal{Name: "root", Role: api.RoleAdmin}
)

// principalContext returns ctx carrying p as the API's handler would put
// it there. package api has no exported way to do that, so it serves one
// request, authenticated with a token of p's, through api.NewHandler and
// keeps the context the Service got.
func principalContext(tb testing.TB, ctx context.Context, p api.Principal) context.Context {
	tb.Helper()
	token := "token-of-" + p.Name
	sum := sha256.Sum256([]byte(token))
	auth := api.Tokens([]api.TokenEntry{{Name: p.Name, Role: p.Role, SHA256: hex.EncodeToString(sum[:]), Permissions: p.Permissions}})
	c := &ctxCatcher{}
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/repos", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	api.NewHandler(c, auth, nil).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || c.ctx == nil {
		tb.Fatalf("authenticate %s: %d %s", p.Name, rec.Code, rec.Body)
	}
	if got, ok := api.PrincipalFromContext(c.ctx); !ok || got.Name != p.Name {
		tb.Fatalf("principal in context = %+v, %v", got, ok)
	}
	return c.ctx
}

// ctxCatcher is an api.Service that keeps the context of a Repos call.
type ctxCatcher struct {
	service
	ctx context.Context
}

func (c *ctxCatcher) Repos(ctx context.Context) ([]store.RepoRecord, error) {
	c.ctx = ctx
	return []store.RepoRecord{}, nil
}
