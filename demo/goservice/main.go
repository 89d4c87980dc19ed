// Command gosvc-demo is the small HTTP service that the gosvc.hardening
// collection deploys in its demo and integration tests. It speaks the
// systemd notify protocol itself (READY=1, RELOADING=1, WATCHDOG=1,
// STOPPING=1), takes its listening socket from systemd socket activation when
// given one, logs JSON lines to stdout, re-reads its message file on SIGHUP,
// drains requests on SIGTERM and has environment switches that make it
// misbehave on purpose, down to fighting the service manager back (see
// faults.go). Standard library only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	os.Exit(run(os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr, signals))
}

// run is the whole program; it returns the exit code: 0 after a clean stop,
// 1 when the service cannot start or dies, 2 for bad flags or environment.
func run(args []string, lookup lookupFunc, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	cfg, err := loadConfig(args, lookup, stderr)
	var fds listenFDs
	if err == nil && !cfg.ShowVersion {
		// systemd socket activation: read LISTEN_PID, LISTEN_FDS and
		// LISTEN_FDNAMES, and unset them for the processes we might start.
		fds, err = takeListenEnv(lookup, os.Unsetenv, os.Getpid())
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errFlags):
		return 2
	case err != nil:
		lg := newLogger(stdout, defaultServiceName, version)
		var ce *configError
		if errors.As(err, &ce) {
			lg.Error("invalid configuration: "+err.Error(), "variable", ce.Name, "value", ce.Value, "error", ce.Reason)
		} else {
			lg.Error("invalid configuration: "+err.Error(), "error", err)
		}
		return 2
	}
	if cfg.ShowVersion {
		fmt.Fprintln(stdout, version)
		return 0
	}
	lg := newLogger(stdout, cfg.ServiceName, version)
	// DEMO_DAEMONIZE: the process started only starts its copy and exits;
	// the copy, which has DEMO_DAEMONIZED set, serves.
	if cfg.Daemonize && cfg.DaemonizedBy == 0 {
		return daemonize(fds, lg)
	}
	if cfg.DaemonizedBy != 0 {
		nameDaemonCopy()
	}
	return serve(cfg, fds, lg, signals)
}

func serve(cfg config, fds listenFDs, lg *logger, signals <-chan os.Signal) int {
	notify, err := newNotifier(cfg.NotifySocket)
	if err != nil {
		lg.Warn("systemd notifications disabled", "error", err)
	}
	if cfg.FailAtStart {
		lg.Error("refusing to start: DEMO_FAIL_AT_START is set", "variable", "DEMO_FAIL_AT_START")
		if err := notify.Notify("STATUS=failed at start (DEMO_FAIL_AT_START is set)"); err != nil {
			lg.Warn("sd_notify failed", "error", err)
		}
		return 1
	}

	var message string
	if cfg.MessageFile != "" {
		if message, err = readMessage(cfg.MessageFile); err != nil {
			lg.Error("cannot start: cannot read the message file", "file", cfg.MessageFile, "error", err)
			if err := notify.Notify(statusLine("failed at start (cannot read the message file " + cfg.MessageFile + ")")); err != nil {
				lg.Warn("sd_notify failed", "error", err)
			}
			return 1
		}
	}

	ln, listenFields, ok := listen(cfg, fds, lg)
	if !ok {
		return 1
	}
	a := newApp(cfg, lg, version)
	a.setMessage(message)
	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          log.New(logWriter{lg}, "", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	addr := ln.Addr().String()
	a.setReady(true, "")
	wdOn, wdWhy := cfg.watchdogEnabled()
	fields := append([]any{"addr", addr}, listenFields...)
	fields = append(fields, "pid", os.Getpid(), "notify_socket", cfg.NotifySocket != "", "watchdog", wdOn)
	if cfg.WatchdogInterval > 0 && !wdOn {
		fields = append(fields, "watchdog_off_reason", wdWhy)
	}
	if cfg.NotReady {
		fields = append(fields, "not_ready", true)
	}
	if cfg.Slow > 0 {
		fields = append(fields, "slow_ms", cfg.Slow.Milliseconds())
	}
	if cfg.MessageFile != "" {
		fields = append(fields, "message_file", cfg.MessageFile, "message_bytes", len(message))
	}
	if cfg.IgnoreSIGTERM {
		fields = append(fields, "ignore_sigterm", true)
	}
	if cfg.DaemonizedBy != 0 {
		fields = append(fields, "daemonized_by", cfg.DaemonizedBy)
	}
	if cfg.LogFlood > 0 {
		fields = append(fields, "log_flood", cfg.LogFlood)
	}
	if cfg.LeakMBPerSec > 0 {
		fields = append(fields, "leak_mb_per_sec", cfg.LeakMBPerSec)
	}
	lg.Info("listening", fields...)
	if err := notify.Notify("READY=1", "STATUS=serving on "+addr); err != nil {
		lg.Warn("sd_notify READY=1 failed", "error", err)
	}

	ctx, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()
	if wdOn {
		go watchdog(ctx, cfg, notify, lg)
	}
	// Started after the "listening" line, so that it comes first.
	if cfg.LogFlood > 0 {
		go floodLogs(ctx, cfg.LogFlood, lg)
	}
	if cfg.LeakMBPerSec > 0 {
		go leakMemory(ctx, cfg.LeakMBPerSec)
	}

	for {
		select {
		case err := <-served:
			lg.Error("server stopped unexpectedly", "error", err)
			_ = notify.Notify("STOPPING=1", "STATUS=server failed")
			return 1
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				reload(cfg, a, notify, lg, addr)
				continue
			}
			if cfg.IgnoreSIGTERM {
				// No STOPPING=1, no drain: the service goes on serving
				// and pinging the watchdog until SIGKILL.
				lg.Warn(ignoredSignal(sig), "variable", "DEMO_IGNORE_SIGTERM", "signal", sig.String())
				continue
			}
			return shutdown(cfg, a, srv, notify, lg, sig, signals)
		}
	}
}

// reload handles SIGHUP: it re-reads the message file, or has nothing to do
// without one. It tells systemd that a reload begins (RELOADING=1) and that
// it is over (READY=1, with a STATUS= saying how it went) either way. A file
// that cannot be read leaves the previous message in place: the service goes
// on serving what it served.
func reload(cfg config, a *app, notify *notifier, lg *logger, addr string) {
	if err := notify.Notify("RELOADING=1"); err != nil {
		lg.Warn("sd_notify RELOADING=1 failed", "error", err)
	}
	var status string
	if cfg.MessageFile == "" {
		lg.Info("nothing to reload: no message file (-message-file/DEMO_MESSAGE_FILE is not set)", "signal", syscall.SIGHUP.String())
		status = "serving on " + addr + "; nothing to reload"
	} else if text, err := readMessage(cfg.MessageFile); err != nil {
		lg.Error("reload failed; kept the previous configuration", "file", cfg.MessageFile, "error", err)
		status = "serving on " + addr + "; reload failed, kept the previous configuration: " + err.Error()
	} else {
		n := a.reloaded(text)
		lg.Info("reloaded", "file", cfg.MessageFile, "bytes", len(text), "reloads", n)
		status = fmt.Sprintf("serving on %s; reloaded %s (%d bytes, reload %d)", addr, cfg.MessageFile, len(text), n)
	}
	if err := notify.Notify("READY=1", statusLine(status)); err != nil {
		lg.Warn("sd_notify READY=1 failed", "error", err)
	}
}

// statusLine is the STATUS= assignment for text, on one line: a newline (from
// a file name, say) would end the assignment early.
func statusLine(text string) string {
	return "STATUS=" + strings.NewReplacer("\n", " ", "\r", " ").Replace(text)
}

func shutdown(cfg config, a *app, srv *http.Server, notify *notifier, lg *logger, sig os.Signal, signals <-chan os.Signal) int {
	start := time.Now()
	a.setReady(false, "shutting down")
	lg.Info("shutting down", "signal", sig.String(), "timeout_ms", cfg.ShutdownTimeout.Milliseconds())
	if err := notify.Notify("STOPPING=1", "STATUS=draining requests"); err != nil {
		lg.Warn("sd_notify STOPPING=1 failed", "error", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	done := make(chan error, 1)
	// Shutdown closes the listener first, then waits for the requests in
	// flight. Under socket activation it closes only our duplicate of the
	// socket: systemd keeps its own open, so new connections wait in the
	// kernel's backlog for the next process instead of being refused.
	go func() { done <- srv.Shutdown(ctx) }()

	for {
		select {
		case err := <-done:
			elapsed := float64(time.Since(start).Microseconds()) / 1000
			if err != nil {
				_ = srv.Close()
				lg.Warn("shutdown timeout reached; closed the remaining connections",
					"error", err, "duration_ms", elapsed, "timeout_ms", cfg.ShutdownTimeout.Milliseconds())
				return 0
			}
			lg.Info("shutdown complete", "duration_ms", elapsed)
			return 0
		case sig2 := <-signals:
			// Only SIGTERM/SIGINT cut the drain short: a reload asked for
			// while stopping has nothing left to apply.
			if sig2 == syscall.SIGHUP {
				lg.Info("SIGHUP during shutdown ignored", "signal", sig2.String())
				continue
			}
			_ = srv.Close()
			lg.Warn("second signal during shutdown; closed the remaining connections", "signal", sig2.String())
			return 1
		}
	}
}

// watchdog sends WATCHDOG=1 every WATCHDOG_USEC/2 until ctx ends or, when
// DEMO_WATCHDOG_STOP_AFTER is set, until that much time has passed.
func watchdog(ctx context.Context, cfg config, notify *notifier, lg *logger) {
	interval := cfg.WatchdogInterval / 2
	if interval <= 0 {
		interval = cfg.WatchdogInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var stop <-chan time.Time
	if cfg.WatchdogStopSet {
		t := time.NewTimer(cfg.WatchdogStopAfter)
		defer t.Stop()
		stop = t.C
	}
	lg.Info("watchdog pings started", "interval_ms", interval.Milliseconds())
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-stop:
			lg.Warn("watchdog pings stopped as requested by DEMO_WATCHDOG_STOP_AFTER",
				"variable", "DEMO_WATCHDOG_STOP_AFTER", "after_ms", cfg.WatchdogStopAfter.Milliseconds())
			return
		case <-ticker.C:
			// A stop that is due wins over a tick that arrived at the same time.
			if stop != nil {
				select {
				case <-stop:
					lg.Warn("watchdog pings stopped as requested by DEMO_WATCHDOG_STOP_AFTER",
						"variable", "DEMO_WATCHDOG_STOP_AFTER", "after_ms", cfg.WatchdogStopAfter.Milliseconds())
					return
				default:
				}
			}
			err := notify.Notify("WATCHDOG=1")
			if err != nil && !failing {
				lg.Warn("sd_notify WATCHDOG=1 failed", "error", err)
			} else if err == nil && failing {
				lg.Info("sd_notify WATCHDOG=1 works again")
			}
			failing = err != nil
		}
	}
}
