// Package giteatest runs a real Gitea for tests: sqlite in a temp dir, on a
// free loopback port, with an admin user and its token, webhooks allowed to
// loopback addresses. The binary is built by test/tools/build-gitea.sh (make
// gitea); tests skip with a note when it is absent.
//
// Start gives a test its own Gitea; Shared gives every test of a package one
// Gitea, stopped by Main from TestMain. Helpers (users, repos, pushes, PRs,
// reviews, webhooks) make unique names, so tests sharing a Gitea do not meet.
package giteatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"code.gitea.io/sdk/gitea"
)

// EnvBinary names the Gitea binary to run; by default
// <module root>/.build/gitea/gitea, where `make gitea` builds it.
const EnvBinary = "DRIFTGATE_TEST_GITEA"

// Server is a running Gitea.
type Server struct {
	// URL is the base URL, such as http://127.0.0.1:41234 (no trailing slash).
	URL string
	// Admin is the site administrator every helper acts as by default.
	Admin User
	// Dir holds app.ini, the sqlite database, the repositories and the logs.
	Dir string

	cmd  *exec.Cmd
	done chan struct{}
	seq  atomic.Int64
}

// User is a Gitea account with a token of scope "all".
type User struct {
	Name     string
	Password string
	Email    string
	Token    string
}

const adminPassword = "driftgate-admin-pw"

// Start runs a Gitea for tb and stops it when tb ends. It skips tb when the
// binary is not built.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := binary(tb)
	s, err := start(bin, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.stop)
	return s
}

var shared struct {
	sync.Mutex
	srv  *Server
	err  error
	dir  string
	done bool
}

// Shared returns the Gitea every test of the process shares, starting it on
// first use. Call Main from TestMain so it is stopped when the tests end.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	bin := binary(tb)
	shared.Lock()
	defer shared.Unlock()
	if !shared.done {
		shared.done = true
		shared.dir, shared.err = os.MkdirTemp("", "giteatest-")
		if shared.err == nil {
			shared.srv, shared.err = start(bin, shared.dir)
		}
	}
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.srv
}

// Main runs the tests and stops the Shared Gitea afterwards:
//
//	func TestMain(m *testing.M) { os.Exit(giteatest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.srv != nil {
		shared.srv.stop()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	return code
}

// binary finds the Gitea binary or skips tb.
func binary(tb testing.TB) string {
	tb.Helper()
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		root, err := moduleRoot()
		if err != nil {
			tb.Skipf("giteatest: %v; set %s to a Gitea binary", err, EnvBinary)
		}
		bin = filepath.Join(root, ".build", "gitea", "gitea")
	}
	if _, err := os.Stat(bin); err != nil {
		tb.Skipf("giteatest: no Gitea binary at %s: run `make gitea` (builds it from the Go module proxy) or set %s", bin, EnvBinary)
	}
	return bin
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// start writes app.ini, migrates the database, creates the admin with a
// token, and serves until stop.
func start(bin, dir string) (*Server, error) {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("giteatest: free port: %w", err)
	}
	ini := filepath.Join(dir, "app.ini")
	if err := os.WriteFile(ini, []byte(appINI(dir, filepath.Dir(bin), port)), 0o600); err != nil {
		return nil, err
	}
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), Dir: dir, done: make(chan struct{})}
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--config", ini, "--work-path", dir}, args...)...)
		cmd.Dir = dir
		cmd.Env = giteaEnv(dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("giteatest: gitea %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	if _, err := run("migrate"); err != nil {
		return nil, err
	}
	out, err := run("admin", "user", "create", "--admin", "--username", "dgadmin", "--password", adminPassword,
		"--email", "dgadmin@example.test", "--must-change-password=false",
		"--access-token", "--access-token-name", "giteatest", "--access-token-scopes", "all")
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`Access token was successfully created\.\.\. ([0-9a-f]+)`).FindStringSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("giteatest: no access token in the output of gitea admin user create:\n%s", out)
	}
	s.Admin = User{Name: "dgadmin", Password: adminPassword, Email: "dgadmin@example.test", Token: m[1]}

	logf, err := os.Create(filepath.Join(dir, "gitea.out"))
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "--config", ini, "--work-path", dir, "web", "--quiet")
	s.cmd.Dir = dir
	s.cmd.Env = giteaEnv(dir)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	setProcAttr(s.cmd)
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("giteatest: start gitea web: %w", err)
	}
	go func() {
		_ = s.cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	if err := s.waitReady(60 * time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func giteaEnv(dir string) []string {
	env := []string{"HOME=" + dir, "GITEA_WORK_DIR=" + dir, "USER=" + os.Getenv("USER")}
	for _, k := range []string{"PATH", "TMPDIR", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("giteatest: gitea web exited before it served:\n%s", s.logTail())
		default:
		}
		resp, err := client.Get(s.URL + "/api/v1/version")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("giteatest: gitea did not answer on %s within %s:\n%s", s.URL, limit, s.logTail())
}

// logTail is the end of Gitea's output and log, for failure messages.
func (s *Server) logTail() string {
	var b bytes.Buffer
	for _, name := range []string{"gitea.out", "log/gitea.log"} {
		data, err := os.ReadFile(filepath.Join(s.Dir, name))
		if err != nil {
			continue
		}
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", name, data)
	}
	return b.String()
}

// stop ends gitea web: an interrupt first, a kill after ten seconds.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// appINI is the configuration: sqlite, no SSH, no mail, in-memory queues and
// caches, webhooks allowed to loopback, the static files (options/,
// templates/) next to the binary.
func appINI(dir, static string, port int) string {
	return fmt.Sprintf(`I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true
APP_NAME = driftgate test
RUN_MODE = prod
WORK_PATH = %[1]s

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %[3]d
ROOT_URL = http://127.0.0.1:%[3]d/
LOCAL_ROOT_URL = http://127.0.0.1:%[3]d/
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
STATIC_ROOT_PATH = %[2]s
APP_DATA_PATH = %[1]s/data

[database]
DB_TYPE = sqlite3
PATH = %[1]s/gitea.db
SQLITE_JOURNAL_MODE = WAL

[repository]
ROOT = %[1]s/repos
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = %[4]s
INTERNAL_TOKEN = %[5]s
ALLOWED_HOST_LIST = loopback

[webhook]
DELIVER_TIMEOUT = 5

[oauth2]
ENABLED = false

[mailer]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
ENABLE_NOTIFY_MAIL = false
DEFAULT_KEEP_EMAIL_PRIVATE = false

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[queue]
TYPE = channel

[cache]
ADAPTER = memory

[session]
PROVIDER = memory

[cron]
ENABLED = false

[cron.update_checker]
ENABLED = false

[actions]
ENABLED = false

[packages]
ENABLED = false

[log]
MODE = file
LEVEL = Warn
ROOT_PATH = %[1]s/log
`, dir, static, port, randomHex(32), randomHex(32))
}

// unique makes name unique on this server, so tests sharing it do not meet.
func (s *Server) unique(name string) string {
	return fmt.Sprintf("%s%d", name, s.seq.Add(1))
}

// Client is an SDK client acting as u.
func (s *Server) Client(tb testing.TB, u User) *gitea.Client {
	tb.Helper()
	c, err := gitea.NewClient(s.URL, gitea.SetToken(u.Token), gitea.SetGiteaVersion(""))
	if err != nil {
		tb.Fatalf("giteatest: client for %s: %v", u.Name, err)
	}
	return c
}
