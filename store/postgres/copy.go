package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
)

// CopyCount is how many records of one kind a copy wrote, and how many it
// found already there.
type CopyCount struct {
	Kind    string
	Copied  int
	Present int
}

// CopyFrom copies every record of the bbolt store src into s, in one
// transaction: repos, stacks, runs, plans, logs, state versions, drift,
// holds, audit entries, PR records, webhook delivery ids, notification
// deliveries and the forge outbox. Records keep their ids; compressed and
// sealed values are copied as stored (both stores use one format), so no
// encryption key is needed and sealed values stay sealed. A record already
// in s is left as it is, so copying again changes nothing. It returns the
// counts by kind, in copy order.
func (s *Store) CopyFrom(ctx context.Context, src *store.Store) ([]CopyCount, error) {
	var counts []CopyCount
	err := s.tx(ctx, func(tx pgx.Tx) error {
		c := &copier{ctx: ctx, tx: tx, index: map[string]int{}}
		if err := src.Export(ctx, c.exporter()); err != nil {
			return err
		}
		// New outbox versions must number after the copied ones.
		if _, err := tx.Exec(ctx, `SELECT setval('forge_outbox_seq', greatest(
			(SELECT max((convert_from(data, 'UTF8')::jsonb->>'seq')::bigint) FROM forge_outbox),
			(SELECT last_value FROM forge_outbox_seq), 1))`); err != nil {
			return fmt.Errorf("advance outbox sequence: %w", err)
		}
		counts = c.counts
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("copy into postgres: %w", err)
	}
	return counts, nil
}

// copier inserts exported records, counting them.
type copier struct {
	ctx    context.Context
	tx     pgx.Tx
	counts []CopyCount
	index  map[string]int
}

// insert runs an INSERT ... ON CONFLICT DO NOTHING and counts its row as
// copied or present.
func (c *copier) insert(kind, sql string, args ...any) error {
	tag, err := c.tx.Exec(c.ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("copy %s: %w", kind, mapError(err))
	}
	i, ok := c.index[kind]
	if !ok {
		i = len(c.counts)
		c.index[kind] = i
		c.counts = append(c.counts, CopyCount{Kind: kind})
	}
	if tag.RowsAffected() > 0 {
		c.counts[i].Copied++
	} else {
		c.counts[i].Present++
	}
	return nil
}

// insertJSON inserts a key-and-data row, the data v's JSON last.
func (c *copier) insertJSON(kind, sql string, v any, keys ...any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("copy %s: encode: %w", kind, err)
	}
	return c.insert(kind, sql, append(keys, data)...)
}

func (c *copier) exporter() store.Exporter {
	return store.Exporter{
		Repo: func(r store.RepoRecord) error {
			return c.insertJSON("repos", "INSERT INTO repos (name, data) VALUES ($1, $2) ON CONFLICT DO NOTHING", &r, r.Name)
		},
		Stack: func(r store.StackRecord) error {
			return c.insertJSON("stacks", "INSERT INTO stacks (repo, name, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
				&r, store.RepoKey(r.Repo), r.Name)
		},
		Run: func(r store.Run) error {
			data, err := json.Marshal(&r)
			if err != nil {
				return fmt.Errorf("copy run %s: encode: %w", r.ID, err)
			}
			return c.insert("runs", `INSERT INTO runs (id, repo, stack, status, operation, commit_id, pr, data)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
				r.ID, store.RepoKey(r.Repo), r.Stack, string(r.Status), string(r.Operation), r.Commit, r.PR, data)
		},
		Plan: func(p store.ExportedPlan) error {
			return c.insert("plans", `INSERT INTO plans (run_id, sha256, file_size, json_size, text_size, analysis_size,
					plan_json, plan_text, analysis, file)
				SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE EXISTS (SELECT 1 FROM runs WHERE id = $1)
				ON CONFLICT DO NOTHING`,
				p.RunID, p.SHA256, p.FileSize, p.JSONSize, p.TextSize, p.AnalysisSize,
				p.ZipJSON, p.ZipText, p.ZipAnalysis, p.StoredFile)
		},
		Log: func(runID string, z []byte) error {
			return c.insert("logs", `INSERT INTO logs (run_id, log) SELECT $1, $2
				WHERE EXISTS (SELECT 1 FROM runs WHERE id = $1) ON CONFLICT DO NOTHING`, runID, z)
		},
		StateVersion: func(sv store.ExportedStateVersion) error {
			return c.insert("state versions", `INSERT INTO state_versions (repo, stack, serial, record)
				VALUES ($1, $2, $3::numeric, $4) ON CONFLICT DO NOTHING`,
				store.RepoKey(sv.Repo), sv.Stack, strconv.FormatUint(sv.Serial, 10), sv.Record)
		},
		DriftStatus: func(sd store.StackDrift) error {
			return c.insertJSON("drift status", "INSERT INTO drift_status (repo, stack, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
				&sd, store.RepoKey(sd.Repo), sd.Stack)
		},
		DriftFinding: func(f store.DriftFinding) error {
			return c.insertJSON("drift findings", `INSERT INTO drift_findings (repo, stack, id, resolved, data)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, &f, store.RepoKey(f.Repo), f.Stack, f.ID, !f.Open())
		},
		Hold: func(h store.Hold) error {
			return c.insertJSON("holds", "INSERT INTO holds (repo, stack, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
				&h, store.RepoKey(h.Repo), h.Stack)
		},
		Audit: func(e store.AuditEntry) error {
			return c.insertJSON("audit entries", `INSERT INTO audit (id, repo, stack, actor, action, data)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, &e, e.ID, e.Repo, e.Stack, e.Actor, string(e.Action))
		},
		Delivery: func(d store.Delivery) error {
			return c.insertJSON("deliveries", `INSERT INTO deliveries (id, repo, stack, status, data)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, &d, d.ID, store.RepoKey(d.Repo), d.Stack, string(d.Status))
		},
		PR: func(pr store.PRRecord) error {
			return c.insertJSON("PRs", `INSERT INTO prs (repo, number, merge_commit, data)
				VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, &pr, store.RepoKey(pr.Repo), pr.Number, pr.MergeCommit)
		},
		WebhookID: func(w store.ExportedWebhookID) error {
			return c.insert("webhook ids", "INSERT INTO webhook_ids (repo, id, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
				w.Repo, w.ID, w.SeenAt)
		},
		OutboxItem: func(it store.OutboxItem) error {
			return c.insertJSON("forge outbox", "INSERT INTO forge_outbox (k, repo, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
				&it, it.Key(), store.RepoKey(it.Repo))
		},
	}
}
