# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP(S) health probing for the gosvc.hardening.health_check module.

Standard library only; runs on target Pythons 3.9 to 3.13. The pieces are
small pure functions so that unit tests can drive them without a host:

* ``build_config`` validates module parameters and raises ``HealthCheckError``
  with a message naming the bad input and the fix;
* ``probe_once`` performs one request (http, https or http over a unix socket)
  within a time budget and reads at most ``max_body_bytes`` of the body;
* ``evaluate`` turns one response into a list of failure strings;
* ``run_schedule`` drives attempts (retries, exponential backoff, deadline,
  success/failure thresholds) with an injectable clock and sleep;
* ``run_health_check`` ties them together and builds the module result.

URL forms: ``http://HOST[:PORT]/PATH``, ``https://HOST[:PORT]/PATH`` and
``http+unix://%2Frun%2Fapp.sock/PATH`` (the socket path, percent-encoded, is
the host part; the request carries ``Host: localhost``).
"""

from __future__ import annotations

import datetime
import hashlib
import http.client
import io
import ipaddress
import json
import math
import os
import re
import socket
import ssl
import time
from urllib.parse import unquote, urlsplit

SCHEMES = ("http", "https", "http+unix")
JSON_OPERATORS = ("equals", "in", "exists", "matches")
STOP_SUCCESS = "success"
STOP_FAILURE_THRESHOLD = "failure_threshold"
STOP_RETRIES_EXHAUSTED = "retries_exhausted"
STOP_DEADLINE = "deadline"
USER_AGENT = "gosvc.hardening-health_check"
_READ_CHUNK = 65536
_SNIPPET = 120
#: Deepest nesting of arrays and objects a response body may have. A health document is a few
#: levels deep; a deeper body fails the attempt and its document is not put in the result
#: (Python's json module and Ansible's result handling recurse once per level).
MAX_JSON_DEPTH = 100
_TOO_DEEP = "nested too deeply"


class HealthCheckError(ValueError):
    """A module parameter is invalid; the message names it and the fix."""


# --------------------------------------------------------------------------
# URL
# --------------------------------------------------------------------------


class Target:
    """Where to connect and what to request."""

    def __init__(self, url, scheme, host, port, unix_path, request_path):
        self.url = url
        self.scheme = scheme
        self.host = host
        self.port = port
        self.unix_path = unix_path
        self.request_path = request_path

    @property
    def tls(self):
        return self.scheme == "https"

    def describe(self):
        if self.unix_path:
            return f"unix socket {self.unix_path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_url(url):
    """Parse and validate ``url``; return a ``Target``."""
    example = "http://127.0.0.1:8080/healthz, https://localhost:8443/healthz or http+unix://%2Frun%2Fapp.sock/healthz"
    if not isinstance(url, str) or not url.strip():
        raise HealthCheckError(f"url: empty; give a URL such as {example}")
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise HealthCheckError(f"url {url!r}: scheme {scheme or '(none)'!r} is not supported; use one of {example}")
    request_path = parts.path or "/"
    if parts.query:
        request_path += "?" + parts.query
    if scheme == "http+unix":
        socket_path = unquote(parts.netloc)
        if not socket_path.startswith("/"):
            raise HealthCheckError(
                f"url {url!r}: the host part must be the absolute socket path, percent-encoded "
                "(/ as %2F), e.g. http+unix://%2Frun%2Fapp.sock/healthz for /run/app.sock"
            )
        return Target(url, scheme, "localhost", 80, socket_path, request_path)
    if parts.username is not None or parts.password is not None:
        raise HealthCheckError(
            f"url {url!r}: credentials in the URL are not supported; send an Authorization header with headers"
        )
    host = parts.hostname
    if not host:
        raise HealthCheckError(f"url {url!r}: no host; give a URL such as {example}")
    try:
        port = parts.port
    except ValueError:
        raise HealthCheckError(f"url {url!r}: the port is not a number between 0 and 65535") from None
    if port is None:
        port = 443 if scheme == "https" else 80
    return Target(url, scheme, host, port, None, request_path)


def url_secrets(url, query=False):
    """The parts of ``url`` that may be credentials: ``//<user:password>@`` and, with ``query``, ``?<query>``.

    Written with their delimiters, so that masking them hides only those parts of the URL (a short
    user name alone would mask every occurrence of those letters in a result).
    """
    if not isinstance(url, str):
        return []
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return []
    found = []
    userinfo, at, _host = parts.netloc.rpartition("@")
    if at:
        found.append(f"//{userinfo}@")
    if query and parts.query:
        found.append(f"?{parts.query}")
    return found


#: Request headers whose values are never credentials; the values of all other headers are secret.
PUBLIC_HEADERS = frozenset(
    (
        "accept",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "connection",
        "host",
        "user-agent",
        "x-forwarded-host",
        "x-forwarded-proto",
    )
)


def show_public_headers(module, headers):
    """Unmask the values of PUBLIC_HEADERS in what ``module`` returns; every other header value stays masked.

    The headers option is declared ``no_log``, so AnsibleModule masks all its values, wherever they
    occur in the result. A Host value such as ``localhost`` would then be starred out of every URL
    and message; it carries no credential, so it is shown. A value that another header also has
    stays masked.
    """
    headers = headers or {}
    secret = {str(value) for name, value in headers.items() if str(name).lower() not in PUBLIC_HEADERS}
    for name, value in headers.items():
        if str(name).lower() in PUBLIC_HEADERS and str(value) not in secret:
            module.no_log_values.discard(str(value))


def hide_url_secrets(module, urls, query=False, declared_no_log=True):
    """Mask only the credential parts of ``urls`` in everything ``module`` returns.

    A URL option declared ``no_log`` is masked whole by AnsibleModule, so that a failure inside
    AnsibleModule (before this runs) shows none of it. Once the module runs, the whole URL is
    unmasked again (``declared_no_log``) and only its user:password part (and, with ``query``, its
    query string) stays masked, in the ``invocation`` echo and in any message that quotes the URL.
    """
    for url in urls:
        if not isinstance(url, str) or not url:
            continue
        if declared_no_log:
            module.no_log_values.discard(url)
        module.no_log_values.update(url_secrets(url, query))


# --------------------------------------------------------------------------
# Expected status codes
# --------------------------------------------------------------------------


class StatusSet:
    """A set of HTTP status codes given as codes and inclusive ranges."""

    def __init__(self, ranges, text):
        self.ranges = ranges
        self.text = text

    def __contains__(self, code):
        return any(low <= code <= high for low, high in self.ranges)


_STATUS_RE = re.compile(r"(\d{3})(?:\s*-\s*(\d{3}))?")


def parse_status_codes(items):
    """Parse ``status_codes`` items such as ``200``, ``"204"`` or ``"200-299"``."""
    if not items:
        raise HealthCheckError("status_codes: empty; list codes or ranges, e.g. [200] or ['200-299']")
    ranges = []
    for item in items:
        text = str(item).strip()
        match = _STATUS_RE.fullmatch(text)
        low = int(match.group(1)) if match else 0
        high = int(match.group(2) or low) if match else 0
        if not match or not (100 <= low <= high <= 599):
            raise HealthCheckError(
                f"status_codes item {item!r}: expected a code such as 200 or an inclusive range such as 200-299, "
                "within 100-599 and low <= high"
            )
        ranges.append((low, high))
    return StatusSet(ranges, ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges))


# --------------------------------------------------------------------------
# JSON assertions
# --------------------------------------------------------------------------


def _json_kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _show(value, limit=200):
    """Render a value as compact JSON for messages, truncated to ``limit`` characters."""
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def json_depth(document):
    """The deepest nesting of arrays and objects in a parsed JSON document (a scalar is 0), without recursion."""
    deepest = 0
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def parse_json_body(body, max_depth=MAX_JSON_DEPTH):
    """``(document, None)`` for a JSON body, or ``(None, problem)`` when it does not parse.

    ``problem`` is text. A body nested deeper than ``max_depth`` is refused whatever its syntax
    (Python's parser raises RecursionError on it, not ValueError); the text then starts with
    ``_TOO_DEEP``.
    """
    too_deep = f"{_TOO_DEEP} (more than {max_depth} levels of arrays and objects)"
    try:
        document = json.loads(body)
    except RecursionError:
        return None, too_deep
    except ValueError as exc:  # includes UnicodeDecodeError
        return None, str(exc)
    if json_depth(document) > max_depth:
        return None, too_deep
    return document, None


def json_equal(actual, expected):
    """Compare a JSON value with an expected value without Python's bool/int mixing.

    Same JSON kind: plain equality (arrays and objects element by element;
    ``true`` never equals ``1``). An expected *string* also matches a JSON
    number, boolean or null written the same way (``"3"``, ``"true"``,
    ``"null"``), because templated task values often arrive as strings.
    """
    ka, ke = _json_kind(actual), _json_kind(expected)
    if ka == ke:
        if ka == "array":
            return len(actual) == len(expected) and all(json_equal(a, e) for a, e in zip(actual, expected))
        if ka == "object":
            return set(actual) == set(expected) and all(json_equal(actual[k], expected[k]) for k in actual)
        return actual == expected
    if ke == "string":
        text = expected.strip()
        if ka == "number":
            try:
                return float(text) == actual
            except ValueError:
                return False
        if ka in ("boolean", "null"):
            return json.dumps(actual) == text
    return False


class JsonAssertion:
    """One validated JSON assertion: ``path`` plus exactly one operator."""

    def __init__(self, index, path, operator, expected):
        self.index = index
        self.path = path
        self.segments = path.split(".")
        self.operator = operator
        self.expected = expected
        self.regex = re.compile(expected) if operator == "matches" else None

    @property
    def label(self):
        return f"json_assertions[{self.index}] ({self.path})"

    def describe(self):
        """The expected value in words, for equals, in and matches (check_assertion words exists itself)."""
        if self.operator == "equals":
            return f"equals {_show(self.expected)}"
        if self.operator == "in":
            return f"one of {_show(self.expected)}"
        return f"a value matching /{self.expected}/"


def parse_json_assertions(items):
    """Validate ``json_assertions`` and return ``JsonAssertion`` objects.

    Each item is a mapping with ``path`` (dot-separated keys; a numeric segment
    indexes an array) and exactly one of ``equals``, ``in``, ``exists``,
    ``matches``. A key that is present with a null value counts as not given
    (that is how Ansible fills unset sub-options).
    """
    result = []
    for index, item in enumerate(items or []):
        label = f"json_assertions[{index}]"
        if not isinstance(item, dict):
            raise HealthCheckError(
                f"{label}: expected a mapping such as {{path: status, equals: ok}}, got {_show(item)}"
            )
        unknown = sorted(set(item) - {"path", *JSON_OPERATORS})
        if unknown:
            raise HealthCheckError(
                f"{label}: unknown key(s) {', '.join(unknown)}; use path plus one of {', '.join(JSON_OPERATORS)}"
            )
        path = item.get("path")
        if not isinstance(path, str) or not path.strip():
            raise HealthCheckError(f"{label}: path is missing or empty; give dot-separated keys, e.g. checks.db.status")
        path = path.strip()
        if any(not segment for segment in path.split(".")):
            raise HealthCheckError(
                f"{label}: path {path!r} has an empty segment; separate keys with single dots, e.g. checks.db.status"
            )
        given = [op for op in JSON_OPERATORS if item.get(op) is not None]
        if len(given) != 1:
            raise HealthCheckError(
                f"{label} (path {path}): give exactly one of {', '.join(JSON_OPERATORS)}; "
                f"found {', '.join(given) if given else 'none'}"
            )
        operator = given[0]
        expected = item[operator]
        if operator == "in" and not isinstance(expected, (list, tuple)):
            raise HealthCheckError(f"{label} (path {path}): in must be a list of accepted values, e.g. [ok, degraded]")
        if operator == "in":
            expected = list(expected)
        if operator == "exists" and not isinstance(expected, bool):
            raise HealthCheckError(f"{label} (path {path}): exists must be true or false")
        if operator == "matches":
            if not isinstance(expected, str):
                raise HealthCheckError(f"{label} (path {path}): matches must be a regular expression string")
            try:
                re.compile(expected)
            except re.error as exc:
                raise HealthCheckError(
                    f"{label} (path {path}): matches {expected!r} is not a valid regular expression: {exc}"
                ) from None
        result.append(JsonAssertion(index, path, operator, expected))
    return result


def lookup_path(document, segments):
    """Follow ``segments`` into ``document``; return ``(found, value, why_not)``."""
    current = document
    walked = []
    for segment in segments:
        where = f"under {'.'.join(walked)}" if walked else "at the top level"
        holder = ".".join(walked) if walked else "the top level"
        if isinstance(current, dict):
            if segment not in current:
                return False, None, f"key {segment!r} missing {where}"
            current = current[segment]
        elif isinstance(current, list):
            if not segment.isdigit():
                return False, None, f"{holder} is an array; use a numeric index instead of {segment!r}"
            position = int(segment)
            if position >= len(current):
                return False, None, f"index {position} out of range (array of {len(current)}) {where}"
            current = current[position]
        else:
            return False, None, f"found a {_json_kind(current)} {where}, not an object or array"
        walked.append(segment)
    return True, current, None


def check_assertion(assertion, document):
    """Return ``None`` when ``assertion`` holds for ``document``, else a failure message."""
    found, value, why = lookup_path(document, assertion.segments)
    if assertion.operator == "exists":
        if assertion.expected and not found:
            return f"{assertion.label}: expected to exist, got nothing ({why})"
        if not assertion.expected and found:
            return f"{assertion.label}: expected to be absent, got {_show(value)}"
        return None
    if not found:
        return f"{assertion.label}: expected {assertion.describe()}, got nothing ({why})"
    if assertion.operator == "equals":
        ok = json_equal(value, assertion.expected)
    elif assertion.operator == "in":
        ok = any(json_equal(value, candidate) for candidate in assertion.expected)
    else:
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        ok = assertion.regex.search(text) is not None
    if ok:
        return None
    return f"{assertion.label}: expected {assertion.describe()}, got {_show(value)}"


# --------------------------------------------------------------------------
# Redirects
# --------------------------------------------------------------------------


def redirect_other_host(location, probed_host):
    """Return the other host a ``Location`` points to, or ``None`` if it stays on ``probed_host``.

    Relative locations stay on the host. Absolute ones (and ``//host/...``)
    are compared by host name only, case-insensitively: scheme and port may
    change (``http://x:80`` to ``https://x:443`` is the same host).
    """
    if not location:
        return None
    parts = urlsplit(location.strip())
    if not parts.netloc:
        return None
    host = (parts.hostname or "").lower()
    if host != probed_host.lower():
        return host or parts.netloc
    return None


# --------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------

# OID -> OpenSSL long name, as ssl.SSLSocket.getpeercert() spells them.
_NAME_OIDS = {
    "2.5.4.3": "commonName",
    "2.5.4.4": "surname",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "countryName",
    "2.5.4.7": "localityName",
    "2.5.4.8": "stateOrProvinceName",
    "2.5.4.9": "streetAddress",
    "2.5.4.10": "organizationName",
    "2.5.4.11": "organizationalUnitName",
    "2.5.4.12": "title",
    "2.5.4.15": "businessCategory",
    "2.5.4.17": "postalCode",
    "2.5.4.41": "name",
    "2.5.4.42": "givenName",
    "2.5.4.43": "initials",
    "2.5.4.44": "generationQualifier",
    "2.5.4.46": "dnQualifier",
    "2.5.4.65": "pseudonym",
    "2.5.4.97": "organizationIdentifier",
    "1.2.840.113549.1.9.1": "emailAddress",
    "0.9.2342.19200300.100.1.1": "userId",
    "0.9.2342.19200300.100.1.25": "domainComponent",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionLocalityName",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionStateOrProvinceName",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionCountryName",
}
_OID_SUBJECT_ALT_NAME = "2.5.29.17"
_STRING_CODECS = {
    0x0C: "utf-8",  # UTF8String
    0x12: "ascii",  # NumericString
    0x13: "ascii",  # PrintableString
    0x14: "latin-1",  # TeletexString (treated as Latin-1, as OpenSSL does)
    0x16: "ascii",  # IA5String
    0x1A: "ascii",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}


def _der_read(data, pos):
    """Read one DER element at ``pos``; return ``(tag, content, next_pos)``."""
    if pos + 2 > len(data):
        raise ValueError(f"truncated DER element at offset {pos}")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError(f"multi-byte DER tags are not supported (offset {pos})")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError(f"bad DER length at offset {pos}")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise ValueError(f"DER element at offset {pos} runs past the end")
    return tag, data[pos:end], end


def _der_children(content):
    children = []
    pos = 0
    while pos < len(content):
        tag, value, pos = _der_read(content, pos)
        children.append((tag, value))
    return children


def _der_oid(content):
    if not content:
        raise ValueError("empty OBJECT IDENTIFIER")
    numbers = []
    value = 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(value)
            value = 0
    # The first number packs two arcs (40 * X + Y); it takes more than one byte under 2.48 and above.
    top = min(numbers[0] // 40, 2)
    arcs = [top, numbers[0] - 40 * top, *numbers[1:]]
    return ".".join(str(arc) for arc in arcs)


def _der_string(tag, content):
    codec = _STRING_CODECS.get(tag)
    if codec is None:
        return content.hex()
    return content.decode(codec, errors="replace")


def _der_time(tag, content):
    text = content.decode("ascii")
    if not text.endswith("Z"):
        raise ValueError(f"certificate time {text!r} is not in UTC")
    text = text[:-1].split(".")[0]
    if tag == 0x17:  # UTCTime: YYMMDDHHMM[SS]
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    elif tag != 0x18:  # GeneralizedTime
        raise ValueError(f"unexpected time tag 0x{tag:02x}")
    if len(text) == 12:
        text += "00"
    return datetime.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=datetime.timezone.utc)


def _der_name(content):
    """A Name (SEQUENCE OF SET OF AttributeTypeAndValue) as ``[(attr, value), ...]``."""
    pairs = []
    for _set_tag, rdn in _der_children(content):
        for _seq_tag, atv in _der_children(rdn):
            (_oid_tag, oid), (value_tag, value) = _der_children(atv)[:2]
            oid_text = _der_oid(oid)
            pairs.append((_NAME_OIDS.get(oid_text, oid_text), _der_string(value_tag, value)))
    return pairs


def _format_ip(raw):
    try:
        if isinstance(raw, bytes):
            return str(ipaddress.ip_address(raw))
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return raw.hex() if isinstance(raw, bytes) else raw


def _format_name(pairs):
    return ", ".join(f"{attr}={value}" for attr, value in pairs)


def _der_general_names(content):
    names = []
    for tag, value in _der_children(content):
        kind = tag & 0x1F
        if kind == 1:
            names.append(("email", value.decode("ascii", errors="replace")))
        elif kind == 2:
            names.append(("DNS", value.decode("ascii", errors="replace")))
        elif kind == 6:
            names.append(("URI", value.decode("ascii", errors="replace")))
        elif kind == 7:
            names.append(("IP", _format_ip(value)))
        elif kind == 4:
            names.append(("DirName", _format_name(_der_name(_der_children(value)[0][1]))))
        elif kind == 8:
            names.append(("RID", _der_oid(value)))
        else:
            names.append(("othername", "<unsupported>"))
    return names


def _serial_hex(content):
    """Serial number as OpenSSL prints it: upper-case hex of whole bytes, ``-`` prefix when negative."""
    value = int.from_bytes(content, "big", signed=True)
    if value == 0:
        return "00"
    magnitude = abs(value)
    text = magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big").hex().upper()
    return "-" + text if value < 0 else text


def parse_der_certificate(der):
    """Parse the fields health_check reports from a DER X.509 certificate.

    Returns ``{"subject": [(attr, value)], "issuer": [...], "serial": HEX,
    "not_before": datetime, "not_after": datetime, "sans": [(type, value)]}``.
    Used when the peer certificate was not validated: ``getpeercert()`` then
    returns an empty dict and the standard library has no public DER decoder.
    """
    tag, certificate, _end = _der_read(der, 0)
    if tag != 0x30:
        raise ValueError("not a DER certificate (expected SEQUENCE)")
    _tbs_tag, tbs = _der_children(certificate)[0]
    fields = _der_children(tbs)
    index = 1 if fields[0][0] == 0xA0 else 0  # explicit [0] version
    serial = fields[index][1]
    issuer = _der_name(fields[index + 2][1])
    validity = _der_children(fields[index + 3][1])
    subject = _der_name(fields[index + 4][1])
    sans = []
    for extra_tag, extra in fields:
        if extra_tag != 0xA3:  # only the extensions field is tagged [3]
            continue
        for _ext_tag, extension in _der_children(_der_children(extra)[0][1]):
            parts = _der_children(extension)
            if _der_oid(parts[0][1]) == _OID_SUBJECT_ALT_NAME:
                _seq_tag, general_names, _end = _der_read(parts[-1][1], 0)
                sans = _der_general_names(general_names)
    return {
        "subject": subject,
        "issuer": issuer,
        "serial": _serial_hex(serial),
        "not_before": _der_time(*validity[0]),
        "not_after": _der_time(*validity[1]),
        "sans": sans,
    }


_PEERCERT_SAN_TYPES = {"DNS": "DNS", "IP Address": "IP", "email": "email", "URI": "URI", "Registered ID": "RID"}


def _from_peercert(peer):
    """Normalise ``ssl.SSLSocket.getpeercert()`` output to the ``parse_der_certificate`` shape."""

    def flatten(rdns):
        return [pair for rdn in rdns for pair in rdn]

    def when(text):
        return datetime.datetime.fromtimestamp(ssl.cert_time_to_seconds(text), datetime.timezone.utc)

    sans = []
    for kind, value in peer.get("subjectAltName", ()):
        if kind == "IP Address":
            sans.append(("IP", _format_ip(value)))
        elif kind == "DirName":
            sans.append(("DirName", _format_name(flatten(value))))
        else:
            sans.append((_PEERCERT_SAN_TYPES.get(kind, kind), value))
    return {
        "subject": flatten(peer.get("subject", ())),
        "issuer": flatten(peer.get("issuer", ())),
        "serial": peer.get("serialNumber"),
        "not_before": when(peer["notBefore"]) if "notBefore" in peer else None,
        "not_after": when(peer["notAfter"]) if "notAfter" in peer else None,
        "sans": sans,
    }


def _name_dict(pairs):
    result = {}
    for attr, value in pairs:
        result[attr] = f"{result[attr]}, {value}" if attr in result else value
    return result


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def certificate_summary(parsed, now):
    """Build the ``tls`` certificate fields from a parsed certificate and a POSIX time ``now``."""
    not_after = parsed.get("not_after")
    seconds_left = (not_after.timestamp() - now) if not_after else None
    return {
        "subject": _name_dict(parsed.get("subject", [])),
        "issuer": _name_dict(parsed.get("issuer", [])),
        "sans": [f"{kind}:{value}" for kind, value in parsed.get("sans", [])],
        "serial": parsed.get("serial"),
        "not_before": _iso(parsed.get("not_before")),
        "not_after": _iso(not_after),
        "days_remaining": math.floor(seconds_left / 86400.0) if seconds_left is not None else None,
        "seconds_remaining": seconds_left,
    }


def peer_tls_info(tls_socket, now):
    """Describe the peer certificate and session of a connected ``ssl.SSLSocket``."""
    der = tls_socket.getpeercert(binary_form=True)
    info = {
        "version": tls_socket.version(),
        "cipher": (tls_socket.cipher() or (None,))[0],
        "verified": tls_socket.context.verify_mode != ssl.CERT_NONE,
        "sha256_fingerprint": None,
    }
    if not der:
        info["parse_error"] = "the server sent no certificate"
        return info
    info["sha256_fingerprint"] = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    try:
        peer = tls_socket.getpeercert()
        parsed = _from_peercert(peer) if peer else parse_der_certificate(der)
    except (ValueError, IndexError, KeyError, UnicodeDecodeError) as exc:
        info["parse_error"] = f"cannot parse the peer certificate: {exc}"
        return info
    info.update(certificate_summary(parsed, now))
    return info


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------


class Config:
    """Validated health check settings (see ``build_config``)."""

    def __init__(self, **values):
        self.__dict__.update(values)


def _require(condition, message):
    if not condition:
        raise HealthCheckError(message)


def build_ssl_context(validate_certs, check_hostname, ca_path, client_cert, client_key, client_key_password):
    """Create the client ``ssl.SSLContext``; errors become ``HealthCheckError``."""
    if validate_certs:
        # The default purpose, Purpose.SERVER_AUTH, makes a client context that verifies the server.
        context = ssl.create_default_context()
        if ca_path:
            try:
                if os.path.isdir(ca_path):
                    context = ssl.create_default_context(capath=ca_path)
                else:
                    context = ssl.create_default_context(cafile=ca_path)
            except (OSError, ssl.SSLError) as exc:
                raise HealthCheckError(
                    f"ca_path {ca_path!r}: cannot load CA certificates: {exc}; "
                    "give a PEM bundle file or a c_rehash'ed directory"
                ) from None
        context.check_hostname = bool(check_hostname)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if client_cert:
        try:
            context.load_cert_chain(client_cert, client_key or None, client_key_password or None)
        except (OSError, ssl.SSLError) as exc:
            raise HealthCheckError(
                f"client_cert {client_cert!r} / client_key {client_key!r}: cannot load the client certificate "
                f"and key: {exc}; give PEM files "
                "(client_key may be omitted when client_cert also holds the key)"
            ) from None
    return context


#: A header field name (RFC 9110 token).
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")


def build_config(params):
    """Validate module parameters (a dict like ``AnsibleModule.params``) into a ``Config``."""
    target = parse_url(params.get("url"))
    method = (params.get("method") or "GET").upper()
    _require(method in ("GET", "HEAD"), f"method {method!r}: use GET or HEAD")
    headers = {str(k): str(v) for k, v in (params.get("headers") or {}).items()}
    status_codes = parse_status_codes(params.get("status_codes") or ["200-399"])
    body_regex = params.get("body_regex")
    if body_regex is not None:
        try:
            body_regex = re.compile(body_regex)
        except re.error as exc:
            raise HealthCheckError(f"body_regex {body_regex!r}: not a valid regular expression: {exc}") from None
    assertions = parse_json_assertions(params.get("json_assertions"))

    def number(name, default, minimum, strict=False):
        value = params.get(name)
        value = default if value is None else value
        if value is None:
            return None
        bad = value <= minimum if strict else value < minimum
        _require(not bad, f"{name}={value}: must be {'>' if strict else '>='} {minimum}")
        return value

    timeout = number("timeout", 5.0, 0, strict=True)
    retries = number("retries", 0, 0)
    delay = number("delay", 1.0, 0)
    backoff = number("backoff", 2.0, 1)
    max_delay = number("max_delay", 30.0, 0)
    deadline = number("deadline", None, 0, strict=True)
    success_threshold = number("success_threshold", 1, 1)
    failure_threshold = number("failure_threshold", None, 1)
    max_body_bytes = number("max_body_bytes", 65536, 1)
    return_body_bytes = number("return_body_bytes", 4096, 0)
    min_cert_days = number("min_cert_days", None, 0)
    _require(
        success_threshold <= retries + 1,
        f"success_threshold={success_threshold} needs at least {success_threshold} attempts but retries={retries} "
        f"allows {retries + 1}; set retries to at least {success_threshold - 1}",
    )

    tls_options = [
        name
        for name in ("ca_path", "client_cert", "client_key", "client_key_password", "server_name", "min_cert_days")
        if params.get(name) is not None
    ]
    ssl_context = None
    if target.tls:
        _require(
            not params.get("client_key") or params.get("client_cert"),
            "client_key is set without client_cert; give client_cert (the certificate for that key) as well",
        )
        ssl_context = build_ssl_context(
            params.get("validate_certs", True) is not False,
            params.get("check_hostname", True) is not False,
            params.get("ca_path"),
            params.get("client_cert"),
            params.get("client_key"),
            params.get("client_key_password"),
        )
    else:
        _require(
            not tls_options,
            f"{', '.join(tls_options)} only apply to https:// URLs but url is {target.url!r}; "
            "use an https:// URL or drop them",
        )
    for name, value in headers.items():
        # http.client raises ValueError on these only while sending, as a traceback that may
        # show the value; a value is a secret unless its name is public, so only names are shown.
        _require(
            _HEADER_NAME.match(name) is not None,
            f"headers: {name!r} is not a header name; use letters, digits and !#$%&'*+-.^_`|~ only",
        )
        _require(
            not any(c in value for c in "\r\n\0"),
            f"headers: the value of {name!r} holds a line break or a NUL character, which would end the "
            "header early; remove them",
        )
    probed_host = target.host
    for name, value in headers.items():
        if name.lower() == "host":
            probed_host = urlsplit("//" + value).hostname or value
    return Config(
        target=target,
        method=method,
        headers=headers,
        probed_host=probed_host,
        status_codes=status_codes,
        allow_redirect_to_other_host=bool(params.get("allow_redirect_to_other_host")),
        body_regex=body_regex,
        json_assertions=assertions,
        timeout=float(timeout),
        retries=int(retries),
        delay=float(delay),
        backoff=float(backoff),
        max_delay=float(max_delay),
        deadline=float(deadline) if deadline is not None else None,
        success_threshold=int(success_threshold),
        failure_threshold=int(failure_threshold) if failure_threshold is not None else None,
        max_body_bytes=int(max_body_bytes),
        return_body_bytes=int(return_body_bytes),
        min_cert_days=min_cert_days,
        ssl_context=ssl_context,
        server_name=params.get("server_name"),
        client_cert=params.get("client_cert"),
    )


# --------------------------------------------------------------------------
# One attempt
# --------------------------------------------------------------------------


class _ArmedStream(io.RawIOBase):
    """The raw stream http.client reads a response from; ``arm()`` runs before each receive.

    A socket timeout bounds one receive, not the response: a server trickling the status line, the
    headers or the body a byte at a time would keep the attempt going far past its budget. ``arm``
    sets the timeout to what is left of the budget, or raises once it is used up.
    """

    def __init__(self, raw, arm):
        super().__init__()
        self._raw = raw
        self._arm = arm

    def readable(self):
        return True

    def readinto(self, buffer):
        self._arm()
        return self._raw.readinto(buffer)

    def close(self):
        if not self.closed:
            self._raw.close()
        super().close()


class _Connection(http.client.HTTPConnection):
    """HTTPConnection over TCP, TLS (with SNI/hostname override) or a unix socket.

    ``arm`` (optional) runs before each receive of the response (see ``_ArmedStream``).
    """

    def __init__(self, target, timeout, ssl_context=None, server_name=None, arm=None):
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target
        self._ssl_context = ssl_context
        self._server_name = server_name
        self.arm = arm
        self.phase = "connect"
        #: The connected socket. http.client sets ``sock`` to None when it hands a response that ends
        #: with the connection over to that response; its receives still need their timeouts.
        self.stream = None

    def response_class(self, sock, *args, **kwargs):
        """Called by http.client as ``response_class(sock, ...)``: an HTTPResponse reading through ``arm``."""
        reply = http.client.HTTPResponse(sock, *args, **kwargs)
        if self.arm is not None:
            reply.fp = io.BufferedReader(_ArmedStream(reply.fp.detach(), self.arm))
        return reply

    def connect(self):
        self.phase = "connect"
        if self._target.unix_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.timeout)
                sock.connect(self._target.unix_path)
            except BaseException:
                sock.close()
                raise
        else:
            sock = socket.create_connection((self.host, self.port), self.timeout)
        if self._ssl_context is not None:
            self.phase = "TLS handshake"
            try:
                sock = self._ssl_context.wrap_socket(sock, server_hostname=self._server_name or self.host)
            except BaseException:
                sock.close()
                raise
        self.sock = self.stream = sock


class Response:
    """What one attempt observed."""

    def __init__(self):
        self.status = None
        self.location = None
        self.body = b""
        self.truncated = False
        self.tls = None
        self.error = None
        self.latency_ms = None


def _client_cert_hint(config, connection, exc):
    """Explain a TLS connection the server dropped right after the handshake, as servers requiring mTLS do."""
    if not config.target.tls or config.client_cert or connection.phase in ("connect", "TLS handshake"):
        return ""
    if not isinstance(exc, (ssl.SSLError, ConnectionError, http.client.RemoteDisconnected)):
        return ""
    return (
        " (the server closed the TLS connection after the handshake; "
        "if it requires a client certificate, set client_cert)"
    )


def probe_once(config, budget, clock=time.monotonic, now=time.time):
    """Perform one request within ``budget`` seconds (connect, TLS, request, headers and body)."""
    response = Response()
    started = clock()
    ends = started + budget
    target = config.target

    def arm():
        left = ends - clock()
        if left <= 0:
            raise socket.timeout("attempt budget used up")
        # Once http.client has read the end of a response that closes the connection, the socket is
        # closed (fileno -1): nothing more is received, and Python 3.13 refuses settimeout (EBADF).
        if connection.stream is not None and connection.stream.fileno() != -1:
            connection.stream.settimeout(left)

    connection = _Connection(target, budget, config.ssl_context, config.server_name, arm)

    try:
        connection.connect()
        if target.tls:
            response.tls = peer_tls_info(connection.sock, now())
        connection.phase = "request"
        arm()
        headers = {"User-Agent": USER_AGENT, "Connection": "close"}
        headers.update(config.headers)
        connection.request(config.method, target.request_path, headers=headers)
        connection.phase = "response headers"
        arm()
        reply = connection.getresponse()
        response.status = reply.status
        response.location = reply.getheader("Location")
        connection.phase = "body"
        body = bytearray()
        while True:
            arm()
            chunk = reply.read1(min(_READ_CHUNK, config.max_body_bytes + 1 - len(body)))
            if not chunk:
                break
            body += chunk
            if len(body) > config.max_body_bytes:
                response.truncated = True
                del body[config.max_body_bytes :]
                break
        if not response.truncated and reply.length:
            # The server hung up before the end its Content-Length announced (read1 then returns b"").
            raise http.client.IncompleteRead(bytes(body), reply.length)
        response.body = bytes(body)
    except (socket.timeout, TimeoutError):
        response.error = f"{connection.phase} timed out (attempt budget {budget:g}s)"
    except ssl.SSLError as exc:
        response.error = f"{connection.phase} failed: TLS error: {exc}" + _client_cert_hint(config, connection, exc)
    except (OSError, http.client.HTTPException) as exc:
        detail = str(exc) or type(exc).__name__
        response.error = f"{connection.phase} to {target.describe()} failed: {detail}"
        response.error += _client_cert_hint(config, connection, exc)
    finally:
        connection.close()
    response.latency_ms = round((clock() - started) * 1000.0, 1)
    return response


def _snippet(body):
    text = body[:_SNIPPET].decode(errors="replace")
    return text + ("..." if len(body) > _SNIPPET else "")


def evaluate(config, response):
    """Return ``(failures, document)`` for one response; ``document`` is the parsed JSON or ``None``."""
    if response.error:
        return [response.error], None
    failures = []
    if response.status not in config.status_codes:
        failures.append(f"status: expected {config.status_codes.text}, got {response.status}")
    elif 300 <= response.status < 400 and not config.allow_redirect_to_other_host:
        other = redirect_other_host(response.location, config.probed_host)
        if other:
            failures.append(
                f"redirect: {response.status} to another host {other!r} (Location: {response.location}); only "
                f"redirects that stay on {config.probed_host!r} count as success "
                "(set allow_redirect_to_other_host=true to accept it)"
            )
    document = json_error = None
    if not response.truncated:
        document, json_error = parse_json_body(response.body)
    body_checks = config.body_regex is not None or config.json_assertions
    if json_error is not None and json_error.startswith(_TOO_DEEP):
        # Fails with or without json_assertions: such a body is hostile or broken, never a health answer.
        failures.append(
            f"body: the response body is not JSON the probe can read ({json_error}), starting "
            f"{_snippet(response.body)!r}; make the endpoint answer with a document at most {MAX_JSON_DEPTH} "
            "levels deep"
        )
    elif body_checks and response.truncated:
        failures.append(
            f"body: larger than max_body_bytes={config.max_body_bytes}, so body_regex/json_assertions "
            "cannot be checked; raise max_body_bytes"
        )
    elif body_checks:
        if config.body_regex is not None:
            text = response.body.decode(errors="replace")
            if config.body_regex.search(text) is None:
                failures.append(
                    f"body_regex: expected a match for /{config.body_regex.pattern}/, got a "
                    f"{len(response.body)}-byte body starting {_snippet(response.body)!r}"
                )
        if config.json_assertions:
            if json_error is not None:
                failures.append(
                    f"json: expected a JSON body for json_assertions, got {len(response.body)} bytes that do not "
                    f"parse ({json_error}), starting {_snippet(response.body)!r}"
                )
            else:
                for assertion in config.json_assertions:
                    message = check_assertion(assertion, document)
                    if message:
                        failures.append(message)
    if config.min_cert_days is not None and response.tls is not None:
        seconds_left = response.tls.get("seconds_remaining")
        if seconds_left is None:
            failures.append(
                f"min_cert_days: cannot read the certificate's not_after ({response.tls.get('parse_error')})"
            )
        elif seconds_left < config.min_cert_days * 86400.0:
            failures.append(
                f"min_cert_days: expected at least {config.min_cert_days} days of validity, got "
                f"{response.tls['days_remaining']} days (not_after {response.tls['not_after']})"
            )
    return failures, document


# --------------------------------------------------------------------------
# Schedule
# --------------------------------------------------------------------------


def backoff_delay(delay, backoff, max_delay, consecutive_failures):
    """Wait after the n-th consecutive failure: ``delay * backoff**(n-1)``, capped at ``max_delay``."""
    try:
        wait = delay * backoff ** max(consecutive_failures - 1, 0)
    except OverflowError:
        wait = max_delay
    return min(wait, max_delay)


def run_schedule(
    attempt,
    timeout,
    retries,
    delay,
    backoff,
    max_delay,
    deadline,
    success_threshold,
    failure_threshold,
    clock=time.monotonic,
    sleep=time.sleep,
):
    """Call ``attempt(number, budget) -> ok`` until the outcome is decided.

    * at most ``retries + 1`` attempts; each gets ``timeout`` seconds, or less
      when the ``deadline`` (seconds since the start) is nearer;
    * success once ``success_threshold`` attempts in a row succeeded;
    * stop early after ``failure_threshold`` failures in a row, or as soon as
      the remaining attempts can no longer reach ``success_threshold``;
    * after a failure wait ``delay * backoff**(consecutive_failures - 1)``;
      after a success (more needed) wait ``delay``; no wait is longer than ``max_delay``;
    * never start a wait that would end at or past the deadline.

    Returns ``(stop_reason, attempts_made)``.
    """
    started = clock()
    consecutive_ok = consecutive_failed = 0
    number = 0
    while True:
        if deadline is not None and deadline - (clock() - started) <= 0:
            return STOP_DEADLINE, number
        budget = timeout if deadline is None else min(timeout, deadline - (clock() - started))
        number += 1
        if attempt(number, budget):
            consecutive_ok += 1
            consecutive_failed = 0
        else:
            consecutive_failed += 1
            consecutive_ok = 0
        if consecutive_ok >= success_threshold:
            return STOP_SUCCESS, number
        if failure_threshold is not None and consecutive_failed >= failure_threshold:
            return STOP_FAILURE_THRESHOLD, number
        if consecutive_ok + (retries + 1 - number) < success_threshold:
            return STOP_RETRIES_EXHAUSTED, number
        wait = min(delay, max_delay) if consecutive_ok else backoff_delay(delay, backoff, max_delay, consecutive_failed)
        if deadline is not None and wait >= deadline - (clock() - started):
            return STOP_DEADLINE, number
        if wait > 0:
            sleep(wait)


# --------------------------------------------------------------------------
# Whole check
# --------------------------------------------------------------------------


def _stop_text(config, reason, attempts):
    if reason == STOP_FAILURE_THRESHOLD:
        return f"{config.failure_threshold} consecutive failures reached failure_threshold"
    if reason == STOP_DEADLINE:
        return f"deadline of {config.deadline:g}s reached after {attempts} attempt(s)"
    return (
        f"no success after {attempts} attempt(s) (retries={config.retries}, "
        f"success_threshold={config.success_threshold})"
    )


def run_health_check(config, clock=time.monotonic, sleep=time.sleep, now=time.time):
    """Run the whole check; return the module result dict (``msg`` set when it failed)."""
    attempts = []
    last = {"response": None, "failures": [], "document": None, "tls": None}

    def attempt(number, budget):
        response = probe_once(config, budget, clock=clock, now=now)
        failures, document = evaluate(config, response)
        attempts.append(
            {
                "attempt": number,
                "ok": not failures,
                "status": response.status,
                "latency_ms": response.latency_ms,
                "error": "; ".join(failures) if failures else None,
            }
        )
        last.update(response=response, failures=failures, document=document)
        if response.tls is not None:
            last["tls"] = response.tls
        return not failures

    started = clock()
    reason, count = run_schedule(
        attempt,
        config.timeout,
        config.retries,
        config.delay,
        config.backoff,
        config.max_delay,
        config.deadline,
        config.success_threshold,
        config.failure_threshold,
        clock=clock,
        sleep=sleep,
    )
    elapsed_ms = round((clock() - started) * 1000.0, 1)
    response = last["response"]
    body = response.body if response is not None else b""
    failures = list(last["failures"])
    if reason != STOP_SUCCESS and not failures:
        consecutive = 0
        for record in reversed(attempts):
            if not record["ok"]:
                break
            consecutive += 1
        failures.append(
            f"success_threshold: expected {config.success_threshold} consecutive successes, got {consecutive}"
        )
    tls = None
    if last["tls"] is not None:
        tls = {key: value for key, value in last["tls"].items() if key != "seconds_remaining"}
    result = {
        "changed": False,
        "url": config.target.url,
        "status": response.status if response is not None else None,
        "attempts": attempts,
        "body": body[: config.return_body_bytes].decode(errors="replace"),
        "body_truncated": bool(response is not None and (response.truncated or len(body) > config.return_body_bytes)),
        "json": last["document"],
        "elapsed_ms": elapsed_ms,
        "tls": tls,
        "failures": failures,
        "stop_reason": reason,
    }
    if reason != STOP_SUCCESS:
        result["msg"] = (
            f"health check of {config.target.url} failed: {_stop_text(config, reason, count)}; "
            f"last attempt: {'; '.join(failures)}"
        )
    return result


#: The options of gosvc.hardening.health_check (its DOCUMENTATION describes them; one place for every module:
#: the module_utils file that implements it, see docs/architecture.md).
ARGUMENT_SPEC = dict(
    url=dict(type="str", required=True, no_log=True),
    method=dict(type="str", choices=["GET", "HEAD"], default="GET"),
    headers=dict(type="dict", no_log=True),
    status_codes=dict(type="list", elements="str", default=["200-399"]),
    allow_redirect_to_other_host=dict(type="bool", default=False),
    body_regex=dict(type="str"),
    json_assertions=dict(
        type="list",
        elements="dict",
        options={
            "path": dict(type="str", required=True),
            "equals": dict(type="raw"),
            "in": dict(type="list", elements="raw"),
            "exists": dict(type="bool"),
            "matches": dict(type="str"),
        },
    ),
    timeout=dict(type="float", default=5),
    retries=dict(type="int", default=0),
    delay=dict(type="float", default=1),
    backoff=dict(type="float", default=2),
    max_delay=dict(type="float", default=30),
    deadline=dict(type="float"),
    success_threshold=dict(type="int", default=1),
    failure_threshold=dict(type="int"),
    ca_path=dict(type="path"),
    client_cert=dict(type="path"),
    client_key=dict(type="path"),
    client_key_password=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", default=True),
    check_hostname=dict(type="bool", default=True),
    server_name=dict(type="str"),
    min_cert_days=dict(type="int"),
    max_body_bytes=dict(type="int", default=65536),
    return_body_bytes=dict(type="int", default=4096),
)
