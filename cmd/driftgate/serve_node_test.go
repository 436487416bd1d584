package main

import (
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner"
)

// TestNodeConfig: serve names its node after the host unless the database
// block names it, and records this binary's version and commit.
func TestNodeConfig(t *testing.T) {
	t.Setenv("DG_NODE_DB", "postgres://db/driftgate")
	tests := []struct {
		name, config string
		want         runner.NodeConfig
	}{
		{"bbolt", "", runner.NodeConfig{Name: hostname()}},
		{"postgres", "database {\n  type = \"postgres\"\n  url_env = \"DG_NODE_DB\"\n  node = \"node-a\"\n  lease = \"30s\"\n}\n",
			runner.NodeConfig{Name: "node-a", Lease: 30 * time.Second}},
		{"postgres, default node", "database {\n  type = \"postgres\"\n  url_env = \"DG_NODE_DB\"\n}\n",
			runner.NodeConfig{Name: hostname(), Lease: defaultLease}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, diags := loadConfigText(t, tt.config)
			if cfg == nil {
				t.Fatal(diags)
			}
			want := tt.want
			want.Version, want.Commit = buildVersion, buildCommit()
			if got := nodeConfig(cfg); got != want {
				t.Errorf("node config = %+v, want %+v", got, want)
			}
		})
	}
}
