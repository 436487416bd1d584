package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Export reads every record of the store, for copying it into another
// store (`driftgate store copy`). Values that are stored compressed or
// sealed are handed over as stored, so a copy needs no encryption key and
// keeps sealed values sealed: the PostgreSQL store uses the same formats
// and additional data.

// ExportedPlan is a run's plan as stored: its parts compressed and its
// file sealed when the store had a key (nil for absent parts).
type ExportedPlan struct {
	RunID                                      string
	SHA256                                     string
	FileSize, JSONSize, TextSize, AnalysisSize int64
	ZipJSON, ZipText, ZipAnalysis, StoredFile  []byte
}

// ExportedStateVersion is a state version as stored (EncodeStateVersion's
// format); Repo is the stack key's repo, LocalRepo for local stacks.
type ExportedStateVersion struct {
	Repo, Stack string
	Serial      uint64
	Record      []byte
}

// ExportedWebhookID is a webhook delivery id SeenDelivery recorded.
type ExportedWebhookID struct {
	Repo, ID string
	SeenAt   time.Time
}

// Exporter receives the records Export reads. A nil func skips that kind.
// Runs come oldest first, before their plans and logs.
type Exporter struct {
	Repo         func(RepoRecord) error
	Stack        func(StackRecord) error
	Run          func(Run) error
	Plan         func(ExportedPlan) error
	Log          func(runID string, compressed []byte) error
	StateVersion func(ExportedStateVersion) error
	DriftStatus  func(StackDrift) error
	DriftFinding func(DriftFinding) error
	Hold         func(Hold) error
	Audit        func(AuditEntry) error
	Delivery     func(Delivery) error
	PR           func(PRRecord) error
	WebhookID    func(ExportedWebhookID) error
	OutboxItem   func(OutboxItem) error
}

// Export hands every record of the store to x, in one read transaction:
// a consistent snapshot. A record that does not decode fails it, naming
// the record; `driftgate store check` reports all of them.
func (s *Store) Export(ctx context.Context, x Exporter) error {
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		steps := []func(*bbolt.Tx, Exporter) error{
			exportRepos, exportStacks, exportRuns, exportPlans, exportLogs, exportStateVersions,
			exportDrift, exportHolds, exportAudit, exportDeliveries, exportPRs, exportWebhookIDs, exportOutbox,
		}
		for _, step := range steps {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := step(tx, x); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("export store %s: %w", s.path, err)
	}
	return nil
}

// eachJSON decodes every value of bucket into a T and hands it to fn.
func eachJSON[T any](b *bbolt.Bucket, name []byte, fn func(T) error) error {
	if fn == nil || b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil // a nested bucket
		}
		var rec T
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decode %s record %q: %w", name, k, err)
		}
		return fn(rec)
	})
}

func exportRepos(tx *bbolt.Tx, x Exporter) error {
	return eachJSON(tx.Bucket(reposBucket), reposBucket, x.Repo)
}

func exportStacks(tx *bbolt.Tx, x Exporter) error {
	return eachJSON(tx.Bucket(stacksBucket), stacksBucket, x.Stack)
}

func exportRuns(tx *bbolt.Tx, x Exporter) error {
	return eachJSON(tx.Bucket(runsBucket), runsBucket, x.Run)
}

func exportHolds(tx *bbolt.Tx, x Exporter) error {
	return eachJSON(tx.Bucket(holdsBucket), holdsBucket, x.Hold)
}

func exportAudit(tx *bbolt.Tx, x Exporter) error {
	return eachJSON(tx.Bucket(auditBucket), auditBucket, x.Audit)
}

func exportDeliveries(tx *bbolt.Tx, x Exporter) error {
	return eachJSON(tx.Bucket(deliveriesBucket), deliveriesBucket, x.Delivery)
}

func exportPRs(tx *bbolt.Tx, x Exporter) error {
	return eachJSON(tx.Bucket(prsBucket), prsBucket, x.PR)
}

func exportOutbox(tx *bbolt.Tx, x Exporter) error {
	return eachJSON(tx.Bucket(outboxBucket), outboxBucket, x.OutboxItem)
}

func exportDrift(tx *bbolt.Tx, x Exporter) error {
	if err := eachJSON(tx.Bucket(driftStatusBucket), driftStatusBucket, x.DriftStatus); err != nil {
		return err
	}
	if x.DriftFinding == nil {
		return nil
	}
	findings := tx.Bucket(driftFindingsBucket)
	return findings.ForEach(func(k, v []byte) error {
		if v != nil {
			return nil
		}
		return eachJSON(findings.Bucket(k), driftFindingsBucket, x.DriftFinding)
	})
}

func exportPlans(tx *bbolt.Tx, x Exporter) error {
	if x.Plan == nil {
		return nil
	}
	return tx.Bucket(plansBucket).ForEach(func(k, v []byte) error {
		var meta planMeta
		if err := json.Unmarshal(v, &meta); err != nil {
			return fmt.Errorf("decode plan metadata of run %s: %w", formatRunID(k), err)
		}
		get := func(b []byte) []byte { return bytes.Clone(tx.Bucket(b).Get(k)) }
		return x.Plan(ExportedPlan{
			RunID: formatRunID(k), SHA256: meta.SHA256,
			FileSize: meta.FileSize, JSONSize: meta.JSONSize, TextSize: meta.TextSize, AnalysisSize: meta.AnalysisSize,
			ZipJSON: get(planJSONBucket), ZipText: get(planTextBucket), ZipAnalysis: get(planAnalysisBucket),
			StoredFile: get(planFilesBucket),
		})
	})
}

func exportLogs(tx *bbolt.Tx, x Exporter) error {
	if x.Log == nil {
		return nil
	}
	return tx.Bucket(logsBucket).ForEach(func(k, v []byte) error {
		return x.Log(formatRunID(k), bytes.Clone(v))
	})
}

func exportStateVersions(tx *bbolt.Tx, x Exporter) error {
	if x.StateVersion == nil {
		return nil
	}
	top := tx.Bucket(stateVersionsBucket)
	return top.ForEach(func(sk, v []byte) error {
		if v != nil {
			return nil
		}
		repo, stack, ok := bytes.Cut(sk, []byte{0})
		if !ok {
			return fmt.Errorf("corrupt state version bucket name %q", sk)
		}
		return top.Bucket(sk).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("corrupt state version key %x of stack %q", k, sk)
			}
			return x.StateVersion(ExportedStateVersion{
				Repo: string(repo), Stack: string(stack), Serial: binary.BigEndian.Uint64(k), Record: bytes.Clone(v),
			})
		})
	})
}

func exportWebhookIDs(tx *bbolt.Tx, x Exporter) error {
	if x.WebhookID == nil {
		return nil
	}
	return tx.Bucket(webhookIDsBucket).ForEach(func(k, v []byte) error {
		repo, id, ok := bytes.Cut(k, []byte{0})
		if !ok {
			return fmt.Errorf("corrupt webhook id key %q", k)
		}
		t, err := time.Parse(time.RFC3339, string(v))
		if err != nil {
			return nil // forgotten by the next SeenDelivery anyway
		}
		return x.WebhookID(ExportedWebhookID{Repo: string(repo), ID: string(id), SeenAt: t})
	})
}
