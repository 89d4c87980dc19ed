package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseListenEnv(t *testing.T) {
	const pid = 4242
	cases := []struct {
		name  string
		env   map[string]string
		names []string
		named bool
		off   string
	}{
		{"not activated", nil, nil, false, ""},
		{"another process", map[string]string{"LISTEN_PID": "4243", "LISTEN_FDS": "garbage", "LISTEN_FDNAMES": "a"}, nil, false, "LISTEN_PID=4243 is not this process (4242)"},
		{"no LISTEN_FDS", map[string]string{"LISTEN_PID": "4242"}, nil, false, ""},
		{"no LISTEN_PID", map[string]string{"LISTEN_FDS": "1"}, nil, false, ""},
		{"one unnamed", map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "1"}, []string{"unknown"}, false, ""},
		{"two unnamed", map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "2", "LISTEN_FDNAMES": ""}, []string{"unknown", "unknown"}, false, ""},
		{"named", map[string]string{"LISTEN_PID": " 4242", "LISTEN_FDS": "3", "LISTEN_FDNAMES": "web:admin port:web"}, []string{"web", "admin port", "web"}, true, ""},
	}
	for _, c := range cases {
		got, err := parseListenEnv(envOf(c.env), pid)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(got.Names, c.names) || got.Named != c.named || got.OffReason != c.off || got.active() != (c.names != nil) {
			t.Errorf("%s: got %+v, want names %q named %v off %q", c.name, got, c.names, c.named, c.off)
		}
	}
}

func TestParseListenEnvInvalid(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	cases := []struct {
		env     map[string]string
		varName string
	}{
		{map[string]string{"LISTEN_PID": "abc", "LISTEN_FDS": "1"}, "LISTEN_PID"},
		{map[string]string{"LISTEN_PID": "-1"}, "LISTEN_PID"},
		{map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "0"}, "LISTEN_FDS"},
		{map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "-2"}, "LISTEN_FDS"},
		{map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "two"}, "LISTEN_FDS"},
		{map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "65537"}, "LISTEN_FDS"},
		{map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "2", "LISTEN_FDNAMES": "web"}, "LISTEN_FDNAMES"},
		{map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "1", "LISTEN_FDNAMES": "web:admin"}, "LISTEN_FDNAMES"},
	}
	for _, c := range cases {
		got, err := parseListenEnv(envOf(c.env), os.Getpid())
		var ce *configError
		if !errors.As(err, &ce) || ce.Name != c.varName || ce.Value != c.env[c.varName] || got.active() {
			t.Errorf("%v: got %+v, %v; want an error about %s", c.env, got, err, c.varName)
		}
	}
}

func TestTakeListenEnvUnsetsTheVariables(t *testing.T) {
	for _, listenPID := range []string{strconv.Itoa(os.Getpid()), "1", "not-a-pid"} {
		// t.Setenv restores the test process's environment afterwards.
		t.Setenv("LISTEN_PID", listenPID)
		t.Setenv("LISTEN_FDS", "2")
		t.Setenv("LISTEN_FDNAMES", "web:admin")
		t.Setenv("DEMO_LISTEN_FDNAME", "web")
		got, err := takeListenEnv(os.LookupEnv, os.Unsetenv, os.Getpid())
		if mine := listenPID == strconv.Itoa(os.Getpid()); mine && (err != nil || !reflect.DeepEqual(got.Names, []string{"web", "admin"})) {
			t.Errorf("LISTEN_PID=%s: got %+v, %v", listenPID, got, err)
		}
		for _, name := range listenEnv {
			if v, ok := os.LookupEnv(name); ok {
				t.Errorf("LISTEN_PID=%s: %s=%q is still set", listenPID, name, v)
			}
		}
		if _, ok := os.LookupEnv("DEMO_LISTEN_FDNAME"); !ok {
			t.Errorf("LISTEN_PID=%s: DEMO_LISTEN_FDNAME was unset too", listenPID)
		}
	}
}

func TestPickListenFD(t *testing.T) {
	named := listenFDs{Names: []string{"admin", "web", "metrics", "web"}, Named: true}
	cases := []struct {
		fds      listenFDs
		want     string
		index    int
		unserved []int
	}{
		{named, "", 0, []int{1, 2, 3}},
		{named, "admin", 0, nil},
		{named, "web", 1, []int{3}},
		{named, "metrics", 2, nil},
		{listenFDs{Names: []string{"unknown"}}, "", 0, nil},
		{listenFDs{Names: []string{"only"}, Named: true}, "only", 0, nil},
	}
	for _, c := range cases {
		index, unserved, err := c.fds.pick(c.want)
		if err != nil || index != c.index || !reflect.DeepEqual(unserved, c.unserved) {
			t.Errorf("%q from %q: got %d %v %v, want %d %v", c.want, c.fds.Names, index, unserved, err, c.index, c.unserved)
		}
	}
	_, _, err := named.pick("api")
	if err == nil || !strings.Contains(err.Error(), `"api"`) || !strings.Contains(err.Error(), `"admin", "web", "metrics", "web"`) {
		t.Errorf("unknown name: got %v", err)
	}
	_, _, err = listenFDs{Names: []string{"unknown", "unknown"}}.pick("web")
	if err == nil || !strings.Contains(err.Error(), `"web"`) || !strings.Contains(err.Error(), "LISTEN_FDNAMES is not set") {
		t.Errorf("name without LISTEN_FDNAMES: got %v", err)
	}
}

// fdOf returns a duplicate of the file descriptor under c, closed at the end of the test.
func fdOf(t *testing.T, c interface{ File() (*os.File, error) }) int {
	t.Helper()
	f, err := c.File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return int(f.Fd())
}

func TestFileListener(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	dir := t.TempDir()
	unix, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close()
	for _, ln := range []net.Listener{tcp, unix} {
		fd := fdOf(t, ln.(interface{ File() (*os.File, error) }))
		got, err := fileListener(fd, "web")
		if err != nil {
			t.Fatalf("%s: %v", ln.Addr(), err)
		}
		if got.Addr().String() != ln.Addr().String() {
			t.Errorf("got a listener on %s, want %s", got.Addr(), ln.Addr())
		}
		got.Close()
	}

	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	unixgram, err := net.ListenPacket("unixgram", filepath.Join(dir, "d"))
	if err != nil {
		t.Fatal(err)
	}
	defer unixgram.Close()
	client, err := net.Dial("tcp", tcp.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	regular, err := os.Open(filepath.Join(dir, "..")) // a directory: not a socket at all
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()
	bad := []struct {
		what string
		fd   int
		want string
	}{
		{"udp", fdOf(t, udp.(*net.UDPConn)), "not a stream socket"},
		{"unixgram", fdOf(t, unixgram.(*net.UnixConn)), "not a stream socket"},
		{"a connection", fdOf(t, client.(*net.TCPConn)), "not a listening socket"},
		{"a directory", int(regular.Fd()), "not an open socket"},
	}
	for _, b := range bad {
		if ln, err := fileListener(b.fd, "web"); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: got %v, %v; want an error with %q", b.what, ln, err, b.want)
		}
	}
}

func TestRunWithBadActivation(t *testing.T) {
	// These fail before any passed fd is used, so they can run in this process.
	pid := strconv.Itoa(os.Getpid())
	cases := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want []string
	}{
		{"unknown name", nil, map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "2", "LISTEN_FDNAMES": "web:admin", "DEMO_LISTEN_FDNAME": "api"}, 1,
			[]string{`"level":"error"`, `no socket named \"api\"`, `\"web\", \"admin\"`, `"fdnames":["web","admin"]`}},
		{"unknown name by flag", []string{"-listen-fdname", "api"}, map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "1"}, 1,
			[]string{`no socket named \"api\"`, "LISTEN_FDNAMES is not set"}},
		{"bad LISTEN_FDS", nil, map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "0"}, 2, []string{`"variable":"LISTEN_FDS"`}},
		{"bad name", nil, map[string]string{"DEMO_LISTEN_FDNAME": "a:b"}, 2, []string{`"variable":"DEMO_LISTEN_FDNAME"`}},
	}
	for _, c := range cases {
		var out bytes.Buffer
		code := run(c.args, envOf(c.env), &out, io.Discard, nil)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d: %s", c.name, code, c.code, out.String())
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %s: %s", c.name, w, out.String())
			}
		}
	}
}

func TestRunBindsItselfWhenListenPIDIsAnotherProcess(t *testing.T) {
	signals := make(chan os.Signal, 1)
	var out syncBuffer
	done := make(chan int, 1)
	env := envOf(map[string]string{"LISTEN_PID": "1", "LISTEN_FDS": "1", "DEMO_LISTEN_FDNAME": "web"})
	go func() { done <- run([]string{"-listen", "127.0.0.1:0"}, env, &out, io.Discard, signals) }()
	rec := waitLog(t, &out, "listening")
	if rec["activation"] != "self" || rec["activation_off_reason"] != "LISTEN_PID=1 is not this process ("+strconv.Itoa(os.Getpid())+")" {
		t.Errorf("listening line: %v", rec)
	}
	if !strings.Contains(out.String(), `"msg":"no socket passed by systemd; -listen-fdname/DEMO_LISTEN_FDNAME is ignored"`) {
		t.Errorf("no warning about the unused name: %s", out.String())
	}
	signals <- syscall.SIGTERM
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
}

// waitLog waits up to 10s for the first log line with the given msg.
func waitLog(t *testing.T, out interface{ String() string }, msg string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, line := range strings.Split(out.String(), "\n") {
			rec := map[string]any{}
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
				return rec
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q log line in 10s: %s", msg, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSocketActivationEndToEnd passes two listening sockets to a child
// process (this test binary, running the service) as fds 3 and 4, the way
// systemd does, with LISTEN_PID set to the child's pid by a shell that
// exec()s it. The child must serve on the one named by DEMO_LISTEN_FDNAME,
// unset the LISTEN_* variables and, after SIGTERM, leave the socket
// listening: a new connection waits in the backlog instead of being refused.
func TestSocketActivationEndToEnd(t *testing.T) {
	if os.Getenv("DEMO_ACTIVATION_CHILD") == "1" {
		signals := make(chan os.Signal, 2)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		code := run(nil, os.LookupEnv, os.Stdout, os.Stderr, signals)
		left := map[string]bool{}
		for _, name := range listenEnv {
			_, left[name] = os.LookupEnv(name)
		}
		line, _ := json.Marshal(map[string]any{"msg": "child environment", "set": left})
		os.Stdout.Write(append(line, '\n'))
		os.Exit(code)
	}
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("needs /bin/sh to set LISTEN_PID to the child's pid")
	}
	admin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	web, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	adminFile, err := admin.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	webFile, err := web.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`, os.Args[0], "-test.run=^TestSocketActivationEndToEnd$")
	cmd.ExtraFiles = []*os.File{adminFile, webFile} // fds 3 and 4 in the child
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "DEMO_ACTIVATION_CHILD=1",
		"LISTEN_FDS=2", "LISTEN_FDNAMES=admin:web", "DEMO_LISTEN_FDNAME=web",
		"DEMO_LISTEN_ADDR=127.0.0.1:1", // ignored: the service uses the socket it is given
	}
	var out syncBuffer
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	adminFile.Close()
	webFile.Close()
	copied := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			_, _ = out.Write(append(sc.Bytes(), '\n'))
		}
		close(copied)
	}()
	defer func() { _ = cmd.Process.Kill() }()

	rec := waitLog(t, &out, "listening")
	want := map[string]any{"activation": "systemd", "fd": float64(4), "fdname": "web", "addr": web.Addr().String(), "pid": float64(cmd.Process.Pid)}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("listening line: %s=%v, want %v: %v", k, rec[k], v, rec)
		}
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + web.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"service":"gosvc-demo"`) {
		t.Fatalf("GET /healthz: %d %s", resp.StatusCode, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-copied
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	env := waitLog(t, &out, "child environment")
	if set, _ := env["set"].(map[string]any); len(set) != 3 || set["LISTEN_PID"] != false || set["LISTEN_FDS"] != false || set["LISTEN_FDNAMES"] != false {
		t.Errorf("the service left LISTEN_* variables set: %v", env)
	}
	waitLog(t, &out, "shutdown complete")

	// The service is gone, our socket is not: the kernel queues a new
	// connection for the next process instead of refusing it.
	conn, err := net.DialTimeout("tcp", web.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatalf("a connection after the service stopped was not queued: %v", err)
	}
	defer conn.Close()
	_ = web.(*net.TCPListener).SetDeadline(time.Now().Add(2 * time.Second))
	queued, err := web.Accept()
	if err != nil {
		t.Fatalf("no queued connection on the socket: %v", err)
	}
	queued.Close()
}
