package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadMessage(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(write("target", "via a link\n"), link); err != nil {
		t.Fatal(err)
	}
	longest := strings.Repeat("m", maxMessageBytes)
	cases := []struct {
		name    string
		path    string
		want    string
		wantErr string // "": no error expected
	}{
		{"trimmed", write("plain", "\n  hello, world \t\n"), "hello, world", ""},
		{"inner lines kept", write("lines", "one\ntwo\n"), "one\ntwo", ""},
		{"empty", write("empty", ""), "", ""},
		{"blank", write("blank", " \n\n"), "", ""},
		{"longest", write("longest", longest), longest, ""},
		{"longest with whitespace around", write("padded", "\n"+longest+"\n\n"), longest, ""},
		{"a symlink to a file", link, "via a link", ""},
		{"one byte too long", write("toolong", longest+"m"), "", "the message is 4097 bytes, at most 4096"},
		{"huge", write("huge", strings.Repeat(" ", maxMessageFileBytes+1)), "", "more than 65536 bytes"},
		{"missing", filepath.Join(dir, "missing"), "", "no such file or directory"},
		{"directory", dir, "", "is a directory"},
	}
	for _, c := range cases {
		got, err := readMessage(c.path)
		switch {
		case c.wantErr == "" && (err != nil || got != c.want):
			t.Errorf("%s: got %q, %v; want %q", c.name, got, err, c.want)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), c.path)):
			t.Errorf("%s: got %q, %v; want an error naming the file with %q", c.name, got, err, c.wantErr)
		}
	}
}

// A named pipe must be refused at once, not block the service (and its
// reloads) until a writer comes.
func TestReadMessageRefusesANamedPipeAtOnce(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := readMessage(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("got %v, want an error saying it is not a regular file", err)
		}
	case <-time.After(5 * time.Second):
		// Unblock the reader so the test binary can end.
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("readMessage blocked on a named pipe")
	}
}
