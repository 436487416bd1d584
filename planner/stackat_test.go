package planner

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"
)

func TestStackAt(t *testing.T) {
	declared := fstest.MapFS{
		".driftgate.hcl": {Data: []byte(`
stack "net" {
  dir       = "envs/net"
  workspace = "prod"
  var_files = ["envs/net.tfvars"]
}
`)},
		"envs/net/main.tf":   {Data: []byte(`module "m" { source = "../../modules/m" }`)},
		"envs/net.tfvars":    {Data: []byte(`x = 1`)},
		"modules/m/main.tf":  {Data: []byte(`terraform {}`)},
		"envs/other/main.tf": {Data: []byte(`terraform {}`)},
	}
	discovered := fstest.MapFS{
		"envs/net/main.tf": {Data: []byte(`terraform {}`)},
	}
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		stack   string
		wantDir string
		wantWS  string
		wantErr error
	}{
		{"declared", declared, "net", "envs/net", "prod", nil},
		{"undeclared dir in a declaring repo", declared, "envs/other", "", "", ErrUnknownStack},
		{"discovered by dir", discovered, "envs/net", "envs/net", "default", nil},
		{"missing dir", discovered, "envs/gone", "", "", ErrUnknownStack},
		{"broken config", fstest.MapFS{".driftgate.hcl": {Data: []byte(`stack "x" {`)}}, "x", "", "", ErrRepoConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := StackAt(context.Background(), tt.fsys, tt.stack)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Dir != tt.wantDir || s.Workspace != tt.wantWS || s.Name != tt.stack {
				t.Errorf("stack = %+v", s)
			}
		})
	}
}
