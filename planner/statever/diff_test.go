package statever

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	web := func(attrs map[string]any) Resource {
		return Resource{Address: "dgtest_server.web", Mode: "managed", Type: "dgtest_server", Name: "web", Attributes: attrs}
	}
	db := Resource{Address: "dgtest_secret.db", Mode: "managed", Type: "dgtest_secret", Name: "db",
		Attributes: map[string]any{"value": "(sensitive value hmac:0000000001)"}}
	dbRotated := db
	dbRotated.Attributes = map[string]any{"value": "(sensitive value hmac:0000000002)"}
	deposed := web(map[string]any{"id": "old"})
	deposed.Deposed = "00000001"
	version := func(lineage string, rs ...Resource) *Version {
		return &Version{Lineage: lineage, Resources: rs}
	}
	tests := []struct {
		name     string
		from, to *Version
		want     Changes
	}{
		{"both nil", nil, nil, Changes{}},
		{"identical", version("l", db), version("l", db), Changes{}},
		{"first version", nil, version("l", db, web(nil)), Changes{Added: []string{"dgtest_secret.db", "dgtest_server.web"}}},
		{"state gone", version("l", db), nil, Changes{Removed: []string{"dgtest_secret.db"}}},
		{"added and removed", version("l", db), version("l", web(nil)),
			Changes{Added: []string{"dgtest_server.web"}, Removed: []string{"dgtest_secret.db"}}},
		{"deposed object is its own resource", version("l", web(nil)), version("l", web(nil), deposed),
			Changes{Added: []string{"dgtest_server.web (deposed 00000001)"}}},
		{"lineage changed", version("a", db), version("b", db), Changes{LineageChanged: true}},
		{"secret rotated", version("l", db), version("l", dbRotated), Changes{Changed: []ResourceChange{{
			Address: "dgtest_secret.db", Attributes: []AttributeChange{{
				Path: "value", Before: "(sensitive value hmac:0000000001)", After: "(sensitive value hmac:0000000002)", Sensitive: true,
			}},
		}}}},
		{"nested paths", version("l", web(map[string]any{
			"size": "small",
			"tags": map[string]any{"env": "prod", "cost-center": "a", "gone": "x"},
			"ingress": []any{
				map[string]any{"from_port": json.Number("443")},
				map[string]any{"from_port": json.Number("22")},
			},
			"list":  []any{"a"},
			"typed": "x",
		})), version("l", web(map[string]any{
			"size": "small",
			"tags": map[string]any{"env": "dev", "cost-center": "b", "new": "y"},
			"ingress": []any{
				map[string]any{"from_port": json.Number("443")},
				map[string]any{"from_port": json.Number("2222")},
			},
			"list":  []any{"a", "b"},
			"typed": []any{"x"},
		})), Changes{Changed: []ResourceChange{{Address: "dgtest_server.web", Attributes: []AttributeChange{
			{Path: "ingress[1].from_port", Before: json.Number("22"), After: json.Number("2222")},
			{Path: "list", Before: []any{"a"}, After: []any{"a", "b"}},
			{Path: `tags["cost-center"]`, Before: "a", After: "b"},
			{Path: "tags.env", Before: "prod", After: "dev"},
			{Path: "tags.gone", Before: "x", After: nil},
			{Path: "tags.new", Before: nil, After: "y"},
			{Path: "typed", Before: "x", After: []any{"x"}},
		}}}}},
		{"null and absent are the same", version("l", web(map[string]any{"port": nil})), version("l", web(map[string]any{})), Changes{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.from, tt.to)
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(tt.want, "", " ")
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
			if got.Empty() != reflect.DeepEqual(tt.want, Changes{}) {
				t.Errorf("Empty() = %v", got.Empty())
			}
		})
	}
}

func TestDiffOutputs(t *testing.T) {
	mk := "(sensitive value hmac:0000000001)"
	mk2 := "(sensitive value hmac:0000000002)"
	tests := []struct {
		name     string
		from, to map[string]Output
		want     []OutputChange
	}{
		{"unchanged", map[string]Output{"a": {Value: "x"}}, map[string]Output{"a": {Value: "x"}}, nil},
		{"added", nil, map[string]Output{"a": {Value: "x"}}, []OutputChange{{Name: "a", Action: ActionAdd, After: "x"}}},
		{"removed", map[string]Output{"a": {Value: "x"}}, nil, []OutputChange{{Name: "a", Action: ActionRemove, Before: "x"}}},
		{"changed", map[string]Output{"a": {Value: "x"}}, map[string]Output{"a": {Value: "y"}},
			[]OutputChange{{Name: "a", Action: ActionChange, Before: "x", After: "y"}}},
		{"secret rotated", map[string]Output{"s": {Value: mk, Sensitive: true}}, map[string]Output{"s": {Value: mk2, Sensitive: true}},
			[]OutputChange{{Name: "s", Action: ActionChange, Before: mk, After: mk2, Sensitive: true}}},
		{"became sensitive", map[string]Output{"s": {Value: mk}}, map[string]Output{"s": {Value: mk, Sensitive: true}},
			[]OutputChange{{Name: "s", Action: ActionChange, Before: mk, After: mk, Sensitive: true}}},
		{"sorted by name", nil, map[string]Output{"b": {Value: "1"}, "a": {Value: "2"}},
			[]OutputChange{{Name: "a", Action: ActionAdd, After: "2"}, {Name: "b", Action: ActionAdd, After: "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(&Version{Outputs: tt.from}, &Version{Outputs: tt.to}).Outputs
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestDiffRedactedVersions diffs two states as Redact makes them: a
// rotated secret shows as a changed marker, never as its value.
func TestDiffRedactedVersions(t *testing.T) {
	a, err := Redact(secretState("old-secret-value"), testKey)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Redact(secretState("new-secret-value"), testKey)
	if err != nil {
		t.Fatal(err)
	}
	c := Diff(a, b)
	if len(c.Changed) != 1 || len(c.Changed[0].Attributes) != 1 || len(c.Outputs) != 1 {
		t.Fatalf("changes = %+v", c)
	}
	ac := c.Changed[0].Attributes[0]
	if ac.Path != "value" || !ac.Sensitive || !IsMarker(ac.Before) || !IsMarker(ac.After) || ac.Before == ac.After {
		t.Errorf("attribute change = %+v", ac)
	}
	raw, _ := json.Marshal(c)
	for _, s := range []string{"old-secret-value", "new-secret-value"} {
		if strings.Contains(string(raw), s) {
			t.Errorf("diff contains %q", s)
		}
	}
}
