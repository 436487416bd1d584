package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/tftest"
)

// TestSecretNeverReachesStore plans a stack holding a known secret with real
// terraform, records the run, and reads back everything stored for it.
// Only the binary plan file, which apply needs byte for byte, may hold it.
func TestSecretNeverReachesStore(t *testing.T) {
	const secret = "s3cr3t-never-stored-9f8e7d"
	env := tftest.Setup(t)
	env.Setenv(t)
	src, objects, data := t.TempDir(), t.TempDir(), t.TempDir()
	tftest.WriteFiles(t, src, map[string]string{"app/main.tf": tftest.ProviderBlock(objects) + `
variable "password" {
  type      = string
  sensitive = true
  default   = "` + secret + `"
}
resource "dgtest_secret" "db" {
  name  = "db"
  value = var.password
}
output "password" {
  value     = var.password
  sensitive = true
}
`})
	s := openStore(t)
	pr := &PlanRunner{Store: s, Planner: &tfrun.Planner{
		Resolver: &tfrun.Resolver{InstallDir: filepath.Join(data, "bin")},
		Executor: &tfrun.Executor{PluginCacheDir: filepath.Join(data, "plugin-cache")},
		DataDir:  data,
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := &store.Run{Stack: "app", Dir: "app", Trigger: "local", Operation: "plan"}
	res, err := pr.Execute(ctx, run, tfrun.StackPlan{
		Source: os.DirFS(src), Layout: tfrun.Layout{Dir: "app"}, Key: "local/app",
	})
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, res.Log)
	}
	bg := context.Background()
	got, err := s.GetRun(bg, run.ID)
	if err != nil || got.Status != store.StatusPlanned {
		t.Fatalf("run = %+v, %v", got, err)
	}
	plan, err := s.GetPlan(bg, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	log, err := s.GetLog(bg, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	record, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{
		"plan json": string(plan.JSON), "plan text": string(plan.Text),
		"analysis": string(plan.Analysis), "log": string(log), "run record": string(record),
	}
	for name, v := range stored {
		if strings.Contains(v, secret) {
			t.Errorf("%s holds the secret", name)
		}
		if v == "" {
			t.Errorf("%s is empty: the check proves nothing", name)
		}
	}
	if !strings.Contains(string(plan.JSON), "(sensitive value)") {
		t.Error("plan JSON has no redaction marker")
	}
}
