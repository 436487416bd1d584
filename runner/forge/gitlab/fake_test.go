package gitlab

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

// fakeGitLab answers the GitLab REST v4 endpoints the client uses, the way
// the documented API does (PRIVATE-TOKEN auth, project path ids, JSON
// bodies, X-Next-Page pagination, 400 on notes over 1,000,000 characters,
// 429 with RateLimit-Reset, "Cannot transition status" on a repeated
// commit status). It stores what it is told; it decides nothing.
type fakeGitLab struct {
	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	perPage   int // page size cap (GitLab's is 100)
	seq       int
	clock     time.Time // advanced one second per change
	branches  map[string]string
	mrs       map[int]*fakeMR
	users     map[string]int64 // username → id
	access    map[int64]int    // user id → access level
	notes     map[int64]*fakeNote
	statuses  map[string]map[string]map[string]any // sha → name → status
	faults    []fault
	requests  []string
	remaining int // RateLimit-Remaining on every answer
}

type fakeMR struct {
	IID            int
	Title, Author  string
	Source, Target string
	SHA            string
	State          string
	MergeSHA       string
	SourceProject  int
	Approvals      []map[string]any
	Versions       []map[string]any
	Draft          bool
}

type fakeNote struct {
	Author string
	ID     int64
	MR     int
	Body   string
	System bool
	At     time.Time
}

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
	fakeProject   = "acme/infra"
	fakeProjectID = 501
	fakeToken     = "glpat-good"
	botID         = 1
)

func newFakeGitLab(t testing.TB) *fakeGitLab {
	f := &fakeGitLab{t: t, perPage: 100, clock: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC),
		branches: map[string]string{"main": "0000000000000000000000000000000000000001"},
		mrs:      map[int]*fakeMR{}, users: map[string]int64{"driftgate-bot": botID}, access: map[int64]int{botID: 30},
		notes: map[int64]*fakeNote{}, statuses: map[string]map[string]map[string]any{}, remaining: 1999}
	mux := http.NewServeMux()
	p := "/api/v4/projects/{id}"
	mux.HandleFunc("GET "+p+"/merge_requests/{iid}", f.getMR)
	mux.HandleFunc("POST "+p+"/merge_requests", f.createMR)
	mux.HandleFunc("GET "+p+"/merge_requests", f.listMRs)
	mux.HandleFunc("GET "+p+"/merge_requests/{iid}/approvals", f.approvals)
	mux.HandleFunc("GET "+p+"/merge_requests/{iid}/versions", f.versions)
	mux.HandleFunc("GET "+p+"/merge_requests/{iid}/notes", f.listNotes)
	mux.HandleFunc("POST "+p+"/merge_requests/{iid}/notes", f.createNote)
	mux.HandleFunc("PUT "+p+"/merge_requests/{iid}/notes/{note}", f.updateNote)
	mux.HandleFunc("DELETE "+p+"/merge_requests/{iid}/notes/{note}", f.deleteNote)
	mux.HandleFunc("POST "+p+"/statuses/{sha}", f.setStatus)
	mux.HandleFunc("GET "+p+"/members/all/{uid}", f.member)
	mux.HandleFunc("GET /api/v4/users", f.listUsers)
	mux.HandleFunc("GET /api/v4/user", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, f.userJSON("driftgate-bot"))
	})
	f.srv = httptest.NewServer(f.middleware(mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitLab) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.EscapedPath())
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
		w.Header().Set("RateLimit-Remaining", strconv.Itoa(f.remaining))
		w.Header().Set("RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		defer f.mu.Unlock()
		if r.Header.Get("PRIVATE-TOKEN") != fakeToken {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401 Unauthorized"})
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/v4/projects/") {
			id := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/api/v4/projects/"), "/")[0]
			if id != strings.ReplaceAll(fakeProject, "/", "%2F") && id != strconv.Itoa(fakeProjectID) {
				writeJSON(w, http.StatusNotFound, map[string]any{"message": "404 Project Not Found"})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// page answers one page of items with GitLab's pagination headers.
func (f *fakeGitLab) page(w http.ResponseWriter, r *http.Request, items []any) {
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 {
		per = 20
	}
	per = min(per, f.perPage)
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pg = max(pg, 1)
	lo, hi := min((pg-1)*per, len(items)), min(pg*per, len(items))
	pages := max((len(items)+per-1)/per, 1)
	w.Header().Set("X-Page", strconv.Itoa(pg))
	w.Header().Set("X-Per-Page", strconv.Itoa(per))
	w.Header().Set("X-Total", strconv.Itoa(len(items)))
	w.Header().Set("X-Total-Pages", strconv.Itoa(pages))
	w.Header().Set("X-Next-Page", "")
	if pg < pages {
		w.Header().Set("X-Next-Page", strconv.Itoa(pg+1))
	}
	if items == nil {
		items = []any{}
	}
	writeJSON(w, http.StatusOK, items[lo:hi])
}

func (f *fakeGitLab) tick() time.Time {
	f.clock = f.clock.Add(time.Second)
	return f.clock
}

func (f *fakeGitLab) sha(seed string) string {
	f.seq++
	s := sha1.Sum([]byte(fmt.Sprintf("%s-%d", seed, f.seq)))
	return hex.EncodeToString(s[:])
}

func (f *fakeGitLab) userJSON(name string) map[string]any {
	return map[string]any{"id": f.users[name], "username": name, "name": name, "state": "active"}
}

func (f *fakeGitLab) mrJSON(mr *fakeMR) map[string]any {
	src := mr.SourceProject
	if src == 0 {
		src = fakeProjectID
	}
	state := mr.State
	m := map[string]any{
		"id": 9000 + mr.IID, "iid": mr.IID, "project_id": fakeProjectID, "title": mr.Title, "state": state,
		"draft": mr.Draft, "work_in_progress": mr.Draft, "author": f.userJSON(mr.Author),
		"source_branch": mr.Source, "target_branch": mr.Target, "sha": mr.SHA,
		"source_project_id": src, "target_project_id": fakeProjectID,
		"web_url":          fmt.Sprintf("https://gitlab.example.com/%s/-/merge_requests/%d", fakeProject, mr.IID),
		"merge_commit_sha": nil, "squash_commit_sha": nil,
	}
	if mr.MergeSHA != "" {
		m["merge_commit_sha"] = mr.MergeSHA
	}
	return m
}

func (f *fakeGitLab) mr(w http.ResponseWriter, r *http.Request) *fakeMR {
	n, _ := strconv.Atoi(r.PathValue("iid"))
	mr := f.mrs[n]
	if mr == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "404 Not found"})
	}
	return mr
}

func (f *fakeGitLab) getMR(w http.ResponseWriter, r *http.Request) {
	if mr := f.mr(w, r); mr != nil {
		writeJSON(w, http.StatusOK, f.mrJSON(mr))
	}
}

func (f *fakeGitLab) createMR(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title        string `json:"title"`
		Description  string `json:"description"`
		SourceBranch string `json:"source_branch"`
		TargetBranch string `json:"target_branch"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Title == "" || in.SourceBranch == "" || in.TargetBranch == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "title is missing, source_branch is missing, target_branch is missing"})
		return
	}
	head, ok := f.branches[in.SourceBranch]
	if _, tok := f.branches[in.TargetBranch]; !ok || !tok {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "404 Branch Not Found"})
		return
	}
	for _, mr := range f.mrs {
		if mr.State == "opened" && mr.Source == in.SourceBranch && mr.Target == in.TargetBranch {
			writeJSON(w, http.StatusConflict, map[string]any{"message": []string{
				fmt.Sprintf("Another open merge request already exists for this source branch: !%d", mr.IID)}})
			return
		}
	}
	mr := f.open("driftgate-bot", in.SourceBranch, in.Title, head)
	writeJSON(w, http.StatusCreated, f.mrJSON(mr))
}

func (f *fakeGitLab) listMRs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var items []any
	for n := len(f.mrs); n >= 1; n-- { // newest first, as GitLab lists them
		mr := f.mrs[n]
		if (q.Get("state") == "" || q.Get("state") == "all" || q.Get("state") == mr.State) &&
			(q.Get("source_branch") == "" || q.Get("source_branch") == mr.Source) &&
			(q.Get("target_branch") == "" || q.Get("target_branch") == mr.Target) {
			items = append(items, f.mrJSON(mr))
		}
	}
	f.page(w, r, items)
}

func (f *fakeGitLab) open(author, branch, title, head string) *fakeMR {
	mr := &fakeMR{IID: len(f.mrs) + 1, Title: title, Author: author, Source: branch, Target: "main", SHA: head, State: "opened"}
	mr.Versions = append(mr.Versions, f.version(head))
	f.mrs[mr.IID] = mr
	return mr
}

func (f *fakeGitLab) version(head string) map[string]any {
	f.seq++
	return map[string]any{"id": f.seq, "head_commit_sha": head, "base_commit_sha": f.branches["main"],
		"start_commit_sha": f.branches["main"], "created_at": f.tick().Format(time.RFC3339), "state": "collected", "real_size": "1"}
}

func (f *fakeGitLab) approvals(w http.ResponseWriter, r *http.Request) {
	if mr := f.mr(w, r); mr != nil {
		by := mr.Approvals
		if by == nil {
			by = []map[string]any{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": 9000 + mr.IID, "iid": mr.IID, "project_id": fakeProjectID,
			"state": mr.State, "approved": len(by) > 0, "approvals_required": 0, "approvals_left": 0, "approved_by": by})
	}
}

func (f *fakeGitLab) versions(w http.ResponseWriter, r *http.Request) {
	if mr := f.mr(w, r); mr != nil {
		var items []any
		for i := len(mr.Versions) - 1; i >= 0; i-- { // newest first, as GitLab lists them
			items = append(items, mr.Versions[i])
		}
		f.page(w, r, items)
	}
}

func (f *fakeGitLab) noteJSON(n *fakeNote) map[string]any {
	author := n.Author
	if author == "" {
		author = "driftgate-bot"
	}
	return map[string]any{"id": n.ID, "body": n.Body, "system": n.System, "author": f.userJSON(author),
		"noteable_type": "MergeRequest", "noteable_iid": n.MR, "created_at": n.At.Format(time.RFC3339)}
}

func (f *fakeGitLab) mrNotes(iid int) []*fakeNote {
	var out []*fakeNote
	for id := int64(1); id <= int64(f.seq); id++ {
		if n := f.notes[id]; n != nil && n.MR == iid {
			out = append(out, n)
		}
	}
	return out
}

func (f *fakeGitLab) listNotes(w http.ResponseWriter, r *http.Request) {
	mr := f.mr(w, r)
	if mr == nil {
		return
	}
	notes := f.mrNotes(mr.IID)
	var items []any
	if r.URL.Query().Get("sort") == "asc" {
		for _, n := range notes {
			items = append(items, f.noteJSON(n))
		}
	} else { // GitLab's default: newest first
		for i := len(notes) - 1; i >= 0; i-- {
			items = append(items, f.noteJSON(notes[i]))
		}
	}
	f.page(w, r, items)
}

// noteBody decodes {"body": ...} and answers GitLab's 400 for an
// over-long one.
func noteBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Body *string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body is missing"})
		return "", true
	}
	if utf8.RuneCountInString(*in.Body) > MaxCommentLength {
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"message": `400 (Bad request) "Note {:note=>["is too long (maximum is 1000000 characters)"]}" not given`})
		return "", true
	}
	return *in.Body, false
}

func (f *fakeGitLab) createNote(w http.ResponseWriter, r *http.Request) {
	mr := f.mr(w, r)
	if mr == nil {
		return
	}
	body, bad := noteBody(w, r)
	if bad {
		return
	}
	f.seq++
	n := &fakeNote{ID: int64(f.seq), MR: mr.IID, Body: body, At: f.tick()}
	f.notes[n.ID] = n
	writeJSON(w, http.StatusCreated, f.noteJSON(n))
}

func (f *fakeGitLab) note(w http.ResponseWriter, r *http.Request) *fakeNote {
	mr := f.mr(w, r)
	if mr == nil {
		return nil
	}
	id, _ := strconv.ParseInt(r.PathValue("note"), 10, 64)
	n := f.notes[id]
	if n == nil || n.MR != mr.IID {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "404 Not found"})
		return nil
	}
	return n
}

func (f *fakeGitLab) updateNote(w http.ResponseWriter, r *http.Request) {
	n := f.note(w, r)
	if n == nil {
		return
	}
	if n.Author != "" && n.Author != "driftgate-bot" {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "403 Forbidden"})
		return
	}
	body, bad := noteBody(w, r)
	if bad {
		return
	}
	n.Body = body
	writeJSON(w, http.StatusOK, f.noteJSON(n))
}

func (f *fakeGitLab) deleteNote(w http.ResponseWriter, r *http.Request) {
	if n := f.note(w, r); n != nil {
		delete(f.notes, n.ID)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (f *fakeGitLab) setStatus(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "state is missing"})
		return
	}
	state, _ := in["state"].(string)
	switch state {
	case "pending", "running", "success", "failed", "canceled", "skipped":
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "state does not have a valid value"})
		return
	}
	name, _ := in["name"].(string)
	if name == "" {
		name = "default"
	}
	sha := r.PathValue("sha")
	if old, ok := f.statuses[sha][name]; ok && old["status"] == state && (state == "pending" || state == "running") {
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"message": fmt.Sprintf("Cannot transition status via :%s from :%s", map[string]string{"pending": "enqueue", "running": "run"}[state], state)})
		return
	}
	if f.statuses[sha] == nil {
		f.statuses[sha] = map[string]map[string]any{}
	}
	f.seq++
	st := map[string]any{"id": f.seq, "sha": sha, "status": state, "name": name, "description": in["description"],
		"target_url": in["target_url"], "author": f.userJSON("driftgate-bot")}
	f.statuses[sha][name] = st
	writeJSON(w, http.StatusCreated, st)
}

func (f *fakeGitLab) member(w http.ResponseWriter, r *http.Request) {
	uid, _ := strconv.ParseInt(r.PathValue("uid"), 10, 64)
	lvl, ok := f.access[uid]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "404 Not found"})
		return
	}
	for name, id := range f.users {
		if id == uid {
			m := f.userJSON(name)
			m["access_level"] = lvl
			writeJSON(w, http.StatusOK, m)
			return
		}
	}
}

func (f *fakeGitLab) listUsers(w http.ResponseWriter, r *http.Request) {
	var items []any
	q := r.URL.Query().Get("username")
	for name := range f.users {
		if strings.EqualFold(name, q) {
			items = append(items, f.userJSON(name))
		}
	}
	f.page(w, r, items)
}

func (f *fakeGitLab) fail(path string, status int, header map[string]string, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if body == "" {
		body = `{"message":"` + strconv.Itoa(status) + ` ` + http.StatusText(status) + `"}`
	}
	f.faults = append(f.faults, fault{path: path, status: status, header: header, body: body})
}
