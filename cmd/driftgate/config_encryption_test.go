package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// testEncryptionKey is the key in testdata/encryption/key.hex and key.b64.
var testEncryptionKey = func() []byte {
	k := make([]byte, store.EncryptionKeySize)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

// badKeyEnv holds a value that is not a key; diagnostics must not show it.
const badKeyEnv, badKeyValue = "DRIFTGATE_TEST_BAD_KEY", "bad-key-material-7f3e"

func TestLoadConfigEncryption(t *testing.T) {
	base, _ := filepath.Abs(filepath.Join("testdata", "encryption"))
	tests := []struct {
		file string
		env  string // value of DRIFTGATE_TEST_KEY
		want EncryptionConfig
	}{
		{"file_b64.hcl", "", EncryptionConfig{KeyFile: filepath.Join(base, "key.b64"), Key: testEncryptionKey}},
		{"file_hex.hcl", "", EncryptionConfig{KeyFile: filepath.Join(base, "key.hex"), Key: testEncryptionKey}},
		{"env.hcl", base64.StdEncoding.EncodeToString(testEncryptionKey), EncryptionConfig{KeyEnv: "DRIFTGATE_TEST_KEY", Key: testEncryptionKey}},
		{"env.hcl", " " + hex.EncodeToString(testEncryptionKey) + "\n", EncryptionConfig{KeyEnv: "DRIFTGATE_TEST_KEY", Key: testEncryptionKey}},
		{"none.hcl", "", EncryptionConfig{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Setenv("DRIFTGATE_TEST_KEY", tt.env)
			cfg, parser, diags := LoadConfig(filepath.Join("testdata", "encryption", tt.file))
			if diags.HasErrors() {
				t.Fatal(FormatDiagnostics(parser, diags))
			}
			got := cfg.Encryption
			if got.KeyFile != tt.want.KeyFile || got.KeyEnv != tt.want.KeyEnv || !bytes.Equal(got.Key, tt.want.Key) ||
				(got.Key == nil) != (tt.want.Key == nil) {
				t.Errorf("Encryption = %q, %q, %x; want %q, %q, %x",
					got.KeyFile, got.KeyEnv, []byte(got.Key), tt.want.KeyFile, tt.want.KeyEnv, []byte(tt.want.Key))
			}
		})
	}

}

func TestLoadConfigEncryptionErrors(t *testing.T) {
	t.Setenv("DRIFTGATE_TEST_KEY", base64.StdEncoding.EncodeToString(testEncryptionKey))
	t.Setenv(badKeyEnv, badKeyValue)
	const hint = "generate one with: head -c 32 /dev/urandom | base64"
	tests := []struct {
		file string
		want []string // substrings of the rendered diagnostics
	}{
		{"both.hcl", []string{"both.hcl:1:1: error: Invalid encryption block", "Set exactly one of key_file", "key_env", hint}},
		{"neither.hcl", []string{"neither.hcl:1:1: error: Invalid encryption block", "Set exactly one of key_file", hint}},
		{"missing_file.hcl", []string{"missing_file.hcl:2:14: error: Encryption key file not readable", "no_such_key", hint}},
		{"short_key.hcl", []string{"short_key.hcl:2:14: error: Invalid encryption key", "key_short.b64 does not hold a usable key: it decodes to 16 bytes, not 32", hint}},
		{"garbage_key.hcl", []string{"garbage_key.hcl:2:14: error: Invalid encryption key", "it is neither 64 hex digits nor base64", hint}},
		{"env_unset.hcl", []string{"env_unset.hcl:2:13: error: Environment variable not set", "DRIFTGATE_TEST_UNSET_KEY (the encryption key)", hint}},
		{"env_bad.hcl", []string{"env_bad.hcl:2:13: error: Invalid encryption key", "The environment variable " + badKeyEnv + " does not hold a usable key", hint}},
		{"env_bad_name.hcl", []string{"env_bad_name.hcl:2:13: error: Invalid environment variable name", "it is not the encryption key itself", hint}},
		{"inline_key.hcl", []string{"inline_key.hcl:2:3: error: Unsupported argument", `"key"`}},
		{"duplicate.hcl", []string{"duplicate.hcl:5:1: error: Duplicate encryption block"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cfg, parser, diags := LoadConfig(filepath.Join("testdata", "encryption", tt.file))
			if !diags.HasErrors() {
				t.Fatalf("no error; config %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("config returned with errors: %+v", cfg)
			}
			got := FormatDiagnostics(parser, diags)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, badKeyValue) {
				t.Errorf("diagnostics show the value of %s:\n%s", badKeyEnv, got)
			}
		})
	}
}

func TestParseEncryptionKey(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(testEncryptionKey)
	hx := hex.EncodeToString(testEncryptionKey)
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"base64", b64, ""},
		{"base64 with newline", b64 + "\n", ""},
		{"hex", hx, ""},
		{"upper-case hex", strings.ToUpper(hx), ""},
		{"hex with white space", "\t" + hx + "\r\n", ""},
		{"empty", "", "it is empty"},
		{"white space", " \n", "it is empty"},
		{"base64 of 16 bytes", base64.StdEncoding.EncodeToString(testEncryptionKey[:16]), "it decodes to 16 bytes, not 32"},
		{"base64 of 33 bytes", base64.StdEncoding.EncodeToString(append(testEncryptionKey, 0)), "it decodes to 33 bytes, not 32"},
		{"hex of 31 bytes", hx[:62], "neither 64 hex digits nor base64"},
		{"unpadded base64", strings.TrimRight(b64, "="), "neither 64 hex digits nor base64"},
		{"url-safe base64", base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)), "neither 64 hex digits nor base64"},
		{"raw bytes", string(testEncryptionKey), "neither 64 hex digits nor base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEncryptionKey(tt.in)
			if tt.wantErr == "" {
				if err != nil || !bytes.Equal(got, testEncryptionKey) {
					t.Errorf("parseEncryptionKey = %x, %v; want %x", []byte(got), err, testEncryptionKey)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseEncryptionKey err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestEncryptionKeyRedacted(t *testing.T) {
	ec := EncryptionConfig{KeyEnv: "K", Key: testEncryptionKey}
	hx := hex.EncodeToString(testEncryptionKey)
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		got := fmt.Sprintf(format, ec)
		if strings.Contains(got, hx) || strings.Contains(got, fmt.Sprint([]byte(testEncryptionKey))) ||
			strings.Contains(got, fmt.Sprintf("%#v", []byte(testEncryptionKey))) {
			t.Errorf("Sprintf(%q) shows the key: %s", format, got)
		}
	}
}

func FuzzParseEncryptionKey(f *testing.F) {
	for _, seed := range []string{
		base64.StdEncoding.EncodeToString(testEncryptionKey),
		hex.EncodeToString(testEncryptionKey),
		"", " ", "not a key", strings.Repeat("g", 64), strings.Repeat("A", 44),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := parseEncryptionKey(s)
		if err != nil {
			if trimmed := strings.TrimSpace(s); len(trimmed) >= 4 && strings.Contains(err.Error(), trimmed) {
				t.Fatalf("error quotes the input: %v", err)
			}
			return
		}
		if len(key) != store.EncryptionKeySize {
			t.Fatalf("parseEncryptionKey(%q) = %d bytes, want %d", s, len(key), store.EncryptionKeySize)
		}
	})
}

// TestPlanCommandSealsPlanFile runs `driftgate plan --store` with a config
// that sets a key: the stored plan file, which holds the sensitive value,
// opens only with that key.
func TestPlanCommandSealsPlanFile(t *testing.T) {
	stack, _ := planStack(t, `
variable "pw" {
  type      = string
  sensitive = true
  default   = "plan-file-secret-9c41"
}
resource "dgtest_secret" "db" {
  name  = "db"
  value = var.pw
}
`)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	keyFile := filepath.Join(dir, "key")
	cfgFile := filepath.Join(dir, "driftgate.hcl")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(testEncryptionKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("data_dir = %q\n\nencryption {\n  key_file = %q\n}\n", data, keyFile)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "plan", stack, "--config", cfgFile, "--store", data)
	if code != exitChanges {
		t.Fatalf("exit %d, want %d (changes)\n%s\n%s", code, exitChanges, out, errOut)
	}

	planFile := func(key []byte) ([]byte, error) {
		st, err := store.Open(data, store.Options{EncryptionKey: key})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		runs, _, err := st.ListRuns(context.Background(), store.RunFilter{})
		if err != nil || len(runs) != 1 {
			t.Fatalf("stored runs = %+v, %v", runs, err)
		}
		file, _, err := st.GetPlanFile(context.Background(), runs[0].ID)
		return file, err
	}
	if file, err := planFile(testEncryptionKey); err != nil || !bytes.HasPrefix(file, []byte("PK")) {
		t.Errorf("GetPlanFile with the config's key = %d bytes, %v; want the plan file", len(file), err)
	}
	if _, err := planFile(nil); !errors.Is(err, store.ErrEncrypted) {
		t.Errorf("GetPlanFile without a key: err = %v, want store.ErrEncrypted", err)
	}
}
