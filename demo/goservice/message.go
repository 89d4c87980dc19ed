package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

const (
	// maxMessageBytes bounds the message, after trimming.
	maxMessageBytes = 4096
	// maxMessageFileBytes bounds how much of the file is read, so that a
	// huge file cannot fill the memory: room for the message and whitespace.
	maxMessageFileBytes = 64 << 10
)

// readMessage returns the text of the message file (-message-file,
// DEMO_MESSAGE_FILE) with surrounding whitespace trimmed. The file must be a
// regular file (or a symlink to one) and the message at most
// maxMessageBytes long. It is opened non-blocking, so that a named pipe is
// refused instead of hanging the service until someone writes to it.
func readMessage(path string) (string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	switch {
	case fi.IsDir():
		return "", fmt.Errorf("%s is a directory", path)
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxMessageFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxMessageFileBytes {
		return "", fmt.Errorf("%s is too long: more than %d bytes (the message may be at most %d)", path, maxMessageFileBytes, maxMessageBytes)
	}
	text := strings.TrimSpace(string(data))
	if len(text) > maxMessageBytes {
		return "", fmt.Errorf("%s is too long: the message is %d bytes, at most %d are allowed", path, len(text), maxMessageBytes)
	}
	return text, nil
}
