package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzReadDecision checks that any body is either refused with a 400 or
// 413 problem or read as a comment no longer than MaxCommentBytes.
func FuzzReadDecision(f *testing.F) {
	for _, seed := range []string{
		"", " ", "{}", "null", `{"comment": "ship it"}`, `{"comment": 5}`, `{"Comment": "x"}`,
		`{"comment": "a", "x": 1}`, `[]`, `"x"`, `{"comment": "a"} {}`, `{"comment": "a"} x`,
		`{"comment": "\u0000\n"}`, `{"comment":`, "\xff",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/runs/x/approve", strings.NewReader(body))
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxBodyBytes)
		req, err := readDecision(r, "/api/v1/runs/{id}/approve")
		if err != nil {
			if s := statusOf(err); s != http.StatusBadRequest && s != http.StatusRequestEntityTooLarge {
				t.Fatalf("body %q: error %v maps to %d, want 400 or 413", body, err, s)
			}
			return
		}
		if len(req.Comment) > MaxCommentBytes {
			t.Fatalf("body %q: comment of %d bytes accepted", body, len(req.Comment))
		}
		if strings.TrimSpace(body) == "" && req.Comment != "" {
			t.Fatalf("empty body %q read as comment %q", body, req.Comment)
		}
	})
}
