package main

import (
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Database types of the database block.
const (
	databaseBolt     = "bbolt"
	databasePostgres = "postgres"
)

// DatabaseConfig is the database block: where driftgate keeps its
// history. Without the block it is the bbolt file in the data dir, for one
// node; with type = "postgres" several nodes share one PostgreSQL, and
// runs go through its River queue.
type DatabaseConfig struct {
	// Type is databaseBolt or databasePostgres.
	Type string
	// URLEnv names the environment variable holding the PostgreSQL URL;
	// URL is its value, read when the config loads.
	URLEnv, URL string
	// Node names this node among the others (default: the host name).
	Node string
	// Lease is how long a node that stops heartbeating keeps its runs
	// before they count as lost, and how fast leadership moves.
	Lease time.Duration
}

// Defaults of the database block.
const (
	defaultDatabaseURLEnv = "DRIFTGATE_DATABASE_URL"
	defaultLease          = 15 * time.Second
	minLease              = time.Second
)

type databaseBlock struct {
	Type   *string  `hcl:"type,optional"`
	URLEnv *string  `hcl:"url_env,optional"`
	Node   *string  `hcl:"node,optional"`
	Lease  *string  `hcl:"lease,optional"`
	Body   hcl.Body `hcl:",body"`
}

// decodeDatabase decodes the database block into out; without one, out is
// bbolt. A postgres database needs its URL in the environment.
func decodeDatabase(db *databaseBlock, out *DatabaseConfig) hcl.Diagnostics {
	*out = DatabaseConfig{Type: databaseBolt}
	if db == nil {
		return nil
	}
	var diags hcl.Diagnostics
	if db.Type != nil {
		out.Type = *db.Type
	}
	switch out.Type {
	case databaseBolt:
		for _, a := range []struct {
			attr string
			set  bool
		}{{"url_env", db.URLEnv != nil}, {"node", db.Node != nil}, {"lease", db.Lease != nil}} {
			if attr := a.attr; a.set {
				diags = append(diags, attrError(db.Body, attr, "Setting needs a shared database",
					fmt.Sprintf("%s is for type = %q (several nodes on one PostgreSQL); the bbolt database belongs to one node. Remove %s, or set type = %q.", attr, databasePostgres, attr, databasePostgres)))
			}
		}
		return diags
	case databasePostgres:
	default:
		return hcl.Diagnostics{attrError(db.Body, "type", "Unknown database type",
			fmt.Sprintf("%q is not a database type. Use %q (the default: one node, a file in data_dir) or %q (several nodes sharing PostgreSQL).", out.Type, databaseBolt, databasePostgres))}
	}
	out.URLEnv = defaultDatabaseURLEnv
	if db.URLEnv != nil {
		out.URLEnv = *db.URLEnv
	}
	if d := checkEnv(db.Body, "url_env", out.URLEnv, "PostgreSQL connection URL (postgres://user:password@host:5432/driftgate)"); d != nil {
		diags = append(diags, d)
	} else {
		out.URL = os.Getenv(out.URLEnv)
	}
	out.Node = hostname()
	if db.Node != nil {
		out.Node = *db.Node
		if !repoName.MatchString(out.Node) {
			diags = append(diags, attrError(db.Body, "node", "Invalid node name",
				fmt.Sprintf("%q is not a node name: use letters, digits, '.', '_' and '-'. Every node sharing the database needs its own.", out.Node)))
		}
	}
	out.Lease = defaultLease
	if db.Lease != nil {
		d, err := time.ParseDuration(*db.Lease)
		if err != nil || d < minLease {
			diags = append(diags, attrError(db.Body, "lease", "Invalid lease",
				fmt.Sprintf("%q is not a duration of at least %s. Use a number with a unit, for example \"15s\".", *db.Lease, minLease)))
		} else {
			out.Lease = d
		}
	}
	return diags
}

// hostname is the default node name.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "driftgate"
	}
	return h
}
