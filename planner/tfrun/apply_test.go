package tfrun

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/test/tftest"
)

func (h *harness) applyPlan(t *testing.T, dir string, planFile []byte) (*ApplyResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return h.planner.Apply(ctx, StackApply{
		StackPlan: StackPlan{Source: os.DirFS(h.src), Layout: Layout{Dir: dir}, Key: "test/" + dir},
		PlanFile:  planFile,
	})
}

func TestApplySavedPlan(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" {
  name = "web"
  size = "medium"
}`)})
	res, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
	}
	ar, err := h.applyPlan(t, "web", res.PlanFile)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, ar.Log)
	}
	if !strings.Contains(string(ar.Log), "Apply complete! Resources: 1 added") {
		t.Errorf("apply log:\n%s", ar.Log)
	}
	if obj := tftest.ReadObject(t, h.objects, tftest.Servers, "web"); obj["size"] != "medium" {
		t.Errorf("backing object = %v", obj)
	}
	again, err := h.plan(t, "web")
	if err != nil || again.HasChanges {
		t.Errorf("plan after apply: changes=%v err=%v", again != nil && again.HasChanges, err)
	}
}

func TestApplyStalePlanRefused(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" { name = "web" }`)})
	stale, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	fresh, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if ar, err := h.applyPlan(t, "web", fresh.PlanFile); err != nil {
		t.Fatalf("apply: %v\n%s", err, ar.Log)
	}
	ar, err := h.applyPlan(t, "web", stale.PlanFile)
	var tfErr *Error
	if !errors.As(err, &tfErr) || tfErr.Stage != StageApply {
		t.Fatalf("applying a stale plan: err = %v", err)
	}
	if !strings.Contains(string(ar.Log), "Saved plan is stale") {
		t.Errorf("apply log lacks terraform's refusal:\n%s", ar.Log)
	}
}
