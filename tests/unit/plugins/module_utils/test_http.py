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
