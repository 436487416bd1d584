package notify

import (
	"reflect"
	"testing"
)

func TestRedacted(t *testing.T) {
	tests := []struct {
		name string
		in   []Attribute
		want []Attribute
	}{
		{
			name: "sensitive values replaced whatever they were",
			in: []Attribute{
				{Path: "password", Before: "old-secret", After: secretValue, Sensitive: true},
				{Path: "tags", Before: map[string]any{"k": "v"}, After: nil, Sensitive: true},
			},
			want: []Attribute{
				{Path: "password", Before: SensitiveValue, After: SensitiveValue, Sensitive: true},
				{Path: "tags", Before: SensitiveValue, After: SensitiveValue, Sensitive: true},
			},
		},
		{
			name: "other values kept",
			in:   []Attribute{{Path: "size", Before: "small", After: 3.0}},
			want: []Attribute{{Path: "size", Before: "small", After: 3.0}},
		},
		{name: "no attributes", in: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Event{Type: DriftFound, Finding: &Finding{Address: "a.b", Attributes: tt.in}}
			orig := append([]Attribute(nil), tt.in...)
			got := in.Redacted()
			if !reflect.DeepEqual(got.Finding.Attributes, tt.want) {
				t.Errorf("Redacted attributes = %#v, want %#v", got.Finding.Attributes, tt.want)
			}
			if !reflect.DeepEqual(in.Finding.Attributes, orig) {
				t.Errorf("Redacted modified its input: %#v", in.Finding.Attributes)
			}
		})
	}

	ev := Event{Type: CheckErrored, Error: "boom"}
	if got := ev.Redacted(); !reflect.DeepEqual(got, ev) {
		t.Errorf("Redacted of an event without a finding = %+v, want it unchanged", got)
	}
}

func TestEventTypeValid(t *testing.T) {
	for _, et := range EventTypes {
		if !et.Valid() {
			t.Errorf("%q is not valid", et)
		}
	}
	for _, et := range []EventType{"", "drift", "DRIFT_FOUND"} {
		if et.Valid() {
			t.Errorf("%q is valid", et)
		}
	}
}
