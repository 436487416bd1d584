package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// TestOutputsNameTheProduct checks that plan output and an apply's binding
// name the product that planned, and that records without one read as
// Terraform.
func TestOutputsNameTheProduct(t *testing.T) {
	tests := []struct {
		product, version string
		planLine         string
		binding          string
	}{
		{"opentofu", "1.10.10", "OpenTofu:  1.10.10\n", "tofu 1.10.10"},
		{"terraform", "1.11.4", "Terraform: 1.11.4\n", "terraform 1.11.4"},
		{"", "1.11.4", "Terraform: 1.11.4\n", "terraform 1.11.4"},
	}
	for _, tt := range tests {
		t.Run(tt.product, func(t *testing.T) {
			var buf bytes.Buffer
			writePlanText(&buf, planOutput{TerraformVersion: tt.version, Product: tt.product, Analysis: &analysis.Analysis{}}, nil, true)
			if !strings.Contains(buf.String(), tt.planLine) {
				t.Errorf("plan output lacks %q:\n%s", tt.planLine, buf.String())
			}
			got := bindingText(&apiv1.Binding{PlanRun: "01J", TerraformVersion: tt.version, Product: tt.product})
			if !strings.Contains(got, ", "+tt.binding) {
				t.Errorf("binding %q lacks %q", got, tt.binding)
			}
		})
	}
}

// TestShowOpenTofuRun checks that driftgate show labels a run's version
// with the product that ran it.
func TestShowOpenTofuRun(t *testing.T) {
	e := newAPIEnv(t)
	run := store.Run{Repo: "infra", Stack: "network", Dir: "envs/prod/network", Trigger: "manual", Operation: "plan"}
	if err := e.st.CreateRun(t.Context(), &run); err != nil {
		t.Fatal(err)
	}
	run.Status, run.TerraformVersion, run.Product = store.StatusNoChanges, "1.10.10", "opentofu"
	run.StartedAt = time.Now().UTC()
	run.FinishedAt = run.StartedAt.Add(time.Second)
	if err := e.st.FinishRun(t.Context(), &run, nil, nil); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e.cli(t, "show", run.ID)
	if code != exitOK {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	checkOutput(t, "show", out, "OpenTofu:  1.10.10")
	if strings.Contains(out, "Terraform:") {
		t.Errorf("show of an OpenTofu run says Terraform:\n%s", out)
	}
}
