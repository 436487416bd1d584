package runner

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
)

// fakePlanner returns a canned result, or blocks until its context ends.
type fakePlanner struct {
	res   *tfrun.PlanResult
	err   error
	block bool
}

func (f *fakePlanner) Plan(ctx context.Context, _ tfrun.StackPlan) (*tfrun.PlanResult, error) {
	if f.block {
		<-ctx.Done()
		return &tfrun.PlanResult{Log: []byte("interrupted")}, ctx.Err()
	}
	return f.res, f.err
}

func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(tb.TempDir(), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func result(hasChanges bool) *tfrun.PlanResult {
	a := &analysis.Analysis{Changes: []analysis.ResourceChange{}, Drift: []analysis.ResourceChange{}}
	if hasChanges {
		a.Summary = analysis.Summary{Add: 1, HasChanges: true}
	}
	return &tfrun.PlanResult{
		TerraformVersion: "1.11.4", HasChanges: hasChanges, PlanFile: []byte("plan"),
		PlanJSON: []byte(`{}`), Text: []byte("Plan: 1 to add"), Log: []byte("$ terraform plan"), Analysis: a,
	}
}

func TestPlanRunnerOutcomes(t *testing.T) {
	tfErr := &tfrun.Error{Stage: tfrun.StagePlan, Err: errors.New("exit status 1")}
	tests := []struct {
		name      string
		planner   *fakePlanner
		cause     error
		want      store.RunStatus
		wantError string
		wantPlan  bool
	}{
		{"changes", &fakePlanner{res: result(true)}, nil, store.StatusPlanned, "", true},
		{"no changes", &fakePlanner{res: result(false)}, nil, store.StatusNoChanges, "", true},
		{"terraform error", &fakePlanner{res: &tfrun.PlanResult{Log: []byte("\nError: Unsupported argument\n")}, err: tfErr},
			nil, store.StatusErrored, "terraform plan failed: Unsupported argument", false},
		{"other error", &fakePlanner{err: errors.New("no terraform binary satisfies \">= 9\"")}, nil,
			store.StatusErrored, "no terraform binary satisfies", false},
		{"canceled", &fakePlanner{block: true}, errors.New("user asked"), store.StatusCanceled, "canceled", false},
		{"shutdown", &fakePlanner{block: true}, ErrShutdown, store.StatusInterrupted, "interrupted", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			pr := &PlanRunner{Store: s, Planner: tt.planner}
			ctx, cancel := context.WithCancelCause(context.Background())
			if tt.cause != nil {
				cancel(tt.cause)
			}
			defer cancel(nil)
			run := &store.Run{Stack: "web", Dir: "web", Trigger: "local", Operation: "plan"}
			_, _ = pr.Execute(ctx, run, tfrun.StackPlan{})
			got, err := s.GetRun(context.Background(), run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want {
				t.Errorf("status = %s, want %s", got.Status, tt.want)
			}
			if !strings.Contains(got.Error, tt.wantError) {
				t.Errorf("error = %q, want it to contain %q", got.Error, tt.wantError)
			}
			if got.StartedAt.IsZero() || got.FinishedAt.IsZero() {
				t.Errorf("times not recorded: %+v", got)
			}
			_, perr := s.GetPlan(context.Background(), run.ID)
			if (perr == nil) != tt.wantPlan {
				t.Errorf("plan stored = %v, want %v", perr == nil, tt.wantPlan)
			}
			if tt.want == store.StatusPlanned && (got.Summary == nil || got.Summary.Add != 1 || got.TerraformVersion != "1.11.4") {
				t.Errorf("summary/version not recorded: %+v", got)
			}
		})
	}
}
