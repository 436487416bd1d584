package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Plan is the output of a run's terraform plan.
type Plan struct {
	// RunID is the id of the run that produced the plan.
	RunID string
	// JSON is the redacted plan JSON. It is stored compressed.
	JSON []byte
	// Text is the redacted human-readable plan. It is stored compressed.
	Text []byte
	// Analysis is driftgate's JSON analysis of the plan. It is stored
	// compressed.
	Analysis []byte
	// File is the binary plan file from `terraform plan -out`. It holds the
	// plan's sensitive values, so it is sealed (crypt.go) when the store has
	// an encryption key, and stored as is otherwise. GetPlan leaves it nil;
	// GetPlanFile returns it.
	File []byte
	// SHA256 is the hex sha256 of File (the plain bytes, sealed or not), set
	// by PutPlan; empty without File.
	SHA256 string
	// FileSize is the length of File, set by PutPlan and GetPlan.
	FileSize int64
}

// planMeta is the value of the plans bucket.
type planMeta struct {
	SHA256       string    `json:"sha256,omitempty"`
	FileSize     int64     `json:"file_size"`
	JSONSize     int64     `json:"json_size"`
	TextSize     int64     `json:"text_size"`
	AnalysisSize int64     `json:"analysis_size"`
	StoredAt     time.Time `json:"stored_at"`
}

// PutPlan stores p for run p.RunID, replacing any plan stored for it before;
// empty parts are stored as absent. The run must exist (ErrNotFound
// otherwise). PutPlan sets p.SHA256 and p.FileSize. Compression and hashing
// happen before the write transaction, and all parts commit together.
func (s *Store) PutPlan(ctx context.Context, p *Plan) error {
	key, err := parseRunID(p.RunID)
	if err != nil {
		return fmt.Errorf("put plan: %w", err)
	}
	pw, err := s.encodePlan(p, key)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(runsBucket).Get(key) == nil {
			return fmt.Errorf("run: %w", ErrNotFound)
		}
		return pw.put(tx, key)
	})
	if err != nil {
		return fmt.Errorf("put plan %s (%d bytes): %w", p.RunID, pw.size(), err)
	}
	p.SHA256, p.FileSize = pw.meta.SHA256, pw.meta.FileSize
	return nil
}

// planWrite is a plan made ready for a write transaction: compressed,
// hashed and sealed beforehand, so the transaction stays short.
type planWrite struct {
	meta    planMeta
	metaVal []byte
	vals    [][]byte
}

// planBlobs lists a plan's parts in storage order.
func planBlobs(p *Plan) []struct {
	bucket []byte
	what   string
	raw    []byte
	zip    bool
	seal   bool
} {
	return []struct {
		bucket []byte
		what   string
		raw    []byte
		zip    bool
		seal   bool
	}{
		{planJSONBucket, "plan JSON", p.JSON, true, false},
		{planTextBucket, "plan text", p.Text, true, false},
		{planAnalysisBucket, "plan analysis", p.Analysis, true, false},
		{planFilesBucket, "plan file", p.File, false, true},
	}
}

var planBlobBuckets = [][]byte{planJSONBucket, planTextBucket, planAnalysisBucket, planFilesBucket}

// encodePlan prepares p for storage under key, the binary id of p.RunID.
func (s *Store) encodePlan(p *Plan, key []byte) (*planWrite, error) {
	pw := &planWrite{meta: planMeta{
		FileSize:     int64(len(p.File)),
		JSONSize:     int64(len(p.JSON)),
		TextSize:     int64(len(p.Text)),
		AnalysisSize: int64(len(p.Analysis)),
		StoredAt:     time.Now().UTC(),
	}}
	if len(p.File) > 0 {
		sum := sha256.Sum256(p.File)
		pw.meta.SHA256 = hex.EncodeToString(sum[:])
	}
	blobs := planBlobs(p)
	pw.vals = make([][]byte, len(blobs))
	for i, b := range blobs {
		var err error
		switch {
		case len(b.raw) == 0:
			pw.vals[i] = nil
		case b.zip:
			pw.vals[i], err = compress(b.raw)
		case b.seal:
			pw.vals[i], err = s.seal(sealAD(b.bucket, key), b.raw)
		default:
			pw.vals[i] = b.raw
		}
		if err != nil {
			return nil, fmt.Errorf("put plan %s: %s: %w", p.RunID, b.what, err)
		}
	}
	metaVal, err := json.Marshal(&pw.meta)
	if err != nil {
		return nil, fmt.Errorf("put plan %s: encode metadata: %w", p.RunID, err)
	}
	pw.metaVal = metaVal
	return pw, nil
}

// put writes the plan under key; empty parts delete what was stored.
func (pw *planWrite) put(tx *bbolt.Tx, key []byte) error {
	plans := tx.Bucket(plansBucket)
	plans.FillPercent = mostlyAppendFillPercent
	if err := plans.Put(key, pw.metaVal); err != nil {
		return fmt.Errorf("write plan metadata: %w", err)
	}
	for i, name := range planBlobBuckets {
		bucket := tx.Bucket(name)
		bucket.FillPercent = mostlyAppendFillPercent
		if len(pw.vals[i]) == 0 {
			if err := bucket.Delete(key); err != nil {
				return fmt.Errorf("delete old %s: %w", name, err)
			}
			continue
		}
		if err := bucket.Put(key, pw.vals[i]); err != nil {
			return fmt.Errorf("write %s (%d bytes): %w", name, len(pw.vals[i]), err)
		}
	}
	return nil
}

func (pw *planWrite) size() int {
	total := 0
	for _, v := range pw.vals {
		total += len(v)
	}
	return total
}

// GetPlan returns the plan of a run without its File bytes. It fails with
// ErrNotFound when no plan is stored for the run, and for malformed ids.
func (s *Store) GetPlan(ctx context.Context, runID string) (*Plan, error) {
	key, err := parseRunID(runID)
	if err != nil {
		return nil, fmt.Errorf("get plan: %w: %w", ErrNotFound, err)
	}
	var meta planMeta
	var zJSON, zText, zAnalysis []byte
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		if err := getPlanMeta(tx, key, &meta); err != nil {
			return err
		}
		// Copy out: bbolt's memory is only valid inside the transaction.
		zJSON = bytes.Clone(tx.Bucket(planJSONBucket).Get(key))
		zText = bytes.Clone(tx.Bucket(planTextBucket).Get(key))
		zAnalysis = bytes.Clone(tx.Bucket(planAnalysisBucket).Get(key))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get plan %s: %w", runID, err)
	}
	p := &Plan{RunID: formatRunID(key), SHA256: meta.SHA256, FileSize: meta.FileSize}
	parts := []struct {
		what string
		z    []byte
		size int64
		dst  *[]byte
	}{
		{"plan JSON", zJSON, meta.JSONSize, &p.JSON},
		{"plan text", zText, meta.TextSize, &p.Text},
		{"plan analysis", zAnalysis, meta.AnalysisSize, &p.Analysis},
	}
	for _, part := range parts {
		if part.z == nil {
			continue
		}
		if *part.dst, err = decompress(part.z, part.size); err != nil {
			return nil, fmt.Errorf("get plan %s: %s: %w", runID, part.what, err)
		}
	}
	return p, nil
}

// GetPlanFile returns the binary plan file of a run and its hex sha256. It
// fails with ErrNotFound when the run has no plan file (or the id is
// malformed) and with ErrPlanTampered when the stored bytes no longer hash to
// the sha256 recorded by PutPlan; never apply a plan that fails the check.
// A sealed plan file is opened first: without a key that fails with
// ErrEncrypted, and with a key that cannot open it (another key, or bytes
// modified or moved from another run) with both ErrDecrypt and
// ErrPlanTampered.
func (s *Store) GetPlanFile(ctx context.Context, runID string) ([]byte, string, error) {
	key, err := parseRunID(runID)
	if err != nil {
		return nil, "", fmt.Errorf("get plan file: %w: %w", ErrNotFound, err)
	}
	var meta planMeta
	var stored []byte
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		if err := getPlanMeta(tx, key, &meta); err != nil {
			return err
		}
		v := tx.Bucket(planFilesBucket).Get(key)
		if v == nil || meta.SHA256 == "" {
			return fmt.Errorf("plan has no file: %w", ErrNotFound)
		}
		stored = bytes.Clone(v)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("get plan file %s: %w", runID, err)
	}
	file, err := s.open(sealAD(planFilesBucket, key), stored)
	switch {
	case errors.Is(err, ErrEncrypted):
		return nil, "", fmt.Errorf("plan file of run %s is %w; configure the encryption key that wrote it", runID, err)
	case err != nil:
		return nil, "", fmt.Errorf("get plan file %s: %w; %w", runID, err, ErrPlanTampered)
	}
	sum := sha256.Sum256(file)
	if got := hex.EncodeToString(sum[:]); got != meta.SHA256 {
		return nil, "", fmt.Errorf("get plan file %s: %w: recorded %s, stored bytes hash to %s",
			runID, ErrPlanTampered, meta.SHA256, got)
	}
	return file, meta.SHA256, nil
}

// getPlanMeta decodes the plan metadata of a run into meta.
func getPlanMeta(tx *bbolt.Tx, key []byte, meta *planMeta) error {
	v := tx.Bucket(plansBucket).Get(key)
	if v == nil {
		return fmt.Errorf("plan: %w", ErrNotFound)
	}
	if err := json.Unmarshal(v, meta); err != nil {
		return fmt.Errorf("decode plan metadata: %w", err)
	}
	return nil
}
