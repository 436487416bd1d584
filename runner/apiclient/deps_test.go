package apiclient_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoStoreDependency checks that the client depends on the API's wire
// types only: neither the store nor the server's packages are among its
// dependencies, so a client build carries no bbolt and the storage format
// can change without changing the client.
func TestNoStoreDependency(t *testing.T) {
	// go test puts its own go first on PATH.
	out, err := exec.Command("go", "list", "-deps", "github.com/driftgate/driftgate/runner/apiclient").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := func(dep string) bool {
		return dep == "github.com/driftgate/driftgate/store" || strings.HasPrefix(dep, "github.com/driftgate/driftgate/store/") ||
			dep == "github.com/driftgate/driftgate/runner" || dep == "github.com/driftgate/driftgate/runner/api" ||
			dep == "go.etcd.io/bbolt"
	}
	deps := strings.Fields(string(out))
	for _, dep := range deps {
		if forbidden(dep) {
			t.Errorf("runner/apiclient depends on %s: use the wire types of runner/api/apiv1 instead", dep)
		}
	}
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
}
