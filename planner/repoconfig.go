package planner

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// RepoConfigFile is the name of the optional repo config, at the repo root.
const RepoConfigFile = ".driftgate.hcl"

// DefaultWorkspace is the Terraform workspace of a stack that names none.
const DefaultWorkspace = "default"

// RepoConfig is a parsed .driftgate.hcl.
type RepoConfig struct {
	// Stacks are the declared stacks, in file order. When there are any,
	// they are the repo's stacks and discovery does not guess.
	Stacks []StackConfig
	// Files holds the parsed source, so that diagnostics can be printed with
	// snippets (see WriteDiagnostics).
	Files map[string]*hcl.File
}

// StackConfig is one `stack "NAME" { ... }` block of the repo config. Paths
// are repo-relative, slash-separated and clean, as written (not resolved
// through symbolic links).
type StackConfig struct {
	// Name labels the block; stack names are unique.
	Name string
	// Dir is the root module's directory.
	Dir string
	// Workspace is the Terraform workspace, DefaultWorkspace when unset.
	Workspace string
	// VarFiles are passed to Terraform with -var-file, in order.
	VarFiles []string
	// TerraformVersion is a version constraint such as "~> 1.11".
	TerraformVersion string
	// DependsOn names stacks to apply before this one.
	DependsOn []string
	// ExtraTriggers are globs of repo paths whose changes affect the stack.
	ExtraTriggers []string
	// DeclRange is where the block starts, for diagnostics.
	DeclRange hcl.Range
}

// repoConfigSchema and stackSchema describe .driftgate.hcl. A new block or
// attribute is an entry here, a field in StackConfig and a line in
// decodeStack.
var (
	repoConfigSchema = &hcl.BodySchema{
		Blocks: []hcl.BlockHeaderSchema{{Type: "stack", LabelNames: []string{"name"}}},
	}
	stackSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "dir", Required: true},
			{Name: "workspace"},
			{Name: "var_files"},
			{Name: "terraform_version"},
			{Name: "depends_on"},
			{Name: "extra_triggers"},
		},
	}
)

// stackSyntax keeps the syntax of one stack block for diagnostics.
type stackSyntax struct {
	block  *hcl.Block
	attrs  hcl.Attributes
	failed map[string]bool // attributes that did not decode, not to check further
}

// LoadRepoConfig reads and checks .driftgate.hcl at the root of fsys. A
// missing file gives (nil, nil). Whenever the file exists the config is
// returned, with its Files, even if diagnostics report errors: callers must
// check diags.HasErrors() before trusting it.
func LoadRepoConfig(fsys fs.FS) (*RepoConfig, hcl.Diagnostics) {
	res := newResolver(fsys)
	real, err := res.resolve(RepoConfigFile)
	var src []byte
	if err == nil {
		src, err = fs.ReadFile(fsys, real)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read repo config",
			Detail:   fmt.Sprintf("Reading %s failed: %s.", RepoConfigFile, err),
			Subject:  &hcl.Range{Filename: RepoConfigFile},
		}}
	}
	return parseRepoConfig(res, src)
}

// parseRepoConfig parses src as .driftgate.hcl and checks it against the
// repo that res reads.
func parseRepoConfig(res *resolver, src []byte) (*RepoConfig, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	file, diags := parser.ParseHCL(src, RepoConfigFile)
	cfg := &RepoConfig{Files: parser.Files()}
	if diags.HasErrors() {
		return cfg, diags
	}
	content, moreDiags := file.Body.Content(repoConfigSchema)
	diags = append(diags, moreDiags...)
	var syntax []*stackSyntax
	for _, block := range content.Blocks {
		s, syn, moreDiags := decodeStack(block)
		diags = append(diags, moreDiags...)
		cfg.Stacks = append(cfg.Stacks, s)
		syntax = append(syntax, syn)
	}
	diags = append(diags, checkRepoConfig(res, syntax, cfg.Stacks)...)
	return cfg, diags
}

// decodeStack decodes one stack block. Unknown arguments and blocks are
// reported by the schema, with "did you mean" suggestions.
func decodeStack(block *hcl.Block) (StackConfig, *stackSyntax, hcl.Diagnostics) {
	content, diags := block.Body.Content(stackSchema)
	s := StackConfig{Name: block.Labels[0], Workspace: DefaultWorkspace, DeclRange: block.DefRange}
	syn := &stackSyntax{block: block, attrs: content.Attributes, failed: make(map[string]bool)}
	decode := func(name string, target any) {
		d := decodeAttr(content.Attributes[name], target)
		if d.HasErrors() {
			syn.failed[name] = true
		}
		diags = append(diags, d...)
	}
	decode("dir", &s.Dir)
	decode("workspace", &s.Workspace)
	decode("var_files", &s.VarFiles)
	decode("terraform_version", &s.TerraformVersion)
	decode("depends_on", &s.DependsOn)
	decode("extra_triggers", &s.ExtraTriggers)
	return s, syn, diags
}
