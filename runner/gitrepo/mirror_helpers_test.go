package gitrepo

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// openTestMirror opens a mirror of branch main of url in a new directory.
func openTestMirror(tb testing.TB, url string, auth Auth) *Mirror {
	tb.Helper()
	m, err := OpenMirror(context.Background(), filepath.Join(tb.TempDir(), "mirror"), url, "main", auth)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// mustFetch fetches and checks the head against want.
func mustFetch(tb testing.TB, m *Mirror, want plumbing.Hash) {
	tb.Helper()
	got, err := m.Fetch(context.Background())
	if err != nil {
		tb.Fatalf("Fetch: %v", err)
	}
	if got != want {
		tb.Fatalf("Fetch = %s, want %s", got, want)
	}
	if head, err := m.Head(); err != nil || head != want {
		tb.Fatalf("Head = %s, %v; want %s", head, err, want)
	}
}

// checkFetchError checks that err is a *FetchError of kind (nil: none)
// whose message names the URL and the branch.
func checkFetchError(tb testing.TB, err, kind error, url string) *FetchError {
	tb.Helper()
	var fe *FetchError
	if !errors.As(err, &fe) {
		tb.Fatalf("error %v (%T) is not a *FetchError", err, err)
	}
	for _, k := range []error{ErrAuth, ErrUnreachable, ErrBranchNotFound} {
		if got, want := errors.Is(err, k), k == kind; got != want {
			tb.Errorf("errors.Is(err, %v) = %v, want %v; err = %v", k, got, want, err)
		}
	}
	msg := err.Error()
	if !strings.Contains(msg, url) || !strings.Contains(msg, "branch main") {
		tb.Errorf("error %q does not name the URL %s and the branch", msg, url)
	}
	if kind != nil && fe.Hint == "" {
		tb.Errorf("error %q has no hint", msg)
	}
	return fe
}

// packBytes is the size of the packs in a mirror.
func packBytes(tb testing.TB, m *Mirror) int64 {
	tb.Helper()
	packs, err := filepath.Glob(filepath.Join(m.dir, "objects", "pack", "*.pack"))
	if err != nil {
		tb.Fatal(err)
	}
	var n int64
	for _, p := range packs {
		fi, err := os.Stat(p)
		if err != nil {
			tb.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

// gitHTTPServer serves the repository in dir at /repo.git with git's
// smart HTTP protocol, fetch only, sending the pack over side-band-64k as
// git does. When token is set it wants basic auth
// user:token and answers 401 otherwise, with a body that echoes the
// password it was sent, as a careless server might.
func gitHTTPServer(tb testing.TB, dir, user, token string) *httptest.Server {
	tb.Helper()
	authorized := func(w http.ResponseWriter, r *http.Request) bool {
		if token == "" {
			return true
		}
		u, p, ok := r.BasicAuth()
		if ok && u == user && p == token {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
		http.Error(w, "bad credentials: "+u+":"+p, http.StatusUnauthorized)
		return false
	}
	ep := &transport.Endpoint{Protocol: "file", Path: dir}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repo.git/info/refs", func(w http.ResponseWriter, r *http.Request) {
		if !authorized(w, r) {
			return
		}
		if r.URL.Query().Get("service") != transport.UploadPackServiceName {
			http.Error(w, "smart HTTP only", http.StatusForbidden)
			return
		}
		sess, err := openLocal(ep)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer sess.Close()
		adv, err := sess.AdvertisedReferencesContext(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		// Like git, offer side-band-64k, which go-git's server lacks.
		for _, c := range []capability.Capability{capability.Sideband64k, capability.NoProgress} {
			if err := adv.Capabilities.Set(c); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		adv.Prefix = [][]byte{[]byte("# service=" + transport.UploadPackServiceName), pktline.Flush}
		w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
		_ = adv.Encode(w)
	})
	mux.HandleFunc("POST /repo.git/git-upload-pack", func(w http.ResponseWriter, r *http.Request) {
		if !authorized(w, r) {
			return
		}
		req := packp.NewUploadPackRequest()
		var caps []string
		s := pktline.NewScanner(r.Body)
		for s.Scan() {
			f := strings.Fields(string(s.Bytes()))
			switch {
			case len(f) >= 2 && f[0] == "want":
				if len(req.Wants) == 0 {
					caps = f[2:]
				}
				req.Wants = append(req.Wants, plumbing.NewHash(f[1]))
			case len(f) >= 2 && f[0] == "have":
				req.Haves = append(req.Haves, plumbing.NewHash(f[1]))
			}
		}
		if !slices.Contains(caps, "side-band-64k") || !slices.Contains(caps, "no-progress") {
			http.Error(w, "test server wants side-band-64k and no-progress, got "+strings.Join(caps, " "), http.StatusBadRequest)
			return
		}
		sess, err := openLocal(ep)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer sess.Close()
		resp, err := sess.UploadPack(r.Context(), req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer resp.Close()
		w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
		e := pktline.NewEncoder(w)
		if err := e.EncodeString("NAK\n"); err != nil {
			return
		}
		if _, err := io.Copy(sideband.NewMuxer(sideband.Sideband64k, w), resp); err != nil {
			_, _ = sideband.NewMuxer(sideband.Sideband64k, w).WriteChannel(sideband.ErrorMessage, []byte(err.Error()))
		}
		_ = e.Flush()
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

// within fails the test when f takes longer than d.
func within(tb testing.TB, d time.Duration, f func()) {
	tb.Helper()
	start := time.Now()
	f()
	if took := time.Since(start); took > d {
		tb.Errorf("took %v, want under %v", took, d)
	}
}
