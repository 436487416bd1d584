package postgres

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// With a key, plan files and state version bodies are sealed in the
// database itself, in the bbolt store's format, bound to their run (or
// stack and serial): bytes moved to another run do not open.
func TestSealedAtRest(t *testing.T) {
	key := bytes.Repeat([]byte{7}, store.EncryptionKeySize)
	s, _ := openTest(t, Options{EncryptionKey: key})
	ctx := t.Context()
	a := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})
	b := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})
	file := []byte("PK secret plan file")
	for _, r := range []store.Run{a, b} {
		if err := s.PutPlan(ctx, &store.Plan{RunID: r.ID, Text: []byte("plan text"), File: file}); err != nil {
			t.Fatal(err)
		}
	}
	var stored []byte
	if err := s.pool.QueryRow(ctx, "SELECT file FROM plans WHERE run_id = $1", a.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(stored, []byte("DGE1")) || bytes.Contains(stored, []byte("secret")) {
		t.Fatalf("stored plan file %q is not sealed", stored)
	}
	if got, _, err := s.GetPlanFile(ctx, a.ID); err != nil || !bytes.Equal(got, file) {
		t.Fatalf("GetPlanFile = %q, %v", got, err)
	}
	if _, err := s.pool.Exec(ctx, "UPDATE plans SET file = $1 WHERE run_id = $2", stored, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.GetPlanFile(ctx, b.ID); !errors.Is(err, store.ErrDecrypt) || !errors.Is(err, store.ErrPlanTampered) {
		t.Errorf("GetPlanFile(moved sealed file) = %v, want ErrDecrypt and ErrPlanTampered", err)
	}

	sv := store.StateVersion{Repo: "infra", Stack: "net", Serial: 3, Lineage: "l",
		SHA256:  "426647a91d7fa6ae8b3ee265ca759cfddbac32e24c62397d0bc4fb503b2dcec4",
		Version: json.RawMessage(`{"attr":"secret-value"}`)}
	if err := s.PutStateVersion(ctx, &sv); err != nil {
		t.Fatal(err)
	}
	var record []byte
	if err := s.pool.QueryRow(ctx, "SELECT record FROM state_versions WHERE stack = 'net'").Scan(&record); err != nil {
		t.Fatal(err)
	}
	raw, err := store.Decompress(record, 0)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("secret-value")) || !bytes.Contains(raw, []byte(`"sealed_version"`)) {
		t.Fatalf("stored state version %s is not sealed", raw)
	}
	got, err := s.GetStateVersion(ctx, "infra", "net", 3)
	if err != nil || !bytes.Contains(got.Version, []byte("secret-value")) {
		t.Fatalf("GetStateVersion = %+v, %v", got, err)
	}
	if _, err := s.pool.Exec(ctx, "UPDATE state_versions SET serial = 4"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetStateVersion(ctx, "infra", "net", 4); !errors.Is(err, store.ErrDecrypt) {
		t.Errorf("GetStateVersion(moved body) = %v, want ErrDecrypt", err)
	}
}

// Serials are uint64: the largest ones store and sort.
func TestStateVersionHugeSerial(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	for _, serial := range []uint64{1 << 63, 1<<64 - 1, 2} {
		sv := store.StateVersion{Repo: "infra", Stack: "net", Serial: serial, Lineage: "l",
			SHA256: "426647a91d7fa6ae8b3ee265ca759cfddbac32e24c62397d0bc4fb503b2dcec4"}
		if err := s.PutStateVersion(ctx, &sv); err != nil {
			t.Fatal(err)
		}
	}
	latest, err := s.LatestStateVersion(ctx, "infra", "net")
	if err != nil || latest.Serial != 1<<64-1 {
		t.Fatalf("LatestStateVersion = %+v, %v", latest, err)
	}
	list, err := s.ListStateVersions(ctx, "infra", "net", 0)
	if err != nil || len(list) != 3 || list[1].Serial != 1<<63 || list[2].Serial != 2 {
		t.Fatalf("ListStateVersions = %+v, %v", list, err)
	}
}
