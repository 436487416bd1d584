package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

func TestWriteTable(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name string
		cols []column
		rows [][]string
		want string
	}{
		{
			name: "fits",
			cols: []column{{title: "A"}, {title: "B"}},
			rows: [][]string{{"one", "two"}},
			want: "A    B\none  two\n",
		},
		{
			name: "control characters",
			cols: []column{{title: "A"}, {title: "B"}},
			rows: [][]string{{"a\tb", "line\nbreak"}},
			want: "A    B\na b  line break\n",
		},
		{
			name: "max width",
			cols: []column{{title: "A", max: 6}, {title: "B"}},
			rows: [][]string{{"abcdefgh", "b"}},
			want: "A       B\nabcde…  b\n",
		},
		{
			name: "flex column gives up width",
			cols: []column{{title: "NAME"}, {title: "ERROR", flex: true}},
			rows: [][]string{{"n", long}},
			want: "NAME  ERROR\nn     " + strings.Repeat("x", 73) + "…\n",
		},
		{
			name: "widest flex column first",
			cols: []column{{title: "FIRST", flex: true}, {title: "SECOND", flex: true}, {title: "FIXED"}},
			rows: [][]string{{strings.Repeat("a", 20), long, strings.Repeat("c", 30)}},
			want: fmt.Sprintf("%-22s%-28s%s\n", "FIRST", "SECOND", "FIXED") +
				strings.Repeat("a", 20) + "  " + strings.Repeat("x", 25) + "…  " + strings.Repeat("c", 30) + "\n",
		},
		{
			name: "flex columns keep their title",
			cols: []column{{title: "FIRST", flex: true}, {title: "SECOND", flex: true}},
			rows: [][]string{{long, long}, {"a", "b"}},
			want: "FIRST                                    SECOND\n" +
				strings.Repeat("x", 38) + "…  " + strings.Repeat("x", 38) + "…\n" +
				"a                                        b\n",
		},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := writeTable(&buf, tt.cols, tt.rows); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != tt.want {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", tt.name, got, tt.want)
		}
		for _, line := range strings.Split(buf.String(), "\n") {
			if utf8.RuneCountInString(line) > tableWidth {
				t.Errorf("%s: line wider than %d: %q", tt.name, tableWidth, line)
			}
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"hello", 5, "hello"},
		{"hello", 4, "hel…"},
		{"héllo wörld", 6, "héllo…"},
		{"hello", 1, "…"},
		{"hello", 0, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestAge(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{-time.Minute, "0s"},
		{45 * time.Second, "45s"},
		{12 * time.Minute, "12m"},
		{5 * time.Hour, "5h"},
		{47 * time.Hour, "47h"},
		{72 * time.Hour, "3d"},
		{999 * 24 * time.Hour, "999d"},
	}
	for _, tt := range tests {
		if got := age(now, now.Add(-tt.ago)); got != tt.want {
			t.Errorf("age(%v ago) = %q, want %q", tt.ago, got, tt.want)
		}
	}
	if got := age(now, time.Time{}); got != "-" {
		t.Errorf("age(zero) = %q", got)
	}
}

func TestSummaryAndExit(t *testing.T) {
	tests := []struct {
		s    *apiv1.PlanSummary
		want string
	}{
		{nil, "-"},
		{&apiv1.PlanSummary{}, "+0 ~0 -0"},
		{&apiv1.PlanSummary{Add: 1, Change: 2, Destroy: 3}, "+1 ~2 -3"},
		{&apiv1.PlanSummary{Add: 1, Replace: 2}, "+1 ~0 -0 ±2"},
	}
	for _, tt := range tests {
		if got := summary(tt.s); got != tt.want {
			t.Errorf("summary(%+v) = %q, want %q", tt.s, got, tt.want)
		}
	}
	exits := map[apiv1.RunStatus]int{
		apiv1.StatusNoChanges: exitOK, apiv1.StatusPlanned: exitChanges, apiv1.StatusErrored: exitError,
		apiv1.StatusCanceled: exitError, apiv1.StatusInterrupted: exitError, apiv1.StatusSuperseded: exitError,
	}
	for status, want := range exits {
		got := exitOK
		if err := runExit(status); err != nil {
			got = int(err.(exitCode))
		}
		if got != want {
			t.Errorf("runExit(%s) = %d, want %d", status, got, want)
		}
	}
}

// TestRunsTableAwaiting checks that a run awaiting approval does not cut
// the stack names of the runs table.
func TestRunsTableAwaiting(t *testing.T) {
	var out bytes.Buffer
	g := &globals{stdout: &out}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	runs := []apiv1.Run{
		{ID: "01M8A2RF1CB8GD475KAZX7DYVT", Repo: "quickstart", Stack: "network", Status: apiv1.StatusAwaitingApproval, Trigger: "initial", Commit: "1659e15ccb8a", CreatedAt: now, Summary: &apiv1.PlanSummary{Add: 1}},
		{ID: "01M8A2RF1CB8GD475KAZX7DYVA", Repo: "quickstart", Stack: "network", Status: apiv1.StatusInterrupted, Trigger: "initial", Commit: "1659e15ccb8a", CreatedAt: now},
	}
	if err := writeRunsTable(g, runs, now); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "quickstart/network  awaiting ") {
		t.Errorf("runs table:\n%s", out.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if utf8.RuneCountInString(line) > tableWidth {
			t.Errorf("line wider than %d: %q", tableWidth, line)
		}
	}
}
