package analysis

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// mixedSecrets are the sensitive values planted in testdata/mixed.
var mixedSecrets = []string{
	"s3cr3t-from-var", "hunter2-rotated", "hunter2-tampered", "hunter2-original",
	"tok-abcdef-123", "tok-abcdef-000",
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name, "plan.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func TestProcessSummary(t *testing.T) {
	res, err := Process(readFixture(t, "mixed"))
	if err != nil {
		t.Fatal(err)
	}
	got := res.Analysis.Summary
	want := Summary{Add: 1, Change: 2, Destroy: 1, Replace: 1, Import: 1, Drifted: 3, OutputChanges: 2, HasChanges: true}
	if got != want {
		t.Errorf("summary:\n got %+v\nwant %+v", got, want)
	}
	if res.Analysis.TerraformVersion != "1.11.4" {
		t.Errorf("terraform version = %q", res.Analysis.TerraformVersion)
	}
}

func TestProcessChanges(t *testing.T) {
	res, err := Process(readFixture(t, "mixed"))
	if err != nil {
		t.Fatal(err)
	}
	byAddr := map[string]ResourceChange{}
	for _, c := range res.Analysis.Changes {
		byAddr[c.Address] = c
	}
	tests := []struct {
		addr    string
		action  Action
		paths   []string
		reason  string
		replace []string
	}{
		{"dgtest_server.web", ActionUpdate, []string{"port", "size", `tags["cost-center"]`}, "", nil},
		{"dgtest_server.new", ActionCreate, []string{"enabled", "id", "name", "size"}, "", nil},
		{"module.app.dgtest_server.api[0]", ActionReplace, []string{"id", "name"}, "replace_because_cannot_update", []string{"name"}},
		{"dgtest_server.old", ActionDelete, nil, "delete_because_no_resource_config", nil},
		{"dgtest_server.adopted", ActionNoop, nil, "", nil},
		{"dgtest_secret.db", ActionUpdate, []string{"value"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			c, ok := byAddr[tt.addr]
			if !ok {
				t.Fatalf("no change for %s", tt.addr)
			}
			if c.Action != tt.action {
				t.Errorf("action = %s, want %s", c.Action, tt.action)
			}
			var paths []string
			for _, a := range c.Attributes {
				paths = append(paths, a.Path)
			}
			if !reflect.DeepEqual(paths, tt.paths) {
				t.Errorf("paths = %q, want %q", paths, tt.paths)
			}
			if c.Reason != tt.reason {
				t.Errorf("reason = %q, want %q", c.Reason, tt.reason)
			}
			if !reflect.DeepEqual(c.ReplacePaths, tt.replace) {
				t.Errorf("replace paths = %q, want %q", c.ReplacePaths, tt.replace)
			}
		})
	}
	if _, ok := byAddr["dgtest_server.same"]; ok {
		t.Error("no-op resource listed as a change")
	}
	if c := byAddr["dgtest_server.adopted"]; !c.Importing || c.ImportID != "adopted" {
		t.Errorf("import not recorded: %+v", c)
	}
}

func TestProcessAttributeValues(t *testing.T) {
	res, err := Process(readFixture(t, "mixed"))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(list []ResourceChange, addr, path string) AttributeChange {
		t.Helper()
		for _, c := range list {
			if c.Address != addr {
				continue
			}
			for _, a := range c.Attributes {
				if a.Path == path {
					return a
				}
			}
		}
		t.Fatalf("no attribute %s of %s", path, addr)
		return AttributeChange{}
	}
	tests := []struct {
		name string
		got  AttributeChange
		want AttributeChange
	}{
		{"plain update", attr(res.Analysis.Changes, "dgtest_server.web", "size"),
			AttributeChange{Path: "size", Before: "large", After: "small"}},
		{"number", attr(res.Analysis.Changes, "dgtest_server.web", "port"),
			AttributeChange{Path: "port", Before: json.Number("8080"), After: json.Number("9090")}},
		{"unknown after apply", attr(res.Analysis.Changes, "dgtest_server.new", "id"),
			AttributeChange{Path: "id", Unknown: true}},
		{"sensitive", attr(res.Analysis.Changes, "dgtest_secret.db", "value"),
			AttributeChange{Path: "value", Before: Marker, After: Marker, Sensitive: true}},
		{"drift", attr(res.Analysis.Drift, "dgtest_server.web", "size"),
			AttributeChange{Path: "size", Before: "small", After: "large"}},
		{"sensitive drift", attr(res.Analysis.Drift, "dgtest_secret.db", "value"),
			AttributeChange{Path: "value", Before: Marker, After: Marker, Sensitive: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v\nwant %#v", tt.got, tt.want)
			}
		})
	}
}

func TestProcessDrift(t *testing.T) {
	res, err := Process(readFixture(t, "mixed"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Analysis.Drift {
		got = append(got, d.Address+" "+string(d.Kind))
	}
	want := []string{"dgtest_server.web changed", "dgtest_server.gone deleted", "dgtest_secret.db changed"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("drift = %q, want %q", got, want)
	}
}

func TestProcessOutputs(t *testing.T) {
	res, err := Process(readFixture(t, "mixed"))
	if err != nil {
		t.Fatal(err)
	}
	want := []OutputChange{
		{Name: "later", Action: ActionCreate, Unknown: true},
		{Name: "token", Action: ActionUpdate, Before: Marker, After: Marker, Sensitive: true},
	}
	if !reflect.DeepEqual(res.Analysis.Outputs, want) {
		t.Errorf("outputs:\n got %#v\nwant %#v", res.Analysis.Outputs, want)
	}
}

// TestSecretsNeverSurvive proves that no planted secret reaches anything
// Process returns: the redacted plan JSON or the analysis.
func TestSecretsNeverSurvive(t *testing.T) {
	res, err := Process(readFixture(t, "mixed"))
	if err != nil {
		t.Fatal(err)
	}
	analysis, err := json.Marshal(res.Analysis)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range mixedSecrets {
		for name, doc := range map[string][]byte{"redacted plan": res.RedactedJSON, "analysis": analysis} {
			if strings.Contains(string(doc), s) {
				t.Errorf("%s contains secret %q", name, s)
			}
		}
	}
	// Non-sensitive values survive.
	for _, keep := range []string{"eu-west-1", "https://example.test", "large"} {
		if !strings.Contains(string(res.RedactedJSON), keep) {
			t.Errorf("redacted plan lost non-sensitive value %q", keep)
		}
	}
	log := []byte("Error: provider said hunter2-rotated is wrong; var s3cr3t-from-var\n")
	scrubbed := string(res.Secrets.Scrub(log))
	for _, s := range mixedSecrets {
		if strings.Contains(scrubbed, s) {
			t.Errorf("scrubbed log contains %q: %s", s, scrubbed)
		}
	}
}

func TestRedactPlanKeepsUnknownFields(t *testing.T) {
	redacted, _, err := RedactPlan(readFixture(t, "mixed"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(redacted, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"timestamp", "applyable", "complete", "errored", "format_version"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("redacted plan lost field %q", k)
		}
	}
}

func TestProcessRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "{", `{"format_version": "9.0"}`, `[]`} {
		if _, err := Process([]byte(in)); err == nil {
			t.Errorf("Process(%q) succeeded", in)
		}
	}
}

func FuzzProcess(f *testing.F) {
	f.Add(readFixture(f, "mixed"))
	f.Add([]byte(`{"format_version":"1.2","resource_changes":[{"change":{"actions":["update"],"before":{"a":[1,2]},"after":{"a":[1]},"before_sensitive":{"a":[true]},"after_sensitive":true}}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := Process(raw)
		if err != nil {
			return
		}
		if _, err := json.Marshal(res.Analysis); err != nil {
			t.Fatalf("analysis does not marshal: %v", err)
		}
	})
}
