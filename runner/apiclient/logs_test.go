package apiclient_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/runner/runnertest"
)

// TestFollowLogResumes follows an apply through a proxy that cuts the
// first stream after its first event: FollowLog reconnects with
// Last-Event-ID and passes on every byte once.
func TestFollowLogResumes(t *testing.T) {
	g := runnertest.StartGate(t)
	release := make(chan struct{})
	g.Terraform.ApplyOutput("database", func(w io.Writer) {
		fmt.Fprint(w, "one\n")
		<-release
		fmt.Fprint(w, "two\nthree\n")
	})
	var mu sync.Mutex
	var lastIDs []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		first := len(lastIDs) == 1
		mu.Unlock()
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, g.URL+r.URL.RequestURI(), nil)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		br := bufio.NewReader(resp.Body)
		for {
			line, err := br.ReadString('\n')
			if _, werr := io.WriteString(w, line); werr != nil || err != nil {
				return
			}
			w.(http.Flusher).Flush()
			if first && line == "\n" {
				// The first event is through: cut the stream.
				close(release)
				return
			}
		}
	}))
	defer proxy.Close()

	apply := g.Latest("infra", "database", "apply")
	if _, err := apiclient.New(g.URL, apitest.ApproverToken).ApproveRun(context.Background(), apply.ID, ""); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	run, err := apiclient.New(proxy.URL, apitest.ViewerToken).FollowLog(context.Background(), apply.ID, 0, func(text []byte) error {
		got.Write(text)
		return nil
	})
	if err != nil {
		t.Fatalf("FollowLog: %v", err)
	}
	if got.String() != "one\ntwo\nthree\n" || run.Status != apiv1.StatusApplied {
		t.Errorf("followed %q to %s, want every line once and applied", got.String(), run.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lastIDs) != 2 || lastIDs[0] != "" || lastIDs[1] != "4" {
		t.Errorf("requests with Last-Event-ID %q, want a first without and a second from byte 4", lastIDs)
	}
}
