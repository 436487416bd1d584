package gitrepo

import (
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRemote(t *testing.T) {
	cwd, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in       string
		kind     remoteKind
		display  string
		endpoint string // the endpoint's String(): what go-git dials
		user     string
		password string
	}{
		{"https://github.com/org/infra.git", remoteHTTP, "https://github.com/org/infra.git", "https://github.com/org/infra.git", "", ""},
		{"http://git.local:8080/infra", remoteHTTP, "http://git.local:8080/infra", "http://git.local:8080/infra", "", ""},
		{"HTTPS://Host/r", remoteHTTP, "https://Host/r", "https://Host/r", "", ""},
		{"https://me:s3cret@host/r.git", remoteHTTP, "https://host/r.git", "https://host/r.git", "me", "s3cret"},
		{"  https://host/r.git\n", remoteHTTP, "https://host/r.git", "https://host/r.git", "", ""},
		{"ssh://git@github.com/org/infra.git", remoteSSH, "ssh://git@github.com/org/infra.git", "ssh://git@github.com/org/infra.git", "git", ""},
		{"ssh://git:pw@host:2222/r.git", remoteSSH, "ssh://git@host:2222/r.git", "ssh://git@host:2222/r.git", "git", "pw"},
		{"ssh://host/r.git", remoteSSH, "ssh://host/r.git", "ssh://host/r.git", "", ""},
		{"git+ssh://git@host/r.git", remoteSSH, "ssh://git@host/r.git", "ssh://git@host/r.git", "git", ""},
		{"git@github.com:org/infra.git", remoteSSH, "git@github.com:org/infra.git", "ssh://git@github.com/org/infra.git", "git", ""},
		{"host.example.com:infra.git", remoteSSH, "host.example.com:infra.git", "ssh://host.example.com/infra.git", "", ""},
		{"/srv/git/infra.git", remoteLocal, "/srv/git/infra.git", "file:///srv/git/infra.git", "", ""},
		{"/srv/git/../git/infra/", remoteLocal, "/srv/git/infra", "file:///srv/git/infra", "", ""},
		{"file:///srv/git/infra.git", remoteLocal, "/srv/git/infra.git", "file:///srv/git/infra.git", "", ""},
		{"file://localhost/srv/r", remoteLocal, "/srv/r", "file:///srv/r", "", ""},
		{"infra", remoteLocal, filepath.Join(cwd, "infra"), "file://" + filepath.ToSlash(filepath.Join(cwd, "infra")), "", ""},
		{"./a:b", remoteLocal, filepath.Join(cwd, "a:b"), "file://" + filepath.ToSlash(filepath.Join(cwd, "a:b")), "", ""},
		{"../up/r.git", remoteLocal, filepath.Join(filepath.Dir(cwd), "up", "r.git"), "file://" + filepath.ToSlash(filepath.Join(filepath.Dir(cwd), "up", "r.git")), "", ""},
	}
	for _, tt := range tests {
		got, err := parseRemote(tt.in)
		if err != nil {
			t.Errorf("parseRemote(%q): %v", tt.in, err)
			continue
		}
		if got.kind != tt.kind || got.display != tt.display || got.endpoint.String() != tt.endpoint || got.user != tt.user || got.password != tt.password {
			t.Errorf("parseRemote(%q) = kind %d, display %q, endpoint %q, user %q, password %q; want %d, %q, %q, %q, %q",
				tt.in, got.kind, got.display, got.endpoint.String(), got.user, got.password,
				tt.kind, tt.display, tt.endpoint, tt.user, tt.password)
		}
	}
}

func TestParseRemoteErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"   ",
		"ftp://host/r",
		"git://host/r.git",
		"https:///r.git",
		"ssh:///r.git",
		"file://server/share/r",
		"file://relative/../r",
		"https://me:s3cret@ho st/r.git",
		"https://me:s3cret@host:port/r.git",
		"git@host:",
	} {
		_, err := parseRemote(in)
		if !errors.Is(err, ErrInvalidURL) {
			t.Errorf("parseRemote(%q) = %v, want ErrInvalidURL", in, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("parseRemote(%q) error shows the password: %v", in, err)
		}
	}
}

// FuzzParseRemote checks that parseRemote never panics and never keeps
// a password where go-git or a message would see it.
func FuzzParseRemote(f *testing.F) {
	for _, s := range []string{
		"https://me:pw@host/r.git", "ssh://git@host:22/r", "git@host:r.git", "/abs/path", "rel/path",
		"file:///srv/r", "http://[::1]:8080/r", "https://host/r?x=1#y", "c:\\repo", "a:b/c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := parseRemote(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("parseRemote(%q) = %v, not ErrInvalidURL", in, err)
			}
			return
		}
		if r.endpoint == nil || r.display == "" {
			t.Fatalf("parseRemote(%q) = %+v: incomplete", in, r)
		}
		if r.endpoint.Password != "" {
			t.Fatalf("parseRemote(%q): endpoint keeps the password", in)
		}
		if r.kind != remoteLocal {
			if u, err := url.Parse(r.display); err == nil && u.User != nil {
				if _, ok := u.User.Password(); ok {
					t.Fatalf("parseRemote(%q): display %q keeps the password", in, r.display)
				}
			}
		}
	})
}
