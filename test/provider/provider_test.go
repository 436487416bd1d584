package main

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestResolveRoot(t *testing.T) {
	wd, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		configured string
		env        string
		want       string
		wantErr    error
	}{
		{"config wins", "/cfg", "/env", "/cfg", nil},
		{"env fallback", "", "/env", "/env", nil},
		{"relative made absolute", "rel", "", filepath.Join(wd, "rel"), nil},
		{"neither", "", "", "", errNoRoot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveRoot(tt.configured, tt.env)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("resolveRoot(%q, %q) = %q, %v; want %q, %v", tt.configured, tt.env, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestSleep(t *testing.T) {
	if err := sleep(t.Context(), time.Millisecond); err != nil {
		t.Fatalf("sleep ran out: %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	err := sleep(ctx, time.Minute)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("sleep cancelled: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("sleep took %v after cancel", d)
	}
}
