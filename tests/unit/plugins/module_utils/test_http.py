# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_http.py: parsing, assertions, schedule and DER decoding.

The certificate decoder is checked against OpenSSL's own decoding of the same
files (``ssl._ssl._test_decode_cert``, the routine CPython's test-suite uses),
on the system CA store and on a generated certificate with unusual fields.
The schedule is driven with a fake clock and sleep, so waits are exact.
"""

from __future__ import annotations

import datetime
import glob
import hashlib
import ipaddress
import os
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.gosvc.hardening.plugins.module_utils import _http
from ansible_collections.gosvc.hardening.plugins.module_utils._http import (
    HealthCheckError,
    Response,
    backoff_delay,
    build_config,
    certificate_summary,
    check_assertion,
    evaluate,
    json_equal,
    parse_der_certificate,
    parse_json_assertions,
    parse_status_codes,
    parse_url,
    redirect_other_host,
    run_schedule,
)

# --------------------------------------------------------------------------
# URL
# --------------------------------------------------------------------------


def test_parse_url_http_defaults():
    target = parse_url("http://127.0.0.1/healthz?full=1")
    assert (target.scheme, target.host, target.port, target.unix_path) == ("http", "127.0.0.1", 80, None)
    assert target.request_path == "/healthz?full=1"
    assert target.tls is False
    assert target.describe() == "127.0.0.1:80"


def test_parse_url_https_ipv6_and_empty_path():
    target = parse_url("https://[::1]:8443")
    assert (target.host, target.port, target.request_path, target.tls) == ("::1", 8443, "/", True)
    assert target.describe() == "[::1]:8443"


def test_parse_url_unix_socket():
    target = parse_url("http+unix://%2Frun%2Fmy%20app%2Fhttp.sock/v1/health")
    assert target.unix_path == "/run/my app/http.sock"
    assert target.request_path == "/v1/health"
    assert target.host == "localhost"
    assert target.describe() == "unix socket /run/my app/http.sock"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "url: empty"),
        ("ftp://host/x", "scheme 'ftp' is not supported"),
        ("127.0.0.1:8080/healthz", "is not supported"),
        ("unix:/run/app.sock:/healthz", "scheme 'unix' is not supported"),
        ("http+unix:///run/app.sock/healthz", "must be the absolute socket path, percent-encoded"),
        ("http+unix://run.sock/healthz", "must be the absolute socket path, percent-encoded"),
        ("http://user:secret@127.0.0.1/", "credentials in the URL are not supported"),
        ("http:///healthz", "no host"),
        ("http://127.0.0.1:99999/", "the port is not a number"),
    ],
)
def test_parse_url_rejects(url, message):
    with pytest.raises(HealthCheckError) as info:
        parse_url(url)
    assert message in str(info.value)


# --------------------------------------------------------------------------
# Status codes
# --------------------------------------------------------------------------


def test_status_codes_ranges_and_codes():
    codes = parse_status_codes(["200-299", 304, " 418 "])
    assert codes.text == "200-299, 304, 418"
    assert [c for c in (199, 200, 250, 299, 300, 304, 418, 500) if c in codes] == [200, 250, 299, 304, 418]


@pytest.mark.parametrize("item", ["2xx", "299-200", "600", "99", "200-", "200,204", ""])
def test_status_codes_reject(item):
    with pytest.raises(HealthCheckError) as info:
        parse_status_codes(["200", item])
    assert str(info.value).startswith(f"status_codes item {item!r}: expected a code such as 200")


def test_status_codes_empty():
    with pytest.raises(HealthCheckError, match="status_codes: empty"):
        parse_status_codes([])


# --------------------------------------------------------------------------
# JSON assertions
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "expected", "equal"),
    [
        (True, 1, False),
        (1, True, False),
        (0, False, False),
        (3, 3.0, True),
        (3, "3", True),
        (2.5, "2.5", True),
        (True, "true", True),
        (None, "null", True),
        ("3", 3, False),
        ("ok", "ok", True),
        ([1, {"a": True}], [1, {"a": True}], True),
        ([1, {"a": True}], [1, {"a": 1}], False),
        ({"a": 1}, {"a": 1, "b": 2}, False),
    ],
)
def test_json_equal(actual, expected, equal):
    assert json_equal(actual, expected) is equal


def _one(item):
    return parse_json_assertions([item])[0]


DOCUMENT = {"status": "ok", "checks": {"db": {"status": "down", "pool": [1, 2]}}, "list": [{"name": "a"}], "n": None}


@pytest.mark.parametrize(
    ("item", "failure"),
    [
        ({"path": "status", "equals": "ok"}, None),
        ({"path": "checks.db.pool.1", "equals": 2}, None),
        ({"path": "list.0.name", "in": ["a", "b"]}, None),
        ({"path": "n", "exists": True}, None),
        ({"path": "n", "equals": "null"}, None),
        ({"path": "missing", "exists": False}, None),
        ({"path": "checks.db.pool", "matches": r"^\[1, 2\]$"}, None),
        (
            {"path": "checks.db.status", "equals": "ok"},
            'json_assertions[0] (checks.db.status): expected equals "ok", got "down"',
        ),
        (
            {"path": "checks.cache.status", "equals": "ok"},
            'json_assertions[0] (checks.cache.status): expected equals "ok", got nothing '
            "(key 'cache' missing under checks)",
        ),
        (
            {"path": "list.name", "exists": True},
            "json_assertions[0] (list.name): expected to exist, got nothing "
            "(list is an array; use a numeric index instead of 'name')",
        ),
        (
            {"path": "list.3", "exists": True},
            "json_assertions[0] (list.3): expected to exist, got nothing "
            "(index 3 out of range (array of 1) under list)",
        ),
        (
            {"path": "status.code", "exists": True},
            "json_assertions[0] (status.code): expected to exist, got nothing "
            "(found a string under status, not an object or array)",
        ),
        (
            {"path": "top", "in": [1, 2]},
            "json_assertions[0] (top): expected one of [1, 2], got nothing (key 'top' missing at the top level)",
        ),
        ({"path": "status", "exists": False}, 'json_assertions[0] (status): expected to be absent, got "ok"'),
        (
            {"path": "status", "matches": "^OK$"},
            'json_assertions[0] (status): expected a value matching /^OK$/, got "ok"',
        ),
    ],
)
def test_check_assertion(item, failure):
    assert check_assertion(_one(item), DOCUMENT) == failure


def test_check_assertion_on_top_level_array():
    assertion = _one({"path": "0.status", "equals": "ok"})
    assert check_assertion(assertion, [{"status": "ok"}]) is None
    bad = _one({"path": "first", "equals": "ok"})
    assert check_assertion(bad, []) == (
        'json_assertions[0] (first): expected equals "ok", got nothing '
        "(the top level is an array; use a numeric index instead of 'first')"
    )


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            ["status == ok"],
            'json_assertions[0]: expected a mapping such as {path: status, equals: ok}, got "status == ok"',
        ),
        ([{"path": "status", "equal": "ok"}], "json_assertions[0]: unknown key(s) equal; use path plus one of"),
        ([{"equals": "ok"}], "json_assertions[0]: path is missing or empty"),
        ([{"path": "a..b", "exists": True}], "json_assertions[0]: path 'a..b' has an empty segment"),
        ([{"path": "a.", "exists": True}], "json_assertions[0]: path 'a.' has an empty segment"),
        (
            [{"path": "status"}],
            "json_assertions[0] (path status): give exactly one of equals, in, exists, matches; found none",
        ),
        (
            [{"path": "ok", "exists": True}, {"path": "status", "equals": "ok", "matches": "o"}],
            "json_assertions[1] (path status): give exactly one of equals, in, exists, matches; found equals, matches",
        ),
        ([{"path": "status", "in": "ok"}], "json_assertions[0] (path status): in must be a list of accepted values"),
        ([{"path": "status", "exists": "yes"}], "json_assertions[0] (path status): exists must be true or false"),
        ([{"path": "status", "matches": 3}], "json_assertions[0] (path status): matches must be a regular expression"),
        (
            [{"path": "status", "matches": "(ok"}],
            "json_assertions[0] (path status): matches '(ok' is not a valid regular",
        ),
    ],
)
def test_parse_json_assertions_rejects(items, message):
    with pytest.raises(HealthCheckError) as info:
        parse_json_assertions(items)
    assert str(info.value).startswith(message)


def test_parse_json_assertions_ignores_null_operators():
    # Ansible fills every unset sub-option with None
    items = [{"path": "status", "equals": None, "in": ["ok"], "exists": None, "matches": None}]
    (assertion,) = parse_json_assertions(items)
    assert (assertion.operator, assertion.expected) == ("in", ["ok"])


# --------------------------------------------------------------------------
# Redirects
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "probed", "other"),
    [
        (None, "127.0.0.1", None),
        ("/login", "127.0.0.1", None),
        ("login?next=/", "127.0.0.1", None),
        ("https://127.0.0.1:8443/", "127.0.0.1", None),
        ("HTTP://LocalHost/x", "localhost", None),
        ("http://localhost/x", "127.0.0.1", "localhost"),
        ("http://sso.example.com/auth", "127.0.0.1", "sso.example.com"),
        ("//cdn.example.net/x", "127.0.0.1", "cdn.example.net"),
        ("http://[::1]/", "127.0.0.1", "::1"),
    ],
)
def test_redirect_other_host(location, probed, other):
    assert redirect_other_host(location, probed) == other


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------


def _params(**overrides):
    params = {"url": "http://127.0.0.1:8080/healthz"}
    params.update(overrides)
    return params


def test_build_config_defaults():
    config = build_config(_params())
    assert config.method == "GET" and config.status_codes.text == "200-399"
    assert (config.timeout, config.retries, config.delay, config.backoff, config.max_delay) == (5.0, 0, 1.0, 2.0, 30.0)
    assert config.deadline is None and config.failure_threshold is None and config.success_threshold == 1
    assert (config.max_body_bytes, config.return_body_bytes) == (65536, 4096)
    assert config.ssl_context is None
    assert config.probed_host == "127.0.0.1"


def test_build_config_host_header_sets_probed_host():
    assert build_config(_params(headers={"Host": "api.example.com:8080"})).probed_host == "api.example.com"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timeout": 0}, "timeout=0: must be > 0"),
        ({"retries": -1}, "retries=-1: must be >= 0"),
        ({"delay": -0.5}, "delay=-0.5: must be >= 0"),
        ({"backoff": 0.5}, "backoff=0.5: must be >= 1"),
        ({"deadline": 0}, "deadline=0: must be > 0"),
        ({"success_threshold": 0}, "success_threshold=0: must be >= 1"),
        ({"failure_threshold": 0}, "failure_threshold=0: must be >= 1"),
        ({"max_body_bytes": 0}, "max_body_bytes=0: must be >= 1"),
        ({"return_body_bytes": -1}, "return_body_bytes=-1: must be >= 0"),
        (
            {"success_threshold": 2},
            "success_threshold=2 needs at least 2 attempts but retries=0 allows 1; set retries to at least 1",
        ),
        ({"method": "POST"}, "method 'POST': use GET or HEAD"),
        ({"body_regex": "(unclosed"}, "body_regex '(unclosed': not a valid regular expression"),
        ({"server_name": "x", "ca_path": "/ca.pem"}, "ca_path, server_name only apply to https:// URLs"),
        (
            {"url": "https://127.0.0.1/", "client_key": "/k.pem"},
            "client_key is set without client_cert; give client_cert",
        ),
        ({"url": "https://127.0.0.1/", "client_cert": "/nonexistent/c.pem"}, "client_cert '/nonexistent/c.pem'"),
    ],
)
def test_build_config_rejects(overrides, message):
    with pytest.raises(HealthCheckError) as info:
        build_config(_params(**overrides))
    assert str(info.value).startswith(message)


def test_build_config_tls_context():
    config = build_config(_params(url="https://127.0.0.1/", check_hostname=False))
    assert config.ssl_context.verify_mode == ssl.CERT_REQUIRED and config.ssl_context.check_hostname is False
    config = build_config(_params(url="https://127.0.0.1/", validate_certs=False))
    assert config.ssl_context.verify_mode == ssl.CERT_NONE and config.ssl_context.check_hostname is False


# --------------------------------------------------------------------------
# evaluate()
# --------------------------------------------------------------------------


def _response(status=200, body=b"", location=None, truncated=False, tls=None):
    response = Response()
    response.status, response.body, response.location = status, body, location
    response.truncated, response.tls = truncated, tls
    return response


def test_evaluate_collects_every_failure():
    config = build_config(
        _params(
            status_codes=["200"],
            body_regex="healthy",
            json_assertions=[{"path": "status", "equals": "ok"}, {"path": "db", "exists": True}],
        )
    )
    failures, document = evaluate(config, _response(503, b'{"status": "starting"}'))
    assert document == {"status": "starting"}
    assert failures == [
        "status: expected 200, got 503",
        'body_regex: expected a match for /healthy/, got a 22-byte body starting \'{"status": "starting"}\'',
        'json_assertions[0] (status): expected equals "ok", got "starting"',
        "json_assertions[1] (db): expected to exist, got nothing (key 'db' missing at the top level)",
    ]


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        (
            b"",
            "json: expected a JSON body for json_assertions, got 0 bytes that do not parse "
            "(Expecting value: line 1 column 1 (char 0)), starting ''",
        ),
        (
            b'{"status": "\xff"}',
            "json: expected a JSON body for json_assertions, got 15 bytes that do not parse "
            "('utf-8' codec can't decode byte 0xff in position 12: invalid start byte), "
            'starting \'{"status": "\ufffd"}\'',
        ),
    ],
)
def test_evaluate_body_that_is_not_json(body, failure):
    config = build_config(_params(json_assertions=[{"path": "status", "exists": True}]))
    assert evaluate(config, _response(200, body)) == ([failure], None)


@pytest.mark.parametrize(
    "body",
    [b"[" * 100000, b'{"a":' * 100000, b"[" * 101 + b"]" * 101, b'{"a":' * 101 + b"1" + b"}" * 101],
    ids=["unterminated-arrays", "unterminated-objects", "arrays-101-deep", "objects-101-deep"],
)
@pytest.mark.parametrize("with_assertions", [False, True])
def test_evaluate_a_body_nested_too_deeply_fails_without_an_exception(body, with_assertions):
    """Python's json raises RecursionError (not ValueError) on the unterminated ones: no traceback, a failure."""
    assertions = [{"path": "status", "exists": True}] if with_assertions else None
    config = build_config(_params(json_assertions=assertions))
    failures, document = evaluate(config, _response(200, body))
    assert document is None
    assert len(failures) == 1
    assert failures[0].startswith(
        "body: the response body is not JSON the probe can read (nested too deeply (more than 100 levels of arrays "
        "and objects)), starting "
    )


def test_parse_json_body_and_depth():
    assert _http.parse_json_body(b'{"status": "ok"}') == ({"status": "ok"}, None)
    assert _http.parse_json_body(b"[" * 100 + b"]" * 100)[1] is None
    assert _http.parse_json_body(b"[" * 101 + b"]" * 101) == (
        None,
        "nested too deeply (more than 100 levels of arrays and objects)",
    )
    assert _http.parse_json_body(b"[[1]]", max_depth=1)[1].startswith("nested too deeply")
    document, problem = _http.parse_json_body(b"not json")
    assert document is None and problem.startswith("Expecting value")
    assert [_http.json_depth(value) for value in (1, "x", [], {}, [[]], {"a": [1, {"b": None}]})] == [0, 0, 1, 1, 2, 3]


def test_evaluate_a_plain_text_body_without_assertions_still_passes():
    assert evaluate(build_config(_params()), _response(200, b"ok")) == ([], None)


@pytest.mark.parametrize(
    ("url", "query", "secrets"),
    [
        ("https://user:pa55@example.com/a?sig=1", False, ["//user:pa55@"]),
        ("https://user:pa55@example.com/a?sig=1", True, ["//user:pa55@", "?sig=1"]),
        ("https://token@example.com/a", True, ["//token@"]),
        ("https://a@b:c@example.com/", False, ["//a@b:c@"]),
        ("https://example.com/a", True, []),
        ("http://127.0.0.1:8080/healthz", False, []),
        (None, True, []),
    ],
)
def test_url_secrets(url, query, secrets):
    assert _http.url_secrets(url, query) == secrets


def test_evaluate_connection_error_only():
    response = _response(None)
    response.error = "connect to 127.0.0.1:1 failed: [Errno 111] Connection refused"
    assert evaluate(build_config(_params()), response) == ([response.error], None)


def test_evaluate_min_cert_days_boundary():
    config = build_config(_params(url="https://127.0.0.1/", min_cert_days=10))
    not_after = datetime.datetime(2030, 1, 11, tzinfo=datetime.timezone.utc)
    parsed = {"not_after": not_after}
    just_enough = certificate_summary(parsed, (not_after - datetime.timedelta(days=10)).timestamp())
    assert evaluate(config, _response(tls=just_enough))[0] == []
    short = certificate_summary(parsed, (not_after - datetime.timedelta(days=10, seconds=-1)).timestamp())
    assert short["days_remaining"] == 9
    assert evaluate(config, _response(tls=short))[0] == [
        "min_cert_days: expected at least 10 days of validity, got 9 days (not_after 2030-01-11T00:00:00Z)"
    ]
    unparsed = {"parse_error": "cannot parse the peer certificate: truncated DER element at offset 0"}
    assert evaluate(config, _response(tls=unparsed))[0] == [
        "min_cert_days: cannot read the certificate's not_after "
        "(cannot parse the peer certificate: truncated DER element at offset 0)"
    ]


def test_certificate_summary_expired():
    not_after = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    summary = certificate_summary({"not_after": not_after}, not_after.timestamp() + 3600)
    assert summary["days_remaining"] == -1
    assert summary["not_after"] == "2030-01-01T00:00:00Z"


# --------------------------------------------------------------------------
# Schedule (fake clock)
# --------------------------------------------------------------------------


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def schedule(outcomes, fake, duration=0.0, **settings):
    """Run ``run_schedule`` where attempt N returns ``outcomes[N-1]`` and takes ``duration`` (or its budget)."""
    calls = []

    def attempt(number, budget):
        calls.append((number, round(fake.now - 100.0, 6), round(budget, 6)))
        fake.now += budget if duration == "budget" else duration
        return outcomes[number - 1]

    options = dict(
        timeout=5.0,
        retries=0,
        delay=1.0,
        backoff=2.0,
        max_delay=30.0,
        deadline=None,
        success_threshold=1,
        failure_threshold=None,
    )
    options.update(settings)
    reason, count = run_schedule(attempt, clock=fake.clock, sleep=fake.sleep, **options)
    assert count == len(calls)
    return reason, calls


def test_schedule_first_success():
    fake = FakeTime()
    assert schedule([True], fake, retries=3) == ("success", [(1, 0.0, 5.0)])
    assert fake.sleeps == []


def test_schedule_exponential_backoff_capped():
    fake = FakeTime()
    reason, calls = schedule([False] * 6, fake, retries=5, delay=1, backoff=2, max_delay=5)
    assert reason == "retries_exhausted"
    assert len(calls) == 6
    assert fake.sleeps == [1, 2, 4, 5, 5]


def test_schedule_success_threshold_resets_backoff():
    fake = FakeTime()
    outcomes = [False, False, True, False, True, True]
    reason, calls = schedule(outcomes, fake, retries=10, delay=1, backoff=3, success_threshold=2)
    assert reason == "success"
    assert [number for number, _at, _budget in calls] == [1, 2, 3, 4, 5, 6]
    # after failures: 1, 3 (backoff); after a success: delay; the failure streak restarts at delay
    assert fake.sleeps == [1, 3, 1, 1, 1]


def test_schedule_gives_up_when_threshold_unreachable():
    fake = FakeTime()
    reason, calls = schedule([True, False, True, True], fake, retries=2, success_threshold=2, delay=0)
    assert reason == "retries_exhausted"
    assert len(calls) == 2  # one attempt left after the failure cannot make two in a row
    assert fake.sleeps == []


def test_schedule_failure_threshold():
    fake = FakeTime()
    reason, calls = schedule([False] * 10, fake, retries=9, failure_threshold=3, delay=0.5, backoff=1)
    assert reason == "failure_threshold"
    assert len(calls) == 3
    assert fake.sleeps == [0.5, 0.5]


def test_schedule_deadline_caps_budget_and_waits():
    fake = FakeTime()
    reason, calls = schedule(
        [False] * 100, fake, duration="budget", retries=99, timeout=2, delay=0.5, backoff=1, deadline=5.2
    )
    assert reason == "deadline"
    # attempt 3 starts at 5.0 with only 0.2 s of the deadline left
    assert calls == [(1, 0.0, 2.0), (2, 2.5, 2.0), (3, 5.0, 0.2)]
    assert fake.now - 100.0 == pytest.approx(5.2)


def test_schedule_deadline_skips_a_wait_that_would_end_past_it():
    fake = FakeTime()
    reason, calls = schedule([False] * 10, fake, duration=1.0, retries=9, delay=1, backoff=4, deadline=4)
    assert reason == "deadline"
    # t=0 attempt (1 s), wait 1 -> t=2 attempt (1 s), next wait would be 4 s > 1 s left
    assert calls == [(1, 0.0, 4.0), (2, 2.0, 2.0)]
    assert fake.sleeps == [1]
    assert fake.now - 100.0 == pytest.approx(3.0)


def test_backoff_delay():
    assert [backoff_delay(0.5, 2, 30, n) for n in (1, 2, 3, 4)] == [0.5, 1, 2, 4]
    assert backoff_delay(1, 10, 30, 5000) == 30  # overflow is capped, not raised
    assert backoff_delay(1, 1, 30, 50) == 1


# --------------------------------------------------------------------------
# DER certificate decoding, checked against OpenSSL's decoder
# --------------------------------------------------------------------------

_decode_with_openssl = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
needs_openssl_decoder = pytest.mark.skipif(
    _decode_with_openssl is None, reason="this Python has no ssl._ssl._test_decode_cert to compare with"
)


def _system_ca_files():
    seen = set()
    for path in sorted(glob.glob("/etc/ssl/certs/*.pem")):
        real = os.path.realpath(path)
        if real not in seen and os.path.isfile(real):
            seen.add(real)
            yield real


@needs_openssl_decoder
def test_der_parser_matches_openssl_on_system_ca_store():
    files = list(_system_ca_files())
    if not files:
        pytest.skip("no PEM certificates under /etc/ssl/certs")
    for path in files:
        with open(path) as handle:
            der = ssl.PEM_cert_to_DER_cert(handle.read())
        assert parse_der_certificate(der) == _http._from_peercert(_decode_with_openssl(path)), path
    assert len(files) > 50


ODD_SERIAL = (1 << 151) + 5
ODD_SERIAL_DER = b"\x02\x14\x00\x80" + b"\x00" * 17 + b"\x05"


@pytest.fixture(scope="module")
def odd_certificate(tmp_path_factory):
    """A certificate with non-ASCII names, many SAN types, a 2051 expiry (GeneralizedTime) and a padded serial."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CH"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Zürich"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "ops"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "sre"),
            x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "ops@example.com"),
            x509.NameAttribute(NameOID.COMMON_NAME, "svc.example.com"),
        ]
    )
    sans = [
        x509.DNSName("svc.example.com"),
        x509.DNSName("*.svc.example.com"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
        x509.RFC822Name("ops@example.com"),
        x509.UniformResourceIdentifier("spiffe://example.com/svc"),
        x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dir")])),
        x509.RegisteredID(x509.ObjectIdentifier("1.2.3.4")),
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(ODD_SERIAL)  # top bit of the first byte set: DER pads it with 0x00
        .not_valid_before(datetime.datetime(2024, 2, 29, 12, 30, 15, tzinfo=datetime.timezone.utc))
        .not_valid_after(datetime.datetime(2051, 6, 1, 0, 0, 0, tzinfo=datetime.timezone.utc))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path_factory.mktemp("odd") / "odd.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, str(path)


def test_der_parser_on_generated_certificate(odd_certificate):
    cert, _path = odd_certificate
    parsed = parse_der_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert parsed["subject"] == [
        ("countryName", "CH"),
        ("localityName", "Zürich"),
        ("organizationalUnitName", "ops"),
        ("organizationalUnitName", "sre"),
        ("domainComponent", "example"),
        ("emailAddress", "ops@example.com"),
        ("commonName", "svc.example.com"),
    ]
    assert parsed["issuer"] == parsed["subject"]
    assert int(parsed["serial"], 16) == cert.serial_number
    assert parsed["not_before"] == cert.not_valid_before_utc
    assert parsed["not_after"] == cert.not_valid_after_utc
    assert parsed["sans"] == [
        ("DNS", "svc.example.com"),
        ("DNS", "*.svc.example.com"),
        ("IP", "127.0.0.1"),
        ("IP", "2001:db8::1"),
        ("email", "ops@example.com"),
        ("URI", "spiffe://example.com/svc"),
        ("DirName", "commonName=dir"),
        ("RID", "1.2.3.4"),
    ]
    summary = certificate_summary(parsed, cert.not_valid_after_utc.timestamp() - 86400 * 3.5)
    assert summary["days_remaining"] == 3
    assert summary["subject"]["organizationalUnitName"] == "ops, sre"
    assert summary["sans"][:3] == ["DNS:svc.example.com", "DNS:*.svc.example.com", "IP:127.0.0.1"]


@needs_openssl_decoder
def test_der_parser_matches_openssl_on_generated_certificate(odd_certificate):
    cert, path = odd_certificate
    ours = parse_der_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert ours == _http._from_peercert(_decode_with_openssl(path))


@pytest.mark.parametrize(
    "der",
    [b"", b"\x30", b"\x30\x05\x02\x01", b"\x04\x00", b"\x30\x84\xff\xff\xff\xff"],
)
def test_der_parser_rejects_garbage(der):
    with pytest.raises((ValueError, IndexError)):
        parse_der_certificate(der)


@needs_openssl_decoder
@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        (ODD_SERIAL_DER, "80000000000000000000000000000000000005"),
        (b"\x02\x14\x80" + b"\x00" * 18 + b"\x05", "-7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFB"),
        (b"\x02\x14\xff\x70" + b"\x00" * 17 + b"\x05", "-8FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFB"),
    ],
)
def test_der_parser_serial_like_openssl(odd_certificate, tmp_path, encoding, expected):
    # Negative serials exist in old CA stores (Debian 11 ships EC-ACC with one); cryptography cannot issue
    # them, so the generated certificate's serial is rewritten in place (same length, signature not checked).
    cert, _path = odd_certificate
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(ODD_SERIAL_DER) == 1
    der = der.replace(ODD_SERIAL_DER, encoding)
    pem = tmp_path / "serial.pem"
    pem.write_text(ssl.DER_cert_to_PEM_cert(der))
    assert _decode_with_openssl(str(pem))["serialNumber"] == expected
    assert parse_der_certificate(der)["serial"] == expected


# --------------------------------------------------------------------------
# Values shown in failures, and lookups deeper in a document
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(3, "three"), (3, ""), ([1], "[1]"), ({"a": 1}, '{"a": 1}'), (b"ok", bytearray(b"ok"))],
)
def test_json_equal_is_false_when_a_string_does_not_spell_the_value(actual, expected):
    """An expected string that is no number, or values of different kinds, never match."""
    assert json_equal(actual, expected) is False


def _failure(item, document):
    return check_assertion(_one(item), document)


def test_a_long_value_is_cut_to_200_characters_in_a_failure():
    """A value shown in a failure is cut to 200 characters, ending in '...'; one of 200 is shown whole."""
    exactly = "x" * 198  # 200 characters with its JSON quotes
    assert _failure({"path": "v", "equals": "ok"}, {"v": exactly}) == (
        f'json_assertions[0] (v): expected equals "ok", got "{exactly}"'
    )
    longer = "y" * 199
    assert _failure({"path": "v", "equals": "ok"}, {"v": longer}) == (
        f'json_assertions[0] (v): expected equals "ok", got "{longer[:196]}...'
    )


def test_a_non_ascii_value_is_shown_as_written():
    """Failures show non-ASCII text as is, not as JSON escapes."""
    assert _failure({"path": "city", "equals": "Zürich"}, {"city": "Genève"}) == (
        'json_assertions[0] (city): expected equals "Zürich", got "Genève"'
    )


def test_a_value_json_cannot_write_is_shown_with_repr():
    """An item that is no JSON value (a set) is still shown in the error, by its Python form."""
    with pytest.raises(HealthCheckError) as info:
        parse_json_assertions([{"status"}])
    assert (
        str(info.value) == "json_assertions[0]: expected a mapping such as {path: status, equals: ok}, got {'status'}"
    )


def test_matches_applies_to_a_string_value_as_is():
    """A string value is matched without JSON quotes, so anchors work."""
    assert _failure({"path": "status", "matches": "^ok$"}, DOCUMENT) is None


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("checks.db.nope", "key 'nope' missing under checks.db"),
        ("checks.db.pool.x", "checks.db.pool is an array; use a numeric index instead of 'x'"),
        ("checks.db.pool.2", "index 2 out of range (array of 2) under checks.db.pool"),
        ("list.1", "index 1 out of range (array of 1) under list"),
        ("checks.db.status.x", "found a string under checks.db.status, not an object or array"),
    ],
)
def test_a_missing_path_names_where_the_lookup_stopped(path, why):
    """A failed lookup names the full dotted path it reached and why it stopped there."""
    assert _failure({"path": path, "exists": True}, DOCUMENT) == (
        f"json_assertions[0] ({path}): expected to exist, got nothing ({why})"
    )


def test_a_location_with_a_port_but_no_host_is_another_host():
    """A Location whose authority has no host name is reported by that authority."""
    assert redirect_other_host("http://:8080/x", "127.0.0.1") == ":8080"


@pytest.mark.parametrize(("length", "suffix"), [(120, ""), (121, "...")])
def test_a_body_snippet_is_cut_at_120_bytes(length, suffix):
    """A body quoted in a failure shows its first 120 bytes, with '...' only when there is more."""
    config = build_config(_params(body_regex="healthy"))
    body = b"b" * length
    assert evaluate(config, _response(200, body))[0] == [
        f"body_regex: expected a match for /healthy/, got a {length}-byte body starting {'b' * 120 + suffix!r}"
    ]


def test_matches_on_an_object_sees_its_keys_sorted():
    """A non-string value is matched as compact JSON with sorted keys, whatever order the body used."""
    document = {"db": {"b": 1, "a": 2}}
    assert _failure({"path": "db", "matches": r'^\{"a": 2, "b": 1\}$'}, document) is None


def test_backoff_delay_that_overflows_a_float_is_capped():
    """A float backoff that overflows waits max_delay instead of raising."""
    assert backoff_delay(1.0, 10.0, 30.0, 5000) == 30.0


class _PeerSocket:
    """What peer_tls_info reads from a connected ssl.SSLSocket: an unverified session and its peer's DER bytes."""

    def __init__(self, der):
        self.der = der
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    def getpeercert(self, binary_form=False):
        return self.der if binary_form else {}

    def version(self):
        return "TLSv1.2"

    def cipher(self):
        return ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLSv1.2", 128)


def test_peer_tls_info_without_a_certificate_says_so():
    """A session without a peer certificate is described, with the reason there are no certificate fields."""
    assert _http.peer_tls_info(_PeerSocket(b""), 0) == {
        "version": "TLSv1.2",
        "cipher": "ECDHE-ECDSA-AES128-GCM-SHA256",
        "verified": False,
        "sha256_fingerprint": None,
        "parse_error": "the server sent no certificate",
    }


def test_peer_tls_info_with_an_unreadable_certificate_keeps_its_fingerprint():
    """A certificate the decoder cannot read still gets its fingerprint, and the parse error is reported."""
    der = b"\x30\x03\x02\x01\x01"
    with pytest.raises((ValueError, IndexError)) as caught:
        parse_der_certificate(der)
    assert _http.peer_tls_info(_PeerSocket(der), 0) == {
        "version": "TLSv1.2",
        "cipher": "ECDHE-ECDSA-AES128-GCM-SHA256",
        "verified": False,
        "sha256_fingerprint": ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest()),
        "parse_error": f"cannot parse the peer certificate: {caught.value}",
    }


def test_certificate_summary_without_validity_dates():
    """A certificate with no readable not_after has no remaining time rather than an error."""
    assert certificate_summary({}, 0) == {
        "subject": {},
        "issuer": {},
        "sans": [],
        "serial": None,
        "not_before": None,
        "not_after": None,
        "days_remaining": None,
        "seconds_remaining": None,
    }


def test_days_remaining_counts_whole_days():
    """Exactly ten days left is ten days; a second less is nine."""
    not_after = datetime.datetime(2030, 1, 11, tzinfo=datetime.timezone.utc)
    ten_days_before = (not_after - datetime.timedelta(days=10)).timestamp()
    assert certificate_summary({"not_after": not_after}, ten_days_before)["days_remaining"] == 10
    assert certificate_summary({"not_after": not_after}, ten_days_before + 1)["days_remaining"] == 9


@pytest.fixture(scope="module")
def network_san_certificate(tmp_path_factory):
    """A certificate whose critical SANs are a two-attribute directory name and an IP given as a network (8 bytes)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "net")])
    sans = [
        x509.DirectoryName(
            x509.Name(
                [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ops"), x509.NameAttribute(NameOID.COMMON_NAME, "dir")]
            )
        ),
        x509.IPAddress(ipaddress.ip_network("10.0.0.0/8")),
        x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x03ops"),
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
        .not_valid_after(datetime.datetime(2034, 1, 1, tzinfo=datetime.timezone.utc))
        .add_extension(x509.SubjectAlternativeName(sans), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path_factory.mktemp("net") / "net.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, str(path)


def test_der_parser_shows_a_multi_attribute_dirname_and_a_malformed_ip(network_san_certificate):
    """A critical SAN extension is read; a DirName lists every attribute; a bad IP is shown in hex, not dropped."""
    cert, _path = network_san_certificate
    assert parse_der_certificate(cert.public_bytes(serialization.Encoding.DER))["sans"] == [
        ("DirName", "organizationName=ops, commonName=dir"),
        ("IP", "0a000000ff000000"),
        ("othername", "<unsupported>"),
    ]


@needs_openssl_decoder
def test_an_ip_san_openssl_cannot_read_is_kept_as_openssl_shows_it(network_san_certificate):
    """A verified peer's IP SAN that is no address, and a SAN type OpenSSL does not decode, keep OpenSSL's text."""
    _cert, path = network_san_certificate
    assert _http._from_peercert(_decode_with_openssl(path))["sans"] == [
        ("DirName", "organizationName=ops, commonName=dir"),
        ("IP", "<invalid>"),
        ("othername", "UPN:ops"),
    ]


def test_der_parser_decodes_every_form_of_the_first_two_oid_arcs(tmp_path):
    """Name attribute OIDs under 1.0, 2.0, 2.40 and 2.999 (a first number of two bytes) decode like OpenSSL's."""
    key = ec.generate_private_key(ec.SECP256R1())
    oids = ["1.0.5", "2.0.5", "2.40.5", "2.999.5"]
    name = x509.Name([x509.NameAttribute(x509.ObjectIdentifier(oid), f"v{oid}") for oid in oids])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(9)
        .not_valid_before(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
        .not_valid_after(datetime.datetime(2034, 1, 1, tzinfo=datetime.timezone.utc))
        .sign(key, hashes.SHA256())
    )
    parsed = parse_der_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert parsed["subject"] == [(oid, f"v{oid}") for oid in oids]
    if _decode_with_openssl is not None:
        path = tmp_path / "oids.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        assert parsed == _http._from_peercert(_decode_with_openssl(str(path)))


def _tlv(tag, content):
    """One DER element (definite length, short or long form)."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _certificate(
    issuer_oid=b"\x55\x04\x03",
    not_before=(0x17, b"240101000000Z"),
    common_name=(0x0C, b"ca"),
    sans=None,
    extra=b"",
    key=b"\x30\x00",
):
    """A structurally minimal certificate: serial, algorithm, issuer, validity, subject, key (unsigned).

    ``sans`` (encoded GeneralNames) adds a subjectAltName extension; ``extra`` is appended to the issuer's
    attribute, after its type and value; ``key`` stands for the subjectPublicKeyInfo, which is not read.
    """
    name = _tlv(0x30, _tlv(0x31, _tlv(0x30, _tlv(0x06, issuer_oid) + _tlv(*common_name) + extra)))
    subject = _tlv(0x30, _tlv(0x31, _tlv(0x30, _tlv(0x06, b"\x55\x04\x03") + _tlv(0x0C, b"leaf"))))
    validity = _tlv(0x30, _tlv(*not_before) + _tlv(0x18, b"20340101000000Z"))
    tbs = _tlv(0x02, b"\x01") + _tlv(0x30, b"") + name + validity + subject + key
    if sans is not None:
        extension = _tlv(0x30, _tlv(0x06, b"\x55\x1d\x11") + _tlv(0x04, _tlv(0x30, sans)))
        tbs += _tlv(0xA3, _tlv(0x30, extension))
    return _tlv(0x30, _tlv(0x30, tbs))


def test_der_parser_reads_a_minimal_certificate():
    """A version 1 certificate (no version field) parses; the error cases below start from it."""
    parsed = parse_der_certificate(_certificate())
    assert parsed["issuer"] == [("commonName", "ca")]
    assert parsed["subject"] == [("commonName", "leaf")]
    assert (parsed["serial"], parsed["sans"]) == ("01", [])
    assert parsed["not_before"] == datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    assert parsed["not_after"] == datetime.datetime(2034, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(
    ("der", "message"),
    [
        (b"", "truncated DER element at offset 0"),
        (b"\x30", "truncated DER element at offset 0"),
        (b"\x3f\x00", "multi-byte DER tags are not supported (offset 0)"),
        (b"\x30\x80", "bad DER length at offset 2"),
        (b"\x30\x85\x00\x00\x00\x00\x01\x00", "bad DER length at offset 2"),
        (b"\x30\x82\x01", "bad DER length at offset 2"),
        (b"\x30\x05\x02\x01", "DER element at offset 2 runs past the end"),
        (b"\x30\x81\x05\x02\x01", "DER element at offset 3 runs past the end"),
        (b"\x04\x00", "not a DER certificate (expected SEQUENCE)"),
        (_certificate(issuer_oid=b""), "empty OBJECT IDENTIFIER"),
        (_certificate(not_before=(0x17, b"240101000000+0100")), "certificate time '240101000000+0100' is not in UTC"),
        (_certificate(not_before=(0x04, b"240101000000Z")), "unexpected time tag 0x04"),
    ],
)
def test_der_parser_errors_say_what_is_wrong(der, message):
    """Each malformed certificate is refused with the reason, which health_check reports as parse_error."""
    with pytest.raises(ValueError) as caught:
        parse_der_certificate(der)
    assert str(caught.value) == message


def test_der_lengths_in_long_form_up_to_four_bytes_are_read():
    """A length written in four bytes is accepted (the long form DER allows here)."""
    short = _certificate()
    assert short[1] < 0x80
    long_form = b"\x30\x84" + short[1].to_bytes(4, "big") + short[2:]
    assert parse_der_certificate(long_form) == parse_der_certificate(short)


@pytest.mark.parametrize(
    ("encoded", "moment"),
    [
        ((0x17, b"500101000000Z"), datetime.datetime(1950, 1, 1, tzinfo=datetime.timezone.utc)),
        ((0x17, b"491231235959Z"), datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)),
        ((0x17, b"2402291230Z"), datetime.datetime(2024, 2, 29, 12, 30, tzinfo=datetime.timezone.utc)),
        ((0x18, b"20240229123015.25Z"), datetime.datetime(2024, 2, 29, 12, 30, 15, tzinfo=datetime.timezone.utc)),
    ],
    ids=["utctime-1950", "utctime-2049", "utctime-no-seconds", "generalized-fraction"],
)
def test_der_certificate_times(encoded, moment):
    """UTCTime years 50-99 are 19xx and 00-49 20xx; seconds may be left out; fractions of a second are dropped."""
    assert parse_der_certificate(_certificate(not_before=encoded))["not_before"] == moment


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ((0x1E, "Zürich".encode("utf-16-be")), "Zürich"),  # BMPString
        ((0x14, "Zürich".encode("latin-1")), "Zürich"),  # TeletexString, read as Latin-1
        ((0x13, b"c\xffa"), "c\ufffda"),  # PrintableString with a byte that is not ASCII
        ((0x04, b"\x01\xab"), "01ab"),  # OCTET STRING: shown in hex
    ],
)
def test_der_name_values_are_decoded_by_their_string_type(value, shown):
    """Each ASN.1 string type is decoded with its own character set; bad bytes become U+FFFD, unknown types hex."""
    assert parse_der_certificate(_certificate(common_name=value))["issuer"] == [("commonName", shown)]


def test_der_san_text_that_is_not_ascii_is_replaced_not_decoded():
    """email, DNS and URI names are IA5 (ASCII): other bytes show as U+FFFD instead of failing the parse."""
    sans = (
        _tlv(0x81, "ü@example.com".encode()) + _tlv(0x82, "bücher.example".encode()) + _tlv(0x86, "https://é/".encode())
    )
    other = _tlv(0xA0, _tlv(0x06, b"\x2b\x06\x01") + _tlv(0xA0, _tlv(0x0C, b"x")))
    assert parse_der_certificate(_certificate(sans=sans + other))["sans"] == [
        ("email", "\ufffd\ufffd@example.com"),
        ("DNS", "b\ufffd\ufffdcher.example"),
        ("URI", "https://\ufffd\ufffd/"),
        ("othername", "<unsupported>"),
    ]


def test_der_long_form_length_ending_exactly_at_its_parent_end():
    """A long-form length whose bytes end exactly where the enclosing element ends is read (empty content)."""
    short = _certificate()
    long_form = _certificate(key=b"\x30\x81\x00")
    assert parse_der_certificate(long_form) == parse_der_certificate(short)


def test_der_attribute_with_trailing_elements_keeps_its_type_and_value():
    """Only an attribute's type and value are read; anything after them is ignored."""
    parsed = parse_der_certificate(_certificate(extra=_tlv(0x05, b"")))
    assert parsed["issuer"] == [("commonName", "ca")]


# --------------------------------------------------------------------------
# build_config and parse_url: every option lands in the config, every bound is inclusive as documented
# --------------------------------------------------------------------------

_EXAMPLE = "http://127.0.0.1:8080/healthz, https://localhost:8443/healthz or http+unix://%2Frun%2Fapp.sock/healthz"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", f"url: empty; give a URL such as {_EXAMPLE}"),
        ("ftp://host/x", f"url 'ftp://host/x': scheme 'ftp' is not supported; use one of {_EXAMPLE}"),
        ("/healthz", f"url '/healthz': scheme '(none)' is not supported; use one of {_EXAMPLE}"),
        (
            "http+unix://run.sock/healthz",
            "url 'http+unix://run.sock/healthz': the host part must be the absolute socket path, percent-encoded "
            "(/ as %2F), e.g. http+unix://%2Frun%2Fapp.sock/healthz for /run/app.sock",
        ),
        (
            "http://token@127.0.0.1/",
            "url 'http://token@127.0.0.1/': credentials in the URL are not supported; "
            "send an Authorization header with headers",
        ),
        (
            "http://:pw@127.0.0.1/",
            "url 'http://:pw@127.0.0.1/': credentials in the URL are not supported; "
            "send an Authorization header with headers",
        ),
        ("http:///healthz", f"url 'http:///healthz': no host; give a URL such as {_EXAMPLE}"),
        ("http://127.0.0.1:99999/", "url 'http://127.0.0.1:99999/': the port is not a number between 0 and 65535"),
    ],
)
def test_parse_url_errors_name_the_url_and_the_fix(url, message):
    """Each bad url is quoted in full with the forms that work."""
    with pytest.raises(HealthCheckError) as info:
        parse_url(url)
    assert str(info.value) == message


def test_parse_url_is_forgiving_about_spaces_and_case():
    """Surrounding spaces are dropped and the scheme is case-insensitive; https defaults to port 443."""
    target = parse_url("  HTTPS://Example.com/healthz ")
    assert (target.url, target.scheme, target.host, target.port, target.tls) == (
        "HTTPS://Example.com/healthz",
        "https",
        "example.com",
        443,
        True,
    )
    assert target.describe() == "example.com:443"
    assert parse_url("http+unix://%2Frun%2Fa.sock").request_path == "/"


@pytest.mark.parametrize(
    "overrides",
    [
        {"retries": 0},
        {"delay": 0},
        {"backoff": 1},
        {"max_delay": 0},
        {"success_threshold": 1},
        {"failure_threshold": 1},
        {"max_body_bytes": 1},
        {"return_body_bytes": 0},
        {"timeout": 0.001},
        {"deadline": 0.001},
        {"url": "https://127.0.0.1/", "min_cert_days": 0},
    ],
)
def test_build_config_accepts_each_documented_minimum(overrides):
    """Each numeric option accepts its documented minimum (> 0 for timeout and deadline)."""
    config = build_config(_params(**overrides))
    name, value = next((k, v) for k, v in overrides.items() if k != "url")
    assert getattr(config, name) == value


def test_build_config_carries_every_option():
    """Every option given reaches the config, converted to the type the probe uses."""
    config = build_config(
        _params(
            url="https://127.0.0.1:8443/healthz",
            method="head",
            headers={"X-Count": 3, "HOST": "Api.Example.com:8443"},
            status_codes=[204],
            allow_redirect_to_other_host=True,
            timeout=2,
            retries=4,
            delay=3,
            backoff=3,
            max_delay=9,
            deadline=20,
            success_threshold=2,
            failure_threshold=3,
            max_body_bytes=100,
            return_body_bytes=10,
            min_cert_days=7,
            server_name="api.example.com",
            check_hostname=True,
        )
    )
    assert config.method == "HEAD"
    assert config.headers == {"X-Count": "3", "HOST": "Api.Example.com:8443"}
    assert config.probed_host == "api.example.com"
    assert config.status_codes.text == "204"
    assert config.allow_redirect_to_other_host is True
    values = {
        name: getattr(config, name)
        for name in (
            "timeout",
            "retries",
            "delay",
            "backoff",
            "max_delay",
            "deadline",
            "success_threshold",
            "failure_threshold",
            "max_body_bytes",
            "return_body_bytes",
            "min_cert_days",
        )
    }
    assert values == {
        "timeout": 2.0,
        "retries": 4,
        "delay": 3.0,
        "backoff": 3.0,
        "max_delay": 9.0,
        "deadline": 20.0,
        "success_threshold": 2,
        "failure_threshold": 3,
        "max_body_bytes": 100,
        "return_body_bytes": 10,
        "min_cert_days": 7,
    }
    assert [type(values[name]) for name in ("timeout", "deadline", "retries", "failure_threshold")] == [
        float,
        float,
        int,
        int,
    ]
    assert (config.server_name, config.client_cert) == ("api.example.com", None)
    assert config.ssl_context.check_hostname is True and config.ssl_context.verify_mode == ssl.CERT_REQUIRED


def test_build_config_defaults_for_https_and_unset_options():
    """An https URL verifies certificates and host names by default; unset optional limits stay unset."""
    config = build_config(_params(url="https://127.0.0.1/"))
    assert config.ssl_context.verify_mode == ssl.CERT_REQUIRED and config.ssl_context.check_hostname is True
    assert (config.min_cert_days, config.server_name, config.allow_redirect_to_other_host) == (None, None, False)
    assert config.headers == {} and config.body_regex is None and config.json_assertions == []


def test_a_host_header_without_a_host_name_is_the_probed_host_as_given():
    """A Host header that holds no host name is compared as written."""
    assert build_config(_params(headers={"host": ":8080"})).probed_host == ":8080"


@pytest.mark.parametrize(
    "option", ["ca_path", "client_cert", "client_key", "client_key_password", "server_name", "min_cert_days"]
)
def test_each_tls_option_is_refused_on_a_plain_http_url(option):
    """A TLS-only option on an http:// URL is refused by name, with the fix."""
    with pytest.raises(HealthCheckError) as info:
        build_config(_params(**{option: 1 if option == "min_cert_days" else "x"}))
    assert str(info.value) == (
        f"{option} only apply to https:// URLs but url is 'http://127.0.0.1:8080/healthz'; "
        "use an https:// URL or drop them"
    )


@pytest.mark.parametrize(("status", "fails"), [(299, False), (300, True), (399, True), (400, False)])
def test_only_3xx_answers_are_checked_for_a_redirect_to_another_host(status, fails):
    """A Location to another host fails only a 3xx answer (300 to 399)."""
    config = build_config(_params(status_codes=["200-499"]))
    failures, _document = evaluate(config, _response(status, location="https://sso.example.com/"))
    assert bool(failures) is fails


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            [{"path": "status", "equal": "ok", "bogus": 1}],
            "json_assertions[0]: unknown key(s) bogus, equal; use path plus one of equals, in, exists, matches",
        ),
        (
            [{"path": " ", "equals": "ok"}],
            "json_assertions[0]: path is missing or empty; give dot-separated keys, e.g. checks.db.status",
        ),
        (
            [{"path": 3, "equals": "ok"}],
            "json_assertions[0]: path is missing or empty; give dot-separated keys, e.g. checks.db.status",
        ),
        (
            [{"path": ".a", "exists": True}],
            "json_assertions[0]: path '.a' has an empty segment; separate keys with single dots, e.g. checks.db.status",
        ),
        (
            [{"path": "s", "equals": 1, "in": [1], "exists": True}],
            "json_assertions[0] (path s): give exactly one of equals, in, exists, matches; found equals, in, exists",
        ),
        (
            [{"path": "s", "in": "ok"}],
            "json_assertions[0] (path s): in must be a list of accepted values, e.g. [ok, degraded]",
        ),
        ([{"path": "s", "exists": 1}], "json_assertions[0] (path s): exists must be true or false"),
        ([{"path": "s", "matches": 3}], "json_assertions[0] (path s): matches must be a regular expression string"),
        (
            [{"path": "s", "matches": "(ok"}],
            "json_assertions[0] (path s): matches '(ok' is not a valid regular expression: "
            "missing ), unterminated subpattern at position 0",
        ),
    ],
)
def test_parse_json_assertions_errors_in_full(items, message):
    """Each refused json_assertions item names its index, its path and the fix."""
    with pytest.raises(HealthCheckError) as info:
        parse_json_assertions(items)
    assert str(info.value) == message


def test_parse_json_assertions_keeps_each_item_as_given():
    """Index, stripped path, operator and expected value (an 'in' tuple as a list) are kept per item."""
    first, second = parse_json_assertions([{"path": " a.b ", "in": ("x", "y")}, {"path": "c", "exists": False}])
    assert (first.index, first.path, first.operator, first.expected) == (0, "a.b", "in", ["x", "y"])
    assert (second.index, second.path, second.operator, second.expected) == (1, "c", "exists", False)
    assert check_assertion(first, {"a": {"b": "z"}}) == 'json_assertions[0] (a.b): expected one of ["x", "y"], got "z"'
    assert parse_json_assertions(None) == []


@pytest.mark.parametrize(
    ("items", "text", "inside", "outside"),
    [
        (["100", "599"], "100, 599", [100, 599], [101, 598]),
        (["100-599"], "100-599", [100, 599], [99, 600]),
        (["204-204"], "204", [204], [203, 205]),
        (["200 - 204"], "200-204", [200, 204], [205]),
    ],
)
def test_status_codes_bounds_and_text(items, text, inside, outside):
    """Codes from 100 to 599 are accepted, ranges are inclusive, and a one-code range reads as the code."""
    codes = parse_status_codes(items)
    assert codes.text == text
    assert all(code in codes for code in inside)
    assert not any(code in codes for code in outside)


def test_status_codes_error_in_full():
    """A bad status_codes item is quoted with the accepted forms."""
    with pytest.raises(HealthCheckError) as info:
        parse_status_codes(["2xx"])
    assert str(info.value) == (
        "status_codes item '2xx': expected a code such as 200 or an inclusive range such as 200-299, "
        "within 100-599 and low <= high"
    )
    with pytest.raises(HealthCheckError) as info:
        parse_status_codes(None)
    assert str(info.value) == "status_codes: empty; list codes or ranges, e.g. [200] or ['200-299']"


def test_json_depth_looks_past_scalars():
    """A scalar next to a deeper array does not end the depth count."""
    assert _http.json_depth([[[]], 1]) == 3
    assert _http.json_depth({"a": [[[]]], "b": "x"}) == 4


def test_an_unverified_tls_context_is_built_without_deprecation_warnings():
    """validate_certs false builds its client context without any deprecated ssl call."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config = build_config(_params(url="https://127.0.0.1/", validate_certs=False))
    assert config.ssl_context.verify_mode == ssl.CERT_NONE


def test_a_ca_path_that_is_not_pem_says_what_to_give(tmp_path):
    """A ca_path that holds no certificate is refused, quoting it, with the accepted forms."""
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(HealthCheckError) as info:
        build_config(_params(url="https://127.0.0.1/", ca_path=str(bad)))
    message = str(info.value)
    assert message.startswith(f"ca_path '{bad}': cannot load CA certificates: ")
    assert message.endswith("; give a PEM bundle file or a c_rehash'ed directory")


@pytest.fixture(scope="module")
def encrypted_client_key(tmp_path_factory):
    """A client certificate and its private key encrypted with the password 'pw'."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "probe")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(11)
        .not_valid_before(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
        .not_valid_after(datetime.datetime(2034, 1, 1, tzinfo=datetime.timezone.utc))
        .sign(key, hashes.SHA256())
    )
    base = tmp_path_factory.mktemp("client")
    (base / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (base / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    return str(base / "cert.pem"), str(base / "key.pem")


def test_client_key_password_unlocks_an_encrypted_key(encrypted_client_key):
    """An encrypted client key loads with client_key_password; a wrong password is refused with the fix."""
    cert, key = encrypted_client_key
    options = dict(url="https://127.0.0.1/", client_cert=cert, client_key=key)
    assert build_config(_params(client_key_password="pw", **options)).client_cert == cert
    with pytest.raises(HealthCheckError) as info:
        build_config(_params(client_key_password="wrong", **options))
    message = str(info.value)
    assert message.startswith(
        f"client_cert '{cert}' / client_key '{key}': cannot load the client certificate and key: "
    )
    assert message.endswith("; give PEM files (client_key may be omitted when client_cert also holds the key)")


# --------------------------------------------------------------------------
# What a module masks in its result
# --------------------------------------------------------------------------


class _Masked:
    """The part of AnsibleModule these helpers change: the set of values masked in everything it returns."""

    def __init__(self, *values):
        self.no_log_values = set(values)


def test_hide_url_secrets_masks_only_the_credentials_of_each_url():
    """A URL masked whole is unmasked; its user:password (and query, when asked) stay masked; others untouched."""
    url = "https://deploy:pa55@h.example/a?sig=1"
    module = _Masked(url, "unrelated")
    _http.hide_url_secrets(module, [url, None, "", 7], query=True)
    assert module.no_log_values == {"unrelated", "//deploy:pa55@", "?sig=1"}
    plain = _Masked(url)
    _http.hide_url_secrets(plain, [None, "", url])
    assert plain.no_log_values == {"//deploy:pa55@"}


def test_hide_url_secrets_leaves_a_url_not_declared_no_log_alone():
    """For a URL option that is not no_log, the URL itself is not unmasked (a value it equals may be secret)."""
    url = "http://127.0.0.1/a"
    module = _Masked(url)
    _http.hide_url_secrets(module, [url], declared_no_log=False)
    assert module.no_log_values == {url}


def test_show_public_headers_unmasks_public_values_only():
    """Values of public headers (any case) are unmasked unless a secret header has the same value."""
    module = _Masked("localhost", "tok", "gzip", "Bearer x")
    headers = {
        "HOST": "localhost",
        "Accept": "tok",
        "X-Token": "tok",
        "Accept-Encoding": "gzip",
        "Authorization": "Bearer x",
    }
    _http.show_public_headers(module, headers)
    assert module.no_log_values == {"tok", "Bearer x"}
    _http.show_public_headers(module, None)
    assert module.no_log_values == {"tok", "Bearer x"}


@pytest.mark.parametrize(
    "name",
    [
        "accept",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "connection",
        "host",
        "user-agent",
        "x-forwarded-host",
        "x-forwarded-proto",
    ],
)
def test_each_public_header_value_is_shown(name):
    """Each header documented as carrying no credential is shown in the result."""
    module = _Masked("value-1")
    _http.show_public_headers(module, {name: "value-1"})
    assert module.no_log_values == set()
