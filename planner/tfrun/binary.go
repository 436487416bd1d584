package tfrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hc-install/fs"
	"github.com/hashicorp/hc-install/product"
	"github.com/hashicorp/hc-install/releases"
)

// Binary is a Terraform or OpenTofu executable, its product and version.
type Binary struct {
	Path    string
	Product Product
	Version *version.Version
}

// Resolver finds the binary for a stack: the configured path; else the
// product's command on PATH (or, for Terraform, a release installed
// earlier into InstallDir) that satisfies the stack's constraints; else,
// for Terraform only and when the release site is reachable, it installs
// the newest matching release into InstallDir. Versions it has seen are
// cached, so a daemon asks each binary its version once.
type Resolver struct {
	// Product is the configured product (config terraform { product }).
	// Empty looks for Terraform, but takes a configured Path, or a
	// `terraform` on PATH, for whatever it says it is (some installs name
	// tofu terraform); set, a binary of the other product is refused.
	Product Product
	// Path is the configured binary (config terraform { path }). When set it
	// is the only candidate.
	Path string
	// Version is the configured exact version (config terraform { version }).
	Version string
	// InstallDir receives installed releases, one directory per version.
	InstallDir string
	// Install allows downloading Terraform releases (hc-install installs
	// no OpenTofu). Tests and air-gapped sites turn it off to fail fast.
	Install bool
	// InstallTimeout bounds one download; default 2 minutes.
	InstallTimeout time.Duration
	Logger         *slog.Logger

	mu       sync.Mutex
	versions map[string]versionEntry
	loaded   bool
	// asking is held while a binary is asked its version.
	asking sync.Mutex
}

// NoBinaryError says that no binary of the product satisfies a
// constraint. It names what was required, what was found, and why
// installing failed.
type NoBinaryError struct {
	Product    Product
	Constraint string
	Found      []string
	InstallErr error
}

func (e *NoBinaryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no %s binary satisfies %q", e.Product.Name(), e.Constraint)
	if len(e.Found) > 0 {
		fmt.Fprintf(&b, " (found %s)", strings.Join(e.Found, ", "))
	} else {
		fmt.Fprintf(&b, " (no %s on PATH)", e.Product.Command())
	}
	if e.InstallErr != nil {
		fmt.Fprintf(&b, "; installing one failed: %v", e.InstallErr)
	}
	fmt.Fprintf(&b, "; install a matching %s on PATH or set terraform { path = \"...\" } in the server config", e.Product.Command())
	return b.String()
}

// Unwrap returns the install error, if any.
func (e *NoBinaryError) Unwrap() error { return e.InstallErr }

// errInstallTerraformOnly is why no OpenTofu release is ever installed.
var errInstallTerraformOnly = errors.New("installing releases is Terraform-only (hc-install installs no OpenTofu)")

// Resolve returns the binary to run for the given version constraints
// (required_version and a configured terraform_version; empty ones are
// ignored). The constraints are checked against the binary's own
// version: OpenTofu's for OpenTofu.
func (r *Resolver) Resolve(ctx context.Context, constraints ...string) (*Binary, error) {
	cons, desc, err := parseConstraints(r.Version, constraints)
	if err != nil {
		return nil, err
	}
	if r.Path != "" {
		b, err := r.inspect(ctx, r.Path)
		if err != nil {
			return nil, fmt.Errorf("configured terraform path: %w", err)
		}
		if r.Product != "" && b.Product != r.Product {
			return nil, fmt.Errorf("configured terraform path %s is %s, not %s: set terraform { product = %q } or point path at a %s binary",
				b.Path, b, r.Product.Name(), string(b.Product), r.Product.Command())
		}
		if !satisfies(cons, b.Version) {
			return nil, &NoBinaryError{Product: b.Product, Constraint: desc, Found: []string{fmt.Sprintf("%s %s (configured path)", b.Path, b)}}
		}
		return b, nil
	}

	want := r.Product
	if want == "" {
		want = Terraform
	}
	var found []string
	for _, cand := range r.candidates(want) {
		b, err := r.inspect(ctx, cand)
		if err != nil {
			continue
		}
		if (r.Product == "" || b.Product == want) && satisfies(cons, b.Version) {
			return b, nil
		}
		found = append(found, fmt.Sprintf("%s %s", b.Path, b))
	}
	if want != Terraform {
		return nil, &NoBinaryError{Product: want, Constraint: desc, Found: found, InstallErr: errInstallTerraformOnly}
	}
	// Other terraform binaries on PATH, through hc-install's finder.
	if len(cons) > 0 {
		finder := &fs.Version{Product: product.Terraform, Constraints: cons}
		if path, err := finder.Find(ctx); err == nil {
			if b, err := r.inspect(ctx, path); err == nil && b.Product == want {
				return b, nil
			}
		}
	}
	b, installErr := r.install(ctx, cons)
	if installErr == nil {
		return b, nil
	}
	return nil, &NoBinaryError{Product: want, Constraint: desc, Found: found, InstallErr: installErr}
}

// candidates lists binaries of product p to try in order: its command on
// PATH, then, for Terraform, the releases installed earlier, newest first.
func (r *Resolver) candidates(p Product) []string {
	var out []string
	if path, err := exec.LookPath(p.Command()); err == nil {
		if abs, err := filepath.Abs(path); err == nil {
			out = append(out, abs)
		}
	}
	if r.InstallDir == "" || p != Terraform {
		return out
	}
	entries, err := os.ReadDir(r.InstallDir)
	if err != nil {
		return out
	}
	var installed []*version.Version
	for _, e := range entries {
		if v, err := version.NewVersion(e.Name()); err == nil && e.IsDir() {
			installed = append(installed, v)
		}
	}
	sort.Sort(sort.Reverse(version.Collection(installed)))
	for _, v := range installed {
		out = append(out, filepath.Join(r.InstallDir, v.Original(), "terraform"))
	}
	return out
}

// inspect returns the binary at path with its product and version, from
// the cache when the file has not changed.
func (r *Resolver) inspect(ctx context.Context, path string) (*Binary, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("terraform binary: %w", err)
	}
	if p, v := r.loadCached(path, st); v != nil {
		return &Binary{Path: path, Product: p, Version: v}, nil
	}
	// The first runs of a new daemon all resolve at once: one asks, the
	// others wait for its answer.
	r.asking.Lock()
	defer r.asking.Unlock()
	if p, v := r.loadCached(path, st); v != nil {
		return &Binary{Path: path, Product: p, Version: v}, nil
	}
	p, v, err := askVersion(ctx, path)
	if err != nil {
		return nil, err
	}
	r.remember(path, versionEntry{modTime: st.ModTime(), size: st.Size(), product: p, version: v})
	return &Binary{Path: path, Product: p, Version: v}, nil
}

// askVersion runs `path version` and reads the product and version from
// its first line.
func askVersion(ctx context.Context, path string) (Product, *version.Version, error) {
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	cmd.Dir = os.TempDir() // away from any .terraform the daemon was started in
	out, err := cmd.Output()
	if err != nil {
		return "", nil, fmt.Errorf("version of %s: %w", path, err)
	}
	p, v, err := parseVersionOutput(out)
	if err != nil {
		return "", nil, fmt.Errorf("version of %s: %w", path, err)
	}
	return p, v, nil
}

// install downloads the newest release matching cons into InstallDir.
func (r *Resolver) install(ctx context.Context, cons version.Constraints) (*Binary, error) {
	if !r.Install {
		return nil, errors.New("installing releases is disabled")
	}
	if r.InstallDir == "" {
		return nil, errors.New("no install directory configured")
	}
	timeout := r.InstallTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	staging, err := os.MkdirTemp(r.InstallDir, ".install-")
	if err != nil {
		if err := os.MkdirAll(r.InstallDir, 0o755); err != nil {
			return nil, fmt.Errorf("create install dir: %w", err)
		}
		if staging, err = os.MkdirTemp(r.InstallDir, ".install-"); err != nil {
			return nil, fmt.Errorf("create install dir: %w", err)
		}
	}
	defer os.RemoveAll(staging)
	lv := &releases.LatestVersion{Product: product.Terraform, Constraints: cons, InstallDir: staging}
	path, err := lv.Install(ctx)
	if err != nil {
		return nil, err
	}
	_, v, err := askVersion(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("installed terraform: %w", err)
	}
	dir := filepath.Join(r.InstallDir, v.String())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("install terraform %s: %w", v, err)
	}
	final := filepath.Join(dir, "terraform")
	if err := os.Rename(path, final); err != nil {
		return nil, fmt.Errorf("install terraform %s: %w", v, err)
	}
	r.logger().Info("installed terraform", "version", v.String(), "path", final)
	return r.inspect(ctx, final)
}

func (r *Resolver) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// parseConstraints joins an exact configured version and the stacks'
// constraints into one set, with a description for error messages.
func parseConstraints(exact string, constraints []string) (version.Constraints, string, error) {
	var parts []string
	if exact != "" {
		if _, err := version.NewVersion(exact); err != nil {
			return nil, "", fmt.Errorf("terraform version %q is not a version: %w", exact, err)
		}
		parts = append(parts, "= "+exact)
	}
	for _, c := range constraints {
		if strings.TrimSpace(c) != "" {
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 {
		return nil, "any version", nil
	}
	desc := strings.Join(parts, ", ")
	cons, err := version.NewConstraint(desc)
	if err != nil {
		return nil, "", fmt.Errorf("terraform version constraint %q: %w", desc, err)
	}
	return cons, desc, nil
}
