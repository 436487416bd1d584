package statever

import (
	"encoding/json"
	"testing"
)

func TestAddress(t *testing.T) {
	tests := []struct {
		module, mode, typ, name string
		index                   any
		want                    string
	}{
		{"", "managed", "aws_instance", "web", nil, "aws_instance.web"},
		{"", "managed", "aws_instance", "web", 0, "aws_instance.web[0]"},
		{"", "managed", "aws_s3_bucket", "b", "logs", `aws_s3_bucket.b["logs"]`},
		{"", "data", "aws_ami", "ubuntu", nil, "data.aws_ami.ubuntu"},
		{"module.x", "managed", "aws_instance", "web", 0, "module.x.aws_instance.web[0]"},
		{`module.x["a"].module.y[2]`, "data", "t", "n", "k", `module.x["a"].module.y[2].data.t.n["k"]`},
	}
	for _, tt := range tests {
		if got := address(tt.module, tt.mode, tt.typ, tt.name, tt.index); got != tt.want {
			t.Errorf("address(%q, %q, %q, %q, %v) = %s, want %s", tt.module, tt.mode, tt.typ, tt.name, tt.index, got, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{"", `""`},
		{`a"b\c`, `"a\"b\\c"`},
		{"line\nbreak\ttab\r", `"line\nbreak\ttab\r"`},
		{"${x} %{y} $z %", `"$${x} %%{y} $z %"`},
		{"héllo 世界", `"héllo 世界"`},
		{"\x00\x7f", `"\u0000\u007f"`},
	}
	for _, tt := range tests {
		if got := quote(tt.in); got != tt.want {
			t.Errorf("quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestInstanceKey(t *testing.T) {
	tests := []struct {
		raw     any
		want    any
		wantErr bool
	}{
		{nil, nil, false},
		{"k", "k", false},
		{jsonNumber("3"), 3, false},
		{jsonNumber("3.0"), 3, false},
		{jsonNumber("-1"), nil, true},
		{jsonNumber("1.5"), nil, true},
		{jsonNumber("1e20"), nil, true},
		{true, nil, true},
	}
	for _, tt := range tests {
		got, err := instanceKey(tt.raw)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("instanceKey(%v) = %v, %v; want %v, error %v", tt.raw, got, err, tt.want, tt.wantErr)
		}
	}
}

func jsonNumber(s string) any { return json.Number(s) }
