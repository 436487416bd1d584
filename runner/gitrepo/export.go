package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Export writes the files of commit into dst (created if missing; it should
// be empty): all of them, or only those under dirs, repo-relative
// slash-separated paths. Symbolic links are recreated when their target,
// resolved through the commit's own links, stays inside the tree; Export
// fails on one that is absolute or escapes (ErrLinkAbsolute,
// ErrLinkEscapes). Writes go through an os.Root, so nothing lands outside
// dst. Submodules become empty directories.
func (r *Repo) Export(ctx context.Context, commit plumbing.Hash, dst string, dirs []string) error {
	fsys, err := r.TreeFS(commit)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	t := fsys.(*treeFS)
	roots, err := exportRoots(dirs)
	if err != nil {
		return fmt.Errorf("export %s: %w", short(commit), err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("export %s: %w", short(commit), err)
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return fmt.Errorf("export %s: %w", short(commit), err)
	}
	defer root.Close()
	x := &exporter{ctx: ctx, t: t, root: root}
	for _, dir := range roots {
		if err := x.exportPath(dir); err != nil {
			return fmt.Errorf("export %s to %s: %w", short(commit), dst, err)
		}
	}
	return nil
}

// exportRoots cleans dirs, checks them and drops those inside others. No
// dirs means the whole tree.
func exportRoots(dirs []string) ([]string, error) {
	if len(dirs) == 0 {
		return []string{"."}, nil
	}
	var clean []string
	for _, d := range dirs {
		c := path.Clean(strings.TrimPrefix(d, "./"))
		if !fs.ValidPath(c) {
			return nil, fmt.Errorf("directory %q: %w", d, fs.ErrInvalid)
		}
		clean = append(clean, c)
	}
	slices.Sort(clean)
	var out []string
	for _, c := range slices.Compact(clean) {
		if len(out) > 0 {
			last := out[len(out)-1]
			if last == "." || strings.HasPrefix(c, last+"/") {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// exporter writes tree entries under an os.Root.
type exporter struct {
	ctx  context.Context
	t    *treeFS
	root *os.Root
}

// exportPath writes the entry at the repo-relative path p, which must
// exist in the tree, and everything under it. Links on the way are not
// followed: p is exported as what it is.
func (x *exporter) exportPath(p string) error {
	x.t.r.mu.Lock()
	n, err := x.t.lookup("export", p, false)
	x.t.r.mu.Unlock()
	if err != nil {
		return err
	}
	if dir := path.Dir(p); dir != "." {
		if err := x.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return x.write(p, n)
}

func (x *exporter) write(p string, n node) error {
	if err := x.ctx.Err(); err != nil {
		return err
	}
	switch {
	case isDirMode(n.mode):
		return x.writeDir(p, n)
	case n.mode == filemode.Symlink:
		return x.writeLink(p, n)
	default:
		return x.writeFile(p, n)
	}
}

func (x *exporter) writeDir(p string, n node) error {
	if p != "." {
		if err := x.root.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	x.t.r.mu.Lock()
	entries, err := x.t.readDir(n)
	x.t.r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	for _, e := range entries {
		child := e.(*dirEntry).node
		if err := x.write(path.Join(p, child.name), child); err != nil {
			return err
		}
	}
	return nil
}

func (x *exporter) writeFile(p string, n node) error {
	x.t.r.mu.Lock()
	data, err := x.t.blob(n.hash)
	x.t.r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return x.root.WriteFile(p, data, fileMode(n.mode).Perm())
}

// writeLink recreates the link at p when its target, resolved in the tree
// from p's directory, stays inside. A dangling or looping target is fine:
// what does not resolve cannot be traversed out of the tree.
func (x *exporter) writeLink(p string, n node) error {
	x.t.r.mu.Lock()
	data, err := x.t.blob(n.hash)
	if err == nil {
		_, err = x.t.resolve(path.Dir(p)+"/"+string(data), true)
	}
	x.t.r.mu.Unlock()
	target := string(data)
	switch {
	case isAbsPath(target):
		return fmt.Errorf("link %s -> %s: %w", p, target, ErrLinkAbsolute)
	case errors.Is(err, ErrLinkEscapes), errors.Is(err, ErrLinkAbsolute):
		return fmt.Errorf("link %s -> %s: %w", p, target, err)
	case err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, ErrNotDir) && !errors.Is(err, ErrLinkLoop):
		return fmt.Errorf("link %s: %w", p, err)
	}
	return x.root.Symlink(target, p)
}
