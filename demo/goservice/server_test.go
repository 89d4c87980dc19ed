package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func testApp(t *testing.T, cfg config) (*app, *bytes.Buffer) {
	t.Helper()
	if cfg.ServiceName == "" {
		cfg.ServiceName = "svc-test"
	}
	var buf bytes.Buffer
	a := newApp(cfg, newLogger(&buf, cfg.ServiceName, "9.9.9"), "9.9.9")
	return a, &buf
}

func do(t *testing.T, h http.Handler, method, path string, hdr map[string]string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := map[string]any{}
	if method != http.MethodHead {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, rec.Body.String())
		}
	}
	return rec, body
}

func TestHandlers(t *testing.T) {
	a, logs := testApp(t, config{})
	h := a.handler()

	rec, body := do(t, h, "GET", "/healthz", nil)
	if rec.Code != 200 || body["status"] != "ok" || body["version"] != "9.9.9" || body["service"] != "svc-test" {
		t.Fatalf("healthz: %d %v", rec.Code, body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}

	rec, body = do(t, h, "GET", "/readyz", nil)
	if rec.Code != 503 || body["status"] != "not_ready" || body["reason"] != "starting" {
		t.Fatalf("readyz before ready: %d %v", rec.Code, body)
	}
	a.setReady(true, "")
	rec, body = do(t, h, "GET", "/readyz", nil)
	if rec.Code != 200 || body["status"] != "ok" {
		t.Fatalf("readyz: %d %v", rec.Code, body)
	}
	a.setReady(false, "shutting down")
	rec, body = do(t, h, "GET", "/readyz", nil)
	if rec.Code != 503 || body["reason"] != "shutting down" {
		t.Fatalf("readyz while stopping: %d %v", rec.Code, body)
	}

	rec, body = do(t, h, "GET", "/", nil)
	if rec.Code != 200 || body["version"] != "9.9.9" || body["message"] != "" || body["reloads"] != float64(0) {
		t.Fatalf("root: %d %v", rec.Code, body)
	}
	rec, body = do(t, h, "GET", "/nope", nil)
	if rec.Code != 404 || body["path"] != "/nope" {
		t.Fatalf("404: %d %v", rec.Code, body)
	}
	rec, _ = do(t, h, "POST", "/healthz", nil)
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST: %d %v", rec.Code, rec.Header())
	}
	rec, _ = do(t, h, "HEAD", "/healthz", nil)
	if rec.Code != 200 {
		t.Fatalf("HEAD: %d", rec.Code)
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 8 {
		t.Fatalf("want one log line per request, got %d:\n%s", len(lines), logs.String())
	}
}

func TestNotReadySwitch(t *testing.T) {
	a, _ := testApp(t, config{NotReady: true})
	a.setReady(true, "")
	rec, body := do(t, a.handler(), "GET", "/readyz", nil)
	if rec.Code != 503 || body["status"] != "not_ready" || body["reason"] != "DEMO_NOT_READY is set" {
		t.Fatalf("%d %v", rec.Code, body)
	}
	rec, _ = do(t, a.handler(), "GET", "/healthz", nil)
	if rec.Code != 200 {
		t.Fatalf("healthz must stay 200 under DEMO_NOT_READY, got %d", rec.Code)
	}
}

func TestRequestLogAndTraceID(t *testing.T) {
	a, logs := testApp(t, config{Slow: 30 * time.Millisecond})
	start := time.Now()
	rec, _ := do(t, a.handler(), "GET", "/healthz", map[string]string{"X-Trace-Id": "abc-123"})
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("DEMO_SLOW_MS delay not applied")
	}
	if rec.Header().Get("X-Trace-Id") != "abc-123" {
		t.Fatalf("trace id not echoed: %v", rec.Header())
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log line is not JSON: %q", logs.String())
	}
	for _, k := range []string{"time", "level", "msg", "service", "version", "method", "path", "status", "duration_ms", "trace_id"} {
		if _, ok := line[k]; !ok {
			t.Errorf("log line lacks %q: %v", k, line)
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, line["time"].(string)); err != nil {
		t.Errorf("time is not RFC3339Nano: %v", err)
	}
	if line["trace_id"] != "abc-123" || line["status"] != float64(200) || line["duration_ms"].(float64) < 30 {
		t.Errorf("unexpected request log: %v", line)
	}

	logs.Reset()
	rec, _ = do(t, a.handler(), "GET", "/healthz", map[string]string{"X-Trace-Id": "bad id\x01"})
	got := rec.Header().Get("X-Trace-Id")
	if len(got) != 32 || !validTraceID(got) {
		t.Fatalf("invalid incoming trace id should be replaced by a generated one, got %q", got)
	}
}

func TestNotifierPathAndAbstract(t *testing.T) {
	dir, err := os.MkdirTemp("", "nt")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "n.sock")
	abstract := "@gosvc-demo-test-" + time.Now().Format("150405.000000000")
	for _, name := range []string{path, abstract} {
		pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		n, err := newNotifier(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Notify("READY=1", "STATUS=hi"); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 256)
		_ = pc.SetReadDeadline(time.Now().Add(2 * time.Second))
		k, _, err := pc.ReadFromUnix(buf)
		pc.Close()
		if err != nil || string(buf[:k]) != "READY=1\nSTATUS=hi" {
			t.Fatalf("%s: got %q, %v", name, buf[:k], err)
		}
	}
	if _, err := newNotifier("vsock:2:1234"); err == nil {
		t.Fatal("unsupported NOTIFY_SOCKET accepted")
	}
	var none *notifier
	if err := none.Notify("READY=1"); err != nil {
		t.Fatal("a nil notifier must be a no-op")
	}
}

func TestDieAtRequestEndsTheProcessBeforeAnswering(t *testing.T) {
	a, logs := testApp(t, config{DieAtRequest: 3})
	died := 0
	a.die = func() { died++ }
	h := a.handler()
	for i, path := range []string{"/healthz", "/"} {
		if rec, _ := do(t, h, "GET", path, nil); rec.Code != 200 || died != 0 {
			t.Fatalf("request %d (%s): status %d, died %d times", i+1, path, rec.Code, died)
		}
	}
	req := httptest.NewRequest("GET", "/healthz", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if died != 1 || rec.Body.Len() != 0 {
		t.Fatalf("request 3: died %d times, answered %q", died, rec.Body.String())
	}
	if !strings.Contains(logs.String(), `"msg":"dying while handling a request (DEMO_DIE_AT_REQUEST)","service":"svc-test","version":"9.9.9","request":3,"path":"/healthz"`) {
		t.Fatalf("no log line before dying: %s", logs.String())
	}
	// Only the N-th request: a process that survived (it cannot) would not die again.
	if rec, _ := do(t, h, "GET", "/healthz", nil); rec.Code != 200 || died != 1 {
		t.Fatalf("request 4: status %d, died %d times", rec.Code, died)
	}
}

func TestKillSelfIsUncatchable(t *testing.T) {
	// killSelf must end the process by a signal no handler can catch (as a seccomp kill does).
	if os.Getenv("DEMO_KILLSELF_CHILD") == "1" {
		killSelf()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillSelfIsUncatchable$")
	cmd.Env = append(os.Environ(), "DEMO_KILLSELF_CHILD=1")
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the child was not killed: %v", err)
	}
	status, ok := exit.Sys().(syscall.WaitStatus)
	if !ok || !status.Signaled() || status.Signal() != syscall.SIGKILL {
		t.Fatalf("the child ended with %v, want killed by SIGKILL", exit)
	}
}

func TestRootDelay(t *testing.T) {
	a, _ := testApp(t, config{})
	h := a.handler()

	start := time.Now()
	rec, body := do(t, h, "GET", "/?delay_ms=150", nil)
	if took := time.Since(start); rec.Code != 200 || body["version"] != "9.9.9" || took < 150*time.Millisecond {
		t.Fatalf("delay_ms=150: %d %v after %v", rec.Code, body, took)
	}
	for _, bad := range []string{"-1", "10001", "soon", "1.5"} {
		rec, body = do(t, h, "GET", "/?delay_ms="+bad, nil)
		if rec.Code != 400 || body["status"] != "bad_request" || !strings.Contains(body["reason"].(string), "delay_ms") {
			t.Fatalf("delay_ms=%s: %d %v", bad, rec.Code, body)
		}
	}
}

func TestRootMessageAndReloads(t *testing.T) {
	a, _ := testApp(t, config{ServiceName: "shop-api"})
	h := a.handler()
	a.setMessage("hello")
	rec, body := do(t, h, "GET", "/", nil)
	if rec.Code != 200 || body["message"] != "hello" || body["reloads"] != float64(0) {
		t.Fatalf("at start: %d %v", rec.Code, body)
	}
	if n := a.reloaded("hello again"); n != 1 {
		t.Fatalf("first reload counted as %d", n)
	}
	rec, body = do(t, h, "GET", "/", nil)
	want := `{"service":"shop-api","version":"9.9.9","endpoints":["/healthz","/readyz"],"message":"hello again","reloads":1}` + "\n"
	if rec.Code != 200 || rec.Body.String() != want {
		t.Fatalf("after a reload: %d %s, want %s", rec.Code, rec.Body.String(), want)
	}
}

// TestMessageSwapWhileServing reloads while requests are answered, as a
// SIGHUP does: under -race it proves the state is guarded, and each answer
// must pair a message with its own reload count.
func TestMessageSwapWhileServing(t *testing.T) {
	a, _ := testApp(t, config{})
	a.setMessage("m0")
	h := a.handler()
	const reloads = 200
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
				var body struct {
					Message string  `json:"message"`
					Reloads float64 `json:"reloads"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Message != fmt.Sprintf("m%d", int(body.Reloads)) {
					errs <- fmt.Sprintf("inconsistent answer %q (%v)", rec.Body.String(), err)
					return
				}
			}
		}()
	}
	for i := 1; i <= reloads; i++ {
		a.reloaded(fmt.Sprintf("m%d", i))
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if msg, n := a.messageState(); msg != "m200" || n != reloads {
		t.Fatalf("after %d reloads: %q, %d", reloads, msg, n)
	}
}
