package api

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/driftgate/driftgate/store"
)

// maxBodyBytes caps the size of request bodies.
const maxBodyBytes = 1 << 20

// route is one endpoint of the API.
type route struct {
	method string
	path   string
	// public routes are served without a token: the health checks only.
	public bool
	// quiet routes are logged at debug level: probes poll them.
	quiet bool
	// role is the least role a principal needs; every route that is not
	// public has one. wrap checks it next to authenticate.
	role Role
	// action names the route in the audit log, which records the
	// principals refused for their role; reads leave it empty and are
	// named by method and path.
	action store.AuditAction
	handle func(w http.ResponseWriter, r *http.Request) error
}

// server serves the API over a Service.
type server struct {
	svc    Service
	auth   Authenticator
	audit  AuditLog // nil without WithAudit
	backup Backuper // nil without WithBackup
	live   LiveLogs // nil without WithLiveLogs
	// keepAlive is how often a followed log sends a comment while quiet.
	keepAlive time.Duration
	logger    *slog.Logger
	// refusals rate-limits, per token, the refusals for role that are
	// recorded in the audit log.
	refusals *refusalLimiter
}

// Option configures NewHandler.
type Option func(*server)

// NewHandler returns the HTTP handler of the API, serving svc to the
// principals auth accepts, each route to the principals whose role is at
// least the route's (see routes), and logging each request to logger (nil
// discards logs). It panics when svc or auth is nil: serving without them
// is a wiring mistake.
func NewHandler(svc Service, auth Authenticator, logger *slog.Logger, opts ...Option) http.Handler {
	if svc == nil || auth == nil {
		panic("api.NewHandler: nil Service or Authenticator")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &server{svc: svc, auth: auth, logger: logger, refusals: newRefusalLimiter(), keepAlive: keepAliveEvery}
	for _, opt := range opts {
		opt(s)
	}
	mux := http.NewServeMux()
	methods := make(map[string][]string)
	for _, rt := range s.routes() {
		if !rt.public && !rt.role.Valid() {
			panic("api.NewHandler: route " + rt.method + " " + rt.path + " has no role")
		}
		mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
		methods[rt.path] = append(methods[rt.path], rt.method)
	}
	// A pattern without a method is less specific than the same pattern
	// with one, so these catch only the methods a path does not serve.
	for path, ms := range methods {
		mux.Handle(path, s.wrap(route{path: path, public: true, handle: methodNotAllowed(ms)}))
	}
	mux.Handle("/", s.wrap(route{path: "/", public: true, handle: notFound}))
	return mux
}

// routes lists the API's endpoints and the least role each needs:
//
//	viewer    every read: repos, stacks, runs, plans, logs, drift, state
//	          versions and their diffs, locks
//	approver  what starts or stops work: trigger a plan or a drift check,
//	          cancel a run, approve, reject or apply a run. The stack's
//	          apply policy may ask more of the principal (its approvers
//	          list, PermDestroy for destroying plans, not approving one's
//	          own run); the Service checks that and answers ErrForbidden
//	admin     the audit log, releasing a held stack, database backups
func (s *server) routes() []route {
	return []route{
		{method: http.MethodGet, path: "/healthz", public: true, quiet: true, handle: s.healthz},
		{method: http.MethodGet, path: "/readyz", public: true, quiet: true, handle: s.readyz},
		{method: http.MethodGet, path: "/api/v1/repos", role: RoleViewer, handle: s.listRepos},
		{method: http.MethodGet, path: "/api/v1/stacks", role: RoleViewer, handle: s.listStacks},
		{method: http.MethodGet, path: "/api/v1/runs", role: RoleViewer, handle: s.listRuns},
		{method: http.MethodGet, path: "/api/v1/runs/{id}", role: RoleViewer, handle: s.getRun},
		{method: http.MethodGet, path: "/api/v1/runs/{id}/plan", role: RoleViewer, handle: s.getPlan},
		{method: http.MethodGet, path: "/api/v1/runs/{id}/log", role: RoleViewer, handle: s.getLog},
		{method: http.MethodPost, path: "/api/v1/stacks/{repo}/{stack}/plan", role: RoleApprover, action: store.AuditPlan, handle: s.triggerPlan},
		{method: http.MethodPost, path: "/api/v1/runs/{id}/cancel", role: RoleApprover, action: store.AuditCancel, handle: s.cancelRun},
		{method: http.MethodGet, path: "/api/v1/drift", role: RoleViewer, handle: s.listDrift},
		{method: http.MethodGet, path: "/api/v1/stacks/{repo}/{stack}/drift", role: RoleViewer, handle: s.getStackDrift},
		{method: http.MethodPost, path: "/api/v1/stacks/{repo}/{stack}/drift-check", role: RoleApprover, action: store.AuditDriftCheck, handle: s.checkDrift},
		{method: http.MethodGet, path: "/api/v1/stacks/{repo}/{stack}/state-versions", role: RoleViewer, handle: s.listStateVersions},
		{method: http.MethodGet, path: "/api/v1/stacks/{repo}/{stack}/state-versions/{serial}", role: RoleViewer, handle: s.getStateVersion},
		{method: http.MethodGet, path: "/api/v1/stacks/{repo}/{stack}/state-diff", role: RoleViewer, handle: s.getStateDiff},
		{method: http.MethodPost, path: "/api/v1/runs/{id}/approve", role: RoleApprover, action: store.AuditApprove, handle: s.approveRun},
		{method: http.MethodPost, path: "/api/v1/runs/{id}/reject", role: RoleApprover, action: store.AuditReject, handle: s.rejectRun},
		{method: http.MethodPost, path: "/api/v1/runs/{id}/apply", role: RoleApprover, action: store.AuditApply, handle: s.applyRun},
		{method: http.MethodGet, path: "/api/v1/locks", role: RoleViewer, handle: s.listLocks},
		{method: http.MethodGet, path: "/api/v1/stacks/{repo}/{stack}/lock", role: RoleViewer, handle: s.getStackLock},
		{method: http.MethodGet, path: "/api/v1/nodes", role: RoleViewer, handle: s.listNodes},
		{method: http.MethodPost, path: "/api/v1/stacks/{repo}/{stack}/release", role: RoleAdmin, action: store.AuditRelease, handle: s.releaseStack},
		{method: http.MethodGet, path: "/api/v1/audit", role: RoleAdmin, action: store.AuditReadAudit, handle: s.listAudit},
		{method: http.MethodGet, path: "/api/v1/backup", role: RoleAdmin, handle: s.getBackup},
	}
}

// wrap serves rt: it limits the body, authenticates private routes and
// checks the principal's role (recording refusals in the audit log, at
// most refusalBurst in a row per token: more are answered 429 and counted
// in the next entry), refuses oversized path values, answers the
// handler's error, and logs the request.
func (s *server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		r.Body = http.MaxBytesReader(sw, r.Body, maxBodyBytes)
		var who string
		err := func() error {
			if rt.public {
				return rt.handle(sw, r)
			}
			p, err := s.authenticate(r)
			if err != nil {
				return err
			}
			who = p.Name
			if err := authorize(p, rt.role); err != nil {
				ok, dropped, wait := s.refusals.allow(p.Name)
				if !ok {
					return tooManyRefusals(sw, p.Name, wait)
				}
				s.recordRefusal(r, rt, p, err, dropped)
				return err
			}
			if err := checkPathValues(r); err != nil {
				return err
			}
			return rt.handle(sw, r.WithContext(withPrincipal(r.Context(), p)))
		}()
		if err != nil {
			s.writeError(sw, err)
		}
		s.logRequest(r, rt, sw.status, time.Since(start), who, err)
	})
}

// logRequest logs one served request: server errors at error level with the
// cause, unavailability at warn, quiet routes and successful reads at debug
// (CLIs and dashboards poll them), the rest at info: changes, refusals.
func (s *server) logRequest(r *http.Request, rt route, status int, took time.Duration, who string, err error) {
	level := slog.LevelInfo
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable:
		level = slog.LevelError
	case status >= 500:
		level = slog.LevelWarn
	case rt.quiet, r.Method == http.MethodGet && status < 400, r.Method == http.MethodHead && status < 400,
		status == http.StatusTooManyRequests:
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{
		slog.String(logMethod, r.Method),
		slog.String(logPath, capPath(r.URL.Path)),
		slog.Int(logStatus, status),
		slog.Duration(logDuration, took),
	}
	if who != "" {
		attrs = append(attrs, slog.String(logPrincipal, who))
	}
	if err != nil && status >= 500 {
		attrs = append(attrs, slog.String(logErr, err.Error()))
	}
	s.logger.LogAttrs(r.Context(), level, "http request", attrs...)
}

// methodNotAllowed answers 405 with the methods the path serves.
func methodNotAllowed(methods []string) func(http.ResponseWriter, *http.Request) error {
	allowed := slices.Clone(methods)
	if slices.Contains(allowed, http.MethodGet) {
		allowed = append(allowed, http.MethodHead)
	}
	slices.Sort(allowed)
	allow := strings.Join(allowed, ", ")
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Allow", allow)
		return &problem{
			status: http.StatusMethodNotAllowed,
			msg:    "method " + clip(r.Method) + " is not allowed on " + clip(r.URL.Path) + "; use " + allow,
		}
	}
}

// notFound answers 404 for paths the API does not serve.
func notFound(_ http.ResponseWriter, r *http.Request) error {
	return &problem{
		status: http.StatusNotFound,
		msg:    "no such endpoint " + clip(r.URL.Path) + "; the API is under /api/v1 (repos, stacks, runs, drift, locks, audit)",
	}
}

// statusWriter records the status written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records status and passes it on.
func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write records an implicit 200 and passes b on.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
