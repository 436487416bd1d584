package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/runner/gitrepo"
)

type affectedFlags struct {
	output   string
	from, to string
	files    []string
	exitCode bool
}

// affectedOutput is what `driftgate affected -o json` prints.
type affectedOutput struct {
	From     string                  `json:"from,omitempty"`
	To       string                  `json:"to,omitempty"`
	Changed  []string                `json:"changed"`
	Affected []planner.AffectedStack `json:"affected"`
}

func newAffectedCmd(g *globals) *cobra.Command {
	f := &affectedFlags{}
	cmd := &cobra.Command{
		Use:   "affected PATH (--from REV [--to REV] | --files FILE...)",
		Short: "Print the stacks a change affects, as the daemon decides it",
		Long: `Print the stacks of the repository at PATH that a change affects, with
the rule that matched. A file belongs to the innermost unit holding it: a
stack's directory, or a module's (a directory with .tf files). A change
affects a stack when it is under the stack's directory outside nested
units (its lock file included), a .tf/.tf.json file of a local module it
calls (transitively), a file it or its modules read through path.module,
path.root or a file function, the target of a symbolic link in its
directory, one of its var files or extra_triggers, or .driftgate.hcl
itself (which affects every stack). Anything else, such as a module's
README.md, CHANGELOG.md or .github, affects nothing.

With --from and --to (default HEAD) the change is the diff between two
commits and the stacks are those of --to. With --files the change is the
given paths (relative to PATH, which comes first): --files a b c, --files
a,b,c and --files a --files b all work. The stacks are those of the
working tree.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(f.output, "table", "json"); err != nil {
				return err
			}
			if len(args) > 1 {
				if len(f.files) == 0 {
					return fmt.Errorf("unexpected argument %q: affected takes one PATH; give changed files with --files FILE", args[1])
				}
				if st, err := os.Stat(args[0]); err != nil || !st.IsDir() {
					return fmt.Errorf("%s is not a directory: PATH comes first, as in driftgate affected PATH --files FILE", args[0])
				}
				f.files = append(f.files, args[1:]...) // --files a b: b is a positional argument to cobra
			}
			out, fsys, err := changeSet(cmd, args[0], f)
			if err != nil {
				return err
			}
			d, err := discover(cmd.Context(), g, fsys)
			if err != nil {
				return err
			}
			out.Affected = planner.Affected(d.Stacks, out.Changed)
			if out.Affected == nil {
				out.Affected = []planner.AffectedStack{}
			}
			if f.output == "json" {
				if err := writeJSON(g, out); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "STACK\tREASON")
				for _, a := range out.Affected {
					fmt.Fprintf(tw, "%s\t%s\n", a.Stack, strings.Join(a.Reasons, "; "))
				}
				tw.Flush()
				fmt.Fprintf(g.stdout, "\n%d of %d stacks affected by %d changed %s.\n", len(out.Affected), len(d.Stacks), len(out.Changed), plural(len(out.Changed), "file", "files"))
			}
			if f.exitCode && len(out.Affected) > 0 {
				return exitCode(exitChanges)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	fl.StringVar(&f.from, "from", "", "base revision of the change")
	fl.StringVar(&f.to, "to", "HEAD", "revision the change leads to")
	fl.StringSliceVar(&f.files, "files", nil, "changed files, relative to PATH, instead of --from/--to (--files a b, or a,b)")
	fl.BoolVar(&f.exitCode, "exit-code", false, "exit 2 when any stack is affected, 0 when none is")
	return cmd
}

// changeSet returns the changed paths and the tree to discover.
func changeSet(cmd *cobra.Command, path string, f *affectedFlags) (*affectedOutput, fs.FS, error) {
	if len(f.files) > 0 {
		if f.from != "" {
			return nil, nil, fmt.Errorf("give either --files or --from/--to, not both")
		}
		changed, err := repoRelative(path, f.files)
		if err != nil {
			return nil, nil, err
		}
		fsys, err := openTree(path, "")
		return &affectedOutput{Changed: changed}, fsys, err
	}
	if f.from == "" {
		return nil, nil, errors.New("give --from REV (and --to REV, default HEAD), or --files FILE")
	}
	repo, err := gitrepo.Open(path)
	if err != nil {
		return nil, nil, err
	}
	from, err := repo.Resolve(f.from)
	if err != nil {
		return nil, nil, err
	}
	to, err := repo.Resolve(f.to)
	if err != nil {
		return nil, nil, err
	}
	changed, err := repo.ChangedFiles(cmd.Context(), from, to)
	if err != nil {
		return nil, nil, err
	}
	fsys, err := repo.TreeFS(to)
	if err != nil {
		return nil, nil, err
	}
	if changed == nil {
		changed = []string{}
	}
	return &affectedOutput{From: from.String(), To: to.String(), Changed: changed}, fsys, nil
}

// repoRelative turns --files arguments into clean repo-relative slash paths.
func repoRelative(root string, files []string) ([]string, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(files))
	for _, f := range files {
		p := filepath.Clean(f)
		if filepath.IsAbs(p) {
			rel, err := filepath.Rel(absRoot, p)
			if err != nil || strings.HasPrefix(rel, "..") {
				return nil, fmt.Errorf("changed file %s is outside %s", f, root)
			}
			p = rel
		}
		if p == ".." || strings.HasPrefix(p, ".."+string(filepath.Separator)) {
			return nil, fmt.Errorf("changed file %s is outside %s", f, root)
		}
		out = append(out, filepath.ToSlash(p))
	}
	return out, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
