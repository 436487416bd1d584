package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
)

// coldParallel times the first plans of many stacks, parallel at a time:
// a driftgate serve process with max_parallel_runs = parallel, on a new data
// dir, planning every stack of a new repo (from the first run queued to the
// last one recorded with its plan), against the same terraform commands
// (init, plan -out, show -json) run by hand parallel at a time, each stack
// in a fresh copy, all sharing one empty plugin cache (as CI jobs on one
// runner do). The stacks have no lock file and a few resources of the test
// provider each; nothing is applied, so every plan adds them. Hand-run
// inits sharing a plugin cache can fail; those failures are counted, and
// the stack run again.
//
// A third side is the daemon with GOMAXPROCS set in its environment, as an
// operator may set it: then terraform gets that, not its run's share of
// the CPUs (see planner/tfrun/cpushare.go), which shows what the share
// saves. Each round runs the three sides back to back, in an order that
// rotates from round to round, so that machine load hits all alike.
func coldParallel(driftgate, mirror string, stacks, parallel, rounds int) error {
	dir, err := os.MkdirTemp("", "driftgate-coldbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	absMirror, err := filepath.Abs(mirror)
	if err != nil {
		return err
	}
	absDriftgate, err := filepath.Abs(driftgate)
	if err != nil {
		return err
	}
	env, err := mirrorEnv(dir, absMirror)
	if err != nil {
		return err
	}
	// A GOMAXPROCS of the bench's own would turn the daemon's CPU share
	// off on both daemon sides.
	env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "GOMAXPROCS=") })
	c := &coldBench{dir: dir, driftgate: absDriftgate, env: env, parallel: parallel, daemonCPU: map[string]time.Duration{}}
	if err := c.writeStacks(stacks); err != nil {
		return err
	}
	var raw, dg, unshared []time.Duration
	rawFailures := 0
	fixed := fmt.Sprintf("GOMAXPROCS=%d", runtime.NumCPU())
	for r := 0; r < rounds; r++ {
		sides := []func() error{
			func() error {
				d, failed, err := c.timeRaw(r)
				raw, rawFailures = append(raw, d), rawFailures+failed
				return err
			},
			func() error {
				d, err := c.timeDaemon(r, "shared")
				dg = append(dg, d)
				return err
			},
			func() error {
				d, err := c.timeDaemon(r, "fixed", fixed)
				unshared = append(unshared, d)
				return err
			},
		}
		for i := range sides {
			if err := sides[(i+r)%len(sides)](); err != nil {
				return err
			}
		}
		fmt.Printf("round %d: raw %s, daemon %s, daemon with %s %s\n", r, raw[r].Round(time.Millisecond),
			dg[r].Round(time.Millisecond), fixed, unshared[r].Round(time.Millisecond))
	}
	per := func(ds []time.Duration) time.Duration { return median(ds) / time.Duration(stacks) }
	fmt.Printf("cold first plans of %d stacks, %d at a time, %d rounds (medians, per stack):\n", stacks, parallel, rounds)
	fmt.Printf("  raw terraform by hand, shared plugin cache       %8s  (%d failed attempts in %d stack plans, run again)\n",
		per(raw).Round(time.Millisecond), rawFailures, stacks*rounds)
	fmt.Printf("  daemon, max_parallel_runs = %d, 0 failures        %8s  ratio %.3f\n", parallel, per(dg).Round(time.Millisecond), ratio(dg, raw))
	fmt.Printf("  the same with %s (no CPU share)     %8s  ratio %.3f\n", fixed, per(unshared).Round(time.Millisecond), ratio(unshared, raw))
	cpu := func(d time.Duration) time.Duration { return d / time.Duration(stacks*rounds) }
	fmt.Printf("  CPU time per stack (user+system, terraform included; the daemon's start-up and shutdown too):\n")
	fmt.Printf("    raw %s, daemon %s, daemon with %s %s\n", cpu(c.rawCPU).Round(time.Millisecond),
		cpu(c.daemonCPU["shared"]).Round(time.Millisecond), fixed, cpu(c.daemonCPU["fixed"]).Round(time.Millisecond))
	// Load from other jobs drifts over a run: the ratio of sides run back
	// to back in one round is the steadier figure.
	fmt.Printf("  per-round ratios to raw, run back to back: daemon median %.3f (%s); with %s median %.3f\n",
		medianRatio(dg, raw), spread(dg, raw), fixed, medianRatio(unshared, raw))
	return nil
}

// pairedRatios are a[r]/b[r], sorted.
func pairedRatios(a, b []time.Duration) []float64 {
	var out []float64
	for r := range a {
		out = append(out, float64(a[r])/float64(b[r]))
	}
	sort.Float64s(out)
	return out
}

func medianRatio(a, b []time.Duration) float64 {
	p := pairedRatios(a, b)
	if len(p)%2 == 0 {
		return (p[len(p)/2-1] + p[len(p)/2]) / 2
	}
	return p[len(p)/2]
}

// spread says in how many rounds a was faster than b, and the range of
// the ratios.
func spread(a, b []time.Duration) string {
	p := pairedRatios(a, b)
	faster := 0
	for _, x := range p {
		if x < 1 {
			faster++
		}
	}
	return fmt.Sprintf("faster in %d of %d rounds, range %.3f to %.3f", faster, len(p), p[0], p[len(p)-1])
}

type coldBench struct {
	dir, driftgate string
	env            []string
	parallel       int
	stacks         []string
	// CPU time (user and system) the sides' processes used, terraform
	// included: on a busy machine the side that uses more waits more.
	// daemonCPU is by daemon side.
	rawCPU    time.Duration
	daemonCPU map[string]time.Duration
	mu        sync.Mutex
}

// writeStacks generates the stacks under dir/src and commits them to a git
// repo at dir/git for the daemon.
func (c *coldBench) writeStacks(n int) error {
	src := filepath.Join(c.dir, "src")
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("stack%03d", i)
		var tf strings.Builder
		fmt.Fprintf(&tf, `terraform {
  required_providers {
    dgtest = { source = "driftgate/dgtest", version = "0.1.0" }
  }
}
provider "dgtest" { root = %q }
`, filepath.Join(c.dir, "objects", name))
		for j := 0; j < 3; j++ {
			fmt.Fprintf(&tf, "resource \"dgtest_server\" \"s%d\" {\n  name = \"%s-%d\"\n  port = %d\n}\n", j, name, j, 8000+j)
		}
		if err := os.MkdirAll(filepath.Join(src, name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(src, name, "main.tf"), []byte(tf.String()), 0o644); err != nil {
			return err
		}
		c.stacks = append(c.stacks, name)
	}
	repoDir := filepath.Join(c.dir, "git")
	repo, err := git.PlainInitWithOptions(repoDir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return err
	}
	for _, name := range c.stacks {
		if err := copyStack(filepath.Join(src, name), filepath.Join(repoDir, name)); err != nil {
			return err
		}
	}
	wt, err := repo.Worktree()
	if err != nil {
		return err
	}
	if err := wt.AddGlob("."); err != nil {
		return err
	}
	_, err = wt.Commit("stacks", &git.CommitOptions{Author: &object.Signature{Name: "bench", Email: "bench@example.invalid", When: time.Now()}})
	return err
}

// timeRaw plans every stack by hand, c.parallel at a time, each in a fresh
// copy made before the clock starts, with one new shared plugin cache.
func (c *coldBench) timeRaw(round int) (time.Duration, int, error) {
	base := filepath.Join(c.dir, fmt.Sprintf("raw-%d", round))
	defer os.RemoveAll(base)
	cache := filepath.Join(base, "plugin-cache")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return 0, 0, err
	}
	for _, name := range c.stacks {
		if err := copyStack(filepath.Join(c.dir, "src", name), filepath.Join(base, name)); err != nil {
			return 0, 0, err
		}
	}
	env := append(append([]string(nil), c.env...), "TF_PLUGIN_CACHE_DIR="+cache)
	jobs := make(chan string)
	var mu sync.Mutex
	failed := 0
	var firstFailure string
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c.parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range jobs {
				// A stack that failed is run again, as a person would,
				// and that time counts too.
				for attempt := 0; attempt < 3; attempt++ {
					out, cpu, err := rawPlan(filepath.Join(base, name), env)
					c.mu.Lock()
					c.rawCPU += cpu
					c.mu.Unlock()
					if err == nil {
						break
					}
					mu.Lock()
					failed++
					if firstFailure == "" {
						firstFailure = fmt.Sprintf("%s: %v\n%s", name, err, out)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, name := range c.stacks {
		jobs <- name
	}
	close(jobs)
	wg.Wait()
	d := time.Since(start)
	if firstFailure != "" {
		fmt.Fprintf(os.Stderr, "hand-run failure (round %d): %s\n", round, firstFailure)
	}
	return d, failed, nil
}

// rawPlan is terraform init, plan -out and show -json in dir. It returns
// the CPU time they used.
func rawPlan(dir string, env []string) ([]byte, time.Duration, error) {
	var cpu time.Duration
	for _, args := range [][]string{
		{"init", "-input=false"},
		{"plan", "-input=false", "-no-color", "-out=plan.tfplan"},
		{"show", "-json", "plan.tfplan"},
	} {
		cmd := exec.Command("terraform", args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState != nil {
			cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		if err != nil {
			return out, cpu, fmt.Errorf("terraform %s: %w", args[0], err)
		}
	}
	return nil, cpu, nil
}

// timeDaemon starts driftgate serve, with env added to its environment,
// on a new data dir watching the repo of all the stacks and returns how
// long it took from the first plan queued to the last one recorded (apply
// runs the plans open wait for approval and are not counted). Any failed
// plan is an error. side names the daemon's CPU time.
func (c *coldBench) timeDaemon(round int, side string, env ...string) (time.Duration, error) {
	dataDir := filepath.Join(c.dir, fmt.Sprintf("daemon-%s-%d", side, round))
	defer os.RemoveAll(dataDir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	config := filepath.Join(c.dir, fmt.Sprintf("driftgate-%s-%d.hcl", side, round))
	cfg := fmt.Sprintf(`data_dir          = %q
listen            = %q
max_parallel_runs = %d
terraform {
  install = false
}
repo "bench" {
  url           = %q
  poll_interval = "1h"
}
`, dataDir, addr, c.parallel, filepath.Join(c.dir, "git"))
	if err := os.WriteFile(config, []byte(cfg), 0o644); err != nil {
		return 0, err
	}
	logPath := filepath.Join(c.dir, fmt.Sprintf("daemon-%s-%d.log", side, round))
	logf, err := os.Create(logPath)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(c.driftgate, "serve", "--config", config)
	cmd.Env = append(append(append([]string(nil), c.env...), "DRIFTGATE_TOKEN="+benchToken), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		// The daemon waited for its terraform processes: their CPU time
		// is in its own.
		c.daemonCPU[side] += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}()
	client := apiclient.New("http://"+addr, benchToken, apiclient.WithHTTPClient(&http.Client{Timeout: time.Minute}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var last []apiv1.Run
	for {
		// While any plan is queued or running, two listings of one run
		// each say so; the whole list (which costs the daemon CPU the
		// plans need) is read only once none is.
		busy, err := plansBusy(ctx, client)
		if err == nil && !busy {
			var runs []apiv1.Run
			if runs, err = planRuns(ctx, client); err == nil {
				last = runs
				if len(runs) >= len(c.stacks) && allTerminal(runs) {
					return makespan(runs)
				}
			}
		}
		if ctx.Err() != nil {
			var states []string
			for _, r := range last {
				states = append(states, r.Stack+"="+string(r.Status))
			}
			return 0, fmt.Errorf("the daemon did not plan all %d stacks in time (%s; log in %s)", len(c.stacks), strings.Join(states, " "), logPath)
		}
		// The timing comes from the runs' own timestamps: polling
		// seldom costs no precision.
		time.Sleep(500 * time.Millisecond)
	}
}

// plansBusy reports whether the daemon has a run queued or running (the
// bench queues only plans).
func plansBusy(ctx context.Context, client *apiclient.Client) (bool, error) {
	for _, st := range []apiv1.RunStatus{apiv1.StatusQueued, apiv1.StatusRunning} {
		runs, _, err := client.Runs(ctx, apiv1.RunFilter{Status: st, Limit: 1})
		if err != nil || len(runs) > 0 {
			return true, err
		}
	}
	return false, nil
}

// planRuns lists the daemon's plan runs.
func planRuns(ctx context.Context, client *apiclient.Client) ([]apiv1.Run, error) {
	all, _, err := client.Runs(ctx, apiv1.RunFilter{Limit: apiv1.MaxListLimit})
	var plans []apiv1.Run
	for _, r := range all {
		if r.Operation == "plan" {
			plans = append(plans, r)
		}
	}
	return plans, err
}

func allTerminal(runs []apiv1.Run) bool {
	for _, r := range runs {
		if !r.Status.Terminal() {
			return false
		}
	}
	return true
}

// makespan is from the first run created to the last one finished; any
// failed run is an error.
func makespan(runs []apiv1.Run) (time.Duration, error) {
	first, last := runs[0].CreatedAt, runs[0].FinishedAt
	for _, r := range runs {
		if r.Status != apiv1.StatusPlanned && r.Status != apiv1.StatusNoChanges {
			return 0, fmt.Errorf("daemon run of %s ended %s: %s", r.Stack, r.Status, r.Error)
		}
		if r.CreatedAt.Before(first) {
			first = r.CreatedAt
		}
		if r.FinishedAt.After(last) {
			last = r.FinishedAt
		}
	}
	return last.Sub(first), nil
}
