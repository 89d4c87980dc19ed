package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"version", []string{"-version"}, nil, 0, "dev\n"},
		{"bad switch", nil, map[string]string{"DEMO_SLOW_MS": "fast"}, 2, `"variable":"DEMO_SLOW_MS"`},
		{"fail at start", nil, map[string]string{"DEMO_FAIL_AT_START": "1"}, 1, `"level":"error"`},
		{"listen error", []string{"-listen", "192.0.2.1:1"}, nil, 1, `"msg":"cannot listen"`},
		{"bad flood rate", nil, map[string]string{"DEMO_LOG_FLOOD": "lots"}, 2, `"variable":"DEMO_LOG_FLOOD"`},
		{"bad leak rate", nil, map[string]string{"DEMO_LEAK_MB_PER_SEC": "4097"}, 2, `"variable":"DEMO_LEAK_MB_PER_SEC"`},
	}
	for _, c := range cases {
		var out bytes.Buffer
		code := run(c.args, envOf(c.env), &out, &bytes.Buffer{}, nil)
		if code != c.code || !strings.Contains(out.String(), c.want) {
			t.Errorf("%s: exit %d, output %q; want exit %d and %q", c.name, code, out.String(), c.code, c.want)
		}
	}
}

func TestRunServesAndStopsOnSignal(t *testing.T) {
	signals := make(chan os.Signal, 1)
	var out syncBuffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"-listen", "127.0.0.1:0"}, envOf(nil), &out, &bytes.Buffer{}, signals) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), `"msg":"listening"`) {
		if time.Now().After(deadline) {
			t.Fatalf("service did not start: %s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	signals <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, out.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("not a JSON line: %q", line)
		}
	}
	if !strings.Contains(out.String(), `"msg":"shutdown complete"`) {
		t.Errorf("no shutdown log: %s", out.String())
	}
}

// service is run() serving in the test process on a free port, started by
// startService and stopped, if the test did not stop it, when the test ends.
type service struct {
	t       *testing.T
	signals chan os.Signal
	out     *syncBuffer
	done    chan int
	addr    string
	code    int
	exited  bool
}

func startService(t *testing.T, args []string, env map[string]string) *service {
	t.Helper()
	s := &service{t: t, signals: make(chan os.Signal, 1), out: &syncBuffer{}, done: make(chan int, 1)}
	args = append([]string{"-listen", "127.0.0.1:0"}, args...)
	go func() { s.done <- run(args, envOf(env), s.out, io.Discard, s.signals) }()
	t.Cleanup(func() {
		if !s.exited {
			s.stop()
		}
	})
	s.addr, _ = waitLog(t, s.out, "listening")["addr"].(string)
	return s
}

func (s *service) signal(sig os.Signal) {
	s.t.Helper()
	select {
	case s.signals <- sig:
	case <-time.After(5 * time.Second):
		s.t.Fatalf("the service took no %v in 5s: %s", sig, s.out.String())
	}
}

// stop sends SIGTERM and returns the exit code.
func (s *service) stop() int {
	s.t.Helper()
	s.signal(syscall.SIGTERM)
	return s.wait()
}

func (s *service) wait() int {
	s.t.Helper()
	if s.exited {
		return s.code
	}
	select {
	case s.code = <-s.done:
		s.exited = true
		return s.code
	case <-time.After(10 * time.Second):
		s.t.Fatalf("the service did not exit in 10s: %s", s.out.String())
		return 0
	}
}

// running tells whether run() has not returned.
func (s *service) running() bool {
	select {
	case s.code = <-s.done:
		s.exited = true
	default:
	}
	return !s.exited
}

// get answers GET path as a decoded JSON object.
func (s *service) get(path string) map[string]any {
	s.t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + s.addr + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		s.t.Fatalf("GET %s: %d %v %v", path, resp.StatusCode, body, err)
	}
	return body
}

// logLines returns the log lines with the given msg, decoded.
func logLines(out interface{ String() string }, msg string) []map[string]any {
	var found []map[string]any
	for _, line := range strings.Split(out.String(), "\n") {
		rec := map[string]any{}
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			found = append(found, rec)
		}
	}
	return found
}

// notifySocket is a unix datagram socket as systemd listens on for
// NOTIFY_SOCKET, in a directory of its own; both are gone when the test ends.
func notifySocket(t *testing.T) (socket string, pc *net.UnixConn) {
	t.Helper()
	dir, err := os.MkdirTemp("", "nt") // short: a socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket = filepath.Join(dir, "notify.sock")
	pc, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return socket, pc
}

// listenNotify listens on a notifySocket; next returns the next message the
// service sent.
func listenNotify(t *testing.T) (socket string, next func() string) {
	t.Helper()
	socket, pc := notifySocket(t)
	return socket, func() string {
		t.Helper()
		buf := make([]byte, 8192)
		_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := pc.ReadFromUnix(buf)
		if err != nil {
			t.Fatalf("no sd_notify message in 5s: %v", err)
		}
		return string(buf[:n])
	}
}

// writeFile replaces path as a deployment tool does: a new file renamed over it.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestRunMessageFileStartFailures(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, "long.txt")
	writeFile(t, long, strings.Repeat("x", maxMessageBytes+1))
	cases := []struct {
		name string
		args []string
		env  map[string]string
		file string
		want string
	}{
		{"missing, by flag", []string{"-message-file", filepath.Join(dir, "missing.txt")}, nil, filepath.Join(dir, "missing.txt"), "no such file or directory"},
		{"too long, by variable", nil, map[string]string{"DEMO_MESSAGE_FILE": long}, long, "too long"},
		{"a directory", []string{"-message-file", dir}, nil, dir, "is a directory"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		code := run(append([]string{"-listen", "127.0.0.1:0"}, c.args...), envOf(c.env), &out, io.Discard, nil)
		lines := logLines(&out, "cannot start: cannot read the message file")
		if code != 1 || len(lines) != 1 {
			t.Errorf("%s: exit %d, want 1 and one error line: %s", c.name, code, out.String())
			continue
		}
		rec := lines[0]
		if errText, _ := rec["error"].(string); rec["level"] != "error" || rec["file"] != c.file || !strings.Contains(errText, c.want) {
			t.Errorf("%s: error line %v, want file %q and an error with %q", c.name, rec, c.file, c.want)
		}
		if len(logLines(&out, "listening")) != 0 {
			t.Errorf("%s: listened anyway: %s", c.name, out.String())
		}
	}
}

// TestRunReloadsMessageOnSIGHUP is what `systemctl reload` with
// ExecReload=/bin/kill -s HUP $MAINPID does: the same process, still
// listening, answers the new message, and systemd hears RELOADING=1 then
// READY=1.
func TestRunReloadsMessageOnSIGHUP(t *testing.T) {
	file := filepath.Join(t.TempDir(), "message.txt")
	writeFile(t, file, "hello\n")
	socket, next := listenNotify(t)
	s := startService(t, []string{"-message-file", file}, map[string]string{"NOTIFY_SOCKET": socket})
	if got, want := next(), "READY=1\nSTATUS=serving on "+s.addr; got != want {
		t.Fatalf("first notification %q, want %q", got, want)
	}
	listening := waitLog(t, s.out, "listening")
	if listening["message_file"] != file || listening["message_bytes"] != float64(5) || listening["pid"] != float64(os.Getpid()) {
		t.Errorf("listening line: %v", listening)
	}
	if body := s.get("/"); body["message"] != "hello" || body["reloads"] != float64(0) || body["service"] != "gosvc-demo" {
		t.Fatalf("before the reload: %v", body)
	}

	for i, text := range []string{"hello, reloaded", "third text"} {
		writeFile(t, file, "  "+text+"\n\n")
		s.signal(syscall.SIGHUP)
		if got := next(); got != "RELOADING=1" {
			t.Fatalf("reload %d: first notification %q, want RELOADING=1", i+1, got)
		}
		want := fmt.Sprintf("READY=1\nSTATUS=serving on %s; reloaded %s (%d bytes, reload %d)", s.addr, file, len(text), i+1)
		if got := next(); got != want {
			t.Fatalf("reload %d: notification %q, want %q", i+1, got, want)
		}
		// READY=1 comes after the swap: the answer is already the new one.
		if body := s.get("/"); body["message"] != text || body["reloads"] != float64(i+1) {
			t.Fatalf("after reload %d: %v", i+1, body)
		}
		reloaded := logLines(s.out, "reloaded")
		if len(reloaded) != i+1 {
			t.Fatalf("after reload %d: %d reloaded lines: %s", i+1, len(reloaded), s.out.String())
		}
		if rec := reloaded[i]; rec["level"] != "info" || rec["file"] != file || rec["bytes"] != float64(len(text)) || rec["reloads"] != float64(i+1) {
			t.Errorf("reload %d: log line %v", i+1, rec)
		}
	}
	// No restart happened in between: still the first run, started once.
	if !s.running() || len(logLines(s.out, "listening")) != 1 || len(logLines(s.out, "shutting down")) != 0 {
		t.Fatalf("the service restarted or stopped: %s", s.out.String())
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, s.out.String())
	}
}

func TestRunFailedReloadKeepsMessage(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(t *testing.T, file string)
		want  string
	}{
		{"file removed", func(t *testing.T, file string) {
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
		}, "no such file or directory"},
		{"file too long", func(t *testing.T, file string) {
			writeFile(t, file, strings.Repeat("x", maxMessageBytes+1))
		}, "too long"},
		{"file became a directory", func(t *testing.T, file string) {
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(file, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "is a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "message.txt")
			writeFile(t, file, "first\n")
			socket, next := listenNotify(t)
			s := startService(t, nil, map[string]string{"DEMO_MESSAGE_FILE": file, "NOTIFY_SOCKET": socket})
			next() // READY=1 of the start

			c.spoil(t, file)
			s.signal(syscall.SIGHUP)
			if got := next(); got != "RELOADING=1" {
				t.Fatalf("first notification %q, want RELOADING=1", got)
			}
			got := next()
			if !strings.HasPrefix(got, "READY=1\nSTATUS=serving on "+s.addr+"; reload failed, kept the previous configuration: ") || !strings.Contains(got, c.want) {
				t.Fatalf("notification %q", got)
			}
			if body := s.get("/"); body["message"] != "first" || body["reloads"] != float64(0) {
				t.Fatalf("after the failed reload: %v", body)
			}
			failed := logLines(s.out, "reload failed; kept the previous configuration")
			if len(failed) != 1 {
				t.Fatalf("want one error line: %s", s.out.String())
			}
			if errText, _ := failed[0]["error"].(string); failed[0]["level"] != "error" || failed[0]["file"] != file || !strings.Contains(errText, c.want) {
				t.Errorf("error line %v, want file %q and an error with %q", failed[0], file, c.want)
			}

			// Mended, the next reload works and is the first to count.
			_ = os.Remove(file)
			writeFile(t, file, "second\n")
			s.signal(syscall.SIGHUP)
			next()
			next()
			if body := s.get("/"); body["message"] != "second" || body["reloads"] != float64(1) {
				t.Fatalf("after the mended reload: %v", body)
			}
			if code := s.stop(); code != 0 {
				t.Fatalf("exit %d: %s", code, s.out.String())
			}
		})
	}
}

func TestRunSIGHUPWithoutMessageFile(t *testing.T) {
	socket, next := listenNotify(t)
	s := startService(t, nil, map[string]string{"NOTIFY_SOCKET": socket})
	next() // READY=1 of the start
	for i := 0; i < 2; i++ {
		s.signal(syscall.SIGHUP)
		if got := next(); got != "RELOADING=1" {
			t.Fatalf("first notification %q, want RELOADING=1", got)
		}
		if got, want := next(), "READY=1\nSTATUS=serving on "+s.addr+"; nothing to reload"; got != want {
			t.Fatalf("notification %q, want %q", got, want)
		}
	}
	if n := len(logLines(s.out, "nothing to reload: no message file (-message-file/DEMO_MESSAGE_FILE is not set)")); n != 2 {
		t.Fatalf("%d 'nothing to reload' lines, want 2: %s", n, s.out.String())
	}
	if body := s.get("/"); body["message"] != "" || body["reloads"] != float64(0) {
		t.Fatalf("GET /: %v", body)
	}
	if !s.running() {
		t.Fatalf("the service stopped: %s", s.out.String())
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, s.out.String())
	}
}

// A SIGHUP during the drain is not the second signal that cuts it short:
// the request in flight is still answered and the exit is clean.
func TestRunIgnoresSIGHUPDuringShutdown(t *testing.T) {
	s := startService(t, []string{"-shutdown-timeout", "10s"}, nil)
	answered := make(chan error, 1)
	go func() {
		client := &http.Client{Timeout: 10 * time.Second}
		resp, err := client.Get("http://" + s.addr + "/?delay_ms=700")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != 200 {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		answered <- err
	}()
	time.Sleep(150 * time.Millisecond) // let the request reach the handler
	s.signal(syscall.SIGTERM)
	waitLog(t, s.out, "shutting down")
	s.signal(syscall.SIGHUP)
	waitLog(t, s.out, "SIGHUP during shutdown ignored")
	if err := <-answered; err != nil {
		t.Fatalf("the request in flight was cut off: %v\n%s", err, s.out.String())
	}
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d: %s", code, s.out.String())
	}
	if len(logLines(s.out, "shutdown complete")) != 1 || len(logLines(s.out, "second signal during shutdown; closed the remaining connections")) != 0 {
		t.Fatalf("unexpected shutdown: %s", s.out.String())
	}
}
