package statever

import (
	"reflect"
	"sort"

	"github.com/driftgate/driftgate/planner/analysis"
)

// Action is what happened to an output between two versions.
type Action string

// Output actions.
const (
	ActionAdd    Action = "add"
	ActionRemove Action = "remove"
	ActionChange Action = "change"
)

// Changes is what differs between two state versions. Resources are named
// by address; a deposed object as "ADDRESS (deposed KEY)".
type Changes struct {
	// LineageChanged reports that the two versions belong to different
	// lineages: the state was replaced, not updated.
	LineageChanged bool             `json:"lineage_changed,omitempty"`
	Added          []string         `json:"added,omitempty"`
	Removed        []string         `json:"removed,omitempty"`
	Changed        []ResourceChange `json:"changed,omitempty"`
	Outputs        []OutputChange   `json:"outputs,omitempty"`
}

// ResourceChange is a resource present in both versions whose attributes
// differ.
type ResourceChange struct {
	Address    string            `json:"address"`
	Attributes []AttributeChange `json:"attributes"`
}

// AttributeChange is one attribute path whose value differs, rendered as
// Terraform does: tags["env"], ingress[0].from_port. Sensitive reports that
// a side is a redaction marker: the values are markers, and a change of
// marker means the secret changed.
type AttributeChange struct {
	Path      string `json:"path"`
	Before    any    `json:"before"`
	After     any    `json:"after"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

// OutputChange is one root output added, removed or changed.
type OutputChange struct {
	Name      string `json:"name"`
	Action    Action `json:"action"`
	Before    any    `json:"before"`
	After     any    `json:"after"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

// Empty reports whether nothing changed.
func (c *Changes) Empty() bool {
	return !c.LineageChanged && len(c.Added) == 0 && len(c.Removed) == 0 &&
		len(c.Changed) == 0 && len(c.Outputs) == 0
}

// Diff compares two versions of a stack's state. A nil from is the empty
// state before the first version; a nil to is the state gone. Values are
// compared as decoded, so both versions should come from Redact or Decode.
// Every list in the result is sorted.
func Diff(from, to *Version) Changes {
	var c Changes
	if from == nil {
		from = &Version{}
	}
	if to == nil {
		to = &Version{}
	}
	c.LineageChanged = from.Lineage != "" && to.Lineage != "" && from.Lineage != to.Lineage
	before := byKey(from.Resources)
	after := byKey(to.Resources)
	for k, a := range after {
		b, ok := before[k]
		if !ok {
			c.Added = append(c.Added, k)
			continue
		}
		if attrs := attributeChanges(b.Attributes, a.Attributes); len(attrs) > 0 {
			c.Changed = append(c.Changed, ResourceChange{Address: k, Attributes: attrs})
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			c.Removed = append(c.Removed, k)
		}
	}
	sort.Strings(c.Added)
	sort.Strings(c.Removed)
	sort.Slice(c.Changed, func(i, j int) bool { return c.Changed[i].Address < c.Changed[j].Address })
	c.Outputs = outputChanges(from.Outputs, to.Outputs)
	return c
}

func byKey(rs []Resource) map[string]*Resource {
	m := make(map[string]*Resource, len(rs))
	for i := range rs {
		m[rs[i].key()] = &rs[i]
	}
	return m
}

// attributeChanges returns the leaf paths at which two attribute objects
// differ. Objects are compared key by key and lists of equal length index
// by index; a list whose length changed, or a value whose type changed, is
// reported at its own path.
func attributeChanges(before, after map[string]any) []AttributeChange {
	var out []AttributeChange
	var walk func(b, a any, p analysis.Path)
	walk = func(b, a any, p analysis.Path) {
		bm, bok := b.(map[string]any)
		am, aok := a.(map[string]any)
		if (bok || b == nil) && (aok || a == nil) && (bok || aok) {
			for _, k := range unionKeys(bm, am) {
				walk(bm[k], am[k], with(p, k))
			}
			return
		}
		bl, blok := b.([]any)
		al, alok := a.([]any)
		if blok && alok && len(bl) == len(al) {
			for i := range bl {
				walk(bl[i], al[i], with(p, i))
			}
			return
		}
		if !reflect.DeepEqual(b, a) {
			out = append(out, AttributeChange{
				Path: p.String(), Before: b, After: a, Sensitive: IsMarker(b) || IsMarker(a),
			})
		}
	}
	walk(before, after, nil)
	return out
}

// outputChanges compares two versions' outputs, by name.
func outputChanges(before, after map[string]Output) []OutputChange {
	var out []OutputChange
	for _, name := range unionKeys(before, after) {
		b, bok := before[name]
		a, aok := after[name]
		oc := OutputChange{Name: name, Before: b.Value, After: a.Value, Sensitive: b.Sensitive || a.Sensitive}
		switch {
		case !bok:
			oc.Action = ActionAdd
		case !aok:
			oc.Action = ActionRemove
		case b.Sensitive != a.Sensitive || !reflect.DeepEqual(b.Value, a.Value):
			oc.Action = ActionChange
		default:
			continue
		}
		out = append(out, oc)
	}
	return out
}

// with returns p extended by step, never sharing p's backing array.
func with(p analysis.Path, step any) analysis.Path {
	out := make(analysis.Path, len(p), len(p)+1)
	copy(out, p)
	return append(out, step)
}

// unionKeys returns the keys of both maps, sorted.
func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
