package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

func testPlans(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	r := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})

	_, err := s.GetPlan(ctx, r.ID)
	wantErr(t, "GetPlan before PutPlan", err, store.ErrNotFound)
	p := &store.Plan{RunID: r.ID, JSON: []byte(`{"a":1}`), Text: []byte("text"), Analysis: []byte(`{"b":2}`), File: planFile}
	mustNot(t, "PutPlan", s.PutPlan(ctx, p))
	if p.SHA256 != sha(planFile) || p.FileSize != int64(len(planFile)) {
		t.Errorf("PutPlan set SHA256 %q FileSize %d", p.SHA256, p.FileSize)
	}
	got, err := s.GetPlan(ctx, r.ID)
	mustNot(t, "GetPlan", err)
	want := *p
	want.File = nil
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("GetPlan = %+v, want %+v", *got, want)
	}

	// A second PutPlan replaces the first; empty parts are absent.
	mustNot(t, "PutPlan again", s.PutPlan(ctx, &store.Plan{RunID: r.ID, Text: []byte("new text")}))
	got, err = s.GetPlan(ctx, r.ID)
	mustNot(t, "GetPlan", err)
	if got.JSON != nil || got.Analysis != nil || string(got.Text) != "new text" || got.SHA256 != "" || got.FileSize != 0 {
		t.Errorf("GetPlan after a replace = %+v, want only the new text", got)
	}
	_, _, err = s.GetPlanFile(ctx, r.ID)
	wantErr(t, "GetPlanFile of a plan without file", err, store.ErrNotFound)

	wantErr(t, "PutPlan of an unknown run", s.PutPlan(ctx, &store.Plan{RunID: unknownID, Text: []byte("x")}), store.ErrNotFound)
	wantErr(t, "PutPlan malformed id", s.PutPlan(ctx, &store.Plan{RunID: badID, Text: []byte("x")}), store.ErrInvalid)
	_, err = s.GetPlan(ctx, unknownID)
	wantErr(t, "GetPlan unknown run", err, store.ErrNotFound)
	_, _, err = s.GetPlanFile(ctx, unknownID)
	wantErr(t, "GetPlanFile unknown run", err, store.ErrNotFound)

	// Without a key a plan file is stored as it is, so one that starts
	// like a sealed value is refused: it could not be read back.
	sealedLooking := append([]byte("DGE1"), planFile...)
	wantErr(t, "PutPlan of a file starting with the seal magic", s.PutPlan(ctx, &store.Plan{RunID: r.ID, File: sealedLooking}), store.ErrInvalid)
}

func testLogs(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	r := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})
	_, err := s.GetLog(ctx, r.ID)
	wantErr(t, "GetLog before PutLog", err, store.ErrNotFound)
	big := bytes.Repeat([]byte("a line of terraform output\n"), 10000)
	mustNot(t, "PutLog", s.PutLog(ctx, r.ID, big))
	if got, err := s.GetLog(ctx, r.ID); err != nil || !bytes.Equal(got, big) {
		t.Errorf("GetLog = %d bytes, %v; want %d", len(got), err, len(big))
	}
	mustNot(t, "PutLog again", s.PutLog(ctx, r.ID, []byte("short")))
	if got, err := s.GetLog(ctx, r.ID); err != nil || string(got) != "short" {
		t.Errorf("GetLog after a replace = %q, %v", got, err)
	}
	wantErr(t, "PutLog of an unknown run", s.PutLog(ctx, unknownID, []byte("x")), store.ErrNotFound)
	wantErr(t, "PutLog malformed id", s.PutLog(ctx, badID, []byte("x")), store.ErrInvalid)
	_, err = s.GetLog(ctx, unknownID)
	wantErr(t, "GetLog unknown run", err, store.ErrNotFound)
}

// stateVersion is a valid state version of infra/net at serial.
func stateVersion(serial uint64, body string) store.StateVersion {
	return store.StateVersion{Repo: "infra", Stack: "net", Serial: serial, Lineage: "lineage-1",
		SHA256: sha([]byte(body)), Resources: int(serial), Version: json.RawMessage(body)}
}

// sameJSON reports whether a and b hold the same JSON value; a store may
// store JSON in another layout.
func sameJSON(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

func testStateVersions(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	run := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})

	_, err := s.LatestStateVersion(ctx, "infra", "net")
	wantErr(t, "LatestStateVersion of a stack without versions", err, store.ErrNotFound)
	if got, err := s.ListStateVersions(ctx, "infra", "net", 0); err != nil || len(got) != 0 {
		t.Errorf("ListStateVersions of a stack without versions = %v, %v", got, err)
	}

	// Serials sort as numbers: 256 after 10 after 2.
	var stored []store.StateVersion
	for _, serial := range []uint64{2, 256, 1, 10} {
		sv := stateVersion(serial, `{"serial":`+strings.Repeat(" ", int(serial%3))+`1,"resources":[{"type":"x","name":"y"}]}`)
		sv.RunID = run.ID
		mustNot(t, "PutStateVersion", s.PutStateVersion(ctx, &sv))
		if sv.CreatedAt.IsZero() {
			t.Errorf("PutStateVersion left CreatedAt zero")
		}
		stored = append(stored, sv)
	}
	list, err := s.ListStateVersions(ctx, "infra", "net", 0)
	mustNot(t, "ListStateVersions", err)
	var serials []uint64
	for _, sv := range list {
		serials = append(serials, sv.Serial)
		if sv.Version != nil {
			t.Errorf("ListStateVersions returned serial %d with its Version", sv.Serial)
		}
	}
	if want := []uint64{256, 10, 2, 1}; !slices.Equal(serials, want) {
		t.Errorf("ListStateVersions serials = %v, want %v (newest first)", serials, want)
	}
	want := stored[0]
	want.Version = nil
	if got := list[2]; !same(got, want) {
		t.Errorf("listed serial 2 = %+v, want %+v", got, want)
	}
	if got, _ := s.ListStateVersions(ctx, "infra", "net", 2); len(got) != 2 || got[0].Serial != 256 {
		t.Errorf("ListStateVersions limit 2 = %+v", got)
	}

	got, err := s.GetStateVersion(ctx, "infra", "net", 2)
	mustNot(t, "GetStateVersion", err)
	if !sameJSON(got.Version, stored[0].Version) {
		t.Errorf("GetStateVersion Version = %s, want %s", got.Version, stored[0].Version)
	}
	gotMeta, wantMeta := *got, stored[0]
	gotMeta.Version, wantMeta.Version = nil, nil
	if !same(gotMeta, wantMeta) {
		t.Errorf("GetStateVersion = %+v, want %+v", gotMeta, wantMeta)
	}
	latest, err := s.LatestStateVersion(ctx, "infra", "net")
	if err != nil || latest.Serial != 256 || !sameJSON(latest.Version, stored[1].Version) {
		t.Errorf("LatestStateVersion = %+v, %v; want serial 256 with its Version", latest, err)
	}
	_, err = s.GetStateVersion(ctx, "infra", "net", 3)
	wantErr(t, "GetStateVersion unknown serial", err, store.ErrNotFound)
	_, err = s.GetStateVersion(ctx, "infra", "dns", 2)
	wantErr(t, "GetStateVersion other stack", err, store.ErrNotFound)

	// The same state again changes nothing; another state at a stored
	// serial is a conflict and replaces nothing.
	again := stateVersion(2, `{"other":"body"}`)
	again.SHA256 = stored[0].SHA256
	again.CreatedAt = time.Time{}
	mustNot(t, "PutStateVersion the same state", s.PutStateVersion(ctx, &again))
	if !sameTime(again.CreatedAt, stored[0].CreatedAt) {
		t.Errorf("idempotent PutStateVersion set CreatedAt %v, want the stored %v", again.CreatedAt, stored[0].CreatedAt)
	}
	otherSum := stateVersion(2, `{"changed":true}`)
	wantErr(t, "PutStateVersion another sha256", s.PutStateVersion(ctx, &otherSum), store.ErrConflict)
	otherLineage := stored[0]
	otherLineage.Lineage = "lineage-2"
	wantErr(t, "PutStateVersion another lineage", s.PutStateVersion(ctx, &otherLineage), store.ErrConflict)
	if got, _ := s.GetStateVersion(ctx, "infra", "net", 2); got == nil || !sameJSON(got.Version, stored[0].Version) || got.Lineage != "lineage-1" {
		t.Errorf("a refused PutStateVersion replaced serial 2: %+v", got)
	}

	// A version without a body, and a local stack.
	bare := store.StateVersion{Stack: "local", Serial: 1, Lineage: "l", SHA256: sha(nil)}
	mustNot(t, "PutStateVersion without body", s.PutStateVersion(ctx, &bare))
	for _, repo := range []string{"", store.LocalRepo} {
		if got, err := s.LatestStateVersion(ctx, repo, "local"); err != nil || got.Version != nil || got.Serial != 1 {
			t.Errorf("LatestStateVersion(%q, local) = %+v, %v", repo, got, err)
		}
	}

	for name, mutate := range map[string]func(*store.StateVersion){
		"no lineage":   func(sv *store.StateVersion) { sv.Lineage = "" },
		"bad sha256":   func(sv *store.StateVersion) { sv.SHA256 = "abc" },
		"invalid JSON": func(sv *store.StateVersion) { sv.Version = json.RawMessage(`{"a":`) },
		"bad run id":   func(sv *store.StateVersion) { sv.RunID = badID },
		"no stack":     func(sv *store.StateVersion) { sv.Stack = "" },
		"NUL in repo":  func(sv *store.StateVersion) { sv.Repo = "in\x00fra" },
	} {
		sv := stateVersion(500, `{}`)
		mutate(&sv)
		wantErr(t, "PutStateVersion "+name, s.PutStateVersion(ctx, &sv), store.ErrInvalid)
	}
	if _, err := s.GetStateVersion(ctx, "infra", "net", 500); err == nil {
		t.Error("a refused PutStateVersion stored serial 500")
	}
}
