package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// unmatched is the route label of requests no pattern matched.
const unmatched = "unmatched"

// Instrument counts the requests next serves by route pattern and status
// code. next must route with an http.ServeMux, which records the pattern
// it matched in the request (r.Pattern, such as "GET /api/v1/runs/{id}"):
// that is the label, never the raw path, so run ids and stack names stay
// out of it.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		cw := &codeWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(cw, r)
		route := r.Pattern
		if route == "" {
			route = unmatched
		}
		m.apiRequests.WithLabelValues(route, strconv.Itoa(cw.code)).Inc()
		m.apiDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// codeWriter records the status code a handler answers.
type codeWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *codeWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *codeWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers (live logs) flush through the counter.
func (w *codeWriter) Flush() {
	w.wrote = true
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *codeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
