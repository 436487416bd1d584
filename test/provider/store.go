package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The backing directory holds one JSON file per object:
//
//	<root>/
//	├── servers/
//	│   └── <name>.json   {"size":"small","port":8080,"enabled":true,"tags":{...}}
//	└── secrets/
//	    └── <name>.json   {"value":"...","description":"..."}
//
// Files are replaced atomically (temporary file + rename, or + link for
// create) so a concurrent reader never sees a half-written object. Writes are
// not fsynced: durability across a machine crash is not a goal of a test
// provider.

// Sentinel errors returned by the store.
var (
	// errNotFound reports that an object has no backing file.
	errNotFound = errors.New("object not found")
	// errExists reports that create found a backing file already in place.
	errExists = errors.New("object already exists")
	// errInvalidName reports a name that cannot be used as a file name.
	errInvalidName = errors.New("invalid object name")
)

// kind is the class of an object; it names the sub-directory of the root.
type kind string

// The kinds of object the provider manages.
const (
	kindServers kind = "servers"
	kindSecrets kind = "secrets"
)

// store reads and writes objects as JSON files under a root directory.
type store struct {
	root string
}

// newStore returns a store rooted at root. The directory is created on the
// first write, not here.
func newStore(root string) *store {
	return &store{root: root}
}

// path returns the backing file of the object kind/name.
func (s *store) path(k kind, name string) string {
	return filepath.Join(s.root, string(k), name+".json")
}

// checkName rejects names that would escape the kind directory or could not
// be a single file name.
func checkName(name string) error {
	switch {
	case name == "", name == ".", name == "..":
		return fmt.Errorf("%w: %q", errInvalidName, name)
	case strings.ContainsAny(name, `/\`+"\x00"):
		return fmt.Errorf("%w: %q contains a path separator or NUL", errInvalidName, name)
	}
	return nil
}

// read decodes the object kind/name into v. It returns an error wrapping
// errNotFound when the backing file does not exist.
func (s *store) read(k kind, name string, v any) error {
	if err := checkName(name); err != nil {
		return err
	}
	b, err := os.ReadFile(s.path(k, name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s/%s: %w", k, name, errNotFound)
	}
	if err != nil {
		return fmt.Errorf("read %s/%s: %w", k, name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", s.path(k, name), err)
	}
	return nil
}

// create writes the object kind/name and fails with an error wrapping
// errExists if its backing file is already there.
func (s *store) create(k kind, name string, v any) error {
	tmp, err := s.writeTemp(k, name, v)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	// A hard link fails if the target exists, which makes create both
	// atomic and exclusive.
	if err := os.Link(tmp, s.path(k, name)); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %s/%s: %w", k, name, errExists)
		}
		return fmt.Errorf("create %s/%s: %w", k, name, err)
	}
	return nil
}

// write creates or replaces the object kind/name.
func (s *store) write(k kind, name string, v any) error {
	tmp, err := s.writeTemp(k, name, v)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, s.path(k, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s/%s: %w", k, name, err)
	}
	return nil
}

// remove deletes the object kind/name. A missing backing file is not an
// error: the object is gone either way.
func (s *store) remove(k kind, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	err := os.Remove(s.path(k, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s/%s: %w", k, name, err)
	}
	return nil
}

// writeTemp encodes v into a temporary file in the kind directory, creating
// the directory if needed, and returns the temporary file's path.
func (s *store) writeTemp(k kind, name string, v any) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode %s/%s: %w", k, name, err)
	}
	dir := filepath.Join(s.root, string(k))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("write %s/%s: %w", k, name, err)
	}
	_, werr := f.Write(append(b, '\n'))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write %s/%s: %w", k, name, err)
	}
	return f.Name(), nil
}
