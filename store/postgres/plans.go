package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
)

// PutPlan stores p for run p.RunID, replacing any plan stored for it
// before; empty parts are stored as absent. The run must exist
// (store.ErrNotFound otherwise). PutPlan sets p.SHA256 and p.FileSize. The
// JSON, text and analysis are compressed, the file sealed when the store
// has a key, before the transaction.
func (s *Store) PutPlan(ctx context.Context, p *store.Plan) error {
	id, err := store.ParseRunID(p.RunID)
	if err != nil {
		return fmt.Errorf("put plan: %w", err)
	}
	p.RunID = id
	pw, err := s.encodePlan(p)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if err := runExists(ctx, tx, id); err != nil {
			return err
		}
		return pw.put(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("put plan %s: %w", p.RunID, err)
	}
	p.SHA256, p.FileSize = pw.sha256, pw.fileSize
	return nil
}

// runExists fails with store.ErrNotFound unless run id is stored; it
// keeps the row from being deleted until tx ends.
func runExists(ctx context.Context, tx pgx.Tx, id string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM runs WHERE id = $1 FOR SHARE", id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("run: %w", store.ErrNotFound)
	}
	return err
}

// planWrite is a plan made ready for a write transaction.
type planWrite struct {
	runID                                 string
	sha256                                string
	fileSize, jsonSize, textSize, anaSize int64
	json, text, analysis, file            []byte // nil for absent parts
}

// encodePlan compresses, hashes and seals p.
func (s *Store) encodePlan(p *store.Plan) (*planWrite, error) {
	pw := &planWrite{
		runID:    p.RunID,
		fileSize: int64(len(p.File)),
		jsonSize: int64(len(p.JSON)),
		textSize: int64(len(p.Text)),
		anaSize:  int64(len(p.Analysis)),
	}
	zip := func(what string, raw []byte, dst *[]byte) error {
		if len(raw) == 0 {
			return nil
		}
		z, err := store.Compress(raw)
		if err != nil {
			return fmt.Errorf("put plan %s: %s: %w", p.RunID, what, err)
		}
		*dst = z
		return nil
	}
	if err := zip("plan JSON", p.JSON, &pw.json); err != nil {
		return nil, err
	}
	if err := zip("plan text", p.Text, &pw.text); err != nil {
		return nil, err
	}
	if err := zip("plan analysis", p.Analysis, &pw.analysis); err != nil {
		return nil, err
	}
	if len(p.File) > 0 {
		sum := sha256.Sum256(p.File)
		pw.sha256 = hex.EncodeToString(sum[:])
		ad, err := store.PlanFileAD(p.RunID)
		if err != nil {
			return nil, fmt.Errorf("put plan: %w", err)
		}
		if pw.file, err = s.sealer.Seal(ad, p.File); err != nil {
			return nil, fmt.Errorf("put plan %s: plan file: %w", p.RunID, err)
		}
	}
	return pw, nil
}

// put writes the plan, replacing the run's earlier one.
func (pw *planWrite) put(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `INSERT INTO plans (run_id, sha256, file_size, json_size, text_size, analysis_size,
			plan_json, plan_text, analysis, file)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (run_id) DO UPDATE SET sha256 = $2, file_size = $3, json_size = $4, text_size = $5,
			analysis_size = $6, plan_json = $7, plan_text = $8, analysis = $9, file = $10`,
		pw.runID, pw.sha256, pw.fileSize, pw.jsonSize, pw.textSize, pw.anaSize, pw.json, pw.text, pw.analysis, pw.file)
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// GetPlan returns the plan of a run without its File bytes. It fails with
// store.ErrNotFound when no plan is stored for the run, and for malformed
// ids.
func (s *Store) GetPlan(ctx context.Context, runID string) (*store.Plan, error) {
	id, err := store.ParseRunID(runID)
	if err != nil {
		return nil, fmt.Errorf("get plan: %w: %w", store.ErrNotFound, err)
	}
	p := &store.Plan{RunID: id}
	var jsonSize, textSize, anaSize int64
	var zJSON, zText, zAnalysis []byte
	err = s.pool.QueryRow(ctx, `SELECT sha256, file_size, json_size, text_size, analysis_size,
		plan_json, plan_text, analysis FROM plans WHERE run_id = $1`, id).
		Scan(&p.SHA256, &p.FileSize, &jsonSize, &textSize, &anaSize, &zJSON, &zText, &zAnalysis)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("plan: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get plan %s: %w", runID, err)
	}
	parts := []struct {
		what string
		z    []byte
		size int64
		dst  *[]byte
	}{
		{"plan JSON", zJSON, jsonSize, &p.JSON},
		{"plan text", zText, textSize, &p.Text},
		{"plan analysis", zAnalysis, anaSize, &p.Analysis},
	}
	for _, part := range parts {
		if part.z == nil {
			continue
		}
		if *part.dst, err = store.Decompress(part.z, part.size); err != nil {
			return nil, fmt.Errorf("get plan %s: %s: %w", runID, part.what, err)
		}
	}
	return p, nil
}

// GetPlanFile returns the binary plan file of a run and its hex sha256, as
// store.Store.GetPlanFile does: store.ErrNotFound without one,
// store.ErrPlanTampered when the bytes no longer hash to the recorded
// sha256, store.ErrEncrypted for a sealed file without a key, and
// store.ErrDecrypt with store.ErrPlanTampered when the key cannot open it.
func (s *Store) GetPlanFile(ctx context.Context, runID string) ([]byte, string, error) {
	id, err := store.ParseRunID(runID)
	if err != nil {
		return nil, "", fmt.Errorf("get plan file: %w: %w", store.ErrNotFound, err)
	}
	var sum string
	var stored []byte
	err = s.pool.QueryRow(ctx, "SELECT sha256, file FROM plans WHERE run_id = $1", id).Scan(&sum, &stored)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		err = fmt.Errorf("plan: %w", store.ErrNotFound)
	case err == nil && (stored == nil || sum == ""):
		err = fmt.Errorf("plan has no file: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("get plan file %s: %w", runID, err)
	}
	ad, err := store.PlanFileAD(id)
	if err != nil {
		return nil, "", fmt.Errorf("get plan file: %w", err)
	}
	file, err := s.sealer.Open(ad, stored)
	switch {
	case errors.Is(err, store.ErrEncrypted):
		return nil, "", fmt.Errorf("plan file of run %s is %w; configure the encryption key that wrote it", runID, err)
	case err != nil:
		return nil, "", fmt.Errorf("get plan file %s: %w; %w", runID, err, store.ErrPlanTampered)
	}
	got := sha256.Sum256(file)
	if hex.EncodeToString(got[:]) != sum {
		return nil, "", fmt.Errorf("get plan file %s: %w: recorded %s, stored bytes hash to %s",
			runID, store.ErrPlanTampered, sum, hex.EncodeToString(got[:]))
	}
	return file, sum, nil
}

// PutLog stores the log of a run, compressed, replacing any log stored
// for it before. The run must exist (store.ErrNotFound otherwise).
func (s *Store) PutLog(ctx context.Context, runID string, log []byte) error {
	id, err := store.ParseRunID(runID)
	if err != nil {
		return fmt.Errorf("put log: %w", err)
	}
	z, err := store.Compress(log)
	if err != nil {
		return fmt.Errorf("put log %s: %w", runID, err)
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if err := runExists(ctx, tx, id); err != nil {
			return err
		}
		return putLog(ctx, tx, id, z)
	})
	if err != nil {
		return fmt.Errorf("put log %s: %w", runID, err)
	}
	return nil
}

func putLog(ctx context.Context, tx pgx.Tx, id string, z []byte) error {
	_, err := tx.Exec(ctx, "INSERT INTO logs (run_id, log) VALUES ($1, $2) ON CONFLICT (run_id) DO UPDATE SET log = $2", id, z)
	if err != nil {
		return fmt.Errorf("write log (%d bytes): %w", len(z), err)
	}
	return nil
}

// GetLog returns the log of a run. It fails with store.ErrNotFound when no
// log is stored for the run, and for malformed ids.
func (s *Store) GetLog(ctx context.Context, runID string) ([]byte, error) {
	id, err := store.ParseRunID(runID)
	if err != nil {
		return nil, fmt.Errorf("get log: %w: %w", store.ErrNotFound, err)
	}
	var z []byte
	err = s.pool.QueryRow(ctx, "SELECT log FROM logs WHERE run_id = $1", id).Scan(&z)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get log %s: %w", runID, err)
	}
	log, err := store.Decompress(z, 0)
	if err != nil {
		return nil, fmt.Errorf("get log %s: %w", runID, err)
	}
	return log, nil
}
