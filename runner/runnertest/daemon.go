// Package runnertest starts the real driftgate daemon for the tests of the
// API, its client and the CLI: a real store in a temp dir, real git repos,
// and Terraform, a stand-in for terraform that answers canned plans and
// applies. The gate, the queue and every text the tests read are the
// daemon's own.
package runnertest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/metrics"
	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
)

// Repo is one repository the daemon watches.
type Repo struct {
	// Name is the repo's name in driftgate.
	Name string
	// Config is its .driftgate.hcl; "" commits none.
	Config string
	// Dirs are its stack directories; each gets a main.tf.
	Dirs []string
}

// Daemon is a running daemon and what it runs on.
type Daemon struct {
	// URL is the API's base URL. apitest's tokens are accepted.
	URL string
	// Store is the daemon's store: tests read it, and may seed data the
	// daemon only reads (runs to list, drift records, state versions).
	Store *store.Store
	// Terraform is the daemon's terraform.
	Terraform *Terraform
	// Git holds the repos by name.
	Git map[string]*gittest.Repo

	tb   testing.TB
	stop func() error // stops the daemon once; what Run returned
}

// settleChecks is how many checks in a row, 5ms apart, must find the
// daemon settled for Settle.
const settleChecks = 3

// pollInterval is long: each repo is fetched once at start, so stored
// fixtures are not overwritten by later polls.
const pollInterval = time.Hour

// Start starts a daemon watching repos and waits until it has fetched each
// and finished the plans (and applies) the first sight of them starts;
// runs awaiting approval stay. It is stopped, and its store closed, at
// cleanup.
func Start(tb testing.TB, repos ...Repo) *Daemon {
	tb.Helper()
	return StartWith(tb, Options{}, repos...)
}

// Options are what StartWith varies in the daemon's config.
type Options struct {
	// Metrics, when set, are the metrics the daemon feeds and serves.
	Metrics *metrics.Metrics
	// Heartbeat, when set, is how often the daemon rewrites its node
	// record; else the daemon's default.
	Heartbeat time.Duration
}

// Node names the daemon's node; Version is its driftgate version.
const (
	Node        = "test-node"
	NodeVersion = "v0.0.0-test"
)

// StartWith is Start with opts.
func StartWith(tb testing.TB, opts Options, repos ...Repo) *Daemon {
	tb.Helper()
	st, err := store.Open(tb.TempDir(), store.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	d := &Daemon{Store: st, Terraform: NewTerraform(), Git: map[string]*gittest.Repo{}, tb: tb}
	cfg := runner.Config{
		DataDir: tb.TempDir(), Listen: "127.0.0.1:0", MaxParallelRuns: 2,
		ShutdownTimeout: time.Second, Auth: apitest.Auth(), Metrics: opts.Metrics,
		Node: runner.NodeConfig{Name: Node, Version: NodeVersion, Heartbeat: opts.Heartbeat},
	}
	for _, r := range repos {
		files := map[string]string{"README.md": "# " + r.Name + "\n"}
		if r.Config != "" {
			files[".driftgate.hcl"] = r.Config
		}
		for _, dir := range r.Dirs {
			files[dir+"/main.tf"] = `resource "x" "y" {}` + "\n"
		}
		g := gittest.New(tb, files)
		d.Git[r.Name] = g
		cfg.Repos = append(cfg.Repos, runner.RepoConfig{Name: r.Name, URL: g.Dir, Branch: "main", PollInterval: pollInterval})
	}
	daemon, err := runner.New(cfg, st, d.Terraform, nil)
	if err != nil {
		tb.Fatalf("new daemon: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- daemon.Run(ctx) }()
	d.stop = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	tb.Cleanup(func() {
		if err := d.stop(); err != nil {
			tb.Errorf("daemon: %v", err)
		}
	})
	d.waitFor("the API to listen", func() (bool, error) {
		select {
		case err := <-done:
			done <- err
			return false, fmt.Errorf("daemon stopped: %w", err)
		default:
		}
		if a := daemon.Addr(); a != nil {
			d.URL = "http://" + a.String()
		}
		return d.URL != "" && d.ready(), nil
	})
	for name, g := range d.Git {
		d.waitFor("repo "+name+" to be fetched", func() (bool, error) {
			rec, err := st.GetRepo(context.Background(), name)
			if errors.Is(err, store.ErrNotFound) {
				return false, nil
			}
			return err == nil && rec.LastCommit == g.Head(), err
		})
	}
	d.Settle()
	return d
}

// Stop stops the daemon as a shutdown does and waits until it has; the
// store stays open for the test to read. It fails the test if the daemon
// ends in error.
func (d *Daemon) Stop() {
	d.tb.Helper()
	if err := d.stop(); err != nil {
		d.tb.Errorf("daemon: %v", err)
	}
}

// ready reports whether /readyz answers 200.
func (d *Daemon) ready() bool {
	resp, err := http.Get(d.URL + "/readyz")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// waitFor polls cond until it holds, failing the test after ten seconds.
func (d *Daemon) waitFor(what string, cond func() (bool, error)) {
	d.tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := cond()
		if err != nil {
			d.tb.Fatalf("wait for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			d.tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Settle waits until no run is queued or running (runs awaiting
// approval stay), and every planned plan run has opened its apply run
// (Terraform's plans always have changes).
func (d *Daemon) Settle() {
	d.tb.Helper()
	quiet := 0
	d.waitFor("the queue to settle", func() (bool, error) {
		settled, err := d.settled(context.Background())
		if !settled {
			quiet = 0
			return false, err
		}
		quiet++
		return quiet >= settleChecks, nil
	})
}

// settled reports whether nothing is queued or running and every planned
// plan run has an apply run.
func (d *Daemon) settled(ctx context.Context) (bool, error) {
	runs, err := d.Store.ActiveRuns(ctx)
	if err != nil {
		return false, err
	}
	for _, r := range runs {
		if r.Status == store.StatusQueued || r.Status == store.StatusRunning {
			return false, nil
		}
	}
	plans, _, err := d.Store.ListRuns(ctx, store.RunFilter{Operation: store.OperationPlan, Status: store.StatusPlanned, Limit: store.MaxListLimit})
	if err != nil {
		return false, err
	}
	applies, _, err := d.Store.ListRuns(ctx, store.RunFilter{Operation: store.OperationApply, Limit: store.MaxListLimit})
	if err != nil {
		return false, err
	}
	opened := map[string]bool{}
	for _, a := range applies {
		if a.Binding != nil {
			opened[a.Binding.PlanRun] = true
		}
	}
	for _, p := range plans {
		if !opened[p.ID] {
			return false, nil
		}
	}
	return true, nil
}

// WaitRun waits until run id has one of statuses and returns it.
func (d *Daemon) WaitRun(id string, statuses ...store.RunStatus) *store.Run {
	d.tb.Helper()
	var run *store.Run
	d.waitFor("run "+id+" to be "+fmt.Sprint(statuses), func() (bool, error) {
		var err error
		if run, err = d.Store.GetRun(context.Background(), id); err != nil {
			return false, err
		}
		for _, s := range statuses {
			if run.Status == s {
				return true, nil
			}
		}
		return false, nil
	})
	return run
}

// Latest returns the newest run of operation op of repo/stack.
func (d *Daemon) Latest(repo, stack string, op store.Operation) *store.Run {
	d.tb.Helper()
	runs, _, err := d.Store.ListRuns(context.Background(), store.RunFilter{Repo: repo, Stack: stack, Operation: op, Limit: 1})
	if err != nil {
		d.tb.Fatalf("list runs: %v", err)
	}
	if len(runs) == 0 {
		d.tb.Fatalf("stack %s/%s has no %s run", repo, stack, op)
	}
	return &runs[0]
}

// WaitReason waits until run id waits for reason and returns it.
func (d *Daemon) WaitReason(id string, reason store.RunReason) *store.Run {
	d.tb.Helper()
	var run *store.Run
	d.waitFor("run "+id+" to wait for "+string(reason), func() (bool, error) {
		var err error
		run, err = d.Store.GetRun(context.Background(), id)
		return err == nil && run.Reason == reason, err
	})
	return run
}
