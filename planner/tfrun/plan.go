// Package tfrun runs Terraform for driftgate: it resolves the binary, makes
// each run's private copy of a stack, and runs init, plan and show (see
// command.go) and apply (through terraform-exec). Cancelling a run's
// context sends Terraform SIGINT and kills it only after a grace period.
package tfrun

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/driftgate/driftgate/planner/analysis"
)

// Stage names the Terraform step a run was in.
type Stage string

// Stages of a plan run.
const (
	StageInit      Stage = "init"
	StageWorkspace Stage = "workspace"
	StagePlan      Stage = "plan"
	StageShow      Stage = "show"
)

// DefaultGrace is how long a cancelled Terraform gets to stop after SIGINT
// before it is killed.
const DefaultGrace = 30 * time.Second

// Error is a failed Terraform step. The PlanResult returned with it holds
// the redacted log, which carries Terraform's diagnostics.
type Error struct {
	Stage Stage
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("terraform %s: %v", e.Stage, e.Err) }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Executor runs Terraform commands for plans.
type Executor struct {
	// PluginCacheDir is shared by all runs (TF_PLUGIN_CACHE_DIR). Only
	// what writes to it takes its file lock, so concurrent runs, even from
	// several processes, never corrupt it and seldom wait (see init).
	PluginCacheDir string
	// Grace is the delay between SIGINT and SIGKILL on cancel.
	Grace time.Duration
	// Env is added to the environment Terraform runs with.
	Env    map[string]string
	Logger *slog.Logger

	// share sizes each terraform process to its run's part of the CPUs
	// (see cpuShare).
	share cpuShare
}

// PlanRequest is one plan to run in a prepared work dir.
type PlanRequest struct {
	Binary    *Binary
	Workdir   *Workdir
	Workspace string
	// RefreshOnly plans with -refresh-only (drift checks).
	RefreshOnly bool
	// InitCacheDir, when set, is the stack's persistent TF_DATA_DIR: init
	// is skipped when nothing it depends on changed (see initcache.go).
	// Empty means a fresh .terraform in the work dir and init every time.
	InitCacheDir string
	// Log, when set, also receives the run's raw output as it happens.
	// Nothing redacted reaches it: give it only to something as private as
	// the plan file itself, or leave it nil.
	Log io.Writer
	// Live, when set, receives the run's output as it happens, whole lines
	// only, masked of the secrets known before the plan (see liveLog): the
	// log a live reader follows until the result's Log replaces it.
	Live io.Writer
	// StatePath is the local state file the plan reads, "" when the state
	// is elsewhere: its sensitive values are masked in Live.
	StatePath string
	// OnPhase, when set, is told how long each step that ran took: init
	// (not when the init cache skipped it), plan and show.
	OnPhase PhaseFunc
}

// PhaseFunc receives the duration of one step of a run, for metrics.
type PhaseFunc func(stage Stage, took time.Duration)

// timed calls fn and tells f how long it took as stage; f may be nil.
func (f PhaseFunc) timed(stage Stage, fn func() error) error {
	start := time.Now()
	err := fn()
	if f != nil {
		f(stage, time.Since(start))
	}
	return err
}

// PlanResult is what a plan run produced. Every byte in it except PlanFile
// is redacted.
type PlanResult struct {
	// Product and TerraformVersion are the binary's product and version.
	Product          Product
	TerraformVersion string
	HasChanges       bool
	PlanFile         []byte
	PlanSHA256       string
	PlanJSON         []byte
	Text             []byte
	Log              []byte
	Analysis         *analysis.Analysis
	Duration         time.Duration
}

// Plan runs init, plan -out and show -json. On failure it returns the
// partial result (its Log holds Terraform's diagnostics) with the error.
func (e *Executor) Plan(ctx context.Context, req PlanRequest) (*PlanResult, error) {
	start := time.Now()
	defer e.share.join()()
	res := &PlanResult{Product: req.Binary.Product, TerraformVersion: req.Binary.Version.String()}
	known, live := e.liveLog(req)
	var log lockedBuffer
	if live != nil {
		log.tee = live
	}
	logw := io.Writer(&log)
	if req.Log != nil {
		logw = io.MultiWriter(&log, req.Log)
	}
	// finish scrubs the log of the plan's secrets and of those masked live.
	finish := func(secrets *analysis.Secrets, err error) (*PlanResult, error) {
		all := analysis.NewSecrets()
		if secrets != nil {
			all.Merge(secrets)
		}
		all.Merge(known.Lines())
		if live != nil {
			live.Flush()
		}
		res.Log = all.Scrub(log.Bytes())
		res.Duration = time.Since(start)
		return res, err
	}

	tf := e.newTerraform(req.Binary, req.Workdir.StackDir, req.InitCacheDir)
	var cache *initCache
	var fp string
	var err error
	if req.InitCacheDir != "" {
		if cache, err = openInitCache(ctx, req.InitCacheDir); err != nil {
			return finish(nil, err)
		}
		defer cache.close()
		if fp, err = fingerprint(req.Workdir.Src, req.Binary.String(), req.Workspace); err != nil {
			return finish(nil, err)
		}
	}
	// prepare runs init and selects the workspace, recording success in
	// the init cache.
	prepare := func() error {
		tf.SetStdout(logw)
		tf.SetStderr(logw)
		if err := e.init(ctx, tf, req.Workdir, req.InitCacheDir, logw); err != nil {
			return &Error{Stage: StageInit, Err: err}
		}
		if err := tf.selectWorkspace(ctx, req.Workspace); err != nil {
			return &Error{Stage: StageWorkspace, Err: err}
		}
		if cache != nil {
			return cache.record(fp, req.Workdir.StackDir)
		}
		return nil
	}
	initSkipped := cache != nil && cache.fresh(fp, req.Workdir.StackDir)
	if initSkipped {
		header(logw, "terraform init (skipped: nothing changed since the last init of this stack)")
		tf.SetStderr(logw)
	} else if err := req.OnPhase.timed(StageInit, prepare); err != nil {
		if cache != nil {
			cache.forget()
		}
		return finish(nil, err)
	}

	var text bytes.Buffer
	tf.SetStdout(io.MultiWriter(logw, &text))
	header(logw, "terraform plan")
	opts := planOptions{out: req.Workdir.PlanFile, varFiles: req.Workdir.VarFiles, refreshOnly: req.RefreshOnly}
	var hasChanges bool
	err = req.OnPhase.timed(StagePlan, func() (err error) {
		hasChanges, err = tf.plan(ctx, opts)
		return err
	})
	if err != nil && initSkipped && !IsCanceled(err) {
		// The cached init may not fit after all (a deleted provider
		// mirror, a changed backend): init for real and plan again.
		cache.forget()
		header(logw, "plan failed after a skipped init; running init and planning again")
		if err := prepare(); err != nil {
			return finish(nil, err)
		}
		text.Reset()
		tf.SetStdout(io.MultiWriter(logw, &text))
		hasChanges, err = tf.plan(ctx, opts)
	}
	if err != nil {
		return finish(nil, &Error{Stage: StagePlan, Err: err})
	}
	res.HasChanges = hasChanges

	// The plan JSON holds secrets in the clear: it goes to a buffer of its
	// own, never to the log.
	var raw bytes.Buffer
	tf.SetStderr(logw)
	err = req.OnPhase.timed(StageShow, func() error {
		return tf.showPlanJSON(ctx, req.Workdir.PlanFile, &raw)
	})
	if err != nil {
		return finish(nil, &Error{Stage: StageShow, Err: err})
	}
	processed, err := analysis.Process(raw.Bytes())
	if err != nil {
		return finish(nil, &Error{Stage: StageShow, Err: err})
	}
	planFile, err := os.ReadFile(req.Workdir.PlanFile)
	if err != nil {
		return finish(processed.Secrets, fmt.Errorf("read plan file: %w", err))
	}
	sum := sha256.Sum256(planFile)
	res.PlanFile = planFile
	res.PlanSHA256 = hex.EncodeToString(sum[:])
	res.PlanJSON = processed.RedactedJSON
	res.Analysis = processed.Analysis
	res.Text = processed.Secrets.Scrub(text.Bytes())
	return finish(processed.Secrets, nil)
}

// terraformExec builds the terraform-exec handle for the work dir wd.
func (e *Executor) terraformExec(bin *Binary, wd *Workdir) (*tfexec.Terraform, error) {
	tf, err := tfexec.NewTerraform(wd.StackDir, bin.Path)
	if err != nil {
		return nil, fmt.Errorf("terraform: %w", err)
	}
	grace := e.Grace
	if grace == 0 {
		grace = DefaultGrace
	}
	if err := tf.SetWaitDelay(grace); err != nil {
		return nil, fmt.Errorf("terraform: %w", err)
	}
	if err := tf.SetEnv(e.handleEnv()); err != nil {
		return nil, fmt.Errorf("terraform environment: %w", err)
	}
	return tf, nil
}

// environ is the process environment without what terraform-exec manages
// itself (TF_LOG, TF_VAR_*, TF_CLI_ARGS*, ...), plus the plugin cache,
// no update checks, and the executor's Env.
func (e *Executor) environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	env = tfexec.CleanEnv(env)
	env["CHECKPOINT_DISABLE"] = "1"
	if e.PluginCacheDir != "" {
		env["TF_PLUGIN_CACHE_DIR"] = e.PluginCacheDir
	}
	for k, v := range e.Env {
		env[k] = v
	}
	return tfexec.CleanEnv(env)
}

// handleEnv is the environment of a terraform-exec handle: environ and,
// set once for all its commands, GOMAXPROCS (see cpuShare).
func (e *Executor) handleEnv() map[string]string {
	env := e.environ()
	e.share.setShare(env)
	return env
}

// selectWorkspace switches to workspace, creating it the first time.
func selectWorkspace(ctx context.Context, tf *tfexec.Terraform, workspace string) error {
	if workspace == "" || workspace == "default" {
		return nil
	}
	if err := tf.WorkspaceSelect(ctx, workspace); err == nil {
		return nil
	}
	return tf.WorkspaceNew(ctx, workspace)
}

func header(w io.Writer, step string) {
	fmt.Fprintf(w, "\n$ %s\n", step)
}

// lockedBuffer is a bytes.Buffer safe for terraform-exec's concurrent
// stdout and stderr copiers. tee, when set, gets every write too, under the
// same lock, so it sees the writes in the buffer's order; its errors are
// ignored (it watches the run, it does not take part).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	tee io.Writer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tee != nil {
		_, _ = b.tee.Write(p)
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// IsCanceled reports whether err comes from a cancelled run.
func IsCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
