package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/oklog/ulid/v2"
	"go.etcd.io/bbolt"
)

func TestPlanRoundTrip(t *testing.T) {
	s := openTestStore(t, Options{})
	run := createRun(t, s, Run{Repo: "infra", Stack: "net"})
	planJSON := []byte(strings.Repeat(`{"resource_changes":[]}`, 1000))
	file := bytes.Repeat([]byte{0, 1, 2, 0xFF}, 1000)
	in := &Plan{RunID: run.ID, JSON: planJSON, Text: []byte("No changes."), Analysis: []byte(`{"drift":0}`), File: file}
	if err := s.PutPlan(t.Context(), in); err != nil {
		t.Fatalf("PutPlan: %v", err)
	}
	sum := sha256.Sum256(file)
	wantSHA := hex.EncodeToString(sum[:])
	if in.SHA256 != wantSHA || in.FileSize != int64(len(file)) {
		t.Errorf("PutPlan set SHA256 %q, FileSize %d; want %q, %d", in.SHA256, in.FileSize, wantSHA, len(file))
	}

	got, err := s.GetPlan(t.Context(), run.ID)
	if err != nil {
		t.Fatalf("GetPlan: %v", err)
	}
	if !bytes.Equal(got.JSON, planJSON) || string(got.Text) != "No changes." || string(got.Analysis) != `{"drift":0}` {
		t.Errorf("GetPlan = %+v, want the stored parts", got)
	}
	if got.File != nil || got.SHA256 != wantSHA || got.FileSize != int64(len(file)) || got.RunID != run.ID {
		t.Errorf("GetPlan: File %d bytes, SHA256 %q, FileSize %d, RunID %s; want no bytes, %q, %d, %s",
			len(got.File), got.SHA256, got.FileSize, got.RunID, wantSHA, len(file), run.ID)
	}

	gotFile, gotSHA, err := s.GetPlanFile(t.Context(), run.ID)
	if err != nil {
		t.Fatalf("GetPlanFile: %v", err)
	}
	if !bytes.Equal(gotFile, file) || gotSHA != wantSHA {
		t.Errorf("GetPlanFile = %d bytes, %q; want %d bytes, %q", len(gotFile), gotSHA, len(file), wantSHA)
	}

	// The JSON is stored compressed.
	err = s.db.View(func(tx *bbolt.Tx) error {
		if n := len(tx.Bucket(planJSONBucket).Get(ulid.MustParse(run.ID).Bytes())); n >= len(planJSON)/10 {
			t.Errorf("stored plan JSON is %d bytes for %d of input; want it compressed", n, len(planJSON))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPutPlanReplaces(t *testing.T) {
	s := openTestStore(t, Options{})
	run := createRun(t, s, Run{Stack: "net"})
	if err := s.PutPlan(t.Context(), &Plan{RunID: run.ID, JSON: []byte("{}"), Text: []byte("old"), File: []byte("old")}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPlan(t.Context(), &Plan{RunID: run.ID, Text: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetPlan(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.JSON != nil || string(got.Text) != "new" || got.SHA256 != "" || got.FileSize != 0 {
		t.Errorf("GetPlan = %+v, want only the new text", got)
	}
	if _, _, err := s.GetPlanFile(t.Context(), run.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetPlanFile err = %v, want ErrNotFound", err)
	}
}

func TestPlanAndLogErrors(t *testing.T) {
	s := openTestStore(t, Options{})
	bare := createRun(t, s, Run{Stack: "net"}) // no plan, no log
	unknown := ulid.Make().String()

	tests := []struct {
		name string
		call func() error
		want []error
	}{
		{"PutPlan unknown run", func() error { return s.PutPlan(t.Context(), &Plan{RunID: unknown}) }, []error{ErrNotFound}},
		{"PutPlan malformed id", func() error { return s.PutPlan(t.Context(), &Plan{RunID: "x"}) }, []error{ErrInvalid}},
		{"GetPlan no plan", func() error { _, err := s.GetPlan(t.Context(), bare.ID); return err }, []error{ErrNotFound}},
		{"GetPlan malformed id", func() error { _, err := s.GetPlan(t.Context(), "x"); return err }, []error{ErrNotFound, ErrInvalid}},
		{"GetPlanFile no plan", func() error { _, _, err := s.GetPlanFile(t.Context(), bare.ID); return err }, []error{ErrNotFound}},
		{"GetPlanFile malformed id", func() error { _, _, err := s.GetPlanFile(t.Context(), "x"); return err }, []error{ErrNotFound, ErrInvalid}},
		{"PutLog unknown run", func() error { return s.PutLog(t.Context(), unknown, []byte("x")) }, []error{ErrNotFound}},
		{"PutLog malformed id", func() error { return s.PutLog(t.Context(), "x", nil) }, []error{ErrInvalid}},
		{"GetLog no log", func() error { _, err := s.GetLog(t.Context(), bare.ID); return err }, []error{ErrNotFound}},
		{"GetLog malformed id", func() error { _, err := s.GetLog(t.Context(), "x"); return err }, []error{ErrNotFound, ErrInvalid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			for _, want := range tt.want {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want %v", err, want)
				}
			}
		})
	}
}

func TestGetPlanFileDetectsTampering(t *testing.T) {
	s := openTestStore(t, Options{})
	run := createRun(t, s, Run{Stack: "net"})
	if err := s.PutPlan(t.Context(), &Plan{RunID: run.ID, File: []byte("terraform plan file")}); err != nil {
		t.Fatal(err)
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(planFilesBucket).Put(ulid.MustParse(run.ID).Bytes(), []byte("terraform plan fil3"))
	})
	if err != nil {
		t.Fatal(err)
	}

	file, sum, err := s.GetPlanFile(t.Context(), run.ID)
	if !errors.Is(err, ErrPlanTampered) {
		t.Fatalf("err = %v, want ErrPlanTampered", err)
	}
	if file != nil || sum != "" {
		t.Errorf("GetPlanFile returned %q, %q with the error; want nothing", file, sum)
	}
}

func TestLogRoundTrip(t *testing.T) {
	s := openTestStore(t, Options{})
	run := createRun(t, s, Run{Stack: "net"})
	tests := []struct {
		name string
		log  []byte
	}{
		{"text", []byte("Initializing the backend...\nPlan: 1 to add.\n")},
		{"replaced", []byte("second attempt\n")},
		{"empty", []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.PutLog(t.Context(), run.ID, tt.log); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetLog(t.Context(), run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.log) {
				t.Errorf("GetLog = %q, want %q", got, tt.log)
			}
		})
	}
}
