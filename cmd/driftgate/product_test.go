package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/planner/analysis"
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
			got := bindingText(&store.Binding{PlanRun: "01J", TerraformVersion: tt.version, Product: tt.product})
			if !strings.Contains(got, ", "+tt.binding) {
				t.Errorf("binding %q lacks %q", got, tt.binding)
			}
		})
	}
}
