package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print driftgate's version, the commit it was built from and its Go version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(g.stdout, "driftgate %s\n", buildVersion)
			fmt.Fprintf(g.stdout, "commit:   %s\n", buildCommit())
			fmt.Fprintf(g.stdout, "go:       %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		},
	}
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
