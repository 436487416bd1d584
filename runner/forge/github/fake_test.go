package github

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeGitHub answers the GitHub REST endpoints the client uses, the way
// the documented API does (paths under /api/v3 as on Enterprise Server,
// token auth, JSON bodies, Link pagination, 422 on over-long comments,
// rate-limit headers). It stores what it is told; it decides nothing.
type fakeGitHub struct {
	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	tokens     map[string]string // accepted Authorization values → login
	perPage    int               // page size cap (GitHub's is 100)
	seq        int
	branches   map[string]string // branch → head
	prs        map[int]*fakePR
	perms      map[string]string // user → permission
	comments   map[int64]*fakeComment
	statuses   map[string]map[string]map[string]any // sha → context → status JSON
	faults     []fault                              // answered before anything else, in order
	requests   []string
	appTokens  int // installation tokens issued
	lastAuth   string
	remaining  int // X-RateLimit-Remaining sent on every answer
	resetAfter time.Duration
}

type fakePR struct {
	Number          int
	Title, Author   string
	Head, Base      string
	HeadSHA         string
	HeadRepo        string
	State           string
	Merged          bool
	MergeSHA        string
	Reviews         []map[string]any
	Draft           bool
	CreatedAtCommit string
}

type fakeComment struct {
	ID     int64
	Issue  int
	Body   string
	Author string
}

// fault is a canned failure answered to the next request whose path
// contains path.
type fault struct {
	path   string
	status int
	header map[string]string
	body   string
	delay  time.Duration
	// lost: the request is carried out, then its answer replaced by
	// the failure (a 502 from a proxy after the forge acted).
	lost bool
}

const (
	fakeOwner   = "acme"
	fakeRepo    = "infra"
	fakeToken   = "ghp_good"
	fakeAppTok  = "ghs_installation"
	fakeProject = fakeOwner + "/" + fakeRepo
)

func newFakeGitHub(t testing.TB) *fakeGitHub {
	f := &fakeGitHub{
		t: t, tokens: map[string]string{"Bearer " + fakeToken: "driftgate-bot", "token " + fakeAppTok: "driftgate[bot]"},
		perPage: 100, branches: map[string]string{"main": "0000000000000000000000000000000000000001"},
		prs: map[int]*fakePR{}, perms: map[string]string{"driftgate-bot": "write"},
		comments: map[int64]*fakeComment{}, statuses: map[string]map[string]map[string]any{},
		remaining: 4999, resetAfter: time.Hour,
	}
	mux := http.NewServeMux()
	repo := "/api/v3/repos/{owner}/{repo}"
	mux.HandleFunc("GET "+repo+"/pulls/{n}", f.getPR)
	mux.HandleFunc("POST "+repo+"/pulls", f.createPR)
	mux.HandleFunc("GET "+repo+"/pulls", f.listPRs)
	mux.HandleFunc("GET "+repo+"/pulls/{n}/reviews", f.listReviews)
	mux.HandleFunc("GET "+repo+"/collaborators/{user}/permission", f.permission)
	mux.HandleFunc("GET "+repo+"/issues/{n}/comments", f.listComments)
	mux.HandleFunc("POST "+repo+"/issues/{n}/comments", f.createComment)
	mux.HandleFunc("PATCH "+repo+"/issues/comments/{id}", f.editComment)
	mux.HandleFunc("DELETE "+repo+"/issues/comments/{id}", f.deleteComment)
	mux.HandleFunc("POST "+repo+"/statuses/{sha}", f.setStatus)
	mux.HandleFunc("POST /api/v3/app/installations/{id}/access_tokens", f.installationToken)
	mux.HandleFunc("GET /api/v3/app", f.app)
	mux.HandleFunc("GET /api/v3/user", f.user)
	f.srv = httptest.NewServer(f.middleware(mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path)
		f.lastAuth = r.Header.Get("Authorization")
		for i, ft := range f.faults {
			if strings.Contains(r.Method+" "+r.URL.Path, ft.path) {
				f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
				if ft.lost {
					next.ServeHTTP(httptest.NewRecorder(), r)
				}
				f.mu.Unlock()
				if ft.delay > 0 {
					select {
					case <-time.After(ft.delay):
					case <-r.Context().Done():
						return
					}
				}
				for k, v := range ft.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(ft.status)
				_, _ = w.Write([]byte(ft.body))
				return
			}
		}
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(f.remaining))
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(f.resetAfter).Unix(), 10))
		ok := f.tokens[r.Header.Get("Authorization")] != "" || strings.HasPrefix(r.URL.Path, "/api/v3/app")
		f.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
			return
		}
		if r.PathValue("owner") != "" || strings.HasPrefix(r.URL.Path, "/api/v3/repos/") {
			parts := strings.Split(r.URL.Path, "/")
			if len(parts) < 6 || parts[4] != fakeOwner || parts[5] != fakeRepo {
				writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
				return
			}
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
}

// page answers one page of items with GitHub's Link header.
func (f *fakeGitHub) page(w http.ResponseWriter, r *http.Request, items []any) {
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, f.perPage)
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pg = max(pg, 1)
	lo, hi := min((pg-1)*per, len(items)), min(pg*per, len(items))
	last := max((len(items)+per-1)/per, 1)
	if pg < last {
		u := *r.URL
		link := func(p int) string {
			q := u.Query()
			q.Set("page", strconv.Itoa(p))
			u.RawQuery = q.Encode()
			return fmt.Sprintf("<%s%s>", f.srv.URL, u.String())
		}
		w.Header().Set("Link", link(pg+1)+`; rel="next", `+link(last)+`; rel="last"`)
	}
	writeJSON(w, http.StatusOK, items[lo:hi])
}

func (f *fakeGitHub) sha(seed string) string {
	f.seq++
	s := sha1.Sum([]byte(fmt.Sprintf("%s-%d", seed, f.seq)))
	return hex.EncodeToString(s[:])
}

func user(login string) map[string]any { return map[string]any{"login": login, "type": "User"} }

func (f *fakeGitHub) prJSON(pr *fakePR) map[string]any {
	base := fakeProject
	headRepo := pr.HeadRepo
	if headRepo == "" {
		headRepo = base
	}
	m := map[string]any{
		"number": pr.Number, "title": pr.Title, "state": pr.State, "draft": pr.Draft, "merged": pr.Merged,
		"user":     user(pr.Author),
		"html_url": fmt.Sprintf("https://github.example.com/%s/pull/%d", base, pr.Number),
		"head":     map[string]any{"ref": pr.Head, "sha": pr.HeadSHA, "repo": map[string]any{"full_name": headRepo}},
		"base":     map[string]any{"ref": pr.Base, "sha": f.branches[pr.Base], "repo": map[string]any{"full_name": base}},
	}
	if pr.Merged {
		m["merge_commit_sha"] = pr.MergeSHA
		m["merged_at"] = "2026-01-02T03:04:05Z"
	}
	return m
}

func (f *fakeGitHub) pr(w http.ResponseWriter, r *http.Request) *fakePR {
	n, _ := strconv.Atoi(r.PathValue("n"))
	pr := f.prs[n]
	if pr == nil {
		notFound(w)
	}
	return pr
}

func (f *fakeGitHub) getPR(w http.ResponseWriter, r *http.Request) {
	if pr := f.pr(w, r); pr != nil {
		writeJSON(w, http.StatusOK, f.prJSON(pr))
	}
}

func (f *fakeGitHub) createPR(w http.ResponseWriter, r *http.Request) {
	var in struct{ Title, Body, Head, Base string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON"})
		return
	}
	head, ok := f.branches[in.Head]
	if _, baseOK := f.branches[in.Base]; !ok || !baseOK || in.Title == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
			"errors": []any{map[string]any{"resource": "PullRequest", "code": "invalid", "field": "head"}}})
		return
	}
	for _, pr := range f.prs {
		if pr.State == "open" && pr.Head == in.Head && pr.Base == in.Base {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
				"errors": []any{map[string]any{"resource": "PullRequest", "code": "custom",
					"message": "A pull request already exists for " + fakeOwner + ":" + in.Head + "."}}})
			return
		}
	}
	pr := &fakePR{Number: len(f.prs) + 1, Title: in.Title, Author: "driftgate-bot", Head: in.Head, Base: in.Base, HeadSHA: head, State: "open"}
	f.prs[pr.Number] = pr
	writeJSON(w, http.StatusCreated, f.prJSON(pr))
}

func (f *fakeGitHub) listPRs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var items []any
	for n := 1; n <= len(f.prs); n++ {
		pr := f.prs[n]
		if (q.Get("state") == "" || q.Get("state") == "all" || q.Get("state") == pr.State) &&
			(q.Get("head") == "" || q.Get("head") == fakeOwner+":"+pr.Head) && (q.Get("base") == "" || q.Get("base") == pr.Base) {
			items = append(items, f.prJSON(pr))
		}
	}
	f.page(w, r, items)
}

func (f *fakeGitHub) listReviews(w http.ResponseWriter, r *http.Request) {
	if pr := f.pr(w, r); pr != nil {
		items := make([]any, len(pr.Reviews))
		for i, rv := range pr.Reviews {
			items[i] = rv
		}
		f.page(w, r, items)
	}
}

func (f *fakeGitHub) permission(w http.ResponseWriter, r *http.Request) {
	u := r.PathValue("user")
	if strings.HasPrefix(u, "ghost-") { // a login GitHub does not know
		notFound(w)
		return
	}
	perm, role := f.perms[u], f.perms[u]
	switch perm {
	case "":
		perm, role = "none", ""
	case "maintain":
		perm = "write" // GitHub reports maintain as write with role_name maintain
	}
	writeJSON(w, http.StatusOK, map[string]any{"permission": perm, "role_name": role, "user": user(u)})
}

func (f *fakeGitHub) commentJSON(c *fakeComment) map[string]any {
	return map[string]any{"id": c.ID, "body": c.Body, "user": user(c.Author),
		"html_url": fmt.Sprintf("https://github.example.com/%s/pull/%d#issuecomment-%d", fakeProject, c.Issue, c.ID)}
}

func (f *fakeGitHub) issueComments(n int) []*fakeComment {
	var out []*fakeComment
	for id := int64(1); id <= int64(f.seq); id++ {
		if c := f.comments[id]; c != nil && c.Issue == n {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeGitHub) listComments(w http.ResponseWriter, r *http.Request) {
	if pr := f.pr(w, r); pr != nil {
		var items []any
		for _, c := range f.issueComments(pr.Number) {
			items = append(items, f.commentJSON(c))
		}
		f.page(w, r, items)
	}
}

// body decodes {"body": ...} and answers GitHub's 422 for an over-long one.
func tooLong(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Body *string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON"})
		return "", true
	}
	if utf8.RuneCountInString(*in.Body) > MaxCommentLength {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
			"errors": []any{map[string]any{"resource": "IssueComment", "code": "unprocessable", "field": "data",
				"message": "Body is too long (maximum is 65536 characters)"}}})
		return "", true
	}
	return *in.Body, false
}

func (f *fakeGitHub) createComment(w http.ResponseWriter, r *http.Request) {
	pr := f.pr(w, r)
	if pr == nil {
		return
	}
	body, bad := tooLong(w, r)
	if bad {
		return
	}
	f.seq++
	c := &fakeComment{ID: int64(f.seq), Issue: pr.Number, Body: body, Author: f.tokens[r.Header.Get("Authorization")]}
	f.comments[c.ID] = c
	writeJSON(w, http.StatusCreated, f.commentJSON(c))
}

func (f *fakeGitHub) comment(w http.ResponseWriter, r *http.Request) *fakeComment {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	c := f.comments[id]
	if c == nil {
		notFound(w)
	}
	return c
}

func (f *fakeGitHub) editComment(w http.ResponseWriter, r *http.Request) {
	c := f.comment(w, r)
	if c == nil {
		return
	}
	if c.Author != f.tokens[r.Header.Get("Authorization")] {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Resource not accessible by personal access token"})
		return
	}
	body, bad := tooLong(w, r)
	if bad {
		return
	}
	c.Body = body
	writeJSON(w, http.StatusOK, f.commentJSON(c))
}

func (f *fakeGitHub) deleteComment(w http.ResponseWriter, r *http.Request) {
	if c := f.comment(w, r); c != nil {
		delete(f.comments, c.ID)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (f *fakeGitHub) setStatus(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON"})
		return
	}
	switch in["state"] {
	case "pending", "success", "failure", "error":
	default:
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed"})
		return
	}
	if d, _ := in["description"].(string); utf8.RuneCountInString(d) > 140 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
			"errors": []any{map[string]any{"resource": "Status", "code": "custom", "field": "description",
				"message": "description is too long (maximum is 140 characters)"}}})
		return
	}
	sha := r.PathValue("sha")
	ctxName, _ := in["context"].(string)
	if ctxName == "" {
		ctxName = "default"
	}
	if f.statuses[sha] == nil {
		f.statuses[sha] = map[string]map[string]any{}
	}
	f.statuses[sha][ctxName] = in
	writeJSON(w, http.StatusCreated, in)
}

func (f *fakeGitHub) installationToken(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Bearer ") || strings.Count(auth, ".") != 2 || r.PathValue("id") != "42" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "A JSON web token could not be decoded"})
		return
	}
	f.appTokens++
	writeJSON(w, http.StatusCreated, map[string]any{"token": fakeAppTok,
		"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
}

func (f *fakeGitHub) app(w http.ResponseWriter, r *http.Request) {
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "Bearer ") || strings.Count(auth, ".") != 2 {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "A JSON web token could not be decoded"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": 7, "slug": "driftgate", "name": "driftgate"})
}

func (f *fakeGitHub) user(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, user(f.tokens[r.Header.Get("Authorization")]))
}

// fail queues a canned failure for the next request whose path contains
// path.
func (f *fakeGitHub) fail(path string, status int, header map[string]string, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if body == "" {
		body = `{"message":"` + http.StatusText(status) + `"}`
	}
	f.faults = append(f.faults, fault{path: path, status: status, header: header, body: body})
}
