// Command cgohello is the shape of a CGO-linked service such as a Debian
// node_exporter: built with CGO_ENABLED=1, os/user and net resolve names
// through the C library, so the binary is dynamically linked against libc.so.6
// and needs the glibc symbol versions of the machine it was built on. The
// runnability tests build it with the installed go (see
// tests/unit/plugins/module_utils/test_runnable.py).
package main

import (
	"fmt"
	"net"
	"os/user"
)

func main() {
	u, err := user.Current()
	if err != nil {
		fmt.Println("no user:", err)
		return
	}
	addrs, _ := net.LookupHost("localhost")
	fmt.Println("hello", u.Username, len(addrs) > 0)
}
