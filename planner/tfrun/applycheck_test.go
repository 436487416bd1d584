package tfrun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/go-version"
)

func TestCheckVersion(t *testing.T) {
	bin := &Binary{Path: "/bin/terraform", Product: Terraform, Version: version.Must(version.NewVersion("1.11.4"))}
	tofu := &Binary{Path: "/bin/tofu", Product: OpenTofu, Version: version.Must(version.NewVersion("1.10.10"))}
	tests := []struct {
		name        string
		bin         *Binary
		wantProduct Product
		want        string
		wantErr     string
	}{
		{"nothing expected", bin, "", "", ""},
		{"same version", bin, "", "1.11.4", ""},
		{"same product and version", bin, Terraform, "1.11.4", ""},
		{"older version", bin, "", "1.10.0", "Terraform 1.11.4 would apply a plan made by Terraform 1.10.0: plan again with the current version"},
		{"spelled otherwise", bin, "", "v1.11.4", "Terraform 1.11.4 would apply a plan made by Terraform v1.11.4: plan again with the current version"},
		{"tofu same version", tofu, OpenTofu, "1.10.10", ""},
		{"tofu plan, terraform apply", bin, OpenTofu, "1.11.4", "Terraform 1.11.4 would apply a plan made by OpenTofu 1.11.4: plan again with the current version"},
		{"terraform plan, tofu apply", tofu, Terraform, "1.10.10", "OpenTofu 1.10.10 would apply a plan made by Terraform 1.10.10: plan again with the current version"},
		{"no product recorded", tofu, "", "1.10.9", "OpenTofu 1.10.10 would apply a plan made by OpenTofu 1.10.9: plan again with the current version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkVersion(tt.bin, tt.wantProduct, tt.want)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			var vm *VersionMismatchError
			if !errors.As(err, &vm) || vm.Want != tt.want || vm.Got != tt.bin.Version.String() || vm.GotProduct != tt.bin.Product {
				t.Errorf("err = %#v, want a *VersionMismatchError", err)
			}
			if wrapped := fmt.Errorf("apply: %w", err); !errors.Is(wrapped, ErrVersionMismatch) {
				t.Error("a wrapped mismatch does not match ErrVersionMismatch")
			}
		})
	}
	if errors.Is(&VersionMismatchError{}, ErrNotPlanFile) {
		t.Error("VersionMismatchError matches another sentinel")
	}
}

// TestApplyRefusesOtherVersion resolves the real terraform and checks that
// Apply stops before copying the stack or running anything.
func TestApplyRefusesOtherVersion(t *testing.T) {
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("terraform not on PATH")
	}
	data := t.TempDir()
	p := &Planner{Resolver: &Resolver{}, Executor: &Executor{}, DataDir: data}
	src := fstest.MapFS{"web/main.tf": {Data: []byte(`resource "dgtest_server" "web" { name = "web" }`)}}
	res, err := p.Apply(context.Background(), StackApply{
		StackPlan:     StackPlan{Source: src, Layout: Layout{Dir: "web"}, Key: "test/web"},
		PlanFile:      []byte("never read"),
		ExpectVersion: "0.0.1",
	})
	var vm *VersionMismatchError
	if !errors.As(err, &vm) || !errors.Is(err, ErrVersionMismatch) {
		t.Fatalf("err = %v, want a *VersionMismatchError", err)
	}
	if vm.Want != "0.0.1" || vm.Got == "" || vm.Got == "0.0.1" {
		t.Errorf("mismatch = %+v", vm)
	}
	if res != nil {
		t.Errorf("result = %+v, want nil", res)
	}
	if _, err := os.Stat(filepath.Join(data, "work")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a work dir was made: %v", err)
	}
}
