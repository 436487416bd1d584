package tfrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
)

// StackPlan is one stack to plan from a source tree.
type StackPlan struct {
	// Source is the checkout (or exported commit) the stack lives in.
	Source fs.FS
	Layout Layout
	// Backend is the stack's backend type; empty means none, and the stack
	// gets driftgate's local default.
	Backend string
	// Key identifies the stack across runs, e.g. "repo/stack". It names
	// its init cache under the data dir and, unless State says otherwise,
	// its default-backend state (see DefaultState).
	Key string
	// State, when set, is where the default backend keeps the state of a
	// stack without one, instead of DefaultState(Key) (or DirState(RunDir)).
	State *LocalState
	// RunDir, when set, is the directory the stack's files come from on
	// disk, and the stack is planned against the state terraform would use
	// if run there (`driftgate plan DIR`): without a backend, DirState(RunDir)
	// unless State is set; with a `backend "local"`, its relative or unset
	// path and workspace_dir resolve against RunDir instead of the run's
	// copy. Either way the state is Borrowed.
	RunDir    string
	Workspace string
	// Constraints are version constraints the binary must meet
	// (required_version, a configured terraform_version).
	Constraints []string
	RefreshOnly bool
	// Log, when set, receives the raw output as it happens (see PlanRequest).
	Log io.Writer
	// Live, when set, receives the output of a plan as it happens, masked
	// line by line (see PlanRequest).
	Live io.Writer
	// OnPhase, when set, is told how long each step took (see PlanRequest).
	OnPhase PhaseFunc
}

// Planner plans stacks, each in a private copy under DataDir.
type Planner struct {
	Resolver *Resolver
	Executor *Executor
	// DataDir holds state for stacks without a backend (state/), init
	// caches (tfdata/), and run copies while they run (work/).
	DataDir string
	// KeepWorkdirs leaves run copies on disk for debugging.
	KeepWorkdirs bool
	// NoInitCache runs terraform init on every run instead of reusing the
	// stack's last init when nothing it depends on changed.
	NoInitCache bool
	Logger      *slog.Logger
}

var unsafeKey = regexp.MustCompile(`[^A-Za-z0-9._/-]+`)

// StatePath returns where the default backend keeps a stack's state.
func (p *Planner) StatePath(key string) string {
	return filepath.Join(p.DataDir, "state", filepath.FromSlash(safeKey(key)), "terraform.tfstate")
}

// InitCacheDir returns the stack's persistent TF_DATA_DIR for workspace.
func (p *Planner) InitCacheDir(key, workspace string) string {
	if workspace == "" {
		workspace = "default"
	}
	return filepath.Join(p.DataDir, "tfdata", filepath.FromSlash(safeKey(key)), safeKey(workspace))
}

// safeKey makes key usable as a relative path: no "..", no odd characters.
func safeKey(key string) string {
	key = unsafeKey.ReplaceAllString(key, "_")
	out := []byte(key)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == '.' && out[i+1] == '.' {
			out[i], out[i+1] = '_', '_'
		}
	}
	if len(out) == 0 {
		return "_"
	}
	return string(out)
}

// Plan resolves the binary, copies the stack and runs the plan. The copy is
// removed afterwards unless KeepWorkdirs is set. On failure the returned
// result, when not nil, holds the redacted log.
func (p *Planner) Plan(ctx context.Context, sp StackPlan) (*PlanResult, error) {
	bin, wd, cleanup, err := p.prepare(ctx, sp, "", "")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	req := PlanRequest{
		Binary:      bin,
		Workdir:     wd,
		Workspace:   sp.Workspace,
		RefreshOnly: sp.RefreshOnly,
		Log:         sp.Log,
		Live:        sp.Live,
		StatePath:   p.priorStatePath(sp),
		OnPhase:     sp.OnPhase,
	}
	if sp.Key != "" && !p.NoInitCache {
		req.InitCacheDir = p.InitCacheDir(sp.Key, sp.Workspace)
	}
	res, err := p.Executor.Plan(ctx, req)
	if res != nil {
		res.Product, res.TerraformVersion = bin.Product, bin.Version.String()
	}
	return res, err
}

// prepare resolves the binary for sp, which must be product wantProduct
// and version wantVersion when those are set (a *VersionMismatchError
// otherwise, before anything is copied), and makes the run's private copy
// of the stack (see workdir).
func (p *Planner) prepare(ctx context.Context, sp StackPlan, wantProduct Product, wantVersion string) (*Binary, *Workdir, func(), error) {
	bin, err := p.Resolver.Resolve(ctx, sp.Constraints...)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkVersion(bin, wantProduct, wantVersion); err != nil {
		return nil, nil, nil, err
	}
	wd, cleanup, err := p.workdir(ctx, sp)
	if err != nil {
		return nil, nil, nil, err
	}
	return bin, wd, cleanup, nil
}

// workdir makes the run's private copy of the stack, with the default
// backend when the stack has none, and returns it with its cleanup.
func (p *Planner) workdir(ctx context.Context, sp StackPlan) (*Workdir, func(), error) {
	root, release, err := newRunDir(ctx, p.DataDir)
	if err != nil {
		return nil, nil, err
	}
	wd, err := Prepare(ctx, sp.Source, sp.Layout, root)
	if err != nil {
		_ = os.RemoveAll(root)
		release()
		return nil, nil, fmt.Errorf("copy stack %s: %w", sp.Layout.Dir, err)
	}
	cleanup := func() {
		defer release()
		if p.KeepWorkdirs {
			if err := keepRunDir(wd.Root); err != nil {
				p.logger().Warn("mark work dir kept", "dir", wd.Root, "err", err)
			}
			return
		}
		if err := wd.Cleanup(); err != nil {
			p.logger().Warn("remove work dir", "dir", wd.Root, "err", err)
		}
	}
	if err := p.setBackend(wd, sp); err != nil {
		cleanup()
		return nil, nil, err
	}
	// driftgate's own default-backend state (not a directory's it borrows)
	// is private: its files 0600, its directories 0700, before terraform
	// starts and when the run ends.
	if state := p.stateOf(sp); sp.Backend == "" && !state.Borrowed {
		stateDir := filepath.Dir(state.Path)
		if err := protectState(stateDir); err != nil {
			cleanup()
			return nil, nil, err
		}
		removeCopy := cleanup
		cleanup = func() {
			if err := protectState(stateDir); err != nil {
				p.logger().Warn("protect state", "err", err)
			}
			removeCopy()
		}
	}
	return wd, cleanup, nil
}

// setBackend points the copy's backend at the state sp says: driftgate's
// default backend for a stack without one, and for a `backend "local"`
// planned as in RunDir, its paths resolved against RunDir.
func (p *Planner) setBackend(wd *Workdir, sp StackPlan) error {
	switch {
	case sp.Backend == "":
		if sp.Key == "" && sp.State == nil && sp.RunDir == "" {
			return errors.New("stack has no backend and no key to keep its state under")
		}
		state := p.stateOf(sp)
		if err := state.checkWorkspace(sp.Workspace); err != nil {
			return err
		}
		return wd.SetDefaultBackend(state)
	case sp.Backend == "local" && sp.RunDir != "":
		b, found, err := readLocalBackend(sp.Source, sp.Layout.Dir)
		if err != nil || !found {
			return err
		}
		state, moved := b.resolve(sp.RunDir)
		if err := state.checkWorkspace(sp.Workspace); err != nil {
			return err
		}
		if moved {
			return wd.overrideLocalBackend(state)
		}
	}
	return nil
}

func (p *Planner) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}
