package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with a server config file",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Check a server config file without starting the daemon",
		Long: `Load and check a server config file exactly as serve does (syntax,
arguments, referenced files and environment variables), print every
problem with its file:line:column and the fix, and exit 1 if there is one.
Run it before a SIGHUP reload or a restart.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, parser, diags := LoadConfig(args[0])
			if len(diags) > 0 {
				fmt.Fprint(g.stderr, FormatDiagnostics(parser, diags))
			}
			if diags.HasErrors() {
				return errors.New("invalid config " + args[0])
			}
			tls := "off"
			switch {
			case cfg.TLS.ACME != nil:
				tls = "acme"
			case cfg.TLS.Enabled():
				tls = "on"
			}
			fmt.Fprintf(g.stdout, "%s: ok: %d repos, %d tokens, %d notify blocks, data_dir %s, listen %s, tls %s\n",
				args[0], len(cfg.Repos), len(cfg.Tokens), len(cfg.Notify), cfg.DataDir, cfg.Listen, tls)
			return nil
		},
	})
	return cmd
}
