package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/tftest"
)

// TestPlanLogStreamsMasked follows a real plan through the log hub, as the
// API's live readers do: its lines arrive while terraform still runs, no
// secret known before the plan (a sensitive variable's value from an
// auto.tfvars, a sensitive value of the prior state) reaches the reader
// although terraform prints both unmarked, and the log stored in bbolt is
// the redacted one, exactly what streamed.
func TestPlanLogStreamsMasked(t *testing.T) {
	const varSecret = "hub-var-secret-5e6f7a"
	const stateSecret = "hub-state-secret-8b9c0d"
	env := tftest.Setup(t)
	env.Setenv(t)
	src, objects, data := t.TempDir(), t.TempDir(), t.TempDir()
	planner := &tfrun.Planner{
		Resolver: &tfrun.Resolver{InstallDir: filepath.Join(data, "bin")},
		Executor: &tfrun.Executor{PluginCacheDir: filepath.Join(data, "plugin-cache")},
		DataDir:  data,
	}
	const key = "local/app"
	// The prior state holds stateSecret as a sensitive attribute.
	tftest.WriteFiles(t, src, map[string]string{"app/main.tf": tftest.ProviderBlock(objects) + `
resource "dgtest_secret" "db" {
  name  = "db"
  value = "` + stateSecret + `"
}
`})
	applyDir := t.TempDir()
	wd, err := tfrun.Prepare(context.Background(), os.DirFS(src), tfrun.Layout{Dir: "app"}, applyDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := wd.SetDefaultBackend(planner.DefaultState(key)); err != nil {
		t.Fatal(err)
	}
	env.Terraform(t, wd.StackDir, "init", "-input=false")
	env.Terraform(t, wd.StackDir, "apply", "-auto-approve", "-input=false")
	// The plan prints both secrets unmarked, after a data source that keeps
	// it busy for seconds.
	tftest.WriteFiles(t, src, map[string]string{
		"app/main.tf": tftest.ProviderBlock(objects) + `
variable "token" {
  type      = string
  sensitive = true
}
data "dgtest_wait" "slow" { duration = "4s" }
resource "dgtest_secret" "db" {
  name        = "db"
  value       = "` + stateSecret + `"
  description = "` + stateSecret + `"
}
output "token" { value = nonsensitive(var.token) }
output "waited" { value = data.dgtest_wait.slow.duration }
`,
		"app/secrets.auto.tfvars": `token = "` + varSecret + `"` + "\n",
	})

	s := openStore(t)
	bg := context.Background()
	run := &store.Run{Stack: "app", Dir: "app", Trigger: "local", Operation: "plan"}
	if err := s.CreateRun(bg, run); err != nil {
		t.Fatal(err)
	}
	hub := newLogHub()
	live := hub.start(run.ID)

	// A reader follows the hub by offset, as the SSE endpoint does, and
	// says whether the data source's line reached it while the plan ran.
	var planDone atomic.Bool
	const reading = "data.dgtest_wait.slow: Reading..."
	early := make(chan bool, 1)
	go func() {
		var text []byte
		for {
			chunk, isLive, changed := hub.ReadLive(run.ID, int64(len(text)))
			text = append(text, chunk...)
			if strings.Contains(string(text), reading) {
				early <- !planDone.Load()
				return
			}
			if !isLive {
				early <- false
				return
			}
			if len(chunk) == 0 {
				<-changed
			}
		}
	}()

	ctx, cancel := context.WithTimeout(bg, 3*time.Minute)
	defer cancel()
	pr := &PlanRunner{Store: s, Planner: planner}
	res, err := pr.Execute(ctx, run, tfrun.StackPlan{
		Source: os.DirFS(src), Layout: tfrun.Layout{Dir: "app"}, Key: key, Live: live,
	})
	planDone.Store(true)
	// All a reader could get live: the hub's copy until the run is
	// finished there (the daemon finishes it once the outcome is stored).
	var streamed []byte
	for {
		chunk, _, _ := hub.ReadLive(run.ID, int64(len(streamed)))
		if len(chunk) == 0 {
			break
		}
		streamed = append(streamed, chunk...)
	}
	hub.finish(run.ID)
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, res.Log)
	}
	if !<-early {
		t.Errorf("%q did not reach the live reader while the plan ran; the hub got:\n%s", reading, streamed)
	}
	for _, secret := range []string{varSecret, stateSecret} {
		if strings.Contains(string(streamed), secret) {
			t.Errorf("the live reader got secret %q:\n%s", secret, streamed)
		}
	}
	stored, err := s.GetLog(bg, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Terraform printed both: the stored log masks them where they were.
	if n := strings.Count(string(stored), analysis.Marker); n < 2 {
		t.Errorf("stored log has %d %q, want both secrets masked:\n%s", n, analysis.Marker, stored)
	}
	if string(stored) != string(streamed) {
		t.Errorf("stored log differs from what streamed:\nstored:\n%s\nstreamed:\n%s", stored, streamed)
	}
}
