// Package metrics exposes driftgate's Prometheus metrics at GET /metrics:
// counters and histograms the daemon feeds as things happen (runs, phases,
// git fetches, deliveries, API requests), gauges read from the store at
// scrape time (queue, drift, approvals, holds, findings), bbolt's own
// statistics, and the Go runtime and process collectors.
//
// Labels are bounded: repo, operation, trigger, status, phase, result and
// route pattern. Stack names and run ids never appear as label values
// unless Options.PerStack is set, which adds a stack label ("repo/stack")
// to the run counters and per-stack drift and findings gauges: one series
// per stack and status, so only for fleets of a few hundred stacks.
package metrics
