package prcomment

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/drift"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const publicURL = "https://driftgate.example.com"

func attr(path string, before, after any) analysis.AttributeChange {
	return analysis.AttributeChange{Path: path, Before: before, After: after}
}

// changesStack is a stack whose plan creates a resource, updates another
// and changes an output.
func changesStack() Stack {
	return Stack{
		Repo: "infra", Name: "network", RunID: "01JD0000000000000000000001", Result: ResultChanges,
		TargetDrift: drift.StatusInSync,
		Analysis: &analysis.Analysis{
			Summary: analysis.Summary{Add: 1, Change: 1, OutputChanges: 1, HasChanges: true},
			Changes: []analysis.ResourceChange{
				{Address: "dg_thing.subnet", Action: analysis.ActionCreate, Attributes: []analysis.AttributeChange{
					attr("cidr", nil, "10.0.1.0/24"),
					{Path: "id", Unknown: true},
					{Path: "token", After: analysis.Marker, Sensitive: true},
				}},
				{Address: "dg_thing.vpc", Action: analysis.ActionUpdate, Attributes: []analysis.AttributeChange{
					attr(`tags["cost-center"]`, "a", "b"),
				}},
			},
			Drift:   []analysis.ResourceChange{},
			Outputs: []analysis.OutputChange{{Name: "subnet_cidr", Action: analysis.ActionCreate, After: "10.0.1.0/24"}},
		},
		PlanText: "Terraform will perform the following actions:\n\n" +
			"  # dg_thing.subnet will be created\n  + resource \"dg_thing\" \"subnet\" {\n      + cidr = \"10.0.1.0/24\"\n    }\n\n" +
			"  # dg_thing.vpc will be updated in-place\n  ~ resource \"dg_thing\" \"vpc\" {\n      ~ tags = {\n          ~ \"cost-center\" = \"a\" -> \"b\"\n        }\n    }\n\n" +
			"Plan: 1 to add, 1 to change, 0 to destroy.\n",
	}
}

func noChangesStack(name string) Stack {
	return Stack{
		Repo: "infra", Name: name, RunID: "01JD0000000000000000000002", Result: ResultNoChanges,
		TargetDrift: drift.StatusDrifted,
		Analysis:    &analysis.Analysis{Changes: []analysis.ResourceChange{}, Drift: []analysis.ResourceChange{}},
		PlanText:    "No changes. Your infrastructure matches the configuration.\n",
	}
}

func erroredStack() Stack {
	return Stack{
		Repo: "infra", Name: "dns", RunID: "01JD0000000000000000000003", Result: ResultErrored,
		Error: "terraform plan: exit status 1\n\nError: Unsupported argument\n\n" +
			"  on main.tf line 4, in resource \"dg_thing\" \"a\":\n   4:   colour = \"```</details>\"\n\n" +
			"An argument named \"colour\" is not expected here.\n",
	}
}

// revertStack's plan puts back two resources changed outside Terraform,
// partly reverts a third along with a change of its own, and creates again
// a resource deleted outside Terraform.
func revertStack() Stack {
	return Stack{
		Repo: "infra", Name: "storage", RunID: "01JD0000000000000000000004", Result: ResultChanges,
		TargetDrift: drift.StatusDrifted,
		Analysis: &analysis.Analysis{
			Summary: analysis.Summary{Add: 1, Change: 3, Drifted: 4, HasChanges: true},
			Changes: []analysis.ResourceChange{
				{Address: "dg_thing.bucket", Action: analysis.ActionUpdate, Attributes: []analysis.AttributeChange{
					attr("versioning", false, true),
				}},
				{Address: "dg_thing.queue", Action: analysis.ActionUpdate, Attributes: []analysis.AttributeChange{
					attr("size", "2", "3"),
					attr("tier", "gold", "silver"),
				}},
				{Address: "dg_thing.logs", Action: analysis.ActionUpdate, Attributes: []analysis.AttributeChange{
					attr("retention", "7", "30"),
				}},
				{Address: "dg_thing.cache", Action: analysis.ActionCreate, Attributes: []analysis.AttributeChange{
					attr("size", nil, "1"),
				}},
			},
			Drift: []analysis.ResourceChange{
				{Address: "dg_thing.bucket", Kind: analysis.DriftChanged, Action: analysis.ActionUpdate,
					Attributes: []analysis.AttributeChange{attr("versioning", true, false)}},
				{Address: "dg_thing.queue", Kind: analysis.DriftChanged, Action: analysis.ActionUpdate,
					Attributes: []analysis.AttributeChange{attr("tier", "silver", "gold")}},
				{Address: "dg_thing.logs", Kind: analysis.DriftChanged, Action: analysis.ActionUpdate,
					Attributes: []analysis.AttributeChange{attr("retention", "30", "7"), attr("owner", "ops", "dev")}},
				{Address: "dg_thing.cache", Kind: analysis.DriftDeleted, Action: analysis.ActionDelete},
			},
		},
		PlanText: "  ~ resource \"dg_thing\" \"bucket\" {\n      ~ versioning = false -> true\n    }\n",
	}
}

// hugeStacks are many stacks with one huge plan, to split at a small limit.
func hugeStacks() []Stack {
	var stacks []Stack
	for i := range 40 {
		stacks = append(stacks, noChangesStack(fmt.Sprintf("envs/region-%02d/app", i)))
	}
	big := changesStack()
	big.Name = "envs/big"
	var plan strings.Builder
	for i := range 400 {
		fmt.Fprintf(&plan, "  + resource \"dg_thing\" \"n%03d\" {\n      + name = \"n%03d\"\n    }\n", i, i)
	}
	big.PlanText = plan.String()
	for i := range 30 {
		big.Analysis.Changes = append(big.Analysis.Changes, analysis.ResourceChange{
			Address: fmt.Sprintf("dg_thing.n%03d", i), Action: analysis.ActionCreate,
			Attributes: []analysis.AttributeChange{attr("name", nil, fmt.Sprintf("n%03d", i))},
		})
	}
	return append(stacks, big, erroredStack())
}

// hostileStack carries markup and mentions in every string it controls.
func hostileStack() Stack {
	evil := "</summary></details><script>alert(1)</script> | x | @admin [a](javascript:x) ``` ~~~\n# h"
	return Stack{
		Repo: "infra", Name: evil, RunID: "01JD/../x)(<y>", Result: ResultChanges,
		Analysis: &analysis.Analysis{
			Summary: analysis.Summary{Change: 1, HasChanges: true},
			Changes: []analysis.ResourceChange{{Address: "dg_thing.a[\"``x``\"]", Action: analysis.ActionUpdate,
				Attributes: []analysis.AttributeChange{attr("`name`", evil, "</details>")}}},
		},
		PlanText: "```\n</details>\n````diff\n" + evil,
		Error:    evil,
	}
}

func TestRenderGolden(t *testing.T) {
	pr := PR{Number: 42, HeadSHA: "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c"}
	for _, tc := range []struct {
		name string
		in   Input
	}{
		{"one_stack_changes", Input{PR: pr, PublicURL: publicURL, MaxLength: 65536,
			Stacks: []Stack{changesStack(), noChangesStack("dns")}}},
		{"no_changes", Input{PR: pr, PublicURL: publicURL, MaxLength: 65536,
			Stacks: []Stack{noChangesStack("network")}}},
		{"errored", Input{PR: pr, MaxLength: 65536, Stacks: []Stack{erroredStack()}}},
		{"drift_revert", Input{PR: pr, PublicURL: publicURL, MaxLength: 65536, Stacks: []Stack{revertStack()}}},
		{"huge_split", Input{PR: pr, PublicURL: publicURL, MaxLength: MinLength, Stacks: hugeStacks()}},
		{"truncated_diff", Input{PR: pr, MaxLength: 4096, Stacks: []Stack{func() Stack {
			s := hugeStacks()[40]
			s.Analysis.Changes = s.Analysis.Changes[:1]
			return s
		}()}}},
		{"hostile_strings", Input{PR: pr, PublicURL: publicURL, MaxLength: 65536,
			Stacks: []Stack{hostileStack(), func() Stack { s := hostileStack(); s.Result = ResultErrored; return s }()}}},
		{"pending", Input{PR: pr, MaxLength: 65536, Stacks: []Stack{
			{Repo: "infra", Name: "a", Result: ResultQueued}, {Repo: "infra", Name: "b", Result: ResultPlanning},
			{Repo: "other", Name: "c", Result: ResultSuperseded}, {Repo: "other", Name: "d", Result: ResultCanceled,
				TargetDrift: drift.StatusPendingChanges}}}},
		{"no_stacks", Input{PR: pr, MaxLength: 65536}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bodies, err := Render(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			checkBodies(t, bodies, tc.in.MaxLength)
			var got strings.Builder
			for i, b := range bodies {
				fmt.Fprintf(&got, "===== comment %d (%d bytes) =====\n%s", i+1, len(b), b)
			}
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run go test -update to write it): %v", err)
			}
			if got.String() != string(want) {
				t.Errorf("rendering differs from %s (go test -update rewrites it); got:\n%s", path, got.String())
			}
		})
	}
}

func TestRenderRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		in   Input
		want error
	}{
		{Input{MaxLength: MinLength - 1}, ErrLimitTooSmall},
		{Input{MaxLength: MinLength, PublicURL: "javascript:alert(1)"}, ErrPublicURL},
		{Input{MaxLength: MinLength, PublicURL: "https://x/" + strings.Repeat("a", maxPublicURL)}, ErrPublicURL},
	} {
		if _, err := Render(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("Render(%+v) = %v, want %v", tc.in, err, tc.want)
		}
	}
}

// TestRenderAtEveryLimit renders the same PR at many limits: every body
// keeps the properties, every stack keeps its summary row, and every stack
// with changes or errors keeps its section.
func TestRenderAtEveryLimit(t *testing.T) {
	stacks := append(hugeStacks(), hostileStack(), revertStack())
	sections := 0
	for _, s := range stacks {
		if hasSection(s) {
			sections++
		}
	}
	for limit := MinLength; limit < 40000; limit += 1531 {
		for _, url := range []string{"", publicURL} {
			in := Input{PR: PR{Number: 7}, PublicURL: url, Stacks: stacks, MaxLength: limit}
			bodies, err := Render(in)
			if err != nil {
				t.Fatalf("limit %d: %v", limit, err)
			}
			checkBodies(t, bodies, limit)
			all := strings.Join(bodies, "")
			if got := strings.Count(all, "\n| ") - strings.Count(all, "\n| Stack |"); got != len(stacks) {
				t.Errorf("limit %d: %d summary rows, want %d", limit, got, len(stacks))
			}
			if got := strings.Count(all, "<summary>"); got != sections {
				t.Errorf("limit %d: %d sections, want %d", limit, got, sections)
			}
		}
	}
}

func TestMarker(t *testing.T) {
	if got, want := Marker(1), "<!-- driftgate:plan:1 -->"; got != want {
		t.Errorf("Marker(1) = %q, want %q", got, want)
	}
	if Marker(1) == Marker(12)[:len(Marker(1))] {
		t.Error("Marker(1) is a prefix of Marker(12): upserting comment 1 could find comment 12")
	}
}

// TestRenderKeepsPartsWhilePlanning checks Input.Keep: while a stack is
// queued or planning, the comments the PR already has stay (the surplus
// ones saying the rest follows); once every stack has a result, only the
// bodies the plan needs are returned.
func TestRenderKeepsPartsWhilePlanning(t *testing.T) {
	planning := changesStack()
	planning.Result, planning.Analysis, planning.PlanText = ResultPlanning, nil, ""
	queued := noChangesStack("app")
	queued.Result, queued.Analysis, queued.PlanText = ResultQueued, nil, ""
	for _, tc := range []struct {
		name   string
		stacks []Stack
		keep   int
		want   int
	}{
		{"planning keeps three", []Stack{planning}, 3, 3},
		{"queued keeps two", []Stack{noChangesStack("db"), queued}, 2, 2},
		{"planning, nothing to keep", []Stack{planning}, 0, 1},
		{"planned drops the surplus", []Stack{changesStack()}, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bodies, err := Render(Input{PR: PR{Number: 7}, Stacks: tc.stacks, MaxLength: MinLength, Keep: tc.keep})
			if err != nil {
				t.Fatal(err)
			}
			if len(bodies) != tc.want {
				t.Fatalf("%d bodies, want %d:\n%s", len(bodies), tc.want, strings.Join(bodies, "\n---\n"))
			}
			for i, b := range bodies {
				if !strings.HasPrefix(b, Marker(i+1)+"\n") {
					t.Errorf("body %d does not start with its marker:\n%s", i+1, b)
				}
				if i > 0 && !strings.Contains(b, "continued (part "+fmt.Sprint(i+1)+")") || i > 0 && !strings.Contains(b, pendingNote) {
					t.Errorf("kept body %d lacks its title or note:\n%s", i+1, b)
				}
			}
		})
	}
}
