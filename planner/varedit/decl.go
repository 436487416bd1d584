package varedit

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/driftgate/driftgate/planner"
)

// Declarations finds the stacks of the repo in fsys that use file (a
// repo-relative path), with the rule the daemon uses to decide what a
// commit affects, and the variables their root modules declare. It
// returns the stack names and, per variable, its declarations.
func Declarations(ctx context.Context, fsys fs.FS, file string) ([]string, map[string][]Declared, error) {
	d, err := planner.Discover(ctx, fsys, planner.DiscoverOptions{})
	if err != nil {
		return nil, nil, err
	}
	dirs := map[string]string{}
	for _, s := range d.Stacks {
		dirs[s.Name] = s.Dir
	}
	var stacks []string
	decls := map[string][]Declared{}
	for _, a := range planner.Affected(d.Stacks, []string{file}) {
		stacks = append(stacks, a.Stack)
		vars, err := declaredVariables(fsys, dirs[a.Stack])
		if err != nil {
			return nil, nil, fmt.Errorf("stack %s: %w", a.Stack, err)
		}
		for name, ty := range vars {
			decls[name] = append(decls[name], Declared{Stack: "stack " + a.Stack, Type: ty})
		}
	}
	sort.Strings(stacks)
	return stacks, decls, nil
}

// declaredVariables reads the variable blocks of the .tf files in dir.
func declaredVariables(fsys fs.FS, dir string) (map[string]cty.Type, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	vars := map[string]cty.Type{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tf") {
			continue
		}
		name := path.Join(dir, e.Name())
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s: %w: %s", name, ErrParse, diags.Error())
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if b.Type != "variable" || len(b.Labels) != 1 {
				continue
			}
			ty := cty.DynamicPseudoType
			if a, ok := b.Body.Attributes["type"]; ok {
				t, _, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
				if diags.HasErrors() {
					return nil, fmt.Errorf("%s: variable %s: %w: %s", name, b.Labels[0], ErrParse, diags.Error())
				}
				ty = t
			}
			vars[b.Labels[0]] = ty
		}
	}
	return vars, nil
}
