package main

import (
	"os"

	"github.com/hashicorp/hcl/v2"
	"go.etcd.io/bbolt"

	"github.com/driftgate/driftgate/runner/metrics"
)

// MetricsConfig is the metrics block: how GET /metrics is served.
type MetricsConfig struct {
	// PerStack adds a stack label to the run counters and per-stack drift
	// gauges (one series per stack: mind the cardinality).
	PerStack bool
	// TokenEnv names the environment variable holding the bearer token
	// GET /metrics requires; empty serves it without one.
	TokenEnv string
	// Token is TokenEnv's value, read when the config loads.
	Token string
}

type metricsBlock struct {
	PerStack *bool    `hcl:"per_stack,optional"`
	TokenEnv *string  `hcl:"token_env,optional"`
	Body     hcl.Body `hcl:",body"`
}

// decodeMetrics decodes the metrics block, when there is one, into out.
// token_env must name a set environment variable.
func decodeMetrics(mb *metricsBlock, out *MetricsConfig) hcl.Diagnostics {
	if mb == nil {
		return nil
	}
	if mb.PerStack != nil {
		out.PerStack = *mb.PerStack
	}
	if mb.TokenEnv != nil {
		if d := checkEnv(mb.Body, "token_env", *mb.TokenEnv, "bearer token Prometheus sends to scrape /metrics"); d != nil {
			return hcl.Diagnostics{d}
		}
		out.TokenEnv, out.Token = *mb.TokenEnv, os.Getenv(*mb.TokenEnv)
	}
	return nil
}

// boltStats is what a bbolt store tells about its database file; a store
// without them (PostgreSQL, which has its own monitoring) exports none.
type boltStats interface {
	Stats() bbolt.Stats
	Path() string
}

// newMetrics builds the daemon's metrics from the metrics block, with the
// database's statistics when st is a bbolt store.
func newMetrics(cfg MetricsConfig, st serveStore) *metrics.Metrics {
	m := metrics.New(metrics.Options{PerStack: cfg.PerStack, Token: cfg.Token})
	if db, ok := st.(boltStats); ok {
		m.WatchBolt(db)
	}
	return m
}
