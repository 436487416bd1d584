package store

import (
	"bytes"
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

// PutLog stores the log of a run, compressed, replacing any log stored for
// it before. The run must exist (ErrNotFound otherwise).
func (s *Store) PutLog(ctx context.Context, runID string, log []byte) error {
	key, err := parseRunID(runID)
	if err != nil {
		return fmt.Errorf("put log: %w", err)
	}
	z, err := compress(log)
	if err != nil {
		return fmt.Errorf("put log %s: %w", runID, err)
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(runsBucket).Get(key) == nil {
			return fmt.Errorf("run: %w", ErrNotFound)
		}
		logs := tx.Bucket(logsBucket)
		logs.FillPercent = mostlyAppendFillPercent
		if err := logs.Put(key, z); err != nil {
			return fmt.Errorf("write log (%d bytes): %w", len(z), err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put log %s: %w", runID, err)
	}
	return nil
}

// GetLog returns the log of a run. It fails with ErrNotFound when no log is
// stored for the run, and for malformed ids.
func (s *Store) GetLog(ctx context.Context, runID string) ([]byte, error) {
	key, err := parseRunID(runID)
	if err != nil {
		return nil, fmt.Errorf("get log: %w: %w", ErrNotFound, err)
	}
	var z []byte
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(logsBucket).Get(key)
		if v == nil {
			return ErrNotFound
		}
		z = bytes.Clone(v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get log %s: %w", runID, err)
	}
	log, err := decompress(z, 0)
	if err != nil {
		return nil, fmt.Errorf("get log %s: %w", runID, err)
	}
	return log, nil
}
