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

// Binary is a Terraform executable and its version.
type Binary struct {
	Path    string
	Version *version.Version
}

// Resolver finds the Terraform binary for a stack: the configured path; else
// a binary on PATH (or one installed earlier into InstallDir) that satisfies
// the stack's constraints; else, when the release site is reachable, it
// installs the newest matching release into InstallDir. Versions it has seen
// are cached, so a daemon asks each binary its version once.
type Resolver struct {
	// Path is the configured binary (config terraform { path }). When set it
	// is the only candidate.
	Path string
	// Version is the configured exact version (config terraform { version }).
	Version string
	// InstallDir receives installed releases, one directory per version.
	InstallDir string
	// Install allows downloading releases. Tests and air-gapped sites turn
	// it off to fail fast.
	Install bool
	// InstallTimeout bounds one download; default 2 minutes.
	InstallTimeout time.Duration
	Logger         *slog.Logger

	mu       sync.Mutex
	versions map[string]versionEntry
	loaded   bool
}

// NoBinaryError says that no Terraform binary satisfies a constraint. It
// names what was required, what was found, and why installing failed.
type NoBinaryError struct {
	Constraint string
	Found      []string
	InstallErr error
}

func (e *NoBinaryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no terraform binary satisfies %q", e.Constraint)
	if len(e.Found) > 0 {
		fmt.Fprintf(&b, " (found %s)", strings.Join(e.Found, ", "))
	} else {
		b.WriteString(" (none found on PATH)")
	}
	if e.InstallErr != nil {
		fmt.Fprintf(&b, "; installing one failed: %v", e.InstallErr)
	}
	b.WriteString("; install a matching terraform on PATH or set terraform { path = \"...\" } in the server config")
	return b.String()
}

// Unwrap returns the install error, if any.
func (e *NoBinaryError) Unwrap() error { return e.InstallErr }

// Resolve returns the binary to run for the given version constraints
// (required_version and a configured terraform_version; empty ones are
// ignored).
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
		if !cons.Check(b.Version) {
			return nil, &NoBinaryError{Constraint: desc, Found: []string{fmt.Sprintf("%s %s (configured path)", b.Path, b.Version)}}
		}
		return b, nil
	}

	var found []string
	for _, cand := range r.candidates() {
		b, err := r.inspect(ctx, cand)
		if err != nil {
			continue
		}
		if cons.Check(b.Version) {
			return b, nil
		}
		found = append(found, fmt.Sprintf("%s %s", b.Path, b.Version))
	}
	// Other terraform binaries on PATH, through hc-install's finder.
	if len(cons) > 0 {
		finder := &fs.Version{Product: product.Terraform, Constraints: cons}
		if path, err := finder.Find(ctx); err == nil {
			if b, err := r.inspect(ctx, path); err == nil {
				return b, nil
			}
		}
	}
	b, installErr := r.install(ctx, cons)
	if installErr == nil {
		return b, nil
	}
	return nil, &NoBinaryError{Constraint: desc, Found: found, InstallErr: installErr}
}

// candidates lists binaries to try in order: terraform on PATH, then the
// releases installed earlier, newest first.
func (r *Resolver) candidates() []string {
	var out []string
	if p, err := exec.LookPath("terraform"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			out = append(out, abs)
		}
	}
	if r.InstallDir == "" {
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

// inspect returns the binary at path with its version, from the cache when
// the file has not changed.
func (r *Resolver) inspect(ctx context.Context, path string) (*Binary, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("terraform binary: %w", err)
	}
	if v := r.loadCached(path, st); v != nil {
		return &Binary{Path: path, Version: v}, nil
	}
	v, err := product.Terraform.GetVersion(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("terraform version of %s: %w", path, err)
	}
	r.remember(path, versionEntry{modTime: st.ModTime(), size: st.Size(), version: v})
	return &Binary{Path: path, Version: v}, nil
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
	v, err := product.Terraform.GetVersion(ctx, path)
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
