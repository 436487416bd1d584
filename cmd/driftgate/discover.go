package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/runner/gitrepo"
)

type discoverFlags struct {
	output string
	rev    string
	strict bool
}

func newDiscoverCmd(g *globals) *cobra.Command {
	f := &discoverFlags{}
	cmd := &cobra.Command{
		Use:   "discover PATH",
		Short: "List the Terraform stacks in a checkout, their local modules and any problems",
		Long: `Find the Terraform stacks of the repository at PATH without running
terraform: the stacks .driftgate.hcl declares, else every root module (a
directory with .tf files that no other directory calls as a module, or that
configures a backend). For each: its local modules (transitively), backend,
required_version and providers. Directories whose HCL does not parse are
listed as problems; the rest is still found.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(f.output, "table", "json"); err != nil {
				return err
			}
			fsys, err := openTree(args[0], f.rev)
			if err != nil {
				return err
			}
			d, err := discover(cmd.Context(), g, fsys)
			if err != nil {
				return err
			}
			if f.output == "json" {
				if err := writeJSON(g, d); err != nil {
					return err
				}
			} else {
				writeDiscoveryTable(g, d)
			}
			if f.strict && len(d.Problems) > 0 {
				return exitCode(exitError)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&f.rev, "rev", "", "discover at this git revision instead of the working tree")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "exit 1 when any directory has problems")
	return cmd
}

// openTree returns the working tree at path, or its git tree at rev.
func openTree(path, rev string) (fs.FS, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("repository path: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("repository path %s is not a directory", path)
	}
	if rev == "" {
		return os.DirFS(path), nil
	}
	repo, err := gitrepo.Open(path)
	if err != nil {
		return nil, err
	}
	h, err := repo.Resolve(rev)
	if err != nil {
		return nil, err
	}
	return repo.TreeFS(h)
}

// discover loads the repo config (printing its errors with source snippets)
// and discovers the stacks.
func discover(ctx context.Context, g *globals, fsys fs.FS) (*planner.Discovery, error) {
	cfg, diags := planner.LoadRepoConfig(fsys)
	if diags.HasErrors() {
		var files map[string]*hcl.File
		if cfg != nil {
			files = cfg.Files
		}
		fmt.Fprint(g.stderr, formatDiagnostics(files, diags))
		return nil, errors.New(planner.RepoConfigFile + " has errors; fix them and run again")
	}
	return planner.Discover(ctx, fsys, planner.DiscoverOptions{Config: cfg})
}

func writeDiscoveryTable(g *globals, d *planner.Discovery) {
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tDIR\tBACKEND\tMODULES")
	for _, s := range d.Stacks {
		backend := s.Backend
		if backend == "" {
			backend = "(default)"
		}
		name := s.Name
		if s.Workspace != "" && s.Workspace != planner.DefaultWorkspace {
			name += ":" + s.Workspace
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, s.Dir, backend, moduleList(s.Modules))
	}
	tw.Flush()
	fmt.Fprintf(g.stdout, "\n%d stacks, %d directories with Terraform files.\n", len(d.Stacks), len(d.Modules))
	if len(d.Undeclared) > 0 {
		fmt.Fprintf(g.stdout, "Root modules not declared in %s: %s\n", planner.RepoConfigFile, strings.Join(d.Undeclared, ", "))
	}
	if len(d.Problems) > 0 {
		fmt.Fprintf(g.stdout, "\nProblems (%d):\n", len(d.Problems))
		writeProblems(g.stdout, d.Problems)
	}
}

// moduleList shortens a module list to fit a table cell.
func moduleList(mods []string) string {
	if len(mods) == 0 {
		return "-"
	}
	const show = 3
	if len(mods) <= show {
		return strings.Join(mods, ", ")
	}
	return fmt.Sprintf("%s, +%d more", strings.Join(mods[:show], ", "), len(mods)-show)
}

func writeJSON(g *globals, v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
