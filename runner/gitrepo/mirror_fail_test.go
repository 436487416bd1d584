package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestMirrorBranchNotFound(t *testing.T) {
	tests := []struct {
		name string
		// upstream changes the remote after the first fetch.
		upstream func(t *testing.T, up *testRepo)
		wantHint string
	}{
		{"branch deleted", func(t *testing.T, up *testRepo) {
			if err := up.git.Storer.RemoveReference("refs/heads/main"); err != nil {
				t.Fatal(err)
			}
		}, hintBranch},
		{"repository emptied", func(t *testing.T, up *testRepo) {
			reinit(t, up)
		}, hintEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newTestRepo(t, false)
			c1 := up.commit("one", map[string]entry{"main.tf": file("1")})
			if err := up.git.Storer.SetReference(plumbing.NewHashReference("refs/heads/keep", c1)); err != nil {
				t.Fatal(err)
			}
			m := openTestMirror(t, up.dir, Auth{})
			mustFetch(t, m, c1)

			tt.upstream(t, up)
			_, err := m.Fetch(context.Background())
			fe := checkFetchError(t, err, ErrBranchNotFound, up.dir)
			if fe.Hint != tt.wantHint {
				t.Errorf("hint = %q, want %q", fe.Hint, tt.wantHint)
			}
			if head, err := m.Head(); err != nil || head != c1 {
				t.Errorf("Head after the branch went = %s, %v; want the last fetched %s", head, err, c1)
			}
		})
	}
}

func TestMirrorUnreachable(t *testing.T) {
	notRepo := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/repo.git"
	ln.Close()

	tests := []struct {
		name, url, wantHint string
	}{
		{"missing path", filepath.Join(t.TempDir(), "nope"), hintNotFound},
		{"directory without a repository", notRepo, hintNotFound},
		{"connection refused", refused, hintRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := openTestMirror(t, tt.url, Auth{Token: "t0ken-secret"})
			_, err := m.Fetch(context.Background())
			fe := checkFetchError(t, err, ErrUnreachable, tt.url)
			if fe.Hint != tt.wantHint {
				t.Errorf("hint = %q, want %q", fe.Hint, tt.wantHint)
			}
		})
	}
}

func TestMirrorFetchCancelled(t *testing.T) {
	t.Run("before the fetch", func(t *testing.T) {
		up := newTestRepo(t, false)
		up.commit("one", map[string]entry{"main.tf": file("1")})
		m := openTestMirror(t, up.dir, Auth{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := m.Fetch(ctx)
		checkFetchError(t, err, nil, up.dir)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Fetch = %v, want context.Canceled", err)
		}
		if _, err := m.Head(); !errors.Is(err, ErrNotFetched) {
			t.Errorf("Head after a cancelled first fetch = %v, want ErrNotFetched", err)
		}
	})
	t.Run("server not answering", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) }) // runs first
		url := srv.URL + "/repo.git"
		m := openTestMirror(t, url, Auth{})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		within(t, 5*time.Second, func() {
			_, err := m.Fetch(ctx)
			checkFetchError(t, err, nil, url)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Fetch = %v, want context.DeadlineExceeded", err)
			}
		})
	})
}

func TestMirrorHTTP(t *testing.T) {
	const token = "ghp_s3cretT0ken"
	up := newTestRepo(t, true)
	c1 := up.commit("one", map[string]entry{"main.tf": file("1")})

	t.Run("token accepted", func(t *testing.T) {
		srv := gitHTTPServer(t, up.dir, tokenUser, token)
		m := openTestMirror(t, srv.URL+"/repo.git", Auth{Token: token})
		mustFetch(t, m, c1)
		c2 := up.commit("two", map[string]entry{"main.tf": file("2")}, c1)
		mustFetch(t, m, c2)
		if ok, err := m.IsAncestor(context.Background(), c1, c2); err != nil || !ok {
			t.Errorf("IsAncestor = %v, %v", ok, err)
		}
	})
	t.Run("username override", func(t *testing.T) {
		srv := gitHTTPServer(t, up.dir, "bitbucket-user", token)
		m := openTestMirror(t, srv.URL+"/repo.git", Auth{Token: token, Username: "bitbucket-user"})
		if _, err := m.Fetch(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("credentials in the URL", func(t *testing.T) {
		srv := gitHTTPServer(t, up.dir, "me", token)
		url := strings.Replace(srv.URL, "http://", "http://me:"+token+"@", 1) + "/repo.git"
		m := openTestMirror(t, url, Auth{})
		if _, err := m.Fetch(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMirrorHTTPErrors(t *testing.T) {
	const token = "glpat-s3cretT0ken"
	up := newTestRepo(t, true)
	up.commit("one", map[string]entry{"main.tf": file("1")})
	status := func(code int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/repo.git/info/refs" || r.URL.Query().Get("service") != "git-upload-pack" {
				t.Errorf("unexpected request %s %s", r.Method, r.URL)
			}
			_, pass, _ := r.BasicAuth()
			http.Error(w, "denied for "+pass, code)
		})
	}

	tests := []struct {
		name     string
		handler  http.Handler // nil: a real git server wanting another token
		auth     Auth
		kind     error
		wantHint string
	}{
		{"wrong token", nil, Auth{Token: token}, ErrAuth, hintAuthHTTP},
		{"no token", nil, Auth{}, ErrAuth, hintAuthHTTP},
		{"401", status(http.StatusUnauthorized), Auth{Token: token}, ErrAuth, hintAuthHTTP},
		{"403", status(http.StatusForbidden), Auth{Token: token}, ErrAuth, hintForbidden},
		{"404", status(http.StatusNotFound), Auth{Token: token}, ErrUnreachable, hintNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var url string
			if tt.handler == nil {
				url = gitHTTPServer(t, up.dir, tokenUser, "the-right-one").URL + "/repo.git"
			} else {
				srv := httptest.NewServer(tt.handler)
				t.Cleanup(srv.Close)
				url = srv.URL + "/repo.git"
			}
			m := openTestMirror(t, url, tt.auth)
			_, err := m.Fetch(context.Background())
			fe := checkFetchError(t, err, tt.kind, url)
			if fe.Hint != tt.wantHint {
				t.Errorf("hint = %q, want %q", fe.Hint, tt.wantHint)
			}
			// The servers echo the password; no message may show it.
			msgs := []string{err.Error(), fmt.Sprintf("%v %+v", err, err)}
			for _, w := range fe.Unwrap() {
				msgs = append(msgs, w.Error())
			}
			for _, msg := range msgs {
				if strings.Contains(msg, token) {
					t.Errorf("message shows the token: %s", msg)
				}
			}
		})
	}
}

func TestAuthHidesToken(t *testing.T) {
	const token = "ghp_s3cretT0ken"
	a := Auth{Token: token, Username: "me", SSHKeyFile: "/keys/id"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("fetch", "auth", a)
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%v %+v %#v %s", a, a, a, a), fmt.Sprintf("%v", &a), logged.String()} {
		if strings.Contains(s, token) {
			t.Errorf("token shown: %s", s)
		}
		if !strings.Contains(s, "me") || !strings.Contains(s, "/keys/id") {
			t.Errorf("other fields hidden too: %s", s)
		}
	}
	if !strings.Contains(logged.String(), `"token_set":true`) {
		t.Errorf("log does not say a token is set: %s", logged.String())
	}
}

// TestMirrorTempPacksRemoved checks that reopening a mirror removes the
// packs a fetch cut short left behind.
func TestMirrorTempPacksRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	if _, err := OpenMirror(context.Background(), dir, "/repo", "main", Auth{}); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "driftgate-fetch-123.pack")
	if err := os.WriteFile(stale, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenMirror(context.Background(), dir, "/repo", "main", Auth{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale pack still there: %v", err)
	}
}
