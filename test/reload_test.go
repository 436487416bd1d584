package test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/tftest"
)

// TestConfigReload changes the config under a running daemon and sends
// SIGHUP while a plan runs: the run finishes, the added repo is planned, a
// removed token is refused and an added one accepted; a broken config then
// changes nothing.
func TestConfigReload(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	slow := gittest.New(t, map[string]string{
		"stacks/slow/main.tf": tftest.ProviderBlock("") + `data "dgtest_wait" "slow" {
  duration = "6s"
}
resource "dgtest_server" "s" {
  name = "slow"
}
`,
	})
	quick := gittest.New(t, map[string]string{
		"stacks/quick/main.tf": tftest.ProviderBlock("") + `resource "dgtest_server" "q" {
  name = "quick"
}
`,
	})
	const bobToken, carolToken = "bob-token-reload-1", "carol-token-reload-2"
	work := t.TempDir()
	config := filepath.Join(work, "driftgate.hcl")
	addr := freeAddr(t)
	head := fmt.Sprintf(`
data_dir          = %q
listen            = %q
max_parallel_runs = 2
terraform {
  install = false
}
repo "slow" {
  url           = %q
  poll_interval = "1s"
}
`, filepath.Join(work, "data"), addr, slow.Dir)
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(head + fmt.Sprintf(`
token "bob" {
  role   = "viewer"
  sha256 = %q
}
`, sha256Hex(bobToken)))
	d := newDaemon(t, env, bin, config, "DGTEST_ROOT="+filepath.Join(work, "objects"))
	d.start()
	if status, body := d.call("GET", "/api/v1/repos", bobToken); status != http.StatusOK {
		t.Fatalf("bob before the reload: %d %s", status, body)
	}

	d.waitRuns("the slow plan running", time.Minute, func(runs []store.Run) bool {
		for _, r := range runs {
			if r.Stack == "stacks/slow" && r.Status == store.StatusRunning {
				return true
			}
		}
		return false
	})
	// Add a repo and carol, remove bob, change a setting that needs a
	// restart, and reload while the plan runs.
	write(strings.Replace(head, "max_parallel_runs = 2", "max_parallel_runs = 3", 1) + fmt.Sprintf(`
repo "quick" {
  url           = %q
  poll_interval = "1s"
}
token "carol" {
  role   = "viewer"
  sha256 = %q
}
`, quick.Dir, sha256Hex(carolToken)))
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, d, "SIGHUP: config reloaded")
	waitLog(t, d, "take effect only after a restart")
	if !strings.Contains(d.log(), "max_parallel_runs") {
		t.Errorf("the reload log does not name max_parallel_runs as needing a restart:\n%s", d.log())
	}
	if status, _ := d.call("GET", "/api/v1/repos", bobToken); status != http.StatusUnauthorized {
		t.Errorf("bob after the reload removed his token: %d, want 401", status)
	}
	if status, body := d.call("GET", "/api/v1/repos", carolToken); status != http.StatusOK {
		t.Errorf("carol after the reload added her token: %d %s", status, body)
	}
	runs := d.waitRuns("the slow plan finished and the new repo planned", 2*time.Minute, func(runs []store.Run) bool {
		var slowDone, quickDone bool
		for _, r := range runs {
			slowDone = slowDone || (r.Stack == "stacks/slow" && r.Status == store.StatusPlanned)
			quickDone = quickDone || (r.Repo == "quick" && r.Stack == "stacks/quick" && r.Status == store.StatusPlanned)
		}
		return slowDone && quickDone
	})
	for _, r := range runs {
		if r.Status == store.StatusInterrupted || r.Status == store.StatusErrored {
			t.Errorf("run %s of %s/%s ended %s: %s", r.ID, r.Repo, r.Stack, r.Status, r.Error)
		}
	}

	// A broken config changes nothing: carol still gets in.
	write(head + "token \"x\" {\n")
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, d, "SIGHUP: config not reloaded; the running one stays")
	if status, body := d.call("GET", "/api/v1/repos", carolToken); status != http.StatusOK {
		t.Errorf("carol after a broken reload: %d %s", status, body)
	}
	d.stop(30 * time.Second)
}

// waitLog waits until the daemon's log holds text.
func waitLog(t *testing.T, d *daemon, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(d.log(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon log lacks %q:\n%s", text, d.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
