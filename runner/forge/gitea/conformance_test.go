package gitea

import (
	"testing"

	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/runner/forge/forgetest"
	"github.com/driftgate/driftgate/test/giteatest"
)

// TestConformance runs the suite every forge passes against a real Gitea
// of its own (the suite's users have fixed names).
func TestConformance(t *testing.T) {
	srv := giteatest.Start(t)
	forgetest.Run(t, giteatest.NewHarness(t, srv, func(t testing.TB, baseURL, project, token string) forge.Client {
		c, err := New(Options{BaseURL: baseURL, Project: project, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}))
}
