package main

import "github.com/driftgate/driftgate/runner"

// nodeConfig is how serve describes itself in its node record: named by
// the database block (the host name without one), with this binary's
// version and commit, and the database block's lease (zero: the runner's
// default).
func nodeConfig(cfg *Config) runner.NodeConfig {
	name := cfg.Database.Node
	if name == "" {
		name = hostname()
	}
	return runner.NodeConfig{Name: name, Version: buildVersion, Commit: buildCommit(), Lease: cfg.Database.Lease}
}
