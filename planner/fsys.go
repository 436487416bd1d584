package planner

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
)

// maxLinkHops bounds how many symbolic links one path may pass through, so
// that link loops terminate. Linux uses the same limit.
const maxLinkHops = 40

// cleanRepoPath cleans p, a slash-separated path that must be relative to the
// repo root and stay inside it. The root itself is ".".
func cleanRepoPath(p string) (string, error) {
	if isAbsPath(p) {
		return "", fmt.Errorf("%q: %w", p, ErrPathAbsolute)
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%q: %w", p, ErrPathEscapes)
	}
	return c, nil
}

// isAbsPath reports whether p is absolute on any platform we expect a repo
// to be written on: "/x", "\x" or a Windows drive such as "C:".
func isAbsPath(p string) bool {
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) {
		return true
	}
	return len(p) >= 2 && p[1] == ':' && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z')
}

// joinRel joins rel to dir lexically and checks the result stays in the repo.
func joinRel(dir, rel string) (string, error) {
	if isAbsPath(rel) {
		return "", fmt.Errorf("%q: %w", rel, ErrPathAbsolute)
	}
	return cleanRepoPath(path.Join(dir, rel))
}

// resolver turns repo-relative paths into their symlink-free ("real") form,
// resolving links one component at a time. Links with absolute targets or
// targets outside the repo are refused. It is safe for concurrent use; the
// results are cached because discovery asks for the same prefixes many times.
type resolver struct {
	fsys  fs.FS
	links fs.ReadLinkFS // nil when fsys cannot report links

	mu    sync.RWMutex
	cache map[string]string // path whose parent is real → its real form
}

func newResolver(fsys fs.FS) *resolver {
	r := &resolver{fsys: fsys, cache: make(map[string]string)}
	if l, ok := fsys.(fs.ReadLinkFS); ok {
		r.links = l
	}
	return r
}

// markReal records that p, found by walking real directories, is real.
func (r *resolver) markReal(p string) {
	r.mu.Lock()
	r.cache[p] = p
	r.mu.Unlock()
}

// resolve returns the real form of the clean repo-relative path name.
func (r *resolver) resolve(name string) (string, error) {
	if r.links == nil || name == "." {
		return name, nil
	}
	hops := 0
	return r.resolveFrom(".", name, &hops)
}

// resolveFrom resolves rel relative to the real directory dir.
func (r *resolver) resolveFrom(dir, rel string, hops *int) (string, error) {
	cur := dir
	for c := range strings.SplitSeq(rel, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			if cur == "." {
				return "", ErrLinkEscapes
			}
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		r.mu.RLock()
		real, ok := r.cache[next]
		r.mu.RUnlock()
		if !ok {
			var err error
			if real, err = r.resolveEntry(next, hops); err != nil {
				return "", err
			}
			r.mu.Lock()
			r.cache[next] = real
			r.mu.Unlock()
		}
		cur = real
	}
	return cur, nil
}

// resolveEntry resolves name, whose parent directory is already real.
func (r *resolver) resolveEntry(name string, hops *int) (string, error) {
	info, err := r.links.Lstat(name)
	if err != nil {
		return "", err
	}
	if info.Mode()&fs.ModeSymlink == 0 {
		return name, nil
	}
	if *hops++; *hops > maxLinkHops {
		return "", fmt.Errorf("%s: %w", name, ErrLinkLoop)
	}
	target, err := r.links.ReadLink(name)
	if err != nil {
		return "", err
	}
	if isAbsPath(target) {
		return "", fmt.Errorf("%s -> %s: %w", name, target, ErrLinkAbsolute)
	}
	real, err := r.resolveFrom(path.Dir(name), target, hops)
	if err != nil {
		if err == ErrLinkEscapes {
			return "", fmt.Errorf("%s -> %s: %w", name, target, ErrLinkEscapes)
		}
		return "", err
	}
	return real, nil
}

// stat resolves name and returns its real form and the info of what it
// finally names.
func (r *resolver) stat(name string) (string, fs.FileInfo, error) {
	real, err := r.resolve(name)
	if err != nil {
		return "", nil, err
	}
	info, err := fs.Stat(r.fsys, real)
	if err != nil {
		return "", nil, err
	}
	return real, info, nil
}
