package store

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
)

func BenchmarkCreateRunAndPutPlan(b *testing.B) {
	s := openTestStore(b, Options{})
	file := make([]byte, 1<<20)
	rand.Read(file)
	planJSON := []byte(strings.Repeat(`{"address":"aws_s3_bucket.logs","change":{"actions":["update"]}},`, 1000))
	text := []byte(strings.Repeat("  ~ resource \"aws_s3_bucket\" \"logs\" {\n", 500))

	b.SetBytes(int64(len(file) + len(planJSON) + len(text)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r := Run{Repo: "infra", Stack: fmt.Sprintf("stack-%d", i%8), Status: StatusPlanned}
		if err := s.CreateRun(b.Context(), &r); err != nil {
			b.Fatal(err)
		}
		if err := s.PutPlan(b.Context(), &Plan{RunID: r.ID, JSON: planJSON, Text: text, File: file}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListRuns(b *testing.B) {
	s := openTestStore(b, Options{})
	s.db.NoSync = true // only the setup skips fsync
	statuses := []RunStatus{StatusPlanned, StatusNoChanges, StatusErrored}
	for i := range 5000 {
		createRun(b, s, Run{
			Repo:   fmt.Sprintf("repo-%d", i%5),
			Stack:  fmt.Sprintf("stack-%d", i%20),
			Status: statuses[i%len(statuses)],
			Commit: "0123456789abcdef0123456789abcdef01234567",
		})
	}
	s.db.NoSync = false

	for _, bc := range []struct {
		name   string
		filter RunFilter
	}{
		{"all", RunFilter{}},
		{"repo", RunFilter{Repo: "repo-1"}},
		{"repo+stack", RunFilter{Repo: "repo-1", Stack: "stack-6"}},
		{"repo+stack+status", RunFilter{Repo: "repo-1", Stack: "stack-6", Status: StatusErrored}},
		{"status", RunFilter{Status: StatusErrored}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				runs, _, err := s.ListRuns(b.Context(), bc.filter)
				if err != nil {
					b.Fatal(err)
				}
				if len(runs) != DefaultListLimit {
					b.Fatalf("got %d runs, want a full page", len(runs))
				}
			}
		})
	}
}
