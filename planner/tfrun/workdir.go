package tfrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Layout says what a run copies out of a checkout. All paths are slash
// separated and relative to the root of the source file system.
type Layout struct {
	// Dir is the stack's directory.
	Dir string
	// Modules are the local module directories the stack calls,
	// transitively. They are copied at the same relative paths so that
	// "../modules/x" sources still resolve.
	Modules []string
	// VarFiles are copied too, wherever they live.
	VarFiles []string
	// Skip lists directories not to copy even when they sit inside Dir:
	// other stacks nested below this one.
	Skip []string
}

// Workdir is a run's private copy of a stack. Terraform runs only here, so
// parallel runs never share a .terraform directory and the user's checkout
// is never written to.
type Workdir struct {
	// Root holds the copy; Cleanup removes it.
	Root string
	// Src is the copied tree, laid out as in the checkout.
	Src string
	// StackDir is the stack's directory inside the copy.
	StackDir string
	// VarFiles are the var files inside the copy, as absolute paths.
	VarFiles []string
	// PlanFile is where the saved plan goes.
	PlanFile string
}

// Files driftgate adds to a run's copy of a stack: BackendFile to a stack
// that has no backend, BackendOverrideFile to one whose `backend "local"`
// paths must resolve against StackPlan.RunDir rather than the copy.
const (
	BackendFile         = "driftgate_backend.tf.json"
	BackendOverrideFile = "driftgate_backend_override.tf.json"
)

// maxLinkDepth bounds how many symlinked directories a copy follows inside
// one another, so that link loops terminate.
const maxLinkDepth = 8

// Prepare copies what layout names from src into dst (which must not exist
// or be empty) and returns the work dir.
func Prepare(ctx context.Context, src fs.FS, layout Layout, dst string) (*Workdir, error) {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return nil, fmt.Errorf("create work dir: %w", err)
	}
	c := copier{src: src, dst: filepath.Join(dst, "src"), skip: map[string]bool{}}
	for _, s := range layout.Skip {
		c.skip[path.Clean(s)] = true
	}
	for _, dir := range topDirs(append([]string{layout.Dir}, layout.Modules...)) {
		if err := c.copyTree(ctx, dir, dir, 0); err != nil {
			return nil, err
		}
	}
	w := &Workdir{
		Root:     dst,
		Src:      c.dst,
		StackDir: filepath.Join(c.dst, filepath.FromSlash(path.Clean(layout.Dir))),
		PlanFile: filepath.Join(dst, "plan.tfplan"),
	}
	if err := os.MkdirAll(w.StackDir, 0o700); err != nil {
		return nil, fmt.Errorf("create stack dir: %w", err)
	}
	for _, vf := range layout.VarFiles {
		target := filepath.Join(c.dst, filepath.FromSlash(path.Clean(vf)))
		if _, err := os.Stat(target); errors.Is(err, fs.ErrNotExist) {
			if err := c.copyFile(path.Clean(vf), target); err != nil {
				return nil, fmt.Errorf("var file %s: %w", vf, err)
			}
		}
		w.VarFiles = append(w.VarFiles, target)
	}
	return w, nil
}

// Cleanup removes the work dir.
func (w *Workdir) Cleanup() error {
	return os.RemoveAll(w.Root)
}

// SetDefaultBackend gives a stack with no backend block driftgate's default:
// a local backend whose state lives where state says, so state survives
// between runs. It creates the state's directory unless the state is
// Borrowed: a directory someone runs terraform in is never written to.
func (w *Workdir) SetDefaultBackend(state LocalState) error {
	if !state.Borrowed {
		if err := os.MkdirAll(filepath.Dir(state.Path), 0o700); err != nil {
			return fmt.Errorf("create state dir: %w", err)
		}
	}
	return w.writeLocalBackend(BackendFile, state)
}

// overrideLocalBackend replaces the stack's own `backend "local"` block
// with one whose paths are state's, in an override file.
func (w *Workdir) overrideLocalBackend(state LocalState) error {
	return w.writeLocalBackend(BackendOverrideFile, state)
}

// writeLocalBackend writes a file named name holding a local backend that
// keeps its state where state says.
func (w *Workdir) writeLocalBackend(name string, state LocalState) error {
	doc := map[string]any{
		"terraform": map[string]any{
			"backend": map[string]any{
				"local": map[string]any{
					"path":          state.Path,
					"workspace_dir": state.WorkspaceDir,
				},
			},
		},
	}
	raw, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode backend: %w", err)
	}
	target := filepath.Join(w.StackDir, name)
	if _, err := os.Stat(target); err == nil {
		return fmt.Errorf("stack already has a file named %s; rename it", name)
	}
	if err := os.WriteFile(target, raw, 0o600); err != nil {
		return fmt.Errorf("write backend: %w", err)
	}
	return nil
}

// topDirs returns dirs without those nested inside another of them.
func topDirs(dirs []string) []string {
	clean := make([]string, 0, len(dirs))
	for _, d := range dirs {
		clean = append(clean, path.Clean(d))
	}
	sort.Strings(clean)
	var out []string
	for _, d := range clean {
		nested := false
		for _, top := range out {
			if top == "." || d == top || strings.HasPrefix(d, top+"/") {
				nested = true
				break
			}
		}
		if !nested {
			out = append(out, d)
		}
	}
	return out
}

type copier struct {
	src  fs.FS
	dst  string
	skip map[string]bool
}

// copyTree copies the directory at name in src to the same relative path in
// dst. root is the directory the copy started from: nested skip entries
// below it are honoured, but never root itself.
func (c *copier) copyTree(ctx context.Context, name, root string, depth int) error {
	return fs.WalkDir(c.src, name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == name && errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("copy %s: directory does not exist", name)
			}
			return fmt.Errorf("copy %s: %w", p, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		base := path.Base(p)
		if d.IsDir() && p != name && (base == ".terraform" || base == ".git" || c.skip[p]) {
			return fs.SkipDir
		}
		target := filepath.Join(c.dst, filepath.FromSlash(p))
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o700)
		case d.Type()&fs.ModeSymlink != 0:
			return c.copyLink(ctx, p, target, root, depth)
		case d.Type().IsRegular():
			if strings.HasSuffix(base, ".tfstate") || strings.HasSuffix(base, ".tfstate.backup") {
				return nil // a stray local state file is not configuration
			}
			return c.copyFile(p, target)
		}
		return nil
	})
}

// copyLink copies what a symlink points to, as a file or a directory,
// provided the link stays inside src.
func (c *copier) copyLink(ctx context.Context, p, target, root string, depth int) error {
	if rl, ok := c.src.(fs.ReadLinkFS); ok {
		dest, err := rl.ReadLink(p)
		if err != nil {
			return fmt.Errorf("read link %s: %w", p, err)
		}
		if path.IsAbs(dest) || !fs.ValidPath(path.Join(path.Dir(p), dest)) {
			return nil // escapes the checkout: not copied
		}
	}
	st, err := fs.Stat(c.src, p)
	if err != nil {
		return nil // dangling link
	}
	if st.Mode().IsRegular() {
		return c.copyFile(p, target)
	}
	if st.IsDir() && depth < maxLinkDepth {
		return c.copyTree(ctx, p, root, depth+1)
	}
	return nil
}

func (c *copier) copyFile(p, target string) error {
	data, err := fs.ReadFile(c.src, p)
	if err != nil {
		return fmt.Errorf("copy %s: %w", p, err)
	}
	mode := os.FileMode(0o600)
	if st, err := fs.Stat(c.src, p); err == nil && st.Mode()&0o111 != 0 {
		mode = 0o700
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return fmt.Errorf("copy %s: %w", p, err)
	}
	if err := os.WriteFile(target, data, mode); err != nil {
		return fmt.Errorf("copy %s: %w", p, err)
	}
	return nil
}
