package metrics

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/driftgate/driftgate/store"
)

// namespace prefixes every driftgate metric.
const namespace = "driftgate"

// Label values of results, as the delivery and webhook counters use them.
const (
	ResultDelivered = "delivered" // the sink or forge accepted it
	ResultRetry     = "retry"     // an attempt failed and is retried
	ResultFailed    = "failed"    // given up on
)

// Webhook results: WebhookAccepted queued work, WebhookIgnored was valid
// but about nothing driftgate watches, WebhookRejected failed its
// signature or did not parse.
const (
	WebhookAccepted = "accepted"
	WebhookIgnored  = "ignored"
	WebhookRejected = "rejected"
)

// Delivery kinds.
const (
	KindNotify = "notify" // notifications (webhook and Slack sinks)
	KindForge  = "forge"  // PR comments and commit statuses
)

// PhaseTotal is the phase label of a whole run's duration.
const PhaseTotal = "total"

// Options configures the metrics.
type Options struct {
	// PerStack adds a stack label to the run counters and per-stack drift
	// gauges. Off by default: cardinality grows with the number of stacks.
	PerStack bool
	// Token, when set, is the bearer token GET /metrics requires.
	Token string
}

// Metrics holds driftgate's collectors and their registry. Its methods
// are safe for concurrent use, and on a nil *Metrics they do nothing.
type Metrics struct {
	opts Options
	reg  *prometheus.Registry

	runsStarted  *prometheus.CounterVec
	runsFinished *prometheus.CounterVec
	runDuration  *prometheus.HistogramVec
	fetchTime    *prometheus.HistogramVec
	fetchErrors  *prometheus.CounterVec
	deliveries   *prometheus.CounterVec
	webhooks     *prometheus.CounterVec
	apiRequests  *prometheus.CounterVec
	apiDuration  *prometheus.HistogramVec
}

// New builds the metrics and registers the Go runtime and process
// collectors with them.
func New(opts Options) *Metrics {
	runLabels := []string{"repo", "operation", "trigger"}
	if opts.PerStack {
		runLabels = append(runLabels, "stack")
	}
	m := &Metrics{
		opts: opts,
		reg:  prometheus.NewRegistry(),
		runsStarted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "runs_started_total",
			Help: "Runs the dispatcher started, by repo, operation and trigger.",
		}, runLabels),
		runsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "runs_finished_total",
			Help: "Runs that ended, by repo, operation, trigger and final status.",
		}, append(runLabels[:len(runLabels):len(runLabels)], "status")),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "run_duration_seconds",
			Help:    "Run durations by operation and phase (init, plan, show, apply; total is the whole run).",
			Buckets: []float64{1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 3600},
		}, []string{"operation", "phase"}),
		fetchTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "git_fetch_duration_seconds",
			Help:    "Git fetches of watched repos, by repo.",
			Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"repo"}),
		fetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "git_fetch_errors_total",
			Help: "Git fetches of watched repos that failed, by repo.",
		}, []string{"repo"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "deliveries_total",
			Help: "Delivery attempts by kind (notify, forge) and result (delivered, retry, failed).",
		}, []string{"kind", "result"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "webhook_requests_total",
			Help: "Forge webhook requests by result (accepted, ignored, rejected).",
		}, []string{"result"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests by route pattern (never the raw path) and status code.",
		}, []string{"route", "code"}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "HTTP request durations by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	m.reg.MustRegister(m.runsStarted, m.runsFinished, m.runDuration, m.fetchTime, m.fetchErrors,
		m.deliveries, m.webhooks, m.apiRequests, m.apiDuration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Series that exist before anything happens, so alerts and rates see
	// zero rather than nothing.
	for _, kind := range []string{KindNotify, KindForge} {
		for _, res := range []string{ResultDelivered, ResultRetry, ResultFailed} {
			m.deliveries.WithLabelValues(kind, res)
		}
	}
	for _, res := range []string{WebhookAccepted, WebhookIgnored, WebhookRejected} {
		m.webhooks.WithLabelValues(res)
	}
	return m
}

// Registry is where the collectors are registered; tests gather from it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// runLabels are the label values of run r's counters.
func (m *Metrics) runLabels(r *store.Run) []string {
	l := []string{r.Repo, string(r.Operation), r.Trigger}
	if m.opts.PerStack {
		l = append(l, r.Repo+"/"+r.Stack)
	}
	return l
}

// RunStarted counts run r as started.
func (m *Metrics) RunStarted(r *store.Run) {
	if m == nil {
		return
	}
	m.runsStarted.WithLabelValues(m.runLabels(r)...).Inc()
}

// RunFinished counts run r as ended with its status and observes its
// duration, took.
func (m *Metrics) RunFinished(r *store.Run, took time.Duration) {
	if m == nil {
		return
	}
	m.runsFinished.WithLabelValues(append(m.runLabels(r), string(r.Status))...).Inc()
	m.runDuration.WithLabelValues(string(r.Operation), PhaseTotal).Observe(took.Seconds())
}

// Phase observes one phase (init, plan, show, apply) of a run of op.
func (m *Metrics) Phase(op store.Operation, phase string, took time.Duration) {
	if m == nil {
		return
	}
	m.runDuration.WithLabelValues(string(op), phase).Observe(took.Seconds())
}

// Fetch observes a git fetch of repo that took took and failed with err
// (nil: it worked).
func (m *Metrics) Fetch(repo string, took time.Duration, err error) {
	if m == nil {
		return
	}
	m.fetchTime.WithLabelValues(repo).Observe(took.Seconds())
	errs := m.fetchErrors.WithLabelValues(repo) // a series from the first fetch on
	if err != nil {
		errs.Inc()
	}
}

// Delivery counts a delivery attempt of kind (KindNotify, KindForge) that
// ended with result (ResultDelivered, ResultRetry, ResultFailed).
func (m *Metrics) Delivery(kind, result string) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(kind, result).Inc()
}

// Webhook counts a webhook request that ended with result
// (WebhookAccepted, WebhookIgnored, WebhookRejected).
func (m *Metrics) Webhook(result string) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(result).Inc()
}

// Handler serves the metrics in the Prometheus text format, requiring
// Options.Token as a bearer token when it is set.
func (m *Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	if m.opts.Token == "" {
		return h
	}
	want := []byte(m.opts.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="driftgate metrics"`)
			http.Error(w, "driftgate metrics need the bearer token named by metrics { token_env } in the server config", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
