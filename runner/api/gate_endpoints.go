package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// MaxCommentBytes is the longest comment, in bytes, that approve, reject
// and release accept: comments are kept on the run and in the audit log.
const MaxCommentBytes = 4 << 10

// approveRun records the principal's approval of a run and answers the
// run, queued once it has every approval it needs.
func (s *server) approveRun(w http.ResponseWriter, r *http.Request) error {
	return s.decide(w, r, "/api/v1/runs/{id}/approve", s.svc.ApproveRun)
}

// rejectRun records the principal's rejection of a run and answers the
// run, rejected.
func (s *server) rejectRun(w http.ResponseWriter, r *http.Request) error {
	return s.decide(w, r, "/api/v1/runs/{id}/reject", s.svc.RejectRun)
}

// decide reads the optional comment of endpoint, passes it to the Service
// method decision with the run's id, and answers the run.
func (s *server) decide(w http.ResponseWriter, r *http.Request, endpoint string,
	decision func(ctx context.Context, id, comment string) (*store.Run, error)) error {
	id := r.PathValue("id")
	req, err := readDecision(r, endpoint)
	if err != nil {
		return err
	}
	run, err := decision(r.Context(), id, req.Comment)
	if err != nil {
		return explain(err, fmt.Sprintf("run %s", quote(id)), HintRuns)
	}
	s.writeJSON(w, http.StatusOK, wireRun(run))
	return nil
}

// applyRun queues a run whose gate is satisfied and answers it.
func (s *server) applyRun(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := readNoBody(r, "/api/v1/runs/{id}/apply"); err != nil {
		return err
	}
	run, err := s.svc.ApplyRun(r.Context(), id)
	if err != nil {
		return explain(err, fmt.Sprintf("run %s", quote(id)), HintRuns)
	}
	w.Header().Set("Location", "/api/v1/runs/"+run.ID)
	s.writeJSON(w, http.StatusAccepted, wireRun(run))
	return nil
}

// listLocks answers the locked and held stacks of every repo, or of one.
func (s *server) listLocks(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery("/api/v1/locks", r.URL.RawQuery, []string{"repo"})
	if err != nil {
		return err
	}
	locks, err := s.svc.Locks(r.Context(), q["repo"])
	if err != nil {
		what := "locks"
		if q["repo"] != "" {
			what = fmt.Sprintf("repo %s", quote(q["repo"]))
		}
		return explain(err, what, HintRepos)
	}
	out := make([]apiv1.StackLock, len(locks))
	for i := range locks {
		out[i] = wireStackLock(&locks[i])
	}
	s.writeJSON(w, http.StatusOK, apiv1.LockList{Locks: out})
	return nil
}

// getStackLock answers one stack's lock.
func (s *server) getStackLock(w http.ResponseWriter, r *http.Request) error {
	repo, stack := r.PathValue("repo"), r.PathValue("stack")
	if _, err := parseQuery("/api/v1/stacks/{repo}/{stack}/lock", r.URL.RawQuery, nil); err != nil {
		return err
	}
	lock, err := s.svc.StackLock(r.Context(), repo, stack)
	if err != nil {
		return explainStack(err, repo, stack)
	}
	s.writeJSON(w, http.StatusOK, wireStackLock(lock))
	return nil
}

// releaseStack lifts a stack's hold and answers what was released and the
// plan queued.
func (s *server) releaseStack(w http.ResponseWriter, r *http.Request) error {
	repo, stack := r.PathValue("repo"), r.PathValue("stack")
	req, err := readDecision(r, "/api/v1/stacks/{repo}/{stack}/release")
	if err != nil {
		return err
	}
	rel, err := s.svc.ReleaseStack(r.Context(), repo, stack, req.Comment)
	if err != nil {
		return explainStack(err, repo, stack)
	}
	s.writeJSON(w, http.StatusOK, wireRelease(rel))
	return nil
}

// readDecision reads the optional body of endpoint, {"comment": "..."}: an
// empty body is no comment. Malformed JSON, a body that is not an object,
// unknown fields, trailing data and a comment longer than MaxCommentBytes
// are 400 problems naming what is wrong.
func readDecision(r *http.Request, endpoint string) (apiv1.DecisionRequest, error) {
	var req apiv1.DecisionRequest
	body, err := readBody(r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return req, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, bodyProblem(err, endpoint)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, badRequest("the body of %s holds more than one JSON value; send one object such as %s", endpoint, decisionExample)
	}
	if len(req.Comment) > MaxCommentBytes {
		return req, badRequest("the comment is %d bytes long; keep it to %d", len(req.Comment), MaxCommentBytes)
	}
	return req, nil
}

// decisionExample is the body approve, reject and release accept.
const decisionExample = `{"comment": "..."}`

// bodyProblem explains a JSON decoding error of endpoint's body as a 400
// problem.
func bodyProblem(err error, endpoint string) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var msg string
	switch {
	case errors.As(err, &syntax):
		msg = fmt.Sprintf("the body of %s is not valid JSON: %s (at byte %d)", endpoint, syntax, syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = fmt.Sprintf("the body of %s is not valid JSON: it ends too early", endpoint)
	case errors.As(err, &typ) && typ.Field == "":
		msg = fmt.Sprintf("the body of %s must be a JSON object such as %s, not %s", endpoint, decisionExample, article(typ.Value))
	case errors.As(err, &typ):
		msg = fmt.Sprintf("%q in the body of %s must be a string, not %s", typ.Field, endpoint, article(typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		msg = fmt.Sprintf("unknown field %s in the body of %s: it accepts %s", field, endpoint, decisionExample)
	default:
		msg = fmt.Sprintf("the body of %s cannot be read as %s", endpoint, decisionExample)
	}
	return &problem{status: http.StatusBadRequest, msg: msg, err: err}
}

// article prefixes a JSON type's name (such as "array") with "a" or "an".
func article(name string) string {
	if name != "" && strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// readNoBody refuses a request to endpoint with a body, which it does not
// read: a comment sent there would be lost.
func readNoBody(r *http.Request, endpoint string) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) > 0 {
		return badRequest("%s takes no body; send the request without one", endpoint)
	}
	return nil
}

// readBody reads the request body, which wrap limits to maxBodyBytes; a
// larger body is a 413 problem.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, &problem{
			status: http.StatusRequestEntityTooLarge,
			msg:    fmt.Sprintf("the request body is larger than %d bytes", tooBig.Limit),
			err:    err,
		}
	case err != nil:
		return nil, &problem{status: http.StatusBadRequest, msg: "the request body could not be read", err: err}
	}
	return body, nil
}
