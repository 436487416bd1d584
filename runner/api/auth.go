package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Role is what a principal may do. Roles are ordered: an approver may do
// what a viewer may, an admin what an approver may.
type Role string

// Roles.
const (
	// RoleViewer may read repos, stacks, runs, plans and logs.
	RoleViewer Role = "viewer"
	// RoleApprover may also approve plans for apply.
	RoleApprover Role = "approver"
	// RoleAdmin may do everything.
	RoleAdmin Role = "admin"
)

// Valid reports whether r is one of the declared roles.
func (r Role) Valid() bool {
	switch r {
	case RoleViewer, RoleApprover, RoleAdmin:
		return true
	}
	return false
}

// Principal is the authenticated caller of a request.
type Principal struct {
	// Name identifies the caller in logs and run records.
	Name string
	// Role is what the caller may do.
	Role Role
}

// Authenticator maps a bearer token to the principal it belongs to. It
// reports false for unknown tokens. Implementations must not log tokens.
type Authenticator interface {
	Authenticate(token string) (Principal, bool)
}

// staticToken accepts one configured token.
type staticToken struct {
	sum [sha256.Size]byte
	set bool
}

// StaticToken returns an Authenticator that accepts exactly token, as the
// admin principal named "default". Both sides are hashed with sha256 before
// a constant-time comparison, so neither the token's bytes nor its length
// leak through timing. An empty token accepts nothing.
func StaticToken(token string) Authenticator {
	return staticToken{sum: sha256.Sum256([]byte(token)), set: token != ""}
}

// Authenticate implements Authenticator.
func (a staticToken) Authenticate(token string) (Principal, bool) {
	got := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(got[:], a.sum[:]) != 1 || !a.set {
		return Principal{}, false
	}
	return Principal{Name: "default", Role: RoleAdmin}, true
}

// principalKey is the context key of the request's Principal.
type principalKey struct{}

// withPrincipal returns ctx carrying p.
func withPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal that authenticated the request
// whose context is ctx, so a Service can record who triggered or canceled a
// run. It reports false outside an authenticated request.
func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// authenticate checks the request's bearer token and returns its principal,
// or a 401 problem. The token never appears in the problem or in logs.
func (s *server) authenticate(r *http.Request) (Principal, error) {
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		return Principal{}, &problem{
			status: http.StatusUnauthorized,
			msg:    "missing bearer token: send the header `Authorization: Bearer <token>` with the driftgate API token",
		}
	}
	p, ok := s.auth.Authenticate(token)
	if !ok {
		return Principal{}, &problem{
			status: http.StatusUnauthorized,
			msg:    "invalid token: use the API token configured on the driftgate server",
		}
	}
	return p, nil
}

// bearerToken extracts the token of an `Authorization: Bearer <token>`
// header value. The scheme is case-insensitive (RFC 9110).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
