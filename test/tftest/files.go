package tftest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Kind is a class of test-provider object; it names the sub-directory of
// the provider's root that holds the backing files.
type Kind string

// The kinds of object the test provider manages.
const (
	// Servers hold dgtest_server objects.
	Servers Kind = "servers"
	// Secrets hold dgtest_secret objects.
	Secrets Kind = "secrets"
)

// WriteFiles writes files, keyed by slash-separated paths relative to root,
// creating directories as needed. It fails the test on a path that leaves
// root.
func WriteFiles(tb testing.TB, root string, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		if !filepath.IsLocal(filepath.FromSlash(name)) {
			tb.Fatalf("tftest: WriteFiles: %q is not a local relative path", name)
		}
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatalf("tftest: WriteFiles: %v", err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			tb.Fatalf("tftest: WriteFiles: %v", err)
		}
	}
}

// ProviderBlock returns HCL that requires driftgate/dgtest 0.1.0 and
// configures it with root as its backing directory. With root "" the
// provider block is empty and the provider falls back to $DGTEST_ROOT.
func ProviderBlock(root string) string {
	var b strings.Builder
	b.WriteString(`terraform {
  required_providers {
    dgtest = {
      source  = "` + providerNamespace + "/" + providerType + `"
      version = "` + providerVersion + `"
    }
  }
}

provider "dgtest" {
`)
	if root != "" {
		b.WriteString("  root = " + hclQuote(root) + "\n")
	}
	b.WriteString("}\n\n")
	return b.String()
}

// hclQuote returns s as an HCL native-syntax string literal, escaping
// template sequences so s is taken literally.
func hclQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case (r == '$' || r == '%') && strings.HasPrefix(s[i+1:], "{"):
			b.WriteRune(r)
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ObjectPath returns the backing file of the object kind/name under the
// provider root.
func ObjectPath(root string, kind Kind, name string) string {
	return filepath.Join(root, string(kind), name+".json")
}

// ReadObject decodes the backing file of kind/name; JSON numbers come back
// as float64. It fails the test if the file is missing or not JSON.
func ReadObject(tb testing.TB, root string, kind Kind, name string) map[string]any {
	tb.Helper()
	data, err := os.ReadFile(ObjectPath(root, kind, name))
	if err != nil {
		tb.Fatalf("tftest: ReadObject: %v", err)
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		tb.Fatalf("tftest: ReadObject %s/%s: %v", kind, name, err)
	}
	return obj
}

// WriteObject replaces (or creates) the backing file of kind/name with obj,
// atomically, as a change made outside Terraform.
func WriteObject(tb testing.TB, root string, kind Kind, name string, obj map[string]any) {
	tb.Helper()
	data, err := json.MarshalIndent(obj, "", "  ")
	if err != nil {
		tb.Fatalf("tftest: WriteObject %s/%s: %v", kind, name, err)
	}
	path := ObjectPath(root, kind, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatalf("tftest: WriteObject: %v", err)
	}
	tmp := path + ".tftest.tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		tb.Fatalf("tftest: WriteObject: %v", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		tb.Fatalf("tftest: WriteObject: %v", err)
	}
}

// DeleteObject removes the backing file of kind/name, as a deletion made
// outside Terraform. It fails the test if the file is already gone.
func DeleteObject(tb testing.TB, root string, kind Kind, name string) {
	tb.Helper()
	if err := os.Remove(ObjectPath(root, kind, name)); err != nil {
		tb.Fatalf("tftest: DeleteObject: %v", err)
	}
}
