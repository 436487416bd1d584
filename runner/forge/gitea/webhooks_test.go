package gitea

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"testing"

	"github.com/driftgate/driftgate/runner/forge"
)

func sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func TestVerify(t *testing.T) {
	body := []byte(`{"ref":"refs/heads/main"}`)
	tests := []struct {
		name   string
		sig    string // X-Gitea-Signature; "-" leaves it out
		body   []byte
		secret string
		ok     bool
	}{
		{"good", sign(body, "s3cret"), body, "s3cret", true},
		{"good, upper-case hex", "", body, "s3cret", true},
		{"wrong secret", sign(body, "other"), body, "s3cret", false},
		{"missing header", "-", body, "s3cret", false},
		{"empty header", "", []byte("x"), "s3cret", false},
		{"not hex", "zz" + sign(body, "s3cret")[2:], body, "s3cret", false},
		{"truncated", sign(body, "s3cret")[:32], body, "s3cret", false},
		{"body changed", sign(body, "s3cret"), []byte(`{"ref":"refs/heads/evil"}`), "s3cret", false},
		{"no secret configured", sign(body, ""), body, "", false},
		{"sha1 signature", "0123456789abcdef0123456789abcdef01234567", body, "s3cret", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			switch {
			case tt.sig == "-":
			case tt.name == "good, upper-case hex":
				h.Set(headerSignature, upper(sign(body, "s3cret")))
			default:
				h.Set(headerSignature, tt.sig)
			}
			err := Webhooks{}.Verify(h, tt.body, []byte(tt.secret))
			if tt.ok && err != nil {
				t.Fatalf("err = %v", err)
			}
			if !tt.ok && !errors.Is(err, forge.ErrSignature) {
				t.Fatalf("err = %v, want ErrSignature", err)
			}
		})
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestParseMalformedAndIgnored(t *testing.T) {
	tests := []struct {
		name  string
		event string
		body  string
		want  error
	}{
		{"not JSON", "push", `{"ref":`, forge.ErrMalformed},
		{"JSON array", "pull_request", `[]`, forge.ErrMalformed},
		{"push without repository", "push", `{"ref":"refs/heads/main"}`, forge.ErrMalformed},
		{"push without ref", "push", `{"repository":{"full_name":"a/b"}}`, forge.ErrMalformed},
		{"PR without pull_request", "pull_request", `{"action":"opened","repository":{"full_name":"a/b"}}`, forge.ErrMalformed},
		{"comment without comment", "issue_comment", `{"action":"created","is_pull":true,"issue":{"number":1},"repository":{"full_name":"a/b"}}`, forge.ErrMalformed},
		{"review without sender", "pull_request_approved", `{"pull_request":{"number":1},"repository":{"full_name":"a/b"}}`, forge.ErrMalformed},
		{"wrong type", "push", `{"ref":1,"repository":{"full_name":"a/b"}}`, forge.ErrMalformed},
		{"comment edited", "issue_comment", `{"action":"edited","is_pull":true,"issue":{"number":1},"comment":{"id":2,"body":"x"},"repository":{"full_name":"a/b"}}`, forge.ErrIgnored},
		{"comment on an issue", "issue_comment", `{"action":"created","issue":{"number":1,"pull_request":null},"comment":{"id":2},"repository":{"full_name":"a/b"}}`, forge.ErrIgnored},
		{"release", "release", `{}`, forge.ErrIgnored},
		{"no event header", "", `{}`, forge.ErrIgnored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.event != "" {
				h.Set(headerEvent, tt.event)
			}
			ev, err := Webhooks{}.Parse(h, []byte(tt.body))
			if !errors.Is(err, tt.want) || ev != nil {
				t.Fatalf("Parse = %+v, %v; want %v", ev, err, tt.want)
			}
		})
	}
}

func TestParseGogsHeader(t *testing.T) {
	h := http.Header{}
	h.Set("X-Gogs-Event", "push")
	ev, err := Webhooks{}.Parse(h, []byte(`{"ref":"refs/tags/v1","after":"b","repository":{"full_name":"a/b"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != forge.EventPush || ev.Push.Branch != "" || ev.Push.After != "b" {
		t.Errorf("tag push = %+v", ev.Push)
	}
}

func TestIsWIP(t *testing.T) {
	for title, want := range map[string]bool{
		"WIP: x": true, "wip: x": true, "[WIP] x": true, " [wip] x": true,
		"x WIP:": false, "WIPE: x": false, "": false,
	} {
		if got := isWIP(title); got != want {
			t.Errorf("isWIP(%q) = %v, want %v", title, got, want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	body := []byte(`{"ref":"refs/heads/main"}`)
	f.Add(sign(body, "s"), body, []byte("s"))
	f.Add("", body, []byte("s"))
	f.Add("zz", []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, sig string, body, secret []byte) {
		h := http.Header{}
		h.Set(headerSignature, sig)
		err := Webhooks{}.Verify(h, body, secret)
		if err != nil && !errors.Is(err, forge.ErrSignature) {
			t.Fatalf("err = %v, not ErrSignature", err)
		}
		if err == nil && (len(secret) == 0 || !hmac.Equal(mustHex(sig), mac(body, secret))) {
			t.Fatalf("verified a wrong signature %q", sig)
		}
	})
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

func mac(body, secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

func FuzzParse(f *testing.F) {
	for _, s := range []struct{ event, body string }{
		{"push", `{"ref":"refs/heads/main","before":"a","after":"b","repository":{"full_name":"a/b"}}`},
		{"pull_request", `{"action":"opened","pull_request":{"number":1,"head":{"repo_id":2},"base":{"repo_id":1},"merge_commit_sha":null},"repository":{"full_name":"a/b"}}`},
		{"pull_request", `{"action":"edited","changes":{"title":{"from":"WIP: x"}},"pull_request":{"number":1},"repository":{"full_name":"a/b"}}`},
		{"issue_comment", `{"action":"created","is_pull":true,"issue":{"number":1},"comment":{"id":2,"user":{"login":"u"},"body":"/driftgate plan"},"repository":{"full_name":"a/b"}}`},
		{"pull_request_approved", `{"action":"reviewed","pull_request":{"number":1,"head":{"sha":"c"}},"sender":{"login":"u"},"repository":{"full_name":"a/b"}}`},
		{"push", `null`},
	} {
		f.Add(s.event, []byte(s.body))
	}
	for _, name := range fixtureNames(f) {
		h, body := readFixture(f, name)
		f.Add(h.Get(headerEvent), body)
	}
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		h := http.Header{}
		h.Set(headerEvent, event)
		ev, err := Webhooks{}.Parse(h, body)
		if err != nil {
			if ev != nil {
				t.Fatal("an event with an error")
			}
			if !errors.Is(err, forge.ErrMalformed) && !errors.Is(err, forge.ErrIgnored) {
				t.Fatalf("err = %v, neither ErrMalformed nor ErrIgnored", err)
			}
			return
		}
		if ev.Project == "" {
			t.Fatal("an event without a project")
		}
		set := 0
		for _, p := range []bool{ev.Push != nil, ev.PR != nil, ev.Comment != nil, ev.Review != nil} {
			if p {
				set++
			}
		}
		if set != 1 {
			t.Fatalf("%d payloads set on a %s event", set, ev.Kind)
		}
	})
}
