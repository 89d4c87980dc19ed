# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the verify role: turn what the role read from a host into a report.

``verify_report`` takes one mapping of raw inputs (what gosvc.hardening.service_probe and
cosign_verify returned, and the role's settings, see ``verify_report.yml`` next to this file) and
returns the per-host report: one record per check with its severity and status, plus the summary
fields. A pure function: the unit tests feed it results captured on real hosts.
"""

from __future__ import annotations

import json
import math
import re

from ansible.errors import AnsibleFilterError

REPORT_FORMAT = "gosvc.hardening.verify/v1"
SEVERITIES = ("blocking", "warning", "audit")
STATUSES = ("passed", "failed", "skipped")


class Check:
    """One check, declared once: everything else (the report's order and default severities, the
    role's probe requests, the docs table) is derived from ``DECLARED``.

    ``proves`` and ``reads`` are the docs table's sentences; ``unit_properties`` and ``environment``
    are what service_probe must read for it beyond what it always reads (unit properties, variables
    of the main process's environment); ``run(raw, done)`` returns its record, ``done`` holding the
    records of the checks before it."""

    __slots__ = ("environment", "name", "proves", "reads", "run", "severity", "unit_properties")

    def __init__(self, name, severity, proves, reads, run, unit_properties=(), environment=()):
        self.name = name
        self.severity = severity
        self.proves = proves
        self.reads = reads
        self.run = run
        self.unit_properties = tuple(unit_properties)
        self.environment = tuple(environment)


#: The checks in report order.
DECLARED = []


def declare(name, severity, proves, reads, **needs):
    """Add the decorated function to DECLARED as the check ``name`` (see Check)."""

    def add(run):
        DECLARED.append(Check(name, severity, proves, reads, run, **needs))
        return run

    return add


# Linux capability numbers (include/uapi/linux/capability.h), as capsh --decode names them.
CAPABILITIES = (
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
)

_DETAIL_MAX = 600


def decode_capabilities(hex_mask):
    """Names of the capabilities set in a /proc ``Cap*`` hex mask, lowest bit first."""
    try:
        mask = int(str(hex_mask).strip(), 16)
    except ValueError as exc:
        raise AnsibleFilterError(f"verify: capability mask {hex_mask!r} is not hexadecimal") from exc
    names = []
    bit = 0
    while mask:
        if mask & 1:
            names.append(CAPABILITIES[bit] if bit < len(CAPABILITIES) else f"cap_{bit}")
        mask >>= 1
        bit += 1
    return names


def normalize_capability(name):
    """``CAP_NET_BIND_SERVICE``, ``net_bind_service`` and ``cap_net_bind_service`` are one name."""
    text = str(name).strip().lower()
    return text if text.startswith("cap_") else "cap_" + text


def parse_proc_status(text):
    """``/proc/<pid>/status`` as a mapping of field name to its (stripped) value."""
    fields = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def _result(value):
    """A registered result, or None when the task was skipped or never ran."""
    if not isinstance(value, dict) or not value or value.get("skipped"):
        return None
    return value


def _failed(result):
    return bool(result.get("failed")) or result.get("rc", 0) not in (0, None)


def _msg(result, default="failed"):
    msg = result.get("msg") or default
    return _short(msg if isinstance(msg, str) else json.dumps(msg, sort_keys=True))


def _short(text):
    text = " ".join(str(text).split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 3] + "..."


def _int(value, default=None):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _float(value, default=None):
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _check(name, status, detail):
    return {"name": name, "status": status, "detail": _short(detail)}


# --- the checks ---------------------------------------------------------------------------


@declare(
    "unit_active",
    "blocking",
    proves="the unit is loaded and `ActiveState=active` at both ends of the observation window",
    reads="`systemctl show` (twice)",
)
def _check_unit_active(raw, _done):
    before = raw.get("unit_before") or {}
    after = raw.get("unit_after") or {}
    if after.get("LoadState") not in (None, "loaded"):
        return _check("unit_active", "failed", f"{raw.get('unit')} is not loaded (LoadState={after.get('LoadState')})")
    states = [before.get("ActiveState", "unknown"), after.get("ActiveState", "unknown")]
    detail = f"ActiveState={states[1]} SubState={after.get('SubState', 'unknown')}"
    if states[0] != states[1]:
        detail = (
            f"ActiveState {states[0]} -> {states[1]} during the observation window, SubState={after.get('SubState')}"
        )
    if after.get("Result") not in (None, "success"):
        detail += f" Result={after.get('Result')}"
    return _check("unit_active", "passed" if states == ["active", "active"] else "failed", detail)


@declare(
    "restarts",
    "blocking",
    proves=(
        "`NRestarts` did not grow and the main PID did not change during the window (at least `verify_soak_seconds`)"
    ),
    reads="the same two reads",
)
def _check_restarts(raw, _done):
    before = raw.get("unit_before") or {}
    after = raw.get("unit_after") or {}
    window = _float(raw.get("window_seconds"), 0.0)
    n0, n1 = _int(before.get("NRestarts")), _int(after.get("NRestarts"))
    p0, p1 = _int(before.get("MainPID"), 0), _int(after.get("MainPID"), 0)
    if n0 is None or n1 is None:
        return _check("restarts", "failed", "NRestarts is not reported for this unit (systemd older than 235?)")
    if not p0 and not p1:
        return _check("restarts", "failed", f"no main process during the {window:.1f}s window (NRestarts {n0} -> {n1})")
    if n1 > n0:
        return _check("restarts", "failed", f"NRestarts grew {n0} -> {n1} within {window:.1f}s (main PID {p0} -> {p1})")
    if raw.get("mode") == "quick" and p0 == p1:
        return _check("restarts", "passed", f"NRestarts {n1}, main PID {p1} (quick: no observation window)")
    if p0 != p1:
        return _check(
            "restarts", "failed", f"main PID changed {p0} -> {p1} within {window:.1f}s although NRestarts stayed {n1}"
        )
    return _check("restarts", "passed", f"NRestarts stayed {n1} and main PID {p1} over {window:.1f}s")


@declare(
    "user",
    "blocking",
    proves=(
        "the main process's real, effective, saved and file-system uids are `verify_user`'s, and that user is not root"
    ),
    reads="`/proc/<MainPID>/status`, `getent passwd`",
)
def _check_user(raw, _done):
    proc = raw["proc"]
    expected = raw.get("expected_user") or ""
    if not proc:
        return _check("user", "skipped", "no main process to inspect")
    entry = raw.get("user_entry")
    if not entry:
        return _check("user", "failed", f"user {expected!r} does not exist on the host")
    expected_uid = _int(entry[1]) if len(entry) > 1 else None
    uids = [_int(x) for x in proc.get("Uid", "").split()]
    pid = raw.get("main_pid")
    if not uids:
        return _check("user", "failed", f"no Uid line in /proc/{pid}/status")
    if expected_uid == 0:
        return _check(
            "user", "failed", f"the expected user {expected!r} is root (uid 0); services must not run as root"
        )
    if any(uid != expected_uid for uid in uids):
        return _check(
            "user",
            "failed",
            f"main PID {pid} runs with uids {'/'.join(str(u) for u in uids)} (real/effective/saved/fs), "
            f"expected {expected} (uid {expected_uid})",
        )
    return _check("user", "passed", f"main PID {pid} runs as {expected} (uid {expected_uid})")


@declare(
    "capabilities",
    "blocking",
    proves=(
        "`CapEff` holds nothing beyond `verify_allowed_capabilities` (by default `CAP_NET_BIND_SERVICE` only when"
        " `go_service_listen_port` < 1024)"
    ),
    reads="`/proc/<MainPID>/status`",
)
def _check_capabilities(raw, _done):
    proc = raw["proc"]
    if not proc:
        return _check("capabilities", "skipped", "no main process to inspect")
    mask = proc.get("CapEff")
    if mask is None:
        return _check("capabilities", "failed", f"no CapEff line in /proc/{raw.get('main_pid')}/status")
    effective = decode_capabilities(mask)
    allowed = sorted({normalize_capability(c) for c in raw.get("allowed_capabilities") or []})
    extra = [c for c in effective if c not in allowed]
    allowed_text = ", ".join(allowed) or "none"
    if extra:
        return _check(
            "capabilities",
            "failed",
            f"effective capabilities beyond the allowed set: {', '.join(extra)} "
            f"(CapEff {mask}, allowed: {allowed_text})",
        )
    held = ", ".join(effective) or "none"
    return _check("capabilities", "passed", f"CapEff {mask}: {held} (allowed: {allowed_text})")


@declare(
    "checksum",
    "blocking",
    proves=(
        "the installed binary has the expected digest: `verify_checksum` (default: `go_service_binary_sha256`, "
        "the binary's own digest that go_service published in the same play, even when the release was an "
        "archive; in a verify-only run `go_service_checksum` unless `go_service_archive_member` says it is an "
        "archive's), else the digest `go_release` recorded in `<root>/.releases.json` for the current release"
    ),
    reads="sha256 of the binary (as `checksum_verify`)",
)
def _check_checksum(raw, _done):
    expected = raw.get("expected_checksum") or ""
    result = _result(raw.get("checksum_result"))
    if not expected:
        if result is not None and _failed(result):
            # A release record service_probe could not trust: the expected digest is unknown.
            return _check("checksum", "failed", _msg(result))
        return _check("checksum", "skipped", "no expected digest (verify_checksum is empty and no release record)")
    if result is None:
        return _check("checksum", "failed", "the checksum was not computed")
    source = raw.get("checksum_source") or "verify_checksum"
    if _failed(result):
        return _check("checksum", "failed", f"{_msg(result)} (expected digest from {source})")
    return _check(
        "checksum",
        "passed",
        f"{result.get('algorithm', 'sha256')}:{result.get('digest')} of {result.get('path')} (expected from {source})",
    )


@declare(
    "signature",
    "blocking",
    proves=(
        "the installed binary's Cosign signature verifies (when `verify_cosign` is set; by default it follows "
        "`go_service_cosign_*` when those sign the binary itself)"
    ),
    reads="`cosign_verify` (verification on the controller, over the digest `service_probe` computed on the host)",
)
def _check_signature(raw, _done):
    result = _result(raw.get("signature_result"))
    if result is None:
        return _check("signature", "skipped", "not configured (verify_cosign is empty)")
    if _failed(result) or not result.get("verified"):
        return _check("signature", "failed", _msg(result, "signature did not verify"))
    signer = result.get("signer") or {}
    who = f", signer {signer.get('identity')} ({signer.get('issuer')})" if signer else ""
    return _check(
        "signature",
        "passed",
        f"{result.get('material')} verified with a {result.get('method')} "
        f"({result.get('public_key_type') or 'certificate'}){who}, transparency log "
        f"{'verified' if result.get('tlog_verified') else 'not required'}",
    )


@declare(
    "go_build",
    "warning",
    proves="the binary meets `verify_go_build` (trimpath, CGO off, stripped, minimum Go version, no modified VCS tree)",
    reads="the binary's build information (as `go_binary_info`)",
)
def _check_go_build(raw, _done):
    result = _result(raw.get("go_build_result"))
    if result is None:
        return _check("go_build", "skipped", "not configured (verify_go_build is empty)")
    violations = result.get("violations") or []
    if violations:
        return _check("go_build", "failed", "; ".join(violations))
    if _failed(result):
        return _check("go_build", "failed", _msg(result))
    flags = result.get("flags") or {}
    facts = [result.get("go_version") or "unknown Go"]
    facts.append("trimpath" if flags.get("trimpath") else "no trimpath")
    facts.append("CGO off" if flags.get("cgo_enabled") is False else "CGO on or unknown")
    facts.append("stripped" if result.get("stripped") else "symbols present")
    runtime = _runtime(raw)
    if runtime.get("static"):
        facts.append("static")
    elif runtime.get("needs_glibc"):
        facts.append(f"needs glibc {runtime['needs_glibc']}")
    return _check("go_build", "passed", ", ".join(facts))


def _runtime(raw):
    """What the binary needs from a host (service_probe's ``runtime``); {} when unknown."""
    runtime = raw.get("runtime")
    return runtime if isinstance(runtime, dict) and "error" not in runtime else {}


@declare(
    "exposure",
    "blocking",
    proves=(
        "`systemd-analyze security` exposure at most `verify_max_exposure`, and `systemd-analyze verify` finds no"
        " problem in the unit"
    ),
    reads="`systemd-analyze` (as `unit_security`)",
)
def _check_exposure(raw, _done):
    result = _result(raw.get("exposure_result"))
    limit = _float(raw.get("max_exposure"))
    if result is None:
        return _check("exposure", "failed", "systemd-analyze security did not run")
    exposure = result.get("exposure")
    if _failed(result):
        reasons = result.get("failed_reasons") or []
        return _check("exposure", "failed", "; ".join(reasons) if reasons else _msg(result))
    if exposure is None:
        return _check("exposure", "failed", "no exposure figure in the result")
    if limit is not None and exposure > limit:
        return _check("exposure", "failed", f"exposure {exposure} {result.get('level')} is above {limit}")
    return _check("exposure", "passed", f"exposure {exposure} {result.get('level')} (max {limit})")


def _probe_detail(url, result):
    attempts = len(result.get("attempts") or [])
    return f"HTTP {result.get('status')} from {url} ({attempts} attempt(s), {result.get('stop_reason')})"


def _check_probe(name, url, result, skipped_reason=None):
    if not url:
        return _check(name, "skipped", f"no URL configured (verify_{'health' if name == 'liveness' else 'ready'}_url)")
    if skipped_reason:
        return _check(name, "skipped", skipped_reason)
    result = _result(result)
    if result is None:
        return _check(name, "failed", f"{url} was not probed")
    if _failed(result):
        return _check(name, "failed", _msg(result))
    return _check(name, "passed", _probe_detail(url, result) + _owner_text(result.get("owners")))


def _owner_text(owners):
    """Who held the socket that answered (service_probe's owner check), as the detail's tail."""
    if not isinstance(owners, list) or not owners:
        return ""
    pids = [
        f"pid {item['pid']} ({item.get('unit') or 'no unit'})"
        for item in owners
        if isinstance(item, dict) and item.get("pid")
    ]
    return f"; answered by {', '.join(pids)}" if pids else ""


#: The probe results the tls_expiry check reads: (URL key, result key) of raw.
_PROBES = (("health_url", "liveness_result"), ("ready_url", "readiness_result"))


@declare(
    "liveness",
    "blocking",
    proves=(
        "`verify_health_url` answers, and the answer comes from the unit: the socket listening at the URL's address is"
        " held by a process of the unit (`verify_health_owner_check`)"
    ),
    reads=(
        "an HTTP(S) probe (as `health_check`) with retries within `verify_health_timeout`; `/proc/net/tcp{,6}`, the"
        " holders' `/proc/<pid>/fd` and `cgroup`"
    ),
)
def _check_liveness(raw, _done):
    return _check_probe("liveness", raw.get("health_url") or "", raw.get("liveness_result"))


@declare(
    "readiness",
    "blocking",
    proves=(
        "after liveness passed, `verify_ready_url` answers `verify_ready_success_threshold` times in a row, from the"
        " unit's own listener"
    ),
    reads="the same probe",
)
def _check_readiness(raw, done):
    liveness_failed = done["liveness"]["status"] == "failed"
    return _check_probe(
        "readiness",
        raw.get("ready_url") or "",
        raw.get("readiness_result"),
        "not probed: liveness failed" if liveness_failed else None,
    )


@declare(
    "tls_expiry",
    "warning",
    proves="for HTTPS health or readiness URLs, the certificate is valid for at least `verify_tls_min_days` more days",
    reads="the probes' TLS details",
)
def _check_tls(raw, _done):
    probes = [(raw.get(url) or "", _result(raw.get(result))) for url, result in _PROBES]
    https = [(url, result) for url, result in probes if url and url.lower().startswith("https://")]
    if not https:
        return _check("tls_expiry", "skipped", "no HTTPS endpoint among the health and readiness URLs")
    minimum = _int(raw.get("tls_min_days"), 0)
    problems, facts = [], []
    for url, result in https:
        tls = (result or {}).get("tls") or {}
        days = tls.get("days_remaining")
        if days is None:
            problems.append(f"{url}: no certificate read (no TLS handshake)")
        elif days < minimum:
            problems.append(f"{url}: certificate expires {tls.get('not_after')}, in {days} day(s) (< {minimum})")
        else:
            facts.append(f"{url}: {days} day(s) left (until {tls.get('not_after')})")
    if problems:
        return _check("tls_expiry", "failed", "; ".join(problems))
    return _check("tls_expiry", "passed", f"{'; '.join(facts)}; minimum {minimum}")


@declare(
    "forbidden_urls",
    "blocking",
    proves="none of `verify_forbidden_urls` answers (2xx/3xx) from outside loopback",
    reads="one probe on each of the host's non-loopback addresses",
)
def _check_forbidden(raw, _done):
    configured = raw.get("forbidden_urls") or []
    results = [r for r in (raw.get("forbidden_results") or []) if _result(r) is not None]
    if not configured:
        return _check("forbidden_urls", "skipped", "not configured (verify_forbidden_urls is empty)")
    if not results:
        return _check("forbidden_urls", "skipped", "no URL to probe (the host has no non-loopback address)")
    answered, probed = [], []
    for result in results:
        url = result.get("item") or result.get("url")
        probed.append(url)
        if result.get("stop_reason") == "success":
            answered.append(f"{url} (HTTP {result.get('status')})")
    if answered:
        return _check("forbidden_urls", "failed", f"answered from outside loopback: {', '.join(answered)}")
    return _check("forbidden_urls", "passed", f"no answer from {', '.join(probed)}")


@declare(
    "structured_logs",
    "warning",
    proves=(
        "the last `verify_log_lines` journal lines of the running invocation are JSON objects carrying "
        "`verify_log_required_fields`"
    ),
    reads="`journalctl _SYSTEMD_INVOCATION_ID=<id>`",
)
def _check_logs(raw, _done):
    required = list(raw.get("log_required_fields") or [])
    if not required:
        return _check("structured_logs", "skipped", "not configured (verify_log_required_fields is empty)")
    result = _result(raw.get("journal_result"))
    if result is None:
        return _check("structured_logs", "failed", "the journal was not read (no running invocation)")
    if _failed(result):
        return _check("structured_logs", "failed", f"journalctl failed: {_short(result.get('stderr') or _msg(result))}")
    lines = [line for line in result.get("stdout_lines") or [] if line.strip()]
    if not lines:
        return _check("structured_logs", "failed", "the current invocation wrote no journal lines")
    bad = []
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            bad.append(f"line {number} is not JSON: {line[:60]!r}")
            continue
        if not isinstance(record, dict):
            bad.append(f"line {number} is JSON but not an object")
            continue
        missing = [f for f in required if f not in record]
        if missing:
            bad.append(f"line {number} ({record.get('msg', '?')}) lacks {', '.join(missing)}")
    if bad:
        shown = "; ".join(bad[:3]) + ("; ..." if len(bad) > 3 else "")
        return _check("structured_logs", "failed", f"{len(bad)} of {len(lines)} line(s): {shown}")
    return _check(
        "structured_logs", "passed", f"the last {len(lines)} line(s) are JSON objects with {', '.join(required)}"
    )


#: systemd's time span units (``systemctl show`` prints CPUQuotaPerSecUSec as ``1.500000s``, ``250ms``,
#: ``1min 30s``) in seconds.
_TIMESPAN_UNITS = {
    "y": 31557600,
    "month": 2629800,
    "w": 604800,
    "d": 86400,
    "h": 3600,
    "min": 60,
    "s": 1,
    "ms": 1e-3,
    "us": 1e-6,
    "\u00b5s": 1e-6,
}
_TIMESPAN_PART = re.compile(r"([0-9]+(?:[.][0-9]+)?)(" + "|".join(sorted(_TIMESPAN_UNITS, key=len, reverse=True)) + ")")
#: GOMEMLIMIT as the Go runtime reads it: bytes, with an optional B, KiB, MiB, GiB or TiB.
_GOMEMLIMIT = re.compile(r"^([0-9]+)(B|KiB|MiB|GiB|TiB)?\Z")
_GOMEMLIMIT_UNITS = {None: 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def _timespan(text):
    """Seconds of a systemd time span as ``systemctl show`` prints it; None for infinity (no unit
    matches it) or garbage."""
    parts = str(text).split()
    if not parts:
        return None
    total = 0.0
    for part in parts:
        match = _TIMESPAN_PART.fullmatch(part)
        if not match:
            return None
        total += float(match.group(1)) * _TIMESPAN_UNITS[match.group(2)]
    return total


def _go_minor(version):
    """The minor release of a Go version string (25 for ``go1.25.3``); None when unknown."""
    match = re.match(r"^go1[.]([0-9]+)", version) if isinstance(version, str) else None
    return int(match.group(1)) if match else None


def _size(count):
    """A byte count as MemoryMax= takes it: 512M for 536870912."""
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if count % size == 0:
            return f"{count // size}{unit}"
    return str(count)


def _cpu_fit(quota, env, go_version):
    """(whether GOMAXPROCS fits CPUQuota= of ``quota`` CPUs, what was found or why not)."""
    cpus = max(1, math.ceil(quota - 1e-9))  # 1.5 CPUs need 2 threads; 2.0 (as a float) needs 2, not 3
    limit = f"CPUQuota={quota * 100:g}% ({quota:g} CPUs)"
    value = env.get("GOMAXPROCS", "")
    if value == "":
        minor = _go_minor(go_version)
        godebug = [item.strip() for item in env.get("GODEBUG", "").split(",")]
        if minor is not None and minor >= 25 and "containermaxprocs=0" not in godebug:
            return True, f"GOMAXPROCS unset, which {go_version} sizes from {limit}"
        built = go_version or "a Go release that could not be read"
        return (
            False,
            f"{limit} but GOMAXPROCS is not set: the binary, built with {built}, runs as many threads as the host "
            f"has CPUs and the kernel throttles them; set GOMAXPROCS={cpus} (Go 1.25 and later read the quota "
            "themselves unless GODEBUG has containermaxprocs=0)",
        )
    if not re.fullmatch(r"[0-9]+", value) or int(value) < 1:
        return False, f"GOMAXPROCS={value} is not a whole number of 1 or more (the Go runtime ignores it)"
    if int(value) > cpus:
        return (
            False,
            f"GOMAXPROCS={value} is above {limit}: the kernel throttles the extra threads; set GOMAXPROCS={cpus}",
        )
    return True, f"GOMAXPROCS={value} within {limit}"


def _memory_fit(memory, env):
    """(whether GOMEMLIMIT fits MemoryMax= of ``memory`` bytes, what was found or why not)."""
    limit = f"MemoryMax={_size(memory)}"
    value = env.get("GOMEMLIMIT", "")
    if value in ("", "off"):
        said = "is not set" if value == "" else "is off"
        return (
            False,
            f"{limit} but GOMEMLIMIT {said}: the garbage collector does not see the limit and the kernel kills the "
            f"service first; set GOMEMLIMIT to about 90% of it ({int(memory * 0.9)})",
        )
    match = _GOMEMLIMIT.fullmatch(value)
    if not match:
        return (
            False,
            f"GOMEMLIMIT={value} is not a size the Go runtime reads (bytes, or a B, KiB, MiB, GiB or TiB suffix)",
        )
    count = int(match.group(1)) * _GOMEMLIMIT_UNITS[match.group(2)]
    if count > memory:
        return False, f"GOMEMLIMIT={value} is above {limit} ({memory} bytes): the kernel kills the service first"
    return True, f"GOMEMLIMIT={value} within {limit}"


@declare(
    "runtime_limits",
    "warning",
    proves=(
        "the Go runtime is sized to the unit's cgroup: `GOMAXPROCS` at most the CPUs `CPUQuota=` allows (unset is "
        "fine from Go 1.25, which reads the quota), and `GOMEMLIMIT` set and at most `MemoryMax=`"
    ),
    reads=(
        "`CPUQuotaPerSecUSec` and `MemoryMax` (`systemctl show`), `GOMAXPROCS`, `GOMEMLIMIT` and `GODEBUG` of "
        "`/proc/<MainPID>/environ`, the binary's Go version"
    ),
    unit_properties=("CPUQuotaPerSecUSec", "MemoryMax"),
    environment=("GOMAXPROCS", "GOMEMLIMIT", "GODEBUG"),
)
def _check_runtime_limits(raw, _done):
    after = raw.get("unit_after") or {}
    if "CPUQuotaPerSecUSec" not in after and "MemoryMax" not in after:
        return _check("runtime_limits", "skipped", "the unit's CPUQuota= and MemoryMax= were not read")
    if not raw["main_pid"]:
        return _check("runtime_limits", "skipped", "no main process to inspect")
    quota = _timespan(after.get("CPUQuotaPerSecUSec", "infinity"))
    memory = _int(after.get("MemoryMax"))
    if quota is None and memory is None:
        return _check("runtime_limits", "passed", "the unit sets neither CPUQuota= nor MemoryMax=")
    env = raw.get("environment")
    if not isinstance(env, dict):
        return _check("runtime_limits", "failed", f"/proc/{raw['main_pid']}/environ could not be read")
    found = []
    if quota is not None:
        found.append(_cpu_fit(quota, env, raw.get("go_version")))
    if memory is not None:
        found.append(_memory_fit(memory, env))
    problems = [text for fits, text in found if not fits]
    if problems:
        return _check("runtime_limits", "failed", "; ".join(problems))
    return _check("runtime_limits", "passed", "; ".join(text for _fits, text in found))


@declare(
    "config_drift",
    "blocking",
    proves=(
        "the unit, its drop-in, the environment file and the config files are as the current release's snapshot "
        "recorded them when it last ran healthy: content digest, owner, group and mode (a secret never "
        "leaves the host: contents are compared by digest there)"
    ),
    reads="`<root>/snapshots/<version>/manifest.json` and each file it lists",
)
def _check_config_drift(raw, _done):
    found = raw.get("config_drift")
    if not isinstance(found, dict):
        return _check("config_drift", "skipped", "the files were not compared (service_probe returned no reading)")
    if found.get("error"):
        return _check("config_drift", "failed", found["error"])
    version = found.get("version") or "the current release"
    if not found.get("recorded"):
        return _check(
            "config_drift",
            "skipped",
            f"release {version} has no snapshot to compare with (deployed before snapshots were recorded, or never"
            " healthy); the next deploy that changes something records one",
        )
    drifted = found.get("drifted") or []
    if drifted:
        listing = "; ".join(f"{item.get('path')}: {', '.join(item.get('differences') or [])}" for item in drifted)
        return _check(
            "config_drift",
            "failed",
            f"{len(drifted)} file(s) differ from what release {version} recorded: {listing}. A deploy puts them back",
        )
    count = len(found.get("files") or [])
    return _check("config_drift", "passed", f"{count} file(s) as release {version} recorded them")


# --- the report ---------------------------------------------------------------------------


CHECKS = tuple(check.name for check in DECLARED)
DEFAULT_SEVERITY = {check.name: check.severity for check in DECLARED}


def severities(overrides=None):
    """Every check's severity: its declared default, or what ``overrides`` (verify_severity) says."""
    overrides = {} if overrides is None else overrides
    if not isinstance(overrides, dict):
        raise AnsibleFilterError("verify_report: verify_severity must be a mapping of check name to severity")
    unknown = sorted(set(overrides) - set(CHECKS))
    bad = sorted(f"{k}={v}" for k, v in overrides.items() if k in CHECKS and v not in SEVERITIES)
    if unknown or bad:
        raise AnsibleFilterError(
            f"verify_report: verify_severity must map check names ({', '.join(CHECKS)}) to one of "
            f"{', '.join(SEVERITIES)}; unknown checks: {unknown or 'none'}, bad values: {bad or 'none'}"
        )
    return {**DEFAULT_SEVERITY, **overrides}


def verify_checks(overrides=None):
    """What the verify role needs from the declarations: the check names in report order, their
    severities under ``overrides`` (unknown names and bad values are left to verify_input_problems
    to report), and the unit properties and environment variables service_probe must read."""
    overrides = overrides if isinstance(overrides, dict) else {}
    return {
        "names": list(CHECKS),
        "severity": {name: overrides.get(name, default) for name, default in DEFAULT_SEVERITY.items()},
        "unit_properties": list(dict.fromkeys(p for check in DECLARED for p in check.unit_properties)),
        "environment": list(dict.fromkeys(v for check in DECLARED for v in check.environment)),
    }


def checks_table():
    """The Markdown table of the checks for docs/verify.md (scripts/docs.py writes it there)."""
    rows = ["| Check | Default severity | What it proves | How it reads the host |", "|---|---|---|---|"]
    rows += [f"| `{c.name}` | {c.severity} | {c.proves} | {c.reads} |" for c in DECLARED]
    return "\n".join(rows) + "\n"


def verify_report(raw, overrides=None):
    """Build the per-host report from the role's raw inputs. See verify_report.yml."""
    if not isinstance(raw, dict):
        raise AnsibleFilterError("verify_report: the input must be a mapping of the role's raw results")
    severity = severities(overrides)
    after = raw.get("unit_after") or {}
    proc = parse_proc_status(raw.get("proc_status") or "")
    raw = dict(raw, main_pid=_int(after.get("MainPID"), 0), proc=proc)
    done = {}
    for check in DECLARED:
        record = check.run(raw, done)
        record["severity"] = severity[check.name]
        done[check.name] = record
    checks = list(done.values())
    liveness, readiness = done["liveness"], done["readiness"]

    def failed(severity):
        return [c["name"] for c in checks if c["status"] == "failed" and c["severity"] == severity]

    exposure = _result(raw.get("exposure_result")) or {}
    link = _result(raw.get("current_link")) or {}  # service_probe's `current`
    version = link.get("lnk_target", "").rstrip("/").rsplit("/", 1)[-1] if link.get("islnk") else None
    entry = raw.get("user_entry") or []
    uids = proc.get("Uid", "").split()
    # The effective uid, named after the expected user when it is theirs, else after the unit's User=.
    uid = _int(uids[1]) if len(uids) > 1 else None
    expected_uid = _int(entry[1]) if len(entry) > 1 else None
    user = raw.get("expected_user") if uid is not None and uid == expected_uid else (after.get("User") or None)
    probed = [c for c in (liveness, readiness) if c["status"] != "skipped"]
    health = "unchecked"
    if probed:
        health = "ok" if all(c["status"] == "passed" for c in probed) else "failed"
    return {
        "format": REPORT_FORMAT,
        "host": raw.get("host"),
        "service": raw.get("service"),
        "unit": raw.get("unit"),
        "started_at": raw.get("started_at"),
        "finished_at": raw.get("finished_at"),
        "mode": "quick" if raw.get("mode") == "quick" else "full",
        "status": "failed" if failed("blocking") else "passed",
        "version": version or None,
        "binary": raw.get("binary_path"),
        "runtime": _runtime(raw) or None,
        "active_state": after.get("ActiveState") or "unknown",
        "main_pid": raw["main_pid"],
        "user": user,
        "uid": uid,
        "n_restarts": _int(after.get("NRestarts")),
        "health": health,
        "exposure": _float(exposure.get("exposure")),
        "exposure_level": exposure.get("level"),
        "checks": checks,
        "failed_checks": failed("blocking"),
        "warnings": failed("warning"),
        "audit_findings": failed("audit"),
    }


class FilterModule:
    def filters(self):
        return {
            "verify_report": verify_report,
        }
