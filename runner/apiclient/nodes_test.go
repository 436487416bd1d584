package apiclient_test

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// TestNodes reads the node list of a daemon's API over stored records,
// and an older server's 404 as an *Error.
func TestNodes(t *testing.T) {
	s := runnertest.Serve(t, nil)
	beat := time.Now().UTC().Truncate(time.Second)
	n := store.Node{Name: "node-a", Version: "v1.0.0", StartedAt: beat, Heartbeat: beat, Leader: true, Workers: 2, Ready: true}
	if err := s.Store.PutNode(t.Context(), &n); err != nil {
		t.Fatal(err)
	}
	got, err := apiclient.New(s.URL, apitest.ViewerToken).Nodes(t.Context())
	want := []apiv1.Node{{Name: "node-a", Version: "v1.0.0", State: apiv1.NodeLive, Leader: true, StartedAt: beat, Heartbeat: beat,
		Running: []string{}, Workers: 2, Ready: true}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Nodes = %+v, %v\nwant %+v", got, err, want)
	}

	old := apitest.NewServer(t, &apitest.Canned{})
	_, err = apiclient.New(old.URL, apitest.Token).Nodes(t.Context())
	var apiErr *apiclient.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("Nodes of a server without a node list: %v, want a 404 *Error", err)
	}
}
