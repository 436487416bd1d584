package storetest

import (
	"bytes"
	"context"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// keys returns two distinct encryption keys.
func keys() (a, b []byte) {
	return bytes.Repeat([]byte{0x11}, store.EncryptionKeySize), bytes.Repeat([]byte{0x22}, store.EncryptionKeySize)
}

// testEncryption checks encryption at rest: plan files and state version
// bodies written with a key read back with it, cannot be read by the same
// database opened without the key (ErrEncrypted) or with another key
// (ErrDecrypt), and values written without a key stay readable once one
// is configured. Metadata stays readable without the key.
func testEncryption(t *testing.T, open Open) {
	ctx := context.Background()
	keyA, keyB := keys()
	body := `{"resources":[{"type":"secret","values":{"password":"hunter2"}}]}`

	// Written without a key first, then with one.
	s := open(t, Options{})
	plainRun := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})
	mustNot(t, "PutPlan plain", s.PutPlan(ctx, &store.Plan{RunID: plainRun.ID, Text: []byte("text"), File: planFile}))
	plainSV := stateVersion(1, body)
	mustNot(t, "PutStateVersion plain", s.PutStateVersion(ctx, &plainSV))
	mustNot(t, "Close", s.Close())

	s = open(t, Options{EncryptionKey: keyA, Reopen: s})
	sealedRun := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})
	sealedPlan := &store.Plan{RunID: sealedRun.ID, Text: []byte("sealed text"), File: planFile}
	mustNot(t, "PutPlan sealed", s.PutPlan(ctx, sealedPlan))
	sealedSV := stateVersion(2, body)
	mustNot(t, "PutStateVersion sealed", s.PutStateVersion(ctx, &sealedSV))
	// A plan file that starts like a sealed value is fine with a key.
	magicRun := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})
	magic := append([]byte("DGE1"), planFile...)
	mustNot(t, "PutPlan of a file starting with the seal magic, with a key", s.PutPlan(ctx, &store.Plan{RunID: magicRun.ID, File: magic}))

	readable := func(what string, s Store, id string, file []byte, serial uint64) {
		t.Helper()
		got, sum, err := s.GetPlanFile(ctx, id)
		if err != nil || !bytes.Equal(got, file) || sum != sha(file) {
			t.Errorf("%s: GetPlanFile = %d bytes, %s, %v; want the file", what, len(got), sum, err)
		}
		sv, err := s.GetStateVersion(ctx, "infra", "net", serial)
		if err != nil || !sameJSON(sv.Version, []byte(body)) {
			t.Errorf("%s: GetStateVersion(%d) = %+v, %v; want the body", what, serial, sv, err)
		}
	}
	readable("plain, with a key", s, plainRun.ID, planFile, 1)
	readable("sealed, with its key", s, sealedRun.ID, planFile, 2)
	readable("seal magic, with its key", s, magicRun.ID, magic, 2)
	if sv, err := s.LatestStateVersion(ctx, "infra", "net"); err != nil || !sameJSON(sv.Version, []byte(body)) {
		t.Errorf("LatestStateVersion with the key = %+v, %v", sv, err)
	}
	mustNot(t, "Close", s.Close())

	// The same database without the key: metadata yes, sealed values no.
	s = open(t, Options{Reopen: s})
	readable("plain, without a key", s, plainRun.ID, planFile, 1)
	_, _, err := s.GetPlanFile(ctx, sealedRun.ID)
	wantErr(t, "GetPlanFile sealed, without the key", err, store.ErrEncrypted)
	_, err = s.GetStateVersion(ctx, "infra", "net", 2)
	wantErr(t, "GetStateVersion sealed, without the key", err, store.ErrEncrypted)
	_, err = s.LatestStateVersion(ctx, "infra", "net")
	wantErr(t, "LatestStateVersion sealed, without the key", err, store.ErrEncrypted)
	if p, err := s.GetPlan(ctx, sealedRun.ID); err != nil || string(p.Text) != "sealed text" || p.SHA256 != sha(planFile) {
		t.Errorf("GetPlan without the key = %+v, %v; want the plan's text and sha256", p, err)
	}
	if list, err := s.ListStateVersions(ctx, "infra", "net", 0); err != nil || len(list) != 2 || list[0].SHA256 != sealedSV.SHA256 {
		t.Errorf("ListStateVersions without the key = %+v, %v; want both versions", list, err)
	}
	mustNot(t, "Close", s.Close())

	// Another key cannot open them either.
	s = open(t, Options{EncryptionKey: keyB, Reopen: s})
	readable("plain, with another key", s, plainRun.ID, planFile, 1)
	_, _, err = s.GetPlanFile(ctx, sealedRun.ID)
	wantErr(t, "GetPlanFile sealed, with another key", err, store.ErrDecrypt, store.ErrPlanTampered)
	_, err = s.GetStateVersion(ctx, "infra", "net", 2)
	wantErr(t, "GetStateVersion sealed, with another key", err, store.ErrDecrypt)
}
