package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// testChildEnv makes this test binary the service itself: TestMain runs
// main() instead of the tests when it is 1. startChild sets it.
const testChildEnv = "DEMO_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(testChildEnv) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}

// child is the service running as a process of its own, for what cannot be
// tested inside the test process: real signals, exit statuses, a process
// that must be killed. It is this test binary, started without arguments and
// with DEMO_TEST_CHILD=1, so that TestMain runs main(): signal handling and
// all, as in the built binary.
type child struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *syncBuffer   // stdout and stderr, but the lines divert took
	done chan struct{} // closed once the process has exited and its output is read
	err  error         // what Wait returned, once done is closed
}

// startChild starts the service with only the given environment (nothing of
// the test's own, such as a NOTIFY_SOCKET, leaks in) and DEMO_LISTEN_ADDR
// 127.0.0.1:0 unless env sets it. divert, when not nil, sees every stdout
// line first and keeps out of out the lines it returns true for, for a flood
// that would make waitLog slow. The process is killed, if it still runs, when
// the test ends.
func startChild(t *testing.T, env map[string]string, divert func(line []byte) bool) *child {
	t.Helper()
	c := &child{t: t, out: &syncBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0])
	c.cmd.Env = []string{testChildEnv + "=1"}
	if _, ok := env["DEMO_LISTEN_ADDR"]; !ok {
		c.cmd.Env = append(c.cmd.Env, "DEMO_LISTEN_ADDR=127.0.0.1:0")
	}
	for k, v := range env {
		c.cmd.Env = append(c.cmd.Env, k+"="+v)
	}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.cmd.Stderr = c.out // a panic or a race report
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if divert == nil || !divert(sc.Bytes()) {
				_, _ = c.out.Write(append(sc.Bytes(), '\n'))
			}
		}
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill() // an error if it has already exited
		<-c.done
	})
	return c
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("%v to the service: %v\n%s", sig, err, c.out.String())
	}
}

// running tells whether the process has not exited.
func (c *child) running() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// wait waits up to timeout for the process to exit and returns how it did.
func (c *child) wait(timeout time.Duration) syscall.WaitStatus {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(timeout):
		c.t.Fatalf("the service did not exit in %v: %s", timeout, c.out.String())
	}
	status, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		c.t.Fatalf("no wait status: %v", c.err)
	}
	return status
}

// notifyMessage is one datagram received on the NOTIFY_SOCKET and the pid
// of the process that sent it.
type notifyMessage struct {
	text string
	pid  int
}

// listenNotifyCreds is listenNotify with the sender's credentials, which
// systemd asks for (SO_PASSCRED) to check a message against NotifyAccess=
// and the main PID. recv returns the next message, or false when none came
// within timeout.
func listenNotifyCreds(t *testing.T) (socket string, recv func(timeout time.Duration) (notifyMessage, bool)) {
	t.Helper()
	socket, pc := notifySocket(t)
	raw, err := pc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1)
	}); err != nil || serr != nil {
		t.Fatalf("SO_PASSCRED: %v %v", err, serr)
	}
	return socket, func(timeout time.Duration) (notifyMessage, bool) {
		t.Helper()
		buf, oob := make([]byte, 8192), make([]byte, syscall.CmsgSpace(syscall.SizeofUcred))
		_ = pc.SetReadDeadline(time.Now().Add(timeout))
		n, oobn, _, _, err := pc.ReadMsgUnix(buf, oob)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return notifyMessage{}, false
		}
		if err != nil {
			t.Fatalf("reading the notify socket: %v", err)
		}
		msg := notifyMessage{text: string(buf[:n])}
		cmsgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			t.Fatalf("control message: %v", err)
		}
		for i := range cmsgs {
			if cred, err := syscall.ParseUnixCredentials(&cmsgs[i]); err == nil {
				msg.pid = int(cred.Pid)
			}
		}
		if msg.pid == 0 {
			t.Fatalf("message %q came without the sender's credentials", msg.text)
		}
		return msg, true
	}
}
