package tfrun

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseLockError(t *testing.T) {
	read := func(name string) string {
		raw, err := os.ReadFile(filepath.Join("testdata", "lockerror", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	created := func(s string) time.Time {
		c, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// The probe's own lock in http-held.txt, and a moment before it.
	probeStart := created("2026-11-25T19:18:29Z")
	tests := []struct {
		name    string
		text    string
		since   time.Time
		version string
		want    *LockInfo
	}{
		// Terraform 1.11.4's stderr, -no-color (as terraform-exec runs
		// it), while an apply held the lock of a local backend.
		{"local, no colour", read("local-nocolor.txt"), time.Time{}, "", &LockInfo{
			ID: "719e261e-a33b-e69c-6b04-25ae0482517f", Path: "/tmp/exp/state/my.tfstate",
			Operation: "OperationTypeApply", Who: "root@vm", Version: "1.11.4",
			Created: created("2026-11-25T19:09:27.945778166Z"),
		}},
		// A lock older than the probe of the same version is not its own.
		{"local, before the probe", read("local-nocolor.txt"), probeStart, "1.11.4", &LockInfo{
			ID: "719e261e-a33b-e69c-6b04-25ae0482517f", Path: "/tmp/exp/state/my.tfstate",
			Operation: "OperationTypeApply", Who: "root@vm", Version: "1.11.4",
			Created: created("2026-11-25T19:09:27.945778166Z"),
		}},
		// Terraform 1.11.4's http backend prints the probe's own lock and
		// names the holder only in the message.
		{"http, holder in the message", read("http-held.txt"), probeStart, "1.11.4",
			&LockInfo{ID: "6f0c6e4e-held"}},
		{"http, holder in the message, no since", read("http-held.txt"), time.Time{}, "",
			&LockInfo{ID: "6f0c6e4e-held"}},
		{"own lock, holder unnamed", strings.Replace(read("http-held.txt"),
			"HTTP remote state already locked: ID=6f0c6e4e-held", "HTTP remote state already locked, failed to unmarshal body", 1),
			probeStart, "1.11.4", &LockInfo{}},
		{"plan lock of another version", strings.Replace(read("http-held.txt"),
			"HTTP remote state already locked: ID=6f0c6e4e-held", "locked", 1),
			probeStart, "1.12.0", &LockInfo{
				ID: "15b8fb74-ed3e-83c6-11a2-0d31b344edb4", Operation: "OperationTypePlan", Who: "root@vm",
				Version: "1.11.4", Created: created("2026-11-25T19:18:29.689019542Z"),
			}},
		// The same, in colour with the diagnostic's box margin.
		{"local, colour", read("local-color.txt"), time.Time{}, "", &LockInfo{
			ID: "57d3d129-6640-7bd6-95ac-24e9d83f2234", Path: "/tmp/exp/state/my.tfstate",
			Operation: "OperationTypeApply", Who: "root@vm", Version: "1.11.4",
			Created: created("2026-11-25T19:15:50.744371429Z"),
		}},
		{"other zone, monotonic reading, info", `Error: Error acquiring the state lock

Error message: ConditionalCheckFailedException: The conditional request failed
Lock Info:
  ID:        f00d
  Path:      bucket/env/prod.tfstate
  Operation: OperationTypePlan
  Who:       ci@runner-7
  Version:   1.9.8
  Created:   2025-03-01 10:00:00.5 +0200 EET m=+0.012
  Info:      nightly: run 42

Terraform acquires a state lock...`, probeStart, "1.11.4", &LockInfo{
			ID: "f00d", Path: "bucket/env/prod.tfstate", Operation: "OperationTypePlan",
			Who: "ci@runner-7", Version: "1.9.8", Info: "nightly: run 42",
			Created: created("2025-03-01T10:00:00.5+02:00"),
		}},
		{"bad created", "Error acquiring the state lock\nLock Info:\n  ID: x\n  Created: yesterday\n", time.Time{}, "", &LockInfo{ID: "x"}},
		{"no lock info", "Error: Error acquiring the state lock\n\nError message: AccessDenied\n", time.Time{}, "", nil},
		{"no ID", "Error acquiring the state lock\nLock Info:\n  Path: p\n", time.Time{}, "", nil},
		{"lock info without the error", "Lock Info:\n  ID: x\n", time.Time{}, "", nil},
		{"other error", "Error: Unsupported argument\n", time.Time{}, "", nil},
		{"empty", "", time.Time{}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseLockError(tt.text, tt.since, tt.version)
			if (got == nil) != (tt.want == nil) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if got == nil {
				return
			}
			if !got.Created.Equal(tt.want.Created) {
				t.Errorf("created %v, want %v", got.Created, tt.want.Created)
			}
			got.Created, tt.want.Created = time.Time{}, time.Time{}
			if *got != *tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseLockError(f *testing.F) {
	f.Add("Error acquiring the state lock\nLock Info:\n  ID: x\n  Created: 2025-03-01 10:00:00 +0000 UTC\n")
	f.Add("Error acquiring the state lock\nLock Info:")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		if li := parseLockError(text, time.Time{}, ""); li != nil && li.ID == "" {
			t.Errorf("lock without an ID: %+v", li)
		}
	})
}

func TestForceUnlockCommand(t *testing.T) {
	tests := []struct{ dir, workspace, id, want string }{
		{"envs/prod", "", "abc-123", "terraform -chdir=envs/prod force-unlock -force abc-123"},
		{"envs/prod/", "default", "abc", "terraform -chdir=envs/prod force-unlock -force abc"},
		{".", "staging", "abc", "TF_WORKSPACE=staging terraform -chdir=. force-unlock -force abc"},
		{"my stack", "", "it's", `terraform -chdir='my stack' force-unlock -force 'it'\''s'`},
		{"a", "", "$(rm -rf /)", `terraform -chdir=a force-unlock -force '$(rm -rf /)'`},
	}
	for _, tt := range tests {
		if got := forceUnlockCommand(tt.dir, tt.workspace, tt.id); got != tt.want {
			t.Errorf("forceUnlockCommand(%q, %q, %q) = %s, want %s", tt.dir, tt.workspace, tt.id, got, tt.want)
		}
	}
}

// httpBackend is a Terraform http backend (state at /state, lock at
// /lock) whose lock a test can hold.
type httpBackend struct {
	mu    sync.Mutex
	state []byte
	lock  []byte // the lock info JSON while locked
}

func (b *httpBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case r.URL.Path == "/state" && r.Method == http.MethodGet:
		if b.state == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write(b.state)
	case r.URL.Path == "/state" && r.Method == http.MethodPost:
		b.state = body
	case r.URL.Path == "/lock" && r.Method == "LOCK":
		if b.lock != nil {
			w.WriteHeader(http.StatusLocked)
			_, _ = w.Write(b.lock)
			return
		}
		b.lock = body
	case r.URL.Path == "/lock" && r.Method == "UNLOCK":
		b.lock = nil
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

func (b *httpBackend) locked() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lock != nil
}

// TestStateLockHTTPBackend probes a real backend other than local: the http
// backend, served by the test, first free, then locked by someone else;
// and the command StateLock gives clears the lock.
func TestStateLockHTTPBackend(t *testing.T) {
	h := newHarness(t)
	backend := &httpBackend{}
	srv := httptest.NewServer(backend)
	t.Cleanup(srv.Close)
	h.write(t, map[string]string{"envs/web/main.tf": h.stack(`
terraform {
  backend "http" {
    address        = "` + srv.URL + `/state"
    lock_address   = "` + srv.URL + `/lock"
    unlock_address = "` + srv.URL + `/lock"
  }
}
data "dgtest_wait" "never_read" { duration = "10m" }
resource "dgtest_server" "web" { name = "web" }
`)})
	sp := StackPlan{Source: os.DirFS(h.src), Layout: Layout{Dir: "envs/web"}, Backend: "http", Key: "test/envs/web"}
	var lastLog string
	stateLock := func() *LockInfo {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var log syncBuffer
		sp.Log = &log
		li, err := h.planner.StateLock(ctx, sp)
		lastLog = log.String()
		if err != nil {
			t.Fatalf("state lock: %v\n%s", err, log.String())
		}
		return li
	}

	if li := stateLock(); li != nil {
		t.Fatalf("free state: got lock %+v", li)
	}
	if backend.locked() {
		t.Fatal("the probe left the state locked")
	}

	created := time.Date(2025, 3, 1, 10, 0, 0, 500, time.UTC)
	held, _ := json.Marshal(map[string]any{
		"ID": "6f0c6e4e-held", "Operation": "OperationTypeApply", "Info": "",
		"Who": "alice@ci", "Version": "1.10.0", "Created": created, "Path": "",
	})
	backend.mu.Lock()
	backend.lock = held
	backend.mu.Unlock()
	li := stateLock()
	if li == nil {
		t.Fatal("locked state: no lock found")
	}
	// Terraform 1.11 names the holder's ID only; versions that print the
	// holder's Lock Info give the rest too.
	if li.ID != "6f0c6e4e-held" || !li.Held || li.Command != "terraform -chdir=envs/web force-unlock -force 6f0c6e4e-held" {
		t.Errorf("got %+v\n%s", *li, lastLog)
	}
	if li.Who != "" && (li.Who != "alice@ci" || !li.Created.Equal(created)) {
		t.Errorf("details of another lock: %+v", *li)
	}

	// The command works, from the root of an initialised checkout.
	wd, err := Prepare(context.Background(), os.DirFS(h.src), Layout{Dir: "envs/web"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h.env.Terraform(t, wd.StackDir, "init", "-input=false")
	cmd := exec.Command("sh", "-c", li.Command)
	cmd.Dir = wd.Src
	cmd.Env = h.env.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", li.Command, err, out)
	}
	if backend.locked() {
		t.Fatal("the command left the lock")
	}
	if li := stateLock(); li != nil {
		t.Errorf("after force-unlock: got lock %+v", li)
	}
}

func TestStateLockNoProbeOfRemoteRuns(t *testing.T) {
	p := &Planner{}
	for _, backend := range []string{"cloud", "remote"} {
		_, err := p.StateLock(context.Background(), StackPlan{Backend: backend, Layout: Layout{Dir: "."}})
		if !errors.Is(err, ErrNoLockProbe) {
			t.Errorf("backend %s: err = %v, want ErrNoLockProbe", backend, err)
		}
	}
}

func TestStateLockProbeFailure(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`
terraform {
  backend "http" { address = "http://127.0.0.1:1/state" }
}
`)})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	li, err := h.planner.StateLock(ctx, StackPlan{Source: os.DirFS(h.src), Layout: Layout{Dir: "web"}, Backend: "http"})
	var tfErr *Error
	if li != nil || !errors.As(err, &tfErr) {
		t.Fatalf("got %+v, %v; want a terraform error", li, err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("err = %v", err)
	}
}
