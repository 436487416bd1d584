package tfrun

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseLockInfoFile(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    LockInfo
		wantErr bool
	}{
		// As Terraform 1.11.4 wrote it.
		{"terraform", `{"ID":"719e261e-a33b-e69c-6b04-25ae0482517f","Operation":"OperationTypeApply","Info":"","Who":"root@vm","Version":"1.11.4","Created":"2026-11-25T19:09:27.945778166Z","Path":"/tmp/exp/state/my.tfstate"}`,
			LockInfo{ID: "719e261e-a33b-e69c-6b04-25ae0482517f", Operation: "OperationTypeApply", Who: "root@vm",
				Version: "1.11.4", Created: time.Date(2026, 11, 25, 19, 9, 27, 945778166, time.UTC), Path: "/tmp/exp/state/my.tfstate"}, false},
		{"id only", `{"ID":"x"}`, LockInfo{ID: "x"}, false},
		{"no id", `{"Operation":"OperationTypeApply"}`, LockInfo{}, true},
		{"empty", ``, LockInfo{}, true},
		{"not json", `lock`, LockInfo{}, true},
		{"bad time", `{"ID":"x","Created":"yesterday"}`, LockInfo{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLockInfoFile([]byte(tt.raw))
			if tt.wantErr {
				if !errors.Is(err, errBadLockInfo) {
					t.Errorf("err = %v, want errBadLockInfo", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Created.Equal(tt.want.Created) {
				t.Errorf("created %v, want %v", got.Created, tt.want.Created)
			}
			got.Created, tt.want.Created = time.Time{}, time.Time{}
			if *got != tt.want {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func FuzzParseLockInfoFile(f *testing.F) {
	f.Add([]byte(`{"ID":"x","Created":"2026-11-25T19:09:27Z"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		li, err := parseLockInfoFile(raw)
		if err == nil && li.ID == "" {
			t.Errorf("lock without an ID: %+v", li)
		}
	})
}

// slowApply is `terraform apply` of a stack whose plan waits, run as a
// child process in a process group of its own.
type slowApply struct {
	cmd *exec.Cmd
	out syncBuffer
}

// startSlowApply inits the copy at stackDir and starts an apply in it.
func (h *harness) startSlowApply(t *testing.T, stackDir string, env ...string) *slowApply {
	t.Helper()
	h.env.Terraform(t, stackDir, "init", "-input=false")
	a := &slowApply{}
	a.cmd = exec.Command(h.env.TerraformPath, "apply", "-auto-approve", "-input=false", "-no-color")
	a.cmd.Dir = stackDir
	a.cmd.Env = h.env.Environ(env...)
	a.cmd.Stdout = &a.out
	a.cmd.Stderr = &a.out
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.kill)
	return a
}

// kill sends SIGKILL to terraform and its provider, as a crash would, and
// waits for terraform to go.
func (a *slowApply) kill() {
	if a.cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
	_ = a.cmd.Wait()
}

// waitFor waits until path exists, failing when the apply ends first.
func (a *slowApply) waitFor(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if err := syscall.Kill(a.cmd.Process.Pid, 0); err != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never appeared; terraform apply:\n%s", path, a.out.String())
}

// TestStateLockLocalLeftBehind runs a real apply that holds the state lock,
// checks the lock while it runs, kills it with SIGKILL, and clears the
// lock it left behind with the command StateLock gives.
func TestStateLockLocalLeftBehind(t *testing.T) {
	h := newHarness(t)
	explicitState := filepath.Join(t.TempDir(), "web.tfstate")
	body := `data "dgtest_wait" "slow" { duration = "120s" }
resource "dgtest_server" "web" { name = "web" }
`
	h.write(t, map[string]string{
		"envs/local/main.tf": h.stack(`terraform {
  backend "local" { path = "` + explicitState + `" }
}
` + body),
		"envs/default/main.tf": h.stack(body),
	})
	defaultDir := filepath.Join(h.planner.DataDir, "state", "test", "envs", "default")
	tests := []struct {
		name      string
		sp        StackPlan
		workspace string
		// infoFile is where terraform is expected to write the lock info.
		infoFile string
		// statePath is the state terraform locks.
		statePath string
	}{
		{"explicit local backend", StackPlan{Layout: Layout{Dir: "envs/local"}, Backend: "local"}, "",
			filepath.Join(filepath.Dir(explicitState), ".web.tfstate.lock.info"), explicitState},
		{"driftgate default backend", StackPlan{Layout: Layout{Dir: "envs/default"}, Key: "test/envs/default"}, "",
			filepath.Join(defaultDir, ".terraform.tfstate.lock.info"), filepath.Join(defaultDir, "terraform.tfstate")},
		{"driftgate default backend, workspace", StackPlan{Layout: Layout{Dir: "envs/default"}, Key: "test/envs/default"}, "staging",
			filepath.Join(defaultDir, "workspaces", "staging", ".terraform.tfstate.lock.info"),
			filepath.Join(defaultDir, "workspaces", "staging", "terraform.tfstate")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			sp := tt.sp
			sp.Source = os.DirFS(h.src)
			sp.Workspace = tt.workspace
			bin, err := h.planner.Resolver.Resolve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The operator's copy, where terraform runs as it would by hand.
			wd, cleanup, err := h.planner.workdir(ctx, sp)
			if err != nil {
				t.Fatal(err)
			}
			defer cleanup()
			var env []string
			if tt.workspace != "" {
				h.env.Terraform(t, wd.StackDir, "init", "-input=false")
				h.env.Terraform(t, wd.StackDir, "workspace", "new", tt.workspace)
				env = append(env, "TF_WORKSPACE="+tt.workspace)
			}
			apply := h.startSlowApply(t, wd.StackDir, env...)
			apply.waitFor(t, tt.infoFile)

			// While terraform runs, the lock is held and nothing clears it.
			running, err := h.planner.StateLock(ctx, sp)
			if err != nil || running == nil {
				t.Fatalf("while the apply runs: %+v, %v", running, err)
			}
			if running.ID == "" || !running.Held || running.Command != "" ||
				running.Operation != "OperationTypeApply" || running.Path != tt.statePath ||
				running.Version != bin.Version.String() || running.Created.IsZero() ||
				time.Since(running.Created) > 5*time.Minute {
				t.Errorf("while the apply runs: %+v", running)
			}
			// A probe, as for other backends, sees the same lock in the
			// error terraform prints.
			probeWD, probeCleanup, err := h.planner.workdir(ctx, sp)
			if err != nil {
				t.Fatal(err)
			}
			defer probeCleanup()
			var probeLog syncBuffer
			probed, err := h.planner.Executor.probeLock(ctx, PlanRequest{
				Binary: bin, Workdir: probeWD, Workspace: tt.workspace, Log: &probeLog,
			})
			if err != nil || probed == nil {
				t.Fatalf("probe: %+v, %v\n%s", probed, err, probeLog.String())
			}
			if probed.ID != running.ID || probed.Who != running.Who || probed.Path != running.Path ||
				probed.Operation != running.Operation || !probed.Created.Equal(running.Created) || !probed.Held {
				t.Errorf("probe found %+v, the lock file says %+v", probed, running)
			}

			apply.kill()
			if _, err := os.Stat(tt.infoFile); err != nil {
				t.Fatalf("SIGKILL took the lock info file with it: %v", err)
			}
			left, err := h.planner.StateLock(ctx, sp)
			if err != nil || left == nil {
				t.Fatalf("after SIGKILL: %+v, %v", left, err)
			}
			wantCommand := "rm '" + tt.infoFile + "'"
			if left.ID != running.ID || left.Held || left.Command != wantCommand {
				t.Errorf("after SIGKILL: %+v, want ID %s, not held, command %s", left, running.ID, wantCommand)
			}

			// force-unlock cannot clear a local lock: the lock died with
			// terraform; only the file is left.
			_, code, err := h.env.TerraformExit(t, wd.StackDir, "force-unlock", "-force", left.ID)
			if code == 0 || !strings.Contains(err.Error(), "LocalState not locked") {
				t.Errorf("terraform force-unlock: exit %d, %v", code, err)
			}
			cmd := exec.Command("sh", "-c", left.Command)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", left.Command, err, out)
			}
			if li, err := h.planner.StateLock(ctx, sp); li != nil || err != nil {
				t.Errorf("after %s: %+v, %v", left.Command, li, err)
			}
		})
	}
}

func TestStateLockNone(t *testing.T) {
	h := newHarness(t)
	abs := filepath.Join(t.TempDir(), "web.tfstate")
	h.write(t, map[string]string{
		"default/main.tf":  h.stack(`resource "dgtest_server" "web" { name = "web" }`),
		"absolute/main.tf": "terraform {\n  backend \"local\" { path = \"" + abs + "\" }\n}\n",
		"relative/main.tf": "terraform {\n  backend \"local\" { path = \"state/web.tfstate\" }\n}\n",
		"unset/main.tf":    "terraform {\n  backend \"local\" {}\n}\n",
	})
	h.apply(t, "default")
	tests := []struct {
		name string
		sp   StackPlan
	}{
		{"default backend, applied", StackPlan{Layout: Layout{Dir: "default"}, Key: "test/default"}},
		{"default backend, never applied", StackPlan{Layout: Layout{Dir: "default"}, Key: "test/other"}},
		{"default backend, new workspace", StackPlan{Layout: Layout{Dir: "default"}, Key: "test/default", Workspace: "staging"}},
		{"absolute path", StackPlan{Layout: Layout{Dir: "absolute"}, Backend: "local"}},
		{"absolute path, workspace without workspace_dir", StackPlan{Layout: Layout{Dir: "absolute"}, Backend: "local", Workspace: "staging"}},
		{"relative path", StackPlan{Layout: Layout{Dir: "relative"}, Backend: "local"}},
		{"no path", StackPlan{Layout: Layout{Dir: "unset"}, Backend: "local"}},
		{"no backend block", StackPlan{Layout: Layout{Dir: "default"}, Backend: "local"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := tt.sp
			sp.Source = os.DirFS(h.src)
			li, err := h.planner.StateLock(context.Background(), sp)
			if li != nil || err != nil {
				t.Errorf("got %+v, %v; want no lock", li, err)
			}
		})
	}
	if _, err := h.planner.StateLock(context.Background(), StackPlan{Source: os.DirFS(h.src), Layout: Layout{Dir: "default"}}); err == nil {
		t.Error("default backend without a key: no error")
	}
}
