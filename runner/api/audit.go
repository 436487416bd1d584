package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// AuditLog is the append-only audit log: the handler serves it at GET
// /api/v1/audit and records in it the requests it refuses for the
// principal's role, which never reach the Service. What the Service does
// or refuses, it records itself. *store.Store implements AuditLog.
type AuditLog interface {
	// ListAudit returns the entries matching f, newest first, and the
	// cursor of the next page ("" when there is none). A malformed cursor
	// wraps store.ErrInvalid.
	ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, string, error)
	// AppendAudit appends e, assigning its ID and Time.
	AppendAudit(ctx context.Context, e *store.AuditEntry) error
}

// WithAudit makes NewHandler serve a at GET /api/v1/audit (to admins) and
// record there every request refused for the principal's role. Without
// it, GET /api/v1/audit answers 404 and refusals are only logged.
func WithAudit(a AuditLog) Option {
	return func(s *server) { s.audit = a }
}

// auditParams are the query parameters GET /api/v1/audit accepts.
var auditParams = []string{"repo", "stack", "actor", "action", "limit", "cursor"}

// listAudit answers a page of the audit log, newest first.
func (s *server) listAudit(w http.ResponseWriter, r *http.Request) error {
	f, err := parseAuditFilter(r.URL.RawQuery)
	if err != nil {
		return err
	}
	if s.audit == nil {
		return &problem{status: http.StatusNotFound, msg: "this driftgate server keeps no audit log"}
	}
	entries, next, err := s.audit.ListAudit(r.Context(), storeAuditFilter(f))
	if err != nil {
		return explain(err, "audit log", Hint{
			API: "page it with the next_cursor of the previous answer",
			CLI: "page it with the --cursor the previous page printed",
		})
	}
	s.writeJSON(w, http.StatusOK, apiv1.AuditPage{Entries: wireAudit(entries), NextCursor: next})
	return nil
}

// parseAuditFilter parses the query string of GET /api/v1/audit. The limit
// is a whole number from 1 to apiv1.MaxListLimit; empty values are unset;
// other values are matched exactly. Errors are 400 problems.
func parseAuditFilter(rawQuery string) (apiv1.AuditFilter, error) {
	q, err := parseQuery("/api/v1/audit", rawQuery, auditParams)
	if err != nil {
		return apiv1.AuditFilter{}, err
	}
	f := apiv1.AuditFilter{
		Repo: q["repo"], Stack: q["stack"], Actor: q["actor"],
		Action: apiv1.AuditAction(q["action"]), Cursor: q["cursor"],
	}
	if s := q["limit"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > apiv1.MaxListLimit {
			return apiv1.AuditFilter{}, badRequest("limit %s is not a whole number from 1 to %d", quote(s), apiv1.MaxListLimit)
		}
		f.Limit = n
	}
	return f, nil
}

// recordRefusal appends to the audit log that p was refused rt for its
// role (refusal, a 403 problem), noting how many refusals of p's were
// rate-limited since the last entry (dropped). The store caps what the
// entry keeps of the request. The entry is written even when the client
// has gone away; a failure to write it is logged.
func (s *server) recordRefusal(r *http.Request, rt route, p Principal, refusal error, dropped int) {
	if s.audit == nil {
		return
	}
	action := rt.action
	if action == "" {
		action = store.AuditAction(rt.method + " " + rt.path)
	}
	e := &store.AuditEntry{
		Actor: p.Name, Action: action,
		Repo: r.PathValue("repo"), Stack: r.PathValue("stack"), RunID: r.PathValue("id"),
		Result: store.AuditRefused, Detail: refusal.Error(),
	}
	if dropped > 0 {
		e.Detail += fmt.Sprintf(" (and %d more refusals of this token, rate-limited, were not recorded one by one)", dropped)
	}
	ctx := context.WithoutCancel(r.Context())
	if err := s.audit.AppendAudit(ctx, e); err != nil {
		s.logger.LogAttrs(ctx, slog.LevelError, "record a refusal in the audit log",
			slog.String(logPrincipal, p.Name), slog.String(logPath, capPath(r.URL.Path)), slog.String(logErr, err.Error()))
	}
}
