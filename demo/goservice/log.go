package main

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// logger writes one JSON object per line: time, level, msg, service and
// version first, then the given fields in order.
type logger struct {
	mu      sync.Mutex
	w       io.Writer
	service string
	version string
	now     func() time.Time
}

func newLogger(w io.Writer, service, version string) *logger {
	return &logger{w: w, service: service, version: version, now: time.Now}
}

func (l *logger) Info(msg string, kv ...any)  { l.log("info", msg, kv) }
func (l *logger) Warn(msg string, kv ...any)  { l.log("warn", msg, kv) }
func (l *logger) Error(msg string, kv ...any) { l.log("error", msg, kv) }

func (l *logger) log(level, msg string, kv []any) {
	var b bytes.Buffer
	b.WriteByte('{')
	field(&b, "time", l.now().UTC().Format(time.RFC3339Nano), true)
	field(&b, "level", level, false)
	field(&b, "msg", msg, false)
	field(&b, "service", l.service, false)
	field(&b, "version", l.version, false)
	for i := 0; i+1 < len(kv); i += 2 {
		key, ok := kv[i].(string)
		if !ok {
			key = "field"
		}
		field(&b, key, kv[i+1], false)
	}
	b.WriteString("}\n")
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(b.Bytes())
}

func field(b *bytes.Buffer, key string, value any, first bool) {
	if !first {
		b.WriteByte(',')
	}
	k, _ := json.Marshal(key)
	b.Write(k)
	b.WriteByte(':')
	if err, ok := value.(error); ok {
		value = err.Error()
	}
	v, err := json.Marshal(value)
	if err != nil {
		v, _ = json.Marshal(err.Error())
	}
	b.Write(v)
}

// logWriter turns the http.Server's own error messages into log lines.
type logWriter struct{ l *logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.Warn(string(bytes.TrimRight(p, "\n")), "source", "net/http")
	return len(p), nil
}
