package planner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
)

// dirInfo is what the loader read from one directory holding Terraform files.
type dirInfo struct {
	dir              string   // real, repo-relative
	linked           []string // real paths of Terraform files outside dir, reached through links
	calls            []string // real dirs of local module calls that resolved, sorted, unique
	reads            []fileRead
	requiredVersions []string
	backend          string
	providers        []ProviderRequirement
}

// loader reads directories in parallel, on GOMAXPROCS workers: the walk of
// the tree and the parsing of every directory with Terraform files, then of
// every local module those call. Work is queued with spawn and done by run,
// which waits for every worker.
type loader struct {
	ctx   context.Context
	fsys  fs.FS
	res   *resolver
	queue *workQueue

	mu         sync.Mutex
	walked     map[string]bool
	parsed     map[string]bool
	dirs       map[string]*dirInfo
	links      []walkedLink // symbolic links the walk met, but those to Terraform files
	terragrunt []string     // terragrunt.hcl files the walk met
	problems   []Problem
}

// walkedLink is a symbolic link the walk met: its path, where it leads
// (real; "" when dangling) and, when dangling, what it says.
type walkedLink struct {
	path     string
	target   string
	readLink string
}

func newLoader(ctx context.Context, fsys fs.FS) *loader {
	return &loader{
		ctx:    ctx,
		fsys:   fsys,
		res:    newResolver(fsys),
		queue:  newWorkQueue(),
		walked: make(map[string]bool),
		parsed: make(map[string]bool),
		dirs:   make(map[string]*dirInfo),
	}
}

// spawn queues f; run does it, unless the context has ended by then.
func (l *loader) spawn(f func()) {
	l.queue.add(func() {
		if l.ctx.Err() == nil {
			f()
		}
	})
}

// run does the queued work, and the work it queues, and reports whether
// the context ended first.
func (l *loader) run() error {
	l.queue.run(l.ctx, runtime.GOMAXPROCS(0))
	if err := l.ctx.Err(); err != nil {
		return fmt.Errorf("discover: %w", err)
	}
	return nil
}

func (l *loader) problem(p Problem) {
	l.mu.Lock()
	l.problems = append(l.problems, p)
	l.mu.Unlock()
}

// claim marks dir in set and reports whether it was not there yet.
func (l *loader) claim(set map[string]bool, dir string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if set[dir] {
		return false
	}
	set[dir] = true
	return true
}

// walkEntries handles the listing of the real directory dir: it walks
// subdirectories (following links that stay in the repo, skipping hidden
// ones) and parses dir when it holds Terraform files.
func (l *loader) walkEntries(dir string, entries []fs.DirEntry) {
	var tfFiles []string
	for _, e := range entries {
		name := e.Name()
		child := path.Join(dir, name)
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			l.walkLink(dir, child, name, &tfFiles)
		case e.IsDir():
			if !strings.HasPrefix(name, ".") {
				l.res.markReal(child)
				l.spawnWalk(child)
			}
		case e.Type().IsRegular() && isTerraformFile(name):
			tfFiles = append(tfFiles, child)
		case e.Type().IsRegular() && isTerragruntFile(name):
			l.mu.Lock()
			l.terragrunt = append(l.terragrunt, child)
			l.mu.Unlock()
		}
	}
	if len(tfFiles) > 0 && l.claim(l.parsed, dir) {
		l.parseDir(dir, tfFiles)
	}
}

// walkLink handles a symbolic link found in dir: a link to a directory is
// walked (once, by its real path), a link to a Terraform file is read, and
// every other link is recorded to tell the stack it is in about its target.
func (l *loader) walkLink(dir, link, name string, tfFiles *[]string) {
	if l.res.links == nil {
		return // cannot tell where it goes, or whether it stays in the repo
	}
	if strings.HasPrefix(name, ".") {
		return // hidden, like the directories and files it could name
	}
	real, info, err := l.res.stat(link)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		target, _ := l.res.links.ReadLink(link)
		l.addLink(walkedLink{path: link, readLink: target})
	case err != nil:
		l.problem(Problem{Dir: dir, Summary: fmt.Sprintf("symbolic link not followed: %s", err)})
	case info.IsDir():
		l.addLink(walkedLink{path: link, target: real})
		l.spawnWalk(real)
	case info.Mode().IsRegular() && isTerraformFile(name):
		*tfFiles = append(*tfFiles, real)
	default:
		l.addLink(walkedLink{path: link, target: real})
	}
}

func (l *loader) addLink(k walkedLink) {
	l.mu.Lock()
	l.links = append(l.links, k)
	l.mu.Unlock()
}

// spawnWalk walks dir unless it was walked already (links can reach a
// directory twice, or in a loop).
func (l *loader) spawnWalk(dir string) {
	if !l.claim(l.walked, dir) {
		return
	}
	l.spawn(func() {
		entries, err := fs.ReadDir(l.fsys, dir)
		if err != nil {
			l.problem(Problem{Dir: dir, Summary: fmt.Sprintf("cannot read directory: %s", err)})
			return
		}
		l.walkEntries(dir, entries)
	})
}

// spawnLoad parses the real directory dir without walking below it, for
// module calls and declared stacks the walk may not reach.
func (l *loader) spawnLoad(dir string) {
	if !l.claim(l.parsed, dir) {
		return
	}
	l.spawn(func() { l.loadDir(dir) })
}

func (l *loader) loadDir(dir string) {
	entries, err := fs.ReadDir(l.fsys, dir)
	if err != nil {
		l.problem(Problem{Dir: dir, Summary: fmt.Sprintf("cannot read directory: %s", err)})
		return
	}
	var tfFiles []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.Type()&fs.ModeSymlink != 0 && isTerraformFile(name) && l.res.links != nil:
			real, info, err := l.res.stat(path.Join(dir, name))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				l.problem(Problem{Dir: dir, Summary: fmt.Sprintf("symbolic link not followed: %s", err)})
			} else if err == nil && info.Mode().IsRegular() {
				tfFiles = append(tfFiles, real)
			}
		case e.Type().IsRegular() && isTerraformFile(name):
			tfFiles = append(tfFiles, path.Join(dir, name))
		}
	}
	if len(tfFiles) > 0 {
		l.parseDir(dir, tfFiles)
	}
}

// parseDir parses the Terraform files of dir (real paths, some perhaps
// elsewhere through links), records what it found and loads the local
// modules it calls.
func (l *loader) parseDir(dir string, files []string) {
	info := &dirInfo{dir: dir}
	var diags hcl.Diagnostics
	calls := make(map[string]bool)
	for _, f := range files {
		if path.Dir(f) != dir {
			info.linked = append(info.linked, f)
		}
		src, err := fs.ReadFile(l.fsys, f)
		if err != nil {
			l.problem(Problem{Dir: dir, Summary: fmt.Sprintf("cannot read %s: %s", f, err)})
			continue
		}
		mf, fileDiags := parseModuleFile(f, src)
		diags = append(diags, fileDiags...)
		info.reads = append(info.reads, mf.reads...)
		info.requiredVersions = append(info.requiredVersions, mf.requiredVersions...)
		info.providers = append(info.providers, mf.providers...)
		if mf.backend != "" {
			info.backend = mf.backend
		}
		for _, c := range mf.calls {
			if target, ok := l.resolveCall(dir, c); ok {
				calls[target] = true
			}
		}
		for _, c := range mf.dynamicSources {
			l.problem(dynamicSourceProblem(dir, c))
		}
	}
	if diags.HasErrors() {
		l.problem(Problem{Dir: dir, Summary: "invalid Terraform configuration", Diagnostics: convertDiagnostics(diags)})
	}
	for target := range calls {
		info.calls = append(info.calls, target)
	}
	sort.Strings(info.calls)
	sort.Strings(info.linked)
	l.mu.Lock()
	l.dirs[dir] = info
	l.mu.Unlock()
	for _, target := range info.calls {
		l.spawnLoad(target)
	}
}

// dynamicSourceProblem reports a module block whose source is not a
// literal string, which Terraform rejects and driftgate cannot follow.
func dynamicSourceProblem(dir string, c moduleCall) Problem {
	return Problem{Dir: dir, Summary: fmt.Sprintf("module %q: source is not a literal string", c.name), Diagnostics: []Diagnostic{{
		Severity: SeverityError,
		Summary:  "Module source is not a literal string",
		Detail: fmt.Sprintf("Terraform requires the source of module %q to be a literal string, such as \"./modules/vpc\" or \"hashicorp/consul/aws\"; "+
			"it rejects variables, functions and interpolation there. Write the source out; until then driftgate cannot tell which module this is.", c.name),
		File:   c.rng.Filename,
		Line:   c.rng.Start.Line,
		Column: c.rng.Start.Column,
	}}}
}

// resolveCall finds the real directory a local module call in dir names,
// reporting a problem when it escapes the repo or does not exist.
func (l *loader) resolveCall(dir string, c moduleCall) (string, bool) {
	if !isLocalSource(c.source) {
		return "", false
	}
	fail := func(summary, detail string) (string, bool) {
		d := Diagnostic{
			Severity: SeverityError, Summary: summary, Detail: detail,
			File: c.rng.Filename, Line: c.rng.Start.Line, Column: c.rng.Start.Column,
		}
		l.problem(Problem{Dir: dir, Summary: fmt.Sprintf("module %q: %s", c.name, strings.ToLower(summary)), Diagnostics: []Diagnostic{d}})
		return "", false
	}
	target, err := joinRel(dir, c.source)
	if err != nil {
		return fail("Module source escapes the repo",
			fmt.Sprintf("The source %q of module %q leaves the repo root; driftgate can only read modules inside the repo. Move the module into the repo or use a registry or git source.", c.source, c.name))
	}
	real, info, err := l.res.stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail("Module directory not found",
			fmt.Sprintf("The source %q of module %q names %s, which does not exist. Fix the path, relative to %s.", c.source, c.name, target, dir))
	case err != nil:
		return fail("Module directory not readable",
			fmt.Sprintf("The source %q of module %q cannot be followed: %s.", c.source, c.name, err))
	case !info.IsDir():
		return fail("Module source is not a directory",
			fmt.Sprintf("The source %q of module %q names %s, which is not a directory.", c.source, c.name, target))
	}
	return real, true
}

// sortedProblems returns the problems sorted by directory, then summary,
// then diagnostics, so that the parallel walk gives a deterministic result.
func (l *loader) sortedProblems() []Problem {
	p := l.problems
	sort.SliceStable(p, func(i, j int) bool {
		if p[i].Dir != p[j].Dir {
			return p[i].Dir < p[j].Dir
		}
		if p[i].Summary != p[j].Summary {
			return p[i].Summary < p[j].Summary
		}
		return p[i].String() < p[j].String()
	})
	return p
}
