package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// updateWire rewrites apiv1/testdata from the encodings below. The golden
// files were written from the store types before the API had its own wire
// types; rewriting them changes the documented API.
var updateWire = flag.Bool("update-wire", false, "rewrite runner/api/apiv1/testdata (changes the API: review the diff)")

// wireGoldenDir holds one file per answer shape, shared with apiv1's tests.
const wireGoldenDir = "apiv1/testdata"

// wireBodies are the bodies the server answers for the stored values of
// wire_fixtures_test.go, converted as the handlers convert them, by golden
// file name.
func wireBodies() map[string]any {
	full, minimal := wireRunFull(), wireRunMinimal()
	svFull, svMin := wireStateVersionFull(), wireStateVersionMinimal()
	svList := wireStateVersions([]store.StateVersion{svFull, svMin})
	svList[0].Version = nil
	driftFull, driftMin := wireDriftFull(), wireDriftMinimal()
	locks := wireLocks()
	holdFull, holdMin := wireHoldFull(), wireHoldMinimal()
	return map[string]any{
		"run_full.json":          wireRun(&full),
		"run_minimal.json":       wireRun(&minimal),
		"runs.json":              apiv1.RunList{Runs: wireRuns([]store.Run{full, minimal}), NextCursor: "01J0NEXT"},
		"runs_empty.json":        apiv1.RunList{Runs: wireRuns(nil)},
		"repos.json":             apiv1.RepoList{Repos: wireRepos(wireReposStored())},
		"stacks.json":            apiv1.StackList{Stacks: wireStacks(wireStacksStored())},
		"drift.json":             apiv1.DriftList{Stacks: []apiv1.StackDrift{wireStackDrift(&driftFull), wireStackDrift(&driftMin)}},
		"stack_drift.json":       wireStackDrift(&driftFull),
		"state_versions.json":    apiv1.StateVersionList{Versions: svList},
		"state_version.json":     wireStateVersion(&svFull),
		"state_version_min.json": wireStateVersion(&svMin),
		"state_diff.json":        apiv1.StateDiff{From: 3, To: 7, Changes: wireChanges()},
		"locks.json":             apiv1.LockList{Locks: []apiv1.StackLock{wireStackLock(&locks[0]), wireStackLock(&locks[1])}},
		"stack_lock_free.json":   wireStackLock(&StackLock{Repo: "infra", Stack: "network"}),
		"release.json":           wireRelease(&Release{Released: holdFull, Plan: &minimal}),
		"release_no_plan.json":   wireRelease(&Release{Released: holdMin}),
		"audit.json":             apiv1.AuditPage{Entries: wireAudit(wireAuditStored()), NextCursor: "01J0NEXTAUDIT"},
		"decision_request.json":  apiv1.DecisionRequest{Comment: "ship it"},
		"nodes.json":             apiv1.NodeList{Nodes: wireNodes(wireNodesStored())},
	}
}

// wireStateVersions converts versions as the listing does, bodies kept.
func wireStateVersions(versions []store.StateVersion) []apiv1.StateVersion {
	out := make([]apiv1.StateVersion, len(versions))
	for i := range versions {
		out[i] = wireStateVersion(&versions[i])
	}
	return out
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
