#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: service_probe
short_description: Read and probe a deployed systemd service in one call, returning every check's result
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Gathers, in one round trip, everything the gosvc.hardening.verify role checks on a host - the unit's
    state, the main process's credentials, the installed release and its digest, the Go build policy,
    the sandboxing exposure, liveness and readiness, endpoints that must not answer, the service's
    journal lines - and measures the observation window for restarts inside the same call.
  - "In this order: reads the unit (C(systemctl show)); reads C(/proc/<MainPID>/status), the passwd entry
    of O(user) and the C(current) release link (the directory of O(binary_path)); decides the expected
    digest (O(checksum), else the one C(gosvc.hardening.go_release) recorded for the current release in
    O(release_record)) and hashes O(binary_path); checks the Go build policy when O(go_build) is set;
    runs C(systemd-analyze security) and C(verify) on the unit; probes O(health_url), then O(ready_url)
    once liveness passed; probes every O(forbidden_urls) target; reads the last O(log_lines) journal
    lines of the unit's current invocation when O(log_required_fields) is set; sleeps what is left of
    O(soak_seconds) (see there) and reads the unit again."
  - A failed check never fails the task - its result carries C(failed=true) and C(msg), for the caller
    to report (the verify role's C(verify_report) filter). The task fails only for unusable options,
    with a message that names the option, or when the host has no C(systemctl).
  - The checks behave as gosvc.hardening.checksum_verify, gosvc.hardening.go_binary_info,
    gosvc.hardening.unit_security and gosvc.hardening.health_check do (the same code), and each
    result has the keys those modules return.
  - Uses only the Python standard library on the target (Python 3.9 or later).
options:
  unit:
    description: Full name of the service unit, for example V(demo.service).
    type: str
    required: true
  binary_path:
    description:
      - The installed binary, C(<release root>/current/<name>); its directory is the C(current) release
        link, whose target names the version (RV(version)).
    type: path
    required: true
  user:
    description:
      - User the main process should run as; its passwd entry is returned in RV(user_entry).
      - Empty reads no passwd entry.
    type: str
    default: ""
  checksum:
    description:
      - Expected digest of O(binary_path), C(sha256:<hex>) (or another SHA-2 C(<algorithm>:<hex>)).
      - Empty takes the digest recorded for the current release in O(release_record); without a record
        the checksum is not computed (RV(checksum) is skipped).
      - "A record C(gosvc.hardening.go_release) would refuse, a C(current) that is not its symbolic link, or a
        current release the record does not hold fails RV(checksum) instead: the digest to compare with is
        then unknown."
    type: str
    default: ""
  digest_algorithms:
    description:
      - Also return the digests of O(binary_path) with these algorithms in RV(binary_digests), for a signature
        check on the controller (gosvc.hardening.cosign_verify's O(gosvc.hardening.cosign_verify#module:digests)),
        so that it needs no round trip of its own. The checksum check's digest is reused when it has the
        algorithm.
    type: list
    elements: str
    choices: [sha256, sha384, sha512]
    default: []
  release_record:
    description:
      - The release record C(gosvc.hardening.go_release) keeps (C({"releases":[{"version", "sha256"}]})).
      - Defaults to C(.releases.json) in the release root (two levels above O(binary_path)).
    type: path
  go_build:
    description:
      - Build policy for O(binary_path), as in gosvc.hardening.go_binary_info. Omitted, the build
        information is not read (RV(go_build) is skipped).
    type: dict
    suboptions:
      require_trimpath:
        description: The binary must be built with C(-trimpath).
        type: bool
      require_cgo_disabled:
        description: The binary must be built with C(CGO_ENABLED=0).
        type: bool
      require_stripped:
        description: The binary must carry no symbol table and no DWARF.
        type: bool
      min_go_version:
        description: Lowest acceptable Go version, for example V(1.22).
        type: str
      forbid_vcs_modified:
        description: The binary must not be built from a modified working tree.
        type: bool
  max_exposure:
    description:
      - Highest acceptable C(systemd-analyze security) exposure, V(0.0) to V(10.0); above it RV(exposure)
        is failed. Unset, the exposure is only measured.
    type: float
  health_url:
    description:
      - Liveness URL (C(http://), C(https://) or C(http+unix://)). Empty skips the probe.
      - Credentials in the URL are refused, as gosvc.hardening.health_check refuses them; a C(user:password@)
        part of this, O(ready_url) or a O(forbidden_urls) string is masked in the result.
    type: str
    default: ""
  ready_url:
    description:
      - Readiness URL, probed only after liveness passed (or when O(health_url) is empty). Empty skips
        the probe.
    type: str
    default: ""
  health_timeout:
    description:
      - Seconds each of the liveness and readiness probes may take, retries included (one attempt a
        second at most, backing off up to 3 seconds between attempts).
    type: float
    default: 10
  ready_success_threshold:
    description: Consecutive successful readiness answers needed.
    type: int
    default: 2
  probe_options:
    description:
      - gosvc.hardening.health_check options for the liveness and readiness probes. The TLS files and
        the server name are only used for C(https://) URLs.
    type: dict
    suboptions:
      headers:
        description:
          - Request headers.
          - The values are treated as secrets (C(no_log)), as gosvc.hardening.health_check treats its
            C(headers); they are masked wherever they occur in the result, C(invocation) included, except the
            values of C(Accept), C(Accept-Encoding), C(Accept-Language), C(Cache-Control), C(Connection),
            C(Host), C(User-Agent), C(X-Forwarded-Host) and C(X-Forwarded-Proto). Masking replaces the value
            wherever it occurs, so a short value in another header (such as V(1)) also hides that text elsewhere
            in the result, digests included.
        type: dict
      status_codes:
        description: Accepted status codes and ranges (default C(200-399)).
        type: list
        elements: str
      validate_certs:
        description: Validate the server certificate.
        type: bool
      check_hostname:
        description: Check the certificate against the host name (or O(probe_options.server_name)).
        type: bool
      ca_path:
        description: CA bundle file or hashed directory for the server certificate.
        type: path
      client_cert:
        description: Client certificate (PEM), for mutual TLS.
        type: path
      client_key:
        description: Key of O(probe_options.client_cert) when it is a separate file.
        type: path
      server_name:
        description: Name for SNI and the hostname check instead of the URL's host.
        type: str
  forbidden_urls:
    description:
      - Endpoints that must not answer (status 2xx or 3xx) - one attempt each, 3 seconds, certificates
        not checked.
      - A string is a full C(http://) or C(https://) URL probed as written. A mapping with C(port),
        C(path) (default C(/)) and C(scheme) (C(http) or C(https), default C(http)) is probed on every
        address of O(forbidden_addresses).
    type: list
    elements: raw
    default: []
  forbidden_addresses:
    description:
      - Addresses for the mapping entries of O(forbidden_urls). Empty means every non-loopback address of
        the host - IPv4 from C(/proc/net/fib_trie), global IPv6 from C(/proc/net/if_inet6), no iproute2 needed.
    type: list
    elements: str
    default: []
  log_required_fields:
    description:
      - When set, the last O(log_lines) journal lines of the unit's current invocation are read
        (C(journalctl _SYSTEMD_INVOCATION_ID=...  --output=cat)) for the caller to check. Empty reads none.
    type: list
    elements: str
    default: []
  log_lines:
    description: How many of the newest journal lines to read.
    type: int
    default: 20
  unit_properties:
    description:
      - More unit properties to read at both ends of the window, returned in RV(unit_before) and RV(unit_after)
        with the others (for example C(MemoryMax) and C(CPUQuotaPerSecUSec), which C(systemctl show) prints in
        bytes and as a time span per second).
    type: list
    elements: str
    default: []
  environment:
    description:
      - Names of environment variables to read from the environment the main process started with
        (C(/proc/<MainPID>/environ)), returned in RV(environment). Only these leave the host; never name a
        secret here.
    type: list
    elements: str
    default: []
  check_owner:
    description:
      - After O(health_url) or O(ready_url) answered, check that the socket listening at its address is held by a
        process of O(unit) (or by systemd, for socket activation). An answer from another service on that port
        fails the probe (RV(liveness), RV(readiness)) naming the process and its unit. A URL that does not reach
        this host is not checked.
    type: bool
    default: true
  soak_seconds:
    description:
      - Shortest observation window, in seconds, over which the unit's C(NRestarts) and main PID must hold.
      - The window counts from the start of the running main process (C(ExecMainStartTimestampMonotonic), on
        the same monotonic clock) when that is earlier than the first read of the unit, else from that read.
        The reads and probes count towards it; the module sleeps only for what is left, and at least 0.5 s after
        the last probe, so that a process killed by its handling of a probe (a seccomp C(SIGSYS)) shows as such.
      - V(0) reads the unit twice without waiting.
    type: float
    default: 5
attributes:
  check_mode:
    support: full
    description: The module only reads and probes; check mode changes nothing.
  diff_mode:
    support: none
    description: There is nothing to diff; the module changes nothing.
  idempotent:
    support: full
    description: Read-only; it always reports C(changed=false).
notes:
  - Needs a running systemd as PID 1. Run it as root (or a user who may read C(/proc/<pid>/status) of the
    service, its binary and the journal).
  - The probes run on the host itself, so O(forbidden_urls) proves what the service binds to, not what a
    firewall lets in.
seealso:
  - module: gosvc.hardening.health_check
  - module: gosvc.hardening.unit_security
  - module: gosvc.hardening.checksum_verify
  - module: gosvc.hardening.go_binary_info
"""

EXAMPLES = r"""
- name: Read and probe demo.service over a 5 second window
  gosvc.hardening.service_probe:
    unit: demo.service
    binary_path: /opt/demo/current/demo
    user: demo
    max_exposure: 2.0
    health_url: http://127.0.0.1:8080/healthz
    ready_url: http://127.0.0.1:8080/readyz
    forbidden_urls:
      - {port: 8080, path: /debug/pprof/}
    log_required_fields: [time, level, msg]
  register: demo_probe

- name: Show what failed (the task itself does not fail for a failed check)
  ansible.builtin.debug:
    msg: "{{ item }}: {{ demo_probe[item].msg }}"
  loop: [checksum, go_build, exposure, liveness, readiness]
  when: demo_probe[item].failed | default(false)

- name: Pin the digest and check the build, over HTTPS with a private CA
  gosvc.hardening.service_probe:
    unit: api.service
    binary_path: /srv/api/current/api
    user: api
    checksum: sha256:d46b5b4e829d6f9bc0a1eb1d24f210f89dc88da7798585f9ccac8feb54a6f956
    go_build:
      require_trimpath: true
      min_go_version: "1.22"
    health_url: https://127.0.0.1:8443/healthz
    probe_options:
      ca_path: /etc/api/ca.pem
    soak_seconds: 10
"""

RETURN = r"""
unit:
  description: The unit that was read.
  returned: always
  type: str
  sample: demo.service
started_at:
  description: When the observation window started (first unit read), UTC.
  returned: always
  type: str
  sample: "2026-11-30T10:27:20Z"
finished_at:
  description: When it ended (second unit read), UTC.
  returned: always
  type: str
  sample: "2026-11-30T10:27:25Z"
window_seconds:
  description: Seconds from the start of the window (RV(window_from)) to the second unit read.
  returned: always
  type: float
  sample: 5.002
window_from:
  description: Where the window started, V(process start) (the running main process started before the first
    read) or V(probe start) (the first read).
  returned: always
  type: str
  sample: process start
unit_before:
  description:
    - The unit's C(LoadState), C(ActiveState), C(SubState), C(Result), C(MainPID), C(NRestarts), C(User),
      C(InvocationID) and C(ExecMainStartTimestamp), and O(unit_properties), at the start of the window, as
      C(systemctl show) prints them (strings).
  returned: always
  type: dict
  sample: {"ActiveState": "active", "LoadState": "loaded", "MainPID": "421", "NRestarts": "0", "SubState": "running"}
unit_after:
  description: The same properties at the end of the window.
  returned: always
  type: dict
  sample: {"ActiveState": "active", "LoadState": "loaded", "MainPID": "421", "NRestarts": "0", "SubState": "running"}
main_pid:
  description: C(MainPID) at the start of the window (0 without a main process).
  returned: always
  type: int
  sample: 421
proc_status:
  description: The text of C(/proc/<main_pid>/status); empty without a main process.
  returned: always
  type: str
  sample: "Name:\tdemo\nUid:\t997\t997\t997\t997\n"
user:
  description: The O(user) that was looked up.
  returned: always
  type: str
  sample: demo
user_entry:
  description:
    - The passwd fields of O(user) after the name, as C(getent passwd) prints them (password, uid, gid,
      gecos, home, shell); null when the user does not exist or O(user) is empty.
  returned: always
  type: list
  elements: str
  sample: ["x", "997", "997", "demo service account", "/nonexistent", "/usr/sbin/nologin"]
current:
  description: The C(current) release link (the directory of O(binary_path)).
  returned: always
  type: dict
  contains:
    path:
      description: Its path.
      type: str
      sample: /opt/demo/current
    exists:
      description: Whether it exists.
      type: bool
    islnk:
      description: Whether it is a symbolic link.
      type: bool
    lnk_target:
      description: The link's target as written, when it is a link.
      type: str
      sample: releases/1.0.0
    lnk_source:
      description: The link's resolved path, when it is a link.
      type: str
      sample: /opt/demo/releases/1.0.0
version:
  description: The current release (the link target's last component); null when C(current) is not a link.
  returned: always
  type: str
  sample: 1.0.0
expected_checksum:
  description: The expected digest that was used; empty when there was none.
  returned: always
  type: str
  sample: sha256:d46b5b4e829d6f9bc0a1eb1d24f210f89dc88da7798585f9ccac8feb54a6f956
checksum_source:
  description: Where the expected digest came from - C(checksum), or the release record.
  returned: always
  type: str
  sample: /opt/demo/.releases.json (digest recorded at install)
checksum:
  description:
    - The result gosvc.hardening.checksum_verify would return (C(path), C(algorithm), C(digest), C(expected),
      C(size)), with C(failed) and C(msg) on a mismatch; C(skipped=true) without an expected digest.
  returned: always
  type: dict
  sample: {"algorithm": "sha256", "digest": "d46b...f956", "failed": false, "path": "/opt/demo/releases/1.0.0/demo"}
binary_digests:
  description:
    - Hex digests of O(binary_path) by algorithm, one for each of O(digest_algorithms), hashed during the probe.
    - Empty when O(digest_algorithms) is empty or the file could not be hashed (RV(checksum) says why when it
      was computed).
  returned: always
  type: dict
  sample: {"sha256": "d46b5b4e829d6f9bc0a1eb1d24f210f89dc88da7798585f9ccac8feb54a6f956"}
go_build:
  description:
    - The result gosvc.hardening.go_binary_info would return (C(go_version), C(flags), C(stripped),
      C(violations) ...), with C(failed) and C(msg) on a violation; C(skipped=true) when O(go_build) is unset.
  returned: always
  type: dict
  sample: {"failed": false, "go_version": "go1.22.5", "stripped": true, "violations": []}
runtime:
  description:
    - What O(binary_path) needs from the host that runs it, read from its ELF headers (as
      gosvc.hardening.go_binary_info's C(requirements), in brief), whatever O(go_build) says. A fleet audit finds
      here the binaries that would not run on an older host.
    - C(static) (no program interpreter, no shared library), C(needs_glibc) (the newest glibc release its symbol
      versions ask for, for example V(2.34); null when none), C(libc) (V(glibc), V(musl) or null), C(interpreter),
      C(needed) (the DT_NEEDED libraries) and C(arch); only C(error) when the file is not a readable ELF file.
  returned: always
  type: dict
  sample: {"static": false, "needs_glibc": "2.34", "libc": "glibc", "interpreter": "/lib64/ld-linux-x86-64.so.2",
           "needed": ["libc.so.6"], "arch": "x86_64"}
exposure:
  description:
    - The result gosvc.hardening.unit_security would return (C(exposure), C(level), C(worst),
      C(failed_reasons), C(verify_problems) ...) without the full C(checks) list, with C(failed) and C(msg)
      when the exposure is above O(max_exposure), the unit file has problems or the analysis failed.
  returned: always
  type: dict
  sample: {"exposure": 1.4, "failed": false, "failed_reasons": [], "level": "OK", "source": "json"}
liveness:
  description:
    - The result gosvc.hardening.health_check would return for O(health_url) (C(status), C(attempts),
      C(stop_reason), C(tls) with C(days_remaining) for HTTPS ...), with C(failed) and C(msg) when it did not
      succeed; C(skipped=true) when O(health_url) is empty.
  returned: always
  type: dict
  sample: {"failed": false, "status": 200, "stop_reason": "success", "url": "http://127.0.0.1:8080/healthz"}
readiness:
  description: The same for O(ready_url); C(skipped=true) when it is empty or liveness failed.
  returned: always
  type: dict
  sample: {"failed": false, "status": 200, "stop_reason": "success", "url": "http://127.0.0.1:8080/readyz"}
go_version:
  description: The Go release that built O(binary_path), from its build information; null when it is not a
    readable Go binary.
  returned: always
  type: str
  sample: go1.22.5
environment:
  description:
    - Those of O(environment) that are set in the main process's starting environment, by name (unset ones
      are absent); null when there is no main process or its environment cannot be read.
  returned: always
  type: dict
  sample: {"GOMAXPROCS": "2", "GOMEMLIMIT": "483183820"}
forbidden_addresses:
  description: The addresses the mapping entries of O(forbidden_urls) were probed on.
  returned: always
  type: list
  elements: str
  sample: ["172.17.0.6"]
forbidden:
  description:
    - One health_check result per probed forbidden URL (C(url), C(status), C(stop_reason)); C(stop_reason=success)
      means the URL answered, which is what must not happen.
  returned: always
  type: list
  elements: dict
  sample: [{"failed": true, "status": null, "stop_reason": "retries_exhausted", "url": "http://172.17.0.6:8080/debug/pprof/"}]
journal:
  description:
    - The journal lines read (C(cmd), C(rc), C(stdout_lines), C(stderr)); C(skipped=true) when
      O(log_required_fields) is empty or the unit has no running invocation.
  returned: always
  type: dict
  sample: {"rc": 0, "stdout_lines": ["{\"level\":\"info\",\"msg\":\"listening\"}"]}
config_drift:
  description:
    - The unit, drop-in, environment file and config files compared with the snapshot the current release recorded
      when it last ran healthy (M(gosvc.hardening.go_release),
      O(gosvc.hardening.go_release#module:state=snapshot)).
    - C(recorded) (false when that release has none), C(version), C(files) (the paths compared) and C(drifted), each
      C({path, differences}) with phrases such as V(mode 0644, recorded 0640) or V(content differs from the recorded
      one). Contents are compared by digest on the host; no content is returned.
  returned: always
  type: dict
  sample: {"recorded": true, "version": "1.4.2", "files": ["/etc/systemd/system/demo.service"],
           "drifted": [{"path": "/etc/demo/demo.env", "differences": ["mode 0644, recorded 0640"]}]}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._http import hide_url_secrets, show_public_headers
from ansible_collections.gosvc.hardening.plugins.module_utils._service_probe import (
    ARGUMENT_SPEC,
    ProbeInputError,
    System,
    probe_service,
    validate,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    # The URLs and headers are no_log for AnsibleModule's own failures; from here on only credentials are masked.
    params = module.params
    hide_url_secrets(module, [params["health_url"], params["ready_url"]])
    hide_url_secrets(module, params["forbidden_urls"], declared_no_log=False)
    show_public_headers(module, (params["probe_options"] or {}).get("headers"))
    try:
        settings = validate(module.params)
    except ProbeInputError as exc:
        module.fail_json(msg=f"Invalid option: {exc}", changed=False)

    system = System(
        run=lambda argv, env: module.run_command(argv, environ_update=env),
        bin_path=module.get_bin_path,
    )
    try:
        result = probe_service(settings, system)
    except ProbeInputError as exc:
        module.fail_json(msg=f"Probing {settings.unit}: {exc}", changed=False)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
