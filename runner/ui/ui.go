// Package ui serves driftgate's web UI: server-rendered pages over the
// same api.Service the HTTP API serves, signed in with an API token and
// kept signed in by a server-side session. Every change a page makes goes
// through the API handler in-process, with the session's token, so the
// API's role checks, the Service's rules and the audit log apply to the UI
// exactly as to any client.
package ui

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/driftgate/driftgate/runner/api"
)

// DefaultSessionTTL is how long a session lasts when Config.SessionTTL is
// zero.
const DefaultSessionTTL = 12 * time.Hour

// Config configures the UI. Its zero value serves the UI with the default
// session lifetime and cookies without Secure.
type Config struct {
	// Disabled turns the UI off: only the API is served.
	Disabled bool
	// SessionTTL is how long a sign-in lasts; 0 is DefaultSessionTTL.
	SessionTTL time.Duration
	// SecureCookie marks the session cookie Secure (the server's public
	// URL is https).
	SecureCookie bool
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// server is the UI.
type server struct {
	cfg      Config
	svc      api.Service
	auth     api.Authenticator
	apiH     http.Handler
	sessions *sessions
	pages    map[string]*template.Template
	logger   *slog.Logger
	now      func() time.Time
}

// Handler returns apiHandler with the UI served next to it: the pages at
// /, /login, /stacks/..., /runs/..., /audit and /static/, and every other
// path by apiHandler as before, which also accepts a UI session's cookie on GET requests so the
// browser can read logs and runs. With cfg.Disabled it returns apiHandler.
func Handler(cfg Config, svc api.Service, auth api.Authenticator, apiHandler http.Handler, logger *slog.Logger) http.Handler {
	if cfg.Disabled {
		return apiHandler
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &server{cfg: cfg, svc: svc, auth: auth, apiH: apiHandler, logger: logger, now: time.Now}
	s.sessions = newSessions(s.now)
	s.pages = parsePages()
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic("ui: embedded static files: " + err.Error())
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", s.sessionForAPI(apiHandler))
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.signedIn(s.logout))
	mux.HandleFunc("GET /{$}", s.signedIn(s.overview))
	mux.HandleFunc("GET /stacks/{repo}/{stack}", s.signedIn(s.stackPage))
	mux.HandleFunc("GET /runs/{id}", s.signedIn(s.runPage))
	mux.HandleFunc("GET /audit", s.signedIn(s.auditPage))
	mux.HandleFunc("POST /runs/{id}/{action}", s.signedIn(s.runAction))
	mux.HandleFunc("POST /stacks/{repo}/{stack}/{action}", s.signedIn(s.stackAction))
	// Every other path is the API handler's: the health checks, and
	// whatever it serves besides (its 404 names the API's routes).
	mux.Handle("/", apiHandler)
	return securityHeaders(mux)
}

// securityHeaders sets the headers every UI answer carries; API answers
// get them too, harmlessly.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		}
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}
