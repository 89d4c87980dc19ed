package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	defaultServiceName     = "gosvc-demo"
	defaultListenAddr      = "127.0.0.1:8080"
	defaultShutdownTimeout = 10 * time.Second
	maxSlowMS              = 3600000 // one hour
	maxDieAtRequest        = 1000000
	maxLogFlood            = 1000000 // lines per second
	maxLeakMBPerSec        = 4096    // MiB per second
)

// daemonizedEnv marks the copy that DEMO_DAEMONIZE=1 starts: it holds the
// pid of the process that started the copy, and the copy serves instead of
// daemonizing again. The service sets it itself; nobody else should.
const daemonizedEnv = "DEMO_DAEMONIZED"

// config is everything the service reads from its flags and environment.
type config struct {
	ShowVersion     bool
	ServiceName     string
	ListenAddr      string
	ListenFDName    string // "": the first socket systemd passes
	ShutdownTimeout time.Duration
	MessageFile     string // "": no message file; else an absolute path, re-read on SIGHUP

	// Test switches (normally set through the unit's EnvironmentFile).
	FailAtStart       bool
	WatchdogStopAfter time.Duration
	WatchdogStopSet   bool
	NotReady          bool
	Slow              time.Duration
	DieAtRequest      uint64 // 0: never
	IgnoreSIGTERM     bool   // SIGTERM and SIGINT are logged and ignored
	Daemonize         bool   // start a detached copy and exit 0 without READY=1
	DaemonizedBy      int    // DEMO_DAEMONIZED: in that copy, the pid that started it; 0 otherwise
	LogFlood          uint64 // extra "flood" log lines per second; 0: off
	LeakMBPerSec      uint64 // MiB allocated, touched and never freed per second; 0: off

	// systemd service manager protocol.
	NotifySocket     string
	WatchdogInterval time.Duration // WATCHDOG_USEC; 0 when unset
	WatchdogPID      int           // WATCHDOG_PID; 0 when unset
}

// configError names the variable or flag whose value is unusable.
type configError struct {
	Name   string
	Value  string
	Reason string
}

func (e *configError) Error() string {
	return fmt.Sprintf("invalid %s=%q: %s", e.Name, e.Value, e.Reason)
}

// errFlags reports a command line that the flag package already explained
// on stderr.
var errFlags = errors.New("invalid command line")

type lookupFunc func(string) (string, bool)

// loadConfig parses the command line, then the environment. A flag given on
// the command line wins over its environment variable, and the variable is
// then not read at all. -version short-circuits everything else.
func loadConfig(args []string, lookup lookupFunc, stderr io.Writer) (config, error) {
	cfg := config{}
	fs := flag.NewFlagSet(defaultServiceName, flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	listen := fs.String("listen", "", "address to listen on, host:port (overrides DEMO_LISTEN_ADDR; default "+defaultListenAddr+")")
	listenFDName := fs.String("listen-fdname", "", "with systemd socket activation, the FileDescriptorName= of the passed socket to serve (overrides DEMO_LISTEN_FDNAME; default: the first socket passed)")
	shutdown := fs.String("shutdown-timeout", "", "how long to drain in-flight requests on SIGTERM/SIGINT, e.g. 10s (overrides DEMO_SHUTDOWN_TIMEOUT)")
	service := fs.String("service-name", "", "service name reported in responses and logs (overrides DEMO_SERVICE_NAME; default "+defaultServiceName+")")
	messageFile := fs.String("message-file", "", "absolute path of a file whose text GET / answers, re-read on SIGHUP (overrides DEMO_MESSAGE_FILE; default: none)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s [flags]\n\nFlags:\n", defaultServiceName)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, errFlags
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q (this service takes flags only)\n", fs.Arg(0))
		fs.Usage()
		return cfg, errFlags
	}
	if *showVersion {
		cfg.ShowVersion = true
		return cfg, nil
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	// pick returns the flag value when the flag was given, else the variable.
	pick := func(flagName, flagValue, envName string) (string, string) {
		if given[flagName] {
			return "-" + flagName, strings.TrimSpace(flagValue)
		}
		return envName, get(envName)
	}

	var err error
	name, value := pick("service-name", *service, "DEMO_SERVICE_NAME")
	if cfg.ServiceName, err = parseServiceName(name, value); err != nil {
		return cfg, err
	}
	name, value = pick("listen", *listen, "DEMO_LISTEN_ADDR")
	if cfg.ListenAddr, err = parseListenAddr(name, value); err != nil {
		return cfg, err
	}
	name, value = pick("listen-fdname", *listenFDName, "DEMO_LISTEN_FDNAME")
	if cfg.ListenFDName, err = parseFDName(name, value); err != nil {
		return cfg, err
	}
	name, value = pick("shutdown-timeout", *shutdown, "DEMO_SHUTDOWN_TIMEOUT")
	if cfg.ShutdownTimeout, err = parseTimeout(name, value); err != nil {
		return cfg, err
	}
	name, value = pick("message-file", *messageFile, "DEMO_MESSAGE_FILE")
	if cfg.MessageFile, err = parseMessageFile(name, value); err != nil {
		return cfg, err
	}

	if cfg.FailAtStart, err = parseSwitch("DEMO_FAIL_AT_START", get("DEMO_FAIL_AT_START")); err != nil {
		return cfg, err
	}
	if cfg.NotReady, err = parseSwitch("DEMO_NOT_READY", get("DEMO_NOT_READY")); err != nil {
		return cfg, err
	}
	if v := get("DEMO_WATCHDOG_STOP_AFTER"); v != "" {
		if cfg.WatchdogStopAfter, err = parseSeconds("DEMO_WATCHDOG_STOP_AFTER", v, true); err != nil {
			return cfg, err
		}
		cfg.WatchdogStopSet = true
	}
	if v := get("DEMO_SLOW_MS"); v != "" {
		ms, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil || ms > maxSlowMS {
			return cfg, &configError{"DEMO_SLOW_MS", v, fmt.Sprintf("must be a whole number of milliseconds from 0 to %d", maxSlowMS)}
		}
		cfg.Slow = time.Duration(ms) * time.Millisecond
	}
	if v := get("DEMO_DIE_AT_REQUEST"); v != "" {
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil || n < 1 || n > maxDieAtRequest {
			return cfg, &configError{"DEMO_DIE_AT_REQUEST", v, fmt.Sprintf("must be a whole number of requests from 1 to %d", maxDieAtRequest)}
		}
		cfg.DieAtRequest = n
	}
	if cfg.IgnoreSIGTERM, err = parseSwitch("DEMO_IGNORE_SIGTERM", get("DEMO_IGNORE_SIGTERM")); err != nil {
		return cfg, err
	}
	if cfg.Daemonize, err = parseSwitch("DEMO_DAEMONIZE", get("DEMO_DAEMONIZE")); err != nil {
		return cfg, err
	}
	if v := get(daemonizedEnv); v != "" {
		pid, perr := strconv.ParseInt(v, 10, 32)
		if perr != nil || pid <= 0 {
			return cfg, &configError{daemonizedEnv, v, "must be a positive process id: the service sets it itself in the copy that DEMO_DAEMONIZE=1 starts; unset it"}
		}
		cfg.DaemonizedBy = int(pid)
	}
	if v := get("DEMO_LOG_FLOOD"); v != "" {
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil || n > maxLogFlood {
			return cfg, &configError{"DEMO_LOG_FLOOD", v, fmt.Sprintf("must be a whole number of log lines per second from 0 to %d (0: off)", maxLogFlood)}
		}
		cfg.LogFlood = n
	}
	if v := get("DEMO_LEAK_MB_PER_SEC"); v != "" {
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil || n > maxLeakMBPerSec {
			return cfg, &configError{"DEMO_LEAK_MB_PER_SEC", v, fmt.Sprintf("must be a whole number of MiB per second from 0 to %d (0: off)", maxLeakMBPerSec)}
		}
		cfg.LeakMBPerSec = n
	}

	cfg.NotifySocket = get("NOTIFY_SOCKET")
	if v := get("WATCHDOG_USEC"); v != "" {
		usec, perr := strconv.ParseUint(v, 10, 63)
		if perr != nil || usec == 0 || usec > uint64(math.MaxInt64/int64(time.Microsecond)) {
			return cfg, &configError{"WATCHDOG_USEC", v, "must be a positive whole number of microseconds (systemd sets it from WatchdogSec=)"}
		}
		cfg.WatchdogInterval = time.Duration(usec) * time.Microsecond
	}
	if v := get("WATCHDOG_PID"); v != "" {
		pid, perr := strconv.ParseInt(v, 10, 32)
		if perr != nil || pid <= 0 {
			return cfg, &configError{"WATCHDOG_PID", v, "must be a positive process id"}
		}
		cfg.WatchdogPID = int(pid)
	}
	return cfg, nil
}

func parseServiceName(name, v string) (string, error) {
	if v == "" {
		return defaultServiceName, nil
	}
	if len(v) > 128 {
		return "", &configError{name, v, "must be at most 128 characters"}
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@:-", r)) {
			return "", &configError{name, v, "may only contain letters, digits and . _ @ : -"}
		}
	}
	return v, nil
}

func parseListenAddr(name, v string) (string, error) {
	if v == "" {
		return defaultListenAddr, nil
	}
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", &configError{name, v, "must be host:port, e.g. 127.0.0.1:8080 or [::1]:8080 (" + err.Error() + ")"}
	}
	if p, perr := strconv.ParseUint(port, 10, 16); perr != nil || p > 65535 {
		return "", &configError{name, v, "the port must be a number from 0 to 65535"}
	}
	return v, nil
}

// parseFDName checks a socket name as systemd checks FileDescriptorName=:
// 1-255 characters of printable ASCII other than ':', which separates the
// names in LISTEN_FDNAMES. Empty: no name, serve the first socket passed.
func parseFDName(name, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if len(v) > 255 {
		return "", &configError{name, v, "must be at most 255 characters"}
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' || c > '~' || c == ':' {
			return "", &configError{name, v, "may only contain printable ASCII characters other than ':' (systemd's FileDescriptorName= rule)"}
		}
	}
	return v, nil
}

// parseMessageFile accepts an absolute path, or nothing: no message file.
// The file itself is read when the service starts (see readMessage).
func parseMessageFile(name, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if !filepath.IsAbs(v) {
		return "", &configError{name, v, "must be an absolute path, e.g. /etc/gosvc-demo/message.txt"}
	}
	return v, nil
}

// parseTimeout accepts a Go duration ("10s", "1m30s") or plain seconds ("10", "0.5").
func parseTimeout(name, v string) (time.Duration, error) {
	if v == "" {
		return defaultShutdownTimeout, nil
	}
	d, err := parseSeconds(name, v, false)
	if err == nil {
		return d, nil
	}
	d, derr := time.ParseDuration(v)
	if derr != nil || d <= 0 {
		return 0, &configError{name, v, "must be a positive duration such as 10s, 1m30s or a number of seconds"}
	}
	return d, nil
}

// parseSeconds parses a non-negative (or, with allowZero false, positive)
// decimal number of seconds.
func parseSeconds(name, v string, allowZero bool) (time.Duration, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || (!allowZero && f == 0) ||
		f > float64(math.MaxInt64)/float64(time.Second) {
		want := "a positive number of seconds"
		if allowZero {
			want = "a number of seconds, 0 or more (e.g. 1 or 2.5)"
		}
		return 0, &configError{name, v, "must be " + want}
	}
	return time.Duration(f * float64(time.Second)), nil
}

// parseSwitch reads an on/off test switch: empty or unset is off.
func parseSwitch(name, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &configError{name, v, "must be 1 or 0 (true/false also accepted)"}
	}
	return b, nil
}

// watchdogEnabled tells whether WATCHDOG=1 pings are expected from this
// process, with the reason when they are not.
func (c config) watchdogEnabled() (bool, string) {
	switch {
	case c.WatchdogInterval == 0:
		return false, "WATCHDOG_USEC is not set"
	case c.NotifySocket == "":
		return false, "NOTIFY_SOCKET is not set"
	case c.WatchdogPID != 0 && c.WatchdogPID != os.Getpid():
		return false, fmt.Sprintf("WATCHDOG_PID=%d is not this process (%d)", c.WatchdogPID, os.Getpid())
	}
	return true, ""
}
