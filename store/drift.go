package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"go.etcd.io/bbolt"
)

// Drift records. Every plan of a stack's tracked branch, scheduled drift
// checks included, updates the stack's drift status and its findings: one
// per resource that changed outside Terraform (or that the plan would change
// without an out-of-band change explaining it). Findings are kept after they
// resolve, as history.
//
//	drift_status/
//	|-- <stack key> -> StackDrift, JSON
//	drift_findings/
//	|-- <stack key>/                 one bucket per stack
//	    |-- <finding id> -> DriftFinding, JSON   ids sort by creation

// DriftStatus is a stack's drift state.
type DriftStatus string

// Drift states. A stack never checked has no record: its status is unknown.
const (
	DriftInSync         DriftStatus = "in_sync"
	DriftDrifted        DriftStatus = "drifted"
	DriftPendingChanges DriftStatus = "pending_changes"
	DriftErrored        DriftStatus = "errored"
	DriftUnknown        DriftStatus = "unknown"
)

// StackDrift is a stack's drift state after its last check.
type StackDrift struct {
	Repo      string      `json:"repo"`
	Stack     string      `json:"stack"`
	Status    DriftStatus `json:"status"`
	CheckedAt time.Time   `json:"checked_at,omitzero"`
	// RunID and Commit are the run and commit of the last check.
	RunID  string `json:"run_id,omitempty"`
	Commit string `json:"commit,omitempty"`
	// Error is why the last check failed (status errored).
	Error string `json:"error,omitempty"`
	// Open counts open findings that are not accepted; Accepted the
	// accepted ones.
	Open     int `json:"open"`
	Accepted int `json:"accepted"`
	// LastApplied is what driftgate last applied to the stack, for telling
	// unapplied code from provider or version changes.
	LastApplied *AppliedInfo `json:"last_applied,omitempty"`
}

// AppliedInfo describes a successful apply.
type AppliedInfo struct {
	RunID            string    `json:"run_id"`
	Commit           string    `json:"commit"`
	At               time.Time `json:"at"`
	LockHash         string    `json:"lock_hash,omitempty"`
	TerraformVersion string    `json:"terraform_version,omitempty"`
	// Product is what applied, "terraform" or "opentofu"; empty in
	// records made before it was recorded.
	Product   string            `json:"product,omitempty"`
	Providers map[string]string `json:"providers,omitempty"`
}

// DriftFinding is one resource's drift, open or resolved.
type DriftFinding struct {
	ID         string           `json:"id"`
	Repo       string           `json:"repo"`
	Stack      string           `json:"stack"`
	Address    string           `json:"address"`
	Kind       string           `json:"kind"`
	Cause      string           `json:"cause"`
	Accepted   bool             `json:"accepted,omitempty"`
	Rule       string           `json:"rule,omitempty"`
	Attributes []DriftAttribute `json:"attributes,omitempty"`
	FirstSeen  time.Time        `json:"first_seen"`
	LastSeen   time.Time        `json:"last_seen"`
	ResolvedAt time.Time        `json:"resolved_at,omitzero"`
	FirstRun   string           `json:"first_run,omitempty"`
	LastRun    string           `json:"last_run,omitempty"`
}

// Open reports whether the finding has not resolved.
func (f *DriftFinding) Open() bool { return f.ResolvedAt.IsZero() }

// DriftAttribute is one attribute of a finding, its values redacted.
type DriftAttribute struct {
	Path      string `json:"path"`
	Before    any    `json:"before"`
	After     any    `json:"after"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

var (
	driftStatusBucket   = []byte("drift_status")
	driftFindingsBucket = []byte("drift_findings")
)

// maxResolvedFindings bounds the resolved findings kept per stack.
const maxResolvedFindings = 500

// migrateDrift creates the drift buckets.
func migrateDrift(tx *bbolt.Tx) error {
	for _, name := range [][]byte{driftStatusBucket, driftFindingsBucket} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// RecordDriftCheck stores a stack's drift status and the findings a check
// created, continued or resolved, in one transaction. The stack's
// LastApplied is kept when sd leaves it nil.
func (s *Store) RecordDriftCheck(ctx context.Context, sd *StackDrift, findings []DriftFinding) error {
	if err := checkStackKey(sd.Repo, sd.Stack); err != nil {
		return fmt.Errorf("record drift: %w", err)
	}
	key := stackKey(sd.Repo, sd.Stack)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		status := tx.Bucket(driftStatusBucket)
		rec := *sd
		if rec.LastApplied == nil {
			if old := status.Get(key); old != nil {
				var prev StackDrift
				if err := json.Unmarshal(old, &prev); err != nil {
					return fmt.Errorf("decode drift status: %w", err)
				}
				rec.LastApplied = prev.LastApplied
			}
		}
		if err := putJSON(status, key, &rec); err != nil {
			return err
		}
		b, err := tx.Bucket(driftFindingsBucket).CreateBucketIfNotExists(key)
		if err != nil {
			return fmt.Errorf("create findings bucket: %w", err)
		}
		for i := range findings {
			f := findings[i]
			f.Repo, f.Stack = sd.Repo, sd.Stack
			if f.ID == "" {
				return fmt.Errorf("%w: finding for %s has no id", ErrInvalid, f.Address)
			}
			if err := putJSON(b, []byte(f.ID), &f); err != nil {
				return err
			}
		}
		return pruneResolved(b)
	})
	if err != nil {
		return fmt.Errorf("record drift of stack %s/%s: %w", repoKey(sd.Repo), sd.Stack, err)
	}
	return nil
}

// RecordApplied notes a successful apply in the stack's drift record.
func (s *Store) RecordApplied(ctx context.Context, repo, stack string, info AppliedInfo) error {
	if err := checkStackKey(repo, stack); err != nil {
		return fmt.Errorf("record apply: %w", err)
	}
	key := stackKey(repo, stack)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		status := tx.Bucket(driftStatusBucket)
		rec := StackDrift{Repo: repo, Stack: stack, Status: DriftUnknown}
		if old := status.Get(key); old != nil {
			if err := json.Unmarshal(old, &rec); err != nil {
				return fmt.Errorf("decode drift status: %w", err)
			}
		}
		rec.LastApplied = &info
		return putJSON(status, key, &rec)
	})
	if err != nil {
		return fmt.Errorf("record apply of stack %s/%s: %w", repoKey(repo), stack, err)
	}
	return nil
}

// StackDriftStatus returns a stack's drift record; a stack never checked
// fails with ErrNotFound.
func (s *Store) StackDriftStatus(ctx context.Context, repo, stack string) (*StackDrift, error) {
	if err := checkStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("drift status: %w", err)
	}
	var out *StackDrift
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(driftStatusBucket).Get(stackKey(repo, stack))
		if v == nil {
			return ErrNotFound
		}
		out = &StackDrift{}
		return json.Unmarshal(v, out)
	})
	if err != nil {
		return nil, fmt.Errorf("drift status of stack %s/%s: %w", repoKey(repo), stack, err)
	}
	return out, nil
}

// ListStackDrift returns every stack's drift record, by repo and stack.
func (s *Store) ListStackDrift(ctx context.Context) ([]StackDrift, error) {
	var out []StackDrift
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(driftStatusBucket).ForEach(func(k, v []byte) error {
			var sd StackDrift
			if err := json.Unmarshal(v, &sd); err != nil {
				s.skipUnreadable(driftStatusBucket, fmt.Sprintf("%q", k), err)
				return nil
			}
			out = append(out, sd)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list drift: %w", err)
	}
	return out, nil
}

// DriftFindings returns a stack's findings, newest first: only the open
// ones when open is set, else the history too, at most limit (0: all).
func (s *Store) DriftFindings(ctx context.Context, repo, stack string, open bool, limit int) ([]DriftFinding, error) {
	if err := checkStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("drift findings: %w", err)
	}
	var out []DriftFinding
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(driftFindingsBucket).Bucket(stackKey(repo, stack))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var f DriftFinding
			if err := json.Unmarshal(v, &f); err != nil {
				s.skipUnreadable(driftFindingsBucket, fmt.Sprintf("%q/%s", stackKey(repo, stack), k), err)
				continue
			}
			if open && !f.Open() {
				continue
			}
			out = append(out, f)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("drift findings of stack %s/%s: %w", repoKey(repo), stack, err)
	}
	return out, nil
}

// pruneResolved deletes the oldest resolved findings beyond the limit.
func pruneResolved(b *bbolt.Bucket) error {
	var resolved [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var f DriftFinding
		if err := json.Unmarshal(v, &f); err != nil {
			return err
		}
		if !f.Open() {
			resolved = append(resolved, bytes.Clone(k))
		}
		return nil
	})
	if err != nil || len(resolved) <= maxResolvedFindings {
		return err
	}
	sort.Slice(resolved, func(i, j int) bool { return bytes.Compare(resolved[i], resolved[j]) < 0 })
	for _, k := range resolved[:len(resolved)-maxResolvedFindings] {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %T: %w", v, err)
	}
	if err := b.Put(key, raw); err != nil {
		return fmt.Errorf("write %T (%d bytes): %w", v, len(raw), err)
	}
	return nil
}
