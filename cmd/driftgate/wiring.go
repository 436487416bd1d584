package main

import (
	"log/slog"
	"path/filepath"

	"github.com/driftgate/driftgate/planner/tfrun"
)

// newPlanner wires the planner from the configuration. Everything it
// writes lives under the data dir:
//
//	<data_dir>/bin/           terraform releases installed by driftgate (never OpenTofu)
//	<data_dir>/plugin-cache/  shared provider cache (TF_PLUGIN_CACHE_DIR)
//	<data_dir>/state/         state of stacks without a backend
//	<data_dir>/work/          private copies of running stacks
func newPlanner(cfg *Config, logger *slog.Logger) *tfrun.Planner {
	return &tfrun.Planner{
		Resolver: &tfrun.Resolver{
			Product:    cfg.Terraform.Product,
			Path:       cfg.Terraform.Path,
			Version:    cfg.Terraform.Version,
			InstallDir: filepath.Join(cfg.DataDir, "bin"),
			Install:    cfg.Terraform.Install,
			Logger:     logger,
		},
		Executor: &tfrun.Executor{
			PluginCacheDir: filepath.Join(cfg.DataDir, "plugin-cache"),
			Grace:          tfrun.DefaultGrace,
			Logger:         logger,
		},
		DataDir: cfg.DataDir,
		Logger:  logger,
	}
}
