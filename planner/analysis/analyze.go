// Package analysis reads the plan JSON that `terraform show -json` prints
// (through terraform-json's types, never the human text) and turns it into
// what driftgate reports: counts, per-resource actions with the attribute
// paths that change, output changes and drift made outside Terraform. It
// also redacts every sensitive value from the plan and from anything derived
// from it. Everything here is pure: bytes in, values out.
package analysis

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	tfjson "github.com/hashicorp/terraform-json"
)

// Action is what a plan does to one resource or output.
type Action string

// Actions, simplified from Terraform's action lists.
const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionDelete  Action = "delete"
	ActionReplace Action = "replace"
	ActionRead    Action = "read"
	ActionForget  Action = "forget"
	ActionNoop    Action = "no-op"
)

// DriftKind says how a resource changed outside Terraform.
type DriftKind string

// Drift kinds.
const (
	DriftChanged DriftKind = "changed"
	DriftDeleted DriftKind = "deleted"
)

// Analysis is driftgate's account of one plan. Every value in it is redacted.
type Analysis struct {
	TerraformVersion string           `json:"terraform_version,omitempty"`
	Summary          Summary          `json:"summary"`
	Changes          []ResourceChange `json:"changes"`
	Drift            []ResourceChange `json:"drift"`
	Outputs          []OutputChange   `json:"outputs,omitempty"`
}

// Summary counts what a plan does. A replaced resource counts once, under
// Replace, not under Add and Destroy.
type Summary struct {
	Add           int  `json:"add"`
	Change        int  `json:"change"`
	Destroy       int  `json:"destroy"`
	Replace       int  `json:"replace"`
	Import        int  `json:"import"`
	Forget        int  `json:"forget,omitempty"`
	Drifted       int  `json:"drifted"`
	OutputChanges int  `json:"output_changes"`
	HasChanges    bool `json:"has_changes"`
}

// ResourceChange is one resource a plan changes, or one resource that
// changed outside Terraform (in Analysis.Drift, with Kind set).
type ResourceChange struct {
	Address       string            `json:"address"`
	ModuleAddress string            `json:"module_address,omitempty"`
	Mode          string            `json:"mode"`
	Type          string            `json:"type"`
	Name          string            `json:"name"`
	Provider      string            `json:"provider,omitempty"`
	Action        Action            `json:"action"`
	Kind          DriftKind         `json:"kind,omitempty"`
	Reason        string            `json:"reason,omitempty"`
	ImportID      string            `json:"import_id,omitempty"`
	Importing     bool              `json:"importing,omitempty"`
	Attributes    []AttributeChange `json:"attributes,omitempty"`
	ReplacePaths  []string          `json:"replace_paths,omitempty"`
}

// AttributeChange is one attribute path whose value changes. Sensitive
// values are replaced by Marker; Unknown means the new value is known only
// after apply.
type AttributeChange struct {
	Path      string `json:"path"`
	Before    any    `json:"before"`
	After     any    `json:"after"`
	Sensitive bool   `json:"sensitive,omitempty"`
	Unknown   bool   `json:"unknown,omitempty"`
}

// OutputChange is one root module output whose value changes.
type OutputChange struct {
	Name      string `json:"name"`
	Action    Action `json:"action"`
	Before    any    `json:"before"`
	After     any    `json:"after"`
	Sensitive bool   `json:"sensitive,omitempty"`
	Unknown   bool   `json:"unknown,omitempty"`
}

// Result is everything driftgate keeps of a plan's JSON: the analysis, the
// redacted plan, and the secrets removed from both, for scrubbing the
// plan's text and log.
type Result struct {
	Analysis     *Analysis
	RedactedJSON []byte
	Secrets      *Secrets
}

// Process analyses and redacts the JSON of a saved plan.
func Process(planJSON []byte) (*Result, error) {
	var plan tfjson.Plan
	plan.UseJSONNumber(true)
	if err := plan.UnmarshalJSON(planJSON); err != nil {
		return nil, fmt.Errorf("read plan json: %w", err)
	}
	return ProcessParsed(planJSON, &plan)
}

// ProcessParsed is Process for a caller that has already decoded the plan
// (with UseJSONNumber), as terraform-exec's ShowPlanFile does; planJSON must
// be the bytes plan was decoded from.
func ProcessParsed(planJSON []byte, plan *tfjson.Plan) (*Result, error) {
	redacted, secrets, err := RedactPlan(planJSON)
	if err != nil {
		return nil, err
	}
	a, more := AnalyzePlan(plan)
	secrets.Merge(more)
	a.scrub(secrets)
	return &Result{Analysis: a, RedactedJSON: redacted, Secrets: secrets}, nil
}

// Analyze reads a plan's JSON and returns its analysis, with sensitive values
// redacted, and the secrets it redacted.
func Analyze(planJSON []byte) (*Analysis, *Secrets, error) {
	var plan tfjson.Plan
	plan.UseJSONNumber(true)
	if err := plan.UnmarshalJSON(planJSON); err != nil {
		return nil, nil, fmt.Errorf("read plan json: %w", err)
	}
	a, secrets := AnalyzePlan(&plan)
	return a, secrets, nil
}

// AnalyzePlan is Analyze for a decoded plan. Decode with UseJSONNumber so
// that numbers keep their exact form.
func AnalyzePlan(plan *tfjson.Plan) (*Analysis, *Secrets) {
	secrets := NewSecrets()
	a := &Analysis{TerraformVersion: plan.TerraformVersion, Changes: []ResourceChange{}, Drift: []ResourceChange{}}

	for _, rc := range plan.ResourceChanges {
		if rc == nil || rc.Change == nil {
			continue
		}
		c := resourceChange(rc, secrets)
		if c.Action == ActionNoop && !c.Importing {
			continue
		}
		a.Summary.count(c)
		a.Changes = append(a.Changes, c)
	}
	for _, rc := range plan.ResourceDrift {
		if rc == nil || rc.Change == nil || rc.Mode == tfjson.DataResourceMode {
			continue
		}
		c := resourceChange(rc, secrets)
		switch c.Action {
		case ActionDelete:
			c.Kind = DriftDeleted
			c.Attributes = nil
		case ActionNoop:
			continue
		default:
			c.Kind = DriftChanged
		}
		a.Drift = append(a.Drift, c)
	}
	a.Summary.Drifted = len(a.Drift)

	names := make([]string, 0, len(plan.OutputChanges))
	for name := range plan.OutputChanges {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		oc := outputChange(name, plan.OutputChanges[name], secrets)
		if oc.Action == ActionNoop {
			continue
		}
		a.Outputs = append(a.Outputs, oc)
	}
	a.Summary.OutputChanges = len(a.Outputs)
	s := &a.Summary
	s.HasChanges = s.Add+s.Change+s.Destroy+s.Replace+s.Import+s.Forget+s.OutputChanges > 0
	return a, secrets
}

func (s *Summary) count(c ResourceChange) {
	if c.Importing {
		s.Import++
	}
	switch c.Action {
	case ActionCreate:
		s.Add++
	case ActionUpdate:
		s.Change++
	case ActionDelete:
		s.Destroy++
	case ActionReplace:
		s.Replace++
	case ActionForget:
		s.Forget++
	}
}

// action folds Terraform's action list into one Action.
func action(actions tfjson.Actions) Action {
	switch {
	case actions.Replace():
		return ActionReplace
	case actions.Create():
		return ActionCreate
	case actions.Update():
		return ActionUpdate
	case actions.Delete():
		return ActionDelete
	case actions.Read():
		return ActionRead
	case actions.Forget():
		return ActionForget
	}
	return ActionNoop
}

func resourceChange(rc *tfjson.ResourceChange, secrets *Secrets) ResourceChange {
	ch := rc.Change
	c := ResourceChange{
		Address:       rc.Address,
		ModuleAddress: rc.ModuleAddress,
		Mode:          string(rc.Mode),
		Type:          rc.Type,
		Name:          rc.Name,
		Provider:      rc.ProviderName,
		Action:        action(ch.Actions),
		Reason:        string(rc.ActionReason),
	}
	if ch.Importing != nil {
		c.Importing = true
		c.ImportID = ch.Importing.ID
	}
	for _, rp := range ch.ReplacePaths {
		c.ReplacePaths = append(c.ReplacePaths, toPath(rp).String())
	}
	if c.Action == ActionDelete || c.Action == ActionForget {
		return c
	}
	c.Attributes = attributeChanges(ch, secrets)
	return c
}

// attributeChanges lists the attribute paths a change alters, with redacted
// before and after values.
func attributeChanges(ch *tfjson.Change, secrets *Secrets) []AttributeChange {
	sensitive := func(p Path) bool {
		return maskCovers(ch.BeforeSensitive, p) || maskCovers(ch.AfterSensitive, p)
	}
	var out []AttributeChange
	for _, p := range changedPaths(ch.Before, ch.After, ch.AfterUnknown, sensitive) {
		ac := AttributeChange{Path: p.String(), Sensitive: sensitive(p)}
		ac.Before = redactAt(ch.Before, ch.BeforeSensitive, p, secrets)
		if maskCovers(ch.AfterUnknown, p) {
			ac.Unknown = true
		} else {
			ac.After = redactAt(ch.After, ch.AfterSensitive, p, secrets)
		}
		out = append(out, ac)
	}
	return out
}

// redactAt returns the redacted value of v at path p under mask.
func redactAt(v, mask any, p Path, secrets *Secrets) any {
	val, _ := valueAt(v, p)
	sub, covered := valueAt(mask, p)
	if covered {
		sub = true
	}
	return redactValue(val, sub, secrets)
}

func outputChange(name string, ch *tfjson.Change, secrets *Secrets) OutputChange {
	oc := OutputChange{Name: name, Action: ActionNoop}
	if ch == nil {
		return oc
	}
	oc.Action = action(ch.Actions)
	oc.Sensitive = isTrue(ch.BeforeSensitive) || isTrue(ch.AfterSensitive)
	oc.Before = redactValue(ch.Before, ch.BeforeSensitive, secrets)
	if isTrue(ch.AfterUnknown) {
		oc.Unknown = true
	} else {
		oc.After = redactValue(ch.After, ch.AfterSensitive, secrets)
	}
	return oc
}

// toPath converts a path as found in replace_paths (strings and numbers).
func toPath(raw any) Path {
	steps, _ := raw.([]any)
	p := make(Path, 0, len(steps))
	for _, s := range steps {
		switch v := s.(type) {
		case string:
			p = append(p, v)
		case json.Number:
			if i, err := strconv.Atoi(v.String()); err == nil {
				p = append(p, i)
			}
		case float64:
			p = append(p, int(v))
		}
	}
	return p
}

// scrub removes every secret from the analysis's values.
func (a *Analysis) scrub(secrets *Secrets) {
	for _, list := range [][]ResourceChange{a.Changes, a.Drift} {
		for i := range list {
			for j := range list[i].Attributes {
				at := &list[i].Attributes[j]
				at.Before = secrets.scrubTree(at.Before)
				at.After = secrets.scrubTree(at.After)
			}
			list[i].ImportID = secrets.ScrubString(list[i].ImportID)
		}
	}
	for i := range a.Outputs {
		a.Outputs[i].Before = secrets.scrubTree(a.Outputs[i].Before)
		a.Outputs[i].After = secrets.scrubTree(a.Outputs[i].After)
	}
}
