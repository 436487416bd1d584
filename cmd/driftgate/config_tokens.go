package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/driftgate/driftgate/runner/api"
)

// TokenConfig is one API token of the server config: its holder's name,
// role and extra permissions, and the sha256 of the token. The token itself
// is never in the config.
type TokenConfig struct {
	Name string
	Role api.Role
	// SHA256 is the hex sha256 of the token, 64 lowercase digits.
	SHA256      string
	Permissions []string
}

// tokenBlock is one `token "NAME" { ... }` block as written. secret and
// token are there only to be refused with advice: secrets are never
// inline.
type tokenBlock struct {
	Name        string    `hcl:"name,label"`
	Role        *string   `hcl:"role,optional"`
	SHA256      *string   `hcl:"sha256,optional"`
	Permissions []string  `hcl:"permissions,optional"`
	Secret      *string   `hcl:"secret,optional"`
	Token       *string   `hcl:"token,optional"`
	Body        hcl.Body  `hcl:",body"`
	DefRange    hcl.Range `hcl:",def_range"`
}

// sha256Hint says how to write a token block's sha256.
const sha256Hint = `Compute it with: printf %s "$TOKEN" | sha256sum (and keep the 64 hex digits before the "-").`

var (
	// tokenSHA256 is what a token block's sha256 must look like.
	tokenSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// emptySHA256 is the sha256 of the empty string: no token hashes to it.
	emptySHA256 = func() string { s := sha256.Sum256(nil); return hex.EncodeToString(s[:]) }()
)

// decodeTokenBlocks decodes the token blocks into cfg.Tokens: unique names
// (api.DefaultTokenName is reserved for DRIFTGATE_TOKEN and token_file),
// valid roles, well-formed and unique hashes, known permissions that the
// role can use.
func decodeTokenBlocks(blocks []tokenBlock, cfg *Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	hashes := map[string]string{}
	for _, tb := range blocks {
		if first, dup := seen[tb.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate token name",
				Detail:   fmt.Sprintf("A token named %q is already defined at %s. Give each token block a unique name: it is who the audit log says acted.", tb.Name, first),
				Subject:  tb.DefRange.Ptr(),
			})
			continue
		}
		seen[tb.Name] = tb.DefRange
		t, more := decodeToken(tb)
		diags = append(diags, more...)
		if t.SHA256 != "" {
			if other, dup := hashes[t.SHA256]; dup {
				diags = append(diags, attrError(tb.Body, "sha256", "Duplicate token",
					fmt.Sprintf("Token %q has the same sha256 as token %q, so both would be the same token. Give each holder a token of their own.", tb.Name, other)))
			}
			hashes[t.SHA256] = tb.Name
		}
		cfg.Tokens = append(cfg.Tokens, t)
	}
	return diags
}

func decodeToken(tb tokenBlock) (TokenConfig, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	t := TokenConfig{Name: tb.Name, Permissions: tb.Permissions}
	switch {
	case tb.Name == api.DefaultTokenName:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Reserved token name",
			Detail:   fmt.Sprintf("%q names the admin token given by DRIFTGATE_TOKEN or token_file. Give this token another name, such as the name of the person or system holding it.", tb.Name),
			Subject:  tb.DefRange.Ptr(),
		})
	case !repoName.MatchString(tb.Name):
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid token name",
			Detail:   fmt.Sprintf("%q is not a valid token name. Use letters, digits, '.', '_' and '-', starting with a letter or digit, such as \"alice\" or \"ci-bot\".", tb.Name),
			Subject:  tb.DefRange.Ptr(),
		})
	}
	for _, inline := range []struct {
		attr  string
		value *string
	}{{"secret", tb.Secret}, {"token", tb.Token}} {
		if inline.value != nil {
			diags = append(diags, attrError(tb.Body, inline.attr, "Secrets are never inline",
				fmt.Sprintf("A token block holds the sha256 of the API token, never the token. Remove %s and set sha256 instead. %s", inline.attr, sha256Hint)))
		}
	}
	roleHint := fmt.Sprintf("Use %q, %q or %q.", api.RoleViewer, api.RoleApprover, api.RoleAdmin)
	switch {
	case tb.Role == nil:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing token role",
			Detail:   fmt.Sprintf("Set role: what the token's holder may do. %s A viewer reads; an approver also triggers plans and drift checks, cancels runs and approves plans; an admin may do everything.", roleHint),
			Subject:  tb.DefRange.Ptr(),
		})
	case !api.Role(*tb.Role).Valid():
		diags = append(diags, attrError(tb.Body, "role", "Invalid token role",
			fmt.Sprintf("%q is not a role. %s", *tb.Role, roleHint)))
	default:
		t.Role = api.Role(*tb.Role)
	}
	if tb.SHA256 == nil {
		if tb.Secret == nil && tb.Token == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing token sha256",
				Detail:   "Set sha256 to the sha256 of the API token, in hex. " + sha256Hint,
				Subject:  tb.DefRange.Ptr(),
			})
		}
	} else if d := checkSHA256(tb.Body, *tb.SHA256); d != nil {
		diags = append(diags, d)
	} else {
		t.SHA256 = *tb.SHA256
	}
	diags = append(diags, checkPermissions(tb.Body, t.Role, tb.Permissions)...)
	return t, diags
}

// checkSHA256 checks a token block's sha256. Its messages never quote the
// value: it may be the token itself, written by mistake.
func checkSHA256(body hcl.Body, sum string) *hcl.Diagnostic {
	fields := strings.Fields(sum)
	switch {
	case strings.TrimSpace(sum) == "":
		return attrError(body, "sha256", "Empty sha256", "Set sha256 to the sha256 of the API token, in hex. "+sha256Hint)
	case len(fields) == 2 && fields[1] == "-" && tokenSHA256.MatchString(fields[0]):
		return attrError(body, "sha256", "Invalid sha256",
			`This is sha256sum's whole output. Keep only the 64 hex digits, without the "  -" after them.`)
	case tokenSHA256.MatchString(strings.ToLower(sum)) && !tokenSHA256.MatchString(sum):
		return attrError(body, "sha256", "Invalid sha256", "Write the sha256 in lowercase hex, as sha256sum prints it.")
	case !tokenSHA256.MatchString(sum):
		return attrError(body, "sha256", "Invalid sha256",
			fmt.Sprintf("sha256 must be 64 lowercase hex digits (this has %d characters): the sha256 of the API token, never the token itself. %s", len(sum), sha256Hint))
	case sum == emptySHA256:
		return attrError(body, "sha256", "Invalid sha256",
			`This is the sha256 of an empty token, which would let anyone in. Hash the token itself: printf %s "$TOKEN" | sha256sum, with TOKEN set.`)
	}
	return nil
}

// checkPermissions checks a token block's permissions: known, listed once,
// and meaningful for role (a viewer approves nothing, so it cannot use
// destroy). role is "" when it did not decode.
func checkPermissions(body hcl.Body, role api.Role, perms []string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	known := api.Permissions()
	for i, p := range perms {
		need, ok := api.PermissionRole(p)
		switch {
		case !ok:
			diags = append(diags, attrElemError(body, "permissions", i, "Unknown permission",
				fmt.Sprintf("Unknown permission %q. Use one of: %s. %q lets an approver approve plans that delete or replace resources.", p, quoteList(known), api.PermDestroy)))
		case slices.Index(perms, p) < i:
			diags = append(diags, attrElemError(body, "permissions", i, "Duplicate permission",
				fmt.Sprintf("%q is already listed. List each permission once.", p)))
		case role.Valid() && !role.AtLeast(need):
			diags = append(diags, attrElemError(body, "permissions", i, "Permission needs a higher role",
				fmt.Sprintf("The %q permission is for tokens with role %q or above; this token is a %s, so it would do nothing. Give the token role = %q, or remove %q.", p, need, role, need, p)))
		}
	}
	return diags
}

// quoteList quotes items and joins them with commas.
func quoteList(items []string) string {
	quoted := make([]string, len(items))
	for i, it := range items {
		quoted[i] = strconv.Quote(it)
	}
	return strings.Join(quoted, ", ")
}

// apiAuthenticator builds the API's Authenticator from cfg: the token
// blocks, and the single token of DRIFTGATE_TOKEN (else token_file) as an
// admin named api.DefaultTokenName, so setups from before token blocks
// keep working. Both may be used together. It fails when there is no token
// at all, and when the single token is also one of the token blocks.
func apiAuthenticator(cfg *Config) (api.Authenticator, error) {
	entries := make([]api.TokenEntry, 0, len(cfg.Tokens)+1)
	for _, t := range cfg.Tokens {
		entries = append(entries, api.TokenEntry{Name: t.Name, Role: t.Role, SHA256: t.SHA256, Permissions: t.Permissions})
	}
	if strings.TrimSpace(os.Getenv(tokenEnv)) != "" || cfg.TokenFile != "" {
		token, err := apiToken(cfg)
		if err != nil {
			return nil, err
		}
		raw := sha256.Sum256([]byte(token))
		sum := hex.EncodeToString(raw[:])
		for _, t := range cfg.Tokens {
			if t.SHA256 == sum {
				return nil, fmt.Errorf("the token of %s or token_file is also token %q of the config; use one or the other, or a different token", tokenEnv, t.Name)
			}
		}
		entries = append(entries, api.TokenEntry{Name: api.DefaultTokenName, Role: api.RoleAdmin, SHA256: sum})
	}
	if len(entries) == 0 {
		return nil, errors.New("no API token: add token blocks to the config, or set " + tokenEnv + " or token_file (every API call but /healthz and /readyz needs a token)")
	}
	return api.Tokens(entries), nil
}

// apiToken reads the API token: DRIFTGATE_TOKEN, else the config's
// token_file.
func apiToken(cfg *Config) (string, error) {
	if t := strings.TrimSpace(os.Getenv(tokenEnv)); t != "" {
		return t, nil
	}
	if cfg.TokenFile == "" {
		return "", fmt.Errorf("no API token: set %s or token_file in the config (every API call but /healthz needs it)", tokenEnv)
	}
	raw, err := os.ReadFile(cfg.TokenFile)
	if err != nil {
		return "", fmt.Errorf("read token_file: %w", err)
	}
	t := strings.TrimSpace(string(raw))
	if t == "" {
		return "", fmt.Errorf("token_file %s is empty; put the API token in it", cfg.TokenFile)
	}
	return t, nil
}
