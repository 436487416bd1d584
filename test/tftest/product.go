package tftest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// The products Env runs, as driftgate's server config names them
// (terraform { product }).
const (
	Terraform = "terraform"
	OpenTofu  = "opentofu"
)

// TofuEnv names the environment variable holding the path of an OpenTofu
// binary. When it is set, SetupTofu and Products run tests against it too;
// when not, they skip those tests saying so. `make test` sets it when
// test/tools/build-tofu.sh has built .build/tofu/tofu.
const TofuEnv = "DRIFTGATE_TEST_TOFU"

// tofuHost is where OpenTofu looks up a provider source without a host,
// such as "driftgate/dgtest".
const tofuHost = "registry.opentofu.org"

var (
	tofuOnce      sync.Once
	tofuConfig    string
	tofuConfigErr error
)

// SetupTofu returns an Env running the OpenTofu binary named by
// DRIFTGATE_TEST_TOFU against the test provider: the same mirror as
// Setup, laid out under registry.opentofu.org too (where tofu resolves
// "driftgate/dgtest") with a CLI configuration that takes driftgate/* of
// both hosts from it. It skips the test when the variable is unset.
func SetupTofu(tb testing.TB) *Env {
	tb.Helper()
	path := os.Getenv(TofuEnv)
	if path == "" {
		tb.Skipf("tftest: skipping the OpenTofu tier: set %s to a tofu binary (`make tofu` builds .build/tofu/tofu, which `make test` then uses)", TofuEnv)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		tb.Fatalf("tftest: %s=%q: %v", TofuEnv, path, err)
	}
	if st, err := os.Stat(abs); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		tb.Fatalf("tftest: %s=%q is not an executable file; build one with `make tofu` or unset it", TofuEnv, path)
	}
	env := Setup(tb)
	tofuOnce.Do(func() {
		tofuConfig, tofuConfigErr = tofuInstall(env.MirrorDir)
	})
	if tofuConfigErr != nil {
		tb.Fatalf("tftest: %v", tofuConfigErr)
	}
	return &Env{Product: OpenTofu, TerraformPath: abs, CLIConfigFile: tofuConfig, MirrorDir: env.MirrorDir}
}

// Products runs fn once per product as subtests named after them:
// "terraform" with Setup, and "opentofu" with SetupTofu, which skips
// unless DRIFTGATE_TEST_TOFU is set. One test, every product.
func Products(t *testing.T, fn func(t *testing.T, env *Env)) {
	t.Helper()
	t.Run(Terraform, func(t *testing.T) { fn(t, Setup(t)) })
	t.Run(OpenTofu, func(t *testing.T) { fn(t, SetupTofu(t)) })
}

// tofuInstall lays out the provider of mirror under both registry hosts
// in a directory of this test process, and writes the CLI configuration
// that installs driftgate/* of both from it.
func tofuInstall(mirror string) (string, error) {
	work := filepath.Dir(installed.configFile)
	dir := filepath.Join(work, "mirror-tofu")
	src := filepath.Join(mirror, binaryRelPath())
	for _, host := range []string{providerHost, tofuHost} {
		rel, err := filepath.Rel(providerHost, binaryRelPath())
		if err != nil {
			return "", err
		}
		if err := linkOrCopy(src, filepath.Join(dir, host, rel)); err != nil {
			return "", fmt.Errorf("lay out the OpenTofu mirror: %w", err)
		}
	}
	config := filepath.Join(work, "tofu.tfrc")
	if err := os.WriteFile(config, []byte(tofuCLIConfig(dir)), 0o644); err != nil {
		return "", fmt.Errorf("write OpenTofu CLI config: %w", err)
	}
	return config, nil
}

// tofuCLIConfig is cliConfig for both registry hosts.
func tofuCLIConfig(mirror string) string {
	patterns := strconv.Quote(providerHost+"/"+providerNamespace+"/*") + ", " + strconv.Quote(tofuHost+"/"+providerNamespace+"/*")
	return fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %s
    include = [%s]
  }
  direct {
    exclude = [%s]
  }
}
`, strconv.Quote(mirror), patterns, patterns)
}

// linkOrCopy hard-links src at dst, copying it when the two are on
// different file systems.
func linkOrCopy(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
