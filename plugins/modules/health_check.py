#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: health_check
short_description: Probe an HTTP, HTTPS or unix-socket health endpoint from the target
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Sends GET (or HEAD) requests from the managed host to a health endpoint, usually one a service
    exposes on loopback or on a unix socket, and fails unless the response meets every check.
  - "Checks per attempt: the status code is in O(status_codes); a redirect does not point to another
    host; the body matches O(body_regex); the JSON body satisfies every O(json_assertions) item; for
    HTTPS the peer certificate is valid for at least O(min_cert_days) days. An attempt succeeds only
    when all of them pass."
  - A body that nests arrays and objects more than 100 levels deep fails the attempt, with or without
    O(json_assertions), as a response body that is not JSON the probe can read (nested too deeply).
  - Attempts are retried with exponential backoff, bounded by O(retries) and the overall O(deadline).
    O(success_threshold) consecutive successful attempts are needed; O(failure_threshold) consecutive
    failures stop early. Redirects are never followed.
  - The module only reads, so it runs unchanged in check mode and always reports C(changed=false).
  - Uses only the Python standard library on the target (Python 3.9 or later).
options:
  url:
    description:
      - The endpoint to probe.
      - "V(http://HOST[:PORT]/PATH[?QUERY]) or V(https://HOST[:PORT]/PATH[?QUERY])."
      - "V(http+unix://SOCKET/PATH[?QUERY]) for plain HTTP over a unix stream socket, where SOCKET is the
        absolute socket path percent-encoded (every C(/) written as C(%2F)), for example
        V(http+unix://%2Frun%2Fapp%2Fhttp.sock/healthz) for C(/run/app/http.sock). The request carries
        C(Host: localhost) unless O(headers) sets another Host."
      - Credentials in the URL are rejected; send an C(Authorization) header through O(headers). A
        C(user:password@) part is masked in the result, the error message included.
    type: str
    required: true
  method:
    description:
      - HTTP method. V(HEAD) has no body, so it cannot be combined usefully with O(body_regex) or
        O(json_assertions).
    type: str
    choices: [GET, HEAD]
    default: GET
  headers:
    description:
      - Extra request headers. A C(Host) header here also becomes the host name that redirects are
        compared with.
      - The values are treated as secrets (C(no_log)); they are not logged, and wherever a value occurs in the
        result it is masked, C(invocation) included. The values of C(Accept), C(Accept-Encoding),
        C(Accept-Language), C(Cache-Control), C(Connection), C(Host), C(User-Agent), C(X-Forwarded-Host) and
        C(X-Forwarded-Proto), which carry no credentials, are shown. Masking replaces the value wherever it
        occurs, so a short value in another header (such as V(1)) also hides that text elsewhere in the result.
    type: dict
  status_codes:
    description:
      - Status codes that count as success, each a code (V(204)) or an inclusive range (V(200-299)),
        all within 100-599.
      - The default accepts 2xx and 3xx. A 3xx response is never followed; it is a success only if its
        code is listed here and, unless O(allow_redirect_to_other_host=true), its C(Location) header
        stays on the probed host (see O(allow_redirect_to_other_host)).
    type: list
    elements: str
    default: ['200-399']
  allow_redirect_to_other_host:
    description:
      - By default a 3xx response whose C(Location) names another host fails the attempt even if its
        code is in O(status_codes). Relative locations stay on the host. Hosts are compared by name,
        case-insensitively, against the URL host (or the C(Host) header from O(headers); C(localhost)
        for unix sockets); a change of scheme or port alone stays on the host.
      - Set to V(true) to accept redirects to any host.
    type: bool
    default: false
  body_regex:
    description:
      - Python regular expression that must match somewhere in the body (C(re.search)), decoded as
        UTF-8 with invalid bytes replaced.
    type: str
  json_assertions:
    description:
      - Checks on the JSON body; every item must hold. The body must parse as JSON when any are given.
      - Each item has O(json_assertions[].path) and exactly one of O(json_assertions[].equals),
        O(json_assertions[].in), O(json_assertions[].exists) or O(json_assertions[].matches).
        This is validated before any request, with an error naming the item.
      - 'Each failing item is reported separately with its index, its path, what was expected and what the
        body held, for example C(json_assertions[1] ...: expected equals "ok", got "down").'
    type: list
    elements: dict
    suboptions:
      path:
        description:
          - Dot-separated keys from the top of the document, for example V(checks.db.status). A numeric
            segment indexes an array (V(items.0.name)). Keys that contain dots cannot be addressed.
        type: str
        required: true
      equals:
        description:
          - The value at O(json_assertions[].path) must equal this. Arrays and objects compare
            element by element; C(true) never equals C(1).
          - A string also matches a JSON number, boolean or null written the same way (V("3"),
            V("true"), V("null")); use V("null") to expect JSON null.
        type: raw
      in:
        description:
          - The value must equal one of these (same comparison as O(json_assertions[].equals)).
        type: list
        elements: raw
      exists:
        description:
          - V(true) requires the path to exist (any value, including null); V(false) requires it to be
            absent.
        type: bool
      matches:
        description:
          - Python regular expression searched in the value; non-string values are matched against their
            JSON text.
        type: str
  timeout:
    description:
      - Time budget in seconds for one attempt, covering connect, TLS handshake, sending the request,
        and reading headers and body.
    type: float
    default: 5
  retries:
    description:
      - Attempts after the first one. At most O(retries) + 1 attempts are made.
    type: int
    default: 0
  delay:
    description:
      - Seconds to wait after the first failure (and between consecutive successes while more are
        needed for O(success_threshold)).
    type: float
    default: 1
  backoff:
    description:
      - After the Nth consecutive failure wait O(delay) * O(backoff)^(N-1) seconds, at most O(max_delay).
        V(1) keeps a fixed delay.
    type: float
    default: 2
  max_delay:
    description:
      - Upper bound in seconds for one wait between attempts.
    type: float
    default: 30
  deadline:
    description:
      - Overall bound in seconds for the whole check, waits included. Each attempt gets at most the
        time left; no wait is started that would end at or after the deadline.
      - Unset, the check is bounded only by O(retries), O(timeout) and the waits.
    type: float
  success_threshold:
    description:
      - Consecutive successful attempts needed (use more than 1 for readiness after a restart).
        Must not exceed O(retries) + 1. The check stops as soon as the remaining attempts can no
        longer reach it.
    type: int
    default: 1
  failure_threshold:
    description:
      - Stop early after this many consecutive failed attempts. Unset, only O(retries) and
        O(deadline) stop the check.
    type: int
  ca_path:
    description:
      - PEM CA bundle file, or a directory prepared with C(c_rehash), used to verify the server
        certificate. When set, only these CAs are trusted (the system store is not loaded).
      - HTTPS only.
    type: path
  client_cert:
    description:
      - PEM client certificate for mutual TLS; may also contain the key. HTTPS only.
    type: path
  client_key:
    description:
      - PEM private key for O(client_cert), when it is a separate file. HTTPS only.
    type: path
  client_key_password:
    description:
      - Password of an encrypted O(client_key).
    type: str
  validate_certs:
    description:
      - Verify the server certificate chain. With V(false), O(check_hostname) is ignored and the
        certificate details in RV(tls) are decoded from the raw certificate without validation
        (RV(tls.verified=false)).
    type: bool
    default: true
  check_hostname:
    description:
      - Check that the certificate is valid for the URL host (or O(server_name)).
    type: bool
    default: true
  server_name:
    description:
      - Name sent as TLS SNI and checked against the certificate instead of the URL host, for
        example when probing V(https://127.0.0.1:8443/) a certificate issued for C(api.example.com).
        The HTTP C(Host) header is not changed (set it with O(headers)). HTTPS only.
    type: str
  min_cert_days:
    description:
      - Fail the attempt when the peer certificate expires in fewer than this many days
        (RV(tls.days_remaining) counts whole days, rounded down). HTTPS only.
    type: int
  max_body_bytes:
    description:
      - Read at most this many bytes of the body. A larger body fails the attempt when O(body_regex) or
        O(json_assertions) are set (they need the whole body); otherwise reading just stops there.
    type: int
    default: 65536
  return_body_bytes:
    description:
      - Return at most this many bytes of the last body in RV(body).
    type: int
    default: 4096
attributes:
  check_mode:
    support: full
    description: The module only sends requests and reads responses; check mode changes nothing.
  diff_mode:
    support: none
    description: There is nothing to diff; the module changes nothing.
  idempotent:
    support: full
    description: Running the task again sends the same requests and changes nothing on the target.
notes:
  - Unix socket URLs carry plain HTTP only.
  - On Python 3.13 targets, certificate validation is strict (C(VERIFY_X509_STRICT)); private CAs must
    issue certificates with the usual extensions (for example authority key identifier).
"""

EXAMPLES = r"""
- name: Liveness - the service answers on loopback
  gosvc.hardening.health_check:
    url: http://127.0.0.1:8080/healthz

- name: Readiness - two consecutive healthy answers, JSON says ok, give up after 60s
  gosvc.hardening.health_check:
    url: http://127.0.0.1:8080/readyz
    status_codes: [200]
    json_assertions:
      - path: status
        equals: ok
      - path: checks.db.status
        in: [ok, degraded]
      - path: version
        matches: '^1\.'
    retries: 30
    delay: 1
    backoff: 1.5
    max_delay: 5
    deadline: 60
    success_threshold: 2

- name: HTTPS with a private CA, mutual TLS and at least 14 days of certificate validity
  gosvc.hardening.health_check:
    url: https://127.0.0.1:8443/healthz
    server_name: api.internal.example
    ca_path: /etc/app/tls/ca.pem
    client_cert: /etc/app/tls/probe.pem
    client_key: /etc/app/tls/probe-key.pem
    min_cert_days: 14

- name: Over a unix socket (/run/app/http.sock)
  gosvc.hardening.health_check:
    url: http+unix://%2Frun%2Fapp%2Fhttp.sock/healthz
    body_regex: '\bready\b'
"""

RETURN = r"""
url:
  description: The probed URL.
  returned: always
  type: str
  sample: http://127.0.0.1:8080/healthz
status:
  description: HTTP status of the last attempt; null when it got no response.
  returned: always
  type: int
  sample: 200
attempts:
  description: One entry per attempt, in order.
  returned: always
  type: list
  elements: dict
  contains:
    attempt:
      description: Attempt number, from 1.
      type: int
    ok:
      description: Whether every check passed for this attempt.
      type: bool
    status:
      description: HTTP status, or null when there was no response.
      type: int
    latency_ms:
      description: Time for the attempt (connect to end of body) in milliseconds.
      type: float
    error:
      description: The attempt's failures joined with C(; ), or null when it succeeded.
      type: str
  sample:
    - {attempt: 1, ok: false, status: 503, latency_ms: 1.9, error: "status: expected 200, got 503"}
    - {attempt: 2, ok: true, status: 200, latency_ms: 1.2, error: null}
body:
  description: Body of the last response, decoded as UTF-8 (invalid bytes replaced), at most O(return_body_bytes) bytes.
  returned: always
  type: str
  sample: '{"status": "ok"}'
body_truncated:
  description: Whether RV(body) is shorter than the body the server sent.
  returned: always
  type: bool
  sample: false
json:
  description:
    - The last body parsed as JSON, or null when it is not JSON, was larger than O(max_body_bytes) or nests
      arrays and objects more than 100 levels deep.
  returned: always
  type: raw
  sample: {"status": "ok", "checks": {"db": {"status": "ok"}}}
elapsed_ms:
  description: Total time of the check, waits included, in milliseconds.
  returned: always
  type: float
  sample: 1012.4
failures:
  description:
    - Why the last attempt failed, one string per failed check (status, redirect, body_regex, each JSON
      assertion, min_cert_days), or the connection error. Empty on success.
  returned: always
  type: list
  elements: str
  sample:
    - 'json_assertions[1] (checks.db.status): expected equals "ok", got "down"'
stop_reason:
  description:
    - Why attempts stopped. V(success), V(failure_threshold), V(retries_exhausted) (no attempts left,
      or too few left to reach O(success_threshold)) or V(deadline).
  returned: always
  type: str
  sample: success
tls:
  description:
    - The peer certificate and TLS session of the last attempt that completed a handshake; null for
      plain HTTP or when no handshake completed.
    - With O(validate_certs=true) the fields come from the validated certificate; with V(false) they
      are decoded from the raw DER certificate by the module itself (no validation).
  returned: always
  type: dict
  contains:
    version:
      description: TLS protocol version.
      type: str
      sample: TLSv1.3
    cipher:
      description: Negotiated cipher suite.
      type: str
    verified:
      description: Whether the chain was validated (O(validate_certs)).
      type: bool
    sha256_fingerprint:
      description: SHA-256 of the DER certificate, colon-separated upper-case hex.
      type: str
    subject:
      description: Subject attributes by OpenSSL long name; repeated attributes are joined with C(, ).
      type: dict
      sample: {commonName: localhost, organizationName: Example}
    issuer:
      description: Issuer attributes, as for RV(tls.subject).
      type: dict
    sans:
      description: Subject alternative names as C(TYPE:VALUE) (C(DNS), C(IP), C(email), C(URI), C(DirName), C(RID)).
      type: list
      elements: str
      sample: ["DNS:localhost", "IP:127.0.0.1"]
    serial:
      description: Serial number, upper-case hex.
      type: str
    not_before:
      description: Start of validity, ISO 8601 UTC.
      type: str
    not_after:
      description: End of validity, ISO 8601 UTC.
      type: str
      sample: "2026-01-31T12:00:00Z"
    days_remaining:
      description: Whole days until RV(tls.not_after), rounded down; negative when expired.
      type: int
      sample: 89
    parse_error:
      description: Present when the certificate could not be decoded; the other certificate fields are then absent.
      type: str
msg:
  description: On failure, what was probed, why attempts stopped and the failures of the last attempt.
  returned: failure
  type: str
  sample: >-
    health check of http://127.0.0.1:8080/readyz failed: no success after 3 attempt(s) (retries=2,
    success_threshold=1); last attempt: status: expected 200, got 503
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._http import (
    ARGUMENT_SPEC,
    HealthCheckError,
    build_config,
    hide_url_secrets,
    run_health_check,
    show_public_headers,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    # url and headers are no_log for AnsibleModule's own failures; from here on only credentials are masked.
    hide_url_secrets(module, [module.params["url"]])
    show_public_headers(module, module.params["headers"])
    try:
        config = build_config(module.params)
    except HealthCheckError as exc:
        module.fail_json(msg=f"validate health_check arguments: {exc}", changed=False)
    result = run_health_check(config)
    if result["stop_reason"] != "success":
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
