package planner

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

func TestParseModuleFile(t *testing.T) {
	tests := []struct {
		name     string
		filename string
		src      string
		want     string // summary of the moduleFile
		wantErr  bool
	}{
		{
			name:     "full",
			filename: "main.tf",
			src: `
terraform {
  required_version = ">= 1.9"
  backend "s3" {}
  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 5.0", configuration_aliases = [aws.east] }
    legacy = "1.2.3"
    quoted = { "source" = "acme/quoted" }
  }
}
module "a" { source = "./a" }
module "b" { source = "../b" }
module "c" { source = "hashicorp/consul/aws" }
module "d" { source = var.x }
resource "x" "y" { z = upper("w") }
`,
			want: `calls=[a=./a b=../b c=hashicorp/consul/aws] versions=[>= 1.9] backend=s3 providers=[{aws hashicorp/aws ~> 5.0} {legacy  1.2.3} {quoted acme/quoted }]`,
		},
		{
			name:     "cloud",
			filename: "main.tf",
			src:      "terraform {\n  cloud {\n    organization = \"acme\"\n  }\n}\n",
			want:     "calls=[] versions=[] backend=cloud providers=[]",
		},
		{
			name:     "json",
			filename: "main.tf.json",
			src: `{"terraform": {"required_version": "~> 1.10", "backend": {"gcs": {}},
				"required_providers": {"google": {"source": "hashicorp/google", "version": "6.0.0"}}},
				"module": {"net": {"source": "../net"}}}`,
			want: "calls=[net=../net] versions=[~> 1.10] backend=gcs providers=[{google hashicorp/google 6.0.0}]",
		},
		{
			name:     "json array of terraform blocks",
			filename: "versions.tf.json",
			src:      `{"terraform": [{"required_version": ">= 1"}, {"required_version": "< 2"}]}`,
			want:     "calls=[] versions=[>= 1 < 2] backend= providers=[]",
		},
		{
			name:     "broken keeps what it read",
			filename: "main.tf",
			src:      "module \"a\" { source = \"./a\" }\nresource \"x\" {\n",
			want:     "calls=[a=./a] versions=[] backend= providers=[]",
			wantErr:  true,
		},
		{
			name:     "broken json",
			filename: "main.tf.json",
			src:      `{"module": `,
			want:     "calls=[] versions=[] backend= providers=[]",
			wantErr:  true,
		},
		{
			name:     "backend without a label",
			filename: "main.tf",
			src:      "terraform {\n  backend {}\n}\n",
			want:     "calls=[] versions=[] backend= providers=[]",
			wantErr:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mf, diags := parseModuleFile(tt.filename, []byte(tt.src))
			if got := summarizeModuleFile(mf); got != tt.want {
				t.Errorf("parseModuleFile:\ngot  %s\nwant %s", got, tt.want)
			}
			if diags.HasErrors() != tt.wantErr {
				t.Errorf("errors = %v, want errors %v", diags, tt.wantErr)
			}
		})
	}
}

func summarizeModuleFile(mf *moduleFile) string {
	var calls []string
	for _, c := range mf.calls {
		calls = append(calls, c.name+"="+c.source)
	}
	providers := append([]ProviderRequirement(nil), mf.providers...)
	sort.Slice(providers, func(i, j int) bool { return providers[i].Name < providers[j].Name })
	return fmt.Sprintf("calls=[%s] versions=[%s] backend=%s providers=%v",
		strings.Join(calls, " "), strings.Join(mf.requiredVersions, " "), mf.backend, providers)
}

func TestIsTerraformFile(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"main.tf", true},
		{"main.tf.json", true},
		{"override.tf", true},
		{".hidden.tf", false},
		{"main.tf~", false},
		{"#main.tf#", false},
		{"main.tfvars", false},
		{"main.tftest.hcl", false},
		{"terraform.tfstate", false},
	}
	for _, tt := range tests {
		if got := isTerraformFile(tt.name); got != tt.want {
			t.Errorf("isTerraformFile(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// FuzzParseModule feeds arbitrary bytes to the module-file reader, as HCL and
// as JSON: it must never panic.
func FuzzParseModule(f *testing.F) {
	for _, seed := range []string{
		"module \"a\" { source = \"./a\" }\n",
		"terraform {\n  required_version = \">= 1\"\n  backend \"s3\" {}\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n",
		`{"terraform": {"required_providers": {"aws": "1.0"}}, "module": {"m": {"source": "../m"}}}`,
		"terraform { required_providers { x = [1] } }",
		"terraform { required_providers { x = { (k) = 1 } } }",
		"module \"a\" {",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		parseModuleFile("main.tf", src)
		parseModuleFile("main.tf.json", src)
	})
}
