package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestStaticToken(t *testing.T) {
	tests := []struct {
		configured, given string
		want              bool
	}{
		{"s3cret", "s3cret", true},
		{"s3cret", "s3cre", false},
		{"s3cret", "s3cret ", false},
		{"s3cret", "S3CRET", false},
		{"s3cret", "", false},
		{"", "", false},
		{"", "anything", false},
	}
	for _, tt := range tests {
		p, got := StaticToken(tt.configured).Authenticate(tt.given)
		if got != tt.want {
			t.Errorf("StaticToken(%q).Authenticate(%q) = %v, want %v", tt.configured, tt.given, got, tt.want)
		}
		if got && (p != Principal{Name: "default", Role: RoleAdmin}) {
			t.Errorf("principal %+v, want default admin", p)
		}
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header, want string
		wantOK       bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER  abc ", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic abc", "", false},
		{"abc", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := bearerToken(tt.header)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("bearerToken(%q) = %q, %v, want %q, %v", tt.header, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestRoleValid(t *testing.T) {
	for _, r := range []Role{RoleViewer, RoleApprover, RoleAdmin} {
		if !r.Valid() {
			t.Errorf("%s is not valid", r)
		}
	}
	if Role("root").Valid() || Role("").Valid() {
		t.Error("unknown roles are valid")
	}
}

func TestBodyLimit(t *testing.T) {
	s := &server{}
	h := s.wrap(route{public: true, handle: func(w http.ResponseWriter, r *http.Request) error {
		if _, err := io.ReadAll(r.Body); err != nil {
			return err
		}
		s.writeJSON(w, http.StatusOK, statusBody{Status: "ok"})
		return nil
	}})
	s.logger = discardLogger()
	tests := []struct {
		size int
		want int
	}{
		{maxBodyBytes, http.StatusOK},
		{maxBodyBytes + 1, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/x", strings.NewReader(strings.Repeat("a", tt.size))))
		if rec.Code != tt.want {
			t.Errorf("body of %d bytes: status %d, want %d", tt.size, rec.Code, tt.want)
		}
	}
}
