package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/store"
)

// lockWait is how long the store commands wait for the database file lock
// before deciding that the daemon holds it.
const lockWait = 300 * time.Millisecond

// storeFlags locate the data dir: --data-dir, else the data_dir of --config.
type storeFlags struct {
	configFile string
	dataDir    string
	cfg        *Config // the loaded config, when one was read
}

func addStoreFlags(cmd *cobra.Command) *storeFlags {
	f := &storeFlags{}
	cmd.Flags().StringVar(&f.configFile, "config", "driftgate.hcl", "server config file, for its data_dir and listen address")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "the daemon's data dir (default: data_dir of --config)")
	return f
}

// dir returns the data dir, loading the config when --data-dir is unset.
func (f *storeFlags) dir() (string, error) {
	if f.dataDir != "" {
		return f.dataDir, nil
	}
	cfg, parser, diags := LoadConfig(f.configFile)
	if diags.HasErrors() {
		return "", errors.New("no --data-dir, and the config does not load:\n" + FormatDiagnostics(parser, diags))
	}
	f.cfg = cfg
	return cfg.DataDir, nil
}

func newStoreCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Check, back up or initialize the daemon's database",
		Long: `Look after the daemon's database, <data_dir>/driftgate.db:

  driftgate store check [FILE]   integrity check of the database or of a backup
  driftgate store backup FILE    consistent copy, also while the daemon runs
  driftgate store init           start over with an empty database
  driftgate store copy --from DATA_DIR --to-env DRIFTGATE_DATABASE_URL
                                 copy the history into PostgreSQL

Restore a backup by stopping the daemon and copying it to
<data_dir>/driftgate.db (see README, Backups).`,
	}
	cmd.AddCommand(newStoreCheckCmd(g), newStoreBackupCmd(g), newStoreInitCmd(g), newStoreCopyCmd(g))
	return cmd
}

func newStoreCheckCmd(g *globals) *cobra.Command {
	var f *storeFlags
	cmd := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Check the database, or a backup FILE, for damage",
		Long: `Check a database file without changing it: that it is whole, that bbolt's
page structure is consistent, that every record decodes and that the run
indexes list exactly the stored runs. Without FILE it checks the data dir's
driftgate.db, which needs the daemon stopped; while it runs, check a backup:
driftgate store backup FILE && driftgate store check FILE.
Exits 1 when it finds a problem.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var path string
			if len(args) == 1 {
				path = args[0]
			} else {
				dir, err := f.dir()
				if err != nil {
					return err
				}
				path = filepath.Join(dir, store.DBFile)
			}
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("check %s: %w", path, err)
			}
			rep, err := store.Check(cmd.Context(), path, lockWait)
			if err != nil {
				return err
			}
			return writeCheckReport(g.stdout, rep, "restore it from a backup (see README, Backups)")
		},
	}
	f = addStoreFlags(cmd)
	return cmd
}

// writeCheckReport prints rep and fails when it lists problems, advising
// what to do.
func writeCheckReport(w io.Writer, rep *store.CheckReport, advice string) error {
	fmt.Fprintf(w, "%s: schema v%d, %d runs, %d records\n", rep.Path, rep.SchemaVersion, rep.Runs, rep.Records)
	if len(rep.Problems) == 0 {
		fmt.Fprintln(w, "no problems found")
		return nil
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	return fmt.Errorf("%s: %d problems found; %s", rep.Path, len(rep.Problems), advice)
}

func newStoreBackupCmd(g *globals) *cobra.Command {
	var (
		f             *storeFlags
		server, token string
	)
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the database to FILE, also while the daemon runs",
		Long: `Write a consistent copy of the database to FILE. When no process holds the
data dir, the copy is read from its driftgate.db directly; when the daemon
holds it, the daemon makes the copy (GET /api/v1/backup, an admin token:
--token or DRIFTGATE_TOKEN; the server is --server, DRIFTGATE_ADDR, or the
config's listen address). FILE is replaced only by a complete copy that
passes 'driftgate store check'. Exits 1 when the copy holds damage of the
database, which the copy then shows.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dst := args[0]
			dir, dirErr := f.dir()
			cf := &clientFlags{server: server, token: token}
			if cf.server == "" && os.Getenv(envServer) == "" && f.cfg != nil {
				cf.server = listenURL(f.cfg.Listen)
			}
			if dirErr != nil && server == "" && os.Getenv(envServer) == "" {
				return dirErr
			}
			source := ""
			rep, err := store.SaveBackup(cmd.Context(), dst, func(w io.Writer) error {
				if dirErr == nil {
					_, err := store.BackupDir(cmd.Context(), dir, w, lockWait)
					if !errors.Is(err, store.ErrLocked) {
						source = filepath.Join(dir, store.DBFile)
						return err
					}
				}
				// The daemon holds the file: it makes the copy. A copy takes
				// as long as it takes, so no overall timeout.
				c := apiclient.New(cf.serverURL(), cf.tokenValue(), apiclient.WithHTTPClient(&http.Client{}))
				source = "the daemon at " + c.BaseURL()
				if err := c.Backup(cmd.Context(), w); err != nil {
					return fmt.Errorf("the data dir is held by a running driftgate; asking it for the copy: %w", cf.explain(err))
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "backed up %s from %s\n", dst, source)
			return writeCheckReport(g.stdout, rep, "the database itself is damaged; restore an older backup")
		},
	}
	f = addStoreFlags(cmd)
	cmd.Flags().StringVar(&server, "server", "", "driftgate server URL, when the daemon runs (default $"+envServer+", else the config's listen)")
	cmd.Flags().StringVar(&token, "token", "", "admin API token, when the daemon runs (default $"+envToken+")")
	return cmd
}

// listenURL turns a listen address into the URL a client on this machine
// uses: an empty or unspecified host is the loopback.
func listenURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func newStoreInitCmd(g *globals) *cobra.Command {
	var f *storeFlags
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create an empty database where an earlier install's is missing or empty",
		Long: `Create a new, empty database in the data dir. 'serve' refuses to start when
driftgate.db is missing or empty but the data dir holds an earlier
install's state (repo mirrors, terraform state, backups): every run,
approval, hold and audit entry would be gone. Restore a backup if there is
one (see README, Backups); run this only to start over. It refuses a data
dir whose driftgate.db holds data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := f.dir()
			if err != nil {
				return err
			}
			path := filepath.Join(dir, store.DBFile)
			if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
				return fmt.Errorf("%s already holds a database (%d bytes); move it away first to start over, "+
					"or check it with 'driftgate store check'", path, fi.Size())
			}
			st, err := store.Open(dir, store.Options{Logger: g.logger(), InitEmpty: true, Timeout: lockWait})
			if err != nil {
				return err
			}
			if err := st.Close(); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "created an empty database: %s\n", path)
			return nil
		},
	}
	f = addStoreFlags(cmd)
	return cmd
}
