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
	"github.com/mitchellh/go-wordwrap"
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
configures a backend) that its discover block keeps. An uncalled module
without a backend under a modules/ directory is listed as an unused module,
not a stack. For each stack: its local modules (transitively), backend,
required_version and providers. Problems are listed and never hide the rest:
HCL that does not parse, module sources that are not literal strings, escape
the repo or name no directory, symbolic links that leave the repo or, in a
stack, point nowhere, and Terragrunt files in a repo without stacks.`,
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
		writeWrapped(g, "", fmt.Sprintf("Root modules not declared in %s: %s", planner.RepoConfigFile, strings.Join(d.Undeclared, ", ")))
	}
	if len(d.Excluded) > 0 {
		writeWrapped(g, "", fmt.Sprintf("Root modules left out by the discover block of %s: %s", planner.RepoConfigFile, strings.Join(d.Excluded, ", ")))
	}
	if len(d.UnusedModules) > 0 {
		writeWrapped(g, "", "Unused modules (under modules/, no caller, no backend): "+strings.Join(d.UnusedModules, ", "))
	}
	if len(d.Problems) > 0 {
		fmt.Fprintf(g.stdout, "\nProblems (%d):\n", len(d.Problems))
		writeProblems(g.stdout, d.Problems)
	}
}

// writeWrapped prints text at indent, wrapped to fit 80 columns, its
// continuation lines indented two more.
func writeWrapped(g *globals, indent, text string) {
	wrapped := wordwrap.WrapString(text, uint(78-len(indent)))
	fmt.Fprintf(g.stdout, "%s%s\n", indent, strings.ReplaceAll(wrapped, "\n", "\n"+indent+"  "))
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
