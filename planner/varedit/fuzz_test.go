package varedit

import (
	"encoding/json"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// FuzzEdit checks that any input either edits to a file that parses
// again and holds the value, or is refused with an error.
func FuzzEdit(f *testing.F) {
	f.Add("image_tag = \"v1\" # c\nreplicas  = 3\n", "image_tag", "v2", false, 0)
	f.Add("{\n  \"a\": 1\n}", "a", "2", false, 1)
	f.Add("{}", "b", `["x"]`, true, 1)
	f.Add("locals {\n  a = 1\n}\n", "b", "x", false, 2)
	f.Add("variable \"a\" { type = number }\n", "a", "1", false, 3)
	f.Add("a = [\n  1,\n]\n", "a", `{"k": [1, 2]}`, true, 0)
	f.Fuzz(func(t *testing.T, src, name, raw string, isJSON bool, kind int) {
		s, err := ParseSetting(name+"="+raw, isJSON)
		if err != nil {
			return
		}
		file, block := "f.tfvars", ""
		switch kind % 4 {
		case 1:
			file = "f.tfvars.json"
		case 2:
			file, block = "f.tf", "locals"
		case 3:
			file, block = "f.tf", "variable"
		}
		out, changes, err := Edit(file, []byte(src), []Setting{s}, Options{Block: block, Declared: map[string][]Declared{}})
		if err != nil {
			return
		}
		if len(changes) == 0 {
			if string(out) != src {
				t.Fatalf("no change but output differs")
			}
			return
		}
		if file == "f.tfvars.json" {
			if !json.Valid(out) {
				t.Fatalf("edit made invalid JSON:\n%s", out)
			}
		} else if _, diags := hclsyntax.ParseConfig(out, file, hcl.InitialPos); diags.HasErrors() {
			t.Fatalf("edit does not parse: %s\n%s", diags.Error(), out)
		}
		again, changes, err := Edit(file, out, []Setting{s}, Options{Block: block, Declared: map[string][]Declared{}})
		if err != nil || len(changes) != 0 || string(again) != string(out) {
			t.Fatalf("re-run changed %v (err %v):\n%s", changes, err, out)
		}
	})
}
