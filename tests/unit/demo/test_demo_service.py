# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the demo Go service in demo/goservice, run as a real process.

The binary is built once per session with demo/goservice/build.sh. Each test
starts it on 127.0.0.1 with its own environment and, where systemd would
give one, a real unix datagram NOTIFY_SOCKET bound by the test, then talks to
it over HTTP and reads its JSON log lines from stdout.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVICE_DIR = ROOT / "demo" / "goservice"
BUILD_SH = SERVICE_DIR / "build.sh"
VERSION = "1.4.2-test"
GO = shutil.which("go")

pytestmark = [
    pytest.mark.needs_go,
    pytest.mark.skipif(GO is None, reason="the go tool is not on PATH: install Go 1.19+ to build the demo service"),
]


def _build(out: Path, version: str = VERSION) -> str:
    res = subprocess.run(
        ["bash", str(BUILD_SH), version, str(out)], capture_output=True, text=True, timeout=300, check=False
    )
    assert res.returncode == 0, f"build.sh failed ({res.returncode}):\n{res.stdout}\n{res.stderr}"
    printed = res.stdout.strip().splitlines()[-1].split()
    assert printed[1] == str(out)
    return printed[0]


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """(path, printed sha256) of the service built once for the session."""
    out = tmp_path_factory.mktemp("build-a") / "gosvc-demo"
    return out, _build(out)


@pytest.fixture(scope="session")
def binary(built) -> str:
    return str(built[0])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NotifySocket:
    """A bound AF_UNIX/SOCK_DGRAM socket that records (time, assignments) per datagram."""

    def __init__(self, abstract: bool = False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._dir = None
        if abstract:
            name = f"gosvc-demo-pytest-{os.getpid()}-{time.monotonic_ns()}"
            self.sock.bind("\0" + name)
            self.env_value = "@" + name
        else:
            # Short directory: unix socket paths are limited to 107 bytes.
            self._dir = tempfile.mkdtemp(prefix="gsn")
            path = os.path.join(self._dir, "notify.sock")
            self.sock.bind(path)
            self.env_value = path
        self.sock.settimeout(0.05)
        self.messages: list[tuple[float, list[str]]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._closed:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._cond:
                self.messages.append((time.monotonic(), data.decode().split("\n")))
                self._cond.notify_all()

    def times(self, assignment: str) -> list[float]:
        with self._cond:
            return [t for t, lines in self.messages if assignment in lines]

    def wait_for(self, assignment: str, timeout: float = 5.0) -> list[str]:
        """Return the first datagram holding ``assignment`` (e.g. READY=1)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for _addr, lines in self.messages:
                    if assignment in lines:
                        return lines
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{assignment} not received in {timeout}s; got {self.messages}")
                self._cond.wait(left)

    def close(self):
        self._closed = True
        self._thread.join(2)
        self.sock.close()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)


class Service:
    """The demo binary running as a child process, its stdout read line by line."""

    def __init__(self, argv: list, env: dict, pass_fds: tuple = ()):
        self.proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, pass_fds=pass_fds
        )
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def records(self) -> list[dict]:
        with self._cond:
            return [json.loads(line) for line in self.lines]

    def wait_log(self, pred, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    rec = json.loads(line)
                    if pred(rec):
                        return rec
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no matching log line in {timeout}s; stdout so far:\n" + "\n".join(self.lines)
                    )
                self._cond.wait(left)

    def wait_exit(self, timeout: float = 5.0) -> int:
        code = self.proc.wait(timeout=timeout)
        self._thread.join(2)
        return code

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._thread.join(2)
        self.proc.stdout.close()
        self.proc.stderr.close()


def _env(**extra) -> dict:
    """A clean environment: nothing systemd-related leaks in from the test runner."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _get(url: str, headers: dict | None = None, timeout: float = 5.0) -> tuple[int, dict, dict]:
    """GET ``url``; return (status, JSON body, headers), also for 4xx/5xx answers."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read()), dict(err.headers)


@pytest.fixture
def start(binary):
    """start(env, args=(), argv=None, pass_fds=()) -> running Service; all are killed at teardown."""
    running: list[Service] = []

    def _start(env: dict, args: tuple = (), argv: list | None = None, pass_fds: tuple = ()) -> Service:
        svc = Service(argv or [binary, *args], env, pass_fds)
        running.append(svc)
        return svc

    yield _start
    for svc in running:
        svc.stop()


@pytest.fixture
def notify_socket():
    made: list[NotifySocket] = []

    def _make(abstract: bool = False) -> NotifySocket:
        ns = NotifySocket(abstract)
        made.append(ns)
        return ns

    yield _make
    for ns in made:
        ns.close()


def _listening(svc: Service) -> str:
    return svc.wait_log(lambda r: r["msg"] == "listening")["addr"]


def _sockets(pid: int) -> int:
    """How many sockets the process holds open (its /proc/<pid>/fd entries that are sockets)."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except FileNotFoundError:
            continue
    return count


def _start_request_in_flight(svc: Service, call) -> threading.Thread:
    """Run ``call`` in a thread and return once the service has accepted its connection.

    The service holds one more socket once it has accept()ed the client. From then on an
    http.Server.Shutdown waits for that connection, so a SIGTERM sent afterwards meets a
    request in flight however slow the machine is (a fixed sleep did not guarantee that).
    """
    before = _sockets(svc.proc.pid)
    client = threading.Thread(target=call)
    client.start()
    deadline = time.monotonic() + 10
    while _sockets(svc.proc.pid) <= before:
        assert time.monotonic() < deadline, "the service did not accept the client's connection within 10s"
        time.sleep(0.005)
    return client


# (a) reproducible build ------------------------------------------------------


def test_two_builds_are_byte_identical(built, tmp_path):
    first, first_sha = built
    second = tmp_path / "elsewhere" / "deeper" / "gosvc-demo"
    second_sha = _build(second)
    assert first_sha == second_sha
    assert hashlib.sha256(first.read_bytes()).hexdigest() == first_sha
    assert first.read_bytes() == second.read_bytes()
    res = subprocess.run([str(second), "-version"], capture_output=True, text=True, timeout=10, check=False)
    assert (res.returncode, res.stdout) == (0, VERSION + "\n")


def test_build_sh_rejects_a_version_that_would_break_ldflags(tmp_path):
    res = subprocess.run(
        ["bash", str(BUILD_SH), "1.0 -X main.evil=1", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert res.returncode == 2
    assert "version '1.0 -X main.evil=1'" in res.stderr
    assert not (tmp_path / "out").exists()


# (b) the systemd protocol, health, logs and SIGTERM --------------------------


def test_notify_watchdog_health_logs_and_sigterm(start, notify_socket):
    ns = notify_socket()
    port = _free_port()
    svc = start(_env(NOTIFY_SOCKET=ns.env_value, WATCHDOG_USEC=400000, DEMO_LISTEN_ADDR=f"127.0.0.1:{port}"))

    ready = ns.wait_for("READY=1")
    assert f"STATUS=serving on 127.0.0.1:{port}" in ready
    ready_at = ns.times("READY=1")[0]
    assert _listening(svc) == f"127.0.0.1:{port}"

    status, body, headers = _get(f"http://127.0.0.1:{port}/healthz", {"X-Trace-Id": "pytest-trace-1"})
    assert status == 200
    assert body == {"status": "ok", "version": VERSION, "service": "gosvc-demo"}
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Trace-Id"] == "pytest-trace-1"
    status, body, _headers = _get(f"http://127.0.0.1:{port}/readyz")
    assert (status, body["status"]) == (200, "ok")
    status, body, headers = _get(f"http://127.0.0.1:{port}/")
    assert (status, body["version"]) == (200, VERSION)
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Trace-Id"])

    req = svc.wait_log(lambda r: r["msg"] == "request" and r["path"] == "/healthz")
    assert set(req) >= {"time", "level", "msg", "service", "version", "method", "path", "status", "duration_ms"}
    assert (req["method"], req["status"], req["trace_id"], req["version"]) == ("GET", 200, "pytest-trace-1", VERSION)
    assert isinstance(req["duration_ms"], (int, float))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", req["time"])
    root = svc.wait_log(lambda r: r["msg"] == "request" and r["path"] == "/")
    assert root["trace_id"] == headers["X-Trace-Id"]

    # WATCHDOG_USEC=400000 -> a ping about every 200 ms.
    deadline = ready_at + 1.5
    while time.monotonic() < deadline:
        time.sleep(0.05)
    pings = ns.times("WATCHDOG=1")
    assert len(pings) >= 5, pings
    gaps = sorted(b - a for a, b in zip(pings, pings[1:]))
    assert 0.15 <= gaps[len(gaps) // 2] <= 0.3, gaps
    assert gaps[-1] < 0.6, gaps

    sent = time.monotonic()
    svc.proc.send_signal(signal.SIGTERM)
    stopping = ns.wait_for("STOPPING=1")
    assert "STATUS=draining requests" in stopping
    assert svc.wait_exit(3) == 0
    assert time.monotonic() - sent < 3
    msgs = [r["msg"] for r in svc.records()]
    assert msgs[-2:] == ["shutting down", "shutdown complete"]
    assert all(r["service"] == "gosvc-demo" and r["version"] == VERSION for r in svc.records())


def test_abstract_notify_socket_and_watchdog_pid_of_this_process(binary, notify_socket, start):
    # WATCHDOG_PID is only known once the process exists: the shell sets it
    # to its own pid and exec()s the service, which keeps that pid.
    ns = notify_socket(abstract=True)
    port = _free_port()
    env = _env(NOTIFY_SOCKET=ns.env_value, WATCHDOG_USEC=200000, DEMO_LISTEN_ADDR=f"127.0.0.1:{port}")
    svc = start(env, argv=["/bin/sh", "-c", 'WATCHDOG_PID=$$ exec "$0"', binary])
    ns.wait_for("READY=1")
    rec = svc.wait_log(lambda r: r["msg"] == "listening")
    assert (rec["watchdog"], rec["pid"]) == (True, svc.proc.pid)
    ns.wait_for("WATCHDOG=1", timeout=2)
    svc.proc.send_signal(signal.SIGTERM)
    assert svc.wait_exit(3) == 0


def test_watchdog_pid_of_another_process_means_no_pings(start, notify_socket):
    ns = notify_socket()
    port = _free_port()
    svc = start(
        _env(NOTIFY_SOCKET=ns.env_value, WATCHDOG_USEC=200000, WATCHDOG_PID=1, DEMO_LISTEN_ADDR=f"127.0.0.1:{port}")
    )
    ns.wait_for("READY=1")
    rec = svc.wait_log(lambda r: r["msg"] == "listening")
    assert rec["watchdog"] is False
    assert "WATCHDOG_PID=1 is not this process" in rec["watchdog_off_reason"]
    time.sleep(0.5)
    assert ns.times("WATCHDOG=1") == []
    svc.proc.send_signal(signal.SIGTERM)
    assert svc.wait_exit(3) == 0


def test_flags_only_without_notify_socket(start):
    # Third-party style: no systemd variables, everything from flags; port 0
    # lets the kernel pick and the log line tells which.
    svc = start(_env(), args=("-listen", "127.0.0.1:0", "-service-name", "shop-api", "-shutdown-timeout", "2s"))
    rec = svc.wait_log(lambda r: r["msg"] == "listening")
    addr = rec["addr"]
    assert re.fullmatch(r"127\.0\.0\.1:\d+", addr) and not addr.endswith(":0")
    assert rec["activation"] == "self" and "fdname" not in rec
    status, body, _headers = _get(f"http://{addr}/healthz")
    assert (status, body) == (200, {"status": "ok", "version": VERSION, "service": "shop-api"})
    svc.proc.send_signal(signal.SIGINT)
    assert svc.wait_exit(3) == 0
    assert svc.records()[-2]["signal"] == "interrupt"


def test_unknown_flag_exits_2(binary):
    res = subprocess.run([binary, "-no-such-flag"], env=_env(), capture_output=True, text=True, timeout=10, check=False)
    assert res.returncode == 2
    assert "flag provided but not defined: -no-such-flag" in res.stderr


# (c) DEMO_FAIL_AT_START --------------------------------------------------------


def test_fail_at_start_exits_1_with_a_json_error(start, notify_socket):
    ns = notify_socket()
    port = _free_port()
    svc = start(_env(DEMO_FAIL_AT_START=1, NOTIFY_SOCKET=ns.env_value, DEMO_LISTEN_ADDR=f"127.0.0.1:{port}"))
    assert svc.wait_exit(5) == 1
    records = svc.records()
    assert len(records) == 1
    assert records[0]["level"] == "error"
    assert records[0]["variable"] == "DEMO_FAIL_AT_START"
    assert "DEMO_FAIL_AT_START" in records[0]["msg"]
    time.sleep(0.1)
    assert ns.times("READY=1") == []
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


# (d) DEMO_WATCHDOG_STOP_AFTER --------------------------------------------------


def test_watchdog_stop_after_stops_pings_but_keeps_serving(start, notify_socket):
    ns = notify_socket(abstract=True)
    port = _free_port()
    svc = start(
        _env(
            NOTIFY_SOCKET=ns.env_value,
            WATCHDOG_USEC=400000,
            DEMO_WATCHDOG_STOP_AFTER=1,
            DEMO_LISTEN_ADDR=f"127.0.0.1:{port}",
        )
    )
    ns.wait_for("READY=1")
    ready_at = ns.times("READY=1")[0]
    stopped = svc.wait_log(lambda r: r["msg"].startswith("watchdog pings stopped"), timeout=3)
    assert (stopped["level"], stopped["variable"], stopped["after_ms"]) == ("warn", "DEMO_WATCHDOG_STOP_AFTER", 1000)
    stop_seen = time.monotonic()
    time.sleep(0.8)  # two more ping periods with no ping
    pings = ns.times("WATCHDOG=1")
    assert len(pings) >= 3, pings  # about 200, 400, 600, 800 ms (1000 ms races with the stop)
    assert all(t - ready_at < 1.15 for t in pings), [t - ready_at for t in pings]
    assert not [t for t in pings if t > stop_seen]
    status, body, _headers = _get(f"http://127.0.0.1:{port}/healthz")
    assert (status, body["status"]) == (200, "ok")


# (e) DEMO_NOT_READY --------------------------------------------------------------


def test_not_ready_makes_readyz_503(start):
    port = _free_port()
    svc = start(_env(DEMO_NOT_READY=1, DEMO_LISTEN_ADDR=f"127.0.0.1:{port}"))
    _listening(svc)
    status, body, _headers = _get(f"http://127.0.0.1:{port}/readyz")
    assert status == 503
    assert body["status"] == "not_ready"
    assert (body["version"], body["service"]) == (VERSION, "gosvc-demo")
    assert "DEMO_NOT_READY" in body["reason"]
    status, body, _headers = _get(f"http://127.0.0.1:{port}/healthz")
    assert (status, body["status"]) == (200, "ok")
    svc.wait_log(lambda r: r["msg"] == "request" and r["path"] == "/readyz" and r["status"] == 503)


def test_die_at_request_kills_the_process_before_answering(start):
    # A service that passes its start-up checks and dies on a later request, as one whose handler
    # trips a seccomp filter that kills: the collection's verify must see it (fleet scenario).
    port = _free_port()
    svc = start(_env(DEMO_DIE_AT_REQUEST=2, DEMO_LISTEN_ADDR=f"127.0.0.1:{port}"))
    _listening(svc)
    assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected, urllib.error.URLError)):
        _get(f"http://127.0.0.1:{port}/readyz")
    assert svc.wait_exit() == -signal.SIGKILL
    died = svc.wait_log(lambda r: r["msg"].startswith("dying while handling a request"))
    assert (died["level"], died["request"], died["path"]) == ("error", 2, "/readyz")


# (f) DEMO_SLOW_MS and draining on SIGTERM ------------------------------------


def test_slow_ms_delays_every_response(start):
    port = _free_port()
    svc = start(_env(DEMO_SLOW_MS=300, DEMO_LISTEN_ADDR=f"127.0.0.1:{port}"))
    _listening(svc)
    for path in ("/healthz", "/readyz"):
        began = time.monotonic()
        status, _body, _headers = _get(f"http://127.0.0.1:{port}{path}")
        assert status == 200
        assert time.monotonic() - began >= 0.3
    # The request log line is written after the response; wait for both to arrive.
    svc.wait_log(lambda r: r["msg"] == "request" and r["path"] == "/readyz")
    logged = [r for r in svc.records() if r["msg"] == "request"]
    assert len(logged) == 2
    assert all(r["duration_ms"] >= 300 for r in logged), logged


def test_sigterm_drains_an_in_flight_request(start):
    port = _free_port()
    svc = start(_env(DEMO_SLOW_MS=1500, DEMO_LISTEN_ADDR=f"127.0.0.1:{port}"))
    _listening(svc)
    result = {}

    def call():
        result["answer"] = _get(f"http://127.0.0.1:{port}/healthz", {"X-Trace-Id": "in-flight"})

    client = _start_request_in_flight(svc, call)
    svc.proc.send_signal(signal.SIGTERM)
    svc.wait_log(lambda r: r["msg"] == "shutting down")
    # The listener closes right after that log line: poll (a loaded machine may be slow to get there)
    # until a new connection is refused, while the slow in-flight request is still being served.
    refused = False
    deadline = time.monotonic() + 1.0
    while not refused and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            time.sleep(0.02)
        except OSError:
            refused = True
    assert refused, "the service still accepted new connections 1s after SIGTERM"
    assert client.is_alive(), "the in-flight request finished before the refusal could be observed"
    client.join(5)
    assert result["answer"][0] == 200
    assert svc.wait_exit(5) == 0
    msgs = [(r["msg"], r.get("trace_id")) for r in svc.records()]
    assert msgs.index(("request", "in-flight")) < msgs.index(("shutdown complete", None))


def test_shutdown_timeout_bounds_the_drain(start):
    port = _free_port()
    svc = start(_env(DEMO_SLOW_MS=5000, DEMO_SHUTDOWN_TIMEOUT="300ms", DEMO_LISTEN_ADDR=f"127.0.0.1:{port}"))
    _listening(svc)
    outcome = {}

    def call():
        try:
            outcome["answer"] = _get(f"http://127.0.0.1:{port}/healthz")
        except OSError as err:
            outcome["error"] = err

    client = _start_request_in_flight(svc, call)
    sent = time.monotonic()
    svc.proc.send_signal(signal.SIGTERM)
    assert svc.wait_exit(5) == 0
    assert time.monotonic() - sent < 2
    # The cut-off handler may still log its request line after the warning (srv.Close() does not wait
    # for handlers), so the warning is looked up, not assumed to be the last line.
    timeouts = [r for r in svc.records() if r["msg"].startswith("shutdown timeout reached")]
    assert len(timeouts) == 1, svc.records()
    assert (timeouts[0]["level"], timeouts[0]["timeout_ms"]) == ("warn", 300)
    assert not [r for r in svc.records() if r["msg"] == "shutdown complete"]
    client.join(5)
    assert "error" in outcome, outcome  # the 5 s request was cut off, not answered


# (g) systemd socket activation -------------------------------------------------


def _listening_socket(backlog: int = 16) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    return sock


def _start_activated(start, binary: str, sock: socket.socket, **env) -> Service:
    """Start the service the way systemd does with a socket unit: ``sock`` as fd 3, LISTEN_PID its own pid.

    LISTEN_PID is only known once the process exists: the shell sets it to its own pid, moves the socket to
    fd 3 and exec()s the service, which keeps that pid. bash, not sh: dash only redirects fds 0 to 9.
    """
    fd = sock.fileno()
    move = "" if fd == 3 else f" 3<&{fd} {fd}<&-"
    argv = ["bash", "-c", f'LISTEN_PID=$$ exec "$0"{move}', binary]
    return start(_env(LISTEN_FDS=1, **env), argv=argv, pass_fds=(fd,))


def test_socket_activation_serves_on_the_passed_socket(binary, start):
    with _listening_socket() as sock:
        addr = "{}:{}".format(*sock.getsockname())
        svc = _start_activated(
            start,
            binary,
            sock,
            LISTEN_FDNAMES="gosvc-demo",
            DEMO_LISTEN_FDNAME="gosvc-demo",
            DEMO_LISTEN_ADDR="127.0.0.1:1",
        )
        rec = svc.wait_log(lambda r: r["msg"] == "listening")
        assert (rec["addr"], rec["activation"], rec["fd"], rec["fdname"]) == (addr, "systemd", 3, "gosvc-demo")
        assert rec["pid"] == svc.proc.pid  # the shell exec()ed the service: LISTEN_PID was right
        status, body, _headers = _get(f"http://{addr}/healthz", {"X-Trace-Id": "activated"})
        assert (status, body) == (200, {"status": "ok", "version": VERSION, "service": "gosvc-demo"})
        svc.wait_log(lambda r: r["msg"] == "request" and r.get("trace_id") == "activated")
        svc.proc.send_signal(signal.SIGTERM)
        assert svc.wait_exit(3) == 0
        assert [r for r in svc.records() if r["level"] != "info"] == []


def test_socket_activation_queues_connections_for_the_next_process(binary, start):
    # What a .socket unit gives: systemd keeps the listening socket open across a restart. Once the old
    # process has stopped, a new connection is not refused; it waits in the kernel's backlog and the next
    # process answers it.
    with _listening_socket() as sock:
        addr = "{}:{}".format(*sock.getsockname())
        first = _start_activated(start, binary, sock, LISTEN_FDNAMES="web")
        assert first.wait_log(lambda r: r["msg"] == "listening")["activation"] == "systemd"
        assert _get(f"http://{addr}/healthz")[0] == 200
        first.proc.send_signal(signal.SIGTERM)
        assert first.wait_exit(3) == 0
        assert first.records()[-1]["msg"] == "shutdown complete"

        with socket.create_connection(sock.getsockname(), timeout=5) as queued:
            queued.sendall(b"GET /healthz HTTP/1.1\r\nHost: demo\r\nX-Trace-Id: queued\r\nConnection: close\r\n\r\n")
            second = _start_activated(start, binary, sock, LISTEN_FDNAMES="web")
            answer = b""
            while chunk := queued.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == {
            "status": "ok",
            "version": VERSION,
            "service": "gosvc-demo",
        }
        second.wait_log(lambda r: r["msg"] == "request" and r.get("trace_id") == "queued")
        second.proc.send_signal(signal.SIGTERM)
        assert second.wait_exit(3) == 0


def test_socket_activation_with_an_unknown_fdname_exits_1(binary, start):
    with _listening_socket() as sock:
        svc = _start_activated(start, binary, sock, LISTEN_FDNAMES="web", DEMO_LISTEN_FDNAME="admin")
        assert svc.wait_exit(5) == 1
    [rec] = svc.records()
    assert rec["level"] == "error"
    assert 'no socket named "admin"' in rec["msg"] and '"web"' in rec["msg"]
    assert (rec["fdname"], rec["fdnames"]) == ("admin", ["web"])


def test_socket_activation_refuses_a_socket_that_does_not_listen(binary, start):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        svc = _start_activated(start, binary, sock)
        assert svc.wait_exit(5) == 1
    [rec] = svc.records()
    assert (rec["level"], rec["msg"], rec["fd"], rec["fdname"]) == (
        "error",
        "cannot use the socket passed by systemd",
        3,
        "unknown",
    )
    assert "not a stream socket" in rec["error"]


def test_listen_pid_of_another_process_means_binding_itself(start):
    port = _free_port()
    svc = start(_env(LISTEN_PID=1, LISTEN_FDS=1, DEMO_LISTEN_ADDR=f"127.0.0.1:{port}"))
    rec = svc.wait_log(lambda r: r["msg"] == "listening")
    assert (rec["addr"], rec["activation"]) == (f"127.0.0.1:{port}", "self")
    assert "LISTEN_PID=1 is not this process" in rec["activation_off_reason"]
    assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    svc.proc.send_signal(signal.SIGTERM)
    assert svc.wait_exit(3) == 0


# (h) invalid switch values -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEMO_FAIL_AT_START", "yes"),
        ("DEMO_NOT_READY", "maybe"),
        ("DEMO_WATCHDOG_STOP_AFTER", "-1"),
        ("DEMO_WATCHDOG_STOP_AFTER", "soon"),
        ("DEMO_SLOW_MS", "fast"),
        ("DEMO_SLOW_MS", "1.5"),
        ("DEMO_DIE_AT_REQUEST", "0"),
        ("DEMO_SHUTDOWN_TIMEOUT", "0"),
        ("DEMO_LISTEN_ADDR", "localhost"),
        ("DEMO_LISTEN_FDNAME", "web:admin"),
        ("LISTEN_PID", "abc"),
        ("WATCHDOG_USEC", "abc"),
    ],
)
def test_invalid_value_exits_2_naming_the_variable(binary, name, value):
    res = subprocess.run([binary], env=_env(**{name: value}), capture_output=True, text=True, timeout=10, check=False)
    assert res.returncode == 2, res.stdout
    lines = res.stdout.splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert (rec["level"], rec["variable"], rec["value"]) == ("error", name, value)
    assert f"invalid {name}=" in rec["msg"]


# (i) the Go unit tests -------------------------------------------------------------


def test_go_unit_tests_pass():
    # Same CGO_ENABLED and -trimpath as build.sh, so the compiled standard
    # library in the Go build cache is shared with the session's build.
    env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="", GOTOOLCHAIN="local", GOPROXY="off")
    res = subprocess.run(
        [GO, "test", "-trimpath", "-count=1", "./..."],
        cwd=SERVICE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("ok  \texample.com/gosvc-demo"), res.stdout
