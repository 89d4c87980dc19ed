package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// The switches in this file make the service fight back against systemd
// instead of failing: DEMO_IGNORE_SIGTERM (applied in serve's signal loop,
// see ignoredSignal), DEMO_DAEMONIZE, DEMO_LOG_FLOOD and
// DEMO_LEAK_MB_PER_SEC. The unit's settings (TimeoutStopSec=, Type=, the
// journal's rate limit, MemoryMax=) are what must stop them.

// faultTick is how often DEMO_LOG_FLOOD and DEMO_LEAK_MB_PER_SEC act: their
// rate per second is spread over ticks this far apart, so that it is even
// rather than one burst a second.
const faultTick = 10 * time.Millisecond

// maxFaultLag bounds the catching up of a pacer: what falls further behind
// than this (the writes blocked on a full pipe, the process was stopped) is
// dropped rather than made up in one burst.
const maxFaultLag = 100 * time.Millisecond

// amountIn is how much of perSecond falls in d: whole seconds first, so that
// the product cannot overflow however long the process runs.
func amountIn(d time.Duration, perSecond uint64) uint64 {
	if d <= 0 {
		return 0
	}
	return uint64(d/time.Second)*perSecond + uint64(d%time.Second)*perSecond/uint64(time.Second)
}

// pacer spreads perSecond units (log lines, bytes) over time by the clock:
// a tick that comes late (the goroutine was not scheduled at once, ticks
// were dropped) is made up at the next one, up to maxFaultLag.
type pacer struct {
	perSecond uint64
	start     time.Time
	accounted uint64 // units due from start to the last call: given out or dropped
}

func newPacer(perSecond uint64, start time.Time) *pacer {
	return &pacer{perSecond: perSecond, start: start}
}

// due returns how many units to give out now.
func (p *pacer) due(now time.Time) uint64 {
	total := amountIn(now.Sub(p.start), p.perSecond)
	if total <= p.accounted {
		return 0
	}
	n := total - p.accounted
	p.accounted = total
	limit := amountIn(maxFaultLag, p.perSecond)
	if limit == 0 {
		limit = 1 // a rate below one per maxFaultLag must still give out
	}
	if n > limit {
		n = limit
	}
	return n
}

// ignoredSignal is the log line of DEMO_IGNORE_SIGTERM=1 for a SIGTERM or
// SIGINT that the service keeps serving through: "ignoring SIGTERM" or
// "ignoring SIGINT". systemd then waits TimeoutStopSec= and sends SIGKILL.
func ignoredSignal(sig os.Signal) string {
	if sig == syscall.SIGINT {
		return "ignoring SIGINT"
	}
	return "ignoring SIGTERM"
}

// daemonize is DEMO_DAEMONIZE=1: the classic daemon that forks, lets the
// parent exit and serves from the child, run by a unit whose Type= expects
// the process it started to be the service (notify, or simple). Go cannot
// fork(), so the process starts a copy of itself instead: /proc/self/exe with
// the same argv and environment, plus DEMO_DAEMONIZED=<this pid> so that the
// copy serves instead of daemonizing again, in a session of its own (setsid)
// with stdin, stdout and stderr on /dev/null. Then it returns 0, for the
// process to exit at once, without sending READY=1. The copy serves as
// usual; the notifications it sends come from a process that is not the
// unit's main PID, which systemd ignores or refuses (NotifyAccess=main).
//
// The LISTEN_* variables are already unset and the sockets systemd passed
// are marked close-on-exec here: the copy binds -listen itself, as a forked
// child that calls sd_listen_fds() finds the sockets meant for another pid.
func daemonize(fds listenFDs, lg *logger) int {
	fds.closeOnExec()
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = os.Args // argv[0] included, unchanged
	cmd.Env = append(os.Environ(), daemonizedEnv+"="+strconv.Itoa(os.Getpid()))
	// Stdin, Stdout and Stderr left nil are /dev/null.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		lg.Error("cannot daemonize: cannot start a copy of this process", "variable", "DEMO_DAEMONIZE", "error", err)
		return 1
	}
	lg.Info("daemonized: started a detached copy; exiting without READY=1",
		"variable", "DEMO_DAEMONIZE", "pid", os.Getpid(), "daemon_pid", cmd.Process.Pid)
	// Nobody waits for the copy: once this process has exited, it belongs to
	// the service manager (or init), as a real daemon's child does.
	_ = cmd.Process.Release()
	return 0
}

// nameDaemonCopy runs in the copy that daemonize started, and gives it the
// name of its program back: started through /proc/self/exe, the kernel named
// it "exe", which ps, top and systemd's "Killing process 1234 (exe)" lines
// would show. Best effort: the name only helps the reader.
func nameDaemonCopy() {
	name := filepath.Base(os.Args[0])
	if len(name) > 15 { // TASK_COMM_LEN, 16 bytes with the final NUL
		name = name[:15]
	}
	f, err := os.OpenFile("/proc/self/comm", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.Write([]byte(name))
}

// floodLogs is DEMO_LOG_FLOOD: it writes linesPerSec lines
// {"msg":"flood","seq":N} (N from 1) a second through the normal logger,
// spread over ticks of faultTick, until ctx ends. The other log lines are
// written in between, whole. When the writes block (a full pipe, a slow
// journal) for longer than maxFaultLag, the lines of that time are not
// written later: the rate is an upper bound, and the numbering has no gaps.
func floodLogs(ctx context.Context, linesPerSec uint64, lg *logger) {
	ticker := time.NewTicker(faultTick)
	defer ticker.Stop()
	pace := newPacer(linesPerSec, time.Now())
	var seq uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			for n := pace.due(time.Now()); n > 0; n-- {
				seq++
				lg.Info("flood", "seq", seq)
			}
		}
	}
}

// leaked holds the memory allocated by DEMO_LEAK_MB_PER_SEC: referenced from
// a package variable, it can never be freed by the garbage collector, so the
// process grows past GOMEMLIMIT (a soft limit: it makes the collector work
// harder, it cannot free live memory) until MemoryMax= or the OOM killer ends
// it.
var leaked struct {
	mu     sync.Mutex
	chunks [][]byte
}

// leakMemory is DEMO_LEAK_MB_PER_SEC: it allocates mibPerSec MiB a second,
// spread over ticks of faultTick (paced as floodLogs is), until ctx ends, and
// keeps all of it.
// Every page is written to: fresh memory from the kernel is not resident
// until touched, so an allocation alone would not grow the RSS (and the
// cgroup's memory.current) at all.
func leakMemory(ctx context.Context, mibPerSec uint64) {
	ticker := time.NewTicker(faultTick)
	defer ticker.Stop()
	pace := newPacer(mibPerSec<<20, time.Now())
	page := os.Getpagesize()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		n := pace.due(time.Now())
		if n == 0 {
			continue
		}
		chunk := make([]byte, n)
		for i := 0; i < len(chunk); i += page {
			chunk[i] = 1
		}
		chunk[len(chunk)-1] = 1 // the last page, when chunk does not start on a page boundary
		leaked.mu.Lock()
		leaked.chunks = append(leaked.chunks, chunk)
		leaked.mu.Unlock()
	}
}
