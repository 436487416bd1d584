package planner

import (
	"fmt"
	"strings"
	"testing"
)

func TestLoadRepoConfigDiscover(t *testing.T) {
	cfg, diags := LoadRepoConfig(configRepo("discover {\n  include = [\"envs/**\"]\n  exclude = [\"wrappers/**\", \"tests/fixtures/**\"]\n}\n"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if g, w := fmt.Sprint(cfg.Discover), "{[envs/**] [wrappers/** tests/fixtures/**]}"; g != w {
		t.Errorf("Discover = %s, want %s", g, w)
	}
}

func TestLoadRepoConfigDiscoverErrors(t *testing.T) {
	tests := []struct {
		name, config, want, detail string
	}{
		{
			name:   "with stack blocks",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n}\ndiscover {\n  exclude = [\"x/**\"]\n}\n",
			want:   "4:1: discover block with stack blocks",
			detail: "Remove the discover block, or the stack blocks.",
		},
		{
			name:   "two blocks",
			config: "discover {\n  exclude = [\"x/**\"]\n}\ndiscover {\n  include = [\"y/**\"]\n}\n",
			want:   "4:1: Duplicate discover block",
			detail: "Merge their include and exclude lists",
		},
		{
			name:   "bad globs",
			config: "discover {\n  include = [\"envs/{a\"]\n  exclude = [\"/abs\", \"../up\", \"\"]\n}\n",
			want:   "2:14: Invalid glob\n3:14: Invalid directory glob\n3:22: Invalid directory glob\n3:31: Invalid directory glob",
			detail: "discover include \"envs/{a\"",
		},
		{
			name:   "unknown argument",
			config: "discover {\n  excludes = [\"x\"]\n}\n",
			want:   "2:3: Unsupported argument",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := LoadRepoConfig(configRepo(tt.config))
			if got := formatDiags(diags); got != tt.want {
				t.Errorf("diagnostics:\ngot\n%s\nwant\n%s", got, tt.want)
			}
			if tt.detail != "" && (len(diags) == 0 || !strings.Contains(diags[0].Detail, tt.detail)) {
				t.Errorf("detail = %v, want it to contain %q", diags, tt.detail)
			}
		})
	}
}
