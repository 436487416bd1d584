package runnertest

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/tfrun"
)

// Version is the terraform version Terraform plans and applies with.
const Version = "1.11.4"

// Terraform stands in for terraform under the daemon: it answers each
// stack's plan with one resource to add (to destroy, after Destroys), plans
// a real zip plan file recording the stack's state, and applies by bumping
// the state's serial. It decides nothing the daemon decides. Build it with
// NewTerraform; it is safe for concurrent use.
type Terraform struct {
	mu       sync.Mutex
	serials  map[string]uint64 // by stack
	destroys map[string]bool   // stack -> its plans delete something
	block    map[string]bool   // stack -> Apply blocks until canceled
	blockPl  map[string]bool   // stack -> Plan blocks until canceled
	same     map[string]bool   // stack -> its plans change nothing
	planErr  map[string]error  // stack -> what Plan answers
	drift    map[string][]analysis.ResourceChange
	lock     *tfrun.LockInfo            // what StateLock answers
	applies  []string                   // stacks applied, in order
	output   map[string]func(io.Writer) // stack -> what its applies print
	planOut  map[string]func(io.Writer) // stack -> what its plans print
	n        int
	started  chan string
}

// NewTerraform returns a Terraform whose stacks have no state.
func NewTerraform() *Terraform {
	return &Terraform{
		serials: map[string]uint64{}, destroys: map[string]bool{}, block: map[string]bool{},
		blockPl: map[string]bool{}, same: map[string]bool{}, planErr: map[string]error{},
		drift:   map[string][]analysis.ResourceChange{},
		output:  map[string]func(io.Writer){},
		planOut: map[string]func(io.Writer){},
		started: make(chan string, 8),
	}
}

// stackOfKey is the stack part of a StackPlan's key, "repo/stack".
func stackOfKey(key string) string {
	_, stack, _ := strings.Cut(key, "/")
	return stack
}

// Destroys makes the plans of stack delete a resource instead of adding one.
func (f *Terraform) Destroys(stack string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.destroys[stack] = true
}

// BlockApplies makes the applies of stack block until their context ends;
// Started then receives the stack.
func (f *Terraform) BlockApplies(stack string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.block[stack] = true
}

// BlockPlans makes the plans of stack block until their context ends;
// Started then receives the stack.
func (f *Terraform) BlockPlans(stack string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blockPl[stack] = true
}

// NoChanges makes the plans of stack change nothing.
func (f *Terraform) NoChanges(stack string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.same[stack] = true
}

// FailPlans makes the plans of stack fail with err (nil: succeed again).
func (f *Terraform) FailPlans(stack string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.planErr[stack] = err
}

// Drift makes the plans of stack report changes made outside terraform.
func (f *Terraform) Drift(stack string, changes ...analysis.ResourceChange) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drift[stack] = changes
}

// ApplyOutput makes the applies of stack print what out writes, as it
// writes it (to the apply's Log), before they apply; the output is their
// log too. out may block: the apply waits for it.
func (f *Terraform) ApplyOutput(stack string, out func(w io.Writer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.output[stack] = out
}

// PlanOutput makes the plans of stack print what out writes, as it writes
// it (to the plan's Live writer, as terraform's masked output would be),
// before they answer; the output is their log too. out may block: the plan
// waits for it.
func (f *Terraform) PlanOutput(stack string, out func(w io.Writer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.planOut[stack] = out
}

// Started receives the stack of every plan or apply that blocks.
func (f *Terraform) Started() <-chan string { return f.started }

// SetLock makes StateLock answer l (nil: no lock).
func (f *Terraform) SetLock(l *tfrun.LockInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lock = l
}

// Applies returns the stacks applied so far, in order.
func (f *Terraform) Applies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.applies...)
}

// Plan answers a plan of one change with a plan file of the stack's state
// (or as BlockPlans, NoChanges, FailPlans and Drift say).
func (f *Terraform) Plan(ctx context.Context, sp tfrun.StackPlan) (*tfrun.PlanResult, error) {
	stack := stackOfKey(sp.Key)
	f.mu.Lock()
	block, out := f.blockPl[stack], f.planOut[stack]
	f.mu.Unlock()
	if block {
		f.started <- stack
		<-ctx.Done()
		return nil, ctx.Err()
	}
	log := []byte("$ terraform plan")
	if out != nil {
		var buf bytes.Buffer
		w := io.Writer(&buf)
		if sp.Live != nil {
			w = io.MultiWriter(&buf, sp.Live)
		}
		out(w)
		log = buf.Bytes()
	}
	// Each step "took" a millisecond: the daemon's metrics see phases.
	if sp.OnPhase != nil {
		sp.OnPhase(tfrun.StagePlan, time.Millisecond)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.planErr[stack]; err != nil {
		return &tfrun.PlanResult{TerraformVersion: Version, Log: []byte("$ terraform plan\n" + err.Error())}, err
	}
	f.n++
	file, err := planFile(f.serials[stack], stack, fmt.Sprintf("plan %d of %s", f.n, stack))
	if err != nil {
		return nil, err
	}
	if sp.OnPhase != nil {
		sp.OnPhase(tfrun.StageShow, time.Millisecond)
	}
	sum := analysis.Summary{Add: 1, HasChanges: true}
	if f.destroys[stack] {
		sum = analysis.Summary{Destroy: 1, HasChanges: true}
	}
	drift := append([]analysis.ResourceChange{}, f.drift[stack]...)
	sum.Drifted = len(drift)
	if f.same[stack] {
		sum = analysis.Summary{Drifted: len(drift)}
	}
	a := &analysis.Analysis{Summary: sum, Changes: []analysis.ResourceChange{}, Drift: drift}
	return &tfrun.PlanResult{
		TerraformVersion: Version, HasChanges: sum.HasChanges, PlanFile: file, PlanJSON: []byte(`{}`),
		Text: []byte("Plan: 1 to change"), Log: log, Analysis: a,
	}, nil
}

// lineage is the lineage of a stack's state once it has one.
func lineage(stack string) string { return "lineage-" + stack }

// planFile is a saved plan as terraform writes it, as far as driftgate
// reads one: a zip whose tfstate entry is the prior state.
func planFile(serial uint64, stack, body string) ([]byte, error) {
	lin := ""
	if serial > 0 {
		lin = lineage(stack)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range []struct{ name, body string }{
		{"tfplan", body},
		{"tfstate", fmt.Sprintf(`{"version":4,"serial":%d,"lineage":%q}`, serial, lin)},
	} {
		w, err := zw.Create(e.name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Apply bumps the stack's state serial, or blocks (see BlockApplies).
func (f *Terraform) Apply(ctx context.Context, sa tfrun.StackApply) (*tfrun.ApplyResult, error) {
	stack := stackOfKey(sa.Key)
	f.mu.Lock()
	f.applies = append(f.applies, stack)
	block := f.block[stack]
	out := f.output[stack]
	f.mu.Unlock()
	if block {
		f.started <- stack
		<-ctx.Done()
		return &tfrun.ApplyResult{TerraformVersion: Version, Log: []byte("interrupted"), State: f.pulled(stack)}, ctx.Err()
	}
	if sa.OnPhase != nil {
		sa.OnPhase(tfrun.StageApply, time.Millisecond)
	}
	log := []byte("Apply complete!")
	if out != nil {
		var buf bytes.Buffer
		w := io.Writer(&buf)
		if sa.Log != nil {
			w = io.MultiWriter(&buf, sa.Log)
		}
		out(w)
		log = buf.Bytes()
	}
	f.mu.Lock()
	f.serials[stack]++
	f.mu.Unlock()
	return &tfrun.ApplyResult{TerraformVersion: Version, Log: log, State: f.pulled(stack)}, nil
}

// PullState answers the stack's state.
func (f *Terraform) PullState(_ context.Context, sp tfrun.StackPlan) (*tfrun.PulledState, error) {
	return f.pulled(stackOfKey(sp.Key)), nil
}

func (f *Terraform) pulled(stack string) *tfrun.PulledState {
	f.mu.Lock()
	defer f.mu.Unlock()
	serial := f.serials[stack]
	if serial == 0 {
		return &tfrun.PulledState{Empty: true, TerraformVersion: Version}
	}
	raw := fmt.Sprintf(`{"version":4,"terraform_version":%q,"serial":%d,"lineage":%q,"outputs":{},"resources":[]}`,
		Version, serial, lineage(stack))
	return &tfrun.PulledState{Raw: []byte(raw), Serial: serial, Lineage: lineage(stack), TerraformVersion: Version}
}

// StateLock answers the lock set with SetLock.
func (f *Terraform) StateLock(context.Context, tfrun.StackPlan) (*tfrun.LockInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lock == nil {
		return nil, nil
	}
	l := *f.lock
	return &l, nil
}
