// Command planbench measures `driftgate plan` against the same Terraform
// commands run by hand (init, plan -out, show -json) on the same stack, and
// prints the ratio. It is what `make bench` runs. With -cold-parallel it
// instead times cold first plans of many stacks, several at a time (see
// coldParallel).
//
// Both sides plan one stack of the test provider, already applied, so every
// plan refreshes the same resources and finds no changes. driftgate is
// timed cold (a new data dir each time: full init, empty plugin cache, no
// version cache), after a change that needs init (its caches warm), and
// warm (its data dir from earlier runs, so the init of the unchanged stack
// is reused, as in scheduled drift checks and commits that change only
// resources). Last, a driftgate serve process watching a git repo of the
// same stack is timed from a manual trigger through the API to the run
// recorded with its plan. The raw side runs
// in a fresh copy of the stack each time, like a CI job on a new checkout;
// driftgate makes its own private copy, which is part of its cost. The two
// sides alternate so that machine noise hits both alike.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

func main() {
	driftgate := flag.String("driftgate", "bin/driftgate", "driftgate binary")
	mirror := flag.String("mirror", ".build/mirror", "test provider filesystem mirror")
	n := flag.Int("n", 10, "iterations of each side")
	resources := flag.Int("resources", 20, "dgtest_server resources in the stack")
	coldStacks := flag.Int("cold-parallel", 0, "instead, time cold first plans of this many stacks, the daemon against terraform by hand, -parallel at a time")
	parallel := flag.Int("parallel", 2, "with -cold-parallel: max_parallel_runs, and terraform runs at once by hand")
	rounds := flag.Int("rounds", 3, "with -cold-parallel: rounds of each side, alternating")
	flag.Parse()
	log.SetFlags(0)
	if *coldStacks > 0 {
		if err := coldParallel(*driftgate, *mirror, *coldStacks, *parallel, *rounds); err != nil {
			log.Fatal(err)
		}
		return
	}

	b, err := setup(*driftgate, *mirror, *resources)
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(b.dir)

	d, err := b.startDaemon()
	if err != nil {
		log.Fatal(err)
	}
	defer d.stop()
	d.timeManual() // warm-up

	var raw, cold, reinit, warm, warmStore, manual, refreshOnly, refreshShow, driftCheck, rawApply, rawApplyFresh, gateApply []time.Duration
	for i := 0; i < *n; i++ {
		manual = append(manual, d.timeManual())
		refreshOnly = append(refreshOnly, b.timeRefreshOnly(false))
		refreshShow = append(refreshShow, b.timeRefreshOnly(true))
		driftCheck = append(driftCheck, d.timeDriftCheck())
		raw = append(raw, b.timeRaw())
		cold = append(cold, b.timeDriftgate(true, false))
		b.touchTerraformBlock(i)
		reinit = append(reinit, b.timeDriftgate(false, false))
		warm = append(warm, b.timeDriftgate(false, false))
		warmStore = append(warmStore, b.timeDriftgate(false, true))
		rawApply = append(rawApply, b.timeRawApply(3*i, false))
		rawApplyFresh = append(rawApplyFresh, b.timeRawApply(3*i+1, true))
		gateApply = append(gateApply, d.timeApply(b, 3*i+2))
	}
	fmt.Printf("plan of one stack, %d resources, %d iterations (medians):\n", *resources, *n)
	fmt.Printf("  raw terraform init + plan -out + show -json     %8s\n", median(raw).Round(time.Millisecond))
	fmt.Printf("  driftgate plan, cold (new data dir: full init)  %8s  ratio %.3f\n", median(cold).Round(time.Millisecond), ratio(cold, raw))
	fmt.Printf("  driftgate plan, init needed (config changed)    %8s  ratio %.3f\n", median(reinit).Round(time.Millisecond), ratio(reinit, raw))
	fmt.Printf("  driftgate plan, warm (init reused)              %8s  ratio %.3f\n", median(warm).Round(time.Millisecond), ratio(warm, raw))
	fmt.Printf("  driftgate plan --store, warm                    %8s  ratio %.3f\n", median(warmStore).Round(time.Millisecond), ratio(warmStore, raw))
	fmt.Printf("daemon: manual trigger (POST) to plan stored      %8s  ratio %.3f\n", median(manual).Round(time.Millisecond), ratio(manual, raw))
	fmt.Printf("\ndrift check of the same stack (medians):\n")
	fmt.Printf("  raw terraform plan -refresh-only (initialized)  %8s\n", median(refreshOnly).Round(time.Millisecond))
	fmt.Printf("  raw plan -refresh-only -out + show -json        %8s\n", median(refreshShow).Round(time.Millisecond))
	fmt.Printf("  daemon: drift check (POST) to findings recorded %8s  ratio %.3f (%.3f against the second)\n",
		median(driftCheck).Round(time.Millisecond), ratio(driftCheck, refreshOnly), ratio(driftCheck, refreshShow))
	fmt.Printf("\napply of a saved plan with one update (medians):\n")
	fmt.Printf("  raw terraform apply PLANFILE (initialized)      %8s\n", median(rawApply).Round(time.Millisecond))
	fmt.Printf("  raw init + apply PLANFILE in a fresh copy       %8s\n", median(rawApplyFresh).Round(time.Millisecond))
	fmt.Printf("  daemon: approve (POST) to applied, state stored %8s  ratio %.3f (%.3f against the second)\n",
		median(gateApply).Round(time.Millisecond), ratio(gateApply, rawApply), ratio(gateApply, rawApplyFresh))
}

// timeRefreshOnly runs terraform plan -refresh-only by hand in the
// initialized directory the stack was applied from: the cheapest way to
// look for drift by hand. With show, it also saves the plan and reads it
// as JSON, which is what it takes by hand to see drift per attribute.
func (b *bench) timeRefreshOnly(show bool) time.Duration {
	dir := filepath.Join(b.dir, "apply")
	args := []string{"plan", "-refresh-only", "-input=false", "-no-color", "-detailed-exitcode"}
	if show {
		args = append(args, "-out=refresh.tfplan")
	}
	cmd := exec.Command("terraform", args...)
	cmd.Dir, cmd.Env = dir, b.env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil && cmd.ProcessState.ExitCode() != 2 {
		log.Fatalf("terraform plan -refresh-only: %v\n%s", err, out)
	}
	if show {
		s := exec.Command("terraform", "show", "-json", "refresh.tfplan")
		s.Dir, s.Env = dir, b.env
		if _, err := s.Output(); err != nil {
			log.Fatalf("terraform show: %v", err)
		}
	}
	return time.Since(start)
}

func oneRunFilter() apiv1.RunFilter { return apiv1.RunFilter{Limit: 1} }

func fatalf(format string, args ...any) { log.Fatalf(format, args...) }

type bench struct {
	dir, stack, driftgate, dataDir string
	env                            []string
}

func setup(driftgate, mirror string, resources int) (*bench, error) {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			log.Fatal(err)
		}
		return a
	}
	dir, err := os.MkdirTemp("", "driftgate-planbench-")
	if err != nil {
		return nil, err
	}
	b := &bench{dir: dir, stack: filepath.Join(dir, "repo", "stack"), driftgate: abs(driftgate), dataDir: filepath.Join(dir, "data")}
	if b.env, err = mirrorEnv(dir, abs(mirror)); err != nil {
		return nil, err
	}

	var tf strings.Builder
	fmt.Fprintf(&tf, `terraform {
  required_providers {
    dgtest = { source = "driftgate/dgtest", version = "0.1.0" }
  }
  backend "local" { path = %q }
}
provider "dgtest" { root = %q }
`, filepath.Join(dir, "bench.tfstate"), filepath.Join(dir, "objects"))
	for i := 0; i < resources; i++ {
		fmt.Fprintf(&tf, "resource \"dgtest_server\" \"s%d\" {\n  name = \"s%d\"\n  port = %d\n  tags = { index = \"%d\" }\n}\n", i, i, 8000+i, i)
	}
	if err := os.MkdirAll(b.stack, 0o755); err != nil {
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(dir, "repo", ".git"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(b.stack, "main.tf"), []byte(tf.String()), 0o644); err != nil {
		return nil, err
	}
	apply := filepath.Join(dir, "apply")
	if err := copyStack(b.stack, apply); err != nil {
		return nil, err
	}
	for _, args := range [][]string{{"init", "-input=false"}, {"apply", "-auto-approve", "-input=false"}} {
		if err := b.terraform(apply, args...); err != nil {
			return nil, err
		}
	}
	// One warm-up of each side, not measured.
	b.timeRaw()
	b.timeDriftgate(false, true)
	return b, nil
}

// mirrorEnv writes a terraform CLI config into dir that installs the test
// provider from mirror, and returns the environment that uses it.
func mirrorEnv(dir, mirror string) ([]string, error) {
	cliConfig := filepath.Join(dir, "terraform.tfrc")
	cfg := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/driftgate/*"]
  }
  direct {
    exclude = ["registry.terraform.io/driftgate/*"]
  }
}
`, mirror)
	if err := os.WriteFile(cliConfig, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	return append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1"), nil
}

func (b *bench) terraform(dir string, args ...string) error {
	cmd := exec.Command("terraform", args...)
	cmd.Dir, cmd.Env = dir, b.env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("terraform %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// timeRaw runs the commands by hand in a fresh copy of the stack.
func (b *bench) timeRaw() time.Duration {
	work, err := os.MkdirTemp(b.dir, "raw-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	if err := copyStack(b.stack, work); err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	if err := b.terraform(work, "init", "-input=false"); err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command("terraform", "plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=plan.tfplan")
	cmd.Dir, cmd.Env = work, b.env
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("terraform plan: %v\n%s", err, out)
	}
	show := exec.Command("terraform", "show", "-json", "plan.tfplan")
	show.Dir, show.Env = work, b.env
	if _, err := show.Output(); err != nil {
		log.Fatalf("terraform show: %v", err)
	}
	return time.Since(start)
}

// touchTerraformBlock changes what init depends on (a terraform block), as
// a commit that changes providers or modules does, so driftgate's next plan
// has to init.
func (b *bench) touchTerraformBlock(i int) {
	extra := fmt.Sprintf("terraform {\n  required_version = \">= 1.0.%d\"\n}\n", i%10)
	if err := os.WriteFile(filepath.Join(b.stack, "version.tf"), []byte(extra), 0o644); err != nil {
		log.Fatal(err)
	}
}

// timeDriftgate runs driftgate plan. cold gives it a new data dir, so
// nothing from earlier runs (init cache, plugin cache) helps.
func (b *bench) timeDriftgate(cold, store bool) time.Duration {
	dataDir := b.dataDir
	if cold {
		var err error
		if dataDir, err = os.MkdirTemp(b.dir, "cold-"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dataDir)
	}
	args := []string{"plan", b.stack, "--data-dir", dataDir, "-o", "json"}
	if store {
		args = append(args, "--store", dataDir)
	}
	cmd := exec.Command(b.driftgate, args...)
	cmd.Env = b.env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		log.Fatalf("driftgate plan: %v\n%s", err, out)
	}
	return d
}

func copyStack(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ratio(a, b []time.Duration) float64 {
	return float64(median(a)) / float64(median(b))
}
