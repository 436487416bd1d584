package planner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
)

// BenchmarkDiscover1000 discovers a generated repo of 1,000 stacks and 200
// shared modules on disk.
func BenchmarkDiscover1000(b *testing.B) {
	dir := b.TempDir()
	generateRepo(b, dir, 1000, 200)
	fsys := os.DirFS(dir)
	b.ResetTimer()
	for b.Loop() {
		d, err := Discover(context.Background(), fsys, DiscoverOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(d.Stacks) != 1000 || len(d.Problems) != 0 {
			b.Fatalf("stacks=%d problems=%v", len(d.Stacks), d.Problems)
		}
	}
}

// BenchmarkAffected1000 computes the stacks 300 changed paths affect among
// 1,000 stacks, a third of which have var files and glob triggers.
func BenchmarkAffected1000(b *testing.B) {
	dir := b.TempDir()
	generateRepo(b, dir, 1000, 200)
	d, err := Discover(context.Background(), os.DirFS(dir), DiscoverOptions{})
	if err != nil {
		b.Fatal(err)
	}
	stacks := d.Stacks
	for i := range stacks {
		if i%3 == 0 {
			stacks[i].VarFiles = []string{"vars/common.tfvars", fmt.Sprintf("vars/stack%d.tfvars", i)}
			stacks[i].ExtraTriggers = []string{"scripts/**/*.sh", fmt.Sprintf("%s/scripts/{a,b}/*.py", stacks[i].Dir)}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var changed []string
	for i := range 300 {
		switch i % 6 {
		case 0, 1:
			changed = append(changed, genStackDir(rng.IntN(1000))+"/main.tf")
		case 2:
			changed = append(changed, genModuleDir(rng.IntN(200))+"/variables.tf")
		case 3:
			changed = append(changed, fmt.Sprintf("vars/stack%d.tfvars", rng.IntN(1000)))
		case 4:
			changed = append(changed, fmt.Sprintf("scripts/x/run%d.sh", i))
		default:
			changed = append(changed, fmt.Sprintf("docs/page%d.md", i))
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if len(Affected(stacks, changed)) == 0 {
			b.Fatal("nothing affected")
		}
	}
}
