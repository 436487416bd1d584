package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/store/postgres"
)

// envDatabaseURL is the default variable holding the PostgreSQL URL.
const envDatabaseURL = "DRIFTGATE_DATABASE_URL"

func newStoreCopyCmd(g *globals) *cobra.Command {
	var from, toEnv string
	cmd := &cobra.Command{
		Use:   "copy --from DATA_DIR --to-env " + envDatabaseURL,
		Short: "Copy a data dir's bbolt history into a PostgreSQL database",
		Long: `Copy everything in DATA_DIR/driftgate.db (repos, stacks, runs, plans, logs,
state versions, drift, holds, audit log, PR records, webhook delivery ids,
notification deliveries, forge outbox) into the PostgreSQL database whose
URL is in the environment variable --to-env, creating its schema if needed.
The copy is one transaction: all of it or nothing. Records keep their ids;
plan files and state versions sealed with an encryption key are copied
sealed, so no key is needed here and the nodes need the same key. Records
already in the database are left alone: copying again changes nothing.
Stop the daemon first; the command refuses a data dir another process holds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return errors.New("--from DATA_DIR is required: the data dir of the bbolt database to copy")
			}
			path := filepath.Join(from, store.DBFile)
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("copy from %s: %w; --from names the daemon's data_dir", path, err)
			}
			url := os.Getenv(toEnv)
			if url == "" {
				return fmt.Errorf("the environment variable %s is empty; set it to the PostgreSQL URL to copy into", toEnv)
			}
			src, err := store.Open(from, store.Options{Logger: g.logger(), Timeout: lockWait})
			if err != nil {
				return err
			}
			defer src.Close()
			dst, err := postgres.Open(cmd.Context(), url, postgres.Options{Logger: g.logger()})
			if err != nil {
				return err
			}
			defer dst.Close()
			counts, err := dst.CopyFrom(cmd.Context(), src)
			if err != nil {
				return err
			}
			copied := 0
			for _, c := range counts {
				fmt.Fprintf(g.stdout, "%-16s %6d copied %6d already there\n", c.Kind, c.Copied, c.Present)
				copied += c.Copied
			}
			fmt.Fprintf(g.stdout, "copied %d records from %s into $%s\n", copied, path, toEnv)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "data dir of the bbolt database to copy")
	cmd.Flags().StringVar(&toEnv, "to-env", envDatabaseURL, "environment variable holding the PostgreSQL URL")
	return cmd
}
