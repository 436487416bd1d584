package main

import (
	"context"
	"io"
	"testing"

	"github.com/driftgate/driftgate/test/repogen"
)

// BenchmarkDiscoverCommand1000 runs `driftgate discover -o json` on a
// generated repo of 1,000 stacks and 200 shared modules, output included.
func BenchmarkDiscoverCommand1000(b *testing.B) {
	dir := b.TempDir()
	if err := repogen.Generate(dir, 1000, 200); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if code := run(context.Background(), []string{"discover", dir, "-o", "json"}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkAffectedCommand1000 runs `driftgate affected --files` with a
// shared module and two stacks changed on the same repo.
func BenchmarkAffectedCommand1000(b *testing.B) {
	dir := b.TempDir()
	if err := repogen.Generate(dir, 1000, 200); err != nil {
		b.Fatal(err)
	}
	files := repogen.ModuleDir(7) + "/main.tf," + repogen.StackDir(1) + "/main.tf," + repogen.StackDir(500) + "/variables.tf"
	b.ResetTimer()
	for b.Loop() {
		if code := run(context.Background(), []string{"affected", dir, "--files", files, "-o", "json"}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
