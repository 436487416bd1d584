package tfrun

import (
	"runtime"
	"strconv"
	"sync/atomic"
)

// cpuShare sizes the Go scheduler of each terraform process to its run's
// share of the CPUs. A run here is what an Executor is asked to do: a
// plan, an apply, a state pull or a lock probe.
//
// Terraform and its providers are Go programs: each process runs
// GOMAXPROCS threads at once, one per CPU by default. When several runs
// plan at once, every terraform and provider process sizes itself to the
// whole machine, and their garbage collectors and schedulers fight over
// the same CPUs: on 2 CPUs with 2 runs, a cold plan takes about 5% more CPU
// time than with one scheduler thread per process (`make bench`, which
// runs the daemon both ways). So a process started while n runs are under
// way gets GOMAXPROCS = ceil(CPUs / n): a lone run gets the whole machine,
// and runs that share it each get their part. The CPU count is driftgate's
// own GOMAXPROCS, which follows the cgroup's CPU limit. A GOMAXPROCS the
// operator set in driftgate's environment (or in the executor's Env)
// reaches terraform as it is, and turns this off.
type cpuShare struct {
	runs atomic.Int32
}

// join counts a run in until the returned func is called.
func (c *cpuShare) join() (leave func()) {
	c.runs.Add(1)
	return func() { c.runs.Add(-1) }
}

// procs is the GOMAXPROCS of a process started now.
func (c *cpuShare) procs() int {
	return shareOf(runtime.GOMAXPROCS(0), int(c.runs.Load()))
}

// shareOf is ceil(cpus / runs), at least 1; all the CPUs when no run is
// counted (a command run outside Plan and Apply).
func shareOf(cpus, runs int) int {
	if runs < 1 {
		runs = 1
	}
	return max(1, (cpus+runs-1)/runs)
}

// gomaxprocsVar is the environment variable the Go runtime reads.
const gomaxprocsVar = "GOMAXPROCS"

// setShare sets env's GOMAXPROCS to the share of a process started now,
// unless env already has one (the operator's). c may be nil.
func (c *cpuShare) setShare(env map[string]string) {
	if c == nil || env[gomaxprocsVar] != "" {
		return
	}
	env[gomaxprocsVar] = strconv.Itoa(c.procs())
}
