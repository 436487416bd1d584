package tfrun

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// pinProviders detaches a run's installed providers from the plugin caches
// in cacheDirs (the shared one, and the run's private one if any).
// Terraform links .terraform/providers/... into a cache, and a
// concurrent init of another stack may delete and recreate a cache entry
// while this run's plan is loading from it. Called right after init, under
// the cache lock, pinProviders re-points each link that goes through the
// cache straight at its final target when that lies outside the cache (a
// filesystem mirror), and otherwise replaces it with a private directory of
// hard links to the cached files (copies across devices). Hard links keep
// the bytes this run was initialised with even if the cache entry is
// replaced later.
func pinProviders(dataDir string, cacheDirs ...string) error {
	root := filepath.Join(dataDir, "providers")
	if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var caches []string
	for _, dir := range cacheDirs {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return fmt.Errorf("plugin cache: %w", err)
		}
		caches = append(caches, real)
	}
	var links []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			links = append(links, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pin providers: %w", err)
	}
	for _, link := range links {
		target, err := filepath.EvalSymlinks(link)
		if err != nil {
			return fmt.Errorf("pin provider %s: %w", link, err)
		}
		if err := os.Remove(link); err != nil {
			return fmt.Errorf("pin provider %s: %w", link, err)
		}
		if !withinAny(target, caches) {
			if err := os.Symlink(target, link); err != nil {
				return fmt.Errorf("pin provider %s: %w", link, err)
			}
			continue
		}
		if err := linkTree(target, link); err != nil {
			return fmt.Errorf("pin provider %s: %w", link, err)
		}
	}
	return nil
}

func withinAny(p string, dirs []string) bool {
	for _, dir := range dirs {
		if within(p, dir) {
			return true
		}
	}
	return false
}

func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// linkTree recreates the tree at src under dst with hard links to its files
// (copies where hard links are impossible).
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if err := os.Link(p, target); err == nil {
			return nil
		}
		return copyFile(p, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
