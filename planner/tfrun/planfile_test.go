package tfrun

import (
	"archive/zip"
	"bytes"
	"errors"
	"testing"
)

// zipOf returns a zip holding files, in the order given.
func zipOf(tb testing.TB, files ...[2]string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write([]byte(f[1])); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestPlanFileState(t *testing.T) {
	tests := []struct {
		name        string
		file        []byte
		wantSerial  uint64
		wantLineage string
		wantErr     bool
	}{
		{"state", zipOf(t, [2]string{"tfplan", "x"}, [2]string{"tfstate", `{"version":4,"serial":7,"lineage":"abc","resources":[]}`}),
			7, "abc", false},
		{"no state at plan time", zipOf(t, [2]string{"tfstate", `{"version":4,"terraform_version":"1.11.4","serial":0,"lineage":"","outputs":{},"resources":[],"check_results":null}`}),
			0, "", false},
		{"nil", nil, 0, "", true},
		{"empty", []byte{}, 0, "", true},
		{"text", []byte("not a plan file"), 0, "", true},
		{"zip magic only", []byte("PK\x03\x04garbage"), 0, "", true},
		{"zip without tfstate", zipOf(t, [2]string{"tfplan", "x"}, [2]string{"tfstate-prev", `{"version":4,"serial":1,"lineage":"a"}`}), 0, "", true},
		{"empty zip", zipOf(t), 0, "", true},
		{"tfstate not json", zipOf(t, [2]string{"tfstate", "{"}), 0, "", true},
		{"tfstate empty", zipOf(t, [2]string{"tfstate", ""}), 0, "", true},
		{"tfstate format 3", zipOf(t, [2]string{"tfstate", `{"version":3,"serial":1,"lineage":"a"}`}), 0, "", true},
		{"tfstate negative serial", zipOf(t, [2]string{"tfstate", `{"version":4,"serial":-1,"lineage":"a"}`}), 0, "", true},
		{"tfstate is a directory", zipOf(t, [2]string{"tfstate/", ""}), 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serial, lineage, err := PlanFileState(tt.file)
			if tt.wantErr {
				if !errors.Is(err, ErrNotPlanFile) {
					t.Errorf("err = %v, want ErrNotPlanFile", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if serial != tt.wantSerial || lineage != tt.wantLineage {
				t.Errorf("got serial %d lineage %q, want %d %q", serial, lineage, tt.wantSerial, tt.wantLineage)
			}
		})
	}
}

func FuzzPlanFileState(f *testing.F) {
	f.Add([]byte(nil))
	f.Add([]byte("PK\x03\x04"))
	f.Add(zipOf(f, [2]string{"tfstate", `{"version":4,"serial":3,"lineage":"l"}`}))
	f.Add(zipOf(f, [2]string{"tfplan", "x"}))
	f.Fuzz(func(t *testing.T, file []byte) {
		serial, lineage, err := PlanFileState(file)
		if err != nil {
			if !errors.Is(err, ErrNotPlanFile) {
				t.Errorf("err = %v, want ErrNotPlanFile", err)
			}
			if serial != 0 || lineage != "" {
				t.Errorf("failed with serial %d lineage %q", serial, lineage)
			}
		}
	})
}

// planFileState is PlanFileState for a test.
func planFileState(t *testing.T, planFile []byte) (uint64, string) {
	t.Helper()
	serial, lineage, err := PlanFileState(planFile)
	if err != nil {
		t.Fatal(err)
	}
	return serial, lineage
}

// TestPlanFileStateMatchesPulledState checks, with real terraform, the
// comparison a caller makes before applying: the plan's prior state against
// the state PullState reads.
func TestPlanFileStateMatchesPulledState(t *testing.T) {
	h := newHarness(t)
	stack := func(size string) map[string]string {
		return map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" {
  name = "web"
  size = "` + size + `"
}`)}
	}
	current := func(t *testing.T, planFile []byte) bool {
		t.Helper()
		serial, lineage := planFileState(t, planFile)
		ps, _ := h.pullState(t, "web", "")
		return serial == ps.Serial && lineage == ps.Lineage
	}

	// (a) Never applied: serial 0 and no lineage on both sides.
	h.write(t, stack("small"))
	first, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, first.logOrEmpty())
	}
	if serial, lineage := planFileState(t, first.PlanFile); serial != 0 || lineage != "" {
		t.Errorf("plan of a stack never applied: serial %d lineage %q, want 0 and none", serial, lineage)
	}
	if ps, _ := h.pullState(t, "web", ""); !ps.Empty {
		t.Fatalf("pulled state of a stack never applied = %+v", ps)
	}
	if !current(t, first.PlanFile) {
		t.Error("the first plan does not match the empty state")
	}
	if ar, err := h.applyPlan(t, "web", first.PlanFile); err != nil {
		t.Fatalf("apply: %v\n%s", err, ar.Log)
	}
	if current(t, first.PlanFile) {
		t.Error("the applied plan still matches the state it changed")
	}

	// (b) Applied once: the plan records the serial and lineage pulled.
	h.write(t, stack("medium"))
	second, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, second.logOrEmpty())
	}
	if serial, lineage := planFileState(t, second.PlanFile); serial == 0 || lineage == "" {
		t.Errorf("plan of an applied stack: serial %d lineage %q", serial, lineage)
	}
	if !current(t, second.PlanFile) {
		t.Error("the second plan does not match the state it was made against")
	}

	// Another change applied out of band makes it stale, and terraform
	// agrees.
	h.write(t, stack("large"))
	h.apply(t, "web")
	if current(t, second.PlanFile) {
		t.Error("the second plan still matches after the state changed out of band")
	}
	ar, err := h.applyPlan(t, "web", second.PlanFile)
	if err == nil || !bytes.Contains(ar.Log, []byte("Saved plan is stale")) {
		t.Errorf("terraform applied the stale plan: err = %v\n%s", err, ar.Log)
	}
}
