package varedit

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Result is what SetInDir did to one file.
type Result struct {
	// File is the repo-relative, slash-separated path edited.
	File string
	// Before and After are its contents; equal when nothing changed.
	Before, After []byte
	Changes       []Change
	// Stacks are the stacks that use the file.
	Stacks []string
}

// Changed reports whether the edit changes the file.
func (r *Result) Changed() bool { return len(r.Changes) > 0 }

// Diff is the unified diff of the edit, "" when nothing changed.
func (r *Result) Diff() string { return Diff(r.File, r.Before, r.After) }

// SetInDir sets the values in file (relative to root, the repository's
// checkout), typed by the declarations of the stacks that use it, and
// writes the file unless dryRun. opts.Declared and opts.Stacks are filled
// in from the repository.
func SetInDir(ctx context.Context, root, file string, sets []Setting, opts Options, dryRun bool) (*Result, error) {
	rel := path.Clean(filepath.ToSlash(file))
	if path.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("--file %s: give a path relative to the repository root: %w", file, ErrBadSetting)
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	src, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("--file %s: %w", file, err)
	}
	stacks, decls, err := Declarations(ctx, os.DirFS(root), rel)
	if err != nil {
		return nil, err
	}
	opts.Stacks, opts.Declared = stacks, decls
	out, changes, err := Edit(rel, src, sets, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{File: rel, Before: src, After: out, Changes: changes, Stacks: stacks}
	if !res.Changed() || dryRun {
		return res, nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(p, out, fi.Mode().Perm()); err != nil {
		return nil, fmt.Errorf("write %s: %w", rel, err)
	}
	return res, nil
}

// CommitMessage says what a set changed: a subject naming the values and
// the file, the caller's message, and one line per change.
func (r *Result) CommitMessage(extra string) string {
	names := make([]string, len(r.Changes))
	for i, c := range r.Changes {
		names[i] = c.Name
	}
	var b strings.Builder
	fmt.Fprintf(&b, "set %s in %s\n\n", strings.Join(names, ", "), r.File)
	if extra = strings.TrimSpace(extra); extra != "" {
		b.WriteString(extra + "\n\n")
	}
	for _, c := range r.Changes {
		b.WriteString("- " + c.String() + "\n")
	}
	return b.String()
}
