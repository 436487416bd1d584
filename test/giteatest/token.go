package giteatest

import (
	"testing"

	"code.gitea.io/sdk/gitea"
)

// Token creates another access token of u limited to scopes (such as
// "write:repository"), for tests of what a token with
// only those scopes can do.
func (s *Server) Token(tb testing.TB, u User, scopes ...gitea.AccessTokenScope) string {
	tb.Helper()
	basic, err := gitea.NewClient(s.URL, gitea.SetBasicAuth(u.Name, u.Password), gitea.SetGiteaVersion(""))
	if err != nil {
		tb.Fatal(err)
	}
	tok, _, err := basic.CreateAccessToken(gitea.CreateAccessTokenOption{Name: "scoped-" + randomHex(4), Scopes: scopes})
	if err != nil {
		tb.Fatalf("giteatest: token for %s with scopes %v: %v", u.Name, scopes, err)
	}
	return tok.Token
}
