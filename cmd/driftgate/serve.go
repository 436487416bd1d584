package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/runner"
	"github.com/driftgate/driftgate/runner/gitrepo"
	"github.com/driftgate/driftgate/runner/metrics"
	"github.com/driftgate/driftgate/runner/notify"
	"github.com/driftgate/driftgate/store"
)

// tokenEnv names the environment variable holding the API token, for the
// daemon and the CLI alike.
const tokenEnv = "DRIFTGATE_TOKEN"

func newServeCmd(g *globals) *cobra.Command {
	var configFile string
	cmd := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Run the daemon: watch repositories, plan every commit, serve the API",
		Long: `Run driftgate's daemon. It keeps a bare mirror of every repo in the
config, polls it, plans the stacks each new commit on the tracked branch
affects, keeps every run in its database and serves the HTTP API the other
commands talk to.

API tokens are the config's token blocks (named, with roles), plus an
admin token named "default" from DRIFTGATE_TOKEN or token_file.
SIGINT or SIGTERM stops it gracefully: running plans may finish for up to
shutdown_timeout, then terraform is interrupted and the runs are recorded
as interrupted. Queued runs are kept and run after the next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, g, configFile)
		},
	}
	cmd.Flags().StringVar(&configFile, "config", "", "server config file (required)")
	return cmd
}

// serveStore is what the wiring hands the store to besides the daemon
// (runner.New names what the daemon needs): the notifier's deliveries.
// Both the bbolt and the PostgreSQL store have it.
type serveStore interface {
	PutDelivery(ctx context.Context, d *store.Delivery) error
	PendingDeliveries(ctx context.Context) ([]store.Delivery, error)
	PruneDeliveries(ctx context.Context, cutoff time.Time) (int, error)
}

// errNoConfig is what serve says without --config: it never guesses a file.
var errNoConfig = errors.New("serve needs --config FILE, the server config (see the README's Configuration), " +
	"for example: driftgate serve --config /etc/driftgate/driftgate.hcl")

func runServe(cmd *cobra.Command, g *globals, configFile string) error {
	if configFile == "" {
		return errNoConfig
	}
	cfg, parser, diags := LoadConfig(configFile)
	if diags.HasErrors() {
		return errors.New("invalid config:\n" + FormatDiagnostics(parser, diags))
	}
	logger := newLogger(g.stderr, cfg.Log)
	auth, err := apiAuthenticator(cfg)
	if err != nil {
		return err
	}
	if cfg.Encryption.Key == nil {
		logger.Warn("plan files are stored unencrypted; they may contain secrets (set encryption { key_file } to seal them)")
	}
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	db, err := openServeDB(ctx, cfg, newPlanner(cfg, logger), logger)
	if err != nil {
		return err
	}
	defer db.close()
	st := db.store

	rc, err := daemonConfig(cfg, st, newMetrics(cfg.Metrics, st), logger)
	if err != nil {
		return err
	}
	rc.Auth = auth
	rc.Cluster = db.cluster
	tlsSrc, reloadTLS, err := newTLSSource(cfg.TLS, logger)
	if err != nil {
		return err
	}
	if tlsSrc != nil {
		rc.TLS = tlsSrc
	}
	d, err := db.newDaemon(rc)
	if err != nil {
		return err
	}
	onHangup(ctx, func() {
		reloadTLS()
		reloadConfig(configFile, cfg, rc.TLS, d, st, logger)
	})
	return d.Run(ctx)
}

// daemonConfig is the runner's configuration from the server config: all
// but the API tokens and TLS, which the caller sets.
func daemonConfig(cfg *Config, st serveStore, m *metrics.Metrics, logger *slog.Logger) (runner.Config, error) {
	rc := runner.Config{
		Metrics:         m,
		DataDir:         cfg.DataDir,
		Listen:          cfg.Listen,
		MaxParallelRuns: cfg.MaxParallelRuns,
		ShutdownTimeout: cfg.ShutdownTimeout,
		UI:              uiConfig(cfg),
		PublicURL:       cfg.PublicURL,
		Node:            nodeConfig(cfg),
	}
	for _, r := range cfg.Repos {
		auth := gitrepo.Auth{SSHKeyFile: r.SSHKeyFile}
		if r.TokenEnv != "" {
			auth.Token = os.Getenv(r.TokenEnv)
		}
		repo := runner.RepoConfig{
			Name: r.Name, URL: r.URL, Branch: r.Branch, PollInterval: r.PollInterval, Auth: auth,
			DriftSchedule: r.DriftSchedule, OnDrift: r.OnDrift,
		}
		if r.Forge != nil {
			f, err := newForge(r, logger)
			if err != nil {
				return runner.Config{}, err
			}
			repo.Forge = f
		}
		rc.Repos = append(rc.Repos, repo)
	}
	if len(cfg.Notify) > 0 {
		n, err := newNotifier(cfg.Notify, st, m, logger)
		if err != nil {
			return runner.Config{}, err
		}
		rc.Notifier = n
	}
	return rc, nil
}

// reloadConfig loads the config file again (SIGHUP) and hands what may
// change while running to the daemon: repos, tokens, notify blocks and
// drift settings. A file that does not load changes nothing; the log says
// why. Settings that need a restart are named in the log.
func reloadConfig(path string, running *Config, tls runner.TLSSource, d *runner.Daemon, st serveStore, logger *slog.Logger) {
	next, parser, diags := LoadConfig(path)
	if diags.HasErrors() {
		logger.Error("SIGHUP: config not reloaded; the running one stays", "config", path,
			"error", FormatDiagnostics(parser, diags))
		return
	}
	auth, err := apiAuthenticator(next)
	if err != nil {
		logger.Error("SIGHUP: config not reloaded; the running one stays", "config", path, "error", err)
		return
	}
	rc, err := daemonConfig(next, st, d.Metrics(), logger)
	if err != nil {
		logger.Error("SIGHUP: config not reloaded; the running one stays", "config", path, "error", err)
		return
	}
	rc.Auth, rc.TLS = auth, tls
	restart, err := d.Reload(rc)
	if err != nil {
		logger.Error("SIGHUP: config not reloaded; the running one stays", "config", path, "error", err)
		return
	}
	for _, c := range []struct {
		name    string
		changed bool
	}{
		{"tls", next.TLS.CertFile != running.TLS.CertFile || next.TLS.KeyFile != running.TLS.KeyFile ||
			(next.TLS.ACME == nil) != (running.TLS.ACME == nil)},
		{"terraform", next.Terraform != running.Terraform},
		{"encryption", next.Encryption.KeyFile != running.Encryption.KeyFile || next.Encryption.KeyEnv != running.Encryption.KeyEnv},
		{"log", next.Log != running.Log},
		{"metrics", next.Metrics != running.Metrics},
	} {
		if c.changed && !slices.Contains(restart, c.name) {
			restart = append(restart, c.name)
		}
	}
	if len(restart) > 0 {
		logger.Warn("SIGHUP: these settings changed but take effect only after a restart", "settings", strings.Join(restart, ", "))
	}
	logger.Info("SIGHUP: config reloaded", "config", path, "repos", len(next.Repos), "tokens", len(next.Tokens), "notify", len(next.Notify))
}

// newLogger builds the daemon's logger from the config's log block.
func newLogger(w io.Writer, lc LogConfig) *slog.Logger {
	opts := &slog.HandlerOptions{Level: lc.Level}
	if lc.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newNotifier builds the drift notifier from the config's notify blocks;
// URLs and secrets come from the environment variables they name.
func newNotifier(blocks []NotifyConfig, st serveStore, m *metrics.Metrics, logger *slog.Logger) (*notify.Notifier, error) {
	routes := make([]notify.Route, 0, len(blocks))
	for _, b := range blocks {
		url := b.URL
		if b.URLEnv != "" {
			url = os.Getenv(b.URLEnv)
		}
		var sink notify.Sink
		switch b.Type {
		case "slack":
			sink = notify.NewSlack(b.Name, url, nil)
		default:
			var secret []byte
			if b.SecretEnv != "" {
				secret = []byte(os.Getenv(b.SecretEnv))
			}
			sink = notify.NewWebhook(b.Name, url, secret, nil)
		}
		events := make([]notify.EventType, 0, len(b.Events))
		for _, e := range b.Events {
			events = append(events, notify.EventType(e))
		}
		routes = append(routes, notify.Route{Sink: sink, Events: events, Repos: b.Repos})
	}
	onAttempt := func(result string) { m.Delivery(metrics.KindNotify, result) }
	n, err := notify.New(st, routes, notify.Options{Logger: logger, OnAttempt: onAttempt})
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return n, nil
}
