package giteatest

import (
	"context"
	"errors"
	"testing"

	"github.com/driftgate/driftgate/runner/forge"
	forgegitea "github.com/driftgate/driftgate/runner/forge/gitea"
)

func TestHarness(t *testing.T) {
	s := Start(t)
	h := NewHarness(t, s, func(t testing.TB, baseURL, project, token string) forge.Client {
		c, err := forgegitea.New(forgegitea.Options{BaseURL: baseURL, Project: project, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
	ctx := context.Background()
	h.AddUser(t, "author", true)
	h.AddUser(t, "reviewer", true)
	h.AddUser(t, "reader", false)
	first := h.Branch(t, "feature")
	n := h.OpenPR(t, "author", "feature")
	h.Approve(t, "reviewer", n)
	second := h.Push(t, "feature")
	if first == second {
		t.Fatal("Push made no new commit")
	}
	c := h.Client(t)
	if w, err := c.CanWrite(ctx, "reader"); w || err != nil {
		t.Errorf("CanWrite(reader) = %v, %v", w, err)
	}
	h.Comment(t, "reader", n, "hello")
	if got := h.Comments(t, n); len(got) != 1 || got[0] != "hello" {
		t.Errorf("Comments = %q", got)
	}
	st := forge.Status{Context: "driftgate/plan", State: forge.StatusSuccess, Description: "ok", TargetURL: "https://d.example/runs/1"}
	if err := c.SetStatus(ctx, second, st); err != nil {
		t.Fatal(err)
	}
	if got, ok := h.Status(t, second, "driftgate/plan"); !ok || got != st {
		t.Errorf("Status = %+v, %v; want %+v", got, ok, st)
	}
	if _, ok := h.Status(t, second, "other"); ok {
		t.Error("a status never set was found")
	}
	merge := h.Merge(t, n)
	pr, err := c.PullRequest(ctx, n)
	if err != nil || pr.MergeCommitSHA != merge || pr.Author != "author" {
		t.Errorf("PullRequest after merge = %+v, %v; want merge %s by author", pr, err, merge)
	}
	if _, err := h.BadTokenClient(t).PullRequest(ctx, n); !errors.Is(err, forge.ErrUnauthorized) {
		t.Errorf("bad token: %v", err)
	}
}
