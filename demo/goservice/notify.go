package main

import (
	"fmt"
	"net"
	"strings"
)

// notifier speaks the sd_notify protocol: one datagram of newline-separated
// KEY=VALUE assignments to the unix socket named by NOTIFY_SOCKET. A path
// starting with '@' is a Linux abstract socket (the Go runtime maps the '@'
// to the leading NUL byte). A nil *notifier sends nothing.
type notifier struct {
	addr *net.UnixAddr
}

func newNotifier(socket string) (*notifier, error) {
	if socket == "" {
		return nil, nil
	}
	if !strings.HasPrefix(socket, "/") && !strings.HasPrefix(socket, "@") {
		return nil, fmt.Errorf("NOTIFY_SOCKET=%q is not supported: only a filesystem path or an abstract socket name starting with '@' is", socket)
	}
	if len(socket) < 2 {
		return nil, fmt.Errorf("NOTIFY_SOCKET=%q is too short", socket)
	}
	return &notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}}, nil
}

// Notify sends the given assignments, e.g. Notify("READY=1", "STATUS=serving").
func (n *notifier) Notify(assignments ...string) error {
	if n == nil {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify to %s: %w", n.addr.Name, err)
	}
	defer conn.Close()
	msg := strings.Join(assignments, "\n")
	if _, err := conn.Write([]byte(msg)); err != nil {
		return fmt.Errorf("sd_notify to %s: %w", n.addr.Name, err)
	}
	return nil
}
