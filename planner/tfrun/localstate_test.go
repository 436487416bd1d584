package tfrun

import (
	"path/filepath"
	"testing"
	"testing/fstest"
)

func TestReadLocalBackend(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		want      localBackend
		wantFound bool
		wantErr   bool
	}{
		{"path", map[string]string{"s/main.tf": `terraform {
  backend "local" { path = "/state/web.tfstate" }
}
resource "x" "y" {}`}, localBackend{path: "/state/web.tfstate"}, true, false},
		{"path and workspace dir", map[string]string{"s/backend.tf": `terraform {
  backend "local" {
    path          = "/state/web.tfstate"
    workspace_dir = "/state/ws"
  }
}`}, localBackend{path: "/state/web.tfstate", workspaceDir: "/state/ws"}, true, false},
		{"no path", map[string]string{"s/main.tf": `terraform {
  backend "local" {}
}`}, localBackend{}, true, false},
		{"json", map[string]string{"s/backend.tf.json": `{"terraform": {"backend": {"local": {"path": "/state/j.tfstate"}}}}`},
			localBackend{path: "/state/j.tfstate"}, true, false},
		{"other backend", map[string]string{"s/main.tf": `terraform {
  backend "s3" { bucket = "b" }
}`}, localBackend{}, false, false},
		{"no backend", map[string]string{"s/main.tf": `resource "x" "y" {}`}, localBackend{}, false, false},
		{"override wins", map[string]string{
			"a_override.tf": ``,
			"s/a_override.tf": `terraform {
  backend "local" { path = "/state/override.tfstate" }
}`,
			"s/z.tf": `terraform {
  backend "local" { path = "/state/main.tfstate" }
}`,
		}, localBackend{path: "/state/override.tfstate"}, true, false},
		{"files in subdirs ignored", map[string]string{
			"s/main.tf": `resource "x" "y" {}`,
			"s/modules/m/main.tf": `terraform {
  backend "local" { path = "/state/module.tfstate" }
}`,
		}, localBackend{}, false, false},
		{"not a literal", map[string]string{"s/main.tf": `terraform {
  backend "local" { path = var.state }
}`}, localBackend{}, false, true},
		{"not a string", map[string]string{"s/main.tf": `terraform {
  backend "local" { path = ["a"] }
}`}, localBackend{}, false, true},
		{"broken hcl", map[string]string{"s/main.tf": `terraform {`}, localBackend{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fstest.MapFS{}
			for name, data := range tt.files {
				src[name] = &fstest.MapFile{Data: []byte(data)}
			}
			got, found, err := readLocalBackend(src, "s")
			if tt.wantErr {
				if err == nil {
					t.Errorf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || found != tt.wantFound {
				t.Errorf("got %+v found %v, want %+v found %v", got, found, tt.want, tt.wantFound)
			}
		})
	}
}

func TestLocalBackendStatePath(t *testing.T) {
	abs := localBackend{path: "/state/web.tfstate", workspaceDir: "/state/ws"}
	tests := []struct {
		name      string
		backend   localBackend
		workspace string
		want      string
	}{
		{"default", abs, "", "/state/web.tfstate"},
		{"default by name", abs, "default", "/state/web.tfstate"},
		{"named workspace", abs, "staging", "/state/ws/staging/terraform.tfstate"},
		{"named workspace, no workspace dir", localBackend{path: "/state/web.tfstate"}, "staging", ""},
		{"relative path", localBackend{path: "state/web.tfstate"}, "", ""},
		{"relative workspace dir", localBackend{path: "/s", workspaceDir: "ws"}, "staging", ""},
		{"no path", localBackend{}, "", ""},
		{"unclean", localBackend{path: "/state/../state/web.tfstate"}, "", "/state/web.tfstate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.backend.statePath(tt.workspace); got != filepath.FromSlash(tt.want) {
				t.Errorf("statePath(%q) = %q, want %q", tt.workspace, got, tt.want)
			}
		})
	}
}

func TestDefaultBackendStatePath(t *testing.T) {
	p := &Planner{DataDir: "/data"}
	tests := []struct {
		state           LocalState
		workspace, want string
	}{
		{p.DefaultState("repo/web"), "", "/data/state/repo/web/terraform.tfstate"},
		{p.DefaultState("repo/web"), "default", "/data/state/repo/web/terraform.tfstate"},
		{p.DefaultState("repo/web"), "staging", "/data/state/repo/web/workspaces/staging/terraform.tfstate"},
		{DirState("/src/app"), "", "/src/app/terraform.tfstate"},
		{DirState("/src/app"), "staging", "/src/app/terraform.tfstate.d/staging/terraform.tfstate"},
	}
	for _, tt := range tests {
		if got := tt.state.WorkspacePath(tt.workspace); got != filepath.FromSlash(tt.want) {
			t.Errorf("%+v, workspace %q: %q, want %q", tt.state, tt.workspace, got, tt.want)
		}
	}
}

func TestLocalBackendResolve(t *testing.T) {
	tests := []struct {
		name      string
		backend   localBackend
		wantState LocalState
		wantMoved bool
	}{
		{"unset", localBackend{}, LocalState{Path: "/src/app/terraform.tfstate", WorkspaceDir: "/src/app/terraform.tfstate.d", Borrowed: true}, true},
		{"relative", localBackend{path: "states/app.tfstate", workspaceDir: "../ws"}, LocalState{Path: "/src/app/states/app.tfstate", WorkspaceDir: "/src/ws", Borrowed: true}, true},
		{"absolute", localBackend{path: "/st/app.tfstate", workspaceDir: "/st/ws"}, LocalState{Path: "/st/app.tfstate", WorkspaceDir: "/st/ws", Borrowed: true}, false},
		{"absolute path only", localBackend{path: "/st/app.tfstate"}, LocalState{Path: "/st/app.tfstate", WorkspaceDir: "/src/app/terraform.tfstate.d", Borrowed: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, moved := tt.backend.resolve(filepath.FromSlash("/src/app"))
			want := LocalState{Path: filepath.FromSlash(tt.wantState.Path), WorkspaceDir: filepath.FromSlash(tt.wantState.WorkspaceDir), Borrowed: true}
			if got != want || moved != tt.wantMoved {
				t.Errorf("resolve = %+v, %v; want %+v, %v", got, moved, want, tt.wantMoved)
			}
		})
	}
}
