package runner

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
)

// stateKeyFile holds the per-install key of the short hashes that stand in
// for sensitive values in recorded state versions.
const stateKeyFile = "statever.key"

// loadStateKey reads the data dir's state-version key, making a random one
// the first time. With it a diff can show that a secret changed while the
// secret, even a short one, cannot be guessed from its marker.
func loadStateKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, stateKeyFile)
	key, err := os.ReadFile(path)
	if err == nil && len(key) >= statever.MinKeySize {
		return key, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read state version key: %w", err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("make state version key: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("make state version key: %w", err)
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("write state version key: %w", err)
	}
	return key, nil
}

// recordState pulls the stack's state and records it as a version, its
// sensitive values replaced by keyed markers, and returns what it pulled
// (nil when the pull failed). A failure is logged: the run it follows has
// already ended.
func (d *Daemon) recordState(ctx context.Context, run *store.Run, t *target) *tfrun.PulledState {
	ctx = context.WithoutCancel(ctx)
	log := d.logger.With(logRun, run.ID, logStack, run.Stack)
	ps, err := d.runner.PullState(ctx, t.plan)
	if err != nil {
		log.Warn("pull state", logErr, err)
		return nil
	}
	return d.recordPulled(ctx, run, ps)
}

// recordPulled records a state pulled for run as a version, as
// recordState does, and returns it.
func (d *Daemon) recordPulled(ctx context.Context, run *store.Run, ps *tfrun.PulledState) *tfrun.PulledState {
	ctx = context.WithoutCancel(ctx)
	log := d.logger.With(logRun, run.ID, logStack, run.Stack)
	if ps.Empty {
		return ps
	}
	v, err := statever.Redact(ps.Raw, d.stateKey)
	if err != nil {
		log.Warn("read state", logErr, err)
		return ps
	}
	body, err := json.Marshal(v)
	if err != nil {
		log.Error("encode state version", logErr, err)
		return ps
	}
	sum := sha256.Sum256(ps.Raw)
	sv := &store.StateVersion{
		Repo: run.Repo, Stack: run.Stack, Serial: ps.Serial, Lineage: ps.Lineage,
		SHA256: hex.EncodeToString(sum[:]), RunID: run.ID, Resources: len(v.Resources), Version: body,
	}
	if err := d.store.PutStateVersion(ctx, sv); err != nil {
		log.Warn("record state version", logErr, err)
		return ps
	}
	log.Info("state version recorded", logSerial, ps.Serial)
	return ps
}
