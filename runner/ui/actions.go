package ui

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/driftgate/driftgate/runner/api"
)

// actionRoles is the least role each button needs, as the API's routes
// require it (see api's routes): the UI only hides buttons with it. The
// API, which every action goes through, decides.
var actionRoles = map[string]api.Role{
	"approve": api.RoleApprover, "reject": api.RoleApprover, "apply": api.RoleApprover, "cancel": api.RoleApprover,
	"plan": api.RoleApprover, "drift-check": api.RoleApprover, "release": api.RoleAdmin,
}

// can reports, by action, whether v's role allows it.
func (s *server) can(v visitor) map[string]bool {
	m := map[string]bool{}
	for a, need := range actionRoles {
		m[a] = v.p.Role.AtLeast(need)
	}
	return m
}

// runAction posts approve, reject, apply or cancel of a run to the API.
func (s *server) runAction(w http.ResponseWriter, r *http.Request) {
	v, id, action := visitorOf(r), r.PathValue("id"), r.PathValue("action")
	switch action {
	case "approve", "reject", "apply", "cancel":
	default:
		s.fail(w, r, v, http.StatusNotFound, "runs have no action "+action+": use approve, reject, apply or cancel")
		return
	}
	var body []byte
	if action == "approve" || action == "reject" {
		body, _ = json.Marshal(map[string]string{"comment": r.PostFormValue("comment")})
	}
	status, msg := s.callAPI(r, v, http.MethodPost, "/api/v1/runs/"+url.PathEscape(id)+"/"+action, body, nil)
	if status >= 300 {
		s.fail(w, r, v, status, msg)
		return
	}
	http.Redirect(w, r, "/runs/"+url.PathEscape(id)+"?done="+url.QueryEscape(action), http.StatusSeeOther)
}

// stackAction posts plan, drift-check or release of a stack to the API,
// and shows the run it queued.
func (s *server) stackAction(w http.ResponseWriter, r *http.Request) {
	v, repo, stack, action := visitorOf(r), r.PathValue("repo"), r.PathValue("stack"), r.PathValue("action")
	var body []byte
	switch action {
	case "plan", "drift-check":
	case "release":
		body, _ = json.Marshal(map[string]string{"comment": r.PostFormValue("comment")})
	default:
		s.fail(w, r, v, http.StatusNotFound, "stacks have no action "+action+": use plan, drift-check or release")
		return
	}
	var answer struct {
		ID   string `json:"id"`
		Plan *struct {
			ID string `json:"id"`
		} `json:"plan"`
	}
	status, msg := s.callAPI(r, v, http.MethodPost, "/api/v1/stacks/"+url.PathEscape(repo)+"/"+url.PathEscape(stack)+"/"+action, body, &answer)
	if status >= 300 {
		s.fail(w, r, v, status, msg)
		return
	}
	to := "/stacks/" + url.PathEscape(repo) + "/" + url.PathEscape(stack) + "?done=" + url.QueryEscape(action)
	if answer.Plan != nil && answer.Plan.ID != "" {
		answer.ID = answer.Plan.ID
	}
	if answer.ID != "" {
		to = "/runs/" + url.PathEscape(answer.ID) + "?done=" + url.QueryEscape(action)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// callAPI serves method path through the API handler in-process with the
// session's token, decodes a 2xx answer into out (when not nil), and
// returns the status and, for errors, the API's message.
func (s *server) callAPI(r *http.Request, v visitor, method, path string, body []byte, out any) (int, string) {
	req, err := http.NewRequestWithContext(r.Context(), method, path, bytes.NewReader(body))
	if err != nil {
		return http.StatusBadRequest, err.Error()
	}
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Authorization", "Bearer "+v.token)
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}}
	s.apiH.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(rec.body.Bytes(), &e) != nil || e.Error == "" {
			e.Error = strings.ToLower(http.StatusText(rec.status))
		}
		return rec.status, e.Error
	}
	if out != nil {
		if err := json.NewDecoder(io.LimitReader(&rec.body, 64<<20)).Decode(out); err != nil {
			s.logger.Error("ui: decode API answer", "path", path, "error", err)
			return http.StatusInternalServerError, "internal error; the driftgate server log has the details"
		}
	}
	return rec.status, ""
}

// recorder is the ResponseWriter callAPI serves the API into.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
