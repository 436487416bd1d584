package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/tftest"
)

const testToken = "e2e-test-token-5c1f"

// daemon is a driftgate serve process.
type daemon struct {
	t       testing.TB
	bin     string
	config  string
	env     []string
	addr    string
	logPath string
	// dataDir is the config's data_dir: what runs from it after the
	// daemon died is the daemon's leftovers (see killStrays).
	dataDir string
	cmd     *exec.Cmd
	exited  chan error
}

// freeAddr returns a loopback address with a free port.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func newDaemon(t testing.TB, env *tftest.Env, bin, config string, extraEnv ...string) *daemon {
	t.Helper()
	addr, dataDir := "", ""
	raw, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, "=")
		switch k = strings.TrimSpace(k); {
		case ok && k == "listen":
			addr = strings.Trim(strings.TrimSpace(v), `"`)
		case ok && k == "data_dir":
			dataDir = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return &daemon{
		t: t, bin: bin, config: config, addr: addr, dataDir: dataDir,
		env:     env.Environ(append([]string{"DRIFTGATE_TOKEN=" + testToken}, extraEnv...)...),
		logPath: filepath.Join(t.TempDir(), "daemon.log"),
	}
}

func (d *daemon) start() {
	d.t.Helper()
	d.startWith(func() bool {
		resp, err := http.Get("http://" + d.addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// startWith starts the daemon and waits until ready says it is.
func (d *daemon) startWith(ready func() bool) {
	d.t.Helper()
	logf, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	d.cmd = exec.Command(d.bin, "serve", "--config", d.config)
	d.cmd.Env = d.env
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.exited = make(chan error, 1)
	go func() {
		d.exited <- d.cmd.Wait()
		logf.Close()
	}()
	d.t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			_ = d.cmd.Process.Kill()
			<-d.exited
			killStrays(d.dataDir)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ready() {
			return
		}
		select {
		case err := <-d.exited:
			d.t.Fatalf("daemon exited: %v\n%s", err, d.log())
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("daemon not ready after 30s\n%s", d.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill9 kills the daemon with SIGKILL, as a crash would.
func (d *daemon) kill9() {
	d.t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		d.t.Fatal(err)
	}
	<-d.exited
	killStrays(d.dataDir)
}

// killStrays kills what still runs from under dir once the daemon that
// used it died by SIGKILL: the terraform it ran dies with it (Pdeathsig),
// but the providers that terraform started do not, and would outlive the
// test. Terraform starts them by their path in the data dir (a link to the
// mirror, which /proc/PID/exe would show), so their argv[0] says whose
// they are.
func killStrays(dir string) {
	if dir == "" {
		return
	}
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		argv0, _, _ := strings.Cut(string(raw), "\x00")
		if !strings.HasPrefix(argv0, dir+string(filepath.Separator)) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(f))); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// stop sends SIGTERM and waits for the daemon to exit.
func (d *daemon) stop(within time.Duration) {
	d.t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		d.t.Fatal(err)
	}
	select {
	case err := <-d.exited:
		if err != nil {
			d.t.Errorf("daemon exited with %v\n%s", err, d.log())
		}
	case <-time.After(within):
		d.t.Fatalf("daemon did not stop within %s\n%s", within, d.log())
	}
}

func (d *daemon) log() string {
	raw, _ := os.ReadFile(d.logPath)
	return string(raw)
}

// call makes an API request and returns the status and body.
func (d *daemon) call(method, path, token string) (int, []byte) {
	d.t.Helper()
	req, err := http.NewRequest(method, "http://"+d.addr+path, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// runs lists every run, newest first.
func (d *daemon) runs() []store.Run {
	d.t.Helper()
	status, body := d.call("GET", "/api/v1/runs?limit=500", testToken)
	if status != http.StatusOK {
		d.t.Fatalf("GET runs: %d %s", status, body)
	}
	var out struct {
		Runs []store.Run `json:"runs"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		d.t.Fatalf("decode runs: %v: %s", err, body)
	}
	return out.Runs
}

// waitRuns polls until cond holds for the runs, and returns them.
func (d *daemon) waitRuns(what string, timeout time.Duration, cond func([]store.Run) bool) []store.Run {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		runs := d.runs()
		if cond(runs) {
			return runs
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s; runs:\n%s\ndaemon log:\n%s", what, describe(runs), d.log())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// atCommit returns the runs of commit, by stack.
func atCommit(runs []store.Run, commit string) map[string]store.Run {
	out := map[string]store.Run{}
	for _, r := range runs {
		if r.Commit == commit {
			out[r.Stack] = r
		}
	}
	return out
}

// finished reports whether the runs of commit cover exactly stacks and are
// all terminal.
func finished(runs []store.Run, commit string, stacks ...string) bool {
	got := atCommit(runs, commit)
	if len(got) != len(stacks) {
		return false
	}
	for _, s := range stacks {
		r, ok := got[s]
		if !ok || !r.Status.Terminal() {
			return false
		}
	}
	return true
}

func describe(runs []store.Run) string {
	var b bytes.Buffer
	for _, r := range runs {
		fmt.Fprintf(&b, "  %s %-12s %-12s %-10s %.12s %s\n", r.ID, r.Stack, r.Status, r.Trigger, r.Commit, r.Error)
	}
	return b.String()
}

// terraformBlock is the server config's terraform block for env's product:
// never install anything, and for OpenTofu select it and the binary under
// test.
func terraformBlock(env *tftest.Env) string {
	if env.Product == tftest.OpenTofu {
		return fmt.Sprintf("terraform {\n  product = \"opentofu\"\n  path    = %q\n}\n", env.TerraformPath)
	}
	return "terraform {\n  install = false\n}\n"
}

// productVersion is what a run with env should record: its product and
// the version its binary reports ("OpenTofu v1.10.10" gives "opentofu",
// "1.10.10").
func productVersion(t *testing.T, env *tftest.Env) (product, version string) {
	t.Helper()
	out := env.Terraform(t, t.TempDir(), "version")
	first, _, _ := strings.Cut(out, "\n")
	name, v, ok := strings.Cut(strings.TrimSpace(first), " v")
	want := map[string]string{tftest.Terraform: "Terraform", tftest.OpenTofu: "OpenTofu"}[env.Product]
	if !ok || name != want {
		t.Fatalf("%s version says %q, want %s v...", env.TerraformPath, first, want)
	}
	return env.Product, v
}
