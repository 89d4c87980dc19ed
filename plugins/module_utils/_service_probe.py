# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and probe a deployed service in one pass (the service_probe module's logic).

``validate`` turns the module's options into a ``Settings`` object or raises ``ProbeInputError``
whose message names the option and the fix. ``probe_service`` then does every read and probe of
the verify role, in this order (each step reads what the one before found), and returns one result:

1. the unit (``systemctl show``), which opens the observation window;
2. ``/proc/<MainPID>/status``, the expected user's passwd entry, the ``current`` release link;
3. the expected digest (the given one, else the one ``.releases.json`` recorded for the current
   release) and the installed binary's digest (``_digests``);
4. the Go build policy (``_goelf``), the exposure (``_systemd_analyze``);
5. liveness, then readiness once liveness passed (each answer traced to the unit's own listener,
   ``_listeners``), and every forbidden URL (``_http``);
6. the current invocation's last journal lines; the configuration files against the current
   release's snapshot (``_snapshot.drift``);
7. a sleep for what is left of the window, then the unit again.

A failed check is a result, never an exception: the caller reports it. Everything that touches
the host goes through a ``System`` object, so the tests replay captured output without a host.
"""

from __future__ import annotations

import ipaddress
import os
import pwd
import re
import time

from ansible_collections.gosvc.hardening.plugins.module_utils._digests import (
    ALGORITHMS,
    DigestError,
    check_file,
    file_digests,
    parse_expected,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._goelf import (
    POLICY_KEYS,
    GoBinaryError,
    build_result,
    inspect_file,
    parse_min_go_version,
    requirements_or_error,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._http import (
    HealthCheckError,
    build_config,
    run_health_check,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._listeners import owner_problem
from ansible_collections.gosvc.hardening.plugins.module_utils._release import STATE_FILE, release_facts
from ansible_collections.gosvc.hardening.plugins.module_utils._snapshot import drift
from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    COMMAND_ENV,
    command_on_exec_path,
    is_service_name,
    parse_show,
    security_result,
)

# The unit properties read at both ends of the window (the verify report's fields).
UNIT_KEYS = (
    "LoadState",
    "ActiveState",
    "SubState",
    "Result",
    "MainPID",
    "NRestarts",
    "User",
    "InvocationID",
    "ExecMainStartTimestamp",
)
#: The keys of go_build: go_binary_info's build policy.
GO_BUILD_KEYS = POLICY_KEYS
PROBE_OPTION_KEYS = (
    "headers",
    "status_codes",
    "validate_certs",
    "check_hostname",
    "ca_path",
    "client_cert",
    "client_key",
    "server_name",
)
# Only for https:// URLs (health_check refuses them for http://).
TLS_PROBE_KEYS = ("ca_path", "client_cert", "client_key", "server_name")
FORBIDDEN_TIMEOUT = 3.0
FIB_TRIE = "/proc/net/fib_trie"
IF_INET6 = "/proc/net/if_inet6"
RECORD_NAME = STATE_FILE
#: A unit property name (unit_properties) and an environment variable name (environment).
PROPERTY_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*\Z")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class ProbeInputError(ValueError):
    """An option is unusable; the message names it and says how to fix it."""


class System:
    """What the probe needs from the host. The module passes one built on AnsibleModule; tests fake it."""

    def __init__(self, run, bin_path, clock=time.monotonic, wall=time.time, sleep=time.sleep):
        self._run = run
        self._bin_path = bin_path
        self.clock = clock
        self.wall = wall
        self.sleep = sleep

    def run(self, argv, extra_env=None):
        """(rc, stdout, stderr) of argv with COMMAND_ENV plus extra_env."""
        env = dict(COMMAND_ENV)
        env.update(extra_env or {})
        return self._run(argv, env)

    def bin_path(self, name):
        """Absolute path of a command, or None."""
        return self._bin_path(name)

    def read_text(self, path):
        """The file's text, or None when it cannot be read."""
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return None

    def passwd(self, name):
        """The passwd fields after the name (as getent prints them), or None."""
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            return None
        return [entry.pw_passwd, str(entry.pw_uid), str(entry.pw_gid), entry.pw_gecos, entry.pw_dir, entry.pw_shell]

    def link(self, path):
        """What ``stat`` says about a (symbolic link) path: exists, islnk, lnk_target, lnk_source."""
        info = {"path": path, "exists": os.path.lexists(path), "islnk": os.path.islink(path)}
        if info["islnk"]:
            info["lnk_target"] = os.readlink(path)
            info["lnk_source"] = os.path.realpath(path)
        return info


class Settings:
    """Validated options (see ``validate``)."""

    def __init__(self, **values):
        self.__dict__.update(values)


# --- addresses and forbidden URLs -----------------------------------------------------------


def local_addresses(fib_trie, if_inet6=""):
    """The host's own non-loopback addresses: IPv4 from /proc/net/fib_trie (entries followed by
    ``/32 host LOCAL``), global-scope IPv6 from /proc/net/if_inet6. No iproute2 needed."""
    found = []
    lines = (fib_trie or "").splitlines()
    for line, following in zip(lines, lines[1:]):
        match = re.match(r"^\s*\|-- (\d+\.\d+\.\d+\.\d+)$", line)
        if match and following.split() == ["/32", "host", "LOCAL"]:
            address = match.group(1)
            if not address.startswith("127.") and address not in found:
                found.append(address)
    for line in (if_inet6 or "").splitlines():
        fields = line.split()
        # address (32 hex digits), ifindex, prefix length, scope, flags, name; scope 00 is global.
        if len(fields) >= 4 and len(fields[0]) == 32 and fields[3] == "00":
            address = ":".join(fields[0][i : i + 4] for i in range(0, 32, 4))
            address = str(ipaddress.IPv6Address(address))
            if address not in found:
                found.append(address)
    return found


def _int(value, default=None):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def check_forbidden_entries(entries):
    """Validate ``forbidden_urls``; return (strings, mappings) as normalized entries."""
    if not isinstance(entries, list):
        raise ProbeInputError("forbidden_urls must be a list of URLs or {port, path} mappings")
    normalized = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str):
            if not re.match(r"^https?://", entry, re.IGNORECASE):
                raise ProbeInputError(
                    f"forbidden_urls[{index}] {entry!r}: a string entry must be a full http(s):// URL; "
                    "use {port: 8080, path: /debug/pprof/} to probe every non-loopback address of the host"
                )
            normalized.append(entry)
            continue
        if not isinstance(entry, dict) or "port" not in entry:
            raise ProbeInputError(
                f"forbidden_urls[{index}]: expected a URL or a mapping with port and path, got {entry!r}"
            )
        unknown = sorted(set(entry) - {"port", "path", "scheme"})
        port = _int(entry.get("port"))
        scheme = str(entry.get("scheme", "http")).lower()
        path = str(entry.get("path", "/"))
        if unknown or port is None or not 0 < port < 65536 or scheme not in ("http", "https"):
            raise ProbeInputError(
                f"forbidden_urls[{index}] {entry!r}: keys are port (1-65535), path and scheme (http, https)"
                + (f"; unknown keys {unknown}" if unknown else "")
            )
        if not path.startswith("/"):
            path = "/" + path
        normalized.append({"port": port, "path": path, "scheme": scheme})
    return normalized


def _bracket(address):
    return f"[{address}]" if ":" in address else address


def forbidden_targets(entries, addresses):
    """Expand validated ``forbidden_urls`` entries: a string is probed as written; a mapping with
    ``port``, ``path`` and ``scheme`` on every address given."""
    urls = []
    for entry in check_forbidden_entries(entries):
        if isinstance(entry, str):
            urls.append(entry)
            continue
        for address in addresses or []:
            urls.append(f"{entry['scheme']}://{_bracket(str(address))}:{entry['port']}{entry['path']}")
    return urls


# --- the expected digest --------------------------------------------------------------------


def current_version(link):
    """The release the ``current`` link points to (its target's last component), or ''."""
    if not link.get("islnk"):
        return ""
    return str(link.get("lnk_target", "")).rstrip("/").rsplit("/", 1)[-1]


def recorded_digest(record, root):
    """``sha256:<hex>`` go_release recorded for the current release of the tree at ``root``, read
    from ``record`` by ``_release.release_facts`` (service_facts reads the tree with it too): '' when
    there is no record (a service installed by other means). Raises ProbeInputError when the record
    or the ``current`` link is one go_release would refuse, or the current release has no entry: the
    digest to compare with is then unknown, and the checksum check must fail rather than be skipped."""
    facts = release_facts(root, state=record)
    if not facts["recorded"]:
        return ""
    if facts["error"]:
        raise ProbeInputError(facts["error"])
    for release in facts["releases"]:
        if release["version"] == facts["current"]:
            return f"sha256:{release['sha256']}"
    raise ProbeInputError(
        f"the release record {record} has no installed release that {root}/current points to"
        f" ({facts['current'] or 'no current release'}); install the release with go_release, or give checksum"
    )


def checksum_result(path, expected):
    """What checksum_verify returns for ``path`` against ``expected`` (failed and msg on a mismatch)."""
    try:
        wanted = parse_expected(expected)
    except DigestError as exc:
        msg = f"Choosing the expected digest for {path}: {exc}"
        return {"changed": False, "path": path, "failed": True, "msg": msg}
    return check_file(path, wanted)


def binary_digests(path, algorithms, checksum):
    """``{algorithm: hex}`` of the file at ``path`` for each of ``algorithms`` (for a signature check
    on the controller), reusing the checksum check's digest of the same file. Empty when none is
    asked for, or when the file cannot be hashed (the checksum check says why)."""
    found = {}
    if checksum.get("failed") is False and checksum.get("path") == os.path.realpath(path):
        found[checksum["algorithm"]] = checksum["digest"]
    missing = [algorithm for algorithm in algorithms if algorithm not in found]
    if missing:
        try:
            found.update(file_digests(path, missing)[0])
        except DigestError:
            return {}
    return {algorithm: found[algorithm] for algorithm in algorithms}


# --- the other checks -----------------------------------------------------------------------


def runtime_result(path):
    """What the binary at ``path`` needs from a host, in brief: for a fleet audit of who would break on an older host.

    ``static``, the newest glibc it ``needs_glibc`` (null when none), the ``libc`` it is linked against, its
    ``interpreter``, ``needed`` libraries and ``arch``; ``error`` instead when its ELF headers cannot be read.
    """
    requirements, error = requirements_or_error(path)
    if requirements is None:
        return {"error": error}
    keys = ("static", "needs_glibc", "libc", "interpreter", "needed", "arch")
    return {key: requirements[key] for key in keys}


def exposure_result(system, unit, max_exposure):
    """What unit_security returns for ``unit`` (without the full check list; failed and msg when it fails)."""
    bins = {name: system.bin_path(name) for name in ("systemd-analyze", "systemctl")}
    missing = sorted(name for name, path in bins.items() if not path)
    if missing:
        return {"failed": True, "msg": f"Checking the security of {unit}: {', '.join(missing)} not found on the host"}
    result = security_result(system.run, bins, unit, max_exposure=max_exposure, resolves=command_on_exec_path)
    result.pop("checks", None)
    return result


def owned(result, config, settings, main_pid=None, proc="/proc"):
    """A probe that answered must have been answered by the unit: else it fails naming who answered."""
    if not settings.check_owner or config is None or result.get("failed") or result.get("skipped"):
        return result
    problem, found = owner_problem(config.target, settings.unit, proc, main_pid=main_pid)
    result["owners"] = found
    if problem:
        result.update(failed=True, msg=problem)
    return result


def probe_result(config):
    """What health_check returns (``failed`` set when the probe did not succeed)."""
    result = run_health_check(config)
    result["failed"] = result["stop_reason"] != "success"
    return result


def journal_result(system, invocation_id, lines):
    """The last ``lines`` journal lines of one invocation (rc, stdout_lines, stderr), like command returns."""
    journalctl = system.bin_path("journalctl")
    if not journalctl:
        return {"failed": True, "rc": None, "msg": "journalctl not found on the host", "stdout_lines": [], "stderr": ""}
    argv = [
        journalctl,
        f"_SYSTEMD_INVOCATION_ID={invocation_id}",
        f"--lines={lines}",
        "--output=cat",
        "--no-pager",
    ]
    rc, out, err = system.run(argv)
    return {"cmd": argv, "rc": rc, "failed": rc != 0, "stdout_lines": out.splitlines(), "stderr": err}


def skipped(reason):
    return {"skipped": True, "skip_reason": reason}


# --- options --------------------------------------------------------------------------------


def _probe_config(option, url, options, timeout, success_threshold):
    https = url.lower().startswith("https://")
    params = {
        "url": url,
        "deadline": timeout,
        "retries": int(timeout),
        "delay": 1.0,
        "max_delay": 3.0,
        "success_threshold": success_threshold,
    }
    for key in PROBE_OPTION_KEYS:
        value = options.get(key)
        if value is not None and (https or key not in TLS_PROBE_KEYS):
            params[key] = value
    try:
        return build_config(params)
    except HealthCheckError as exc:
        hint = ""
        if "success_threshold" in str(exc):
            hint = (
                f" (retries follow health_timeout={timeout:g}: raise health_timeout or lower ready_success_threshold)"
            )
        raise ProbeInputError(f"{option} {url!r} with probe_options: {exc}{hint}") from None


def validate(params):
    """Check the module's options; return ``Settings``. Raises ProbeInputError naming the option."""
    unit = params["unit"]
    if not is_service_name(unit):
        raise ProbeInputError(
            f"unit is {unit!r}; give the full name of a service unit, for example demo.service "
            "or worker@1.service (a template needs an instance name)"
        )
    limit = params.get("max_exposure")
    if limit is not None and not 0.0 <= limit <= 10.0:
        raise ProbeInputError(f"max_exposure is {limit}; use a value from 0.0 to 10.0")
    checksum = params.get("checksum") or ""
    if checksum:
        try:
            parse_expected(checksum)
        except DigestError as exc:
            raise ProbeInputError(f"checksum: {exc}; give sha256:<64 hex digits> or leave it empty") from None
    go_build = params.get("go_build")
    policy = None
    if go_build is not None:
        unknown = sorted(set(go_build) - set(GO_BUILD_KEYS))
        if unknown:
            raise ProbeInputError(f"go_build has unknown keys {unknown}; use {', '.join(GO_BUILD_KEYS)}")
        policy = {key: bool(go_build.get(key)) for key in GO_BUILD_KEYS if key != "min_go_version"}
        policy["min_go_version"] = go_build.get("min_go_version") or None
        if policy["min_go_version"] is not None:
            policy["min_go_version"] = str(policy["min_go_version"])
            try:
                parse_min_go_version(policy["min_go_version"])
            except ValueError as exc:
                raise ProbeInputError(f"go_build.min_go_version: {exc}") from None
    timeout = params.get("health_timeout")
    if timeout is None or timeout <= 0:
        raise ProbeInputError(f"health_timeout is {timeout}; give the seconds a probe may take, more than 0")
    threshold = params.get("ready_success_threshold")
    if threshold is None or threshold < 1:
        raise ProbeInputError(f"ready_success_threshold is {threshold}; use 1 or more")
    options = params.get("probe_options") or {}
    unknown = sorted(set(options) - set(PROBE_OPTION_KEYS))
    if unknown:
        raise ProbeInputError(f"probe_options has unknown keys {unknown}; use {', '.join(PROBE_OPTION_KEYS)}")
    liveness = readiness = None
    if params.get("health_url"):
        liveness = _probe_config("health_url", params["health_url"], options, timeout, 1)
    if params.get("ready_url"):
        readiness = _probe_config("ready_url", params["ready_url"], options, timeout, threshold)
    forbidden = check_forbidden_entries(params.get("forbidden_urls") or [])
    for index, entry in enumerate(forbidden):
        if isinstance(entry, str):
            try:
                forbidden_probe_config(entry)
            except HealthCheckError as exc:
                raise ProbeInputError(f"forbidden_urls[{index}] {entry!r}: {exc}") from None
    soak = params.get("soak_seconds")
    if soak is None or soak < 0:
        raise ProbeInputError(f"soak_seconds is {soak}; use 0 or more")
    log_lines = params.get("log_lines")
    if log_lines is None or log_lines < 1:
        raise ProbeInputError(f"log_lines is {log_lines}; use 1 or more")
    algorithms = list(params.get("digest_algorithms") or [])
    unknown = [a for a in algorithms if a not in ALGORITHMS]
    if unknown:
        raise ProbeInputError(f"digest_algorithms has {unknown}; use {', '.join(ALGORITHMS)}")
    properties = list(params.get("unit_properties") or [])
    bad = [name for name in properties if not PROPERTY_NAME.match(str(name))]
    if bad:
        raise ProbeInputError(f"unit_properties has {bad}; give systemd property names such as MemoryMax")
    environment = list(params.get("environment") or [])
    bad = [name for name in environment if not ENV_NAME.match(str(name))]
    if bad:
        raise ProbeInputError(f"environment has {bad}; give environment variable names such as GOMEMLIMIT")
    binary_path = params["binary_path"]
    release_root = os.path.dirname(os.path.dirname(binary_path.rstrip("/")))
    record = params.get("release_record") or os.path.join(release_root, RECORD_NAME)
    return Settings(
        unit=unit,
        user=params.get("user") or "",
        binary_path=binary_path,
        checksum=checksum,
        digest_algorithms=sorted(set(algorithms)),
        release_record=record,
        release_root=release_root,
        go_build=policy,
        max_exposure=limit,
        health_url=params.get("health_url") or "",
        ready_url=params.get("ready_url") or "",
        liveness=liveness,
        readiness=readiness,
        forbidden_urls=forbidden,
        forbidden_addresses=list(params.get("forbidden_addresses") or []),
        log_required_fields=list(params.get("log_required_fields") or []),
        log_lines=log_lines,
        soak_seconds=float(soak),
        unit_properties=tuple(name for name in dict.fromkeys(properties) if name not in UNIT_KEYS),
        environment=tuple(dict.fromkeys(environment)),
        check_owner=bool(params.get("check_owner", True)),
    )


def forbidden_probe_config(url):
    """One attempt, 3 seconds, certificates not checked: only whether something answers matters."""
    return build_config({"url": url, "timeout": FORBIDDEN_TIMEOUT, "retries": 0, "validate_certs": False})


# --- the probe ------------------------------------------------------------------------------


def read_unit(system, systemctl, unit, extra=()):
    """The UNIT_KEYS and ``extra`` properties of ``unit`` (strings); raises ProbeInputError when systemctl
    cannot answer."""
    keys = UNIT_KEYS + tuple(extra)
    argv = [systemctl, "show", "-p", ",".join(keys), unit]
    rc, out, err = system.run(argv)
    if rc != 0:
        raise ProbeInputError(f"reading {unit} with {' '.join(argv)}: exit code {rc}: {(err or out).strip()}")
    props = parse_show(out)
    return {key: props[key] for key in keys if key in props}


def process_environment(system, pid, names):
    """``{name: value}`` of those of ``names`` set in the environment process ``pid`` started with
    (/proc/<pid>/environ); None when it cannot be read. Only the named variables leave the host: the
    rest of that environment holds the service's secrets."""
    if not names:
        return {}
    if pid <= 0:
        return None
    text = system.read_text(f"/proc/{pid}/environ")
    if text is None:
        return None
    found = {}
    for entry in text.split("\0"):
        name, sep, value = entry.partition("=")
        if sep and name in names:
            found[name] = value
    return found


def go_version(path):
    """The Go release that built the binary at ``path`` (``go1.22.5``); None when it is not a readable Go binary."""
    try:
        return inspect_file(path, scan_paths=False).get("go_version") or None
    except (OSError, GoBinaryError):
        return None


def _utc(moment):
    return time.strftime(_TIME_FORMAT, time.gmtime(moment))


#: With an observation window, the unit is read again no sooner than this after the last probe:
#: a process killed by its handling of a probe (a seccomp SIGSYS) has been reaped by systemd by then.
PROBE_SETTLE_SECONDS = 0.5


def process_start(system, systemctl, unit, main_pid):
    """When the unit's main process started, or last finished a reload, on ``system.clock``'s time line
    (CLOCK_MONOTONIC); None unknown.

    systemd records ExecMainStartTimestampMonotonic in microseconds of CLOCK_MONOTONIC, the clock
    ``time.monotonic`` reads, so the two compare on the host (containers share the kernel's clock). A
    reload (``systemctl reload``) keeps the process but changes what it runs with: it moves the unit's
    StateChangeTimestampMonotonic (reloading, then active again), and the later of the two counts.
    """
    if main_pid <= 0:
        return None
    rc, out, _err = system.run(
        [systemctl, "show", "-p", "ExecMainStartTimestampMonotonic", "-p", "StateChangeTimestampMonotonic", unit]
    )
    if rc != 0:
        return None
    values = parse_show(out)
    try:
        started = int(values.get("ExecMainStartTimestampMonotonic", ""))
    except ValueError:
        return None
    if started <= 0:
        return None
    try:
        changed = int(values.get("StateChangeTimestampMonotonic", ""))
    except ValueError:
        changed = 0
    return max(started, changed) / 1e6


def probe_service(settings, system):
    """Do every read and probe; return the module result (without ``changed``)."""
    systemctl = system.bin_path("systemctl")
    if not systemctl:
        raise ProbeInputError("systemctl not found on the host: service_probe verifies systemd services")
    t0 = system.clock()
    started_at = _utc(system.wall())
    unit_before = read_unit(system, systemctl, settings.unit, settings.unit_properties)
    main_pid = _int(unit_before.get("MainPID"), 0)
    # The window counts from the start (or last reload) of the running process when that is earlier (a
    # service restarted a few seconds ago by a deploy has already been watched that long). A start after
    # t0 means the process changed meanwhile: the window starts at t0, and unit_after shows it.
    window_start = t0
    if settings.soak_seconds > 0:
        started = process_start(system, systemctl, settings.unit, main_pid)
        if started is not None and started <= t0:
            window_start = started

    proc_status = (system.read_text(f"/proc/{main_pid}/status") or "") if main_pid > 0 else ""
    environment = process_environment(system, main_pid, settings.environment)
    user_entry = system.passwd(settings.user) if settings.user else None
    current = system.link(os.path.dirname(settings.binary_path.rstrip("/")))
    config_drift = drift(settings.release_root, current_version(current) or None)

    expected, source, record_problem = settings.checksum, "checksum", ""
    if not expected:
        source = f"{settings.release_record} (digest recorded at install)"
        try:
            expected = recorded_digest(settings.release_record, settings.release_root)
        except ProbeInputError as exc:
            record_problem = str(exc)
    if record_problem:
        msg = f"Choosing the expected digest: {record_problem}"
        checksum = {"failed": True, "path": settings.binary_path, "msg": msg}
    elif expected:
        checksum = checksum_result(settings.binary_path, expected)
    else:
        checksum = skipped("no expected digest: checksum is empty and there is no release record")

    if settings.go_build is not None:
        go_build = build_result(settings.binary_path, settings.go_build)
    else:
        go_build = skipped("go_build is empty")
    exposure = exposure_result(system, settings.unit, settings.max_exposure)

    liveness = probe_result(settings.liveness) if settings.liveness else skipped("health_url is empty")
    owned(liveness, settings.liveness, settings, main_pid)
    if not settings.readiness:
        readiness = skipped("ready_url is empty")
    elif liveness.get("failed"):
        readiness = skipped("liveness failed")
    else:
        readiness = probe_result(settings.readiness)
        owned(readiness, settings.readiness, settings, main_pid)

    addresses = list(settings.forbidden_addresses)
    if not addresses and any(isinstance(e, dict) for e in settings.forbidden_urls):
        addresses = local_addresses(system.read_text(FIB_TRIE), system.read_text(IF_INET6))
    forbidden = []
    for url in forbidden_targets(settings.forbidden_urls, addresses):
        forbidden.append(probe_result(forbidden_probe_config(url)))

    invocation = unit_before.get("InvocationID", "")
    if not settings.log_required_fields:
        journal = skipped("log_required_fields is empty")
    elif not invocation:
        journal = skipped("no running invocation (InvocationID is empty)")
    else:
        journal = journal_result(system, invocation, settings.log_lines)

    if settings.soak_seconds > 0:
        probes_done = system.clock()
        left = max(window_start + settings.soak_seconds, probes_done + PROBE_SETTLE_SECONDS) - system.clock()
        if left > 0:
            system.sleep(left)
    unit_after = read_unit(system, systemctl, settings.unit, settings.unit_properties)
    window = system.clock() - window_start
    return {
        "unit": settings.unit,
        "started_at": started_at,
        "finished_at": _utc(system.wall()),
        "window_seconds": round(window, 3),
        "window_from": "process start" if window_start < t0 else "probe start",
        "unit_before": unit_before,
        "unit_after": unit_after,
        "main_pid": main_pid,
        "proc_status": proc_status,
        "user": settings.user,
        "user_entry": user_entry,
        "current": current,
        "version": current_version(current) or None,
        "expected_checksum": expected,
        "checksum_source": source,
        "checksum": checksum,
        "binary_digests": binary_digests(settings.binary_path, settings.digest_algorithms, checksum),
        "go_build": go_build,
        "runtime": runtime_result(settings.binary_path),
        # The build policy's reading already holds the version when it ran: the binary is read once.
        "go_version": go_build.get("go_version") or go_version(settings.binary_path),
        "environment": environment,
        "exposure": exposure,
        "liveness": liveness,
        "readiness": readiness,
        "forbidden_addresses": addresses,
        "forbidden": forbidden,
        "journal": journal,
        "config_drift": config_drift,
    }


#: The options of gosvc.hardening.service_probe (its DOCUMENTATION describes them; one place for every module:
#: the module_utils file that implements it, see docs/architecture.md).
_PROBE_OPTIONS = dict(
    headers=dict(type="dict", no_log=True),
    status_codes=dict(type="list", elements="str"),
    validate_certs=dict(type="bool"),
    check_hostname=dict(type="bool"),
    ca_path=dict(type="path"),
    client_cert=dict(type="path"),
    client_key=dict(type="path"),
    server_name=dict(type="str"),
)

ARGUMENT_SPEC = dict(
    unit=dict(type="str", required=True),
    binary_path=dict(type="path", required=True),
    user=dict(type="str", default=""),
    checksum=dict(type="str", default=""),
    digest_algorithms=dict(type="list", elements="str", default=[], choices=["sha256", "sha384", "sha512"]),
    release_record=dict(type="path"),
    go_build=dict(
        type="dict",
        options=dict(
            require_trimpath=dict(type="bool"),
            require_cgo_disabled=dict(type="bool"),
            require_stripped=dict(type="bool"),
            min_go_version=dict(type="str"),
            forbid_vcs_modified=dict(type="bool"),
        ),
    ),
    max_exposure=dict(type="float"),
    health_url=dict(type="str", default="", no_log=True),
    ready_url=dict(type="str", default="", no_log=True),
    health_timeout=dict(type="float", default=10),
    ready_success_threshold=dict(type="int", default=2),
    probe_options=dict(type="dict", options=_PROBE_OPTIONS),
    forbidden_urls=dict(type="list", elements="raw", default=[]),
    forbidden_addresses=dict(type="list", elements="str", default=[]),
    log_required_fields=dict(type="list", elements="str", default=[]),
    log_lines=dict(type="int", default=20),
    soak_seconds=dict(type="float", default=5),
    unit_properties=dict(type="list", elements="str", default=[]),
    environment=dict(type="list", elements="str", default=[]),
    check_owner=dict(type="bool", default=True),
)
