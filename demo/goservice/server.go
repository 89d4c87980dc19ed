package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// maxDelayMs bounds the delay a request may ask for (?delay_ms=).
const maxDelayMs = 10000

// app holds the HTTP side of the service.
type app struct {
	cfg     config
	log     *logger
	version string
	ready   atomic.Bool
	// notReadyReason is shown by /readyz while ready is false.
	notReadyReason atomic.Value
	// requests counts the requests received, for DEMO_DIE_AT_REQUEST.
	requests atomic.Uint64
	// die ends the process under DEMO_DIE_AT_REQUEST (replaced in tests).
	die func()

	// msgMu guards message and reloads, which GET / answers while a SIGHUP
	// replaces them: both change together.
	msgMu   sync.RWMutex
	message string
	reloads uint64 // successful reloads since start
}

func newApp(cfg config, lg *logger, version string) *app {
	a := &app{cfg: cfg, log: lg, version: version, die: killSelf}
	a.notReadyReason.Store("starting")
	return a
}

func (a *app) setReady(ready bool, reason string) {
	a.notReadyReason.Store(reason)
	a.ready.Store(ready)
}

// setMessage sets the message read at start.
func (a *app) setMessage(text string) {
	a.msgMu.Lock()
	defer a.msgMu.Unlock()
	a.message = text
}

// reloaded replaces the message after a successful reload and returns the
// number of successful reloads since start.
func (a *app) reloaded(text string) uint64 {
	a.msgMu.Lock()
	defer a.msgMu.Unlock()
	a.message = text
	a.reloads++
	return a.reloads
}

// messageState returns the message and the number of successful reloads.
func (a *app) messageState() (string, uint64) {
	a.msgMu.RLock()
	defer a.msgMu.RUnlock()
	return a.message, a.reloads
}

func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", a.getOnly(a.healthz))
	mux.HandleFunc("/readyz", a.getOnly(a.readyz))
	mux.HandleFunc("/", a.getOnly(a.root))
	return a.middleware(mux)
}

// statusBody is the JSON of /healthz, /readyz and the error answers, with
// its fields in this order.
type statusBody struct {
	Status  string `json:"status"`
	Version string `json:"version"`
	Service string `json:"service"`
	Reason  string `json:"reason,omitempty"`
	Path    string `json:"path,omitempty"`
	Method  string `json:"method,omitempty"`
}

func (a *app) body(status string) statusBody {
	return statusBody{Status: status, Version: a.version, Service: a.cfg.ServiceName}
}

func (a *app) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.body("ok"))
}

func (a *app) readyz(w http.ResponseWriter, r *http.Request) {
	if a.cfg.NotReady {
		b := a.body("not_ready")
		b.Reason = "DEMO_NOT_READY is set"
		writeJSON(w, http.StatusServiceUnavailable, b)
		return
	}
	if !a.ready.Load() {
		b := a.body("not_ready")
		b.Reason, _ = a.notReadyReason.Load().(string)
		writeJSON(w, http.StatusServiceUnavailable, b)
		return
	}
	writeJSON(w, http.StatusOK, a.body("ok"))
}

func (a *app) root(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		b := a.body("not_found")
		b.Path = r.URL.Path
		writeJSON(w, http.StatusNotFound, b)
		return
	}
	// ?delay_ms=N (0 to 10000) answers after N ms: a long request in flight,
	// for proving that a restart drains it instead of cutting it off.
	if v := r.URL.Query().Get("delay_ms"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 || ms > maxDelayMs {
			b := a.body("bad_request")
			b.Reason = "delay_ms must be a whole number of milliseconds from 0 to 10000"
			writeJSON(w, http.StatusBadRequest, b)
			return
		}
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	message, reloads := a.messageState()
	writeJSON(w, http.StatusOK, struct {
		Service   string   `json:"service"`
		Version   string   `json:"version"`
		Endpoints []string `json:"endpoints"`
		Message   string   `json:"message"`
		Reloads   uint64   `json:"reloads"`
	}{a.cfg.ServiceName, a.version, []string{"/healthz", "/readyz"}, message, reloads})
}

func (a *app) getOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			b := a.body("method_not_allowed")
			b.Method = r.Method
			writeJSON(w, http.StatusMethodNotAllowed, b)
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"status":"error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// statusRecorder remembers the status code and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.bytes += n
	return n, err
}

// middleware assigns a trace id, applies DEMO_SLOW_MS and logs the request.
func (a *app) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		traceID := r.Header.Get("X-Trace-Id")
		if !validTraceID(traceID) {
			traceID = newTraceID()
		}
		w.Header().Set("X-Trace-Id", traceID)
		if n := a.requests.Add(1); a.cfg.DieAtRequest > 0 && n == a.cfg.DieAtRequest {
			a.log.Error("dying while handling a request (DEMO_DIE_AT_REQUEST)", "request", n, "path", r.URL.Path, "trace_id", traceID)
			a.die()
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		if a.cfg.Slow > 0 {
			t := time.NewTimer(a.cfg.Slow)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		a.log.Info("request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", rec.status,
			"duration_ms", math.Round(float64(time.Since(start))/float64(time.Microsecond))/1000,
			"bytes", rec.bytes,
			"remote_addr", r.RemoteAddr,
			"trace_id", traceID,
		)
	})
}

// validTraceID accepts 1 to 128 characters of [A-Za-z0-9._:-]; anything else
// is replaced by a generated id rather than copied into the logs.
func validTraceID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func newTraceID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "trace-" + time.Now().UTC().Format("20060102T150405.000000000")
	}
	return hex.EncodeToString(b[:])
}

// killSelf ends the process with SIGKILL, before any answer: what a seccomp
// filter that kills (SECCOMP_RET_KILL_PROCESS, SIGSYS) does to a service whose
// handler makes a forbidden system call. Go's runtime would turn a SIGSYS it
// can catch into exit code 2 instead; SIGKILL cannot be caught, as a
// seccomp kill cannot.
func killSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is delivered asynchronously
}
