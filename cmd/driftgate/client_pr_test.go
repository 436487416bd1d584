package main

import (
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/store"
)

func TestRunsCommandPR(t *testing.T) {
	args := []string{"runs", "--pr", "7"}
	canned := &apitest.Canned{}
	runCLI(t, append(args, "--server", apitest.NewServer(t, canned).URL, "--token", apitest.Token)...)
	want := store.RunFilter{PR: 7}
	if got := canned.Filters(); len(got) != 1 || got[0] != want {
		t.Errorf("runs --pr 7 sent filters %+v, want %+v", got, want)
	}
	e := newAPIEnv(t)
	code, _, errOut := e.cli(t, "runs", "--pr", "-1")
	if code != exitError || !strings.Contains(errOut, `pr "-1" is not a pull request number`) {
		t.Errorf("runs --pr -1: exit %d, stderr %q", code, errOut)
	}
	code, out, _ := e.cli(t, "runs", "--pr", "7")
	if code != exitOK || out != "No runs.\n" {
		t.Errorf("runs --pr 7 of a server without PR runs: exit %d %q", code, out)
	}
}
