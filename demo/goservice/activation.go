package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// listenFDsStart is the first file descriptor systemd passes
// (SD_LISTEN_FDS_START): the sockets are fds 3, 4, ... 3+LISTEN_FDS-1.
const listenFDsStart = 3

// maxListenFDs bounds LISTEN_FDS, so that a wild value cannot make the
// service walk millions of file descriptors.
const maxListenFDs = 65536

// listenEnv are the variables of systemd's socket activation protocol.
var listenEnv = []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}

// listenFDs is what systemd passed under its socket activation protocol
// (sd_listen_fds(3)), read as sd_listen_fds_with_names() reads it.
type listenFDs struct {
	// Names holds the FileDescriptorName= of fds 3, 4, ... in order, one per
	// fd passed; empty when no socket was passed to this process. Without
	// LISTEN_FDNAMES every name is "unknown", as in libsystemd.
	Names []string
	// Named tells whether LISTEN_FDNAMES was set.
	Named bool
	// OffReason says why LISTEN_FDS was ignored when LISTEN_PID was set for
	// another process; empty otherwise.
	OffReason string
}

// active tells whether systemd passed this process any socket.
func (l listenFDs) active() bool { return len(l.Names) > 0 }

// parseListenEnv reads LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES for the
// process pid. Variables meant for another process (LISTEN_PID is not pid)
// are ignored, as are LISTEN_FDS without LISTEN_PID and the reverse. A value
// that systemd would never set is a *configError.
func parseListenEnv(lookup lookupFunc, pid int) (listenFDs, error) {
	var l listenFDs
	pidValue, _ := lookup("LISTEN_PID")
	pidValue = strings.TrimSpace(pidValue)
	if pidValue == "" {
		return l, nil
	}
	listenPID, err := strconv.ParseInt(pidValue, 10, 32)
	if err != nil || listenPID <= 0 {
		return l, &configError{"LISTEN_PID", pidValue, "must be a positive process id (systemd sets it for socket activation)"}
	}
	if int(listenPID) != pid {
		l.OffReason = fmt.Sprintf("LISTEN_PID=%d is not this process (%d)", listenPID, pid)
		return l, nil
	}
	fdsValue, _ := lookup("LISTEN_FDS")
	fdsValue = strings.TrimSpace(fdsValue)
	if fdsValue == "" {
		return l, nil
	}
	n, err := strconv.ParseUint(fdsValue, 10, 32)
	if err != nil || n < 1 || n > maxListenFDs {
		return l, &configError{"LISTEN_FDS", fdsValue, fmt.Sprintf("must be a whole number of sockets from 1 to %d (systemd sets it for socket activation)", maxListenFDs)}
	}
	// Names may hold spaces: the value is not trimmed. An empty value is
	// the same as unset, as in libsystemd.
	if names, _ := lookup("LISTEN_FDNAMES"); names != "" {
		l.Names = strings.Split(names, ":")
		if len(l.Names) != int(n) {
			l.Names = nil
			return l, &configError{"LISTEN_FDNAMES", names, fmt.Sprintf("must hold one name per socket, separated by ':' (LISTEN_FDS=%d, got %d names)", n, len(strings.Split(names, ":")))}
		}
		l.Named = true
		return l, nil
	}
	l.Names = make([]string, n)
	for i := range l.Names {
		l.Names[i] = "unknown"
	}
	return l, nil
}

// takeListenEnv is parseListenEnv followed by unsetting the three variables
// whatever they held, as sd_listen_fds(unset_environment=1) does, so that a
// process this one starts does not take the sockets for its own.
func takeListenEnv(lookup lookupFunc, unsetenv func(string) error, pid int) (listenFDs, error) {
	l, err := parseListenEnv(lookup, pid)
	for _, name := range listenEnv {
		_ = unsetenv(name)
	}
	return l, err
}

// pick returns the index (0 for fd 3) of the socket to serve: the first one
// named want, or the first one when want is empty. unserved lists the
// indexes of the other passed sockets when that deserves a warning: when no
// name was asked for, or when more sockets carry the name asked for (systemd
// gives every socket of a unit with several ListenStream= the same name).
func (l listenFDs) pick(want string) (index int, unserved []int, err error) {
	index = -1
	for i, name := range l.Names {
		switch {
		case want != "" && name != want:
		case index < 0:
			index = i
		default:
			unserved = append(unserved, i)
		}
	}
	if index >= 0 {
		return index, unserved, nil
	}
	if !l.Named {
		return 0, nil, fmt.Errorf("systemd passed no socket named %q (-listen-fdname/DEMO_LISTEN_FDNAME): LISTEN_FDNAMES is not set, so none of its %d socket(s) has a name", want, len(l.Names))
	}
	return 0, nil, fmt.Errorf("systemd passed no socket named %q (-listen-fdname/DEMO_LISTEN_FDNAME); the names passed in LISTEN_FDNAMES are %s", want, quoteAll(l.Names))
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, name := range names {
		q[i] = strconv.Quote(name)
	}
	return strings.Join(q, ", ")
}

// closeOnExec marks every passed fd close-on-exec, as sd_listen_fds does:
// the sockets this service does not serve must not leak into processes it
// starts.
func (l listenFDs) closeOnExec() {
	for i := range l.Names {
		syscall.CloseOnExec(listenFDsStart + i)
	}
}

// fileListener turns the passed fd into a net.Listener. The fd must be a
// listening stream socket (TCP or unix, i.e. ListenStream= with Accept=no):
// a datagram socket, a socket that does not listen (Accept=yes passes
// connections) or anything else is an error. The listener works on a
// duplicate of fd, which is closed.
func fileListener(fd int, name string) (net.Listener, error) {
	f := os.NewFile(uintptr(fd), name)
	if f == nil {
		return nil, fmt.Errorf("fd %d is not a valid file descriptor", fd)
	}
	defer f.Close()
	typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		return nil, fmt.Errorf("fd %d is not an open socket: %w", fd, err)
	}
	if typ != syscall.SOCK_STREAM {
		return nil, fmt.Errorf("fd %d is not a stream socket (SO_TYPE %d); use ListenStream=", fd, typ)
	}
	if on, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN); err != nil || on == 0 {
		return nil, fmt.Errorf("fd %d is not a listening socket (a connection? use Accept=no)", fd)
	}
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("fd %d: %w", fd, err)
	}
	return ln, nil
}

// listen returns the listener to serve on: the socket systemd passed when it
// passed any, else a socket bound to cfg.ListenAddr. fields describe the
// choice for the "listening" log line.
func listen(cfg config, fds listenFDs, lg *logger) (ln net.Listener, fields []any, ok bool) {
	var err error
	if !fds.active() {
		if ln, err = net.Listen("tcp", cfg.ListenAddr); err != nil {
			lg.Error("cannot listen", "addr", cfg.ListenAddr, "error", err)
			return nil, nil, false
		}
		if cfg.ListenFDName != "" {
			lg.Warn("no socket passed by systemd; -listen-fdname/DEMO_LISTEN_FDNAME is ignored",
				"fdname", cfg.ListenFDName, "addr", cfg.ListenAddr)
		}
		fields = []any{"activation", "self"}
		if fds.OffReason != "" {
			fields = append(fields, "activation_off_reason", fds.OffReason)
		}
		return ln, fields, true
	}

	fds.closeOnExec()
	i, unserved, err := fds.pick(cfg.ListenFDName)
	if err != nil {
		lg.Error("cannot start: "+err.Error(), "fdname", cfg.ListenFDName, "fdnames", fds.Names)
		return nil, nil, false
	}
	fd, name := listenFDsStart+i, fds.Names[i]
	if len(unserved) > 0 {
		names, nums := make([]string, len(unserved)), make([]int, len(unserved))
		for k, j := range unserved {
			names[k], nums[k] = fds.Names[j], listenFDsStart+j
		}
		msg := "systemd passed more than one socket and no -listen-fdname/DEMO_LISTEN_FDNAME chooses; serving the first one only"
		if cfg.ListenFDName != "" {
			msg = "systemd passed more than one socket with this name; serving the first one only"
		}
		lg.Warn(msg, "fd", fd, "fdname", name, "unserved_fdnames", names, "unserved_fds", nums)
	}
	ln, err = fileListener(fd, name)
	if err != nil {
		lg.Error("cannot use the socket passed by systemd", "fd", fd, "fdname", name, "error", err)
		return nil, nil, false
	}
	return ln, []any{"activation", "systemd", "fd", fd, "fdname", name}, true
}
