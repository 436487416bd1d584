package ui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/driftgate/driftgate/runner/api"
)

// cookieName is the session cookie's name.
const cookieName = "driftgate_session"

// session is one sign-in. The token stays in the server's memory only:
// every request authenticates it again, so a token removed from the config
// ends its sessions at once, and the UI's changes go to the API with it.
type session struct {
	token   string
	csrf    string
	expires time.Time
}

// sessions is the server-side session store, by session id.
type sessions struct {
	mu  sync.Mutex
	m   map[string]session
	now func() time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{m: map[string]session{}, now: now}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return hex.EncodeToString(b)
}

// create starts a session for token lasting ttl and returns its id.
func (s *sessions) create(token string, ttl time.Duration) (string, session) {
	id := randomHex(32)
	se := session{token: token, csrf: randomHex(32), expires: s.now().Add(ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range s.m {
		if !now.Before(v.expires) {
			delete(s.m, k)
		}
	}
	s.m[id] = se
	return id, se
}

// get returns the live session id, dropping it when expired.
func (s *sessions) get(id string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	se, ok := s.m[id]
	if ok && !s.now().Before(se.expires) {
		delete(s.m, id)
		return session{}, false
	}
	return se, ok
}

// drop ends session id.
func (s *sessions) drop(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// visitor is the signed-in caller of a page.
type visitor struct {
	id string
	session
	p api.Principal
}

// current returns the request's session and its principal. A session whose
// token no longer authenticates (removed from the config) is dropped.
func (s *server) current(r *http.Request) (visitor, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return visitor{}, false
	}
	se, ok := s.sessions.get(c.Value)
	if !ok {
		return visitor{}, false
	}
	p, ok := s.auth.Authenticate(se.token)
	if !ok {
		s.sessions.drop(c.Value)
		return visitor{}, false
	}
	return visitor{id: c.Value, session: se, p: p}, true
}

// visitorKey is the context key of the page's visitor.
type visitorKey struct{}

// signedIn serves h to signed-in visitors, with the principal in the
// context as the API would set it, and sends the others to /login. A POST
// must carry the session's CSRF token in the form field csrf.
func (s *server) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.current(r)
		if !ok {
			if r.Method != http.MethodGet {
				s.fail(w, r, visitor{}, http.StatusUnauthorized, "you are not signed in (or your session ended): sign in again at /login")
				return
			}
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			got := r.PostFormValue("csrf")
			if subtle.ConstantTimeCompare([]byte(got), []byte(v.csrf)) != 1 {
				s.fail(w, r, v, http.StatusForbidden, "the form's CSRF token is missing or stale: reload the page and try again")
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), visitorKey{}, v)))
	}
}

// visitorOf returns the visitor signedIn put in r's context.
func visitorOf(r *http.Request) visitor {
	v, _ := r.Context().Value(visitorKey{}).(visitor)
	return v
}

// loginForm shows the sign-in form.
func (s *server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", visitor{}, map[string]any{"Next": safeNext(r.URL.Query().Get("next"))})
}

// login checks the token posted in the field token and starts a session.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	token := r.PostFormValue("token")
	next := safeNext(r.PostFormValue("next"))
	if _, ok := s.auth.Authenticate(token); !ok {
		s.logger.Info("ui sign-in refused", "remote", r.RemoteAddr)
		s.render(w, r, http.StatusUnauthorized, "login", visitor{}, map[string]any{
			"Next": next, "Error": "That token is not valid: paste an API token configured on this driftgate server.",
		})
		return
	}
	id, _ := s.sessions.create(token, s.cfg.SessionTTL)
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: id, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookie,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.cfg.SessionTTL / time.Second),
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	s.sessions.drop(visitorOf(r).id)
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: "", Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookie,
		SameSite: http.SameSiteStrictMode, MaxAge: -1,
	})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in destination on this site.
func safeNext(next string) string {
	if len(next) < 1 || next[0] != '/' || (len(next) > 1 && (next[1] == '/' || next[1] == '\\')) {
		return "/"
	}
	return next
}

// sessionForAPI lets the browser call the API's GET routes (the run log
// stream, runs) with its session cookie: a GET or HEAD request without an
// Authorization header but with a live session is passed on with the
// session's token as its bearer token, so the API authenticates and
// authorizes it as usual. Other methods are passed on untouched: changes
// need the token itself, never an ambient cookie.
func (s *server) sessionForAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.Header.Get("Authorization") == "" {
			if v, ok := s.current(r); ok {
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer "+v.token)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// urlQueryEscape is url.QueryEscape.
func urlQueryEscape(s string) string { return url.QueryEscape(s) }
