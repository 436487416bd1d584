package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// updateWire rewrites apiv1/testdata from the encodings below. The golden
// files were written from the store types before the API had its own wire
// types; rewriting them changes the documented API.
var updateWire = flag.Bool("update-wire", false, "rewrite runner/api/apiv1/testdata (changes the API: review the diff)")

// wireGoldenDir holds one file per answer shape, shared with apiv1's tests.
const wireGoldenDir = "apiv1/testdata"

// wireBodies are the bodies the server answers for the stored values of
// wire_fixtures_test.go, by golden file name.
func wireBodies() map[string]any {
	full, minimal := wireRunFull(), wireRunMinimal()
	svFull, svMin := wireStateVersionFull(), wireStateVersionMinimal()
	svList := []store.StateVersion{svFull, svMin}
	svList[0].Version = nil
	return map[string]any{
		"run_full.json":          full,
		"run_minimal.json":       minimal,
		"runs.json":              runsBody{Runs: []store.Run{full, minimal}, NextCursor: "01J0NEXT"},
		"runs_empty.json":        runsBody{Runs: nonNil[store.Run](nil)},
		"repos.json":             reposBody{Repos: wireReposStored()},
		"stacks.json":            stacksBody{Stacks: wireStacksStored()},
		"drift.json":             driftBody{Stacks: []StackDriftView{wireDriftFull(), wireDriftMinimal()}},
		"stack_drift.json":       wireDriftFull(),
		"state_versions.json":    stateVersionsBody{Versions: svList},
		"state_version.json":     svFull,
		"state_version_min.json": svMin,
		"state_diff.json":        StateDiff{From: 3, To: 7, Changes: wireChanges()},
		"locks.json":             locksBody{Locks: wireLocks()},
		"stack_lock_free.json":   StackLock{Repo: "infra", Stack: "network"},
		"release.json":           Release{Released: wireHoldFull(), Plan: &minimal},
		"release_no_plan.json":   Release{Released: wireHoldMinimal()},
		"audit.json":             auditBody{Entries: wireAuditStored(), NextCursor: "01J0NEXTAUDIT"},
		"decision_request.json":  decisionRequest{Comment: "ship it"},
	}
}

// TestWireGolden encodes every answer shape as the server does and
// compares it with apiv1/testdata: the API's JSON does not change.
func TestWireGolden(t *testing.T) {
	for name, body := range wireBodies() {
		t.Run(name, func(t *testing.T) {
			got, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join(wireGoldenDir, name)
			if *updateWire {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file: %v (run go test ./runner/api -run TestWireGolden -update-wire once to write it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s changed: the API's JSON must not change\ngot:\n%s\nwant:\n%s", name, pretty.Bytes(), want)
			}
		})
	}
}
