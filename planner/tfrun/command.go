package tfrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// terraform runs the commands of a plan (init, workspace, plan, show) in
// one directory with one environment. It does what terraform-exec does for
// them (the same arguments and environment, SIGINT on cancel and a kill
// only after the grace period, stderr in the error) without asking the
// binary `terraform version -json` first: terraform-exec does that once per
// handle, before init and show, and the run already knows the version (the
// Binary's, cached by the Resolver). That process cost a cold plan a tenth
// of its CPU time. Apply, state pull and the lock probe still go through
// terraform-exec (see freshInit).
//
// Building a command is kept apart from running it, so that its argv and
// environment are testable without a binary.
type terraform struct {
	path string
	dir  string
	// env is the environment before what every command sets (see environ).
	env   map[string]string
	grace time.Duration
	// share, when set, gives each command its GOMAXPROCS as it starts.
	share *cpuShare
	// stdout and stderr receive the commands' output; nil discards it.
	stdout, stderr io.Writer
}

// userAgent is what driftgate adds to the user agent of terraform's HTTP
// requests (TF_APPEND_USER_AGENT), after the one the process environment
// sets.
const userAgent = "driftgate"

// newTerraform returns the command runner for dir, with the executor's
// environment and tfDataDir as TF_DATA_DIR ("" for dir's own .terraform).
func (e *Executor) newTerraform(bin *Binary, dir, tfDataDir string) *terraform {
	grace := e.Grace
	if grace == 0 {
		grace = DefaultGrace
	}
	env := e.environ()
	if tfDataDir != "" {
		env["TF_DATA_DIR"] = tfDataDir
	}
	return &terraform{path: bin.Path, dir: dir, env: env, grace: grace, share: &e.share}
}

// SetStdout sends the output of the commands that follow to w.
func (t *terraform) SetStdout(w io.Writer) { t.stdout = w }

// SetStderr sends the diagnostics of the commands that follow to w.
func (t *terraform) SetStderr(w io.Writer) { t.stderr = w }

// withEnv returns a copy of t whose environment has k set to v.
func (t *terraform) withEnv(k, v string) *terraform {
	c := *t
	c.env = maps.Clone(t.env)
	c.env[k] = v
	return &c
}

// environ is the environment of every command, as terraform-exec builds
// it: the runner's environment (already without the variables
// terraform-exec reserves, see Executor.environ), the user agent appended
// to, terraform's own logging off so that it cannot mix into the output,
// TF_IN_AUTOMATION, and no TF_WORKSPACE (workspaces are selected with
// `terraform workspace`); and GOMAXPROCS, the process's share of the CPUs
// (see cpuShare). Sorted, so that it is stable.
func (t *terraform) environ() []string {
	env := maps.Clone(t.env)
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["CHECKPOINT_DISABLE"]; !ok {
		env["CHECKPOINT_DISABLE"] = os.Getenv("CHECKPOINT_DISABLE")
	}
	env["TF_APPEND_USER_AGENT"] = strings.TrimSpace(strings.TrimSpace(os.Getenv("TF_APPEND_USER_AGENT")) + " " + userAgent)
	for _, k := range []string{"TF_LOG", "TF_LOG_CORE", "TF_LOG_PATH", "TF_LOG_PROVIDER"} {
		env[k] = ""
	}
	env["TF_IN_AUTOMATION"] = "1"
	delete(env, "TF_WORKSPACE")
	t.share.setShare(env)
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// command builds the process for args. Its stdout goes to stdout, or a
// line at a time to t's stdout when stdout is nil; its stderr a line at a
// time to t's stderr, and to errBuf for the error. Call flush on the
// returned lineWriters once the process has ended.
func (t *terraform) command(ctx context.Context, stdout io.Writer, errBuf *bytes.Buffer, args ...string) (*command, []*lineWriter) {
	cmd := exec.CommandContext(ctx, t.path, args...)
	cmd.Dir = t.dir
	cmd.Env = t.environ()
	var lws []*lineWriter
	switch {
	case stdout != nil:
		cmd.Stdout = stdout
	case t.stdout != nil:
		lw := &lineWriter{w: t.stdout}
		cmd.Stdout, lws = lw, append(lws, lw)
	default:
		cmd.Stdout = io.Discard
	}
	cmd.Stderr = errBuf
	if t.stderr != nil {
		lw := &lineWriter{w: io.MultiWriter(t.stderr, errBuf)}
		cmd.Stderr, lws = lw, append(lws, lw)
	}
	cmd.SysProcAttr = sysProcAttr()
	// Terraform stops cleanly on SIGINT (it releases state locks and
	// stops its providers); it is killed only when it has not stopped
	// after the grace period, and with it its process group: the
	// providers it started, which a killed terraform cannot stop and
	// which would otherwise live on. WaitDelay, a little longer, bounds
	// the wait for output pipes held open by anything still left.
	var ended atomic.Bool
	cmd.Cancel = func() error {
		err := cmd.Process.Signal(os.Interrupt)
		pid := cmd.Process.Pid
		time.AfterFunc(t.grace, func() {
			if !ended.Load() {
				killGroup(pid)
			}
		})
		return err
	}
	cmd.WaitDelay = t.grace + time.Second
	return &command{Cmd: cmd, ended: &ended}, lws
}

// command is a terraform process being run.
type command struct {
	*exec.Cmd
	// ended is set once Wait has returned: the process group is not
	// killed after that (its id may be another's by then).
	ended *atomic.Bool
}

// Run starts the process and waits for it.
func (c *command) Run() error {
	defer c.ended.Store(true)
	return c.Cmd.Run()
}

// killGroup kills the process group led by pid (terraform's, see
// sysProcAttr).
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// run runs terraform with args, its stdout to stdout (t's own when nil).
// A failure says how terraform exited and what it printed on stderr; a
// cancelled ctx makes it an error that IsCanceled recognises, however
// terraform exited.
func (t *terraform) run(ctx context.Context, stdout io.Writer, args ...string) error {
	_, err := t.runCode(ctx, stdout, args...)
	return err
}

// runCode is run, also returning terraform's exit code (-1 when it did not
// exit by itself).
func (t *terraform) runCode(ctx context.Context, stdout io.Writer, args ...string) (int, error) {
	if err := ctx.Err(); err != nil {
		return -1, err
	}
	var errBuf bytes.Buffer
	cmd, lws := t.command(ctx, stdout, &errBuf, args...)
	err := cmd.Run()
	for _, lw := range lws {
		if ferr := lw.flush(); err == nil {
			err = ferr
		}
	}
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if err == nil {
			return code, ctxErr
		}
		return code, fmt.Errorf("%w: terraform %s: %w", ctxErr, args[0], err)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return code, fmt.Errorf("%w\n%s", err, errBuf.String())
	}
	if err != nil {
		return code, fmt.Errorf("run %s: %w", t.path, err)
	}
	return code, nil
}

// initArgs are the arguments of `terraform init` as terraform-exec passes
// them with Upgrade(false) and Reconfigure(true): the backend is always
// reconfigured (see Executor.init).
var initArgs = []string{"init", "-no-color", "-input=false", "-backend=true", "-get=true", "-upgrade=false", "-reconfigure"}

// init runs `terraform init`.
func (t *terraform) init(ctx context.Context) error {
	return t.run(ctx, nil, initArgs...)
}

// planOptions are the plan options driftgate uses.
type planOptions struct {
	out         string
	varFiles    []string
	refreshOnly bool
}

// planArgs returns the arguments of `terraform plan` for o, as
// terraform-exec passes them with its defaults: the state locked without
// waiting, -detailed-exitcode to tell changes.
func planArgs(o planOptions) []string {
	args := []string{"plan", "-no-color", "-input=false", "-detailed-exitcode", "-lock-timeout=0s"}
	if o.out != "" {
		args = append(args, "-out="+o.out)
	}
	for _, vf := range o.varFiles {
		args = append(args, "-var-file="+vf)
	}
	args = append(args, "-lock=true", "-parallelism=10", "-refresh=true")
	if o.refreshOnly {
		args = append(args, "-refresh-only")
	}
	return args
}

// plan runs `terraform plan` and reports whether the plan has changes
// (exit code 2 of -detailed-exitcode).
func (t *terraform) plan(ctx context.Context, o planOptions) (bool, error) {
	code, err := t.runCode(ctx, nil, planArgs(o)...)
	if err != nil && code == 2 && ctx.Err() == nil {
		return true, nil
	}
	return false, err
}

// showPlanJSON writes `terraform show -json` of planFile to w, and nothing
// to t's stdout: the plan JSON holds secrets in the clear.
func (t *terraform) showPlanJSON(ctx context.Context, planFile string, w io.Writer) error {
	if planFile == "" {
		return errors.New("no plan file to show")
	}
	return t.run(ctx, w, "show", "-json", "-no-color", planFile)
}

// selectWorkspace switches to workspace, creating it the first time.
func (t *terraform) selectWorkspace(ctx context.Context, workspace string) error {
	if workspace == "" || workspace == defaultWorkspace {
		return nil
	}
	if err := t.run(ctx, nil, "workspace", "select", "-no-color", workspace); err == nil || IsCanceled(err) {
		return err
	}
	return t.run(ctx, nil, "workspace", "new", "-no-color", workspace)
}

// lineWriter passes what it is given on to w a whole line at a time, as
// terraform-exec does, so that a writer that redacts or timestamps the log
// never sees half a line; flush passes on the last line if it has no
// newline. os/exec writes each stream from one goroutine.
type lineWriter struct {
	w   io.Writer
	buf []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.buf = append(l.buf, p...)
			break
		}
		line := p[:i+1]
		if len(l.buf) > 0 {
			l.buf = append(l.buf, line...)
			line = l.buf
		}
		if _, err := l.w.Write(line); err != nil {
			return n - len(p), err
		}
		l.buf = l.buf[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (l *lineWriter) flush() error {
	if len(l.buf) == 0 {
		return nil
	}
	_, err := l.w.Write(l.buf)
	l.buf = nil
	return err
}
