package runner

import (
	"reflect"
	"testing"

	"github.com/driftgate/driftgate/planner"
)

func TestStackPlanSkipsNestedStacks(t *testing.T) {
	tests := []struct {
		name   string
		stack  planner.Stack
		others []planner.Stack
		want   []string
	}{
		{"root holds others", planner.Stack{Dir: "."},
			[]planner.Stack{{Dir: "."}, {Dir: "envs/a"}, {Dir: "envs/b"}}, []string{"envs/a", "envs/b"}},
		{"sibling with shared prefix", planner.Stack{Dir: "envs/a"},
			[]planner.Stack{{Dir: "envs/a"}, {Dir: "envs/ab"}, {Dir: "envs/a/sub"}}, []string{"envs/a/sub"}},
		{"nested dir the stack calls as a module", planner.Stack{Dir: "app", Modules: []string{"app/mod"}},
			[]planner.Stack{{Dir: "app"}, {Dir: "app/mod"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StackPlan(nil, tt.stack, "k", tt.others).Layout.Skip
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("skip = %q, want %q", got, tt.want)
			}
		})
	}
}
