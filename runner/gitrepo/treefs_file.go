package gitrepo

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

var errIsDir = errors.New("is a directory")

// fileMode maps a git file mode to an fs.FileMode.
func fileMode(m filemode.FileMode) fs.FileMode {
	switch m {
	case filemode.Dir, filemode.Submodule:
		return fs.ModeDir | 0o755
	case filemode.Executable:
		return 0o755
	case filemode.Symlink:
		return fs.ModeSymlink | 0o777
	default:
		return 0o644
	}
}

// fileInfo is the fs.FileInfo of a tree entry.
type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.modTime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any           { return nil }

// dirEntry is an fs.DirEntry; its Info is read on demand.
type dirEntry struct {
	fsys *treeFS
	node node
}

func (e *dirEntry) Name() string      { return e.node.name }
func (e *dirEntry) IsDir() bool       { return isDirMode(e.node.mode) }
func (e *dirEntry) Type() fs.FileMode { return fileMode(e.node.mode).Type() }

func (e *dirEntry) Info() (fs.FileInfo, error) {
	e.fsys.r.mu.Lock()
	defer e.fsys.r.mu.Unlock()
	return e.fsys.info(e.node)
}

func (e *dirEntry) String() string { return fs.FormatDirEntry(e) }

// openFile is an open regular file (or followed link), read from memory.
type openFile struct {
	*bytes.Reader
	info *fileInfo
}

func newOpenFile(info *fileInfo, data []byte) *openFile {
	return &openFile{Reader: bytes.NewReader(data), info: info}
}

func (f *openFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *openFile) Close() error               { return nil }

// dirFile is an open directory.
type dirFile struct {
	info    *fileInfo
	entries []fs.DirEntry
	offset  int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }

func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errIsDir}
}

// ReadDir returns the next n entries, or all the rest when n <= 0.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.offset:]
	if n <= 0 {
		d.offset = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.offset += n
	return rest[:n], nil
}
