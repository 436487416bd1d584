package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/driftgate/driftgate/store"
)

// internalMessage is the answer to every 500: the cause is logged, never
// sent.
const internalMessage = "internal error; the driftgate server log has the details"

// problem is an error answered with an HTTP status and a message meant for
// the client. err, when set, is the cause, kept for errors.Is and logs.
type problem struct {
	status int
	msg    string
	hint   Hint // what to do next; empty when msg says it
	err    error
}

// Error returns the client message, with the cause when there is one.
func (p *problem) Error() string {
	if p.err != nil {
		return p.msg + ": " + p.err.Error()
	}
	return p.msg
}

// Unwrap returns the cause.
func (p *problem) Unwrap() error { return p.err }

// badRequest returns a 400 problem with a formatted message.
func badRequest(format string, args ...any) *problem {
	return &problem{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// statusOf maps an error to the HTTP status that answers it.
func statusOf(err error) int {
	var p *problem
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &p):
		return p.status
	case errors.Is(err, ErrNotFound), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrBadRequest), errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// explain turns a Service error into a problem with a message for the
// client. An error wrapping one of this package's sentinels was written for
// clients by the Service and is sent as is (less the sentinel's own text). A
// store.ErrNotFound gets a message naming what was not found (what, such as
// `run "01J..."`) and how to list what exists (hint). Any other error stays
// a 500, whose cause is only logged.
func explain(err error, what string, hint Hint) error {
	var p *problem
	if errors.As(err, &p) {
		return err
	}
	status := statusOf(err)
	var he *HintedError
	if errors.As(err, &he) && status != http.StatusInternalServerError {
		return &problem{status: status, msg: he.Msg, hint: he.Hint, err: err}
	}
	switch msg := clientText(err); {
	case status == http.StatusInternalServerError:
		return err
	case msg != "" && !errors.Is(err, store.ErrNotFound):
		return &problem{status: status, msg: msg, err: err}
	case status == http.StatusNotFound:
		return &problem{status: status, msg: what + " not found", hint: hint, err: err}
	case msg != "":
		return &problem{status: status, msg: msg, err: err}
	default:
		return &problem{status: status, msg: fmt.Sprintf("%s: %s", what, strings.ToLower(http.StatusText(status))), err: err}
	}
}

// clientText returns the text of err without the trailing text of the
// sentinel it wraps ("...: conflict"), or "" when nothing else is left.
func clientText(err error) string {
	msg := err.Error()
	for _, sentinel := range []error{ErrNotFound, ErrConflict, ErrForbidden, ErrBadRequest, ErrUnavailable} {
		if errors.Is(err, sentinel) {
			msg = strings.TrimSuffix(msg, ": "+sentinel.Error())
			if msg == sentinel.Error() {
				return ""
			}
		}
	}
	return msg
}

// errorBody is the JSON body of every error answer. Error is the whole
// message for an API user: when there is a hint, the message, "; " and
// Hint (a route). CLIHint is the same advice as a driftgate command, which
// the CLI prints after the message instead of the route.
type errorBody struct {
	Error   string `json:"error"`
	Hint    string `json:"hint,omitempty"`
	CLIHint string `json:"cli_hint,omitempty"`
}

// writeError answers err. Problems send their message; anything else is a
// 500 with a generic message. Nothing is written when the handler already
// started its answer.
func (s *server) writeError(w *statusWriter, err error) {
	if w.status != 0 {
		return
	}
	status := statusOf(err)
	msg := internalMessage
	var p *problem
	var hint Hint
	switch {
	case errors.As(err, &p):
		msg, hint = p.msg, p.hint
	case status != http.StatusInternalServerError && clientText(err) != "":
		msg = clientText(err)
	case status != http.StatusInternalServerError:
		msg = strings.ToLower(http.StatusText(status))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="driftgate"`)
	}
	body := errorBody{Error: msg}
	if hint.API != "" {
		body = errorBody{Error: msg + "; " + hint.API, Hint: hint.API, CLIHint: hint.CLI}
	}
	s.writeJSON(w, status, body)
}

// writeJSON answers v as compact JSON with status.
func (s *server) writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Every answer is an apiv1 type or a struct of this package.
		s.logger.Error("encode response", logErr, err.Error())
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{Error: internalMessage})
	}
	s.writeBody(w, status, "application/json", append(body, '\n'))
}

// writeBody answers body with status and content type.
func (s *server) writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A failed write means the client went away; there is no one to tell.
	_, _ = w.Write(body)
}
