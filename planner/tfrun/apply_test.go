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
	return h.applyExpect(t, dir, planFile, nil)
}

func (h *harness) applyExpect(t *testing.T, dir string, planFile []byte, want *StateRef) (*ApplyResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return h.planner.Apply(ctx, StackApply{
		StackPlan:   StackPlan{Source: os.DirFS(h.src), Layout: Layout{Dir: dir}, Key: "test/" + dir},
		PlanFile:    planFile,
		ExpectState: want,
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
	if ar.State == nil || ar.State.Serial == 0 || !strings.Contains(string(ar.State.Raw), `"medium"`) {
		t.Errorf("state after the apply = %+v, want the applied state", ar.State)
	}
	if strings.Contains(string(ar.Log), `"lineage"`) {
		t.Errorf("the pulled state reached the log:\n%s", ar.Log)
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

// TestApplyExpectState checks that an apply given the state its plan was
// made against refuses, before terraform applies, when the state moved,
// and applies when it did not.
func TestApplyExpectState(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" { name = "web" }`)})
	stale, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	serial, lineage, err := PlanFileState(stale.PlanFile)
	if err != nil {
		t.Fatal(err)
	}
	planned := &StateRef{Serial: serial, Lineage: lineage}
	fresh, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if ar, err := h.applyExpect(t, "web", fresh.PlanFile, planned); err != nil {
		t.Fatalf("apply with the planned state: %v\n%s", err, ar.Log)
	}
	ar, err := h.applyExpect(t, "web", stale.PlanFile, planned)
	var stErr *StaleStateError
	if !errors.As(err, &stErr) || !errors.Is(err, ErrStaleState) || stErr.Want != *planned || stErr.Got.Serial == 0 {
		t.Fatalf("applying a plan whose state moved: err = %v", err)
	}
	if strings.Contains(string(ar.Log), "terraform apply") || ar.State != nil {
		t.Errorf("terraform applied after the state check failed:\n%s", ar.Log)
	}
}
