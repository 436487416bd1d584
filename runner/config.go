package runner

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/gitrepo"
	"github.com/driftgate/driftgate/runner/metrics"
	"github.com/driftgate/driftgate/runner/notify"
	"github.com/driftgate/driftgate/runner/ui"
)

// Config is what the daemon needs to run. cmd/driftgate builds it from the
// server config file; nothing here knows HCL.
type Config struct {
	// DataDir holds the database, git mirrors (git/), and the planner's
	// directories.
	DataDir string
	// Listen is the HTTP API's address.
	Listen string
	// MaxParallelRuns bounds the runs executing at once (at most one per
	// stack).
	MaxParallelRuns int
	// ShutdownTimeout is how long running plans may go on after a shutdown
	// starts before they are interrupted.
	ShutdownTimeout time.Duration
	Repos           []RepoConfig
	// Auth accepts the API's bearer tokens.
	Auth api.Authenticator
	// Notifier delivers drift events; nil sends none. The daemon runs it.
	Notifier NotifierRunner
	// TLS, when set, serves the API over HTTPS; the daemon runs it
	// (certificate reloads, ACME challenges) while it serves.
	TLS TLSSource
	// Metrics, when set, are the metrics the daemon feeds and serves at
	// GET /metrics; nil serves default ones (metrics.New).
	Metrics *metrics.Metrics
	// UI configures the web UI served next to the API; its zero value
	// serves it.
	UI ui.Config
	// PublicURL is where users reach driftgate (links in PR comments and
	// commit statuses); "" means no links.
	PublicURL string
	// Node is how the daemon describes itself in its node record
	// (nodes.go); the zero value names it after the host.
	Node NodeConfig
	// Cluster, when set, makes the daemon one node of several sharing a
	// PostgreSQL database (cluster.go); nil runs one node, with the local
	// dispatcher.
	Cluster *ClusterConfig
}

// TLSSource is where the API's TLS configuration comes from.
type TLSSource interface {
	Config() *tls.Config
	Run(ctx context.Context) error
}

// NotifierRunner delivers events in the background while Run runs.
type NotifierRunner interface {
	Notify(ctx context.Context, ev notify.Event)
	Run(ctx context.Context) error
}

// RepoConfig is one watched repository.
type RepoConfig struct {
	Name         string
	URL          string
	Branch       string
	PollInterval time.Duration
	Auth         gitrepo.Auth
	// DriftSchedule is the repo's default drift check schedule (cron or
	// @descriptor); "" or "off": none. Stacks may override it.
	DriftSchedule string
	// OnDrift is the repo's default remediation: notify or plan (apply is
	// only ever set on a stack).
	OnDrift string
	// Forge, when set, is the forge hosting the repo: its webhooks plan
	// pull requests (forge.go).
	Forge *ForgeConfig
}

// Defaults for zero Config fields.
const (
	DefaultShutdownTimeout = 2 * time.Minute
	DefaultPollInterval    = time.Minute
)

func (c *Config) check() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("no data dir"))
	}
	if c.MaxParallelRuns < 1 {
		errs = append(errs, fmt.Errorf("max parallel runs %d: must be at least 1", c.MaxParallelRuns))
	}
	if c.Auth == nil {
		errs = append(errs, errors.New("no API authenticator: set DRIFTGATE_TOKEN or token_file"))
	}
	seen := map[string]bool{}
	for _, r := range c.Repos {
		if seen[r.Name] {
			errs = append(errs, fmt.Errorf("repo %q configured twice", r.Name))
		}
		seen[r.Name] = true
		if r.OnDrift == OnDriftApply {
			errs = append(errs, fmt.Errorf("repo %q: on_drift = \"apply\" may only be set on a stack in .driftgate.hcl", r.Name))
		}
		if r.URL == "" || r.Branch == "" {
			errs = append(errs, fmt.Errorf("repo %q: url and branch are required", r.Name))
		}
	}
	return errors.Join(errs...)
}
