package statever

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzRedact feeds Redact arbitrary input. Whatever it accepts must
// encode, decode back to the same version, redact the same way twice, and
// hold a marker (or null) for every sensitive output.
func FuzzRedact(f *testing.F) {
	f.Add(readState(f, "full.tfstate"))
	f.Add(secretState("pa55word"))
	f.Add([]byte(`{"version":4,"serial":1,"lineage":"l","resources":[],"outputs":{}}`))
	f.Add([]byte(`{"version":4,"resources":[{"mode":"managed","type":"t","name":"n","instances":[{"index_key":"k","attributes":{"a":{"b":[1,"x"]}},"sensitive_attributes":[[{"type":"get_attr","value":"a"},{"type":"get_attr","value":"b"},{"type":"index","value":{"value":1,"type":"number"}}]]}]}]}`))
	f.Add([]byte(`{"version":4,"resources":[{"mode":"data","type":"t","name":"n","instances":[{"attributes_flat":{"a":"b"}}]}]}`))
	f.Add([]byte(`{"version":4,"resources":[{"mode":"managed","type":"t","name":"n","instances":[{"attributes":{"s":"x"},"sensitive_attributes":[[{"type":"index","value":{"value":0,"type":"number"}}]]}]}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := Redact(raw, testKey)
		if err != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		back, err := Decode(out)
		if err != nil {
			t.Fatalf("decode own output: %v\n%s", err, out)
		}
		if c := Diff(v, back); !c.Empty() {
			t.Fatalf("round trip changed the version: %+v", c)
		}
		again, err := Redact(raw, testKey)
		if err != nil {
			t.Fatalf("second redact: %v", err)
		}
		out2, _ := json.Marshal(again)
		if !bytes.Equal(out, out2) {
			t.Fatalf("redact is not deterministic:\n%s\n%s", out, out2)
		}
		for name, o := range v.Outputs {
			if o.Sensitive && o.Value != nil && !IsMarker(o.Value) {
				t.Fatalf("sensitive output %q kept value %v", name, o.Value)
			}
		}
	})
}
