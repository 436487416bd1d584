package apitest

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/driftgate/driftgate/store"
)

// AcceptRule is the drift rule that accepted DriftFixture.Accepted.
const AcceptRule = "ignore_drift aws_security_group.* tags"

// DriftFixture holds what SeedDrift stores besides the drift records.
type DriftFixture struct {
	// Check is a scheduled drift check of infra/network that finished
	// ten minutes ago, planned: infra/network is drifted with one open
	// finding (Web) and one accepted (Accepted).
	Check store.Run
	// Web is aws_instance.web, changed out of band: instance_type
	// "t3.small" -> "t3.large", tags gained owner, user_data is sensitive.
	// First seen three hours ago by Fixture.Planned.
	Web store.DriftFinding
	// Accepted is aws_security_group.web, changed out of band and accepted
	// by AcceptRule; first seen an hour ago.
	Accepted store.DriftFinding
	// Resolved are infra/network's resolved findings, newest first:
	// aws_route53_record.www (resolved by Check) and aws_s3_bucket.logs
	// (deleted, resolved a day ago).
	Resolved []store.DriftFinding
}

// SeedDrift stores drift records over Seed's fixture fx: infra/network
// drifted (see DriftFixture), infra/database in sync (fx.NoChanges),
// platform/dns errored (fx.Errored), and a new stack platform/cdn never
// checked, so unknown, in st.
func SeedDrift(tb testing.TB, st *store.Store, fx Fixture) DriftFixture {
	tb.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("seed drift %s: %v", what, err)
		}
	}
	must("stack cdn", st.PutStack(ctx, &store.StackRecord{Repo: "platform", Name: "cdn", Dir: "cdn"}))

	now := time.Now().UTC()
	var d DriftFixture
	d.Check = store.Run{
		Repo: "infra", Stack: "network", Dir: "envs/prod/network", Commit: InfraCommit,
		Trigger: "schedule", Operation: store.OperationDrift, CreatedAt: now.Add(-11 * time.Minute),
	}
	must("check run", st.CreateRun(ctx, &d.Check))
	d.Check.Status = store.StatusPlanned
	d.Check.StartedAt = d.Check.CreatedAt.Add(time.Second)
	d.Check.FinishedAt = now.Add(-10 * time.Minute)
	d.Check.TerraformVersion = "1.11.4"
	d.Check.Summary = &store.PlanSummary{Change: 1, Drifted: 3, HasChanges: true}
	must("finish check run", st.FinishRun(ctx, &d.Check, nil, []byte(LogText)))
	checked := d.Check.FinishedAt

	finding := func(address, kind string, firstSeen time.Time, attrs ...store.DriftAttribute) store.DriftFinding {
		return store.DriftFinding{
			ID:   ulid.MustNew(ulid.Timestamp(firstSeen), rand.Reader).String(),
			Repo: "infra", Stack: "network", Address: address, Kind: kind, Cause: "out_of_band",
			Attributes: attrs, FirstSeen: firstSeen, LastSeen: checked,
			FirstRun: fx.Planned.ID, LastRun: d.Check.ID,
		}
	}
	d.Web = finding("aws_instance.web", "changed", fx.Planned.FinishedAt,
		store.DriftAttribute{Path: "instance_type", Before: "t3.small", After: "t3.large"},
		store.DriftAttribute{Path: "tags", Before: map[string]any{"env": "prod"}, After: map[string]any{"env": "prod", "owner": "ops"}},
		store.DriftAttribute{Path: "user_data", Before: "(sensitive value)", After: "(sensitive value)", Sensitive: true},
	)
	d.Accepted = finding("aws_security_group.web", "changed", now.Add(-time.Hour),
		store.DriftAttribute{Path: "tags.team", Before: nil, After: "edge"})
	d.Accepted.Accepted, d.Accepted.Rule, d.Accepted.FirstRun = true, AcceptRule, d.Check.ID
	www := finding("aws_route53_record.www", "changed", now.Add(-5*time.Hour),
		store.DriftAttribute{Path: "ttl", Before: 300.0, After: 60.0})
	www.ResolvedAt = checked
	logs := finding("aws_s3_bucket.logs", "deleted", now.Add(-48*time.Hour))
	logs.LastSeen, logs.ResolvedAt, logs.FirstRun, logs.LastRun = now.Add(-25*time.Hour), now.Add(-24*time.Hour), "", ""
	d.Resolved = []store.DriftFinding{www, logs}

	must("infra/network", st.RecordDriftCheck(ctx, &store.StackDrift{
		Repo: "infra", Stack: "network", Status: store.DriftDrifted, CheckedAt: checked,
		RunID: d.Check.ID, Commit: d.Check.Commit, Open: 1, Accepted: 1,
	}, []store.DriftFinding{logs, www, d.Web, d.Accepted}))
	must("infra/database", st.RecordDriftCheck(ctx, &store.StackDrift{
		Repo: "infra", Stack: "database", Status: store.DriftInSync, CheckedAt: fx.NoChanges.FinishedAt,
		RunID: fx.NoChanges.ID, Commit: fx.NoChanges.Commit,
	}, nil))
	must("platform/dns", st.RecordDriftCheck(ctx, &store.StackDrift{
		Repo: "platform", Stack: "dns", Status: store.DriftErrored, CheckedAt: fx.Errored.FinishedAt,
		RunID: fx.Errored.ID, Commit: fx.Errored.Commit, Error: fx.Errored.Error,
	}, nil))
	return d
}
