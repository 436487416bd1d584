package tfrun

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"
	"time"
)

// phases records what OnPhase is told.
type phases struct {
	mu  sync.Mutex
	got []Stage
}

func (p *phases) observe(s Stage, took time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if took > 0 {
		p.got = append(p.got, s)
	}
}

func (p *phases) take() []Stage {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := p.got
	p.got = nil
	return got
}

// TestPhasesReported: a plan reports init, plan and show (init only when
// it ran, not when the init cache skipped it), an apply init and apply.
func TestPhasesReported(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" {
  name = "web"
  size = "small"
}`)})
	var p phases
	sp := StackPlan{Source: os.DirFS(h.src), Layout: Layout{Dir: "web"}, Key: "test/web", OnPhase: p.observe}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := h.planner.Plan(ctx, sp)
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
	}
	if got, want := p.take(), []Stage{StageInit, StagePlan, StageShow}; !slices.Equal(got, want) {
		t.Errorf("first plan phases %v, want %v", got, want)
	}
	res, err = h.planner.Plan(ctx, sp)
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
	}
	if got, want := p.take(), []Stage{StagePlan, StageShow}; !slices.Equal(got, want) {
		t.Errorf("phases of a plan with a cached init %v, want %v", got, want)
	}
	ar, err := h.planner.Apply(ctx, StackApply{StackPlan: sp, PlanFile: res.PlanFile})
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, ar.Log)
	}
	if got, want := p.take(), []Stage{StageInit, StageApply}; !slices.Equal(got, want) {
		t.Errorf("apply phases %v, want %v", got, want)
	}
}
