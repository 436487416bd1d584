package planner

import (
	"bytes"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
)

// moduleFile is what discovery reads from one Terraform file: no more than
// it needs to build the module graph and describe a stack.
type moduleFile struct {
	calls            []moduleCall
	dynamicSources   []moduleCall // module blocks whose source is not a literal string
	reads            []fileRead
	requiredVersions []string
	backend          string
	providers        []ProviderRequirement
}

// moduleCall is a module block and its source, when literal.
type moduleCall struct {
	name   string
	source string
	rng    hcl.Range // of the source value
}

// Small schemas: PartialContent ignores everything else Terraform allows.
var (
	tfFileSchema = &hcl.BodySchema{
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "terraform"},
			{Type: "module", LabelNames: []string{"name"}},
		},
	}
	tfTerraformSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "required_version"}},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "backend", LabelNames: []string{"type"}},
			{Type: "cloud"},
			{Type: "required_providers"},
		},
	}
	tfModuleSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "source"}},
	}
)

// isTerraformFile reports whether a directory entry name is a Terraform
// configuration file, skipping the files Terraform itself ignores (hidden,
// editor backups "~" and "#...#").
func isTerraformFile(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") ||
		(strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#")) {
		return false
	}
	return strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tf.json")
}

// isTerragruntFile reports whether a file name is a Terragrunt
// configuration, which driftgate does not plan.
func isTerragruntFile(name string) bool {
	return name == "terragrunt.hcl" || name == "terragrunt.hcl.json"
}

// parseModuleFile reads the parts of one .tf or .tf.json file that discovery
// needs. It returns what it could read even when diagnostics report errors.
func parseModuleFile(filename string, src []byte) (*moduleFile, hcl.Diagnostics) {
	var file *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(filename, ".json") {
		file, diags = hcljson.Parse(src, filename)
	} else {
		file, diags = hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	}
	mf := &moduleFile{}
	if file == nil || file.Body == nil {
		return mf, diags
	}
	switch {
	case strings.HasSuffix(filename, ".json"):
		mf.reads = collectJSONReads(filename, src)
	case bytes.Contains(src, []byte("path")) || bytes.Contains(src, []byte("file")):
		// Without either word there is no path.x reference and no file
		// function call: skip the walk, the dearest part of discovery.
		mf.reads = collectReads(file.Body)
	}
	content, _, moreDiags := file.Body.PartialContent(tfFileSchema)
	diags = append(diags, moreDiags...)
	for _, block := range content.Blocks {
		switch block.Type {
		case "module":
			diags = append(diags, mf.readModule(block)...)
		case "terraform":
			diags = append(diags, mf.readTerraform(block)...)
		}
	}
	return mf, diags
}

func (mf *moduleFile) readModule(block *hcl.Block) hcl.Diagnostics {
	content, _, diags := block.Body.PartialContent(tfModuleSchema)
	attr, ok := content.Attributes["source"]
	if !ok {
		return diags
	}
	c := moduleCall{name: block.Labels[0], rng: attr.Expr.Range()}
	if src, ok := literalString(attr.Expr); ok {
		c.source = src
		mf.calls = append(mf.calls, c)
	} else {
		mf.dynamicSources = append(mf.dynamicSources, c)
	}
	return diags
}

func (mf *moduleFile) readTerraform(block *hcl.Block) hcl.Diagnostics {
	content, _, diags := block.Body.PartialContent(tfTerraformSchema)
	if attr, ok := content.Attributes["required_version"]; ok {
		if v, ok := literalString(attr.Expr); ok && v != "" {
			mf.requiredVersions = append(mf.requiredVersions, v)
		}
	}
	for _, b := range content.Blocks {
		switch b.Type {
		case "backend":
			mf.backend = b.Labels[0]
		case "cloud":
			mf.backend = BackendCloud
		case "required_providers":
			diags = append(diags, mf.readRequiredProviders(b)...)
		}
	}
	return diags
}

// readRequiredProviders reads `name = { source = "...", version = "..." }`
// entries and the legacy `name = "version"` form. Other keys, such as
// configuration_aliases, are skipped without being evaluated.
func (mf *moduleFile) readRequiredProviders(block *hcl.Block) hcl.Diagnostics {
	attrs, diags := block.Body.JustAttributes()
	for name, attr := range attrs {
		req := ProviderRequirement{Name: name}
		if v, ok := literalString(attr.Expr); ok {
			req.Version = v
			mf.providers = append(mf.providers, req)
			continue
		}
		pairs, pairDiags := hcl.ExprMap(attr.Expr)
		if pairDiags.HasErrors() {
			continue
		}
		for _, kv := range pairs {
			key := hcl.ExprAsKeyword(kv.Key)
			if key == "" {
				key, _ = literalString(kv.Key)
			}
			switch key {
			case "source":
				req.Source, _ = literalString(kv.Value)
			case "version":
				req.Version, _ = literalString(kv.Value)
			}
		}
		mf.providers = append(mf.providers, req)
	}
	return diags
}

// literalString evaluates expr without any variables or functions and
// reports whether it is a known string.
func literalString(expr hcl.Expression) (string, bool) {
	v, diags := expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() || v.IsMarked() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// isLocalSource reports whether a module source is a local path, which
// Terraform recognises by its "./" or "../" prefix.
func isLocalSource(source string) bool {
	return strings.HasPrefix(source, "./") || strings.HasPrefix(source, "../")
}
