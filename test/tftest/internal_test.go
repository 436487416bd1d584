package tftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		name       string
		base, drop []string
		set        []string
		want       []string
	}{
		{
			name: "set replaces inherited",
			base: []string{"PATH=/bin", "TF_CLI_CONFIG_FILE=/root/.terraformrc"},
			set:  []string{"TF_CLI_CONFIG_FILE=/tmp/x.tfrc"},
			want: []string{"PATH=/bin", "TF_CLI_CONFIG_FILE=/tmp/x.tfrc"},
		},
		{
			name: "drop removes inherited",
			base: []string{"TF_DATA_DIR=/shared", "HOME=/root"},
			drop: []string{"TF_DATA_DIR"},
			want: []string{"HOME=/root"},
		},
		{
			name: "later set wins and dropped keys can be set again",
			base: []string{"TF_PLUGIN_CACHE_DIR=/old"},
			drop: []string{"TF_PLUGIN_CACHE_DIR"},
			set:  []string{"A=1", "TF_PLUGIN_CACHE_DIR=/new", "A=2"},
			want: []string{"TF_PLUGIN_CACHE_DIR=/new", "A=2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeEnv(tt.base, tt.drop, tt.set); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("mergeEnv = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEnviron(t *testing.T) {
	t.Setenv("TF_CLI_CONFIG_FILE", "/missing/.terraformrc")
	t.Setenv("TF_DATA_DIR", "/shared")
	e := &Env{CLIConfigFile: "/tmp/dg.tfrc"}
	got := map[string]string{}
	for _, kv := range e.Environ("TF_LOG=DEBUG") {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	want := map[string]string{"TF_CLI_CONFIG_FILE": "/tmp/dg.tfrc", "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_LOG": "DEBUG"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Environ: %s=%q, want %q", k, got[k], v)
		}
	}
	if v, ok := got["TF_DATA_DIR"]; ok {
		t.Errorf("Environ kept TF_DATA_DIR=%q", v)
	}

	e.Setenv(t)
	if v := os.Getenv("TF_CLI_CONFIG_FILE"); v != "/tmp/dg.tfrc" {
		t.Errorf("after Setenv TF_CLI_CONFIG_FILE=%q", v)
	}
	if v := os.Getenv("TF_DATA_DIR"); v != "" {
		t.Errorf("after Setenv TF_DATA_DIR=%q, want empty", v)
	}
}

// parseRoot parses ProviderBlock's output and returns the provider's root.
func parseRoot(tb testing.TB, src string) (string, bool) {
	tb.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "main.tf", hcl.InitialPos)
	if diags.HasErrors() {
		tb.Fatalf("ProviderBlock output does not parse: %v\n%s", diags, src)
	}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "provider" {
			continue
		}
		attr, ok := b.Body.Attributes["root"]
		if !ok {
			return "", false
		}
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() {
			tb.Fatalf("root does not evaluate: %v\n%s", diags, src)
		}
		return v.AsString(), true
	}
	tb.Fatalf("no provider block in\n%s", src)
	return "", false
}

func TestProviderBlockQuotesRoot(t *testing.T) {
	roots := []string{
		"/tmp/plain",
		`C:\Users\me\root`,
		`/with "quotes"/and\backslash`,
		"/tmp/${not_a_var}/%{if x}",
		"/tab\there/new\nline/\x01ctl",
		"/ünïcode/日本",
		"/nfc/\u00e9", // already NFC; HCL would normalize e+U+0301 to this
	}
	for _, root := range roots {
		got, ok := parseRoot(t, ProviderBlock(root))
		if !ok || got != root {
			t.Errorf("ProviderBlock(%q) round-trips to %q (present %v)", root, got, ok)
		}
	}
	if _, ok := parseRoot(t, ProviderBlock("")); ok {
		t.Errorf("ProviderBlock(\"\") sets root; want it left to DGTEST_ROOT")
	}
}

// mustParseRoot is parseRoot for output that must set root.
func mustParseRoot(tb testing.TB, src string) string {
	tb.Helper()
	root, ok := parseRoot(tb, src)
	if !ok {
		tb.Fatalf("no root in\n%s", src)
	}
	return root
}

func FuzzProviderBlockQuotesRoot(f *testing.F) {
	f.Add("/tmp/x")
	f.Add(`a"b\c${d}%{e}`)
	f.Fuzz(func(t *testing.T, root string) {
		if root == "" || !utf8.ValidString(root) {
			t.Skip()
		}
		// HCL normalizes string literals to NFC, so that is the best a
		// round trip can give.
		if got, want := mustParseRoot(t, ProviderBlock(root)), norm.NFC.String(root); got != want {
			t.Errorf("ProviderBlock(%q) round-trips to %q, want %q", root, got, want)
		}
	})
}

func TestWorkPID(t *testing.T) {
	tests := []struct {
		name string
		pid  int
		ok   bool
	}{
		{"driftgate-tftest-1234-987654", 1234, true},
		{"driftgate-tftest-1234", 0, false},
		{"driftgate-tftest-abc-1", 0, false},
		{"driftgate-tftest--1", 0, false},
		{"other-1234-1", 0, false},
	}
	for _, tt := range tests {
		if pid, ok := workPID(tt.name); pid != tt.pid || ok != tt.ok {
			t.Errorf("workPID(%q) = %d, %v; want %d, %v", tt.name, pid, ok, tt.pid, tt.ok)
		}
	}
}

func TestFindMirror(t *testing.T) {
	if got, err := findMirror(t, ""); got != "" || err != nil {
		t.Errorf("findMirror(\"\") = %q, %v; want build", got, err)
	}
	empty := t.TempDir()
	if got, err := findMirror(t, empty); got != "" || err != nil {
		t.Errorf("findMirror(empty dir) = %q, %v; want build", got, err)
	}
	full := t.TempDir()
	bin := filepath.Join(full, binaryRelPath())
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := findMirror(t, full); got != full || err != nil {
		t.Errorf("findMirror(prebuilt) = %q, %v; want %q", got, err, full)
	}
}

func TestSweepStale(t *testing.T) {
	live, err := os.MkdirTemp("", workPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(live) })

	// A process that has certainly exited: this test binary, running no test.
	exited := exec.Command(os.Args[0], "-test.run=^$")
	if err := exited.Run(); err != nil {
		t.Fatalf("run a short-lived process: %v", err)
	}
	stale, err := os.MkdirTemp("", workPrefix+strconv.Itoa(exited.Process.Pid)+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(stale) })

	sweepStale()
	if _, err := os.Stat(live); err != nil {
		t.Errorf("sweepStale removed a live process's directory: %v", err)
	}
	if _, err := os.Stat(stale); runtime.GOOS != "windows" && !os.IsNotExist(err) {
		t.Errorf("sweepStale kept an exited process's directory: %v", err)
	}
}
