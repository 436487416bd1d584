package metrics_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v2"
)

// alertsFile is the example alert rules file.
const alertsFile = "../../examples/prometheus/alerts.yml"

// ruleFile is the shape of a Prometheus rules file.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// loadAlerts parses the example rules strictly: an unknown key fails.
func loadAlerts(t *testing.T) *ruleFile {
	t.Helper()
	raw, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.UnmarshalStrict(raw, &rf); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	return &rf
}

// TestAlertRulesParse: the example rules are YAML in Prometheus' rules
// shape, with the alerts the README promises.
func TestAlertRulesParse(t *testing.T) {
	rf := loadAlerts(t)
	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v lacks alert, expr or summary", r)
			}
			alerts[r.Alert] = true
		}
	}
	for _, want := range []string{"DriftgateStacksDrifted", "DriftgateQueueStuck", "DriftgateGitFetchFailing", "DriftgateApplyAwaitingApproval"} {
		if !alerts[want] {
			t.Errorf("no alert %s in %s", want, alertsFile)
		}
	}
}

var metricName = regexp.MustCompile(`driftgate_[a-z_]+`)

// checkAlertMetrics fails t if a rule's expression names a metric that a
// scrape of the daemon (mfs) does not have.
func checkAlertMetrics(t *testing.T, mfs map[string]*dto.MetricFamily) {
	t.Helper()
	for _, g := range loadAlerts(t).Groups {
		for _, r := range g.Rules {
			for _, name := range metricName.FindAllString(r.Expr, -1) {
				base := name
				for _, suffix := range []string{"_count", "_sum", "_bucket"} {
					if b, ok := strings.CutSuffix(name, suffix); ok && mfs[b] != nil && mfs[b].GetType() == dto.MetricType_HISTOGRAM {
						base = b
					}
				}
				if mfs[base] == nil {
					t.Errorf("alert %s uses %s, which /metrics does not serve", r.Alert, name)
				}
			}
		}
	}
}
