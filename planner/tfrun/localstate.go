package tfrun

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// defaultWorkspace is terraform's name for the workspace every stack has.
const defaultWorkspace = "default"

// Where Terraform's local backend keeps state: the default workspace at
// `path`, every other one at <workspace_dir>/<name>/terraform.tfstate.
// Unset, `path` is terraform.tfstate and `workspace_dir` terraform.tfstate.d,
// both relative to the directory terraform runs in.
const (
	localStateFile    = "terraform.tfstate"
	localWorkspaceDir = "terraform.tfstate.d"
	workspacesDirName = "workspaces" // driftgate's default backend, see DefaultState
)

// LocalState is where the local backend driftgate gives a stack without a
// backend keeps its state: the default workspace's at Path, every other
// workspace's at WorkspaceDir/<name>/terraform.tfstate, as Terraform's
// local backend lays them out. Both paths are absolute.
type LocalState struct {
	Path         string
	WorkspaceDir string
	// Borrowed says the state belongs to a directory someone runs
	// terraform in (see DirState): a run creates nothing there, not even a
	// workspace, and fails when the workspace it needs does not exist.
	Borrowed bool
}

// WorkspacePath returns where workspace's state lives.
func (s LocalState) WorkspacePath(workspace string) string {
	if workspace == "" || workspace == defaultWorkspace {
		return s.Path
	}
	return filepath.Join(s.WorkspaceDir, workspace, localStateFile)
}

// DefaultState returns where driftgate keeps the state of the stack named
// key when it has no backend: <data dir>/state/<key>/terraform.tfstate, its
// other workspaces in workspaces/<name>/ next to it. The daemon keys a
// stack by repo and stack name, so this is where its applies write.
func (p *Planner) DefaultState(key string) LocalState {
	statePath := p.StatePath(key)
	return LocalState{Path: statePath, WorkspaceDir: filepath.Join(filepath.Dir(statePath), workspacesDirName)}
}

// DirState returns the state Terraform itself uses for a stack without a
// backend when run in dir: dir/terraform.tfstate, and
// dir/terraform.tfstate.d/<name>/terraform.tfstate for the other
// workspaces. It is Borrowed: a run only reads it (and locks it, as
// terraform plan does).
func DirState(dir string) LocalState {
	return LocalState{
		Path:         filepath.Join(dir, localStateFile),
		WorkspaceDir: filepath.Join(dir, localWorkspaceDir),
		Borrowed:     true,
	}
}

// stateOf returns where sp's default backend keeps state: sp.State when
// set, else DirState of its RunDir, else DefaultState of its key.
func (p *Planner) stateOf(sp StackPlan) LocalState {
	switch {
	case sp.State != nil:
		return *sp.State
	case sp.RunDir != "":
		return DirState(sp.RunDir)
	}
	return p.DefaultState(sp.Key)
}

// checkWorkspace fails when a Borrowed state has no workspace of that name:
// creating one would write to the directory's terraform.tfstate.d, which
// `terraform plan` there never does (it fails the same way).
func (s LocalState) checkWorkspace(workspace string) error {
	if !s.Borrowed || workspace == "" || workspace == defaultWorkspace {
		return nil
	}
	dir := filepath.Dir(s.WorkspacePath(workspace))
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("%w %q: %s does not exist; select an existing workspace, or create this one there with `terraform workspace new %s`", ErrNoWorkspace, workspace, dir, workspace)
	}
	return nil
}

// localBackend is what a root module's `backend "local"` block sets.
type localBackend struct {
	path         string
	workspaceDir string
}

// resolve returns where the backend keeps state when terraform runs in
// dir: its path (default terraform.tfstate) and workspace_dir (default
// terraform.tfstate.d) made absolute against dir, as a Borrowed state.
// moved reports whether either was relative or unset, so that a run's
// copy, where they would otherwise resolve, needs them overridden.
func (b localBackend) resolve(dir string) (state LocalState, moved bool) {
	abs := func(p, def string) string {
		if p == "" {
			p = def
		}
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		moved = true
		return filepath.Join(dir, p)
	}
	state = LocalState{Path: abs(b.path, localStateFile), WorkspaceDir: abs(b.workspaceDir, localWorkspaceDir), Borrowed: true}
	return state, moved
}

// statePath returns where the backend keeps workspace's state, or "" when
// that is relative: relative paths resolve inside the run's copy of the
// stack, which is removed after every run, so no state persists there.
func (b localBackend) statePath(workspace string) string {
	var p string
	if workspace == "" || workspace == defaultWorkspace {
		p = b.path
	} else if b.workspaceDir != "" {
		p = filepath.Join(b.workspaceDir, workspace, localStateFile)
	}
	if p == "" || !filepath.IsAbs(p) {
		return ""
	}
	return filepath.Clean(p)
}

var (
	tfFileBlocks = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "terraform"}}}
	tfBackends   = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "backend", LabelNames: []string{"type"}}}}
	localAttrs   = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "path"}, {Name: "workspace_dir"}}}
)

// readLocalBackend reads the `backend "local"` block of the root module in
// dir of src. found is false when there is none. As in Terraform, override
// files (*_override.tf, override.tf and their .tf.json forms) are read
// last, and a later block replaces an earlier one.
func readLocalBackend(src fs.FS, dir string) (b localBackend, found bool, err error) {
	names, err := rootModuleFiles(src, dir)
	if err != nil {
		return localBackend{}, false, err
	}
	parser := hclparse.NewParser()
	for _, name := range names {
		data, err := fs.ReadFile(src, name)
		if err != nil {
			return localBackend{}, false, fmt.Errorf("read %s: %w", name, err)
		}
		var file *hcl.File
		var diags hcl.Diagnostics
		if strings.HasSuffix(name, ".json") {
			file, diags = parser.ParseJSON(data, name)
		} else {
			file, diags = parser.ParseHCL(data, name)
		}
		if diags.HasErrors() {
			return localBackend{}, false, fmt.Errorf("parse %s: %w", name, diags)
		}
		fb, ok, err := localBackendIn(file.Body)
		if err != nil {
			return localBackend{}, false, fmt.Errorf("%s: %w", name, err)
		}
		if ok {
			b, found = fb, true
		}
	}
	return b, found, nil
}

// localBackendIn reads the last `backend "local"` block of body's terraform
// blocks.
func localBackendIn(body hcl.Body) (b localBackend, found bool, err error) {
	content, _, diags := body.PartialContent(tfFileBlocks)
	if diags.HasErrors() {
		return localBackend{}, false, diags
	}
	for _, tb := range content.Blocks {
		backends, _, diags := tb.Body.PartialContent(tfBackends)
		if diags.HasErrors() {
			return localBackend{}, false, diags
		}
		for _, bb := range backends.Blocks {
			if bb.Labels[0] != "local" {
				continue
			}
			attrs, _, diags := bb.Body.PartialContent(localAttrs)
			if diags.HasErrors() {
				return localBackend{}, false, diags
			}
			b, found = localBackend{}, true
			if b.path, err = literalAttr(attrs.Attributes["path"]); err != nil {
				return localBackend{}, false, err
			}
			if b.workspaceDir, err = literalAttr(attrs.Attributes["workspace_dir"]); err != nil {
				return localBackend{}, false, err
			}
		}
	}
	return b, found, nil
}

// literalAttr returns the string literal attr holds, "" when attr is nil.
// Terraform allows nothing but literals in a backend block.
func literalAttr(attr *hcl.Attribute) (string, error) {
	if attr == nil {
		return "", nil
	}
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return "", fmt.Errorf("backend %q: %w", attr.Name, diags)
	}
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return "", fmt.Errorf("backend %q at %s: not a string literal", attr.Name, attr.Range)
	}
	return v.AsString(), nil
}

// rootModuleFiles lists the .tf and .tf.json files directly in dir,
// override files last, each group sorted.
func rootModuleFiles(src fs.FS, dir string) ([]string, error) {
	dir = path.Clean(dir)
	entries, err := fs.ReadDir(src, dir)
	if err != nil {
		return nil, fmt.Errorf("read stack dir %s: %w", dir, err)
	}
	var primary, override []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tf.json")) {
			continue
		}
		stem := strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".tf")
		if stem == "override" || strings.HasSuffix(stem, "_override") {
			override = append(override, path.Join(dir, name))
		} else {
			primary = append(primary, path.Join(dir, name))
		}
	}
	sort.Strings(primary)
	sort.Strings(override)
	return append(primary, override...), nil
}
