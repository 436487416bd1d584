package apiv1_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// TestGoldenRoundTrip decodes every golden answer (written from the
// server's encoding, see runner/api's TestWireGolden) into its wire type,
// refusing unknown fields, and encodes it again: the wire types carry every
// field the API sends, under the same names, and encode it the same way.
func TestGoldenRoundTrip(t *testing.T) {
	types := map[string]func() any{
		"run_full.json":          func() any { return new(apiv1.Run) },
		"run_minimal.json":       func() any { return new(apiv1.Run) },
		"runs.json":              func() any { return new(apiv1.RunList) },
		"runs_empty.json":        func() any { return new(apiv1.RunList) },
		"repos.json":             func() any { return new(apiv1.RepoList) },
		"stacks.json":            func() any { return new(apiv1.StackList) },
		"drift.json":             func() any { return new(apiv1.DriftList) },
		"stack_drift.json":       func() any { return new(apiv1.StackDrift) },
		"state_versions.json":    func() any { return new(apiv1.StateVersionList) },
		"state_version.json":     func() any { return new(apiv1.StateVersion) },
		"state_version_min.json": func() any { return new(apiv1.StateVersion) },
		"state_diff.json":        func() any { return new(apiv1.StateDiff) },
		"locks.json":             func() any { return new(apiv1.LockList) },
		"stack_lock_free.json":   func() any { return new(apiv1.StackLock) },
		"release.json":           func() any { return new(apiv1.Release) },
		"release_no_plan.json":   func() any { return new(apiv1.Release) },
		"audit.json":             func() any { return new(apiv1.AuditPage) },
		"decision_request.json":  func() any { return new(apiv1.DecisionRequest) },
		"nodes.json":             func() any { return new(apiv1.NodeList) },
	}
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(types) {
		t.Errorf("testdata has %d golden files, the test knows %d: give each file its type", len(files), len(types))
	}
	for name, newValue := range types {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			v := newValue()
			dec := json.NewDecoder(bytes.NewReader(want))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Fatalf("decode into %T: %v", v, err)
			}
			raw, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := json.Indent(&got, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			got.WriteByte('\n')
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%T encodes %s differently\ngot:\n%s\nwant:\n%s", v, name, got.Bytes(), want)
			}
		})
	}
}
