package api

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/driftgate/driftgate/store"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestParseRunFilter(t *testing.T) {
	tests := []struct {
		query   string
		want    store.RunFilter
		wantErr bool
	}{
		{query: "", want: store.RunFilter{}},
		{query: "repo=a&stack=b&status=running&limit=1&cursor=c", want: store.RunFilter{Repo: "a", Stack: "b", Status: store.StatusRunning, Limit: 1, Cursor: "c"}},
		{query: "limit=&status=&repo=", want: store.RunFilter{}},
		{query: "limit=+5", wantErr: true}, // "+" decodes to a space
		{query: "limit=%2B5", want: store.RunFilter{Limit: 5}},
		{query: "limit=05", want: store.RunFilter{Limit: 5}},
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
// 400 or yields a valid filter that survives re-encoding.
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
		if got.Status != "" && !got.Status.Valid() {
			t.Fatalf("parseRunFilter(%q) status %q is not valid", query, got.Status)
		}
		if got.Limit < 0 || got.Limit > store.MaxListLimit {
			t.Fatalf("parseRunFilter(%q) limit %d out of range", query, got.Limit)
		}
		q := url.Values{}
		for k, v := range map[string]string{"repo": got.Repo, "stack": got.Stack, "status": string(got.Status), "cursor": got.Cursor} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if got.Limit > 0 {
			q.Set("limit", strconv.Itoa(got.Limit))
		}
		again, err := parseRunFilter(q.Encode())
		if err != nil || again != got {
			t.Fatalf("re-encoded %q parses to %+v, %v, want %+v", q.Encode(), again, err, got)
		}
	})
}
