package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

func testRepos(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})

	before := time.Now()
	r := store.RepoRecord{Name: "infra", URL: "https://git.example/infra.git", Branch: "main",
		LastCommit: "c1", Status: "synced", LastError: "none"}
	mustNot(t, "PutRepo", s.PutRepo(ctx, &r))
	if r.UpdatedAt.Before(before.Add(-time.Second)) || r.UpdatedAt.IsZero() {
		t.Errorf("PutRepo set UpdatedAt %v, want about now", r.UpdatedAt)
	}
	got, err := s.GetRepo(ctx, "infra")
	mustNot(t, "GetRepo", err)
	if !same(*got, r) {
		t.Errorf("GetRepo = %+v, want %+v", *got, r)
	}

	r.LastCommit, r.LastError = "c2", ""
	mustNot(t, "PutRepo again", s.PutRepo(ctx, &r))
	got, err = s.GetRepo(ctx, "infra")
	mustNot(t, "GetRepo", err)
	if got.LastCommit != "c2" || got.LastError != "" {
		t.Errorf("replaced repo = %+v, want last commit c2 and no error", got)
	}

	mustNot(t, "PutRepo", s.PutRepo(ctx, &store.RepoRecord{Name: "app"}))
	mustNot(t, "PutRepo", s.PutRepo(ctx, &store.RepoRecord{Name: "infra2"}))
	repos, err := s.ListRepos(ctx)
	mustNot(t, "ListRepos", err)
	var names []string
	for _, r := range repos {
		names = append(names, r.Name)
	}
	if want := []string{"app", "infra", "infra2"}; !slices.Equal(names, want) {
		t.Errorf("ListRepos = %v, want %v (by name)", names, want)
	}

	for _, name := range []string{"", store.LocalRepo, "bad\x00name"} {
		bad := store.RepoRecord{Name: name}
		wantErr(t, "PutRepo "+name, s.PutRepo(ctx, &bad), store.ErrInvalid)
		if !bad.UpdatedAt.IsZero() {
			t.Errorf("refused PutRepo(%q) set UpdatedAt", name)
		}
	}
	_, err = s.GetRepo(ctx, "nope")
	wantErr(t, "GetRepo unknown", err, store.ErrNotFound)
}

func testStacks(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})

	net := store.StackRecord{Repo: "infra", Name: "net", Dir: "stacks/net",
		Attrs: map[store.AttrKey]string{store.AttrWorkspace: "default", store.AttrDriftSchedule: "@hourly"}}
	mustNot(t, "PutStack", s.PutStack(ctx, &net))
	if net.UpdatedAt.IsZero() {
		t.Error("PutStack left UpdatedAt zero")
	}
	got, err := s.GetStack(ctx, "infra", "net")
	mustNot(t, "GetStack", err)
	if !same(*got, net) {
		t.Errorf("GetStack = %+v, want %+v", *got, net)
	}
	net.Dir = "moved/net"
	mustNot(t, "PutStack again", s.PutStack(ctx, &net))
	if got, _ := s.GetStack(ctx, "infra", "net"); got == nil || got.Dir != "moved/net" {
		t.Errorf("replaced stack = %+v, want dir moved/net", got)
	}

	for _, st := range []store.StackRecord{
		{Repo: "infra", Name: "dns"}, {Repo: "infra2", Name: "app"}, {Repo: "app", Name: "web"}, {Name: "local-a"},
	} {
		mustNot(t, "PutStack", s.PutStack(ctx, &st))
	}
	// A local stack (empty repo) is found under LocalRepo as well.
	if _, err := s.GetStack(ctx, store.LocalRepo, "local-a"); err != nil {
		t.Errorf("GetStack(LocalRepo, local-a): %v", err)
	}
	if _, err := s.GetStack(ctx, "", "local-a"); err != nil {
		t.Errorf("GetStack(\"\", local-a): %v", err)
	}

	list := func(repo string) []string {
		t.Helper()
		recs, err := s.ListStacks(ctx, repo)
		mustNot(t, "ListStacks", err)
		var out []string
		for _, r := range recs {
			out = append(out, r.Repo+"/"+r.Name)
		}
		return out
	}
	if got, want := list("infra"), []string{"infra/dns", "infra/net"}; !slices.Equal(got, want) {
		t.Errorf("ListStacks(infra) = %v, want %v (by name, not infra2's)", got, want)
	}
	if got, want := list(store.LocalRepo), []string{"/local-a"}; !slices.Equal(got, want) {
		t.Errorf("ListStacks(LocalRepo) = %v, want %v", got, want)
	}
	if got, want := list(""), []string{"app/web", "infra/dns", "infra/net", "infra2/app", "/local-a"}; !slices.Equal(got, want) {
		t.Errorf("ListStacks(\"\") = %v, want %v (by repo, then name)", got, want)
	}
	if got := list("nope"); len(got) != 0 {
		t.Errorf("ListStacks(nope) = %v, want none", got)
	}

	// Deleting keeps the stack's runs; deleting an absent stack is fine.
	run := createRun(t, s, store.Run{Repo: "infra", Stack: "dns"})
	mustNot(t, "DeleteStack", s.DeleteStack(ctx, "infra", "dns"))
	_, err = s.GetStack(ctx, "infra", "dns")
	wantErr(t, "GetStack deleted", err, store.ErrNotFound)
	mustNot(t, "DeleteStack absent", s.DeleteStack(ctx, "infra", "dns"))
	if latest, err := s.LatestRun(ctx, "infra", "dns"); err != nil || latest.ID != run.ID {
		t.Errorf("LatestRun after DeleteStack = %v, %v; want the run kept", latest, err)
	}

	wantErr(t, "PutStack empty name", s.PutStack(ctx, &store.StackRecord{Repo: "infra"}), store.ErrInvalid)
	wantErr(t, "PutStack NUL", s.PutStack(ctx, &store.StackRecord{Repo: "in\x00fra", Name: "x"}), store.ErrInvalid)
	_, err = s.GetStack(ctx, "infra", "")
	wantErr(t, "GetStack empty name", err, store.ErrInvalid)
	_, err = s.GetStack(ctx, "infra", "nope")
	wantErr(t, "GetStack unknown", err, store.ErrNotFound)
	_, err = s.ListStacks(ctx, "in\x00fra")
	wantErr(t, "ListStacks NUL", err, store.ErrInvalid)
	wantErr(t, "DeleteStack empty name", s.DeleteStack(ctx, "infra", ""), store.ErrInvalid)
}
