# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault matrix case 5, hostile health endpoints: the HTTP(S) probe against real servers that misbehave.

Each server is a TCP (or TLS) listener on 127.0.0.1, port 0, whose connections are played by a small
function that hangs, trickles, redirects, lies or hangs up. The check goes through ``build_config`` and
``run_health_check``, as the health_check module does (service_probe and service_wait call the same two),
and must end as a failed attempt with a precise message within its timeout: no traceback, no hang.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
import tracemalloc

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.gosvc.hardening.plugins.module_utils import _http

#: How much later than its timeout an attempt may end (thread scheduling on a busy 2-core machine).
MARGIN = 0.4
#: How long a hostile server keeps up its act at most, so that a probe which does not give up fails the test.
ACT_LIMIT = 10.0


class HostileServer:
    """A listener on 127.0.0.1 whose every connection is played by ``act(conn, server)`` in a daemon thread.

    ``tls`` (a server ``ssl.SSLContext``) wraps each connection first. ``stop`` ends every act; ``sent``
    counts the body bytes an act handed to the kernel, ``connections`` the connections accepted and
    ``errors`` what ended an act early (the probe hanging up, a refused TLS handshake).
    """

    def __init__(self, act, tls=None):
        self.act = act
        self.tls = tls
        self.stop = threading.Event()
        self.connections = 0
        self.sent = 0
        self.errors = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _peer = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._play, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _play(self, conn):
        conn.settimeout(ACT_LIMIT)
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.act(conn, self)
        except OSError as exc:  # ssl.SSLError is an OSError
            self.errors.append(exc)
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.listener.close()
        for thread in self.threads:
            thread.join(5)


@pytest.fixture
def serve():
    """Start ``HostileServer(act, tls)``; every server started is stopped when the test ends."""
    started = []

    def _start(act, tls=None):
        started.append(HostileServer(act, tls))
        return started[-1]

    yield _start
    for server in started:
        server.close()


def read_request(conn):
    """Read the request head the probe sends (it has no body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def answer(status_and_headers, body=b""):
    """An act that reads the request, then sends the status line and headers as given, then ``body``, then closes."""

    def act(conn, server):
        read_request(conn)
        conn.sendall(status_and_headers.encode() + b"\r\n" + body)

    return act


def check(url, **params):
    """``run_health_check`` with one attempt, as the module runs it: ``(result, seconds it took)``."""
    config = _http.build_config({"url": url, "retries": 0, **params})
    started = time.monotonic()
    result = _http.run_health_check(config)
    return result, time.monotonic() - started


_RECORD = {}


@pytest.fixture(autouse=True)
def _observed(record_property):
    """Lets ``assert_failed`` note the failure it saw for docs/reliability.md (``observed``)."""
    _RECORD["note"] = record_property
    yield
    _RECORD.clear()


def _stable(text):
    """``text`` without what varies from run to run: ports, and the C source line of an ssl error."""
    text = re.sub(r"(127\.0\.0\.1|localhost):\d+", r"\1:PORT", text)
    return re.sub(r" \(_ssl\.c:\d+\)", "", text)


def assert_failed(result, url, last_attempt):
    """The check failed after its one attempt, and the message ends with ``last_attempt`` (no traceback)."""
    if "note" in _RECORD:
        _RECORD["note"]("observed", f"failed: {_stable(last_attempt)}")
    assert result["stop_reason"] == _http.STOP_RETRIES_EXHAUSTED
    assert [attempt["ok"] for attempt in result["attempts"]] == [False]
    assert result["msg"] == (
        f"health check of {url} failed: no success after 1 attempt(s) (retries=0, success_threshold=1); "
        f"last attempt: {last_attempt}"
    )
    assert result["failures"] == [last_attempt]
    assert "Traceback" not in result["msg"]


# --------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, extensions):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return builder.sign(signing_key, hashes.SHA256())


def _write(path, *items):
    with open(path, "wb") as handle:
        for item in items:
            if isinstance(item, x509.Certificate):
                handle.write(item.public_bytes(serialization.Encoding.PEM))
            else:
                handle.write(
                    item.private_bytes(
                        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                    )
                )
    return str(path)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A private CA (``ca``: its PEM file) and server contexts for certificates it signed.

    ``right``: for 127.0.0.1 and localhost; ``wrong``: for other.example.test only.
    """
    directory = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate(
        "hostile test CA",
        "hostile test CA",
        ca_key.public_key(),
        ca_key,
        # Python 3.13's default context verifies strictly (VERIFY_X509_STRICT): a CA needs key usage and a
        # subject key identifier, a leaf an authority key identifier.
        [
            (x509.BasicConstraints(ca=True, path_length=None), True),
            (x509.KeyUsage(False, False, False, False, False, True, True, False, False), True),
            (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False),
        ],
    )
    contexts = {}
    names = {
        "right": [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
        "wrong": [x509.DNSName("other.example.test")],
    }
    for label, sans in names.items():
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = _certificate(
            label,
            "hostile test CA",
            key.public_key(),
            ca_key,
            [
                (x509.SubjectAlternativeName(sans), False),
                (x509.BasicConstraints(ca=False, path_length=None), True),
                (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
            ],
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(_write(directory / f"{label}.pem", leaf, key))
        contexts[label] = context
    return {"ca": _write(directory / "ca.pem", ca), **contexts}


# --------------------------------------------------------------------------
# 1 and 9: silence
# --------------------------------------------------------------------------


def hang(conn, server):
    server.stop.wait(ACT_LIMIT)


def hang_after_request(conn, server):
    read_request(conn)
    server.stop.wait(ACT_LIMIT)


@pytest.mark.fault(
    case="5",
    name="silent after accept",
    injected="the server accepts the TCP connection (and reads the request, or not) but never sends a byte",
    expected="failed check: 'response headers timed out (attempt budget 1s)' (https: 'TLS handshake timed out') "
    "after the 1 s timeout",
)
@pytest.mark.parametrize(
    ("scheme", "act", "phase"),
    [
        ("http", hang, "response headers"),
        ("http", hang_after_request, "response headers"),
        ("https", hang, "TLS handshake"),
    ],
    ids=["http-request-unread", "http-request-read", "https-no-handshake"],
)
def test_a_server_that_never_answers_times_out(serve, scheme, act, phase):
    server = serve(act)
    url = f"{scheme}://127.0.0.1:{server.port}/healthz"
    result, elapsed = check(url, timeout=1)
    assert_failed(result, url, f"{phase} timed out (attempt budget 1s)")
    assert 0.9 <= elapsed <= 1 + MARGIN
    assert result["status"] is None


@pytest.mark.fault(
    case="5",
    name="hang after headers",
    injected="the server sends the status line and headers, then nothing, keeping the connection open",
    expected="failed check: 'body timed out (attempt budget 1s)' after the 1 s timeout",
)
@pytest.mark.parametrize(
    "head",
    [
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n",
        "HTTP/1.1 200 OK\r\nConnection: close\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n",
    ],
    ids=["content-length", "read-until-close", "chunked"],
)
def test_a_server_that_hangs_after_the_headers_times_out(serve, head):
    def act(conn, server):
        answer(head)(conn, server)
        server.stop.wait(ACT_LIMIT)

    server = serve(act)
    url = f"http://127.0.0.1:{server.port}/healthz"
    result, elapsed = check(url, timeout=1)
    assert_failed(result, url, "body timed out (attempt budget 1s)")
    assert 0.9 <= elapsed <= 1 + MARGIN
    assert result["status"] == 200


# --------------------------------------------------------------------------
# 2: trickle
# --------------------------------------------------------------------------


def trickle(head, drip):
    """An act that sends ``head`` then one byte of ``drip`` a second (far longer than any timeout here).

    It hangs up after ACT_LIMIT seconds (the test then fails on the time the probe took).
    """

    def act(conn, server):
        read_request(conn)
        conn.sendall(head.encode())
        for byte in drip[: int(ACT_LIMIT)]:
            conn.sendall(bytes([byte]))
            if server.stop.wait(1.0):
                return

    return act


@pytest.mark.fault(
    case="5",
    name="trickled response",
    injected="the server sends the body (or the headers) one byte per second; each byte comes well within the "
    "timeout, the whole response would take minutes",
    expected="failed check: 'body timed out' ('response headers timed out') at the 1.5 s timeout of the attempt, "
    "not reset by each byte",
)
@pytest.mark.parametrize(
    ("head", "drip", "phase", "status"),
    [
        ("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"x" * 100, "body", 200),
        ("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", b"x" * 100, "body", 200),
        ("HTTP/1.0 200 OK\r\n\r\n", b"x" * 100, "body", 200),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n", b"x" * 100, "body", 200),
        ("HTTP/1.1 200 OK\r\n", b"X-Drip: " + b"x" * 100, "response headers", None),
        ("", b"HTTP/1.1 200 OK\r\n", "response headers", None),
    ],
    ids=["body-content-length", "body-connection-close", "body-http10", "body-chunked", "headers", "status-line"],
)
def test_a_trickling_server_fails_at_the_attempt_timeout(serve, head, drip, phase, status):
    server = serve(trickle(head, drip))
    url = f"http://127.0.0.1:{server.port}/healthz"
    result, elapsed = check(url, timeout=1.5)
    assert_failed(result, url, f"{phase} timed out (attempt budget 1.5s)")
    assert 1.4 <= elapsed <= 1.5 + MARGIN
    assert result["status"] == status


def test_probe_once_stops_a_trickled_body_at_its_budget(serve):
    """probe_once alone: the budget bounds the whole body, and what arrived so far is not passed off as the body."""
    server = serve(trickle("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"x" * 100))
    config = _http.build_config({"url": f"http://127.0.0.1:{server.port}/healthz"})
    started = time.monotonic()
    response = _http.probe_once(config, 1.2)
    elapsed = time.monotonic() - started
    assert (response.error, response.status, response.body) == ("body timed out (attempt budget 1.2s)", 200, b"")
    assert 1.1 <= elapsed <= 1.2 + MARGIN
    assert _http.evaluate(config, response) == (["body timed out (attempt budget 1.2s)"], None)


# --------------------------------------------------------------------------
# 3: redirect to another host
# --------------------------------------------------------------------------


@pytest.mark.fault(
    case="5",
    name="redirect to another host",
    injected="the server answers 302 with a Location on another host name (localhost for 127.0.0.1, example.invalid)",
    expected="failed check naming the redirect, the other host and the Location; the redirect is not followed",
)
@pytest.mark.parametrize("where", ["loopback-by-name", "invalid-domain"])
def test_a_redirect_to_another_host_fails_and_is_not_followed(serve, where):
    elsewhere = serve(answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", b"ok"))
    location = {
        "loopback-by-name": f"http://localhost:{elsewhere.port}/healthz",
        "invalid-domain": "http://example.invalid/healthz",
    }[where]
    other = location.split("/")[2].split(":")[0]
    server = serve(answer(f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"))
    url = f"http://127.0.0.1:{server.port}/healthz"
    result, elapsed = check(url, timeout=1)
    assert_failed(
        result,
        url,
        f"redirect: 302 to another host {other!r} (Location: {location}); only redirects that stay on "
        "'127.0.0.1' count as success (set allow_redirect_to_other_host=true to accept it)",
    )
    assert elapsed <= 1 + MARGIN
    assert (result["status"], server.connections, elsewhere.connections) == (302, 1, 0)


@pytest.mark.fault(
    case="5",
    name="redirect to another port",
    injected="the server answers 302 with a Location on the same host name (127.0.0.1) but another port",
    expected="passes as the 302 itself (a change of port alone stays on the host); the redirect is not followed",
)
def test_a_redirect_to_another_port_of_the_same_host_counts_and_is_not_followed(serve):
    elsewhere = serve(answer("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"))
    location = f"http://127.0.0.1:{elsewhere.port}/healthz"
    server = serve(answer(f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"))
    result, _elapsed = check(f"http://127.0.0.1:{server.port}/healthz", timeout=1)
    assert (result["stop_reason"], result["status"], result["failures"]) == (_http.STOP_SUCCESS, 302, [])
    assert "msg" not in result
    assert (server.connections, elsewhere.connections) == (1, 0)


# --------------------------------------------------------------------------
# 4: a 200 that says it is failing
# --------------------------------------------------------------------------


@pytest.mark.fault(
    case="5",
    name="200 with a failing status document",
    injected='the server answers 200 with {"status":"fail"} (or a failing nested check) where json_assertions '
    "expect ok",
    expected="failed check naming the assertion, its JSON path, the expected and the actual value",
)
@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"status": "fail"}, "status"),
        ({"status": "ok", "checks": {"db": {"status": "fail"}}}, "checks.db.status"),
    ],
    ids=["top-level", "nested"],
)
def test_a_200_whose_document_says_fail_fails_the_json_assertion(serve, document, path):
    body = json.dumps(document).encode()
    server = serve(
        answer(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n", body)
    )
    url = f"http://127.0.0.1:{server.port}/healthz"
    result, elapsed = check(url, timeout=1, json_assertions=[{"path": path, "equals": "ok"}])
    assert_failed(result, url, f'json_assertions[0] ({path}): expected equals "ok", got "fail"')
    assert elapsed <= 1 + MARGIN
    assert (result["status"], result["json"]) == (200, document)


# --------------------------------------------------------------------------
# 5: a huge body
# --------------------------------------------------------------------------

HUGE = 50 * 1024 * 1024


def flood(conn, server):
    """Announce a 50 MB body and stream it in 64 KiB pieces until the probe hangs up; count what was sent."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    read_request(conn)
    conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {HUGE}\r\n\r\n".encode())
    piece = b"x" * 65536
    while server.sent < HUGE and not server.stop.is_set():
        conn.sendall(piece)
        server.sent += len(piece)


@pytest.mark.fault(
    case="5",
    name="50 MB body",
    injected="the server streams a 50 MB body (Content-Length: 52428800) until the probe hangs up",
    expected="the probe reads max_body_bytes and hangs up: without body checks it passes with body_truncated; with "
    "json_assertions it fails 'body: larger than max_body_bytes=...'; the server sent only a small part",
)
@pytest.mark.parametrize("with_assertion", [False, True], ids=["no-body-checks", "json-assertions"])
def test_a_huge_body_is_read_only_up_to_max_body_bytes(serve, with_assertion):
    server = serve(flood)
    url = f"http://127.0.0.1:{server.port}/healthz"
    params = {"timeout": 2, "max_body_bytes": 65536, "return_body_bytes": 100}
    if with_assertion:
        params["json_assertions"] = [{"path": "status", "equals": "ok"}]
    tracemalloc.start()
    try:
        result, elapsed = check(url, **params)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if with_assertion:
        assert_failed(
            result,
            url,
            "body: larger than max_body_bytes=65536, so body_regex/json_assertions cannot be checked; "
            "raise max_body_bytes",
        )
    else:
        assert (result["stop_reason"], result["failures"]) == (_http.STOP_SUCCESS, [])
    assert (result["status"], result["body"], result["body_truncated"], result["json"]) == (200, "x" * 100, True, None)
    assert elapsed <= 2 + MARGIN
    assert peak < 4 * 1024 * 1024
    for thread in server.threads[1:]:
        thread.join(5)  # the act ends once the probe has hung up
    assert server.errors and isinstance(server.errors[0], (BrokenPipeError, ConnectionResetError))
    # Kernel buffers on both ends hold some hundreds of KiB; far from the 50 MB announced.
    assert server.sent < 8 * 1024 * 1024, (
        f"the server handed {server.sent} bytes to the kernel before the probe hung up"
    )


def test_probe_once_reads_exactly_max_body_bytes_of_a_huge_body(serve):
    server = serve(flood)
    config = _http.build_config({"url": f"http://127.0.0.1:{server.port}/healthz", "max_body_bytes": 1000})
    response = _http.probe_once(config, 2)
    assert (response.error, response.status, len(response.body), response.truncated) == (None, 200, 1000, True)


# --------------------------------------------------------------------------
# 6 and 7: certificates
# --------------------------------------------------------------------------


@pytest.mark.fault(
    case="5",
    name="certificate from an unknown CA",
    injected="the https server presents a certificate signed by a CA the probe does not trust (validate_certs on)",
    expected="failed check: 'TLS handshake failed: TLS error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
    "failed: unable to get local issuer certificate'",
)
def test_a_certificate_from_an_unknown_ca_fails_verification(serve, pki):
    server = serve(hang_after_request, tls=pki["right"])
    url = f"https://127.0.0.1:{server.port}/healthz"
    result, elapsed = check(url, timeout=1)
    (failure,) = result["failures"]
    assert_failed(result, url, failure)
    assert failure.startswith(
        "TLS handshake failed: TLS error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "unable to get local issuer certificate"
    )
    assert "client_cert" not in failure
    assert elapsed <= 1 + MARGIN
    assert (result["status"], result["tls"]) == (None, None)


@pytest.mark.fault(
    case="5",
    name="certificate for another name",
    injected="the https server presents a certificate from a CA given in ca_path, but for other.example.test only; "
    "the probe asks for 127.0.0.1 (or for server_name api.example.test)",
    expected="failed check: 'certificate verify failed: IP address mismatch' / 'Hostname mismatch, certificate is "
    "not valid for ...' naming the name asked for",
)
@pytest.mark.parametrize(
    ("server_name", "mismatch"),
    [
        (None, "IP address mismatch, certificate is not valid for '127.0.0.1'"),
        ("api.example.test", "Hostname mismatch, certificate is not valid for 'api.example.test'"),
    ],
    ids=["ip", "server-name"],
)
def test_a_certificate_for_another_name_fails_the_hostname_check(serve, pki, server_name, mismatch):
    ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
    server = serve(answer(ok, b"ok"), tls=pki["wrong"])
    url = f"https://127.0.0.1:{server.port}/healthz"
    params = {"timeout": 1, "ca_path": pki["ca"]}
    if server_name:
        params["server_name"] = server_name
    result, elapsed = check(url, **params)
    (failure,) = result["failures"]
    assert_failed(result, url, failure)
    assert failure.startswith(
        f"TLS handshake failed: TLS error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {mismatch}"
    )
    assert elapsed <= 1 + MARGIN
    # The CA is trusted: asked for the name the certificate holds, the same server passes.
    trusted, _elapsed = check(url, timeout=1, ca_path=pki["ca"], server_name="other.example.test")
    assert (trusted["stop_reason"], trusted["status"], trusted["tls"]["sans"]) == (
        _http.STOP_SUCCESS,
        200,
        ["DNS:other.example.test"],
    )


# --------------------------------------------------------------------------
# 8: hang-ups
# --------------------------------------------------------------------------


def hang_up_before_status(conn, server):
    read_request(conn)


@pytest.mark.fault(
    case="5",
    name="connection closed mid-response",
    injected="the server closes the connection after 10 of the 1000 bytes its Content-Length announced (or mid "
    "chunk, or before any status line)",
    expected="failed check: 'body to 127.0.0.1:PORT failed: IncompleteRead(10 bytes read, 990 more expected)' / "
    "'response headers to 127.0.0.1:PORT failed: Remote end closed connection without response'",
)
@pytest.mark.parametrize(
    ("act", "failure", "status"),
    [
        (
            answer("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n", b"0123456789"),
            "body to 127.0.0.1:{port} failed: IncompleteRead(10 bytes read, 990 more expected)",
            200,
        ),
        (
            answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n", b"3e8\r\n0123456789"),
            "body to 127.0.0.1:{port} failed: IncompleteRead(0 bytes read)",
            200,
        ),
        (
            hang_up_before_status,
            "response headers to 127.0.0.1:{port} failed: Remote end closed connection without response",
            None,
        ),
    ],
    ids=["content-length", "chunked", "before-status-line"],
)
def test_a_connection_closed_mid_response_fails(serve, act, failure, status):
    server = serve(act)
    url = f"http://127.0.0.1:{server.port}/healthz"
    result, elapsed = check(url, timeout=1)
    assert_failed(result, url, failure.format(port=server.port))
    assert elapsed <= 1 + MARGIN
    assert result["status"] == status
