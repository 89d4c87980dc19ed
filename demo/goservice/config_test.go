package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) lookupFunc {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := loadConfig(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != "127.0.0.1:8080" || cfg.ShutdownTimeout != 10*time.Second || cfg.ServiceName != "gosvc-demo" || cfg.ListenFDName != "" || cfg.MessageFile != "" {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
	if cfg.FailAtStart || cfg.NotReady || cfg.Slow != 0 || cfg.WatchdogStopSet || cfg.WatchdogInterval != 0 ||
		cfg.IgnoreSIGTERM || cfg.Daemonize || cfg.DaemonizedBy != 0 || cfg.LogFlood != 0 || cfg.LeakMBPerSec != 0 {
		t.Fatalf("switches on by default: %+v", cfg)
	}
}

func TestEnvAndFlags(t *testing.T) {
	env := envOf(map[string]string{
		"DEMO_LISTEN_ADDR":         "127.0.0.1:9999",
		"DEMO_LISTEN_FDNAME":       "web api",
		"DEMO_SHUTDOWN_TIMEOUT":    "2.5",
		"DEMO_MESSAGE_FILE":        "/etc/gosvc-demo/message.txt",
		"DEMO_FAIL_AT_START":       "1",
		"DEMO_NOT_READY":           "true",
		"DEMO_SLOW_MS":             "300",
		"DEMO_WATCHDOG_STOP_AFTER": "1.5",
		"DEMO_DIE_AT_REQUEST":      "4",
		"DEMO_IGNORE_SIGTERM":      "1",
		"DEMO_DAEMONIZE":           "true",
		"DEMO_DAEMONIZED":          "4242",
		"DEMO_LOG_FLOOD":           "10000",
		"DEMO_LEAK_MB_PER_SEC":     "64",
		"WATCHDOG_USEC":            "400000",
		"WATCHDOG_PID":             "42",
		"NOTIFY_SOCKET":            "@sock",
	})
	cfg, err := loadConfig(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		ServiceName: "gosvc-demo", ListenAddr: "127.0.0.1:9999", ListenFDName: "web api", ShutdownTimeout: 2500 * time.Millisecond,
		MessageFile: "/etc/gosvc-demo/message.txt",
		FailAtStart: true, NotReady: true, Slow: 300 * time.Millisecond, DieAtRequest: 4,
		IgnoreSIGTERM: true, Daemonize: true, DaemonizedBy: 4242, LogFlood: 10000, LeakMBPerSec: 64,
		WatchdogStopAfter: 1500 * time.Millisecond, WatchdogStopSet: true,
		NotifySocket: "@sock", WatchdogInterval: 400 * time.Millisecond, WatchdogPID: 42,
	}
	if cfg != want {
		t.Fatalf("got %+v\nwant %+v", cfg, want)
	}
	// Flags win, and the overridden variables are not even parsed.
	bad := envOf(map[string]string{"DEMO_LISTEN_ADDR": "garbage", "DEMO_SHUTDOWN_TIMEOUT": "never", "DEMO_LISTEN_FDNAME": "a:b"})
	cfg, err = loadConfig([]string{"-listen", "[::1]:0", "-shutdown-timeout", "1m30s", "-service-name", "shop-api", "-listen-fdname", "shop-api.socket"}, bad, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != "[::1]:0" || cfg.ShutdownTimeout != 90*time.Second || cfg.ServiceName != "shop-api" || cfg.ListenFDName != "shop-api.socket" {
		t.Fatalf("flags not applied: %+v", cfg)
	}
}

func TestVersionFlagIgnoresEnvironment(t *testing.T) {
	cfg, err := loadConfig([]string{"-version"}, envOf(map[string]string{"DEMO_SLOW_MS": "x"}), io.Discard)
	if err != nil || !cfg.ShowVersion {
		t.Fatalf("cfg=%+v err=%v", cfg, err)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}} {
		if _, err := loadConfig(args, envOf(nil), io.Discard); !errors.Is(err, errFlags) {
			t.Errorf("%v: got %v", args, err)
		}
	}
	if _, err := loadConfig([]string{"-h"}, envOf(nil), io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: got %v", err)
	}
}

func TestInvalidValues(t *testing.T) {
	cases := []struct{ name, value string }{
		{"DEMO_FAIL_AT_START", "yes"},
		{"DEMO_NOT_READY", "2"},
		{"DEMO_SLOW_MS", "1.5"},
		{"DEMO_SLOW_MS", "-3"},
		{"DEMO_SLOW_MS", "3600001"},
		{"DEMO_WATCHDOG_STOP_AFTER", "-1"},
		{"DEMO_WATCHDOG_STOP_AFTER", "soon"},
		{"DEMO_WATCHDOG_STOP_AFTER", "NaN"},
		{"DEMO_SHUTDOWN_TIMEOUT", "0"},
		{"DEMO_SHUTDOWN_TIMEOUT", "-5s"},
		{"DEMO_LISTEN_ADDR", "8080"},
		{"DEMO_LISTEN_ADDR", "127.0.0.1:http"},
		{"DEMO_LISTEN_ADDR", "127.0.0.1:70000"},
		{"DEMO_SERVICE_NAME", "has space"},
		{"DEMO_LISTEN_FDNAME", "web:admin"},
		{"DEMO_LISTEN_FDNAME", "tab\there"},
		{"DEMO_LISTEN_FDNAME", "caf\u00e9"},
		{"DEMO_LISTEN_FDNAME", "del\x7f"},
		{"DEMO_LISTEN_FDNAME", strings.Repeat("n", 256)},
		{"DEMO_MESSAGE_FILE", "message.txt"},
		{"DEMO_MESSAGE_FILE", "./etc/message.txt"},
		{"WATCHDOG_USEC", "0"},
		{"WATCHDOG_USEC", "abc"},
		{"WATCHDOG_PID", "-1"},
		{"DEMO_DIE_AT_REQUEST", "0"},
		{"DEMO_DIE_AT_REQUEST", "-1"},
		{"DEMO_DIE_AT_REQUEST", "1000001"},
		{"DEMO_DIE_AT_REQUEST", "soon"},
		{"DEMO_IGNORE_SIGTERM", "yes"},
		{"DEMO_IGNORE_SIGTERM", "2"},
		{"DEMO_DAEMONIZE", "fork"},
		{"DEMO_DAEMONIZED", "0"},
		{"DEMO_DAEMONIZED", "-1"},
		{"DEMO_DAEMONIZED", "parent"},
		{"DEMO_LOG_FLOOD", "-1"},
		{"DEMO_LOG_FLOOD", "1.5"},
		{"DEMO_LOG_FLOOD", "1000001"},
		{"DEMO_LOG_FLOOD", "1e4"},
		{"DEMO_LOG_FLOOD", "lots"},
		{"DEMO_LEAK_MB_PER_SEC", "-1"},
		{"DEMO_LEAK_MB_PER_SEC", "0.5"},
		{"DEMO_LEAK_MB_PER_SEC", "4097"},
		{"DEMO_LEAK_MB_PER_SEC", "64M"},
		{"DEMO_LEAK_MB_PER_SEC", "99999999999999999999"},
	}
	for _, c := range cases {
		_, err := loadConfig(nil, envOf(map[string]string{c.name: c.value}), io.Discard)
		var ce *configError
		if !errors.As(err, &ce) || ce.Name != c.name || ce.Value != c.value {
			t.Errorf("%s=%q: got %v", c.name, c.value, err)
			continue
		}
		if !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s=%q: message does not name the variable: %v", c.name, c.value, err)
		}
	}
	_, err := loadConfig([]string{"-listen", "nope"}, envOf(nil), io.Discard)
	var ce *configError
	if !errors.As(err, &ce) || ce.Name != "-listen" {
		t.Errorf("-listen nope: got %v", err)
	}
	_, err = loadConfig([]string{"-listen-fdname", "a:b"}, envOf(nil), io.Discard)
	if !errors.As(err, &ce) || ce.Name != "-listen-fdname" {
		t.Errorf("-listen-fdname a:b: got %v", err)
	}
}

func TestMessageFileSetting(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		errName string // "": no error expected
	}{
		{"unset", nil, nil, "", ""},
		{"empty", nil, map[string]string{"DEMO_MESSAGE_FILE": " "}, "", ""},
		{"env", nil, map[string]string{"DEMO_MESSAGE_FILE": " /etc/demo/message.txt "}, "/etc/demo/message.txt", ""},
		{"flag", []string{"-message-file", "/srv/message"}, nil, "/srv/message", ""},
		{"flag wins, env not read", []string{"-message-file", "/srv/message"}, map[string]string{"DEMO_MESSAGE_FILE": "relative"}, "/srv/message", ""},
		{"empty flag wins over env", []string{"-message-file", ""}, map[string]string{"DEMO_MESSAGE_FILE": "/etc/demo/message.txt"}, "", ""},
		{"relative env", nil, map[string]string{"DEMO_MESSAGE_FILE": "message.txt"}, "", "DEMO_MESSAGE_FILE"},
		{"relative flag", []string{"-message-file", "etc/message.txt"}, map[string]string{"DEMO_MESSAGE_FILE": "/etc/demo/message.txt"}, "", "-message-file"},
	}
	for _, c := range cases {
		cfg, err := loadConfig(c.args, envOf(c.env), io.Discard)
		if c.errName == "" {
			if err != nil || cfg.MessageFile != c.want {
				t.Errorf("%s: got %q, %v; want %q", c.name, cfg.MessageFile, err, c.want)
			}
			continue
		}
		var ce *configError
		if !errors.As(err, &ce) || ce.Name != c.errName || !strings.Contains(err.Error(), c.errName) || !strings.Contains(ce.Reason, "absolute path") {
			t.Errorf("%s: got %v; want an error naming %s", c.name, err, c.errName)
		}
	}
}

func TestListenFDNameLimits(t *testing.T) {
	for _, v := range []string{"w", "web", "gosvc-demo.socket", "with inner space", "~!@#$%^&*()_+={}[]|;'<>,.?/\\\"", strings.Repeat("n", 255)} {
		cfg, err := loadConfig(nil, envOf(map[string]string{"DEMO_LISTEN_FDNAME": v}), io.Discard)
		if err != nil || cfg.ListenFDName != v {
			t.Errorf("%q: got %q, %v", v, cfg.ListenFDName, err)
		}
	}
	// Empty (after trimming) is unset: serve the first socket passed.
	cfg, err := loadConfig([]string{"-listen-fdname", " "}, envOf(map[string]string{"DEMO_LISTEN_FDNAME": "web"}), io.Discard)
	if err != nil || cfg.ListenFDName != "" {
		t.Errorf("empty flag: got %q, %v", cfg.ListenFDName, err)
	}
}

func TestEmptySwitchesAreOff(t *testing.T) {
	cfg, err := loadConfig(nil, envOf(map[string]string{
		"DEMO_FAIL_AT_START": "", "DEMO_SLOW_MS": " ", "DEMO_WATCHDOG_STOP_AFTER": "", "DEMO_NOT_READY": "0",
		"DEMO_IGNORE_SIGTERM": "", "DEMO_DAEMONIZE": "0", "DEMO_DAEMONIZED": " ", "DEMO_LOG_FLOOD": "", "DEMO_LEAK_MB_PER_SEC": " ",
	}), io.Discard)
	if err != nil || cfg.FailAtStart || cfg.Slow != 0 || cfg.WatchdogStopSet || cfg.NotReady ||
		cfg.IgnoreSIGTERM || cfg.Daemonize || cfg.DaemonizedBy != 0 || cfg.LogFlood != 0 || cfg.LeakMBPerSec != 0 {
		t.Fatalf("cfg=%+v err=%v", cfg, err)
	}
}

// TestFightBackSettings covers the limits of the switches that make the
// service fight systemd back, and that their errors say what to set instead.
func TestFightBackSettings(t *testing.T) {
	cases := []struct {
		name, value string
		check       func(config) bool
		wantErr     string // "": no error expected; else a part of the reason
	}{
		{"DEMO_LOG_FLOOD", "0", func(c config) bool { return c.LogFlood == 0 }, ""},
		{"DEMO_LOG_FLOOD", " 10000 ", func(c config) bool { return c.LogFlood == 10000 }, ""},
		{"DEMO_LOG_FLOOD", "1000000", func(c config) bool { return c.LogFlood == maxLogFlood }, ""},
		{"DEMO_LOG_FLOOD", "1000001", nil, "whole number of log lines per second from 0 to 1000000 (0: off)"},
		{"DEMO_LOG_FLOOD", "fast", nil, "whole number of log lines per second from 0 to 1000000"},
		{"DEMO_LEAK_MB_PER_SEC", "0", func(c config) bool { return c.LeakMBPerSec == 0 }, ""},
		{"DEMO_LEAK_MB_PER_SEC", "1", func(c config) bool { return c.LeakMBPerSec == 1 }, ""},
		{"DEMO_LEAK_MB_PER_SEC", "4096", func(c config) bool { return c.LeakMBPerSec == maxLeakMBPerSec }, ""},
		{"DEMO_LEAK_MB_PER_SEC", "4097", nil, "whole number of MiB per second from 0 to 4096 (0: off)"},
		{"DEMO_LEAK_MB_PER_SEC", "1.5", nil, "whole number of MiB per second from 0 to 4096"},
		{"DEMO_IGNORE_SIGTERM", "true", func(c config) bool { return c.IgnoreSIGTERM }, ""},
		{"DEMO_IGNORE_SIGTERM", "on", nil, "must be 1 or 0"},
		{"DEMO_DAEMONIZE", "1", func(c config) bool { return c.Daemonize && c.DaemonizedBy == 0 }, ""},
		{"DEMO_DAEMONIZE", "forking", nil, "must be 1 or 0"},
		{"DEMO_DAEMONIZED", "17", func(c config) bool { return c.DaemonizedBy == 17 && !c.Daemonize }, ""},
		{"DEMO_DAEMONIZED", "1", func(c config) bool { return c.DaemonizedBy == 1 }, ""},
		{"DEMO_DAEMONIZED", "yes", nil, "the service sets it itself in the copy that DEMO_DAEMONIZE=1 starts; unset it"},
	}
	for _, c := range cases {
		cfg, err := loadConfig(nil, envOf(map[string]string{c.name: c.value}), io.Discard)
		if c.wantErr == "" {
			if err != nil || !c.check(cfg) {
				t.Errorf("%s=%q: got %+v, %v", c.name, c.value, cfg, err)
			}
			continue
		}
		var ce *configError
		if !errors.As(err, &ce) || ce.Name != c.name || ce.Value != c.value || !strings.Contains(ce.Reason, c.wantErr) {
			t.Errorf("%s=%q: got %v; want an error naming %s with %q", c.name, c.value, err, c.name, c.wantErr)
		}
	}
}

func TestWatchdogEnabled(t *testing.T) {
	base := config{NotifySocket: "/run/x", WatchdogInterval: time.Second}
	if on, why := base.watchdogEnabled(); !on {
		t.Fatalf("expected on: %s", why)
	}
	mine := base
	mine.WatchdogPID = os.Getpid()
	if on, _ := mine.watchdogEnabled(); !on {
		t.Fatal("WATCHDOG_PID equal to our pid must enable the watchdog")
	}
	other := base
	other.WatchdogPID = os.Getpid() + 1
	if on, why := other.watchdogEnabled(); on || !strings.Contains(why, strconv.Itoa(os.Getpid()+1)) {
		t.Fatalf("expected off for another pid: %v %q", on, why)
	}
	noSock := base
	noSock.NotifySocket = ""
	if on, _ := noSock.watchdogEnabled(); on {
		t.Fatal("expected off without NOTIFY_SOCKET")
	}
}
