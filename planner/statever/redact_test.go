package statever

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testKey is a fixed redaction key for tests.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// fullSecrets are the values testdata/full.tfstate marks sensitive, one way
// or another.
var fullSecrets = []string{
	"hunter2-db-password",  // schema-sensitive attribute, copied into an output
	"tok-3141592653",       // inside a sensitive output object
	"tag-token-2718281828", // map element path
	"ssh-secret-cidr/32",   // list element path
	"set-secret-one",       // inside a set: the whole set goes
	"future-format-secret", // unreadable sensitive_attributes
}

func readState(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func redactFull(tb testing.TB) *Version {
	tb.Helper()
	v, err := Redact(readState(tb, "full.tfstate"), testKey)
	if err != nil {
		tb.Fatalf("Redact: %v", err)
	}
	return v
}

func resource(tb testing.TB, v *Version, key string) Resource {
	tb.Helper()
	for _, r := range v.Resources {
		if r.key() == key {
			return r
		}
	}
	tb.Fatalf("no resource %s", key)
	return Resource{}
}

func TestRedactResources(t *testing.T) {
	v := redactFull(t)
	if v.Serial != 7 || v.Lineage != "aac7738f-c54b-316b-feb0-547739b4bc64" || v.TerraformVersion != "1.11.4" {
		t.Errorf("header = %d %q %q", v.Serial, v.Lineage, v.TerraformVersion)
	}
	var keys []string
	for _, r := range v.Resources {
		keys = append(keys, r.key())
	}
	want := []string{
		"data.dgtest_server.lookup",
		"dgtest_secret.db",
		"dgtest_secret.future",
		`dgtest_server.web["a"]`,
		`dgtest_server.web["b"]`,
		`dgtest_server.web["b"] (deposed 00000001)`,
		`module.net["eu"].module.sub[0].dgtest_server.s[0]`,
		`module.net["eu"].module.sub[0].dgtest_server.s[1]`,
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("resources =\n%q\nwant\n%q", keys, want)
	}
	m := func(v any) string { return marker(testKey, v) }
	tests := []struct {
		key, attr string
		want      any
	}{
		{"dgtest_secret.db", "value", m("hunter2-db-password")},
		{"dgtest_secret.db", "description", "database password"},
		{`dgtest_server.web["a"]`, "tags", map[string]any{"env": "prod", "token": m("tag-token-2718281828")}},
		{`dgtest_server.web["a"]`, "ingress", []any{
			map[string]any{"from_port": json.Number("443"), "cidr": "10.0.0.0/8"},
			map[string]any{"from_port": json.Number("22"), "cidr": m("ssh-secret-cidr/32")},
		}},
		{`dgtest_server.web["a"]`, "port", json.Number("8080")},
		{`dgtest_server.web["b"]`, "port", nil},
		{`dgtest_server.web["b"] (deposed 00000001)`, "size", "large"},
		{"data.dgtest_server.lookup", "keys", m([]any{"set-secret-one", "set-secret-two"})},
		{"data.dgtest_server.lookup", "id", "lookup"},
		{"dgtest_secret.future", "value", m("future-format-secret")},
		{"dgtest_secret.future", "id", m("future")},
		{`module.net["eu"].module.sub[0].dgtest_server.s[0]`, "port", json.Number("9000000000000000001")},
		{`module.net["eu"].module.sub[0].dgtest_server.s[1]`, "name", "m-1"},
	}
	for _, tt := range tests {
		got := resource(t, v, tt.key).Attributes[tt.attr]
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s.%s = %#v, want %#v", tt.key, tt.attr, got, tt.want)
		}
	}
	web := resource(t, v, `dgtest_server.web["a"]`)
	if web.Mode != "managed" || web.Type != "dgtest_server" || web.Name != "web" || web.Index != "a" || web.Module != "" {
		t.Errorf("web = %+v", web)
	}
	sub := resource(t, v, `module.net["eu"].module.sub[0].dgtest_server.s[1]`)
	if sub.Index != 1 || sub.Module != `module.net["eu"].module.sub[0]` {
		t.Errorf("module instance = %+v", sub)
	}
}

func TestRedactOutputs(t *testing.T) {
	v := redactFull(t)
	m := func(v any) string { return marker(testKey, v) }
	want := map[string]Output{
		"db_password": {Value: m("hunter2-db-password"), Sensitive: true},
		"creds":       {Value: m(map[string]any{"user": "admin", "token": "tok-3141592653"}), Sensitive: true},
		"plain":       {Value: map[string]any{"a": json.Number("1"), "b": []any{true}}},
		// Not marked sensitive, but holds a secret: scrubbed. "admin" is
		// too short to scrub inside a longer string.
		"dsn": {Value: "postgres://admin:" + m("hunter2-db-password") + "@db:5432/app"},
	}
	if !reflect.DeepEqual(v.Outputs, want) {
		t.Errorf("outputs =\n%#v\nwant\n%#v", v.Outputs, want)
	}
}

// TestRedactNoSecretInJSON is the point of the package: nothing Terraform
// marks sensitive survives into the stored JSON.
func TestRedactNoSecretInJSON(t *testing.T) {
	v := redactFull(t)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fullSecrets {
		if strings.Contains(string(out), s) {
			t.Errorf("version JSON contains secret %q", s)
		}
	}
	if strings.Contains(string(out), "eyJzY2hlbWFfdmVyc2lvbiI6IjAifQ") {
		t.Error("version JSON contains the instance's private data")
	}
	if !strings.Contains(string(out), markerPrefix) {
		t.Error("version JSON has no marker")
	}
}

// secretState is a one-resource state holding secret in a sensitive
// attribute and a sensitive output.
func secretState(secret string) []byte {
	q, _ := json.Marshal(secret)
	return []byte(`{"version":4,"serial":1,"lineage":"l","resources":[{"mode":"managed","type":"t","name":"n",
"instances":[{"attributes":{"value":` + string(q) + `},"sensitive_attributes":[[{"type":"get_attr","value":"value"}]]}]}],
"outputs":{"o":{"value":` + string(q) + `,"sensitive":true}}}`)
}

func TestMarkers(t *testing.T) {
	otherKey := []byte("fedcba9876543210fedcba9876543210")
	tests := []struct {
		name       string
		a, b       string
		keyA, keyB []byte
		same       bool
	}{
		{"same secret same marker", "pa55word", "pa55word", testKey, testKey, true},
		{"different secrets differ", "pa55word", "pa55word!", testKey, testKey, false},
		{"another install's key differs", "pa55word", "pa55word", testKey, otherKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			va, err := Redact(secretState(tt.a), tt.keyA)
			if err != nil {
				t.Fatal(err)
			}
			vb, err := Redact(secretState(tt.b), tt.keyB)
			if err != nil {
				t.Fatal(err)
			}
			ma, mb := va.Resources[0].Attributes["value"], vb.Resources[0].Attributes["value"]
			if !IsMarker(ma) || !IsMarker(mb) {
				t.Fatalf("markers = %v, %v", ma, mb)
			}
			if got := ma == mb; got != tt.same {
				t.Errorf("markers %v and %v: same = %v, want %v", ma, mb, got, tt.same)
			}
			if va.Outputs["o"].Value != ma {
				t.Errorf("output marker %v differs from attribute marker %v for the same value", va.Outputs["o"].Value, ma)
			}
		})
	}
}

func TestRedactErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		key  []byte
		want error
	}{
		{"short key", `{"version":4}`, []byte("short"), ErrKey},
		{"not json", `nope`, testKey, ErrMalformed},
		{"empty", ``, testKey, ErrMalformed},
		{"version 3", `{"version":3,"serial":1}`, testKey, ErrMalformed},
		{"no version", `{"serial":1}`, testKey, ErrMalformed},
		{"trailing data", `{"version":4} {}`, testKey, ErrMalformed},
		{"bad mode", `{"version":4,"resources":[{"mode":"odd","type":"t","name":"n","instances":[{}]}]}`, testKey, ErrMalformed},
		{"bad index", `{"version":4,"resources":[{"mode":"managed","type":"t","name":"n","instances":[{"index_key":1.5}]}]}`, testKey, ErrMalformed},
		{"negative serial", `{"version":4,"serial":-1}`, testKey, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Redact([]byte(tt.raw), tt.key)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRedactEmptyState(t *testing.T) {
	v, err := Redact([]byte(`{"version":4,"terraform_version":"1.11.4","serial":3,"lineage":"x","outputs":{},"resources":[],"check_results":null}`), testKey)
	if err != nil {
		t.Fatal(err)
	}
	want := &Version{Serial: 3, Lineage: "x", TerraformVersion: "1.11.4", Resources: []Resource{}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("got %+v, want %+v", v, want)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	v := redactFull(t)
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Errorf("decoded version differs:\n%+v\nwant\n%+v", got, v)
	}
	if c := Diff(v, got); !c.Empty() {
		t.Errorf("diff of a round trip = %+v", c)
	}
	if _, err := Decode([]byte(`{"resources":[{"index":1.5}]}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("fractional index: err = %v", err)
	}
}
