package store

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRepos(t *testing.T) {
	s := openTestStore(t, Options{})
	before := time.Now().Add(-time.Second)
	for _, r := range []RepoRecord{
		{Name: "infra", URL: "https://example.com/infra.git", Branch: "main", LastCommit: "abc", Status: "ok"},
		{Name: "apps", URL: "https://example.com/apps.git", Branch: "main", LastError: "auth failed", UpdatedAt: before.Add(-time.Hour)},
	} {
		if err := s.PutRepo(t.Context(), &r); err != nil {
			t.Fatal(err)
		}
		if r.UpdatedAt.Before(before) {
			t.Errorf("PutRepo(%s) set UpdatedAt %v, want now", r.Name, r.UpdatedAt)
		}
	}

	got, err := s.GetRepo(t.Context(), "apps")
	if err != nil {
		t.Fatal(err)
	}
	if got.LastError != "auth failed" || got.UpdatedAt.Before(before) {
		t.Errorf("GetRepo(apps) = %+v", got)
	}
	list, err := s.ListRepos(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range list {
		names = append(names, r.Name)
	}
	if want := []string{"apps", "infra"}; !slices.Equal(names, want) {
		t.Errorf("ListRepos names = %v, want %v", names, want)
	}

	tests := []struct {
		name string
		err  error
		want error
	}{
		{"get unknown", func() error { _, err := s.GetRepo(t.Context(), "nope"); return err }(), ErrNotFound},
		{"put empty name", s.PutRepo(t.Context(), &RepoRecord{}), ErrInvalid},
		{"put reserved name", s.PutRepo(t.Context(), &RepoRecord{Name: LocalRepo}), ErrInvalid},
		{"put NUL name", s.PutRepo(t.Context(), &RepoRecord{Name: "a\x00"}), ErrInvalid},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

func TestStacks(t *testing.T) {
	s := openTestStore(t, Options{})
	for _, st := range []StackRecord{
		{Repo: "infra", Name: "net", Dir: "stacks/net"},
		{Repo: "infra", Name: "dns", Dir: "stacks/dns", Attrs: map[AttrKey]string{"owner": "sre"}},
		{Repo: "infra2", Name: "app", Dir: "app"},
		{Name: "scratch", Dir: "."},
	} {
		if err := s.PutStack(t.Context(), &st); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteStack(t.Context(), "infra", "net"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteStack(t.Context(), "infra", "net"); err != nil {
		t.Errorf("deleting an absent stack: %v", err)
	}

	tests := []struct {
		repo string
		want []string
	}{
		{"infra", []string{"infra/dns"}},
		{"infra2", []string{"infra2/app"}},
		{LocalRepo, []string{"/scratch"}},
		{"", []string{"infra/dns", "infra2/app", "/scratch"}},
		{"nope", nil},
	}
	for _, tt := range tests {
		list, err := s.ListStacks(t.Context(), tt.repo)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, st := range list {
			got = append(got, st.Repo+"/"+st.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ListStacks(%q) = %v, want %v", tt.repo, got, tt.want)
		}
	}

	got, err := s.GetStack(t.Context(), "infra", "dns")
	if err != nil {
		t.Fatal(err)
	}
	if got.Dir != "stacks/dns" || got.Attrs["owner"] != "sre" || got.UpdatedAt.IsZero() {
		t.Errorf("GetStack = %+v", got)
	}
	if _, err := s.GetStack(t.Context(), "infra", "net"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetStack(deleted) err = %v, want ErrNotFound", err)
	}
	if err := s.PutStack(t.Context(), &StackRecord{Repo: "infra"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutStack without a name: err = %v, want ErrInvalid", err)
	}
}
