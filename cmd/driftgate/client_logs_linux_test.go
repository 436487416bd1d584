package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/apiclient"
)

// openPTY opens a pseudo-terminal: what is written to tty is read from
// pty.
func openPTY(t *testing.T) (pty, tty *os.File) {
	t.Helper()
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { pty.Close() })
	if err := unix.IoctlSetPointerInt(int(pty.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetUint32(int(pty.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open tty: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return pty, tty
}

// syncBuffer is a buffer written and read by different goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.ReplaceAll(b.buf.String(), "\r\n", "\n")
}

// TestWaitOnTerminal checks that wait, on a terminal, shows the run's log
// as it is written, then the outcome.
func TestWaitOnTerminal(t *testing.T) {
	e := newGateCLIEnv(t)
	pty, tty := openPTY(t)
	var screen syncBuffer
	go func() { _, _ = io.Copy(&screen, pty) }()

	release := make(chan struct{})
	e.Terraform.ApplyOutput("database", func(w io.Writer) {
		fmt.Fprint(w, "aws_db.main: Modifying...\n")
		<-release
		fmt.Fprint(w, "Apply complete!\n")
	})
	apply := e.Latest("infra", "database", "apply")
	if _, err := apiclient.New(e.URL, apitest.ApproverToken).ApproveRun(context.Background(), apply.ID, ""); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	var errOut bytes.Buffer
	go func() {
		done <- run(context.Background(), []string{"wait", apply.ID, "--server", e.URL, "--token", apitest.Token}, tty, &errOut)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(screen.String(), "aws_db.main: Modifying...\n") {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal shows no log while the apply runs:\n%s", screen.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if code := <-done; code != exitOK {
		t.Fatalf("wait: exit %d: %s", code, errOut.String())
	}
	want := "aws_db.main: Modifying...\nApply complete!\n" + apply.ID + " infra/database applied"
	for !strings.Contains(screen.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("terminal shows:\n%s\nwant:\n%s", screen.String(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
