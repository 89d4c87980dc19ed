package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestPacerSpreadsTheRateEvenly(t *testing.T) {
	start := time.Unix(1700000000, 0)
	for _, perSecond := range []uint64{0, 1, 7, 99, 100, 101, 10000, maxLogFlood, maxLeakMBPerSec << 20} {
		p := newPacer(perSecond, start)
		perTick := float64(perSecond) * float64(faultTick) / float64(time.Second)
		var total uint64
		for tick := 1; tick <= 300; tick++ {
			n := p.due(start.Add(time.Duration(tick) * faultTick))
			if float64(n) < perTick-1 || float64(n) > perTick+1 {
				t.Fatalf("%d a second: tick %d brings %d, want %.2f give or take one", perSecond, tick, n, perTick)
			}
			total += n
		}
		if total != 3*perSecond {
			t.Fatalf("%d a second: %d in 3 s", perSecond, total)
		}
	}
}

func TestPacerCatchesUpLateTicksWithinMaxFaultLag(t *testing.T) {
	start := time.Unix(1700000000, 0)
	p := newPacer(10000, start)
	if n := p.due(start.Add(faultTick)); n != 100 {
		t.Fatalf("first tick: %d, want 100", n)
	}
	// Four ticks late: their lines come with the fifth.
	if n := p.due(start.Add(6 * faultTick)); n != 500 {
		t.Fatalf("after four missed ticks: %d, want 500", n)
	}
	// Blocked for 5 s: only maxFaultLag of it is made up, then the pace goes on.
	if n, max := p.due(start.Add(6*faultTick+5*time.Second)), amountIn(maxFaultLag, 10000); n != max {
		t.Fatalf("after 5 s blocked: %d, want %d", n, max)
	}
	if n := p.due(start.Add(7*faultTick + 5*time.Second)); n != 100 {
		t.Fatalf("the next tick: %d, want 100", n)
	}
	if n := p.due(start.Add(7*faultTick + 5*time.Second)); n != 0 {
		t.Fatalf("at the same time again: %d, want 0", n)
	}
	if n := p.due(start.Add(-time.Second)); n != 0 {
		t.Fatalf("a clock before the start: %d, want 0", n)
	}
	// Below one per maxFaultLag, a late tick still brings its one.
	slow := newPacer(2, start)
	if n := slow.due(start.Add(3 * time.Second)); n != 1 {
		t.Fatalf("2 a second, after 3 s blocked: %d, want 1", n)
	}
}

func TestAmountInDoesNotOverflow(t *testing.T) {
	year := 365 * 24 * time.Hour
	if got, want := amountIn(year, maxLeakMBPerSec<<20), uint64(year/time.Second)*(maxLeakMBPerSec<<20); got != want {
		t.Fatalf("a year at the highest leak rate: %d, want %d", got, want)
	}
	if got := amountIn(1500*time.Millisecond, maxLeakMBPerSec<<20); got != 6144<<20 {
		t.Fatalf("1.5 s at the highest leak rate: %d, want %d", got, uint64(6144<<20))
	}
}

// TestIgnoreSIGTERMKeepsServingUntilSIGKILL: under DEMO_IGNORE_SIGTERM=1
// SIGTERM and SIGINT are logged and ignored, the service goes on answering
// and pinging the watchdog, and only SIGKILL ends it, as systemd sends it
// once TimeoutStopSec= has passed.
func TestIgnoreSIGTERMKeepsServingUntilSIGKILL(t *testing.T) {
	socket, recv := listenNotifyCreds(t)
	c := startChild(t, map[string]string{
		"DEMO_IGNORE_SIGTERM":   "1",
		"DEMO_SHUTDOWN_TIMEOUT": "100ms", // a drain, were there one, would end long before the checks below
		"NOTIFY_SOCKET":         socket,
		"WATCHDOG_USEC":         "100000",
	}, nil)
	listening := waitLog(t, c.out, "listening")
	addr, _ := listening["addr"].(string)
	if listening["ignore_sigterm"] != true || listening["watchdog"] != true {
		t.Fatalf("listening line: %v", listening)
	}
	if msg, ok := recv(5 * time.Second); !ok || !strings.HasPrefix(msg.text, "READY=1\n") {
		t.Fatalf("first notification %q (%v), want READY=1", msg.text, ok)
	}

	// One signal at a time: two SIGTERMs pending at once are delivered once.
	sent := []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM, syscall.SIGINT}
	for i, sig := range sent {
		c.signal(sig)
		deadline := time.Now().Add(5 * time.Second)
		for len(logLines(c.out, "ignoring SIGTERM"))+len(logLines(c.out, "ignoring SIGINT")) < i+1 {
			if time.Now().After(deadline) {
				t.Fatalf("signal %d (%v) not logged in 5s: %s", i+1, sig, c.out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	terms, ints := logLines(c.out, "ignoring SIGTERM"), logLines(c.out, "ignoring SIGINT")
	if len(terms) != 2 || len(ints) != 1 {
		t.Fatalf("%d 'ignoring SIGTERM' and %d 'ignoring SIGINT' lines, want 2 and 1: %s", len(terms), len(ints), c.out.String())
	}
	for _, rec := range append(terms, ints...) {
		if rec["level"] != "warn" || rec["variable"] != "DEMO_IGNORE_SIGTERM" {
			t.Errorf("line %v, want level warn and the variable", rec)
		}
	}
	if terms[0]["signal"] != syscall.SIGTERM.String() || ints[0]["signal"] != syscall.SIGINT.String() {
		t.Errorf("signal fields: %v, %v", terms[0], ints[0])
	}

	// Still pinging: drain what was sent so far, then count the pings of
	// the next 400 ms (one every 50 ms). No STOPPING=1 at any point.
	var seen []string
	for {
		msg, ok := recv(20 * time.Millisecond)
		if !ok {
			break
		}
		seen = append(seen, msg.text)
	}
	pings := 0
	for end := time.Now().Add(400 * time.Millisecond); time.Now().Before(end); {
		if msg, ok := recv(time.Until(end)); ok {
			seen = append(seen, msg.text)
			if msg.text == "WATCHDOG=1" {
				pings++
			}
		}
	}
	if pings < 3 {
		t.Errorf("%d WATCHDOG=1 in the 400 ms after the signals, want 3 or more", pings)
	}
	for _, text := range seen {
		if strings.Contains(text, "STOPPING=1") {
			t.Errorf("sent %q after ignoring the signals", text)
		}
	}

	// Still serving, still ready, and SIGHUP still reloads.
	client := &http.Client{Timeout: 5 * time.Second}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s after the signals: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s after the signals: %d", path, resp.StatusCode)
		}
	}
	c.signal(syscall.SIGHUP)
	waitLog(t, c.out, "nothing to reload: no message file (-message-file/DEMO_MESSAGE_FILE is not set)")
	if !c.running() || len(logLines(c.out, "shutting down")) != 0 {
		t.Fatalf("the service stopped or began to: %s", c.out.String())
	}

	c.signal(syscall.SIGKILL)
	if status := c.wait(5 * time.Second); !status.Signaled() || status.Signal() != syscall.SIGKILL {
		t.Fatalf("ended with %v, want killed by SIGKILL: %s", c.err, c.out.String())
	}
}

// freeAddr returns 127.0.0.1:<a port that was free a moment ago>, for a
// process whose logs the test cannot read.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// procStat returns the state, parent pid and session id of a process, from
// /proc/<pid>/stat; ok is false when the process is gone.
func procStat(pid int) (state string, ppid, sid int, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, 0, false
	}
	// The name in parentheses may hold spaces: the fields start after ") ".
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 4 {
		return "", 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	sid, _ = strconv.Atoi(f[3])
	return f[0], ppid, sid, true
}

// daemonCopies lists the processes whose environment says that parent
// started them under DEMO_DAEMONIZE (DEMO_DAEMONIZED=<parent>).
func daemonCopies(parent int) []int {
	var pids []int
	mark := []byte(daemonizedEnv + "=" + strconv.Itoa(parent) + "\x00")
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		env, err := os.ReadFile(dir + "/environ")
		if err != nil || !bytes.Contains(env, mark) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(dir)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killDaemonCopies kills what parent left running under DEMO_DAEMONIZE and
// waits for it to be gone (or a zombie, where init does not reap).
func killDaemonCopies(t *testing.T, parent int) {
	for _, pid := range daemonCopies(parent) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		deadline := time.Now().Add(5 * time.Second)
		for {
			state, _, _, ok := procStat(pid)
			if !ok || state == "Z" {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("the daemonized copy %d is still running after SIGKILL", pid)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestDaemonizeChecksTheConfigurationFirst: an invalid setting is exit 2
// before any copy is made. Like every DEMO_DAEMONIZE test, it runs the
// service as a child process: run() called in the test process would start
// a detached copy of the test binary, which would run the tests.
func TestDaemonizeChecksTheConfigurationFirst(t *testing.T) {
	c := startChild(t, map[string]string{"DEMO_DAEMONIZE": "1", "DEMO_LOG_FLOOD": "lots"}, nil)
	parent := c.pid()
	t.Cleanup(func() { killDaemonCopies(t, parent) })
	if status := c.wait(5 * time.Second); !status.Exited() || status.ExitStatus() != 2 {
		t.Fatalf("ended with %v, want exit 2: %s", c.err, c.out.String())
	}
	if rec := waitLog(t, c.out, `invalid configuration: invalid DEMO_LOG_FLOOD="lots": must be a whole number of log lines per second from 0 to 1000000 (0: off)`); rec["variable"] != "DEMO_LOG_FLOOD" {
		t.Errorf("error line: %v", rec)
	}
	if copies := daemonCopies(parent); len(copies) != 0 || len(logLines(c.out, "daemonized: started a detached copy; exiting without READY=1")) != 0 {
		t.Fatalf("started copies %v: %s", copies, c.out.String())
	}
}

// TestDaemonizeExitsAndLeavesADetachedCopyServing: under DEMO_DAEMONIZE=1
// the process started exits 0 at once without READY=1, and a copy of it, in
// a session of its own with its stdio on /dev/null, serves on the address.
func TestDaemonizeExitsAndLeavesADetachedCopyServing(t *testing.T) {
	addr := freeAddr(t)
	socket, recv := listenNotifyCreds(t)
	start := time.Now()
	c := startChild(t, map[string]string{"DEMO_DAEMONIZE": "1", "DEMO_LISTEN_ADDR": addr, "NOTIFY_SOCKET": socket}, nil)
	parent := c.pid()
	t.Cleanup(func() { killDaemonCopies(t, parent) })

	status := c.wait(5 * time.Second)
	if took := time.Since(start); !status.Exited() || status.ExitStatus() != 0 || took > 2*time.Second {
		t.Fatalf("the parent ended with %v after %v, want exit 0 within 2s: %s", c.err, took, c.out.String())
	}
	rec := waitLog(t, c.out, "daemonized: started a detached copy; exiting without READY=1")
	daemonPID, _ := rec["daemon_pid"].(float64)
	daemon := int(daemonPID)
	if rec["variable"] != "DEMO_DAEMONIZE" || rec["pid"] != float64(parent) || daemon <= 0 {
		t.Fatalf("daemonized line: %v", rec)
	}
	if lines := strings.Count(strings.TrimSpace(c.out.String()), "\n") + 1; lines != 1 || len(logLines(c.out, "listening")) != 0 {
		t.Fatalf("the parent did more than start the copy: %s", c.out.String())
	}

	// The copy serves on the address.
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing serves on %s 5s after the parent exited: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// It is the only copy, detached: its own session, stdio on /dev/null,
	// not a child of the test, and named like its program.
	if copies := daemonCopies(parent); len(copies) != 1 || copies[0] != daemon {
		t.Fatalf("copies started by %d: %v, want only %d", parent, copies, daemon)
	}
	state, ppid, sid, ok := procStat(daemon)
	if !ok || state == "Z" || sid != daemon || ppid == os.Getpid() || ppid == parent {
		t.Errorf("the copy %d: state %q, parent %d, session %d; want running in a session of its own", daemon, state, ppid, sid)
	}
	for fd := 0; fd <= 2; fd++ {
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", daemon, fd)); err != nil || target != "/dev/null" {
			t.Errorf("the copy's fd %d is %q (%v), want /dev/null", fd, target, err)
		}
	}
	myName, _ := os.ReadFile("/proc/self/comm")
	if name, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", daemon)); err != nil || string(name) != string(myName) {
		t.Errorf("the copy is named %q (%v), want %q like its program", name, err, myName)
	}

	// READY=1 comes from the copy, never from the process started: the
	// parent has exited, so all it could have sent is already queued.
	var fromParent []string
	ready := false
	for !ready {
		msg, ok := recv(5 * time.Second)
		if !ok {
			t.Fatal("no READY=1 from the copy in 5s")
		}
		if msg.pid == parent {
			fromParent = append(fromParent, msg.text)
		}
		ready = msg.pid == daemon && strings.HasPrefix(msg.text, "READY=1\n")
	}
	for msg, ok := recv(50 * time.Millisecond); ok; msg, ok = recv(50 * time.Millisecond) {
		if msg.pid == parent {
			fromParent = append(fromParent, msg.text)
		}
	}
	if len(fromParent) != 0 {
		t.Errorf("the parent sent notifications: %q", fromParent)
	}
}

// floodLine reads the time and seq of a "flood" line as the logger writes
// it: {"time":"<RFC 3339>","level":"info","msg":"flood",...,"seq":N}. It
// checks the shape with byte searches rather than json.Unmarshal, which is
// slow under -race: a reader that lags blocks the writer and lowers the rate
// measured.
func floodLine(line []byte) (at time.Time, seq int, err error) {
	const head, seqKey = `{"time":"`, `,"seq":`
	if !bytes.HasPrefix(line, []byte(head)) || !bytes.HasSuffix(line, []byte("}")) ||
		!bytes.Contains(line, []byte(`,"level":"info","msg":"flood",`)) {
		return at, 0, fmt.Errorf("not a flood line")
	}
	end := bytes.IndexByte(line[len(head):], '"') + len(head)
	i := bytes.LastIndex(line, []byte(seqKey))
	if end < len(head) || i < end {
		return at, 0, fmt.Errorf("not a flood line")
	}
	if at, err = time.Parse(time.RFC3339Nano, string(line[len(head):end])); err != nil {
		return at, 0, err
	}
	seq, err = strconv.Atoi(string(line[i+len(seqKey) : len(line)-1]))
	return at, seq, err
}

// TestLogFloodWritesTheRateAndTheNormalLines: DEMO_LOG_FLOOD=5000 writes
// about 5000 "flood" lines a second, whole and numbered without gaps, and
// the usual lines still come. The pacing is the same at any rate; 5000
// leaves room for a slow machine running the service under -race (which
// then writes at most about 15000 lines a second) and the test reading it.
func TestLogFloodWritesTheRateAndTheNormalLines(t *testing.T) {
	const rate = 5000
	var (
		mu    sync.Mutex
		times []time.Time
		bad   []string
	)
	divert := func(line []byte) bool {
		if !bytes.Contains(line, []byte(`"msg":"flood"`)) {
			return false
		}
		at, seq, err := floodLine(line)
		mu.Lock()
		defer mu.Unlock()
		// A sample is also checked by the JSON decoder.
		if err != nil || seq != len(times)+1 || (seq%500 == 0 && !json.Valid(line)) {
			if len(bad) < 5 {
				bad = append(bad, fmt.Sprintf("line %d: %s (%v)", len(times)+1, line, err))
			}
		}
		times = append(times, at)
		return true
	}
	c := startChild(t, map[string]string{"DEMO_LOG_FLOOD": strconv.Itoa(rate)}, divert)
	listening := waitLog(t, c.out, "listening")
	if listening["log_flood"] != float64(rate) {
		t.Fatalf("listening line: %v", listening)
	}
	addr, _ := listening["addr"].(string)

	// Let the flood run 1.2 s by its own clock, with a request on the way.
	flooded := func() time.Duration {
		mu.Lock()
		defer mu.Unlock()
		if len(times) == 0 {
			return 0
		}
		return times[len(times)-1].Sub(times[0])
	}
	deadline := time.Now().Add(5 * time.Second)
	requested := false
	for flooded() < 1200*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("the flood lasted %v in 5s", flooded())
		}
		if !requested && flooded() > 300*time.Millisecond {
			resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/healthz")
			if err != nil {
				t.Fatalf("GET /healthz during the flood: %v", err)
			}
			resp.Body.Close()
			requested = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.signal(syscall.SIGTERM)
	if status := c.wait(5 * time.Second); !status.Exited() || status.ExitStatus() != 0 {
		t.Fatalf("ended with %v, want exit 0: %s", c.err, c.out.String())
	}

	mu.Lock()
	defer mu.Unlock()
	if len(bad) != 0 {
		t.Fatalf("flood lines not JSON, not info or not numbered 1, 2, ...: %s", strings.Join(bad, "\n"))
	}
	// The lines of one second, skipping the first 100 ms.
	from := times[0].Add(100 * time.Millisecond)
	to := from.Add(time.Second)
	n := 0
	for _, at := range times {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	if n < rate/2 || n > rate*3/2 {
		t.Errorf("%d flood lines in one second, want %d (%d to %d)", n, rate, rate/2, rate*3/2)
	}
	if r := logLines(c.out, "request"); len(r) != 1 || r[0]["path"] != "/healthz" {
		t.Errorf("request lines: %v", r)
	}
	for _, msg := range []string{"shutting down", "shutdown complete"} {
		if len(logLines(c.out, msg)) != 1 {
			t.Errorf("no %q line among the flood: %s", msg, c.out.String())
		}
	}
	t.Logf("%d flood lines in one second; %d in all", n, len(times))
}

// vmRSS returns the resident memory of a process in bytes, from the VmRSS
// line of /proc/<pid>/status.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" && f[2] == "kB" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// TestLeakGrowsTheRSSPastGOMEMLIMIT: DEMO_LEAK_MB_PER_SEC=64 makes the
// resident memory grow by about 64 MiB a second, past a GOMEMLIMIT of 16
// MiB: the memory stays referenced, so the collector cannot free it.
func TestLeakGrowsTheRSSPastGOMEMLIMIT(t *testing.T) {
	const rate = 64 << 20     // bytes per second
	const memLimit = 16 << 20 // GOMEMLIMIT
	c := startChild(t, map[string]string{"DEMO_LEAK_MB_PER_SEC": strconv.Itoa(rate >> 20), "GOMEMLIMIT": "16MiB"}, nil)
	listening := waitLog(t, c.out, "listening")
	if listening["leak_mb_per_sec"] != float64(rate>>20) {
		t.Fatalf("listening line: %v", listening)
	}
	before, start := vmRSS(t, c.pid()), time.Now()
	var rss int64
	for {
		time.Sleep(50 * time.Millisecond)
		rss = vmRSS(t, c.pid())
		if rss-before >= rate/2 && rss > memLimit {
			break
		}
		if time.Since(start) > 1500*time.Millisecond {
			t.Fatalf("VmRSS grew from %d to %d MiB in %v, want %d MiB more and past GOMEMLIMIT (%d MiB)",
				before>>20, rss>>20, time.Since(start), rate>>21, memLimit>>20)
		}
	}
	took := time.Since(start)
	// Not much faster either: at most four times the rate (under -race, the
	// detector's shadow memory makes the growth two to three times as big),
	// plus 16 MiB.
	if limit := int64(4*rate*took.Seconds()) + 16<<20; rss-before > limit {
		t.Errorf("VmRSS grew by %d MiB in %v, want at most %d MiB", (rss-before)>>20, took, limit>>20)
	}
	// Still serving: the leak is the only fault.
	addr, _ := listening["addr"].(string)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz while leaking: %v", err)
	}
	resp.Body.Close()
	c.signal(syscall.SIGTERM)
	if status := c.wait(5 * time.Second); !status.Exited() || status.ExitStatus() != 0 {
		t.Fatalf("ended with %v, want exit 0: %s", c.err, c.out.String())
	}
	t.Logf("VmRSS from %d to %d MiB in %v", before>>20, rss>>20, took)
}
