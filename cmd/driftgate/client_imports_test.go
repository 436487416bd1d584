package main

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestClientCommandsUseWireTypes checks that the client commands (the
// client*.go files) speak the API through its wire types only: none
// imports the store or the server's package, so what they print follows
// the API and not the storage format.
func TestClientCommandsUseWireTypes(t *testing.T) {
	files, err := filepath.Glob("client*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"github.com/driftgate/driftgate/store", "github.com/driftgate/driftgate/runner/api", "github.com/driftgate/driftgate/runner"}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if slices.Contains(forbidden, path) || strings.HasPrefix(path, "github.com/driftgate/driftgate/store/") {
				t.Errorf("%s imports %s: client commands use runner/apiclient and runner/api/apiv1", name, path)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d client files; the glob found too few", checked)
	}
}
