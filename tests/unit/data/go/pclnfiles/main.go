// Command pclnfiles prints the source file names recorded in a Go ELF
// binary's .gopclntab, one per line, using the standard library's debug/gosym.
// The unit tests use it as an independent oracle for build path detection.
package main

import (
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
	"sort"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pclnfiles BINARY")
		os.Exit(2)
	}
	f, err := elf.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	pcln := f.Section(".gopclntab")
	text := f.Section(".text")
	if pcln == nil || text == nil {
		fmt.Fprintln(os.Stderr, "no .gopclntab or .text section")
		os.Exit(1)
	}
	data, err := pcln.Data()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	names := make([]string, 0, len(table.Files))
	for name := range table.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Println(name)
	}
}
