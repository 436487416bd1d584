package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
)

const benchToken = "planbench-token"

// daemonBench is a driftgate serve process watching a git repo that holds
// the bench stack.
type daemonBench struct {
	cmd    *exec.Cmd
	client *apiclient.Client
}

// startDaemon commits the stack into a new git repo and starts the daemon
// on it, then waits for its first plan.
func (b *bench) startDaemon() (*daemonBench, error) {
	repoDir := filepath.Join(b.dir, "git")
	repo, err := git.PlainInitWithOptions(repoDir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return nil, err
	}
	if err := copyStack(b.stack, filepath.Join(repoDir, "stack")); err != nil {
		return nil, err
	}
	// The bench's one token triggers the plans it approves.
	policy := "stack \"stack\" {\n  dir           = \"stack\"\n  self_approval = true\n}\n"
	if err := os.WriteFile(filepath.Join(repoDir, ".driftgate.hcl"), []byte(policy), 0o644); err != nil {
		return nil, err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	if err := wt.AddGlob("."); err != nil {
		return nil, err
	}
	if _, err := wt.Commit("bench", &git.CommitOptions{Author: &object.Signature{Name: "bench", Email: "bench@example.invalid", When: time.Now()}}); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	config := filepath.Join(b.dir, "driftgate.hcl")
	cfg := fmt.Sprintf(`data_dir = %q
listen   = %q
terraform {
  install = false
}
repo "bench" {
  url           = %q
  poll_interval = "1h"
}
`, filepath.Join(b.dir, "daemon-data"), addr, repoDir)
	if err := os.WriteFile(config, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(b.driftgate, "serve", "--config", config)
	cmd.Env = append(b.env, "DRIFTGATE_TOKEN="+benchToken)
	logf, err := os.Create(filepath.Join(b.dir, "daemon.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &daemonBench{cmd: cmd, client: apiclient.New("http://"+addr, benchToken, apiclient.WithHTTPClient(&http.Client{Timeout: time.Minute}))}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		runs, _, err := d.client.Runs(ctx, oneRunFilter())
		if err == nil && len(runs) > 0 && runs[0].Status.Terminal() {
			return d, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.stop()
	return nil, fmt.Errorf("the daemon's first plan did not finish; see %s", logf.Name())
}

// timeManual triggers a plan of the stack through the API and waits until
// the run is recorded with its outcome (the plan stored), polling closely.
func (d *daemonBench) timeManual() time.Duration {
	return d.timeRun(func(ctx context.Context) (*apiv1.Run, error) { return d.client.TriggerPlan(ctx, "bench", "stack") })
}

// timeDriftCheck asks for a drift check through the API and waits until
// the run is recorded, its drift findings included.
func (d *daemonBench) timeDriftCheck() time.Duration {
	return d.timeRun(func(ctx context.Context) (*apiv1.Run, error) { return d.client.CheckDrift(ctx, "bench", "stack") })
}

func (d *daemonBench) timeRun(trigger func(context.Context) (*apiv1.Run, error)) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	run, err := trigger(ctx)
	if err != nil {
		fatalf("trigger: %v", err)
	}
	for {
		r, err := d.client.Run(ctx, run.ID)
		if err != nil {
			fatalf("get run: %v", err)
		}
		if r.Status.Terminal() {
			if r.Status != "no_changes" && r.Status != "planned" {
				fatalf("manual run ended %s: %s", r.Status, r.Error)
			}
			return time.Since(start)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (d *daemonBench) stop() {
	_ = d.cmd.Process.Signal(os.Interrupt)
	_ = d.cmd.Wait()
}
