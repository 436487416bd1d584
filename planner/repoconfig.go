package planner

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/robfig/cron/v3"
)

// RepoConfigFile is the name of the optional repo config, at the repo root.
const RepoConfigFile = ".driftgate.hcl"

// DefaultWorkspace is the Terraform workspace of a stack that names none.
const DefaultWorkspace = "default"

// DriftScheduleOff is the drift_schedule that turns scheduled drift checks
// off.
const DriftScheduleOff = "off"

// MinDriftInterval is the shortest "@every" drift schedule. cron already
// rounds shorter ones up to it; anything negative is refused. A check runs
// terraform plan, so a real repo wants minutes; tests use seconds.
const MinDriftInterval = time.Second

// The on_drift values: what a drift check does when it finds drift.
// OnDriftApply is allowed only on a stack in .driftgate.hcl, never as a
// repo-wide default.
const (
	OnDriftNotify = "notify" // report the drift; the default
	OnDriftPlan   = "plan"   // report it and plan the stack's code
	OnDriftApply  = "apply"  // report it and apply the stack's code
)

// The apply values: how a stack's plans are applied.
const (
	// ApplyManual plans wait for approval; the default.
	ApplyManual = "manual"
	// ApplyAuto plans are applied without approval, except plans that
	// delete or replace resources when the stack does not allow_destroy:
	// those wait for approval as under ApplyManual.
	ApplyAuto = "auto"
)

// DefaultApprovals is how many approvals a plan needs when the stack says
// nothing.
const DefaultApprovals = 1

// RepoConfig is a parsed .driftgate.hcl.
type RepoConfig struct {
	// Stacks are the declared stacks, in file order. When there are any,
	// they are the repo's stacks and discovery does not guess.
	Stacks []StackConfig
	// Discover filters the root modules that discovery makes stacks of.
	// It applies only when Stacks is empty.
	Discover DiscoverConfig
	// Files holds the parsed source, so that diagnostics can be printed with
	// snippets (see WriteDiagnostics).
	Files map[string]*hcl.File
}

// DiscoverConfig is the `discover { ... }` block of the repo config: globs
// of directories (the syntax of extra_triggers) that filter the root
// modules discovery finds. A root module is a stack when Include is empty
// or one of its globs matches the directory, and no Exclude glob matches
// it.
type DiscoverConfig struct {
	Include []string
	Exclude []string
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
	// DriftSchedule is when to check the stack for drift: a cron schedule
	// (see ParseDriftSchedule) or DriftScheduleOff. Empty means the repo's
	// schedule from the server config.
	DriftSchedule string
	// OnDrift is OnDriftNotify, OnDriftPlan or OnDriftApply, or empty for
	// the repo's default from the server config.
	OnDrift string
	// IgnoreDrift is the drift the stack accepts, in file order.
	IgnoreDrift []IgnoreRule

	// The apply policy. Its zero value is the default, and what a
	// discovered stack has: manual apply, DefaultApprovals approvals by
	// any approver, no destroying without the destroy permission, no
	// self-approval. Unset arguments stay zero, so that a declared stack
	// that says nothing and a discovered one look alike.

	// Apply is ApplyManual or ApplyAuto; empty means ApplyManual.
	Apply string
	// Approvals is how many distinct approvers must approve a plan before
	// it is applied: at least 1; 0 (unset) means DefaultApprovals.
	Approvals int
	// Approvers are the names of the API tokens (token blocks of the
	// server config) allowed to approve, unique. Empty means any token
	// whose role is approver or admin.
	Approvers []string
	// AllowDestroy lets any approver approve a plan that deletes or
	// replaces resources. When false (the default) such a plan needs
	// approvers holding the destroy permission (admins hold it).
	AllowDestroy bool
	// SelfApproval lets the principal who triggered a run approve its
	// plan. False by default: an approval needs a second person, and a
	// plan triggered by a commit or a schedule has no such principal.
	SelfApproval bool
	// PRApprovals counts the approving reviews of a merged pull request
	// toward Approvals, for a repo with a forge (pr_approvals, default
	// true).
	PRApprovals bool

	// DeclRange is where the block starts, for diagnostics.
	DeclRange hcl.Range
}

// IgnoreRule is one ignore_drift block: drift in the matching resources is
// accepted rather than reported.
type IgnoreRule struct {
	// Resources are globs of resource addresses, in the drift engine's
	// syntax (see drift.Rule: "aws_autoscaling_group.*", "module.app.**",
	// `aws_instance.web\[0\]`); never empty.
	Resources []string `json:"resources"`
	// Attributes are attribute path prefixes, such as "tags" or
	// "desired_capacity"; empty means any attribute.
	Attributes []string `json:"attributes,omitempty"`
}

// ParseDriftSchedule parses a drift_schedule: five cron fields ("0 * * * *",
// optionally after "CRON_TZ=Zone "), a descriptor such as "@hourly", or
// "@every <duration>" of at least MinDriftInterval. DriftScheduleOff gives a
// nil schedule and no error.
func ParseDriftSchedule(spec string) (cron.Schedule, error) {
	if spec == DriftScheduleOff {
		return nil, nil
	}
	// cron rounds "@every" below a second up to a second, negative ones
	// included: check the duration as written.
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(rest)); err == nil && d < MinDriftInterval {
			return nil, fmt.Errorf("drift_schedule %q: interval %s is shorter than the minimum of %s", spec, d, MinDriftInterval)
		}
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("drift_schedule %q: %w", spec, err)
	}
	return sched, nil
}

// repoConfigHCL is the HCL shape of .driftgate.hcl, decoded by gohcl. Only
// this file and the checks in repoconfig_check.go see it; the rest of the
// planner sees RepoConfig.
type repoConfigHCL struct {
	Stacks   []stackBlock    `hcl:"stack,block"`
	Discover []discoverBlock `hcl:"discover,block"`
}

// discoverBlock is the discover block as written; more than one is an
// error.
type discoverBlock struct {
	Include  []string  `hcl:"include,optional"`
	Exclude  []string  `hcl:"exclude,optional"`
	Body     hcl.Body  `hcl:",body"`
	DefRange hcl.Range `hcl:",def_range"`
}

// stackBlock is one stack block as written. Optional arguments are pointers
// or slices, so that an absent or null argument stays nil.
//
// A new argument is a field here and in StackConfig, a line in
// stackBlock.config and, when its value needs checking, a check in
// repoconfig_check.go that finds the argument's range with
// configChecker.attrRanges.
type stackBlock struct {
	Name             string   `hcl:"name,label"`
	Dir              string   `hcl:"dir"`
	Workspace        *string  `hcl:"workspace,optional"`
	VarFiles         []string `hcl:"var_files,optional"`
	TerraformVersion *string  `hcl:"terraform_version,optional"`
	DependsOn        []string `hcl:"depends_on,optional"`
	ExtraTriggers    []string `hcl:"extra_triggers,optional"`

	// Drift policy.
	DriftSchedule *string            `hcl:"drift_schedule,optional"`
	OnDrift       *string            `hcl:"on_drift,optional"`
	IgnoreDrift   []ignoreDriftBlock `hcl:"ignore_drift,block"`
	// Apply policy.
	Apply        *string  `hcl:"apply,optional"`
	Approvals    *int     `hcl:"approvals,optional"`
	Approvers    []string `hcl:"approvers,optional"`
	AllowDestroy *bool    `hcl:"allow_destroy,optional"`
	SelfApproval *bool    `hcl:"self_approval,optional"`
	PRApprovals  *bool    `hcl:"pr_approvals,optional"`

	// Body is the block's body, to find arguments' ranges for diagnostics.
	Body      hcl.Body  `hcl:",body"`
	DefRange  hcl.Range `hcl:",def_range"`
	NameRange hcl.Range `hcl:"name,label_range"`
}

// ignoreDriftBlock is one `ignore_drift { ... }` block of a stack.
type ignoreDriftBlock struct {
	Resources  []string  `hcl:"resources"`
	Attributes []string  `hcl:"attributes,optional"`
	Body       hcl.Body  `hcl:",body"`
	DefRange   hcl.Range `hcl:",def_range"`
}

// config returns the stack as the planner sees it, with defaults filled in.
func (b *stackBlock) config() StackConfig {
	s := StackConfig{
		Name:          b.Name,
		Dir:           b.Dir,
		Workspace:     DefaultWorkspace,
		VarFiles:      b.VarFiles,
		DependsOn:     b.DependsOn,
		ExtraTriggers: b.ExtraTriggers,
		Approvers:     b.Approvers,
		DeclRange:     b.DefRange,
		PRApprovals:   true,
	}
	if b.PRApprovals != nil {
		s.PRApprovals = *b.PRApprovals
	}
	if b.Workspace != nil {
		s.Workspace = *b.Workspace
	}
	if b.TerraformVersion != nil {
		s.TerraformVersion = *b.TerraformVersion
	}
	if b.DriftSchedule != nil {
		s.DriftSchedule = *b.DriftSchedule
	}
	if b.OnDrift != nil {
		s.OnDrift = *b.OnDrift
	}
	for _, ib := range b.IgnoreDrift {
		s.IgnoreDrift = append(s.IgnoreDrift, IgnoreRule{Resources: ib.Resources, Attributes: ib.Attributes})
	}
	if b.Apply != nil {
		s.Apply = *b.Apply
	}
	if len(s.Approvers) == 0 {
		s.Approvers = nil // approvers = [] is any approver, like no approvers
	}
	if b.Approvals != nil {
		s.Approvals = *b.Approvals
	}
	if b.AllowDestroy != nil {
		s.AllowDestroy = *b.AllowDestroy
	}
	if b.SelfApproval != nil {
		s.SelfApproval = *b.SelfApproval
	}
	return s
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
	// Decoding goes on past errors, as far as it can: unknown arguments
	// ("Did you mean …?"), missing ones and values of the wrong type are
	// reported by gohcl, and the checks skip the arguments that failed.
	var decoded repoConfigHCL
	decodeDiags := tidyDecodeDiags(gohcl.DecodeBody(file.Body, nil, &decoded))
	diags = append(diags, decodeDiags...)
	for i := range decoded.Stacks {
		cfg.Stacks = append(cfg.Stacks, decoded.Stacks[i].config())
	}
	diags = append(diags, checkRepoConfig(res, decoded.Stacks, cfg.Stacks, decodeDiags)...)
	if len(decoded.Discover) > 0 {
		cfg.Discover = DiscoverConfig{Include: decoded.Discover[0].Include, Exclude: decoded.Discover[0].Exclude}
		diags = append(diags, checkDiscover(decoded.Discover, decoded.Stacks, decodeDiags)...)
	}
	return cfg, diags
}

// tidyDecodeDiags puts gohcl's diagnostics in source order (gohcl decodes
// arguments in map order) and drops its follow-on errors: an expression
// that fails to evaluate (such as var.x, since the file has no variables)
// gives an unknown value, which gohcl reports again as unsuitable, at the
// expression's start and with the whole expression as Context.
func tidyDecodeDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	var kept hcl.Diagnostics
	for _, d := range diags {
		if !followsOn(d, kept) {
			kept = append(kept, d)
		}
	}
	slices.SortStableFunc(kept, func(a, b *hcl.Diagnostic) int {
		return cmp.Compare(subjectOffset(a), subjectOffset(b))
	})
	return kept
}

// followsOn reports whether d is an error about a whole expression in which
// one of the earlier diagnostics already reported an error.
func followsOn(d *hcl.Diagnostic, earlier hcl.Diagnostics) bool {
	if d.Severity != hcl.DiagError || d.Subject == nil || d.Context == nil || d.Subject.Start != d.Context.Start {
		return false
	}
	return slices.ContainsFunc(earlier, func(e *hcl.Diagnostic) bool {
		return e.Severity == hcl.DiagError && e.Subject != nil && d.Context.ContainsOffset(e.Subject.Start.Byte)
	})
}

// subjectOffset is where d points in the file, -1 when it points nowhere.
func subjectOffset(d *hcl.Diagnostic) int {
	if d.Subject == nil {
		return -1
	}
	return d.Subject.Start.Byte
}
