// Package greet is a local module that example.com/app uses through a
// replace directive, so the binary records a dep line and a => line.
package greet

// Greeting returns the text that app prints.
func Greeting(name string) string {
	return "hello " + name
}
