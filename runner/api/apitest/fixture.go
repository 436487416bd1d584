package apitest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// Token is the API token of servers made by NewServer: the admin named
// api.DefaultTokenName, as DRIFTGATE_TOKEN is.
const Token = "test-token-0123456789"

// Tokens of the other principals Auth accepts, one per role, and their
// names.
const (
	// ViewerToken is the token of Viewer, a viewer.
	ViewerToken = "test-viewer-token-0123"
	// ApproverToken is the token of Approver, an approver.
	ApproverToken = "test-approver-token-0123"
	// DestroyerToken is the token of Destroyer, an approver with the
	// destroy permission.
	DestroyerToken = "test-destroyer-token-0123"
	// AdminToken is the token of Admin, an admin.
	AdminToken = "test-admin-token-0123"

	Viewer    = "vera"
	Approver  = "alice"
	Destroyer = "dave"
	Admin     = "ada"
)

// TokenEntries are the tokens Auth accepts: Token and the role tokens, by
// their sha256 as the server config gives them.
func TokenEntries() []api.TokenEntry {
	entry := func(name string, role api.Role, token string, perms ...string) api.TokenEntry {
		sum := sha256.Sum256([]byte(token))
		return api.TokenEntry{Name: name, Role: role, SHA256: hex.EncodeToString(sum[:]), Permissions: perms}
	}
	return []api.TokenEntry{
		entry(api.DefaultTokenName, api.RoleAdmin, Token),
		entry(Viewer, api.RoleViewer, ViewerToken),
		entry(Approver, api.RoleApprover, ApproverToken),
		entry(Destroyer, api.RoleApprover, DestroyerToken, api.PermDestroy),
		entry(Admin, api.RoleAdmin, AdminToken),
	}
}

// Auth returns the Authenticator of servers made by NewServer: api.Tokens
// over TokenEntries.
func Auth() api.Authenticator {
	return api.Tokens(TokenEntries())
}

// Commits of the seeded repos.
const (
	InfraCommit    = "0123456789abcdef0123456789abcdef01234567"
	PlatformCommit = "fedcba9876543210fedcba9876543210fedcba98"
)

// PlanJSON is the redacted plan JSON stored for Fixture.Planned.
const PlanJSON = `{"format_version":"1.2","resource_changes":[{"address":"null_resource.x","change":{"actions":["create"],"after":{"password":"(sensitive)"}}}]}`

// LogText is the log stored for the finished runs of Fixture.
const LogText = "terraform init\nterraform plan\nPlan: 1 to add, 2 to change, 0 to destroy.\n"

// Fixture holds the runs Seed stores, oldest first.
type Fixture struct {
	// Planned is infra/network, planned with changes, plan and log.
	Planned store.Run
	// NoChanges is infra/database, planned without changes.
	NoChanges store.Run
	// Errored is platform/dns, which failed.
	Errored store.Run
	// Running is infra/network, under way.
	Running store.Run
	// Queued is infra/database, waiting for a worker.
	Queued store.Run
}

// Seed stores two repos (infra, synced; platform, failing to sync), three
// stacks and five runs (see Fixture) in st.
func Seed(tb testing.TB, st *store.Store) Fixture {
	tb.Helper()
	return seed(tb, st, true)
}

// SeedFinished is Seed without the running and queued runs, for a store a
// running daemon serves: it would start a queued run.
func SeedFinished(tb testing.TB, st *store.Store) Fixture {
	tb.Helper()
	return seed(tb, st, false)
}

func seed(tb testing.TB, st *store.Store, active bool) Fixture {
	tb.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("seed %s: %v", what, err)
		}
	}
	must("repo infra", st.PutRepo(ctx, &store.RepoRecord{
		Name: "infra", URL: "https://git.example.com/acme/infra.git", Branch: "main",
		LastCommit: InfraCommit, Status: "synced",
	}))
	must("repo platform", st.PutRepo(ctx, &store.RepoRecord{
		Name: "platform", URL: "https://git.example.com/acme/platform.git", Branch: "release",
		LastCommit: PlatformCommit, Status: "error",
		LastError: "fetch origin: authentication required: the token in PLATFORM_GIT_TOKEN was rejected by git.example.com " + strings.Repeat("x", 40),
	}))
	for _, s := range []store.StackRecord{
		{Repo: "infra", Name: "network", Dir: "envs/prod/network"},
		{Repo: "infra", Name: "database", Dir: "envs/prod/database"},
		{Repo: "platform", Name: "dns", Dir: "dns"},
	} {
		must("stack "+s.Name, st.PutStack(ctx, &s))
	}

	now := time.Now().UTC()
	create := func(r store.Run, age time.Duration) store.Run {
		tb.Helper()
		r.Operation = "plan"
		r.CreatedAt = now.Add(-age)
		must("run "+r.Stack, st.CreateRun(ctx, &r))
		return r
	}
	finish := func(r *store.Run, status store.RunStatus, took time.Duration, plan *store.Plan) {
		tb.Helper()
		r.Status = status
		r.StartedAt = r.CreatedAt.Add(time.Second)
		r.FinishedAt = r.StartedAt.Add(took)
		r.TerraformVersion = "1.11.4"
		must("finish run "+r.Stack, st.FinishRun(ctx, r, plan, []byte(LogText)))
	}

	var f Fixture
	f.Planned = create(store.Run{Repo: "infra", Stack: "network", Dir: "envs/prod/network", Commit: InfraCommit, Trigger: "commit"}, 3*time.Hour)
	f.Planned.Summary = &store.PlanSummary{Add: 1, Change: 2, Drifted: 1, HasChanges: true}
	finish(&f.Planned, store.StatusPlanned, 63*time.Second, &store.Plan{JSON: []byte(PlanJSON), Text: []byte("plan text")})

	f.NoChanges = create(store.Run{Repo: "infra", Stack: "database", Dir: "envs/prod/database", Commit: InfraCommit, Trigger: "schedule"}, 2*time.Hour)
	f.NoChanges.Summary = &store.PlanSummary{}
	finish(&f.NoChanges, store.StatusNoChanges, 20*time.Second, &store.Plan{JSON: []byte(`{"format_version":"1.2"}`)})

	f.Errored = create(store.Run{Repo: "platform", Stack: "dns", Dir: "dns", Commit: PlatformCommit, Trigger: "manual"}, 90*time.Minute)
	f.Errored.Error = "terraform init: Error: Failed to query available provider packages\n\nCould not retrieve the list of available versions for provider acme/dns."
	finish(&f.Errored, store.StatusErrored, 5*time.Second, nil)

	if !active {
		return f
	}
	f.Running = create(store.Run{Repo: "infra", Stack: "network", Dir: "envs/prod/network", Commit: InfraCommit, Trigger: "manual", Status: store.StatusRunning}, 2*time.Minute)
	f.Queued = create(store.Run{Repo: "infra", Stack: "database", Dir: "envs/prod/database", Commit: InfraCommit, Trigger: "commit"}, 30*time.Second)
	return f
}

// SeedAudit appends to st's audit log, oldest first: Approver's plan of
// infra/network (fx.Planned), Viewer refused a cancel of fx.Running,
// driftgate's drift check of infra/database, and Admin's cancel of
// fx.Queued. It returns the entries as stored, oldest first.
func SeedAudit(tb testing.TB, st *store.Store, fx Fixture) []store.AuditEntry {
	tb.Helper()
	var out []store.AuditEntry
	for _, e := range []store.AuditEntry{
		{Actor: Approver, Action: store.AuditPlan, Repo: "infra", Stack: "network", RunID: fx.Planned.ID, Result: store.AuditOK},
		{Actor: Viewer, Action: store.AuditCancel, RunID: fx.Running.ID, Result: store.AuditRefused,
			Detail: `token "vera" has role viewer; this needs approver`},
		{Actor: store.AuditActor, Action: store.AuditDriftCheck, Repo: "infra", Stack: "database", RunID: fx.NoChanges.ID, Result: store.AuditOK},
		{Actor: Admin, Action: store.AuditCancel, Repo: "infra", Stack: "database", RunID: fx.Queued.ID, Result: store.AuditOK},
	} {
		if err := st.AppendAudit(context.Background(), &e); err != nil {
			tb.Fatalf("seed audit %s by %s: %v", e.Action, e.Actor, err)
		}
		out = append(out, e)
	}
	return out
}

// NewServer starts an httptest server serving api.NewHandler over svc with
// Auth (so Token is the admin "default") and opts, closed at cleanup.
func NewServer(tb testing.TB, svc api.Service, opts ...api.Option) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(api.NewHandler(svc, Auth(), nil, opts...))
	tb.Cleanup(srv.Close)
	return srv
}
