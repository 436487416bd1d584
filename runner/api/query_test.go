package api

import (
	"errors"
	"log/slog"
	"net/http"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestParseRunFilter(t *testing.T) {
	tests := []struct {
		query   string
		want    apiv1.RunFilter
		wantErr bool
	}{
		{query: "", want: apiv1.RunFilter{}},
		{query: "repo=a&stack=b&status=running&limit=1&cursor=c", want: apiv1.RunFilter{Repo: "a", Stack: "b", Status: apiv1.StatusRunning, Limit: 1, Cursor: "c"}},
		{query: "limit=&status=&repo=", want: apiv1.RunFilter{}},
		{query: "limit=+5", wantErr: true}, // "+" decodes to a space
		{query: "limit=%2B5", want: apiv1.RunFilter{Limit: 5}},
		{query: "limit=05", want: apiv1.RunFilter{Limit: 5}},
		{query: "status=cancelled", wantErr: true},
		{query: "limit=9999999999999999999999", wantErr: true},
		{query: "x=1", wantErr: true},
		{query: "repo=a;stack=b", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseRunFilter(tt.query)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseRunFilter(%q) = %+v, %v, want %+v (error %v)", tt.query, got, err, tt.want, tt.wantErr)
		}
		if err != nil && statusOf(err) != http.StatusBadRequest {
			t.Errorf("parseRunFilter(%q) error %v maps to %d, want 400", tt.query, err, statusOf(err))
		}
	}
}

// FuzzParseRunFilter checks that any query string either is refused with a
// 400 or yields a valid filter that survives re-encoding by the client's
// apiv1.RunFilter.Query.
func FuzzParseRunFilter(f *testing.F) {
	for _, seed := range []string{
		"", "repo=infra&stack=net&status=planned&limit=10&cursor=abc", "limit=0", "status=x",
		"repo=%00", "a=1&a=2", "%zz", "limit=500", "limit=-1", "repo=a;b",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		got, err := parseRunFilter(query)
		if err != nil {
			var p *problem
			if !errors.As(err, &p) || p.status != http.StatusBadRequest || p.msg == "" {
				t.Fatalf("parseRunFilter(%q) error %v is not a 400 problem", query, err)
			}
			return
		}
		if got.Status != "" && !store.RunStatus(got.Status).Valid() {
			t.Fatalf("parseRunFilter(%q) status %q is not valid", query, got.Status)
		}
		if got.Limit < 0 || got.Limit > apiv1.MaxListLimit || got.Limit > store.MaxListLimit {
			t.Fatalf("parseRunFilter(%q) limit %d out of range", query, got.Limit)
		}
		q := got.Query() // as a client encodes it
		again, err := parseRunFilter(q.Encode())
		if err != nil || again != got {
			t.Fatalf("re-encoded %q parses to %+v, %v, want %+v", q.Encode(), again, err, got)
		}
	})
}
