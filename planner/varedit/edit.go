package varedit

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Options tunes Edit.
type Options struct {
	// Block names where in a .tf file the values go: "locals", or
	// "variable.NAME" for the default of variable NAME ("variable" alone:
	// each setting sets the default of the variable it names). Empty for
	// .tfvars and .tfvars.json files.
	Block string
	// ExistingOnly refuses to add a variable the file does not set yet.
	ExistingOnly bool
	// Declared maps a variable to its declarations in the stacks that use
	// the file (see Declarations).
	Declared map[string][]Declared
	// Stacks names the stacks that use the file. When there are some, a
	// variable none of them declares is refused (a typo would otherwise
	// be pushed); when there are none, values are typed like the values
	// they replace.
	Stacks []string
}

// Change is one value Edit changed.
type Change struct {
	Name string
	// Old is the value's source text before, "" when Added.
	Old   string
	New   string
	Added bool
}

func (c Change) String() string {
	if c.Added {
		return fmt.Sprintf("%s = %s (added)", c.Name, c.New)
	}
	return fmt.Sprintf("%s: %s -> %s", c.Name, c.Old, c.New)
}

// Edit sets the settings in src, the content of the file named filename
// (its extension picks the format), and returns the new content and what
// changed. Settings already holding their value change nothing: no change
// returns src itself.
func Edit(filename string, src []byte, sets []Setting, opts Options) ([]byte, []Change, error) {
	seen := map[string]bool{}
	for _, s := range sets {
		if seen[s.Name] {
			return nil, nil, fmt.Errorf("%s is given twice: %w", s.Name, ErrBadSetting)
		}
		seen[s.Name] = true
		if len(opts.Stacks) > 0 && len(opts.Declared[s.Name]) == 0 && !strings.HasPrefix(opts.Block, "variable") && opts.Block != "locals" {
			return nil, nil, fmt.Errorf("variable %s: none of the stacks using %s (%s) declares it; check the name: %w",
				s.Name, filename, strings.Join(opts.Stacks, ", "), ErrUndeclared)
		}
	}
	switch {
	case strings.HasSuffix(filename, ".tfvars.json"):
		if opts.Block != "" {
			return nil, nil, fmt.Errorf("--block is for .tf files, not %s: %w", filename, ErrUnsupported)
		}
		return editJSON(filename, src, sets, opts)
	case strings.HasSuffix(filename, ".tfvars"):
		if opts.Block != "" {
			return nil, nil, fmt.Errorf("--block is for .tf files, not %s: %w", filename, ErrUnsupported)
		}
		return editHCL(filename, src, sets, opts)
	case strings.HasSuffix(filename, ".tf"):
		if opts.Block == "" {
			return nil, nil, fmt.Errorf("%s is a .tf file: say where the values go with --block locals or --block variable.NAME: %w", filename, ErrUnsupported)
		}
		return editHCL(filename, src, sets, opts)
	default:
		return nil, nil, fmt.Errorf("%s: want a .tfvars, .tfvars.json or .tf file: %w", filename, ErrUnsupported)
	}
}

// target is where one setting goes in an HCL file.
type target struct {
	body *hclsyntax.Body
	attr string
	// decls adds the type of the variable block edited, if any.
	decls []Declared
	// where names the place for messages.
	where string
	// root is true for the file's top level; else the body is a block's.
	root bool
}

// editHCL replaces the source text of each attribute's expression, and
// appends missing attributes at the end of their body: every other byte
// stays. A file that was fmt-clean is formatted again, which only moves
// the white space the edit disturbed (the alignment of a group).
func editHCL(filename string, src []byte, sets []Setting, opts Options) ([]byte, []Change, error) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("%s: %w: %s", filename, ErrParse, diags.Error())
	}
	root, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, nil, fmt.Errorf("%s: %w", filename, ErrParse)
	}
	wasClean := bytes.Equal(hclwrite.Format(src), src)
	var changes []Change
	var splices []splice
	for _, s := range sets {
		t, err := findTarget(filename, root, s.Name, opts.Block)
		if err != nil {
			return nil, nil, err
		}
		attr := t.body.Attributes[t.attr]
		old := cty.NilVal
		oldText := ""
		if attr != nil {
			r := attr.Expr.Range()
			oldText = string(src[r.Start.Byte:r.End.Byte])
			old = literalValue(oldText)
		} else if opts.ExistingOnly {
			return nil, nil, fmt.Errorf("%s: %s is not set in %s and --existing-only is given: %w", filename, s.Name, t.where, ErrMissing)
		}
		v, err := typedValue(s, append(append([]Declared{}, opts.Declared[s.Name]...), t.decls...), old)
		if err != nil {
			return nil, nil, err
		}
		if attr != nil && sameValue(old, v) {
			continue
		}
		text := string(hclwrite.TokensForValue(v).Bytes())
		changes = append(changes, Change{Name: s.Name, Old: oldText, New: text, Added: attr == nil})
		if attr != nil {
			r := attr.Expr.Range()
			splices = append(splices, splice{at: r.Start.Byte, end: r.End.Byte, text: text})
			continue
		}
		splices = append(splices, appendAttr(src, t, text))
	}
	if len(changes) == 0 {
		return src, nil, nil
	}
	out := applySplices(src, splices)
	if wasClean {
		out = hclwrite.Format(out)
	}
	if _, diags := hclsyntax.ParseConfig(out, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, nil, fmt.Errorf("%s: the edit would not parse (%s): %w", filename, diags.Error(), ErrUnsupported)
	}
	return out, changes, nil
}

// appendAttr adds "name = value" at the end of t's body: the end of the
// file, or the line before the block's closing brace.
func appendAttr(src []byte, t target, value string) splice {
	if t.root {
		lead := ""
		if len(src) > 0 && src[len(src)-1] != '\n' {
			lead = "\n"
		}
		return splice{at: len(src), end: len(src), text: lead + t.attr + " = " + value + "\n"}
	}
	closeAt := t.body.SrcRange.End.Byte - 1 // the closing brace
	lineStart := bytes.LastIndexByte(src[:closeAt], '\n') + 1
	indent := src[lineStart:closeAt]
	if len(bytes.TrimSpace(indent)) > 0 || lineStart == 0 { // brace on a line with content: a one-line block
		return splice{at: closeAt, end: closeAt, text: "\n  " + t.attr + " = " + value + "\n"}
	}
	return splice{at: lineStart, end: lineStart, text: string(indent) + "  " + t.attr + " = " + value + "\n"}
}

// applySplices applies non-overlapping splices; those at one offset go in
// the order given.
func applySplices(src []byte, splices []splice) []byte {
	var out bytes.Buffer
	last := 0
	for _, sp := range sortSplices(splices) {
		out.Write(src[last:sp.at])
		out.WriteString(sp.text)
		last = sp.end
	}
	out.Write(src[last:])
	return out.Bytes()
}

// findTarget finds the body and attribute a setting goes to.
func findTarget(filename string, root *hclsyntax.Body, name, block string) (target, error) {
	switch {
	case block == "":
		return target{body: root, attr: name, where: filename, root: true}, nil
	case block == "locals":
		var first *hclsyntax.Block
		for _, b := range root.Blocks {
			if b.Type != "locals" {
				continue
			}
			if first == nil {
				first = b
			}
			if _, ok := b.Body.Attributes[name]; ok {
				return target{body: b.Body, attr: name, where: "the locals block of " + filename}, nil
			}
		}
		if first == nil {
			return target{}, fmt.Errorf("%s has no locals block: %w", filename, ErrMissing)
		}
		return target{body: first.Body, attr: name, where: "the locals block of " + filename}, nil
	case block == "variable" || strings.HasPrefix(block, "variable."):
		want := strings.TrimPrefix(strings.TrimPrefix(block, "variable"), ".")
		if want != "" && want != name {
			return target{}, fmt.Errorf("--block %s sets the default of %s, but the value given is for %s: %w", block, want, name, ErrBadSetting)
		}
		for _, b := range root.Blocks {
			if b.Type != "variable" || len(b.Labels) != 1 || b.Labels[0] != name {
				continue
			}
			t := target{body: b.Body, attr: "default", where: fmt.Sprintf("variable %q of %s", name, filename)}
			if ta, ok := b.Body.Attributes["type"]; ok {
				if ty, _, diags := typeexpr.TypeConstraintWithDefaults(ta.Expr); !diags.HasErrors() {
					t.decls = []Declared{{Stack: filename, Type: ty}}
				}
			}
			return t, nil
		}
		return target{}, fmt.Errorf("%s has no variable %q block: %w", filename, name, ErrMissing)
	default:
		return target{}, fmt.Errorf("--block %q: want locals, variable or variable.NAME: %w", block, ErrBadSetting)
	}
}

// literalValue evaluates an expression that holds no references; NilVal
// when it does or does not parse.
func literalValue(src string) cty.Value {
	expr, diags := hclsyntax.ParseExpression([]byte(src), "", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal
	}
	return v
}
