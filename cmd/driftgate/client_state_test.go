package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// newStateAPIEnv is newAPIEnv with apitest.SeedState's state versions.
func newStateAPIEnv(t *testing.T) (*apiEnv, apitest.StateFixture) {
	t.Helper()
	e := newDaemonAPIEnv(t)
	return e, apitest.SeedState(t, e.st, e.fx)
}

func TestStateHistoryCommand(t *testing.T) {
	e, sf := newStateAPIEnv(t)
	code, out, errOut := e.cli(t, "state", "history", "infra", "network")
	if code != exitOK {
		t.Fatalf("state history: exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	sha := func(i int) string { return sf.Versions[i].SHA256[:12] }
	want := "SERIAL  CREATED  RUN         RESOURCES  SHA           LINEAGE\n" +
		"3       1h       " + shortRunID(e.fx.Planned.ID) + "  2          " + sha(2) + "  5f0c1d2e\n" +
		"2       2d       " + shortRunID(e.fx.NoChanges.ID) + "  2          " + sha(1) + "  5f0c1d2e\n" +
		"1       3d       -           2          " + sha(0) + "  5f0c1d2e\n"
	if out != want {
		t.Errorf("state history infra network:\n%s\nwant:\n%s", out, want)
	}

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"infra", "network", "--limit", "1"}, "SERIAL  CREATED  RUN         RESOURCES  SHA           LINEAGE\n3       1h"},
		{[]string{"infra", "network", "--limit", "0"}, "\n1       3d"},
		{[]string{"infra", "database"}, "No state versions recorded for infra/database.\n"},
		{[]string{"infra", "database", "-o", "json"}, "{\n  \"versions\": []\n}\n"},
	}
	for _, tt := range tests {
		code, out, errOut := e.cli(t, append([]string{"state", "history"}, tt.args...)...)
		if code != exitOK || !strings.Contains(out, tt.want) || errOut != "" {
			t.Errorf("state history %v: exit %d, %q %q, want %q", tt.args, code, out, errOut, tt.want)
		}
	}
	if _, out, _ := e.cli(t, "state", "history", "infra", "network", "--limit", "2"); strings.Count(out, "\n") != 3 {
		t.Errorf("state history --limit 2 printed:\n%s", out)
	}

	code, out, _ = e.cli(t, "state", "history", "infra", "network", "-o", "json")
	var body struct {
		Versions []apiv1.StateVersion `json:"versions"`
	}
	if err := json.Unmarshal([]byte(out), &body); code != exitOK || err != nil || len(body.Versions) != 3 ||
		body.Versions[0].SHA256 != sf.Versions[2].SHA256 || body.Versions[0].Lineage != apitest.StateLineage || body.Versions[0].Version != nil {
		t.Errorf("state history -o json: exit %d, %v:\n%s", code, err, out)
	}

	errs := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"infra", "nope"}, `repo "infra" has no stack "nope" at its last commit`},
		{[]string{"infra", "network", "--limit", "-1"}, "--limit -1 is negative"},
		{[]string{"infra"}, "accepts 2 arg(s), received 1"},
		{[]string{"infra", "network", "-o", "yaml"}, `unknown output format "yaml"`},
	}
	for _, tt := range errs {
		code, _, errOut := e.cli(t, append([]string{"state", "history"}, tt.args...)...)
		if code != exitError || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("state history %v: exit %d, %q, want 1 and %q", tt.args, code, errOut, tt.wantErr)
		}
	}
}

func TestStateDiffCommand(t *testing.T) {
	e, sf := newStateAPIEnv(t)
	// The markers are the seeded versions', as statever.Diff compares them.
	var vs [2]*statever.Version
	for i, sv := range []store.StateVersion{sf.Versions[0], sf.Versions[2]} {
		v, err := statever.Decode(sv.Version)
		if err != nil {
			t.Fatal(err)
		}
		vs[i] = v
	}
	c := statever.Diff(vs[0], vs[1])
	ud, pw := c.Changed[0].Attributes[2], c.Outputs[0]
	if !statever.IsMarker(ud.Before) || !statever.IsMarker(pw.After) {
		t.Fatalf("seeded diff has no markers: %+v", c)
	}
	code, out, errOut := e.cli(t, "state", "diff", "infra", "network", "1", "3")
	if code != exitOK {
		t.Fatalf("state diff: exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	want := fmt.Sprintf(`infra/network, serial 1 -> 3: 1 added, 1 removed, 1 changed, 2 outputs changed

+ aws_route53_record.www
- aws_s3_bucket.logs
~ aws_instance.web
    instance_type: "t3.small" -> "t3.large"
    tags.owner: null -> "ops"
    user_data:
      %s -> %s

Outputs:
~ db_password:
  %s -> %s
+ endpoint: "www.example.com"
`, ud.Before, ud.After, pw.Before, pw.After)
	if out != want {
		t.Errorf("state diff infra network 1 3:\n%s\nwant:\n%s", out, want)
	}
	if strings.Contains(out, "hunter") {
		t.Errorf("state diff prints a secret:\n%s", out)
	}

	tests := []struct {
		args     []string
		wantCode int
		want     string
	}{
		{[]string{"3", "1"}, exitOK, "\n+ aws_s3_bucket.logs\n- aws_route53_record.www\n"},
		{[]string{"3", "1"}, exitOK, "\n- endpoint: \"www.example.com\"\n"},
		{[]string{"1", "2"}, exitOK, "infra/network, serial 1 -> 2: 1 changed\n\n~ aws_instance.web\n    tags.owner: null -> \"ops\"\n"},
		{[]string{"2", "2"}, exitOK, "No differences.\n"},
		{[]string{"2", "2", "--exit-code"}, exitOK, "No differences.\n"},
		{[]string{"1", "2", "--exit-code"}, exitChanges, "~ aws_instance.web"},
		{[]string{"1", "3", "-o", "json", "--exit-code"}, exitChanges, `"name": "endpoint"`},
	}
	for _, tt := range tests {
		code, out, errOut := e.cli(t, append([]string{"state", "diff", "infra", "network"}, tt.args...)...)
		if code != tt.wantCode || !strings.Contains(out, tt.want) || errOut != "" {
			t.Errorf("state diff %v: exit %d, %q %q, want %d and %q", tt.args, code, out, errOut, tt.wantCode, tt.want)
		}
	}

	code, out, _ = e.cli(t, "state", "diff", "infra", "network", "1", "3", "-o", "json")
	var d apiv1.StateDiff
	if err := json.Unmarshal([]byte(out), &d); code != exitOK || err != nil || d.From != 1 || d.To != 3 ||
		len(d.Changes.Added) != 1 || len(d.Changes.Outputs) != 2 || d.Changes.Changed[0].Attributes[2].Before != ud.Before {
		t.Errorf("state diff -o json: exit %d, %v:\n%s", code, err, out)
	}

	errs := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"infra", "network", "1", "9"}, "stack infra/network has no state version 9"},
		{[]string{"infra", "nope", "1", "2"}, `repo "infra" has no stack "nope" at its last commit`},
		{[]string{"infra", "network", "0", "2"}, `FROM "0" is not a state serial: give a positive whole number`},
		{[]string{"infra", "network", "1", "x"}, `TO "x" is not a state serial`},
		{[]string{"infra", "network", "1", "-2"}, `unknown shorthand flag: '2'`},
		{[]string{"infra", "network", "1"}, "accepts 4 arg(s), received 3"},
	}
	for _, tt := range errs {
		code, _, errOut := e.cli(t, append([]string{"state", "diff"}, tt.args...)...)
		if code != exitError || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("state diff %v: exit %d, %q, want 1 and %q", tt.args, code, errOut, tt.wantErr)
		}
	}
}

// TestStateDiffLongValues checks that long addresses, paths and values
// stay within 80 columns, and that markers are never cut.
func TestStateDiffLongValues(t *testing.T) {
	e, _ := newStateAPIEnv(t)
	ctx := t.Context()
	if err := e.st.PutStack(ctx, &store.StackRecord{Repo: "infra", Name: "long"}); err != nil {
		t.Fatal(err)
	}
	address := `module.network.module.vpc["eu-west-1"].aws_subnet.private_application_tier["eu-west-1a-very-long-zone-name"]`
	marker := func(hex string) string { return "(sensitive value hmac:" + hex + ")" }
	version := func(serial uint64, attrs map[string]any, outputs map[string]statever.Output) store.StateVersion {
		body, err := json.Marshal(statever.Version{Serial: serial, Lineage: "l", Outputs: outputs, Resources: []statever.Resource{
			{Address: address, Mode: "managed", Type: "aws_subnet", Name: "private_application_tier", Attributes: attrs},
		}})
		if err != nil {
			t.Fatal(err)
		}
		return store.StateVersion{Repo: "infra", Stack: "long", Serial: serial, Lineage: "l",
			SHA256: strings.Repeat("ab", 32), Resources: 1, Version: body}
	}
	// A map whose keys all go is reported key by key, as is one that
	// gains a key.
	big := map[string]any{}
	for _, k := range []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"} {
		big[k] = strings.Repeat(k, 3)
	}
	longPath := "a_really_long_attribute_name_that_goes_on_and_on_forever"
	for _, sv := range []store.StateVersion{
		version(1, map[string]any{"description": strings.Repeat("x", 200), "tags": big, "token": marker("0123456789"), longPath: 1},
			map[string]statever.Output{"secret": {Value: marker("aaaaaaaaaa"), Sensitive: true}, "blob": {Value: strings.Repeat("z", 120)}}),
		version(2, map[string]any{"description": "short", "tags": map[string]any{"owner": "<ops & sre>"}, "token": nil, longPath: 2},
			map[string]statever.Output{"secret": {Value: marker("bbbbbbbbbb"), Sensitive: true}, "blob": {Value: "<y>"}}),
	} {
		if err := e.st.PutStateVersion(ctx, &sv); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := e.cli(t, "state", "diff", "infra", "long", "1", "2")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	checkOutput(t, "state diff infra long", out,
		"~ module.network.module.vpc…e_application_tier[\"eu-west-1a-very-long-zone-name\"]\n",
		`    description: "xxxx`, "xxx… -> \"short\"\n",
		"    tags.alpha: \"alphaalphaalpha\" -> null\n", "    tags.owner: null -> \"<ops & sre>\"\n",
		"    token: "+marker("0123456789")+" -> null\n",
		"    a_really_long…hat_goes_on_and_on_forever: 1 -> 2\n",
		"~ blob: \"zzzz", "zzz… -> \"<y>\"\n",
		"~ secret: "+marker("aaaaaaaaaa")+" -> "+marker("bbbbbbbbbb")+"\n",
	)
}

func TestValueLine(t *testing.T) {
	m1, m2 := "(sensitive value hmac:0123456789)", "(sensitive value hmac:abcdefabcd)"
	long := `"` + strings.Repeat("v", 90) + `"`
	tests := []struct {
		indent, label string
		vals          []shownValue
		want          string
	}{
		{"    ", "a", []shownValue{{text: "1"}, {text: "2"}}, "    a: 1 -> 2"},
		{"", "+ out", []shownValue{{text: `"x"`}}, `+ out: "x"`},
		{"", "+ out", []shownValue{{text: long}}, `+ out: "` + strings.Repeat("v", 71) + "…"},
		{"    ", "pw", []shownValue{{text: m1, keep: true}, {text: m2, keep: true}}, "    pw: " + m1 + " -> " + m2},
		{"    ", "password", []shownValue{{text: m1, keep: true}, {text: m2, keep: true}}, "    password:\n      " + m1 + " -> " + m2},
		{"    ", "pw", []shownValue{{text: m1, keep: true}, {text: long}}, "    pw: " + m1 + " -> " + `"` + strings.Repeat("v", 33) + "…"},
		{"    ", "a_path_long_enough_to_push_markers", []shownValue{{text: m1, keep: true}, {text: long}},
			"    a_path_long_enough_to_push_markers:\n      " + m1 + " -> " + `"` + strings.Repeat("v", 35) + "…"},
		{"", "+ secret", []shownValue{{text: m1, keep: true}}, "+ secret: " + m1},
	}
	for _, tt := range tests {
		got := valueLine(tt.indent, tt.label, tt.vals...)
		if got != tt.want {
			t.Errorf("valueLine(%q, %q, %v) =\n%q\nwant\n%q", tt.indent, tt.label, tt.vals, got, tt.want)
		}
		for _, l := range strings.Split(got, "\n") {
			if utf8.RuneCountInString(l) > tableWidth {
				t.Errorf("valueLine(%q, %q, %v) has a line of %d columns", tt.indent, tt.label, tt.vals, utf8.RuneCountInString(l))
			}
		}
	}
}

func TestStateValue(t *testing.T) {
	tests := []struct {
		v    any
		want shownValue
	}{
		{nil, shownValue{text: "null"}},
		{"t3.small", shownValue{text: `"t3.small"`}},
		{json.Number("12345678901234567890"), shownValue{text: "12345678901234567890"}},
		{map[string]any{"b": "<&>", "a": true}, shownValue{text: `{"a":true,"b":"<&>"}`}},
		{"(sensitive value hmac:0123456789)", shownValue{text: "(sensitive value hmac:0123456789)", keep: true}},
		{"(sensitive value hmac:xyz)", shownValue{text: `"(sensitive value hmac:xyz)"`}},
	}
	for _, tt := range tests {
		if got := stateValue(tt.v); got != tt.want {
			t.Errorf("stateValue(%#v) = %+v, want %+v", tt.v, got, tt.want)
		}
	}
}
