package gitrepo

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// maxLinkHops bounds how many symbolic links one path may pass through.
const maxLinkHops = 40

// TreeFS returns a read-only file system over the tree of commit. It
// implements fs.ReadDirFS, fs.ReadFileFS, fs.StatFS and fs.ReadLinkFS:
// symbolic links are ModeSymlink entries whose blob is the target; Open,
// Stat, ReadDir and ReadFile follow them (refusing targets that are
// absolute or leave the tree), Lstat and ReadLink do not. Submodules show
// as empty directories. Every entry's time is the commit's commit time.
func (r *Repo) TreeFS(commit plumbing.Hash) (fs.FS, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.repo.CommitObject(commit)
	if err != nil {
		return nil, fmt.Errorf("tree of commit %s: %w", commit, err)
	}
	return &treeFS{
		r:       r,
		root:    c.TreeHash,
		modTime: c.Committer.When,
		trees:   make(map[plumbing.Hash]*dirTree),
		sizes:   make(map[plumbing.Hash]int64),
	}, nil
}

// treeFS is the fs.FS of one tree. Its caches are guarded by r.mu, which
// every method holds while it reads objects.
type treeFS struct {
	r       *Repo
	root    plumbing.Hash
	modTime time.Time
	trees   map[plumbing.Hash]*dirTree
	sizes   map[plumbing.Hash]int64
}

var (
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)
	_ fs.ReadLinkFS = (*treeFS)(nil)
)

// dirTree is a decoded tree with its entries sorted by name, as fs wants.
type dirTree struct {
	entries []object.TreeEntry
	byName  map[string]int
}

// node is what a path names: its base name as asked, mode and object.
type node struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func isDirMode(m filemode.FileMode) bool {
	return m == filemode.Dir || m == filemode.Submodule
}

// tree returns the decoded tree of a directory node; r.mu must be held.
func (t *treeFS) tree(n node) (*dirTree, error) {
	if n.mode == filemode.Submodule {
		return &dirTree{}, nil // its commit is in another repository
	}
	if dt, ok := t.trees[n.hash]; ok {
		return dt, nil
	}
	gt, err := object.GetTree(t.r.repo.Storer, n.hash)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", n.hash, err)
	}
	dt := &dirTree{entries: gt.Entries, byName: make(map[string]int, len(gt.Entries))}
	sort.Slice(dt.entries, func(i, j int) bool { return dt.entries[i].Name < dt.entries[j].Name })
	for i, e := range dt.entries {
		dt.byName[e.Name] = i
	}
	t.trees[n.hash] = dt
	return dt, nil
}

// blob reads a whole blob; r.mu must be held.
func (t *treeFS) blob(h plumbing.Hash) ([]byte, error) {
	b, err := object.GetBlob(t.r.repo.Storer, h)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	rc, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	t.sizes[h] = int64(len(data))
	return data, nil
}

// size returns a blob's size without reading it; r.mu must be held.
func (t *treeFS) size(h plumbing.Hash) (int64, error) {
	if s, ok := t.sizes[h]; ok {
		return s, nil
	}
	o, err := t.r.repo.Storer.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return 0, fmt.Errorf("read blob %s: %w", h, err)
	}
	t.sizes[h] = o.Size()
	return o.Size(), nil
}

// frame is a real directory on the way to a path.
type frame struct {
	path string
	node node
}

// resolve finds what the slash path name (which may hold ".." from link
// targets) names, following symbolic links on the way, and the last one
// too when follow is set. ".." is taken physically, in the directory a link
// resolved to, as an operating system would. r.mu must be held.
func (t *treeFS) resolve(name string, follow bool) (node, error) {
	stack := []frame{{path: ".", node: node{mode: filemode.Dir, hash: t.root}}}
	pending := strings.Split(name, "/")
	hops := 0
	var leaf *node
	for i := 0; i < len(pending); i++ {
		c := pending[i]
		if c == "" || c == "." {
			continue
		}
		if leaf != nil {
			return node{}, ErrNotDir
		}
		if c == ".." {
			if len(stack) == 1 {
				return node{}, ErrLinkEscapes
			}
			stack = stack[:len(stack)-1]
			continue
		}
		dir := stack[len(stack)-1]
		dt, err := t.tree(dir.node)
		if err != nil {
			return node{}, err
		}
		idx, ok := dt.byName[c]
		if !ok {
			return node{}, fs.ErrNotExist
		}
		e := dt.entries[idx]
		p := path.Join(dir.path, c)
		isLast := i == len(pending)-1
		switch {
		case isDirMode(e.Mode):
			stack = append(stack, frame{path: p, node: node{mode: e.Mode, hash: e.Hash}})
		case e.Mode == filemode.Symlink && (follow || !isLast):
			if hops++; hops > maxLinkHops {
				return node{}, fmt.Errorf("%s: %w", p, ErrLinkLoop)
			}
			data, err := t.blob(e.Hash)
			if err != nil {
				return node{}, err
			}
			target := string(data)
			if isAbsPath(target) {
				return node{}, fmt.Errorf("%s -> %s: %w", p, target, ErrLinkAbsolute)
			}
			if escapes(len(stack)-1, target) {
				return node{}, fmt.Errorf("%s -> %s: %w", p, target, ErrLinkEscapes)
			}
			pending = append(strings.Split(target, "/"), pending[i+1:]...)
			i = -1
		default:
			leaf = &node{mode: e.Mode, hash: e.Hash}
		}
	}
	base := path.Base(name)
	if leaf != nil {
		return node{name: base, mode: leaf.mode, hash: leaf.hash}, nil
	}
	top := stack[len(stack)-1].node
	return node{name: base, mode: top.mode, hash: top.hash}, nil
}

// escapes reports whether a link target climbs more than depth directories
// up before it goes down again, which no later link can undo.
func escapes(depth int, target string) bool {
	for c := range strings.SplitSeq(target, "/") {
		switch c {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			return false
		}
	}
	return false
}

// isAbsPath reports whether a link target is absolute on any platform.
func isAbsPath(p string) bool {
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) {
		return true
	}
	return len(p) >= 2 && p[1] == ':' && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z')
}

// lookup validates name and resolves it under the lock.
func (t *treeFS) lookup(op, name string, follow bool) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n, err := t.resolve(name, follow)
	if err != nil {
		return node{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return n, nil
}

// info describes n; r.mu must be held.
func (t *treeFS) info(n node) (*fileInfo, error) {
	fi := &fileInfo{name: n.name, mode: fileMode(n.mode), modTime: t.modTime}
	if !isDirMode(n.mode) {
		s, err := t.size(n.hash)
		if err != nil {
			return nil, err
		}
		fi.size = s
	}
	return fi, nil
}

// Open opens name, following symbolic links.
func (t *treeFS) Open(name string) (fs.File, error) {
	t.r.mu.Lock()
	defer t.r.mu.Unlock()
	n, err := t.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	if isDirMode(n.mode) {
		entries, err := t.readDir(n)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		fi, _ := t.info(n)
		return &dirFile{info: fi, entries: entries}, nil
	}
	data, err := t.blob(n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	fi, _ := t.info(n)
	return newOpenFile(fi, data), nil
}

// ReadFile reads the whole file name, following symbolic links.
func (t *treeFS) ReadFile(name string) ([]byte, error) {
	t.r.mu.Lock()
	defer t.r.mu.Unlock()
	n, err := t.lookup("read", name, true)
	if err != nil {
		return nil, err
	}
	if isDirMode(n.mode) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errIsDir}
	}
	data, err := t.blob(n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// ReadDir lists the directory name, sorted by file name.
func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	t.r.mu.Lock()
	defer t.r.mu.Unlock()
	n, err := t.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !isDirMode(n.mode) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: ErrNotDir}
	}
	entries, err := t.readDir(n)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return entries, nil
}

func (t *treeFS) readDir(n node) ([]fs.DirEntry, error) {
	dt, err := t.tree(n)
	if err != nil {
		return nil, err
	}
	out := make([]fs.DirEntry, len(dt.entries))
	for i, e := range dt.entries {
		out[i] = &dirEntry{fsys: t, node: node{name: e.Name, mode: e.Mode, hash: e.Hash}}
	}
	return out, nil
}

// Stat describes name, following symbolic links.
func (t *treeFS) Stat(name string) (fs.FileInfo, error) {
	return t.stat("stat", name, true)
}

// Lstat describes name without following a final symbolic link.
func (t *treeFS) Lstat(name string) (fs.FileInfo, error) {
	return t.stat("lstat", name, false)
}

func (t *treeFS) stat(op, name string, follow bool) (fs.FileInfo, error) {
	t.r.mu.Lock()
	defer t.r.mu.Unlock()
	n, err := t.lookup(op, name, follow)
	if err != nil {
		return nil, err
	}
	fi, err := t.info(n)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return fi, nil
}

// ReadLink returns the target of the symbolic link name, as stored.
func (t *treeFS) ReadLink(name string) (string, error) {
	t.r.mu.Lock()
	defer t.r.mu.Unlock()
	n, err := t.lookup("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: ErrNotLink}
	}
	data, err := t.blob(n.hash)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(data), nil
}
