package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// newTestStore returns a store rooted in a fresh, not yet existing directory.
func newTestStore(tb testing.TB) *store {
	tb.Helper()
	return newStore(filepath.Join(tb.TempDir(), "root"))
}

// assertNoTempFiles fails if a kind directory holds anything but .json files.
func assertNoTempFiles(tb testing.TB, s *store, k kind) {
	tb.Helper()
	entries, err := os.ReadDir(filepath.Join(s.root, string(k)))
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			tb.Errorf("left-over file %s in %s", e.Name(), k)
		}
	}
}

func TestStoreLifecycle(t *testing.T) {
	s := newTestStore(t)
	in := serverObject{Size: ptr("small"), Port: ptr(int64(8080)), Enabled: ptr(false), Tags: map[string]string{"a": "b"}}
	if err := s.create(kindServers, "web", in); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := s.create(kindServers, "web", in); !errors.Is(err, errExists) {
		t.Fatalf("second create: got %v, want errExists", err)
	}
	var got serverObject
	if err := s.read(kindServers, "web", &got); err != nil {
		t.Fatalf("read: %v", err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Fatalf("read = %+v, want %+v", got, in)
	}

	in.Size = ptr("large")
	if err := s.write(kindServers, "web", in); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := s.read(kindServers, "web", &got); err != nil || *got.Size != "large" {
		t.Fatalf("read after write: size %v, err %v; want large", got.Size, err)
	}
	assertNoTempFiles(t, s, kindServers)

	if err := s.remove(kindServers, "web"); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if err := s.remove(kindServers, "web"); err != nil {
		t.Fatalf("remove of a missing object: %v, want nil", err)
	}
	if err := s.read(kindServers, "web", &got); !errors.Is(err, errNotFound) {
		t.Fatalf("read after remove: got %v, want errNotFound", err)
	}
}

func TestStoreReadsFileAsIs(t *testing.T) {
	tests := []struct {
		name string
		file string
		want serverObject
	}{
		{"missing keys read as null", `{}`, serverObject{}},
		{"null tags", `{"tags":null}`, serverObject{}},
		{"empty tags stay empty", `{"tags":{}}`, serverObject{Tags: map[string]string{}}},
		{"edited by hand", `{"size":"huge","port":1,"enabled":false,"extra":1}`,
			serverObject{Size: ptr("huge"), Port: ptr(int64(1)), Enabled: ptr(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			path := s.path(kindServers, "x")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			var got serverObject
			if err := s.read(kindServers, "x", &got); err != nil {
				t.Fatalf("read: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("read = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestStoreRejectsBadJSON(t *testing.T) {
	s := newTestStore(t)
	if err := s.write(kindSecrets, "s", secretObject{Value: ptr("v")}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.path(kindSecrets, "s"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	var got secretObject
	if err := s.read(kindSecrets, "s", &got); err == nil || errors.Is(err, errNotFound) {
		t.Fatalf("read of a corrupt file: got %v, want a decode error", err)
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"web", true},
		{"web-1.internal", true},
		{".hidden", true},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{`a\b`, false},
		{"../escape", false},
		{"nul\x00", false},
	}
	for _, tt := range tests {
		err := checkName(tt.name)
		if got := err == nil; got != tt.ok {
			t.Errorf("checkName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, errInvalidName) {
			t.Errorf("checkName(%q) = %v, want errInvalidName", tt.name, err)
		}
	}
	s := newTestStore(t)
	if err := s.create(kindServers, "../x", serverObject{}); !errors.Is(err, errInvalidName) {
		t.Errorf("create with a bad name: got %v, want errInvalidName", err)
	}
}
