package tfrun

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/statever"
)

func TestParsePulledState(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    PulledState
		wantErr bool
	}{
		{"no state", "", PulledState{Empty: true}, false},
		{"whitespace only", "\n", PulledState{Raw: []byte("\n"), Empty: true}, false},
		{"state", `{"version":4,"terraform_version":"1.11.4","serial":7,"lineage":"abc","resources":[]}`,
			PulledState{Serial: 7, Lineage: "abc"}, false},
		{"serial zero", `{"version":4,"serial":0,"lineage":"abc"}`, PulledState{Lineage: "abc"}, false},
		{"not json", `Error: nope`, PulledState{}, true},
		{"format 3", `{"version":3,"serial":1,"lineage":"abc"}`, PulledState{}, true},
		{"no lineage", `{"version":4,"serial":1}`, PulledState{}, true},
		{"negative serial", `{"version":4,"serial":-1,"lineage":"abc"}`, PulledState{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePulledState([]byte(tt.raw))
			if tt.wantErr {
				if !errors.Is(err, ErrBadState) {
					t.Errorf("err = %v, want ErrBadState", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Serial != tt.want.Serial || got.Lineage != tt.want.Lineage || got.Empty != tt.want.Empty || string(got.Raw) != tt.raw {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func (h *harness) pullState(t *testing.T, dir, workspace string) (*PulledState, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var log syncBuffer
	ps, err := h.planner.PullState(ctx, StackPlan{
		Source: os.DirFS(h.src), Layout: Layout{Dir: dir}, Key: "test/" + dir, Workspace: workspace, Log: &log,
	})
	if err != nil {
		t.Fatalf("pull state: %v\n%s", err, log.String())
	}
	return ps, log.String()
}

// stateFile reads the serial and lineage of the state the default backend
// keeps for dir, as terraform wrote it.
func (h *harness) stateFile(t *testing.T, dir string) (uint64, string) {
	t.Helper()
	raw, err := os.ReadFile(h.planner.StatePath("test/" + dir))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Serial  uint64 `json:"serial"`
		Lineage string `json:"lineage"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	return st.Serial, st.Lineage
}

func TestPullStateAfterApply(t *testing.T) {
	const secret = "state-pull-secret-8675309"
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`
resource "dgtest_server" "web" {
  name = "web"
  size = "small"
}
resource "dgtest_secret" "db" {
  name  = "db"
  value = "` + secret + `"
}
`)})
	h.apply(t, "web")
	ps, log := h.pullState(t, "web", "")
	serial, lineage := h.stateFile(t, "web")
	if ps.Empty || ps.Serial != serial || ps.Lineage != lineage || lineage == "" {
		t.Fatalf("pulled serial %d lineage %q empty %v; the state file has serial %d lineage %q",
			ps.Serial, ps.Lineage, ps.Empty, serial, lineage)
	}
	if !strings.Contains(string(ps.Raw), `"dgtest_server"`) || !strings.Contains(string(ps.Raw), secret) {
		t.Errorf("raw state lacks the resources:\n%s", ps.Raw)
	}
	if ps.TerraformVersion == "" {
		t.Error("terraform version not recorded")
	}
	if !strings.Contains(log, "$ terraform state pull") {
		t.Errorf("log lacks the step:\n%s", log)
	}
	if strings.Contains(log, secret) || strings.Contains(log, lineage) {
		t.Errorf("the state reached the log:\n%s", log)
	}
	// What terraform really prints redacts: the provider's sensitive
	// attribute is marked in the state.
	v, err := statever.Redact(ps.Raw, []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	redacted, _ := json.Marshal(v)
	if v.Serial != ps.Serial || len(v.Resources) != 2 || strings.Contains(string(redacted), secret) {
		t.Errorf("redacted state: serial %d, %d resources, secret present %v",
			v.Serial, len(v.Resources), strings.Contains(string(redacted), secret))
	}

	// A change makes a new version of the same lineage.
	h.write(t, map[string]string{"web/main.tf": h.stack(`
resource "dgtest_server" "web" {
  name = "web"
  size = "large"
}
resource "dgtest_secret" "db" {
  name  = "db"
  value = "` + secret + `"
}
`)})
	h.apply(t, "web")
	next, _ := h.pullState(t, "web", "")
	if next.Serial <= ps.Serial || next.Lineage != ps.Lineage {
		t.Errorf("after a second apply: serial %d -> %d, lineage %q -> %q", ps.Serial, next.Serial, ps.Lineage, next.Lineage)
	}
	if !strings.Contains(string(next.Raw), `"large"`) {
		t.Errorf("pulled state lacks the change:\n%s", next.Raw)
	}
}

func TestPullStateNeverApplied(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"new/main.tf": h.stack(`resource "dgtest_server" "web" { name = "web" }`)})
	for _, workspace := range []string{"", "staging"} {
		ps, _ := h.pullState(t, "new", workspace)
		if !ps.Empty || len(ps.Raw) != 0 || ps.Serial != 0 || ps.Lineage != "" {
			t.Errorf("workspace %q: got %+v, want an empty state", workspace, ps)
		}
	}
}
