package tfrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// How a run's init uses the shared plugin cache.
//
// Terraform (1.4 and later) takes a provider from TF_PLUGIN_CACHE_DIR only
// when the dependency lock file has an entry whose checksums the cached
// package matches. Without a lock file it installs every provider afresh
// (from the registry or a mirror) and rewrites the cache entry as it goes:
// a concurrent init reading that entry then fails with "there is no
// package ... cached in .terraform/providers". So:
//
//   - a stack that brings a lock file inits against the shared cache,
//     holding its lock: the cache is read, and written only for what the
//     lock file does not cover;
//   - a stack without one, which would rewrite the cache anyway, inits
//     against a private cache in its work dir, without the lock. Afterwards,
//     under the lock and briefly, what it installed is published to the
//     shared cache (moved in when the cache lacks it, shared when the cache
//     holds identical files) so the disk holds each provider once.
//
// Either way pinProviders then detaches the run from every cache.
const privateCacheDir = "plugin-cache"

// init runs terraform init in wd. tfDataDir is the run's TF_DATA_DIR, ""
// for the work dir's own .terraform. Init always reconfigures the backend:
// the backend settings saved in a reused TF_DATA_DIR are a cache, and when
// the data dir (and so the default backend's state path) moved, they must
// not make init fail with "Backend configuration changed".
func (e *Executor) init(ctx context.Context, tf *terraform, wd *Workdir, tfDataDir string, logw io.Writer) error {
	header(logw, "terraform init")
	if e.PluginCacheDir == "" {
		return tf.init(ctx)
	}
	dataDir := tfDataDir
	if dataDir == "" {
		dataDir = filepath.Join(wd.StackDir, ".terraform")
	}
	if _, err := os.Stat(filepath.Join(wd.StackDir, lockFileName)); err == nil {
		unlock, err := lockDir(ctx, e.PluginCacheDir)
		if err != nil {
			return err
		}
		defer unlock()
		if err := tf.init(ctx); err != nil {
			return err
		}
		return pinProviders(dataDir, e.PluginCacheDir)
	}

	private := filepath.Join(wd.Root, privateCacheDir)
	if err := os.MkdirAll(private, 0o700); err != nil {
		return fmt.Errorf("private plugin cache: %w", err)
	}
	if err := tf.withEnv("TF_PLUGIN_CACHE_DIR", private).init(ctx); err != nil {
		return err
	}
	unlock, err := lockDir(ctx, e.PluginCacheDir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := publishProviders(private, e.PluginCacheDir); err != nil {
		return err
	}
	return pinProviders(dataDir, e.PluginCacheDir, private)
}

// providerEntryDepth is how deep a package sits in a plugin cache:
// host/namespace/type/version/os_arch.
const providerEntryDepth = 5

// publishProviders moves what an init installed into the private cache to
// the shared one, for the caller holding the shared cache's lock. Each
// package the shared cache lacks is moved there (a mirror's link is
// copied as a link); one the shared cache already holds with identical
// files is taken from there. Either way the private entry becomes a link
// to the shared one, so pinning hard-links the shared files. A package
// that differs from the shared one stays private.
func publishProviders(private, shared string) error {
	entries, err := cacheEntries(private)
	if err != nil {
		return fmt.Errorf("publish providers: %w", err)
	}
	for _, rel := range entries {
		src, dst := filepath.Join(private, rel), filepath.Join(shared, rel)
		if err := publishEntry(src, dst); err != nil {
			return fmt.Errorf("publish provider %s: %w", filepath.ToSlash(rel), err)
		}
	}
	return nil
}

func publishEntry(src, dst string) error {
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	_, err = os.Lstat(dst)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(src)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		}
		if err := os.Rename(src, dst); err != nil {
			return nil // another file system, say: the run keeps its own
		}
		return os.Symlink(dst, src)
	case err != nil:
		return err
	case st.Mode()&fs.ModeSymlink != 0:
		return nil // a mirror's package: pinning links the mirror itself
	}
	same, err := sameTree(src, dst)
	if err != nil || !same {
		return err
	}
	if err := os.RemoveAll(src); err != nil {
		return err
	}
	return os.Symlink(dst, src)
}

// cacheEntries lists the packages in a plugin cache, relative to it.
func cacheEntries(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		if strings.Count(filepath.ToSlash(rel), "/")+1 == providerEntryDepth {
			out = append(out, rel)
			if d.IsDir() {
				return fs.SkipDir
			}
		}
		return nil
	})
	return out, err
}

// sameTree reports whether the directories a and b (links followed) hold
// the same files with the same bytes.
func sameTree(a, b string) (bool, error) {
	ra, err := filepath.EvalSymlinks(a)
	if err != nil {
		return false, err
	}
	rb, err := filepath.EvalSymlinks(b)
	if err != nil {
		return false, nil // a dangling shared entry: keep ours
	}
	count := 0
	same := true
	err = filepath.WalkDir(ra, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !same || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(ra, p)
		if err != nil {
			return err
		}
		count++
		if same, err = sameFile(p, filepath.Join(rb, rel)); err != nil {
			return err
		}
		return nil
	})
	if err != nil || !same {
		return false, err
	}
	n := 0
	err = filepath.WalkDir(rb, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	return err == nil && n == count, err
}

func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil || sa.Size() != sb.Size() || sa.Mode() != sb.Mode() {
		return false, nil
	}
	if os.SameFile(sa, sb) {
		return true, nil
	}
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, nil
	}
	defer fb.Close()
	bufA, bufB := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, errA := io.ReadFull(fa, bufA)
		nb, errB := io.ReadFull(fb, bufB)
		if na != nb || !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		if errA == io.EOF || errA == io.ErrUnexpectedEOF {
			return errB == io.EOF || errB == io.ErrUnexpectedEOF, nil
		}
		if errA != nil {
			return false, errA
		}
		if errB != nil {
			return false, nil
		}
	}
}
