package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.etcd.io/bbolt"
)

// CheckReport is what Check found in a database file.
type CheckReport struct {
	// Path is the file checked.
	Path string
	// SchemaVersion is the file's stored schema version.
	SchemaVersion uint64
	// Runs counts the run records.
	Runs int
	// Records counts every JSON record decoded, runs included.
	Records int
	// Problems lists what is wrong, one finding a line; empty when the
	// file is sound.
	Problems []string
}

// jsonBuckets are the buckets whose values (in nested buckets too) are
// JSON records.
var jsonBuckets = [][]byte{
	reposBucket, stacksBucket, plansBucket, driftStatusBucket, driftFindingsBucket,
	deliveriesBucket, auditBucket, holdsBucket, nodesBucket,
}

// maxProblems bounds the problems Check lists.
const maxProblems = 1000

// Check verifies the database file at path without changing it: that the
// file is whole, that bbolt's page structure is consistent (tx.Check), that
// every run and every JSON record decodes, and that the run indexes list
// exactly the stored runs. It opens the file read-only and fails with
// ErrLocked when a running driftgate holds it for longer than timeout:
// check a backup instead (see README, Backups). Problems in the data are
// listed in the report; the error is for a file Check cannot read at all.
func Check(ctx context.Context, path string, timeout time.Duration) (*CheckReport, error) {
	rep := &CheckReport{Path: path}
	db, err := openReadOnly(path, timeout)
	if errors.Is(err, ErrLocked) {
		return nil, fmt.Errorf("check %s: %w; stop it, or back the database up with `driftgate store backup FILE` and check FILE",
			path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", path, err)
	}
	defer db.Close()
	err = guarded(func() error {
		return db.View(func(tx *bbolt.Tx) error { return rep.check(ctx, tx) })
	})
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", path, err)
	}
	sort.Strings(rep.Problems)
	return rep, nil
}

func (r *CheckReport) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

func (r *CheckReport) check(ctx context.Context, tx *bbolt.Tx) error {
	for err := range tx.Check() {
		r.problem("bbolt: %v", err)
	}
	version, _, err := schemaVersion(tx)
	if err != nil {
		r.problem("schema version: %v", err)
	}
	r.SchemaVersion = version
	for _, name := range topBuckets {
		if tx.Bucket(name) == nil {
			r.problem("bucket %s is missing (schema v%d)", name, version)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r.checkRuns(tx)
	for _, name := range jsonBuckets {
		if b := tx.Bucket(name); b != nil {
			r.checkJSON(string(name), b)
		}
	}
	return ctx.Err()
}

// checkJSON decodes every value of b and of its nested buckets.
func (r *CheckReport) checkJSON(path string, b *bbolt.Bucket) {
	_ = b.ForEach(func(k, v []byte) error {
		if v == nil {
			r.checkJSON(fmt.Sprintf("%s/%q", path, k), b.Bucket(k))
			return nil
		}
		r.Records++
		if !json.Valid(v) {
			r.problem("%s/%x: record does not decode as JSON", path, k)
		}
		return nil
	})
}

// checkRuns decodes every run and compares it with the run indexes.
func (r *CheckReport) checkRuns(tx *bbolt.Tx) {
	runs := tx.Bucket(runsBucket)
	if runs == nil {
		return
	}
	// want maps each index entry that the stored runs call for to whether
	// it was found.
	want := map[string]bool{}
	entry := func(index string, key []byte) string { return index + "\x00" + string(key) }
	_ = runs.ForEach(func(k, v []byte) error {
		r.Runs++
		r.Records++
		var run Run
		if err := json.Unmarshal(v, &run); err != nil {
			r.problem("run %s: does not decode: %v", formatRunID(k), err)
			return nil
		}
		want[entry(fmt.Sprintf("%s/%q", runsByStackBucket, stackKey(run.Repo, run.Stack)), k)] = false
		want[entry(fmt.Sprintf("%s/%q", runsByRepoBucket, repoKey(run.Repo)), k)] = false
		want[entry(fmt.Sprintf("%s/%q", runsByStatusBucket, run.Status), k)] = false
		if run.Operation != "" {
			want[entry(fmt.Sprintf("%s/%q", runsByOpBucket, string(run.Operation)), k)] = false
		}
		if !run.Status.Terminal() {
			want[entry(string(activeRunsBucket), k)] = false
		}
		return nil
	})
	seen := func(index string, k []byte) {
		e := entry(index, k)
		if _, ok := want[e]; ok {
			want[e] = true
			return
		}
		if runs.Get(k) == nil {
			r.problem("%s: run %s is indexed but not stored", index, formatRunID(k))
		} else if dec := (Run{}); json.Unmarshal(runs.Get(k), &dec) == nil {
			r.problem("%s: run %s is indexed here but is not a run of it", index, formatRunID(k))
		}
	}
	for _, top := range [][]byte{runsByStackBucket, runsByRepoBucket, runsByStatusBucket, runsByOpBucket} {
		parent := tx.Bucket(top)
		if parent == nil {
			continue
		}
		_ = parent.ForEach(func(name, v []byte) error {
			if v != nil {
				r.problem("%s: stray key %q", top, name)
				return nil
			}
			index := fmt.Sprintf("%s/%q", top, name)
			return parent.Bucket(name).ForEach(func(k, _ []byte) error {
				seen(index, k)
				return nil
			})
		})
	}
	if active := tx.Bucket(activeRunsBucket); active != nil {
		_ = active.ForEach(func(k, _ []byte) error {
			seen(string(activeRunsBucket), k)
			return nil
		})
	}
	for e, found := range want {
		if !found {
			index, key, _ := bytes.Cut([]byte(e), []byte{0})
			r.problem("%s: run %s is stored but not indexed", index, formatRunID(key))
		}
	}
}
