package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/metrics"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// infra is the repo the tests' daemon watches: three stacks.
var infra = runnertest.Repo{Name: "infra", Config: `
stack "network" {
  dir = "network"
}
stack "database" {
  dir = "database"
}
stack "dns" {
  dir = "dns"
}
`, Dirs: []string{"network", "database", "dns"}}

var stackNames = []string{"network", "database", "dns"}

// scrape gets url's /metrics with token (none when "") and parses it with
// Prometheus' text parser. It fails the test unless the answer is 200.
func scrape(t *testing.T, url, token string) map[string]*dto.MetricFamily {
	t.Helper()
	resp := get(t, url+"/metrics", token)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mfs
}

func get(t *testing.T, url, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// post sends an approver's POST to the API and returns the run it answers.
func post(t *testing.T, d *runnertest.Daemon, path string) *store.Run {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apitest.ApproverToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var run store.Run
	if err := json.NewDecoder(resp.Body).Decode(&run); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST %s = %d (%v)", path, resp.StatusCode, err)
	}
	return &run
}

// value is the value of the series of family name whose labels include
// want; ok is false when there is none.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (v float64, ok bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
series:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		for k, w := range want {
			if labels[k] != w {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			v += m.GetCounter().GetValue()
		case m.Gauge != nil:
			v += m.GetGauge().GetValue()
		case m.Histogram != nil:
			v += float64(m.GetHistogram().GetSampleCount())
		default:
			v += m.GetUntyped().GetValue()
		}
		ok = true
	}
	return v, ok
}

// labelValues is every label value in mfs.
func labelValues(mfs map[string]*dto.MetricFamily) []string {
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				out = append(out, lp.GetValue())
			}
		}
	}
	return out
}

// TestMetricsMatchWhatHappened scripts runs on the real daemon (initial
// plans, a failed plan, a drift check that finds drift, a held stack, a
// plan running and one queued behind it) and checks each metric says so.
func TestMetricsMatchWhatHappened(t *testing.T) {
	m := metrics.New(metrics.Options{})
	d := runnertest.StartWith(t, runnertest.Options{Metrics: m}, infra)
	m.WatchBolt(d.Store)
	ctx := context.Background()
	tf := d.Terraform

	tf.FailPlans("database", errors.New("provider crashed"))
	failed := post(t, d, "/api/v1/stacks/infra/database/plan")
	d.WaitRun(failed.ID, store.StatusErrored)
	tf.Drift("network", analysis.ResourceChange{Address: "aws_instance.web", Mode: "managed", Type: "aws_instance", Name: "web", Action: "update", Kind: "changed"})
	check := post(t, d, "/api/v1/stacks/infra/network/drift-check")
	d.WaitRun(check.ID, store.StatusPlanned, store.StatusNoChanges)
	d.Settle()
	hold := &store.Hold{Repo: "infra", Stack: "database", RunID: failed.ID, Since: time.Now().UTC(), Reason: "seeded by the test"}
	if err := d.Store.HoldStack(ctx, hold); err != nil {
		t.Fatal(err)
	}
	tf.BlockPlans("dns")
	running := post(t, d, "/api/v1/stacks/infra/dns/plan")
	if got := <-tf.Started(); got != "dns" {
		t.Fatalf("started %s, want dns", got)
	}
	queued := post(t, d, "/api/v1/stacks/infra/dns/plan")

	mfs := scrape(t, d.URL, "")

	// Runs by operation, trigger and status: every run the dispatcher
	// started, as the store has it.
	runs, _, err := d.Store.ListRuns(ctx, store.RunFilter{Limit: store.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ op, trigger, status string }
	started, finished := map[key]int{}, map[key]int{}
	for _, r := range runs {
		if r.StartedAt.IsZero() {
			continue // never dispatched: superseded, awaiting approval, queued
		}
		started[key{string(r.Operation), r.Trigger, ""}]++
		if r.Status != store.StatusRunning {
			finished[key{string(r.Operation), r.Trigger, string(r.Status)}]++
		}
	}
	if finished[key{"plan", "manual", "errored"}] != 1 || len(finished) < 3 {
		t.Fatalf("the script did not happen as planned: finished runs %v", finished)
	}
	for k, n := range started {
		if got, _ := value(mfs, "driftgate_runs_started_total", map[string]string{"repo": "infra", "operation": k.op, "trigger": k.trigger}); got != float64(n) {
			t.Errorf("runs_started_total{%s,%s} = %v, want %d", k.op, k.trigger, got, n)
		}
	}
	total := 0
	for k, n := range finished {
		total += n
		if got, _ := value(mfs, "driftgate_runs_finished_total", map[string]string{"repo": "infra", "operation": k.op, "trigger": k.trigger, "status": k.status}); got != float64(n) {
			t.Errorf("runs_finished_total{%s,%s,%s} = %v, want %d", k.op, k.trigger, k.status, got, n)
		}
	}
	if got, _ := value(mfs, "driftgate_runs_finished_total", nil); got != float64(total) {
		t.Errorf("runs_finished_total = %v, want %d", got, total)
	}
	if got, _ := value(mfs, "driftgate_run_duration_seconds", map[string]string{"phase": metrics.PhaseTotal}); got != float64(total) {
		t.Errorf("run_duration_seconds{phase=total} observed %v runs, want %d", got, total)
	}
	// Every finished plan and drift check reported its plan step through
	// the daemon (terraform reports steps; the daemon labels them).
	byOp := map[string]int{}
	for k, n := range finished {
		byOp[k.op] += n
	}
	for _, op := range []string{"plan", "drift"} {
		if got, _ := value(mfs, "driftgate_run_duration_seconds", map[string]string{"operation": op, "phase": "plan"}); got != float64(byOp[op]) {
			t.Errorf("run_duration_seconds{operation=%s,phase=plan} observed %v, want %d", op, got, byOp[op])
		}
	}

	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"driftgate_queue_depth", map[string]string{"operation": "plan"}, 1},
		{"driftgate_queue_depth", map[string]string{"operation": "apply"}, 0},
		{"driftgate_workers_busy", nil, 1},
		{"driftgate_workers_max", nil, 2},
		// network's apply still awaits approval; the plans of database
		// and dns superseded theirs.
		{"driftgate_applies_awaiting_approval", map[string]string{"repo": "infra"}, 1},
		{"driftgate_stacks_held", map[string]string{"repo": "infra"}, 1},
		{"driftgate_stacks", map[string]string{"repo": "infra", "status": "drifted"}, 1},
		{"driftgate_stacks", map[string]string{"repo": "infra"}, 3},
		{"driftgate_drift_findings_open", map[string]string{"repo": "infra"}, 1},
		{"driftgate_state_scrape_errors", nil, 0},
		{"driftgate_git_fetch_errors_total", map[string]string{"repo": "infra"}, 0},
		{"driftgate_git_fetch_duration_seconds", map[string]string{"repo": "infra"}, 1},
		{"driftgate_http_requests_total", map[string]string{"route": "POST /api/v1/stacks/{repo}/{stack}/plan", "code": "202"}, 3},
		{"driftgate_http_requests_total", map[string]string{"route": "POST /api/v1/stacks/{repo}/{stack}/drift-check", "code": "202"}, 1},
		{"driftgate_webhook_requests_total", map[string]string{"result": metrics.WebhookRejected}, 0},
		{"driftgate_deliveries_total", map[string]string{"kind": metrics.KindNotify, "result": metrics.ResultFailed}, 0},
	} {
		got, ok := value(mfs, tt.name, tt.labels)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %t), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	for _, name := range []string{"driftgate_queue_oldest_age_seconds", "driftgate_applies_awaiting_approval_oldest_age_seconds", "driftgate_bolt_file_size_bytes", "driftgate_bolt_read_tx_total"} {
		if got, ok := value(mfs, name, nil); !ok || got <= 0 {
			t.Errorf("%s = %v (present %t), want > 0", name, got, ok)
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := mfs[name]; !ok {
			t.Errorf("no %s: the Go runtime and process collectors are not registered", name)
		}
	}

	checkAlertMetrics(t, mfs)

	// Stack names and run ids are never label values by default.
	ids := []string{failed.ID, check.ID, running.ID, queued.ID}
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	for _, v := range labelValues(mfs) {
		for _, bad := range append(ids, stackNames...) {
			if strings.Contains(v, bad) {
				t.Errorf("label value %q contains %q", v, bad)
			}
		}
	}
}

// TestMetricsTokenAndPerStack: metrics { token_env } requires the bearer
// token; metrics { per_stack = true } labels stacks, never run ids.
func TestMetricsTokenAndPerStack(t *testing.T) {
	const token = "metrics-token-0123456789"
	m := metrics.New(metrics.Options{PerStack: true, Token: token})
	d := runnertest.StartWith(t, runnertest.Options{Metrics: m}, infra)

	for _, tt := range []struct {
		token string
		want  int
	}{{"", http.StatusUnauthorized}, {"wrong", http.StatusUnauthorized}, {apitest.Token, http.StatusUnauthorized}, {token, http.StatusOK}} {
		resp := get(t, d.URL+"/metrics", tt.token)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET /metrics with token %q = %d, want %d", tt.token, resp.StatusCode, tt.want)
		}
		if tt.want == http.StatusUnauthorized && !strings.Contains(string(body), "metrics { token_env }") {
			t.Errorf("401 body %q does not name the fix", body)
		}
	}
	mfs := scrape(t, d.URL, token)
	for _, s := range stackNames {
		if got, _ := value(mfs, "driftgate_runs_finished_total", map[string]string{"stack": "infra/" + s, "operation": "plan"}); got != 1 {
			t.Errorf("runs_finished_total{stack=infra/%s,operation=plan} = %v, want 1", s, got)
		}
		if got, ok := value(mfs, "driftgate_stack_drift_status", map[string]string{"repo": "infra", "stack": s}); !ok || got != 1 {
			t.Errorf("stack_drift_status{stack=%s} = %v (present %t), want one series", s, got, ok)
		}
	}
	runs, _, err := d.Store.ListRuns(context.Background(), store.RunFilter{Limit: store.MaxListLimit})
	if err != nil || len(runs) == 0 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	for _, v := range labelValues(mfs) {
		for _, r := range runs {
			if strings.Contains(v, r.ID) {
				t.Errorf("label value %q contains run id %s", v, r.ID)
			}
		}
	}
}
