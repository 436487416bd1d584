package gitea

import (
	"testing"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/runner/forge/forgetest"
	"github.com/driftgate/driftgate/test/giteatest"
)

// Gitea's token scopes (the SDK names only the older ones).
const (
	scopeWriteRepository sdk.AccessTokenScope = "write:repository"
	scopeWriteIssue      sdk.AccessTokenScope = "write:issue"
	scopeReadUser        sdk.AccessTokenScope = "read:user"
)

// tokenScopes are the access token scopes the README tells Gitea users to
// give driftgate's token.
var tokenScopes = []sdk.AccessTokenScope{scopeWriteRepository, scopeWriteIssue, scopeReadUser}

// scopedHarness is the conformance harness whose bot uses a token limited
// to tokenScopes.
type scopedHarness struct {
	*giteatest.Harness
	token string
}

func (h scopedHarness) Client(tb testing.TB) forge.Client {
	c, err := New(Options{BaseURL: h.S.URL, Project: h.Repo, Token: h.token})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestConformanceWithDocumentedScopes runs the conformance suite with a
// bot token of only the scopes the README lists (write:repository,
// write:issue, read:user), the bot being a repository admin as the README
// says: every call driftgate makes works with them.
func TestConformanceWithDocumentedScopes(t *testing.T) {
	srv := giteatest.Start(t)
	h := giteatest.NewHarness(t, srv, func(t testing.TB, baseURL, project, token string) forge.Client {
		c, err := New(Options{BaseURL: baseURL, Project: project, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
	forgetest.Run(t, scopedHarness{Harness: h, token: srv.Token(t, h.Bot, tokenScopes...)})
}

// TestTokenWithoutIssueScopeCannotComment checks the other side: without
// write:issue the token cannot write the plan comment.
func TestTokenWithoutIssueScopeCannotComment(t *testing.T) {
	srv := giteatest.Start(t)
	h := giteatest.NewHarness(t, srv, func(t testing.TB, baseURL, project, token string) forge.Client {
		c, err := New(Options{BaseURL: baseURL, Project: project, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
	h.AddUser(t, "author", true)
	h.Branch(t, "feature")
	n := h.OpenPR(t, "author", "feature")
	c := scopedHarness{Harness: h, token: srv.Token(t, h.Bot, scopeWriteRepository, scopeReadUser)}.Client(t)
	if _, err := c.UpsertComment(t.Context(), n, "<!-- m -->", "<!-- m -->\nplan"); err == nil {
		t.Error("a token without write:issue wrote a comment")
	}
}
