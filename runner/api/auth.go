package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Role is what a principal may do. Roles are ordered: an approver may do
// what a viewer may, an admin what an approver may.
type Role string

// Roles.
const (
	// RoleViewer may read repos, stacks, runs, plans, logs and drift.
	RoleViewer Role = "viewer"
	// RoleApprover may also trigger plans and drift checks, cancel runs,
	// and approve or reject plans for apply.
	RoleApprover Role = "approver"
	// RoleAdmin may do everything, and holds every permission.
	RoleAdmin Role = "admin"
)

// Valid reports whether r is one of the declared roles.
func (r Role) Valid() bool {
	return r.rank() > 0
}

// rank orders the roles; 0 is an unknown role.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleApprover:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// AtLeast reports whether r may do what role need may. An unknown role is at
// least nothing, and nothing is at least an unknown role.
func (r Role) AtLeast(need Role) bool {
	return r.rank() > 0 && need.rank() > 0 && r.rank() >= need.rank()
}

// Permissions a token may hold on top of its role.
const (
	// PermDestroy lets an approver approve plans that delete or replace
	// resources in stacks whose apply policy does not allow_destroy.
	PermDestroy = "destroy"
)

// PermissionRole returns the lowest role that a permission means anything
// for (a viewer approves nothing, so it cannot use PermDestroy), and false
// for an unknown permission.
func PermissionRole(perm string) (Role, bool) {
	switch perm {
	case PermDestroy:
		return RoleApprover, true
	}
	return "", false
}

// Permissions lists the known permissions, sorted.
func Permissions() []string {
	return []string{PermDestroy}
}

// Principal is the authenticated caller of a request.
type Principal struct {
	// Name identifies the caller in logs, run records and the audit log.
	Name string
	// Role is what the caller may do.
	Role Role
	// Permissions are what the caller may do beyond its role.
	Permissions []string
}

// Can reports whether p holds perm: an admin holds every permission;
// anyone else holds the permissions given to it, when its role is high
// enough for them to mean anything (see PermissionRole).
func (p Principal) Can(perm string) bool {
	if p.Role == RoleAdmin {
		return true
	}
	need, known := PermissionRole(perm)
	return known && p.Role.AtLeast(need) && slices.Contains(p.Permissions, perm)
}

// Authenticator maps a bearer token to the principal it belongs to. It
// reports false for unknown tokens. Implementations must not log tokens.
type Authenticator interface {
	Authenticate(token string) (Principal, bool)
}

// DefaultTokenName is the name of the principal of StaticToken, the single
// admin token of DRIFTGATE_TOKEN or token_file.
const DefaultTokenName = "default"

// TokenEntry is one API token as configured: never the token itself, only
// its sha256.
type TokenEntry struct {
	// Name identifies the token's holder.
	Name string
	// Role is what the holder may do.
	Role Role
	// SHA256 is the sha256 of the token, 64 lowercase or uppercase hex
	// digits.
	SHA256 string
	// Permissions are extra permissions (such as PermDestroy).
	Permissions []string
}

// tokens accepts the configured tokens.
type tokens struct {
	entries []tokenEntry
}

// tokenEntry is a TokenEntry with its hash decoded.
type tokenEntry struct {
	sum   [sha256.Size]byte
	valid int // 1 when sum holds a hash, 0 when the entry can match nothing
	p     Principal
}

// Tokens returns an Authenticator that accepts the tokens whose sha256 is
// listed, as the principal of their entry. The presented token is hashed
// and compared with every entry in constant time, the whole list whatever
// matches, so neither which entry matched nor how much of a hash did leaks
// through timing. An entry whose SHA256 is not 64 hex digits matches
// nothing (the config loader refuses it first), and an empty token is
// never accepted. When two entries have the same hash the last one wins;
// the config loader refuses that too.
func Tokens(list []TokenEntry) Authenticator {
	t := tokens{entries: make([]tokenEntry, len(list))}
	for i, e := range list {
		te := tokenEntry{p: Principal{Name: e.Name, Role: e.Role, Permissions: slices.Clone(e.Permissions)}}
		if b, err := hex.DecodeString(e.SHA256); err == nil && len(b) == sha256.Size {
			copy(te.sum[:], b)
			te.valid = 1
		}
		t.entries[i] = te
	}
	return t
}

// Authenticate implements Authenticator.
func (t tokens) Authenticate(token string) (Principal, bool) {
	got := sha256.Sum256([]byte(token))
	match := -1
	for i := range t.entries {
		e := &t.entries[i]
		eq := subtle.ConstantTimeCompare(got[:], e.sum[:]) & e.valid
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 || token == "" {
		return Principal{}, false
	}
	p := t.entries[match].p
	p.Permissions = slices.Clone(p.Permissions)
	return p, true
}

// StaticToken returns an Authenticator that accepts exactly token, as the
// admin principal named DefaultTokenName. It is Tokens with one entry, the
// token's sha256. An empty token accepts nothing.
func StaticToken(token string) Authenticator {
	if token == "" {
		return Tokens(nil)
	}
	sum := sha256.Sum256([]byte(token))
	return Tokens([]TokenEntry{{Name: DefaultTokenName, Role: RoleAdmin, SHA256: hex.EncodeToString(sum[:])}})
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

// authorize checks that p may use a route that needs role need, and returns
// a 403 problem naming the token, its role and the role needed if not.
func authorize(p Principal, need Role) error {
	if p.Role.AtLeast(need) {
		return nil
	}
	role := string(p.Role)
	if !p.Role.Valid() {
		role = fmt.Sprintf("%q, which is not a role", p.Role)
	}
	return &problem{
		status: http.StatusForbidden,
		msg:    fmt.Sprintf("token %q has role %s; this needs %s", p.Name, role, need),
	}
}
