package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
)

// Secondary run indexes (schema v8), so that ListRuns reads only the runs a
// filter selects instead of scanning every run:
//
//	runs_by_repo/
//	|-- <repo>/                       one bucket per repo (LocalRepo for local)
//	    |-- <run id> -> ""
//	runs_by_status/
//	|-- <status>/                     one bucket per status
//	    |-- <run id> -> ""
//	runs_by_op/
//	|-- <operation>/                  one bucket per operation; runs without
//	    |-- <run id> -> ""            one are not indexed here
//
// putRun keeps them in step with the run in the same transaction, whatever
// wrote the run (create, queue, claim, finish, supersede, approval, cancel,
// interrupt), and deleteRun (retention) removes a run from all of them.
// Keys are ULIDs, so new runs append: their buckets are written with
// appendFillPercent.
var (
	runsByRepoBucket   = []byte("runs_by_repo")
	runsByStatusBucket = []byte("runs_by_status")
	runsByOpBucket     = []byte("runs_by_op")
)

// How full bbolt packs the pages of buckets keyed by run id. New ids sort
// last, so pages split at the end and are never refilled: bbolt's default
// (0.5) would leave every page half empty (1,745 bytes on disk per run in
// BenchmarkListRuns100k against 951). Index entries never change once
// written (appendFillPercent). A run record still grows while it runs
// (times, summary, approvals), and plans and logs arrive when a run ends,
// not quite in id order, so those buckets keep some room
// (mostlyAppendFillPercent).
const (
	appendFillPercent       = 1.0
	mostlyAppendFillPercent = 0.9
)

// indexRun files run (stored at key) in the repo, status and operation
// indexes, first removing it from the status and operation buckets it may
// have been in.
func indexRun(tx *bbolt.Tx, key []byte, run *Run) error {
	if err := unindexStatusOp(tx, key); err != nil {
		return err
	}
	put := func(top []byte, name string) error {
		b, err := tx.Bucket(top).CreateBucketIfNotExists([]byte(name))
		if err != nil {
			return fmt.Errorf("create index %s/%s: %w", top, name, err)
		}
		b.FillPercent = appendFillPercent
		if err := b.Put(key, nil); err != nil {
			return fmt.Errorf("write index %s/%s: %w", top, name, err)
		}
		return nil
	}
	if err := put(runsByRepoBucket, repoKey(run.Repo)); err != nil {
		return err
	}
	if err := put(runsByStatusBucket, string(run.Status)); err != nil {
		return err
	}
	if op := string(run.Operation); op != "" {
		return put(runsByOpBucket, op)
	}
	return nil
}

// unindexRun removes the run at key from the repo, status and operation
// indexes.
func unindexRun(tx *bbolt.Tx, key []byte, repo string) error {
	if b := tx.Bucket(runsByRepoBucket).Bucket([]byte(repoKey(repo))); b != nil {
		if err := b.Delete(key); err != nil {
			return fmt.Errorf("delete run %s from index %s: %w", formatRunID(key), runsByRepoBucket, err)
		}
	}
	return unindexStatusOp(tx, key)
}

// unindexStatusOp deletes key from every status and operation bucket. There
// are a dozen statuses and a few operations, and deleting an absent key
// writes nothing, so this needs no knowledge of what the run was before,
// which a damaged old record could not tell.
func unindexStatusOp(tx *bbolt.Tx, key []byte) error {
	for _, top := range [][]byte{runsByStatusBucket, runsByOpBucket} {
		parent := tx.Bucket(top)
		var names [][]byte
		c := parent.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v == nil {
				names = append(names, bytes.Clone(k))
			}
		}
		for _, name := range names {
			if err := parent.Bucket(name).Delete(key); err != nil {
				return fmt.Errorf("delete run %s from index %s/%s: %w", formatRunID(key), top, name, err)
			}
		}
	}
	return nil
}

// migrateRunIndexes (v8) creates the repo, status and operation indexes and
// fills them from the stack indexes, whose keys name the repo and whose
// values are the statuses; the operation is read from the run. A run that
// does not decode keeps its repo and status entries and gets no operation
// entry: `driftgate store check` reports it.
func migrateRunIndexes(tx *bbolt.Tx) error {
	for _, name := range [][]byte{runsByRepoBucket, runsByStatusBucket, runsByOpBucket} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	stored := tx.Bucket(runsBucket)
	byStack := tx.Bucket(runsByStackBucket)
	return byStack.ForEach(func(sk, v []byte) error {
		if v != nil {
			return nil
		}
		repo, _, ok := bytes.Cut(sk, []byte{0})
		if !ok {
			return fmt.Errorf("corrupt stack index name %q", sk)
		}
		return byStack.Bucket(sk).ForEach(func(k, status []byte) error {
			run := Run{Repo: string(repo), Status: RunStatus(status)}
			var decoded Run
			if raw := stored.Get(k); raw != nil && json.Unmarshal(raw, &decoded) == nil {
				run.Operation = decoded.Operation
			}
			return indexRun(tx, k, &run)
		})
	})
}
