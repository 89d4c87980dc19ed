// Command app depends on the local module example.com/greet (see go.mod).
package main

import (
	"fmt"

	"example.com/greet"
)

func main() {
	fmt.Println(greet.Greeting("app"))
}
