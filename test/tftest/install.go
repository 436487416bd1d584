package tftest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// errNoModuleRoot reports that no directory above the harness or the working
// directory holds driftgate's go.mod.
var errNoModuleRoot = errors.New("cannot find the driftgate module root (go.mod of github.com/driftgate/driftgate)")

// modulePath is the module whose root Setup builds the provider from.
const modulePath = "github.com/driftgate/driftgate"

// doInstall builds or finds the mirror and writes the CLI configuration into
// a fresh per-process directory.
func doInstall(tb testing.TB) install {
	tb.Helper()
	sweepStale()
	work, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", workPrefix, os.Getpid()))
	if err != nil {
		return install{err: fmt.Errorf("create work dir: %w", err)}
	}
	mirror, err := findMirror(tb, os.Getenv(MirrorEnv))
	if err != nil {
		return install{err: err}
	}
	if mirror == "" {
		mirror = filepath.Join(work, "mirror")
		if err := buildProvider(mirror); err != nil {
			return install{err: err}
		}
	}
	config := filepath.Join(work, "terraform.tfrc")
	if err := os.WriteFile(config, []byte(cliConfig(mirror)), 0o644); err != nil {
		return install{err: fmt.Errorf("write CLI config: %w", err)}
	}
	return install{mirrorDir: mirror, configFile: config}
}

// binaryRelPath is where the provider binary sits inside a mirror.
func binaryRelPath() string {
	name := "terraform-provider-" + providerType + "_v" + providerVersion
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(providerHost, providerNamespace, providerType, providerVersion,
		runtime.GOOS+"_"+runtime.GOARCH, name)
}

// findMirror returns dir as an absolute path when it already holds the
// provider binary, and "" (build it) when dir is empty or unusable.
func findMirror(tb testing.TB, dir string) (string, error) {
	tb.Helper()
	if dir == "" {
		return "", nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s=%q: %w", MirrorEnv, dir, err)
	}
	fi, err := os.Stat(filepath.Join(abs, binaryRelPath()))
	if err != nil || !fi.Mode().IsRegular() {
		tb.Logf("tftest: %s=%q does not hold %s; building the provider instead", MirrorEnv, dir, binaryRelPath())
		return "", nil
	}
	return abs, nil
}

// buildProvider runs go build for the provider into its place in mirror.
func buildProvider(mirror string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("build provider: %w", err)
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	out := filepath.Join(mirror, binaryRelPath())
	// No symbol table or DWARF: a third smaller and quicker to link, and
	// nobody attaches a debugger to the test provider.
	cmd := exec.Command(goBin, "build", "-ldflags=-s -w", "-o", out, providerPackage)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s: %w\n%s", providerPackage, root, err, output)
	}
	return nil
}

// moduleRoot finds the directory of driftgate's go.mod, walking up from this
// source file and then from the working directory.
func moduleRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for {
			if isModuleRoot(dir) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errNoModuleRoot
}

// isModuleRoot reports whether dir holds the go.mod of modulePath.
func isModuleRoot(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			path, err := strconv.Unquote(fields[1])
			if err != nil {
				path = fields[1]
			}
			return path == modulePath
		}
	}
	return false
}

// cliConfig returns a Terraform CLI configuration that installs driftgate/*
// providers from the unpacked mirror and everything else directly.
// dev_overrides is deliberately not used: with it, terraform init does not
// install the provider and every command warns, unlike a real installation.
func cliConfig(mirror string) string {
	pattern := strconv.Quote(providerHost + "/" + providerNamespace + "/*")
	return fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %s
    include = [%s]
  }
  direct {
    exclude = [%s]
  }
}
`, strconv.Quote(mirror), pattern, pattern)
}
