package main

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// driftObject changes the port of server s0 behind terraform's back, so
// that the next plan has one in-place update to apply.
func (b *bench) driftObject(i int) {
	path := filepath.Join(b.dir, "objects", "servers", "s0.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		log.Fatal(err)
	}
	obj["port"] = 9000 + i
	if raw, err = json.Marshal(obj); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		log.Fatal(err)
	}
}

// timeRawApply applies a saved plan by hand: drift, `terraform plan -out`
// (not timed), then `terraform apply PLANFILE` in the initialized
// directory the stack was first applied from.
// With fresh, the apply runs as a CI job would: in a new copy of the
// stack, timing `terraform init` too.
func (b *bench) timeRawApply(i int, fresh bool) time.Duration {
	b.driftObject(i)
	dir := filepath.Join(b.dir, "apply")
	if err := b.terraform(dir, "plan", "-input=false", "-out=apply.tfplan"); err != nil {
		log.Fatal(err)
	}
	if fresh {
		work, err := os.MkdirTemp(b.dir, "raw-apply-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(work)
		if err := copyStack(dir, work); err != nil {
			log.Fatal(err)
		}
		dir = work
	}
	start := time.Now()
	if fresh {
		if err := b.terraform(dir, "init", "-input=false"); err != nil {
			log.Fatal(err)
		}
	}
	cmd := exec.Command("terraform", "apply", "-input=false", "apply.tfplan")
	cmd.Dir, cmd.Env = dir, b.env
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		log.Fatalf("terraform apply: %v\n%s", err, out)
	}
	return d
}

// timeApply makes the daemon's stack drift, plans it through the API (not
// timed) and times approving its apply run until the run is recorded as
// applied: the gate's verification (plan hash, newer commits, a state
// pull), the apply of the saved plan, and the state version recorded.
func (d *daemonBench) timeApply(b *bench, i int) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b.driftObject(i)
	d.timeManual()
	var apply *apiv1.Run
	for apply == nil {
		runs, _, err := d.client.Runs(ctx, apiv1.RunFilter{Status: apiv1.StatusAwaitingApproval, Limit: 1})
		if err != nil {
			fatalf("list apply runs: %v", err)
		}
		if len(runs) == 1 {
			apply = &runs[0]
		}
		time.Sleep(2 * time.Millisecond)
	}
	start := time.Now()
	if _, err := d.client.ApproveRun(ctx, apply.ID, "bench"); err != nil {
		fatalf("approve: %v", err)
	}
	for {
		r, err := d.client.Run(ctx, apply.ID)
		if err != nil {
			fatalf("get run: %v", err)
		}
		if r.Status.Terminal() {
			if r.Status != apiv1.StatusApplied {
				fatalf("apply run ended %s: %s %s", r.Status, r.Reason, r.Error)
			}
			took := time.Since(start)
			d.idle(ctx)
			return took
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// idle waits until no run is queued or running, such as the drift check
// that follows an apply, so that it does not delay the next measurement.
func (d *daemonBench) idle(ctx context.Context) {
	for {
		busy := false
		for _, s := range []apiv1.RunStatus{apiv1.StatusQueued, apiv1.StatusRunning} {
			runs, _, err := d.client.Runs(ctx, apiv1.RunFilter{Status: s, Limit: 1})
			if err != nil {
				fatalf("list runs: %v", err)
			}
			busy = busy || len(runs) > 0
		}
		if !busy {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
