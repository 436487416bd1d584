package statever

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestSensitivePaths(t *testing.T) {
	attrs := `{"a":"x","m":{"k":"v","o":"w"},"l":[{"p":"1"},{"p":"2"}],"n":null,"s":"str"}`
	m := func(v any) string { return marker(testKey, v) }
	tests := []struct {
		name      string
		sensitive string
		want      map[string]any
	}{
		{"none", `[]`, map[string]any{"a": "x", "m": map[string]any{"k": "v", "o": "w"},
			"l": []any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}, "n": nil, "s": "str"}},
		{"absent", `null`, map[string]any{"a": "x", "m": map[string]any{"k": "v", "o": "w"},
			"l": []any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}, "n": nil, "s": "str"}},
		{"attribute", `[[{"type":"get_attr","value":"a"}]]`, map[string]any{"a": m("x"),
			"m": map[string]any{"k": "v", "o": "w"}, "l": []any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}, "n": nil, "s": "str"}},
		{"map key", `[[{"type":"get_attr","value":"m"},{"type":"index","value":{"value":"k","type":"string"}}]]`,
			map[string]any{"a": "x", "m": map[string]any{"k": m("v"), "o": "w"},
				"l": []any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}, "n": nil, "s": "str"}},
		{"list element attribute", `[[{"type":"get_attr","value":"l"},{"type":"index","value":{"value":1,"type":"number"}},{"type":"get_attr","value":"p"}]]`,
			map[string]any{"a": "x", "m": map[string]any{"k": "v", "o": "w"},
				"l": []any{map[string]any{"p": "1"}, map[string]any{"p": m("2")}}, "n": nil, "s": "str"}},
		{"whole object beats inner path", `[[{"type":"get_attr","value":"m"},{"type":"index","value":{"value":"k","type":"string"}}],[{"type":"get_attr","value":"m"}]]`,
			map[string]any{"a": "x", "m": m(map[string]any{"k": "v", "o": "w"}),
				"l": []any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}, "n": nil, "s": "str"}},
		{"null stays null", `[[{"type":"get_attr","value":"n"}]]`, map[string]any{"a": "x",
			"m": map[string]any{"k": "v", "o": "w"}, "l": []any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}, "n": nil, "s": "str"}},
		{"set element marks the set", `[[{"type":"get_attr","value":"l"},{"type":"index","value":{"value":{"p":"2"},"type":["object",{"p":"string"}]}}]]`,
			map[string]any{"a": "x", "m": map[string]any{"k": "v", "o": "w"},
				"l": m([]any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}), "n": nil, "s": "str"}},
		{"step into a string fails closed", `[[{"type":"get_attr","value":"s"},{"type":"get_attr","value":"x"}]]`,
			map[string]any{"a": "x", "m": map[string]any{"k": "v", "o": "w"},
				"l": []any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}, "n": nil, "s": m("str")}},
		{"index into an object fails closed", `[[{"type":"get_attr","value":"m"},{"type":"index","value":{"value":0,"type":"number"}}]]`,
			map[string]any{"a": "x", "m": m(map[string]any{"k": "v", "o": "w"}),
				"l": []any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}, "n": nil, "s": "str"}},
		{"unknown step type marks its prefix", `[[{"type":"get_attr","value":"m"},{"type":"splat","value":"k"}]]`,
			map[string]any{"a": "x", "m": m(map[string]any{"k": "v", "o": "w"}),
				"l": []any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}, "n": nil, "s": "str"}},
		{"empty path marks everything", `[[]]`, map[string]any{"a": m("x"), "m": m(map[string]any{"k": "v", "o": "w"}),
			"l": m([]any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}), "n": nil, "s": m("str")}},
		{"unreadable marks everything", `{"new":"format"}`, map[string]any{"a": m("x"), "m": m(map[string]any{"k": "v", "o": "w"}),
			"l": m([]any{map[string]any{"p": "1"}, map[string]any{"p": "2"}}), "n": nil, "s": m("str")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := `{"version":4,"serial":1,"lineage":"l","resources":[{"mode":"managed","type":"t","name":"n",
"instances":[{"attributes":` + attrs + `,"sensitive_attributes":` + tt.sensitive + `}]}]}`
			v, err := Redact([]byte(raw), testKey)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Resources[0].Attributes; !reflect.DeepEqual(got, tt.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(tt.want)
				t.Errorf("attributes =\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func TestScrub(t *testing.T) {
	m := func(v any) string { return marker(testKey, v) }
	tests := []struct {
		name   string
		secret string
		plain  any
		want   any
	}{
		{"whole string", "abc", "abc", m("abc")},
		{"short secret not in longer text", "abc", "xabcx", "xabcx"},
		{"substring", "s3cr3t", "pw=s3cr3t;", "pw=" + m("s3cr3t") + ";"},
		{"map key", "s3cr3t", map[string]any{"s3cr3t": "v"}, map[string]any{m("s3cr3t"): "v"}},
		{"nested list", "s3cr3t", []any{[]any{"a-s3cr3t"}}, []any{[]any{"a-" + m("s3cr3t")}}},
		{"too short to scrub", "ab", "ab", "ab"},
		{"numbers untouched", "123", json.Number("123"), json.Number("123")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := redactor{key: testKey, secrets: map[string]struct{}{tt.secret: {}}}
			v := &Version{Outputs: map[string]Output{"o": {Value: tt.plain}}, Resources: []Resource{}}
			r.scrubVersion(v)
			if got := v.Outputs["o"].Value; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestScrubLongestFirst(t *testing.T) {
	r := redactor{key: testKey, secrets: map[string]struct{}{"secret": {}, "secret-longer": {}}}
	v := &Version{Outputs: map[string]Output{"o": {Value: "x secret-longer y"}}}
	r.scrubVersion(v)
	if got, want := v.Outputs["o"].Value, "x "+marker(testKey, "secret-longer")+" y"; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}
