package prcomment

import (
	"strings"
	"testing"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/drift"
)

// fuzzInput builds a rendering input from fuzzed strings and sizes: every
// string the renderer takes from outside comes from the fuzzer, repeated to
// reach the fuzzed sizes.
func fuzzInput(name, addr, val, plan, errText, runID string, extra uint16, stacks, repeat uint8) Input {
	results := []Result{ResultChanges, ResultErrored, ResultNoChanges, ResultPlanning, ResultQueued,
		ResultSuperseded, ResultCanceled, Result(name)}
	drifts := []drift.Status{drift.StatusDrifted, drift.StatusInSync, drift.StatusUnknown, drift.Status(val)}
	in := Input{PR: PR{Number: int(extra), HeadSHA: runID}, MaxLength: MinLength + int(extra)*4}
	if repeat%2 == 0 {
		in.PublicURL = "https://driftgate.example.com/" + strings.ReplaceAll(addr, "\n", "")
		if len(in.PublicURL) > maxPublicURL {
			in.PublicURL = in.PublicURL[:maxPublicURL]
		}
	}
	n := int(repeat%8) + 1
	for i := range int(stacks%12) + 1 {
		a := &analysis.Analysis{Summary: analysis.Summary{Add: i, Change: int(extra), HasChanges: true}}
		for j := range n {
			at := analysis.AttributeChange{Path: strings.Repeat(name, j+1), Before: val, After: strings.Repeat(val, j)}
			a.Changes = append(a.Changes, analysis.ResourceChange{Address: addr, Action: analysis.ActionUpdate,
				Attributes: []analysis.AttributeChange{at, {Path: val, Before: map[string]any{name: []any{val, j}}, Unknown: j%2 == 0}}})
			a.Drift = append(a.Drift, analysis.ResourceChange{Address: addr, Kind: analysis.DriftChanged,
				Attributes: []analysis.AttributeChange{{Path: at.Path, Before: at.After, After: at.Before}}})
		}
		a.Outputs = []analysis.OutputChange{{Name: name, Action: analysis.Action(val), Before: val, Sensitive: i%2 == 0}}
		in.Stacks = append(in.Stacks, Stack{
			Repo:        strings.Repeat(addr, i%2),
			Name:        strings.Repeat(name, i+1),
			RunID:       runID,
			Result:      results[(i+int(repeat))%len(results)],
			Analysis:    a,
			PlanText:    strings.Repeat(plan, n*int(extra%64+1)),
			Error:       strings.Repeat(errText, n),
			TargetDrift: drifts[i%len(drifts)],
		})
	}
	return in
}

func FuzzRender(f *testing.F) {
	f.Add("network", "dg_thing.a", `"v"`, "  + resource \"x\" {\n  }\n", "Error: x\n", "01JD0000000000000000000001", uint16(0), uint8(1), uint8(0))
	f.Add("</details>", "a`b``c", "```", "```\n````\n", "</summary>\r\n```", "x)(<y>", uint16(100), uint8(11), uint8(7))
	f.Add("@admin | x", "[a](javascript:x)", "\u202e\x00\xff", "~~~\n", "<script>", "", uint16(65535), uint8(3), uint8(2))
	f.Add(strings.Repeat("é", 200), strings.Repeat("`", 300), strings.Repeat("<", 500), strings.Repeat("a", 3000), "\n", strings.Repeat("r", 1000), uint16(1), uint8(5), uint8(4))
	f.Fuzz(func(t *testing.T, name, addr, val, plan, errText, runID string, extra uint16, stacks, repeat uint8) {
		in := fuzzInput(name, addr, val, plan, errText, runID, extra, stacks, repeat)
		bodies, err := Render(in)
		if err != nil {
			if in.PublicURL != "" {
				return // a public URL the fuzzer made invalid
			}
			t.Fatalf("Render: %v", err)
		}
		checkBodies(t, bodies, in.MaxLength)
	})
}
