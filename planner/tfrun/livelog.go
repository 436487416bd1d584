package tfrun

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/statever"
)

// A plan's log is scrubbed of the plan's secrets when the plan is done,
// after `terraform show -json` said which values are sensitive. To stream
// it while terraform runs, the output is masked line by line with the
// secrets known before terraform starts (knownSecrets): the values given to
// the root module's sensitive variables and the sensitive values of the
// state the plan reads. The log kept in the result is then scrubbed of
// both sets, so what was masked live is masked there too, and the lines
// streamed are the lines kept unless terraform printed, unmarked, a secret
// known only after the plan.

// liveLog returns the secrets of req known before the plan, and the writer
// that sends req.Live the run's output masked with them, nil without
// req.Live. When the secrets cannot be read, the writer is nil too: the
// output is not streamed, and arrives with the result.
func (e *Executor) liveLog(req PlanRequest) (*analysis.Secrets, *analysis.LineWriter) {
	known, err := knownSecrets(req.Workdir, req.StatePath)
	if err != nil {
		if req.Live != nil {
			e.logger().Warn("plan output not streamed: the secrets to mask it with could not be read; the log arrives when the plan ends", "err", err)
		}
		return analysis.NewSecrets(), nil
	}
	if req.Live == nil {
		return known, nil
	}
	return known, analysis.NewLineWriter(req.Live, known)
}

func (e *Executor) logger() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// knownSecrets returns the secrets a plan of wd may print that are known
// before terraform runs: every value given to a variable the root module
// declares sensitive (its default, terraform.tfvars, *.auto.tfvars, the
// var files, and their .json forms; TF_VAR_ variables never reach
// terraform, see environ) and the sensitive values of the state at
// statePath, "" when the state is not a local file.
func knownSecrets(wd *Workdir, statePath string) (*analysis.Secrets, error) {
	secrets := analysis.NewSecrets()
	sensitive, err := sensitiveVariables(wd.StackDir, secrets)
	if err != nil {
		return nil, err
	}
	if len(sensitive) > 0 {
		files, err := varFiles(wd)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if err := addVarValues(f, sensitive, secrets); err != nil {
				return nil, err
			}
		}
	}
	if statePath == "" {
		return secrets, nil
	}
	raw, err := os.ReadFile(statePath)
	if errors.Is(err, fs.ErrNotExist) {
		return secrets, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	inState, err := statever.Secrets(raw)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", statePath, err)
	}
	secrets.Merge(inState)
	return secrets, nil
}

var (
	variableBlocks = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "variable", LabelNames: []string{"name"}}}}
	variableAttrs  = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "sensitive"}, {Name: "default"}}}
)

// sensitiveVariables returns the names of the variables the root module
// in dir declares sensitive, adding their defaults to secrets.
func sensitiveVariables(dir string, secrets *analysis.Secrets) (map[string]bool, error) {
	names, err := rootModuleFiles(os.DirFS(dir), ".")
	if err != nil {
		return nil, err
	}
	parser := hclparse.NewParser()
	out := map[string]bool{}
	for _, name := range names {
		file, err := parseFile(parser, filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		content, _, diags := file.Body.PartialContent(variableBlocks)
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s: %w", name, diags)
		}
		for _, b := range content.Blocks {
			attrs, _, diags := b.Body.PartialContent(variableAttrs)
			if diags.HasErrors() {
				return nil, fmt.Errorf("%s: %w", name, diags)
			}
			if !isTrue(attrs.Attributes["sensitive"]) {
				continue
			}
			out[b.Labels[0]] = true
			if d := attrs.Attributes["default"]; d != nil {
				addStrings(d, secrets)
			}
		}
	}
	return out, nil
}

// varFiles returns the files terraform reads variable values from when
// planning wd: terraform.tfvars(.json), *.auto.tfvars(.json) in the stack
// dir, then the var files.
func varFiles(wd *Workdir) ([]string, error) {
	entries, err := os.ReadDir(wd.StackDir)
	if err != nil {
		return nil, fmt.Errorf("read stack dir: %w", err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		if name == "terraform.tfvars" || name == "terraform.tfvars.json" ||
			strings.HasSuffix(name, ".auto.tfvars") || strings.HasSuffix(name, ".auto.tfvars.json") {
			files = append(files, filepath.Join(wd.StackDir, name))
		}
	}
	return append(files, wd.VarFiles...), nil
}

// addVarValues adds to secrets the values file gives the variables named
// in sensitive.
func addVarValues(file string, sensitive map[string]bool, secrets *analysis.Secrets) error {
	f, err := parseFile(hclparse.NewParser(), file)
	if err != nil {
		return err
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		return fmt.Errorf("%s: %w", filepath.Base(file), diags)
	}
	for name, attr := range attrs {
		if sensitive[name] {
			addStrings(attr, secrets)
		}
	}
	return nil
}

// parseFile parses an HCL file, or its JSON form for a .json name.
func parseFile(parser *hclparse.Parser, file string) (*hcl.File, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Base(file), err)
	}
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(file, ".json") {
		f, diags = parser.ParseJSON(data, file)
	} else {
		f, diags = parser.ParseHCL(data, file)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse %s: %w", filepath.Base(file), diags)
	}
	return f, nil
}

// isTrue reports whether attr is the literal true.
func isTrue(attr *hcl.Attribute) bool {
	if attr == nil {
		return false
	}
	v, diags := attr.Expr.Value(nil)
	return !diags.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type() == cty.Bool && v.True()
}

// addStrings adds every string inside attr's literal value to secrets. A
// value that is not a literal is skipped: terraform rejects it.
func addStrings(attr *hcl.Attribute, secrets *analysis.Secrets) {
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return
	}
	_ = cty.Walk(v, func(_ cty.Path, v cty.Value) (bool, error) {
		if v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
			secrets.Add(v.AsString())
		}
		return true, nil
	})
}

// priorStatePath returns the local state file a plan of sp reads, "" when
// there is none driftgate can read: another backend's state, or a local
// backend's relative path, which resolves inside the run's fresh copy.
func (p *Planner) priorStatePath(sp StackPlan) string {
	switch sp.Backend {
	case "":
		if sp.Key == "" && sp.State == nil && sp.RunDir == "" {
			return ""
		}
		return p.stateOf(sp).WorkspacePath(sp.Workspace)
	case "local":
		b, found, err := readLocalBackend(sp.Source, sp.Layout.Dir)
		if err != nil || !found {
			return ""
		}
		if sp.RunDir != "" {
			state, _ := b.resolve(sp.RunDir)
			return state.WorkspacePath(sp.Workspace)
		}
		return b.statePath(sp.Workspace)
	}
	return ""
}
