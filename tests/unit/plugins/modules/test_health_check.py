# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end tests of gosvc.hardening.health_check against real servers in this process.

Every server listens on 127.0.0.1 (or a unix socket in tmp_path) and serves
from a thread; HTTPS certificates are generated per session with the
``cryptography`` package, so TLS runs through the real OpenSSL stack.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.gosvc.hardening.plugins.modules import health_check

# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------


class Reply:
    def __init__(self, status=200, body=b"", headers=None, wait=0.0, chunked=False):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = headers or {}
        self.wait = wait
        self.chunked = chunked


def json_reply(document, status=200):
    return Reply(status, json.dumps(document), {"Content-Type": "application/json"})


class Routes:
    """Path -> Reply, or a list of Replies served in turn (the last one repeats)."""

    def __init__(self):
        self.table = {}
        self.hits = {}
        self.release = threading.Event()

    def next(self, path):
        self.hits[path] = self.hits.get(path, 0) + 1
        entry = self.table.get(path, Reply(404, "not found"))
        if isinstance(entry, list):
            return entry.pop(0) if len(entry) > 1 else entry[0]
        return entry


def make_handler(routes):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # as Go's net/http answers; lets bodies be chunked

        def _serve(self, send_body):
            reply = routes.next(self.path)
            if reply.wait:
                routes.release.wait(reply.wait)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if send_body and reply.chunked:
                for start in range(0, len(reply.body), 4096):
                    piece = reply.body[start : start + 4096]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            elif send_body:
                self.wfile.write(reply.body)

        def do_GET(self):
            self._serve(True)

        def do_HEAD(self):
            self._serve(False)

        def log_message(self, *args):
            pass

    return Handler


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that abort (timeouts, refused TLS) are part of the tests


class UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class Running:
    def __init__(self, server, routes, base):
        self.server = server
        self.routes = routes
        self.base = base
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path):
        return self.base + path

    def stop(self):
        self.routes.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def start_server():
    running = []

    def _start(tls_context=None):
        routes = Routes()
        server = QuietThreadingHTTPServer(("127.0.0.1", 0), make_handler(routes))
        scheme = "http"
        if tls_context is not None:
            server.socket = tls_context.wrap_socket(server.socket, server_side=True)
            scheme = "https"
        item = Running(server, routes, f"{scheme}://127.0.0.1:{server.server_address[1]}")
        running.append(item)
        return item

    yield _start
    for item in running:
        item.stop()


@pytest.fixture
def server(start_server):
    return start_server()


# --------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------

NOW = datetime.datetime.now(datetime.timezone.utc)
SERVER_DAYS = 10  # the server certificate expires 10.5 days from now: days_remaining == 10


def _name(common_name):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gosvc test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _issue(subject, key, issuer, issuer_key, not_after, ca=False, sans=None, usage=None):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(hours=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path, *items):
    with open(path, "wb") as handle:
        for item in items:
            if isinstance(item, x509.Certificate):
                handle.write(item.public_bytes(serialization.Encoding.PEM))
            else:
                handle.write(
                    item.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )
    return str(path)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    base = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("gosvc test CA")
    ca = _issue(ca_name, ca_key, ca_name, ca_key, NOW + datetime.timedelta(days=365), ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _issue(
        _name("localhost"),
        server_key,
        ca_name,
        ca_key,
        NOW + datetime.timedelta(days=SERVER_DAYS, hours=12),
        sans=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue(
        _name("probe"),
        client_key,
        ca_name,
        ca_key,
        NOW + datetime.timedelta(days=30),
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    return {
        "ca": _write(base / "ca.pem", ca),
        "server_cert": _write(base / "server.pem", server),
        "server_key": _write(base / "server-key.pem", server_key),
        "client_cert": _write(base / "client.pem", client),
        "client_key": _write(base / "client-key.pem", client_key),
        "client_combined": _write(base / "client-combined.pem", client, client_key),
        "server": server,
    }


def server_context(pki, require_client_cert=False):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["server_cert"], pki["server_key"])
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki["ca"])
    return context


@pytest.fixture
def tls_server(start_server, pki):
    running = start_server(server_context(pki))
    running.routes.table["/healthz"] = json_reply({"status": "ok"})
    return running


# --------------------------------------------------------------------------
# Plain HTTP
# --------------------------------------------------------------------------


def test_json_ok(run_module, server):
    server.routes.table["/healthz"] = json_reply({"status": "ok", "checks": {"db": {"status": "ok"}}})
    result = run_module(
        health_check,
        {
            "url": server.url("/healthz"),
            "json_assertions": [
                {"path": "status", "equals": "ok"},
                {"path": "checks.db.status", "in": ["ok", "degraded"]},
            ],
        },
    )
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["status"] == 200
    assert result["json"] == {"status": "ok", "checks": {"db": {"status": "ok"}}}
    assert json.loads(result["body"]) == result["json"]
    assert result["failures"] == []
    assert result["stop_reason"] == "success"
    assert result["tls"] is None
    assert len(result["attempts"]) == 1
    attempt = result["attempts"][0]
    assert attempt["attempt"] == 1 and attempt["ok"] is True and attempt["status"] == 200
    assert attempt["error"] is None and attempt["latency_ms"] >= 0
    assert result["elapsed_ms"] >= attempt["latency_ms"]


def test_check_mode_probes_the_same_way(run_module, server):
    server.routes.table["/healthz"] = Reply(204)
    result = run_module(health_check, {"url": server.url("/healthz")}, check_mode=True)
    assert not result.get("failed"), result
    assert result["changed"] is False and result["status"] == 204
    assert server.routes.hits["/healthz"] == 1


def test_head_request(run_module, server):
    server.routes.table["/healthz"] = Reply(200, "body that HEAD must not return")
    result = run_module(health_check, {"url": server.url("/healthz"), "method": "HEAD"})
    assert not result.get("failed"), result
    assert result["status"] == 200 and result["body"] == ""


def test_retries_until_two_consecutive_successes(run_module, server):
    server.routes.table["/ready"] = [Reply(503, "starting"), Reply(200, "ok"), Reply(503, "flap"), Reply(200, "ok")]
    result = run_module(
        health_check,
        {"url": server.url("/ready"), "status_codes": ["200"], "retries": 5, "delay": 0.02, "success_threshold": 2},
    )
    assert not result.get("failed"), result
    assert [a["status"] for a in result["attempts"]] == [503, 200, 503, 200, 200]
    assert [a["ok"] for a in result["attempts"]] == [False, True, False, True, True]
    assert result["attempts"][0]["error"] == "status: expected 200, got 503"
    assert server.routes.hits["/ready"] == 5


def test_success_threshold_not_reachable_stops_early(run_module, server):
    server.routes.table["/ready"] = [Reply(503), Reply(200), Reply(503), Reply(200)]
    result = run_module(
        health_check,
        {"url": server.url("/ready"), "status_codes": ["200"], "retries": 3, "delay": 0.01, "success_threshold": 2},
    )
    assert result["failed"] is True
    # after attempt 3 fails only one attempt is left, which cannot make two in a row
    assert [a["status"] for a in result["attempts"]] == [503, 200, 503]
    assert result["stop_reason"] == "retries_exhausted"
    assert "no success after 3 attempt(s) (retries=3, success_threshold=2)" in result["msg"]


def test_failure_threshold_stops_early(run_module, server):
    server.routes.table["/down"] = Reply(503, "down")
    result = run_module(
        health_check,
        {"url": server.url("/down"), "retries": 10, "delay": 0.01, "failure_threshold": 3},
    )
    assert result["failed"] is True
    assert len(result["attempts"]) == 3
    assert result["stop_reason"] == "failure_threshold"
    assert result["failures"] == ["status: expected 200-399, got 503"]
    assert "3 consecutive failures reached failure_threshold" in result["msg"]


def test_connection_refused(run_module):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens on this port any more
    result = run_module(health_check, {"url": f"http://127.0.0.1:{port}/healthz"})
    assert result["failed"] is True
    assert result["status"] is None
    assert result["failures"][0].startswith(f"connect to 127.0.0.1:{port} failed:")
    assert "refused" in result["failures"][0].lower()


@pytest.mark.timing
def test_slow_endpoint_times_out(run_module, server):
    server.routes.table["/slow"] = Reply(200, "late", wait=5)
    started = time.monotonic()
    result = run_module(health_check, {"url": server.url("/slow"), "timeout": 0.3})
    took = time.monotonic() - started
    assert result["failed"] is True
    assert result["failures"] == ["response headers timed out (attempt budget 0.3s)"]
    assert result["attempts"][0]["latency_ms"] >= 250
    assert took < 2.0


@pytest.mark.timing
def test_deadline_bounds_total_time(run_module, server):
    server.routes.table["/slow"] = Reply(200, "late", wait=5)
    started = time.monotonic()
    result = run_module(
        health_check,
        {"url": server.url("/slow"), "timeout": 0.6, "retries": 100, "delay": 0.05, "deadline": 1.0},
    )
    took = time.monotonic() - started
    assert result["failed"] is True
    assert result["stop_reason"] == "deadline"
    assert "deadline of 1s reached" in result["msg"]
    assert 2 <= len(result["attempts"]) <= 3
    assert 0.9 <= took < 2.5  # the deadline is 1 s; generous slack for a loaded CI host
    assert result["elapsed_ms"] < 1500


def test_redirect_same_host_is_success(run_module, server):
    server.routes.table["/old"] = Reply(302, headers={"Location": "/healthz"})
    result = run_module(health_check, {"url": server.url("/old")})
    assert not result.get("failed"), result
    assert result["status"] == 302
    assert "/healthz" not in server.routes.hits  # redirects are not followed


def test_redirect_same_host_absolute_other_port_is_success(run_module, server):
    server.routes.table["/old"] = Reply(301, headers={"Location": "https://127.0.0.1:8443/healthz"})
    result = run_module(health_check, {"url": server.url("/old")})
    assert not result.get("failed"), result


def test_redirect_other_host_is_failure(run_module, server):
    server.routes.table["/login"] = Reply(302, headers={"Location": "https://sso.example.com/auth"})
    result = run_module(health_check, {"url": server.url("/login")})
    assert result["failed"] is True
    assert result["status"] == 302
    assert result["failures"] == [
        "redirect: 302 to another host 'sso.example.com' (Location: https://sso.example.com/auth); only redirects "
        "that stay on '127.0.0.1' count as success (set allow_redirect_to_other_host=true to accept it)"
    ]


def test_redirect_other_host_allowed(run_module, server):
    server.routes.table["/login"] = Reply(302, headers={"Location": "https://sso.example.com/auth"})
    result = run_module(health_check, {"url": server.url("/login"), "allow_redirect_to_other_host": True})
    assert not result.get("failed"), result


def test_redirect_not_in_status_codes(run_module, server):
    server.routes.table["/old"] = Reply(302, headers={"Location": "/healthz"})
    result = run_module(health_check, {"url": server.url("/old"), "status_codes": ["200-299"]})
    assert result["failed"] is True
    assert result["failures"] == ["status: expected 200-299, got 302"]


def test_body_regex(run_module, server):
    server.routes.table["/healthz"] = Reply(200, "service: ready\n")
    ok = run_module(health_check, {"url": server.url("/healthz"), "body_regex": r"\bready\b"})
    assert not ok.get("failed"), ok
    bad = run_module(health_check, {"url": server.url("/healthz"), "body_regex": r"^healthy$"})
    assert bad["failed"] is True
    assert bad["failures"] == [
        "body_regex: expected a match for /^healthy$/, got a 15-byte body starting 'service: ready\\n'"
    ]


def test_nested_json_assertions_report_each_failure(run_module, server):
    document = {"status": "degraded", "checks": {"db": {"status": "down", "latency_ms": 12}}, "items": [{"n": 1}]}
    server.routes.table["/healthz"] = json_reply(document)
    result = run_module(
        health_check,
        {
            "url": server.url("/healthz"),
            "json_assertions": [
                {"path": "status", "equals": "ok"},
                {"path": "checks.db.status", "in": ["ok", "degraded"]},
                {"path": "checks.db.latency_ms", "equals": "12"},  # a templated string still matches the number
                {"path": "checks.cache.status", "exists": True},
                {"path": "items.0.n", "matches": "^[2-9]$"},
                {"path": "checks.db", "exists": False},
            ],
        },
    )
    assert result["failed"] is True
    assert result["json"] == document
    assert result["failures"] == [
        'json_assertions[0] (status): expected equals "ok", got "degraded"',
        'json_assertions[1] (checks.db.status): expected one of ["ok", "degraded"], got "down"',
        "json_assertions[3] (checks.cache.status): expected to exist, got nothing (key 'cache' missing under checks)",
        "json_assertions[4] (items.0.n): expected a value matching /^[2-9]$/, got 1",
        'json_assertions[5] (checks.db): expected to be absent, got {"latency_ms": 12, "status": "down"}',
    ]
    for failure in result["failures"]:
        assert failure in result["msg"]


def test_json_assertions_on_non_json_body(run_module, server):
    server.routes.table["/healthz"] = Reply(200, "<html>OK</html>", {"Content-Type": "text/html"})
    result = run_module(
        health_check, {"url": server.url("/healthz"), "json_assertions": [{"path": "status", "equals": "ok"}]}
    )
    assert result["failed"] is True
    assert result["json"] is None
    assert result["failures"] == [
        "json: expected a JSON body for json_assertions, got 15 bytes that do not parse "
        "(Expecting value: line 1 column 1 (char 0)), starting '<html>OK</html>'"
    ]


def test_body_larger_than_cap(run_module, server):
    server.routes.table["/big"] = json_reply({"status": "ok", "pad": "x" * 5000})
    checked = run_module(
        health_check,
        {"url": server.url("/big"), "max_body_bytes": 1024, "json_assertions": [{"path": "status", "equals": "ok"}]},
    )
    assert checked["failed"] is True
    assert checked["failures"] == [
        "body: larger than max_body_bytes=1024, so body_regex/json_assertions cannot be checked; raise max_body_bytes"
    ]
    plain = run_module(health_check, {"url": server.url("/big"), "max_body_bytes": 1024, "return_body_bytes": 20})
    assert not plain.get("failed"), plain
    assert plain["body"] == '{"status": "ok", "pa'
    assert plain["body_truncated"] is True
    assert plain["json"] is None


def test_chunked_body(run_module, server):
    document = {"status": "ok", "pad": "y" * 20000}
    server.routes.table["/chunked"] = Reply(200, json.dumps(document), chunked=True)
    whole = run_module(
        health_check, {"url": server.url("/chunked"), "json_assertions": [{"path": "status", "equals": "ok"}]}
    )
    assert not whole.get("failed"), whole
    assert whole["json"] == document
    capped = run_module(
        health_check,
        {"url": server.url("/chunked"), "max_body_bytes": 10000, "body_regex": "ok"},
    )
    assert capped["failed"] is True
    assert capped["failures"][0].startswith("body: larger than max_body_bytes=10000")


def test_unix_socket(run_module, tmp_path):
    routes = Routes()
    routes.table["/healthz?verbose=1"] = json_reply({"status": "ok"})
    path = str(tmp_path / "app.sock")
    server = UnixHTTPServer(path, make_handler(routes))
    running = Running(server, routes, "")
    try:
        url = "http+unix://" + quote(path, safe="") + "/healthz?verbose=1"
        result = run_module(health_check, {"url": url, "json_assertions": [{"path": "status", "equals": "ok"}]})
    finally:
        running.stop()
    assert not result.get("failed"), result
    assert result["url"] == url
    assert result["json"] == {"status": "ok"}


def test_unix_socket_missing(run_module, tmp_path):
    path = str(tmp_path / "absent.sock")
    result = run_module(health_check, {"url": "http+unix://" + quote(path, safe="") + "/healthz"})
    assert result["failed"] is True
    assert result["failures"][0].startswith(f"connect to unix socket {path} failed: [Errno 2]")


# --------------------------------------------------------------------------
# HTTPS
# --------------------------------------------------------------------------


def test_https_with_ca(run_module, tls_server, pki):
    result = run_module(health_check, {"url": tls_server.url("/healthz"), "ca_path": pki["ca"], "min_cert_days": 5})
    assert not result.get("failed"), result
    tls = result["tls"]
    cert = pki["server"]
    assert tls["verified"] is True
    assert tls["version"].startswith("TLSv1.")
    assert tls["subject"] == {"organizationName": "gosvc test", "commonName": "localhost"}
    assert tls["issuer"] == {"organizationName": "gosvc test", "commonName": "gosvc test CA"}
    assert tls["sans"] == ["DNS:localhost", "IP:127.0.0.1"]
    assert tls["not_after"] == cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert tls["not_before"] == cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert int(tls["serial"], 16) == cert.serial_number
    assert tls["days_remaining"] == SERVER_DAYS
    assert tls["sha256_fingerprint"] == cert.fingerprint(hashes.SHA256()).hex(":").upper()


def test_https_unverified_reports_the_same_certificate(run_module, tls_server, pki):
    verified = run_module(health_check, {"url": tls_server.url("/healthz"), "ca_path": pki["ca"]})
    unverified = run_module(health_check, {"url": tls_server.url("/healthz"), "validate_certs": False})
    assert not unverified.get("failed"), unverified
    assert unverified["tls"]["verified"] is False
    for key in ("subject", "issuer", "sans", "serial", "not_before", "not_after", "days_remaining"):
        assert unverified["tls"][key] == verified["tls"][key], key


def test_https_untrusted_ca_fails(run_module, tls_server):
    result = run_module(health_check, {"url": tls_server.url("/healthz")})
    assert result["failed"] is True
    assert result["tls"] is None
    assert result["failures"][0].startswith("TLS handshake failed: TLS error:")
    assert "certificate verify failed" in result["failures"][0]
    assert "client_cert" not in result["failures"][0]  # a refused handshake is not about a client certificate


def test_https_hostname_mismatch(run_module, tls_server, pki):
    args = {"url": tls_server.url("/healthz"), "ca_path": pki["ca"], "server_name": "api.example.com"}
    result = run_module(health_check, args)
    assert result["failed"] is True
    assert "Hostname mismatch" in result["failures"][0]
    assert "api.example.com" in result["failures"][0]
    relaxed = run_module(health_check, dict(args, check_hostname=False))
    assert not relaxed.get("failed"), relaxed


def test_https_server_name_matching_the_certificate(run_module, tls_server, pki):
    result = run_module(
        health_check, {"url": tls_server.url("/healthz"), "ca_path": pki["ca"], "server_name": "localhost"}
    )
    assert not result.get("failed"), result


def test_min_cert_days_above_remaining(run_module, tls_server, pki):
    result = run_module(health_check, {"url": tls_server.url("/healthz"), "ca_path": pki["ca"], "min_cert_days": 30})
    assert result["failed"] is True
    not_after = pki["server"].not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert result["failures"] == [
        f"min_cert_days: expected at least 30 days of validity, got {SERVER_DAYS} days (not_after {not_after})"
    ]
    assert result["tls"]["days_remaining"] == SERVER_DAYS


def test_mutual_tls(run_module, start_server, pki):
    running = start_server(server_context(pki, require_client_cert=True))
    running.routes.table["/healthz"] = json_reply({"status": "ok"})
    base = {"url": running.url("/healthz"), "ca_path": pki["ca"]}
    without = run_module(health_check, base)
    assert without["failed"] is True
    assert without["status"] is None
    # The server rejects the handshake after the client finished it (TLS 1.3), so the client only sees the
    # connection drop (observed: "request failed: TLS error: EOF occurred in violation of protocol").
    assert without["failures"][0].endswith(
        " (the server closed the TLS connection after the handshake; "
        "if it requires a client certificate, set client_cert)"
    )
    assert "/healthz" not in running.routes.hits
    with_pair = run_module(health_check, dict(base, client_cert=pki["client_cert"], client_key=pki["client_key"]))
    assert not with_pair.get("failed"), with_pair
    combined = run_module(health_check, dict(base, client_cert=pki["client_combined"]))
    assert not combined.get("failed"), combined
    assert running.routes.hits["/healthz"] == 2


# --------------------------------------------------------------------------
# Bad arguments: one test each, checked before any request is made
# --------------------------------------------------------------------------


def test_bad_url_scheme(run_module):
    result = run_module(health_check, {"url": "ftp://127.0.0.1/healthz"})
    assert result["failed"] is True
    assert result["msg"].startswith("validate health_check arguments: url 'ftp://127.0.0.1/healthz': scheme 'ftp'")
    assert "http+unix://%2Frun%2Fapp.sock/healthz" in result["msg"]


def test_bad_unix_url(run_module):
    result = run_module(health_check, {"url": "http+unix:///run/app.sock/healthz"})
    assert result["failed"] is True
    assert "percent-encoded" in result["msg"]


def test_bad_status_spec(run_module):
    result = run_module(health_check, {"url": "http://127.0.0.1:1/", "status_codes": ["200", "2xx"]})
    assert result["failed"] is True
    assert result["msg"] == (
        "validate health_check arguments: status_codes item '2xx': expected a code such as 200 or an inclusive "
        "range such as 200-299, within 100-599 and low <= high"
    )


def test_bad_assertion_two_operators(run_module):
    result = run_module(
        health_check,
        {
            "url": "http://127.0.0.1:1/",
            "json_assertions": [{"path": "status", "equals": "ok"}, {"path": "db", "equals": "ok", "in": ["ok"]}],
        },
    )
    assert result["failed"] is True
    assert result["msg"] == (
        "validate health_check arguments: json_assertions[1] (path db): give exactly one of equals, in, exists, "
        "matches; found equals, in"
    )


def test_bad_assertion_unknown_key(run_module):
    result = run_module(
        health_check, {"url": "http://127.0.0.1:1/", "json_assertions": [{"path": "status", "equal": "ok"}]}
    )
    assert result["failed"] is True
    assert "equal" in result["msg"] and "json_assertions" in result["msg"]


def test_bad_success_threshold(run_module):
    result = run_module(health_check, {"url": "http://127.0.0.1:1/", "success_threshold": 3, "retries": 1})
    assert result["failed"] is True
    assert "success_threshold=3 needs at least 3 attempts but retries=1 allows 2" in result["msg"]


def test_tls_option_on_http_url(run_module):
    result = run_module(health_check, {"url": "http://127.0.0.1:1/", "min_cert_days": 30})
    assert result["failed"] is True
    assert "min_cert_days only apply to https:// URLs" in result["msg"]


def test_unreadable_ca_path(run_module, tmp_path):
    result = run_module(health_check, {"url": "https://127.0.0.1:1/", "ca_path": str(tmp_path / "missing.pem")})
    assert result["failed"] is True
    assert result["msg"].startswith(f"validate health_check arguments: ca_path '{tmp_path / 'missing.pem'}'")


# --------------------------------------------------------------------------
# Bodies the probe cannot read, and secrets in the options
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "assertions"),
    [
        ("[" * 100000, None),  # the parser raises RecursionError, not ValueError
        ("[" * 100000, [{"path": "status", "equals": "ok"}]),
        ("[" * 150 + "]" * 150, None),  # parses, but deeper than anything the result should carry
    ],
    ids=["unterminated", "unterminated-with-assertions", "valid-but-150-deep"],
)
def test_a_deeply_nested_body_fails_the_check_without_a_traceback(run_module, server, body, assertions):
    server.routes.table["/healthz"] = Reply(200, body, {"Content-Type": "application/json"})
    args = {"url": server.url("/healthz"), "max_body_bytes": 200000}
    if assertions:
        args["json_assertions"] = assertions
    result = run_module(health_check, args)
    assert result["failed"] is True
    assert result["json"] is None
    assert result["stop_reason"] == "retries_exhausted"
    assert len(result["failures"]) == 1
    assert result["failures"][0].startswith(
        "body: the response body is not JSON the probe can read (nested too deeply (more than 100 levels"
    )
    assert "response body is not JSON the probe can read (nested too deeply" in result["msg"]


def test_a_body_100_levels_deep_is_still_read(run_module, server):
    body = "[" * 99 + '{"status": "ok"}' + "]" * 99
    server.routes.table["/healthz"] = Reply(200, body, {"Content-Type": "application/json"})
    result = run_module(health_check, {"url": server.url("/healthz")})
    assert not result.get("failed"), result["msg"]
    assert json.dumps(result["json"]) == json.dumps(json.loads(body))


def test_header_values_are_not_in_the_result_but_a_host_header_is(run_module, server):
    secret = "Bearer hc-secret-9f2c71"
    api_key = "k3y-6a1e0d"
    server.routes.table["/healthz"] = json_reply({"status": "ok"})
    args = {
        "url": server.url("/healthz"),
        "headers": {"Authorization": secret, "X-Api-Key": api_key, "Host": "health.internal"},
    }
    result = run_module(health_check, args)
    assert not result.get("failed"), result
    text = json.dumps(result)
    assert secret not in text and api_key not in text
    assert "hc-secret" not in text
    headers = result["invocation"]["module_args"]["headers"]
    assert headers["Authorization"] == headers["X-Api-Key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert headers["Host"] == "health.internal"
    assert result["invocation"]["module_args"]["url"] == server.url("/healthz")
    # a failed check too
    server.routes.table["/healthz"] = Reply(503, f"down, you sent {secret}")
    failed = run_module(health_check, args)
    assert failed["failed"] is True
    assert secret not in json.dumps(failed) and api_key not in json.dumps(failed)


def test_credentials_in_the_url_are_refused_and_not_in_the_result(run_module):
    result = run_module(health_check, {"url": "http://probe:hc-pa55-4e1b@127.0.0.1:1/healthz"})
    assert result["failed"] is True
    assert "credentials in the URL are not supported" in result["msg"]
    assert "hc-pa55-4e1b" not in json.dumps(result)
    assert result["invocation"]["module_args"]["url"] == "http:********127.0.0.1:1/healthz"


def test_a_url_is_masked_whole_when_ansible_module_itself_fails(run_module):
    """A failure inside AnsibleModule (a bad type of another option) happens before the module can mask parts."""
    result = run_module(health_check, {"url": "http://probe:hc-pa55-4e1b@127.0.0.1:1/", "retries": "many"})
    assert result["failed"] is True
    assert "hc-pa55-4e1b" not in json.dumps(result)


# --------------------------------------------------------------------------
# Connections that fail: the failure names the phase, and only a dropped TLS session hints at client_cert
# --------------------------------------------------------------------------


class RawServer:
    """A TCP server on 127.0.0.1 that reads a request, sends ``reply`` as is (nothing: just closes), then closes.

    With ``tls_context`` each connection is wrapped in TLS first.
    """

    def __init__(self, reply, tls_context=None):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.reply = reply
        self.tls_context = tls_context
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                return
            try:
                if self.tls_context is not None:
                    conn = self.tls_context.wrap_socket(conn, server_side=True)
                conn.recv(65536)
                conn.sendall(self.reply)
            except OSError:
                pass
            finally:
                conn.close()

    def close(self):
        # close() alone does not wake a thread blocked in accept(); shutdown() does.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(5)


@pytest.fixture
def raw_server():
    started = []

    def _start(reply, tls_context=None):
        started.append(RawServer(reply, tls_context))
        return started[-1]

    yield _start
    for item in started:
        item.close()


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_https_connection_refused_has_no_client_cert_hint(run_module):
    """A refused https connection is reported as such: it says nothing about client certificates."""
    port = _closed_port()
    result = run_module(health_check, {"url": f"https://127.0.0.1:{port}/healthz"})
    assert result["failed"] is True
    assert result["failures"] == [f"connect to 127.0.0.1:{port} failed: [Errno 111] Connection refused"]


def test_plain_http_connection_dropped_has_no_client_cert_hint(run_module, raw_server):
    """A plain http server that hangs up without answering is reported without any TLS hint."""
    server = raw_server(b"")
    result = run_module(health_check, {"url": f"http://127.0.0.1:{server.port}/healthz"})
    assert result["failures"] == [
        f"response headers to 127.0.0.1:{server.port} failed: Remote end closed connection without response"
    ]


def test_https_garbage_answer_has_no_client_cert_hint(run_module, raw_server, pki):
    """A TLS server that answers something that is not HTTP is reported as that, without the client_cert hint."""
    server = raw_server(b"NOT-HTTP\r\n\r\n", tls_context=server_context(pki))
    result = run_module(health_check, {"url": f"https://127.0.0.1:{server.port}/healthz", "ca_path": pki["ca"]})
    assert result["failures"] == [f"response headers to 127.0.0.1:{server.port} failed: NOT-HTTP\r\n"]


@pytest.fixture(scope="module")
def described_pki(tmp_path_factory):
    """A CA and a 127.0.0.1 server certificate whose subject has a description (OID 2.5.4.13)."""
    base = tmp_path_factory.mktemp("described")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("described CA")
    ca = _issue(ca_name, ca_key, ca_name, ca_key, NOW + datetime.timedelta(days=30), ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(x509.ObjectIdentifier("2.5.4.13"), "edge proxy"),
        ]
    )
    cert = _issue(
        subject,
        key,
        ca_name,
        ca_key,
        NOW + datetime.timedelta(days=30),
        sans=[x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
    )
    return {
        "ca": _write(base / "ca.pem", ca),
        "cert": _write(base / "cert.pem", cert),
        "key": _write(base / "key.pem", key),
    }


def test_a_verified_certificate_is_described_with_openssls_names(run_module, start_server, described_pki):
    """A verified peer certificate is reported as OpenSSL decoded it, every attribute by its name."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(described_pki["cert"], described_pki["key"])
    running = start_server(context)
    running.routes.table["/healthz"] = Reply(204)
    result = run_module(health_check, {"url": running.url("/healthz"), "ca_path": described_pki["ca"]})
    assert not result.get("failed"), result
    assert result["tls"]["subject"] == {"commonName": "localhost", "description": "edge proxy"}


def test_the_tls_result_names_the_session_and_certificate(run_module, tls_server, pki):
    """The tls result holds exactly the documented fields, the cipher being the negotiated suite's name."""
    result = run_module(health_check, {"url": tls_server.url("/healthz"), "ca_path": pki["ca"]})
    tls = result["tls"]
    assert set(tls) == {
        "version",
        "cipher",
        "verified",
        "sha256_fingerprint",
        "subject",
        "issuer",
        "sans",
        "serial",
        "not_before",
        "not_after",
        "days_remaining",
    }
    assert tls["cipher"] in {cipher["name"] for cipher in ssl.create_default_context().get_ciphers()}


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to name the hashed CA link")
def test_https_with_a_ca_directory(run_module, tls_server, pki, tmp_path):
    """ca_path may be a c_rehash'ed directory of CA certificates instead of a bundle file."""
    subject_hash = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", pki["ca"]], check=True, capture_output=True, text=True
    ).stdout.strip()
    (tmp_path / f"{subject_hash}.0").symlink_to(pki["ca"])
    result = run_module(health_check, {"url": tls_server.url("/healthz"), "ca_path": str(tmp_path)})
    assert not result.get("failed"), result
    assert result["tls"]["verified"] is True
