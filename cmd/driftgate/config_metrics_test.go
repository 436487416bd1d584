package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

func TestLoadConfigMetrics(t *testing.T) {
	t.Setenv("DG_METRICS_TOKEN", "scrape-me")
	tests := []struct {
		name, text string
		want       MetricsConfig
		err        string
	}{
		{"none", ``, MetricsConfig{}, ""},
		{"per stack", "metrics {\n  per_stack = true\n}\n", MetricsConfig{PerStack: true}, ""},
		{"token", "metrics {\n  token_env = \"DG_METRICS_TOKEN\"\n}\n", MetricsConfig{TokenEnv: "DG_METRICS_TOKEN", Token: "scrape-me"}, ""},
		{"unset token", "metrics {\n  token_env = \"DG_METRICS_UNSET\"\n}\n", MetricsConfig{}, "The environment variable DG_METRICS_UNSET (the bearer token Prometheus sends to scrape /metrics) is empty or not set"},
		{"token itself", "metrics {\n  token_env = \"scrape me\"\n}\n", MetricsConfig{}, "token_env names the variable that holds the bearer token"},
		{"unknown", "metrics {\n  path = \"/m\"\n}\n", MetricsConfig{}, `An argument named "path" is not expected here`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, diags := loadConfigText(t, tt.text)
			if tt.err != "" {
				if cfg != nil || !strings.Contains(diags, tt.err) {
					t.Fatalf("diagnostics %q, want %q", diags, tt.err)
				}
				return
			}
			if cfg == nil {
				t.Fatal(diags)
			}
			if cfg.Metrics != tt.want {
				t.Errorf("Metrics = %+v, want %+v", cfg.Metrics, tt.want)
			}
		})
	}
}

// TestServeMetricsToken: the metrics block as serve wires it into the
// daemon: /metrics on the API's handler, requiring token_env's token.
func TestServeMetricsToken(t *testing.T) {
	t.Setenv("DG_METRICS_TOKEN", "scrape-me")
	cfg, _, diags := loadConfigText(t, "metrics {\n  token_env = \"DG_METRICS_TOKEN\"\n}\n")
	if cfg == nil {
		t.Fatal(diags)
	}
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc, err := daemonConfig(cfg, st, newMetrics(cfg.Metrics, st), nil)
	if err != nil {
		t.Fatal(err)
	}
	rc.DataDir, rc.Auth = t.TempDir(), apitest.Auth()
	d, err := runner.New(rc, st, runnertest.NewTerraform(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		auth string
		want int
	}{{"", http.StatusUnauthorized}, {"Bearer " + apitest.Token, http.StatusUnauthorized}, {"Bearer scrape-me", http.StatusOK}} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		d.Handler().ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("GET /metrics with %q = %d, want %d", tt.auth, rec.Code, tt.want)
		}
		if tt.want == http.StatusOK && !strings.Contains(rec.Body.String(), "driftgate_bolt_file_size_bytes") {
			t.Errorf("/metrics has no bbolt statistics:\n%s", rec.Body)
		}
	}
}

// TestMetricsBoltStatsOnlyFromBbolt: bbolt's statistics are exported when
// the store has them; a store without them (PostgreSQL) still gets its
// metrics, without the bolt series.
func TestMetricsBoltStatsOnlyFromBbolt(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	type deliveriesOnly struct{ serveStore } // hides Stats and Path
	for _, tt := range []struct {
		name string
		st   serveStore
		want bool
	}{{"bbolt", st, true}, {"without stats", deliveriesOnly{st}, false}} {
		rec := httptest.NewRecorder()
		newMetrics(MetricsConfig{}, tt.st).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: GET /metrics = %d", tt.name, rec.Code)
		}
		if got := strings.Contains(rec.Body.String(), "driftgate_bolt_file_size_bytes"); got != tt.want {
			t.Errorf("%s: bolt statistics exported = %v, want %v", tt.name, got, tt.want)
		}
	}
}
