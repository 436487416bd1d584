package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/planner/tfrun"
)

func newVersionCmd(g *globals) *cobra.Command {
	var configFile string
	cmd := &cobra.Command{
		Use:   "version [--config FILE]",
		Short: "Print driftgate's version, commit, Go version and the terraform it would use",
		Long: `Print driftgate's version, the commit it was built from, its Go version,
and the Terraform or OpenTofu binary it would plan with: the one the
config's terraform block selects (with --config), else terraform on PATH.
It never downloads a release to answer.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(g.stdout, "driftgate %s\n", buildVersion)
			fmt.Fprintf(g.stdout, "commit:    %s\n", buildCommit())
			fmt.Fprintf(g.stdout, "go:        %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			r := &tfrun.Resolver{Logger: g.logger()}
			if configFile != "" {
				cfg, parser, diags := LoadConfig(configFile)
				if diags.HasErrors() {
					return errors.New("invalid config:\n" + FormatDiagnostics(parser, diags))
				}
				r = &tfrun.Resolver{
					Product: cfg.Terraform.Product, Path: cfg.Terraform.Path, Version: cfg.Terraform.Version,
					InstallDir: filepath.Join(cfg.DataDir, "bin"), Logger: g.logger(),
				}
			}
			fmt.Fprintf(g.stdout, "terraform: %s\n", wouldUse(cmd.Context(), r))
			return nil
		},
	}
	cmd.Flags().StringVar(&configFile, "config", "", "server config whose terraform block to resolve")
	return cmd
}

// wouldUse describes the binary r resolves without a stack's constraints,
// or why there is none. Installing is off: a version query downloads
// nothing.
func wouldUse(ctx context.Context, r *tfrun.Resolver) string {
	r.Install = false
	b, err := r.Resolve(ctx)
	if err != nil {
		return "none found: " + err.Error()
	}
	return fmt.Sprintf("%s (%s)", b, b.Path)
}

// buildCommit is the VCS revision the binary was built from, with
// "(modified)" when the tree had uncommitted changes, or "unknown" when the
// build recorded none (go test, go run, a build outside a checkout).
func buildCommit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = " (modified)"
			}
		}
	}
	if rev == "" {
		return "unknown"
	}
	return rev + dirty
}
