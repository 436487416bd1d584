package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// event is one Server-Sent Event as the test reads it off the wire.
type event struct {
	name, id string
	data     []string // the data lines
}

// text is the event's data as an SSE client joins it.
func (e event) text() string { return strings.Join(e.data, "\n") }

// stream is a followed log.
type stream struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

// follow opens GET /api/v1/runs/{id}/log?follow=true, from lastID when
// not "".
func follow(t *testing.T, base, id, lastID string) *stream {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/v1/runs/"+id+"/log?follow=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apitest.ViewerToken)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("follow run %s: %v", id, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("follow run %s = %d %s %s", id, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	return &stream{t: t, resp: resp, r: bufio.NewReader(resp.Body)}
}

// next reads the next event, skipping comments, failing at the end of the
// stream.
func (s *stream) next() event {
	s.t.Helper()
	var ev event
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("read event: %v (so far %+v)", err, ev)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && ev.name != "":
			return ev
		case line == "", strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = append(ev.data, strings.TrimPrefix(line, "data: "))
		default:
			s.t.Fatalf("unexpected line %q", line)
		}
	}
}

// rest reads log events until the end event and returns their text, the
// last id and the run of the end event. Ids must grow by the bytes of
// each event from start.
func (s *stream) rest(start int64) (string, int64, store.Run) {
	s.t.Helper()
	var text strings.Builder
	offset := start
	for {
		ev := s.next()
		switch ev.name {
		case "log":
			text.WriteString(ev.text())
			offset += int64(len(ev.text()))
			if ev.id != strconv.FormatInt(offset, 10) {
				s.t.Fatalf("log event id %s, want the offset after it, %d", ev.id, offset)
			}
		case "end":
			var run store.Run
			if err := json.Unmarshal([]byte(ev.text()), &run); err != nil {
				s.t.Fatalf("end event %q: %v", ev.text(), err)
			}
			return text.String(), offset, run
		default:
			s.t.Fatalf("unexpected event %+v", ev)
		}
	}
}

// approveDatabase makes infra/database's apply print what out writes,
// approves it, and returns its id.
func approveDatabase(t *testing.T, g *runnertest.Gate, out func(io.Writer)) string {
	t.Helper()
	g.Terraform.ApplyOutput("database", out)
	run := g.Latest("infra", "database", "apply")
	if _, err := apiclient.New(g.URL, apitest.ApproverToken).ApproveRun(context.Background(), run.ID, ""); err != nil {
		t.Fatalf("approve: %v", err)
	}
	return run.ID
}

// TestFollowLogLive follows an apply while it prints: lines arrive in
// order while the run runs, a reconnect with Last-Event-ID resumes with no
// line repeated or lost, and a client connected when the run ends gets
// the end event with the finished run. What streamed is the stored log.
func TestFollowLogLive(t *testing.T) {
	g := runnertest.StartGate(t)
	release := make(chan struct{})
	id := approveDatabase(t, g, func(w io.Writer) {
		fmt.Fprint(w, "Initializing...\naws_db.main: Modifying...\n")
		<-release
		for i := range 3 {
			fmt.Fprintf(w, "aws_db.main: Still modifying... [%ds elapsed]\n", (i+1)*10)
		}
		fmt.Fprint(w, "Apply complete! Resources: 0 added, 1 changed, 0 destroyed.\n")
	})

	first := follow(t, g.URL, id, "")
	ev := first.next()
	if ev.name != "log" || ev.text() != "Initializing...\naws_db.main: Modifying...\n" || ev.id != "42" {
		t.Fatalf("first event %+v, want the two lines printed so far with id 42", ev)
	}
	if run := g.WaitRun(id, store.StatusRunning, store.StatusApplied); run.Status != store.StatusRunning {
		t.Fatalf("run is %s before it was released", run.Status)
	}
	// A second client follows from where the first got, then the run goes
	// on and ends while both are connected.
	second := follow(t, g.URL, id, ev.id)
	close(release)
	tail, _, endRun := first.rest(42)
	resumed, _, endRun2 := second.rest(42)
	if tail != resumed {
		t.Errorf("resumed stream %q, want the same as the live one %q", resumed, tail)
	}
	if endRun.Status != store.StatusApplied || endRun2.Status != store.StatusApplied || endRun.ID != id {
		t.Errorf("end events carry %s/%s (%s), want run %s applied", endRun.Status, endRun2.Status, endRun.ID, id)
	}
	stored, err := g.Store.GetLog(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.text() + tail; got != string(stored) {
		t.Errorf("streamed %q\nstored   %q", got, stored)
	}

	// After the end: from the start, from the middle, and from the end.
	for _, from := range []int64{0, 42, int64(len(stored))} {
		s := follow(t, g.URL, id, map[bool]string{true: "", false: strconv.FormatInt(from, 10)}[from == 0])
		text, offset, run := s.rest(from)
		if text != string(stored[from:]) || offset != int64(len(stored)) || run.Status != store.StatusApplied {
			t.Errorf("from %d: got %q to %d (%s), want %q", from, text, offset, run.Status, stored[from:])
		}
	}
}

// TestFollowLogSlowReader checks that a reader that never reads does not
// hold back a run that prints megabytes.
func TestFollowLogSlowReader(t *testing.T) {
	g := runnertest.StartGate(t)
	line := strings.Repeat("x", 1023) + "\n"
	const lines = 8 << 10 // 8 MiB
	started := make(chan struct{})
	id := approveDatabase(t, g, func(w io.Writer) {
		<-started
		for range lines {
			fmt.Fprint(w, line)
		}
	})
	// A client asks to follow and then reads nothing.
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/v1/runs/%s/log?follow=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", id, apitest.ViewerToken)
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	time.Sleep(100 * time.Millisecond) // the server has the request
	begin := time.Now()
	close(started)
	run := g.WaitRun(id, store.StatusApplied, store.StatusErrored)
	if run.Status != store.StatusApplied {
		t.Fatalf("run %s, want applied", run.Status)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("the run took %s with a reader that does not read", took)
	}
	stored, err := g.Store.GetLog(context.Background(), id)
	if err != nil || len(stored) != lines*len(line) {
		t.Errorf("stored log of %d bytes (%v), want %d", len(stored), err, lines*len(line))
	}
	// A reader that follows now gets it all, then the end.
	text, _, end := follow(t, g.URL, id, "").rest(0)
	if text != string(stored) || end.Status != store.StatusApplied {
		t.Errorf("followed %d bytes (%s), want the %d stored", len(text), end.Status, len(stored))
	}
}

// TestFollowLogPlan follows a finished plan run: its log streams from the
// store, then the end.
func TestFollowLogPlan(t *testing.T) {
	g := runnertest.StartGate(t)
	plan := g.Latest("infra", "network", "plan")
	text, _, end := follow(t, g.URL, plan.ID, "").rest(0)
	stored, err := g.Store.GetLog(context.Background(), plan.ID)
	if err != nil || text != string(stored) || end.ID != plan.ID || end.Status != plan.Status {
		t.Errorf("followed %q (%s %s), want %q and the run (%v)", text, end.ID, end.Status, stored, err)
	}
}

// TestFollowLogPlanLive follows a plan while terraform prints: the daemon
// gives the plan the run's live log, so lines arrive before the plan ends,
// and what streamed is the stored log. (The masking of what terraform
// prints is tfrun's, tested against real terraform in tfrun and runner.)
func TestFollowLogPlanLive(t *testing.T) {
	g := runnertest.StartGate(t)
	release := make(chan struct{})
	g.Terraform.PlanOutput("database", func(w io.Writer) {
		fmt.Fprint(w, "$ terraform plan\ndata.dgtest_wait.slow: Reading...\n")
		<-release
		fmt.Fprint(w, "data.dgtest_wait.slow: Read complete after 4s\nPlan: 1 to add, 0 to change, 0 to destroy.\n")
	})
	run, err := apiclient.New(g.URL, apitest.Token).TriggerPlan(context.Background(), "infra", "database")
	if err != nil {
		t.Fatalf("trigger plan: %v", err)
	}
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // the daemon stops only once the plan returns
	s := follow(t, g.URL, run.ID, "")
	// Without live lines the stream says nothing until the plan ends,
	// which waits for this test: give up then.
	timer := time.AfterFunc(30*time.Second, func() { s.resp.Body.Close() })
	ev := s.next()
	timer.Stop()
	const first = "$ terraform plan\ndata.dgtest_wait.slow: Reading...\n"
	if ev.name != "log" || ev.text() != first || ev.id != strconv.Itoa(len(first)) {
		t.Fatalf("first event %+v, want the lines printed so far with id %d", ev, len(first))
	}
	if cur := g.WaitRun(run.ID, store.StatusRunning, store.StatusPlanned); cur.Status != store.StatusRunning {
		t.Fatalf("run is %s before terraform was released", cur.Status)
	}
	unblock()
	tail, _, end := s.rest(int64(len(first)))
	if end.Status != store.StatusPlanned || end.ID != run.ID {
		t.Errorf("end event carries %s (%s), want run %s planned", end.Status, end.ID, run.ID)
	}
	stored, err := g.Store.GetLog(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.text() + tail; got != string(stored) {
		t.Errorf("streamed %q\nstored   %q", got, stored)
	}
}

// TestFollowLogBadRequests checks follow's arguments.
func TestFollowLogBadRequests(t *testing.T) {
	g := runnertest.StartGate(t)
	plan := g.Latest("infra", "network", "plan")
	tests := []struct {
		query, lastID, want string
	}{
		{"follow=yes", "", "follow must be true or false"},
		{"follow=true", "abc", "Last-Event-ID must be a byte offset"},
		{"tail=1", "", `unknown query parameter`},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, g.URL+"/api/v1/runs/"+plan.ID+"/log?"+tt.query, nil)
		req.Header.Set("Authorization", "Bearer "+apitest.ViewerToken)
		if tt.lastID != "" {
			req.Header.Set("Last-Event-ID", tt.lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), tt.want) {
			t.Errorf("?%s (Last-Event-ID %q) = %d %s, want 400 saying %q", tt.query, tt.lastID, resp.StatusCode, body, tt.want)
		}
	}
}

// TestFollowLogWaitsForQueuedRun follows a run that has not started: the
// stream stays open with keep-alive comments, and once the run is
// recorded as finished it gets the stored log and the end event.
func TestFollowLogWaitsForQueuedRun(t *testing.T) {
	t.Parallel() // it waits for a keep-alive, 15 s
	s := runnertest.Serve(t, nil, "infra", "platform")
	fx := apitest.Seed(t, s.Store)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/runs/"+fx.Queued.ID+"/log?follow=true", nil)
	req.Header.Set("Authorization", "Bearer "+apitest.ViewerToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	start := time.Now()
	line, err := r.ReadString('\n')
	if err != nil || line != ": keep-alive\n" {
		t.Fatalf("first line %q (%v), want a keep-alive comment", line, err)
	}
	if took := time.Since(start); took < 14*time.Second || took > 20*time.Second {
		t.Errorf("keep-alive after %s, want about 15s", took)
	}
	run := fx.Queued
	run.Status, run.StartedAt, run.FinishedAt = store.StatusNoChanges, time.Now().UTC(), time.Now().UTC()
	if err := s.Store.FinishRun(context.Background(), &run, nil, []byte("finished elsewhere\n")); err != nil {
		t.Fatal(err)
	}
	text, _, end := (&stream{t: t, resp: resp, r: r}).rest(0)
	if text != "finished elsewhere\n" || end.ID != run.ID || end.Status != store.StatusNoChanges {
		t.Errorf("after the run finished: %q, end %s %s", text, end.ID, end.Status)
	}
}

// TestFollowLogShutdown checks that open streams end when the daemon
// stops, so its shutdown does not wait for them: runnertest fails the
// test when the daemon does not stop cleanly.
func TestFollowLogShutdown(t *testing.T) {
	var body io.Closer
	t.Cleanup(func() {
		if body != nil {
			body.Close()
		}
	})
	g := runnertest.StartGate(t)
	// infra/network's apply awaits two approvals: its stream stays open.
	req, _ := http.NewRequest(http.MethodGet, g.URL+"/api/v1/runs/"+g.Awaiting.ID+"/log?follow=true", nil)
	req.Header.Set("Authorization", "Bearer "+apitest.ViewerToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("follow: %v", err)
	}
	body = resp.Body
}
