// Command hello is a stdlib-only program that the go_binary_info tests build
// with different flags. main.version is set with -ldflags "-X ...".
package main

import (
	"fmt"
	"os"
)

var version = "dev"

func main() {
	fmt.Fprintf(os.Stdout, "hello %s\n", version)
}
