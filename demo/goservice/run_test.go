package main

import (
	"bytes"
	"encoding/json"
	"os"
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
