package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// readBase is the directory a file read is relative to.
type readBase uint8

const (
	// readFromModule: path.module, the directory of the module that reads.
	readFromModule readBase = iota
	// readFromRoot: path.root, path.cwd or a relative path given to a file
	// function, all of which name the stack's directory (terraform runs
	// there).
	readFromRoot
)

// fileRead is a path a module reads: the literal part, Prefix, relative
// to its base directory, then Glob, a pattern for what is not literal.
// The read covers what they name and everything under it, since a path
// such as archive_file's source_dir names a whole directory.
type fileRead struct {
	base   readBase
	prefix string // literal, slash-separated, may climb with ".."; "" is the base itself
	glob   string // "" when the whole path is literal
	at     string // "file:line" of the expression, for reasons
}

// fileFunctions are the Terraform functions whose first argument is a path
// that a bare relative string names relative to the working directory.
var fileFunctions = map[string]bool{
	"file": true, "fileexists": true, "filebase64": true, "filebase64sha256": true,
	"filebase64sha512": true, "filemd5": true, "filesha1": true, "filesha256": true,
	"filesha512": true, "templatefile": true, "fileset": true,
}

// collectReads finds the file reads in the parsed body of a .tf file: every
// template or reference starting with path.module, path.root or path.cwd
// (in a function call or any other argument, such as archive_file's
// source_dir), bare relative paths given to file functions, and fileset's
// pattern. It never fails; what it cannot read as a path it skips.
func collectReads(body hcl.Body) []fileRead {
	b, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	c := &readCollector{consumed: make(map[int]bool)}
	hclsyntax.VisitAll(b, c.visit)
	return c.reads
}

// collectJSONReads does what collectReads does for a .tf.json file, whose
// string values are templates.
func collectJSONReads(filename string, src []byte) []fileRead {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	c := &readCollector{consumed: make(map[int]bool)}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case string:
			if !strings.Contains(v, "${") {
				return
			}
			expr, diags := hclsyntax.ParseTemplate([]byte(v), filename, hcl.Pos{Line: 0, Column: 1})
			if diags.HasErrors() {
				return
			}
			clear(c.consumed)
			hclsyntax.VisitAll(expr, c.visit)
		}
	}
	walk(v)
	return c.reads
}

// readCollector visits expressions in source order, parents first. An
// expression it reads as a path marks every node inside it consumed (by
// start offset), so that the path.module inside "${path.module}/x" is not
// read again on its own as the whole module directory.
type readCollector struct {
	reads    []fileRead
	consumed map[int]bool
}

func (c *readCollector) visit(n hclsyntax.Node) hcl.Diagnostics {
	expr, ok := n.(hclsyntax.Expression)
	if !ok || c.consumed[expr.Range().Start.Byte] {
		return nil
	}
	if call, ok := expr.(*hclsyntax.FunctionCallExpr); ok {
		c.call(call)
		return nil
	}
	if r, ok := pathExpr(expr, false); ok {
		c.add(r, expr)
	}
	return nil
}

// add records r, read by expr, unless it is vague, and marks expr consumed
// either way.

func (c *readCollector) add(r fileRead, expr hclsyntax.Expression) {
	rng := expr.Range()
	r.at = fmt.Sprintf("%s:%d", rng.Filename, rng.Start.Line)
	if rng.Start.Line == 0 {
		r.at = rng.Filename
	}
	if !r.vague() {
		c.reads = append(c.reads, r)
	}
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		c.consumed[n.Range().Start.Byte] = true
		return nil
	})
}

// call reads the path argument of a file function, which may be a bare
// relative path, and fileset's pattern; other calls are left to the visit
// of their arguments.
func (c *readCollector) call(call *hclsyntax.FunctionCallExpr) {
	name := strings.TrimPrefix(call.Name, "core::")
	if !fileFunctions[name] || len(call.Args) == 0 {
		return
	}
	r, ok := pathExpr(call.Args[0], true)
	if !ok {
		return
	}
	if name == "fileset" && r.glob == "" {
		r.glob = "**"
		if len(call.Args) > 1 {
			if pattern, ok := literalString(call.Args[1]); ok && pattern != "" {
				if _, err := compileGlob(pattern); err == nil {
					r.glob = pattern
				}
			}
		}
		if r.vague() {
			r.glob = "" // the whole directory, which it lists
		}
	}
	c.add(r, call.Args[0])
}

// pathExpr reads expr as a path: path.module, path.root or path.cwd, alone
// or at the start of a template, or, when bare is set, a literal relative
// path. Literal template parts give the prefix; from the first non-literal
// part on, the path becomes a glob in which a non-literal part is "*", or
// "**" when it fills whole segments. A path that is the base followed only
// by non-literal segments names nothing in particular and is skipped.
func pathExpr(expr hclsyntax.Expression, bare bool) (fileRead, bool) {
	for {
		p, ok := expr.(*hclsyntax.ParenthesesExpr)
		if !ok {
			break
		}
		expr = p.Expression
	}
	var parts []hclsyntax.Expression
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		parts = e.Parts
	case *hclsyntax.TemplateWrapExpr:
		parts = []hclsyntax.Expression{e.Wrapped}
	default:
		parts = []hclsyntax.Expression{expr}
	}
	if len(parts) == 0 {
		return fileRead{}, false
	}
	r := fileRead{base: readFromRoot}
	if base, ok := pathReference(parts[0]); ok {
		r.base = base
		parts = parts[1:]
	} else if !bare {
		return fileRead{}, false
	} else if lit, ok := literalPart(parts[0]); !ok || lit == "" || isAbsPath(lit) {
		return fileRead{}, false
	}
	r.prefix, r.glob = templatePath(parts)
	return r, true
}

// vague reports whether r is a base followed only by non-literal segments,
// such as "${path.module}/${each.value}": nothing narrows it down, and the
// value usually comes from a fileset, read on its own. It is no input.
func (r fileRead) vague() bool { return r.prefix == "" && r.glob == "**" }

// pathReference reports whether expr is path.module, path.root or path.cwd.
func pathReference(expr hclsyntax.Expression) (readBase, bool) {
	t, ok := expr.(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(t.Traversal) != 2 || t.Traversal.RootName() != "path" {
		return 0, false
	}
	attr, ok := t.Traversal[1].(hcl.TraverseAttr)
	if !ok {
		return 0, false
	}
	switch attr.Name {
	case "module":
		return readFromModule, true
	case "root", "cwd":
		return readFromRoot, true
	}
	return 0, false
}

// literalPart returns the text of a literal template part.
func literalPart(expr hclsyntax.Expression) (string, bool) {
	lit, ok := expr.(*hclsyntax.LiteralValueExpr)
	if !ok || lit.Val.IsNull() || !lit.Val.IsKnown() || lit.Val.Type() != cty.String {
		return "", false
	}
	return lit.Val.AsString(), true
}

// dynamicMark stands for a non-literal template part while segments are
// built; no path holds it.
const dynamicMark = "\x00"

// templatePath turns template parts following the base (or making up a
// bare path) into a literal prefix and a glob for the rest.
func templatePath(parts []hclsyntax.Expression) (prefix, glob string) {
	var b strings.Builder
	for _, p := range parts {
		if lit, ok := literalPart(p); ok {
			b.WriteString(strings.ReplaceAll(lit, dynamicMark, ""))
		} else {
			b.WriteString(dynamicMark)
		}
	}
	var lits, globs []string
	for seg := range strings.SplitSeq(b.String(), "/") {
		switch {
		case seg == "" || seg == ".":
			continue
		case len(globs) == 0 && !strings.Contains(seg, dynamicMark):
			lits = append(lits, seg)
			continue
		case seg == "..":
			// Climbing after a non-literal part: could be anywhere under
			// the literal prefix.
			return strings.Join(lits, "/"), "**"
		case strings.Trim(seg, dynamicMark) == "":
			seg = "**"
		default:
			var g strings.Builder
			for i, piece := range strings.Split(seg, dynamicMark) {
				if i > 0 {
					g.WriteString("*")
				}
				g.WriteString(escapeGlob(piece))
			}
			seg = g.String()
		}
		if seg == "**" && len(globs) > 0 && globs[len(globs)-1] == "**" {
			continue
		}
		globs = append(globs, seg)
	}
	return strings.Join(lits, "/"), strings.Join(globs, "/")
}

// escapeGlob escapes the characters the glob syntax gives a meaning, so
// that a literal path matches only itself.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, `*?[]{}\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]{}\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// input turns a read made by the module in moduleDir, for the stack in
// stackDir, into an Input; ok is false when it leaves the repo.
func (r fileRead) input(moduleDir, stackDir string) (Input, bool) {
	base := stackDir
	if r.base == readFromModule {
		base = moduleDir
	}
	dir, err := joinRel(base, r.prefix)
	if err != nil {
		return Input{}, false
	}
	in := Input{Path: dir, Reason: "read by " + r.at}
	if r.glob == "" {
		return in, true
	}
	in.Glob = true
	in.Path = r.glob
	if dir != "." {
		in.Path = escapeGlob(dir) + "/" + r.glob
	}
	if !strings.HasSuffix(in.Path, "**") {
		in.Path += "/**" // what it names, and everything under it
	}
	if _, err := compileGlob(in.Path); err != nil {
		in.Path = path.Join(escapeGlob(dir), "**")
	}
	return in, true
}
