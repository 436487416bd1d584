package main

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfigDatabase(t *testing.T) {
	t.Setenv("DRIFTGATE_DATABASE_URL", "postgres://dg@db.example:5432/driftgate")
	t.Setenv("DG_OTHER_DB", "postgres://other/db")
	host := hostname()
	tests := []struct {
		name, text string
		want       DatabaseConfig
		err        string
	}{
		{"none", ``, DatabaseConfig{Type: "bbolt"}, ""},
		{"bbolt", "database {\n  type = \"bbolt\"\n}\n", DatabaseConfig{Type: "bbolt"}, ""},
		{"postgres defaults", "database {\n  type = \"postgres\"\n}\n", DatabaseConfig{Type: "postgres", URLEnv: "DRIFTGATE_DATABASE_URL",
			URL: "postgres://dg@db.example:5432/driftgate", Node: host, Lease: 15 * time.Second}, ""},
		{"postgres set", "database {\n  type = \"postgres\"\n  url_env = \"DG_OTHER_DB\"\n  node = \"node-a\"\n  lease = \"5s\"\n}\n",
			DatabaseConfig{Type: "postgres", URLEnv: "DG_OTHER_DB", URL: "postgres://other/db", Node: "node-a", Lease: 5 * time.Second}, ""},
		{"unknown type", "database {\n  type = \"mysql\"\n}\n", DatabaseConfig{}, `"mysql" is not a database type. Use "bbolt"`},
		{"unset url", "database {\n  type = \"postgres\"\n  url_env = \"DG_UNSET_DB\"\n}\n", DatabaseConfig{}, "The environment variable DG_UNSET_DB (the PostgreSQL connection URL"},
		{"url itself", "database {\n  type = \"postgres\"\n  url_env = \"postgres://x\"\n}\n", DatabaseConfig{}, "url_env names the variable that holds the PostgreSQL connection URL"},
		{"bad node", "database {\n  type = \"postgres\"\n  node = \"a b\"\n}\n", DatabaseConfig{}, `"a b" is not a node name`},
		{"short lease", "database {\n  type = \"postgres\"\n  lease = \"10ms\"\n}\n", DatabaseConfig{}, `"10ms" is not a duration of at least 1s`},
		{"node on bbolt", "database {\n  node = \"a\"\n}\n", DatabaseConfig{}, `node is for type = "postgres"`},
		{"line", "\n\ndatabase {\n  type = \"mysql\"\n}\n", DatabaseConfig{}, "driftgate.hcl:4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, diags := loadConfigText(t, tt.text)
			if tt.err != "" {
				if cfg != nil || !strings.Contains(diags, tt.err) {
					t.Fatalf("diagnostics %q, want %q", diags, tt.err)
				}
				return
			}
			if cfg == nil {
				t.Fatal(diags)
			}
			if cfg.Database != tt.want {
				t.Errorf("Database = %+v, want %+v", cfg.Database, tt.want)
			}
		})
	}
}
