package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/driftgate/driftgate/runner/metrics"
	"github.com/driftgate/driftgate/store"
)

// gather gathers m's registry as a scrape would see it.
func gather(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// TestInstrumentLabelsByPattern: requests are counted by the pattern the
// mux matched, never by their path; a request no pattern matched is
// "unmatched".
func TestInstrumentLabelsByPattern(t *testing.T) {
	m := metrics.New(metrics.Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/runs/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) })
	h := m.Instrument(mux)
	for _, path := range []string{"/api/v1/runs/01HZXSECRETRUN", "/api/v1/runs/other", "/nothing/here"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	mfs := gather(t, m)
	if got, _ := value(mfs, "driftgate_http_requests_total", map[string]string{"route": "GET /api/v1/runs/{id}", "code": "404"}); got != 2 {
		t.Errorf("requests of GET /api/v1/runs/{id} = %v, want 2", got)
	}
	if got, _ := value(mfs, "driftgate_http_requests_total", map[string]string{"route": "unmatched", "code": "404"}); got != 1 {
		t.Errorf("unmatched requests = %v, want 1", got)
	}
	for _, v := range labelValues(mfs) {
		if strings.Contains(v, "SECRETRUN") || strings.Contains(v, "other") || strings.Contains(v, "nothing") {
			t.Errorf("label value %q holds a raw path", v)
		}
	}
}

// TestStateScrapeErrors: a store that cannot be read is reported by
// driftgate_state_scrape_errors, and the scrape still answers.
func TestStateScrapeErrors(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Options{})
	m.WatchState(st, func() int { return 0 }, 1, nil)
	mfs := gather(t, m)
	if got, ok := value(mfs, "driftgate_state_scrape_errors", nil); !ok || got != 1 {
		t.Errorf("state_scrape_errors = %v (present %t), want 1", got, ok)
	}
	if _, ok := value(mfs, "driftgate_workers_busy", nil); !ok {
		t.Error("no workers_busy when the store fails")
	}
}

// TestFetchErrors: fetches are timed per repo and failures counted.
func TestFetchErrors(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.Fetch("infra", 0, nil)
	m.Fetch("infra", 0, http.ErrHandlerTimeout)
	m.Fetch("platform", 0, nil)
	mfs := gather(t, m)
	for _, tt := range []struct {
		name, repo string
		want       float64
	}{
		{"driftgate_git_fetch_duration_seconds", "infra", 2},
		{"driftgate_git_fetch_errors_total", "infra", 1},
		{"driftgate_git_fetch_errors_total", "platform", 0},
	} {
		if got, ok := value(mfs, tt.name, map[string]string{"repo": tt.repo}); !ok || got != tt.want {
			t.Errorf("%s{repo=%s} = %v (present %t), want %v", tt.name, tt.repo, got, ok, tt.want)
		}
	}
}

// TestQueueAgeOfApprovedApply: an apply run that waited a day for its
// approval counts as queued since it was approved, not since it opened,
// so approving an old apply does not look like a stuck queue.
func TestQueueAgeOfApprovedApply(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	day := time.Now().UTC().Add(-24 * time.Hour)
	run := &store.Run{Repo: "infra", Stack: "network", Dir: "network", Commit: "c1", Operation: store.OperationApply, Trigger: "commit",
		Status: store.StatusAwaitingApproval, CreatedAt: day, Binding: &store.Binding{PlanRun: "p1", PlanSHA256: "sha"}}
	if err := st.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	approved := func(r *store.Run) error { // as the gate records an approval that queues the run
		r.Approvals = append(r.Approvals, store.Approval{Approver: "alice", Decision: store.DecisionApprove, At: time.Now().UTC(), Binding: *run.Binding})
		r.Status = store.StatusQueued
		return nil
	}
	if _, err := st.UpdateRun(ctx, run.ID, approved); err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Options{})
	m.WatchState(st, nil, 1, nil)
	mfs := gather(t, m)
	if got, _ := value(mfs, "driftgate_queue_depth", map[string]string{"operation": "apply"}); got != 1 {
		t.Fatalf("queue_depth{apply} = %v, want 1", got)
	}
	if got, _ := value(mfs, "driftgate_queue_oldest_age_seconds", nil); got <= 0 || got > 3600 {
		t.Errorf("queue_oldest_age_seconds = %v, want the seconds since the approval", got)
	}
}
