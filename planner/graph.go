package planner

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// graph is the local module graph: which directory with Terraform files
// calls which. It is pure: built from what the loader read, it does no I/O.
type graph struct {
	dirs     map[string]*dirInfo
	calledBy map[string][]string
}

func newGraph(dirs map[string]*dirInfo) *graph {
	g := &graph{dirs: dirs, calledBy: make(map[string][]string)}
	for dir, info := range dirs {
		for _, c := range info.calls {
			g.calledBy[c] = append(g.calledBy[c], dir)
		}
	}
	for _, callers := range g.calledBy {
		sort.Strings(callers)
	}
	return g
}

// sortedDirs returns every directory with Terraform files, sorted.
func (g *graph) sortedDirs() []string {
	out := make([]string, 0, len(g.dirs))
	for dir := range g.dirs {
		out = append(out, dir)
	}
	sort.Strings(out)
	return out
}

// modules lists every directory with Terraform files, stacks included, with
// its direct local calls and callers.
func (g *graph) modules() []Module {
	out := make([]Module, 0, len(g.dirs))
	for _, dir := range g.sortedDirs() {
		out = append(out, Module{Dir: dir, Calls: g.dirs[dir].calls, CalledBy: g.calledBy[dir]})
	}
	return out
}

// roots returns the root modules: directories no other directory calls as a
// local module, and called directories that configure a backend or a cloud
// block (a module never has one, so the author means to apply it alone).
// A directory that calls only itself counts as not called.
func (g *graph) roots() []string {
	var out []string
	for _, dir := range g.sortedDirs() {
		callers := g.calledBy[dir]
		if g.dirs[dir].backend != "" || len(callers) == 0 || (len(callers) == 1 && callers[0] == dir) {
			out = append(out, dir)
		}
	}
	return out
}

// emptyCalls reports the local module calls of directories that hold no
// Terraform files, which Terraform refuses.
func (g *graph) emptyCalls() []Problem {
	var out []Problem
	for target, callers := range g.calledBy {
		if g.dirs[target] != nil {
			continue
		}
		for _, c := range callers {
			out = append(out, Problem{Dir: c, Summary: fmt.Sprintf("module directory %s: %s", target, ErrNoConfiguration)})
		}
	}
	return out
}

// isUnusedModule reports whether the root module dir is a library module
// nobody calls: it configures no backend and lies under a directory named
// "modules", where module repos keep their submodules.
func (g *graph) isUnusedModule(dir string) bool {
	if g.dirs[dir] == nil || g.dirs[dir].backend != "" {
		return false
	}
	parent := path.Dir(dir)
	return parent == "modules" || strings.HasPrefix(parent, "modules/") ||
		strings.HasSuffix(parent, "/modules") || strings.Contains(parent, "/modules/")
}

// closure returns the local module directories dir calls, transitively,
// sorted, without dir itself; cycle reports whether dir reaches itself.
func (g *graph) closure(dir string) (mods []string, cycle bool) {
	seen := map[string]bool{dir: true}
	var visit func(d string)
	visit = func(d string) {
		info := g.dirs[d]
		if info == nil {
			return
		}
		for _, c := range info.calls {
			if c == dir {
				cycle = true
			}
			if !seen[c] {
				seen[c] = true
				mods = append(mods, c)
				visit(c)
			}
		}
	}
	visit(dir)
	sort.Strings(mods)
	return mods, cycle
}

// describe fills the Terraform facts of a stack rooted at s.Dir: its local
// modules, the files it reads through links, and the required_version and
// required_providers of the root and all its modules (Terraform enforces
// them all), merged in a stable order: the root first, then the modules.
func (g *graph) describe(s *Stack) (cycle bool) {
	s.Modules, cycle = g.closure(s.Dir)
	root := g.dirs[s.Dir]
	if root == nil {
		return cycle
	}
	s.Backend = root.backend
	var versions []string
	var linked []string
	var providers []ProviderRequirement
	for _, d := range append([]string{s.Dir}, s.Modules...) {
		info := g.dirs[d]
		if info == nil {
			continue // a called directory without Terraform files
		}
		versions = append(versions, info.requiredVersions...)
		linked = append(linked, info.linked...)
		providers = append(providers, info.providers...)
		for _, r := range info.reads {
			if in, ok := r.input(d, s.Dir); ok {
				s.Inputs = append(s.Inputs, in)
			}
		}
	}
	sortInputs(s)
	s.RequiredVersion = strings.Join(uniqueInOrder(versions), ", ")
	s.LinkedFiles = slices.Compact(slices.Sorted(slices.Values(linked)))
	s.Providers = mergeProviders(providers)
	return cycle
}

// mergeProviders merges requirements for the same provider (local name and
// source), joining their version constraints, and sorts the result.
func mergeProviders(reqs []ProviderRequirement) []ProviderRequirement {
	type key struct{ name, source string }
	// A requirement without a source (the legacy `name = "version"` form)
	// joins the one sourced requirement of that name, if there is exactly one.
	sources := make(map[string][]string)
	for _, r := range reqs {
		if r.Source != "" && !slices.Contains(sources[r.Name], r.Source) {
			sources[r.Name] = append(sources[r.Name], r.Source)
		}
	}
	var order []key
	versions := make(map[key][]string)
	for _, r := range reqs {
		k := key{r.Name, r.Source}
		if r.Source == "" && len(sources[r.Name]) == 1 {
			k.source = sources[r.Name][0]
		}
		if _, ok := versions[k]; !ok {
			order = append(order, k)
			versions[k] = nil
		}
		if r.Version != "" {
			versions[k] = append(versions[k], r.Version)
		}
	}
	var out []ProviderRequirement
	for _, k := range order {
		out = append(out, ProviderRequirement{Name: k.name, Source: k.source, Version: strings.Join(uniqueInOrder(versions[k]), ", ")})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Source < out[j].Source
	})
	return out
}

func uniqueInOrder(in []string) []string {
	seen := make(map[string]bool, len(in))
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
