// Package tftest runs real Terraform against driftgate's test provider,
// offline.
//
// Setup builds test/provider once per test process and installs it as an
// unpacked filesystem mirror for registry.terraform.io/driftgate/dgtest, with
// a Terraform CLI configuration that takes driftgate/* from that mirror and
// nothing from the network. Stacks then declare the provider with
// ProviderBlock, and tests make drift by editing the provider's backing files
// with ReadObject, WriteObject and DeleteObject.
//
// A typical test:
//
//	env := tftest.Setup(t)
//	root, dir := t.TempDir(), t.TempDir()
//	tftest.WriteFiles(t, dir, map[string]string{
//		"main.tf": tftest.ProviderBlock(root) + `resource "dgtest_server" "web" { name = "web" }`,
//	})
//	env.Terraform(t, dir, "init", "-input=false")
//	env.Terraform(t, dir, "apply", "-auto-approve", "-input=false")
//
// Set DRIFTGATE_TEST_MIRROR to the absolute path of a directory that already
// holds the mirror layout (see MirrorDir) to skip the build.
//
// SetupTofu does the same for OpenTofu, with the tofu binary named by
// DRIFTGATE_TEST_TOFU, and Products runs one test once per product.
package tftest

import (
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The provider's identity, as Terraform and the mirror see it.
const (
	providerHost      = "registry.terraform.io"
	providerNamespace = "driftgate"
	providerType      = "dgtest"
	providerVersion   = "0.1.0"
	// providerPackage is the Go package of the provider binary.
	providerPackage = "github.com/driftgate/driftgate/test/provider"
)

// MirrorEnv names the environment variable that points Setup at a prebuilt
// mirror directory instead of building the provider.
const MirrorEnv = "DRIFTGATE_TEST_MIRROR"

// Env is a Terraform (or OpenTofu) installation that finds the test
// provider offline.
type Env struct {
	// Product is what TerraformPath is: Terraform (Setup) or OpenTofu
	// (SetupTofu).
	Product string
	// TerraformPath is the absolute path of the terraform (or tofu)
	// binary.
	TerraformPath string
	// CLIConfigFile is the Terraform CLI configuration file that installs
	// driftgate/* providers from MirrorDir; Environ points
	// TF_CLI_CONFIG_FILE at it.
	CLIConfigFile string
	// MirrorDir is the unpacked filesystem mirror holding
	// registry.terraform.io/driftgate/dgtest/0.1.0/<GOOS>_<GOARCH>/terraform-provider-dgtest_v0.1.0.
	MirrorDir string
}

// install is the per-process result of building or finding the mirror.
type install struct {
	mirrorDir  string
	configFile string
	err        error
}

var (
	installOnce sync.Once
	installed   install
)

// Setup returns an Env for running real Terraform against the test provider.
// The first call in a test process builds the provider (or adopts the mirror
// named by DRIFTGATE_TEST_MIRROR) and writes the CLI configuration; later
// calls reuse them. It skips the test when terraform is not on PATH and fails
// it when the provider cannot be built.
func Setup(tb testing.TB) *Env {
	tb.Helper()
	tfPath, err := exec.LookPath("terraform")
	if err != nil {
		tb.Skipf("tftest: skipping, this test runs real Terraform and terraform is not on PATH: %v", err)
	}
	if abs, err := filepath.Abs(tfPath); err == nil {
		tfPath = abs
	}
	installOnce.Do(func() {
		installed = doInstall(tb)
	})
	if installed.err != nil {
		tb.Fatalf("tftest: %v", installed.err)
	}
	return &Env{
		Product:       Terraform,
		TerraformPath: tfPath,
		CLIConfigFile: installed.configFile,
		MirrorDir:     installed.mirrorDir,
	}
}
