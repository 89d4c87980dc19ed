# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what ``systemd-analyze security``, ``systemd-analyze verify`` and
``systemctl show`` print, and judge a unit by it.

The parsers are pure functions. ``assess_unit`` strings the commands together
over an injected ``run`` callable, so it runs the same against a target
(through AnsibleModule.run_command) and against captured output in tests.

Facts this code relies on were measured on Debian 11/12/13 (systemd 247, 252,
257); the captured outputs live in tests/unit/data/systemd/ with a README.

Exposure arithmetic (systemd src/analyze/analyze-security.c, the same in 247
and 257): every check has a weight and a range and gets a badness between 0
and range, or "not applicable". The overall exposure, in tenths, is
``ceil(100 * sum(ceil(badness * weight / range)) / sum(weight))`` over the
applicable checks; the level is the first row of LEVELS it reaches. The
per-check EXPOSURE column is that check's share, rounded up to a tenth, so
the per-check values add up to more than the overall figure.
"""

from __future__ import annotations

import json
import os
import re

# (minimum exposure in tenths, level name), as systemd's badness table.
LEVELS = (
    (100, "DANGEROUS"),
    (90, "UNSAFE"),
    (75, "EXPOSED"),
    (50, "MEDIUM"),
    (10, "OK"),
    (1, "SAFE"),
    (0, "PERFECT"),
)

# The environment every systemd-analyze call runs with: no colours in tables
# or in log lines (247 colours verify's log lines unless SYSTEMD_LOG_COLOR=0),
# and a UTF-8 locale so the marks are the documented ✓/✗ (ASCII +/- are parsed too).
COMMAND_ENV = {"SYSTEMD_COLORS": "0", "SYSTEMD_LOG_COLOR": "0", "LC_ALL": "C.UTF-8"}
# Added for JSON output: makes systemd include weight, badness and range per check,
# from which the overall exposure (absent from the JSON) is computed exactly.
JSON_DEBUG_ENV = {"SYSTEMD_ANALYZE_DEBUG": "1"}

# Newest version measured without `security --json` (Debian 11's 247). Newer ones
# are asked for JSON and fall back to the table if they reject the option.
LAST_VERSION_WITHOUT_JSON = 247

NOT_APPLICABLE = 2**64 - 1  # UINT64_MAX, systemd's badness for "does not apply"

_ANSI = re.compile(r"\x1b\[[0-9;:?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_OVERALL = re.compile(r"Overall exposure level for (?P<unit>\S+?): (?P<exposure>\d+\.\d) (?P<level>[A-Z]+)\b")
# At most 9 digits: int() refuses more than 4300 with a plain ValueError, and no systemd has 10.
_VERSION = re.compile(r"^systemd (\d{1,9})\b")
_DIRECTIVE = re.compile(r"([A-Za-z][A-Za-z0-9]*)=")
_EXPOSURE_CELL = re.compile(r"^\d+\.\d\Z")
_PASS_MARKS = ("✓", "+")
_FAIL_MARKS = ("✗", "-")
_UNIT_SUFFIXES = (
    "service",
    "socket",
    "target",
    "device",
    "mount",
    "automount",
    "swap",
    "timer",
    "path",
    "slice",
    "scope",
)
# A service unit systemd can load and analyze: plain or a template instance, not a bare template.
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9:_.\\-]+(?:@[A-Za-z0-9:_.\\-]+)?\.service\Z")


class AnalyzeError(ValueError):
    """Output that does not have the shape this module knows."""


def strip_ansi(text: str) -> str:
    """Remove colour (CSI) and hyperlink (OSC 8) escape sequences."""
    return _ANSI.sub("", text)


def parse_version(text: str) -> int:
    """The major version from ``systemd-analyze --version`` (first line ``systemd 252 (252.39-1~deb12u2)``)."""
    for line in text.splitlines():
        match = _VERSION.match(line.strip())
        if match:
            return int(match.group(1))
    raise AnalyzeError(f"no 'systemd N' line in the --version output: {text[:200]!r}")


def level_for(tenths: int) -> str:
    """systemd's level name for an overall exposure given in tenths (0-100)."""
    for minimum, name in LEVELS:
        if tenths >= minimum:
            return name
    raise AnalyzeError(f"negative exposure {tenths!r}")


def setting_of(name: str) -> str:
    """The directive(s) a check is about: ``User=/DynamicUser=`` -> ``User/DynamicUser``."""
    found = _DIRECTIVE.findall(name)
    return "/".join(found) if found else name


def _check(name, description, exposure, state, json_field=None):
    """One check record. state: True (passed), False (failed or partly), None (not applicable)."""
    if state is True and exposure is None:
        exposure = 0.0
    return {
        "name": name,
        "setting": setting_of(name),
        "description": description,
        "exposure": exposure,
        "ok": state is not False,
        "applicable": state is not None,
        "json_field": json_field,
    }


def parse_security_table(text: str, unit: str | None = None) -> dict:
    """Parse the table ``systemd-analyze security UNIT`` prints.

    Columns are found from the header line (``NAME``, ``DESCRIPTION``,
    optional ``WEIGHT``/``BADNESS``/``RANGE`` with SYSTEMD_ANALYZE_DEBUG=1, and
    ``EXPOSURE``); the mark column before NAME is ✓/✗ (or +/- without a UTF-8
    locale) or blank for a check that does not apply. Colour and hyperlink
    escapes are removed first. Only the first unit's block is read.

    Returns {unit, exposure, level, checks}; raises AnalyzeError.
    """
    lines = strip_ansi(text).splitlines()
    header_at = None
    for index, line in enumerate(lines):
        labels = line.split()
        if labels[:2] == ["NAME", "DESCRIPTION"] and labels[-1] == "EXPOSURE":
            header_at = index
            break
    if header_at is None:
        raise AnalyzeError("no NAME ... DESCRIPTION ... EXPOSURE header line in the security table")
    header = lines[header_at]
    starts = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", header)]
    columns = {}
    for position, (start, label) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else None
        columns[label] = (start, end)
    name_start = columns["NAME"][0]

    checks = []
    overall = None
    for line in lines[header_at + 1 :]:
        found = _OVERALL.search(line)
        if found:
            overall = found
            break
        if not line.strip():
            continue
        mark = line[:name_start].strip()
        cells = {
            label: line[start:end].strip() if end else line[start:].strip() for label, (start, end) in columns.items()
        }
        if not cells["NAME"]:
            raise AnalyzeError(f"security table row without a name: {line!r}")
        if mark in _PASS_MARKS:
            state = True
        elif mark in _FAIL_MARKS:
            state = False
        elif mark == "":
            state = None
        else:
            raise AnalyzeError(f"unknown mark {mark!r} in security table row: {line!r}")
        cell = cells["EXPOSURE"]
        if cell and not _EXPOSURE_CELL.match(cell):
            raise AnalyzeError(f"exposure {cell!r} is not a number in security table row: {line!r}")
        record = _check(cells["NAME"], cells["DESCRIPTION"], float(cell) if cell else None, state)
        if "BADNESS" in cells:
            record["_weight"], record["_badness"], record["_range"] = (
                _int_cell(cells, "WEIGHT", line),
                _int_cell(cells, "BADNESS", line),
                _int_cell(cells, "RANGE", line),
            )
        checks.append(record)
    if overall is None:
        raise AnalyzeError("no 'Overall exposure level for UNIT: N.N LEVEL' line after the security table")
    if not checks:
        raise AnalyzeError("the security table has no rows")
    if unit is not None and overall.group("unit") != unit:
        raise AnalyzeError(f"the security table is for {overall.group('unit')}, not {unit}")
    return {
        "unit": overall.group("unit"),
        "exposure": float(overall.group("exposure")),
        "level": overall.group("level"),
        "checks": checks,
    }


def _int_cell(cells, label, line):
    try:
        return int(cells[label])
    except (KeyError, ValueError):
        raise AnalyzeError(f"{label} is not a number in security table row: {line!r}") from None


def parse_security_json(text: str) -> dict:
    """Parse ``systemd-analyze security --json=short|pretty UNIT``.

    The JSON is a list of checks: {set, name, json_field, description,
    exposure} where exposure is a string ("0.2") or null and set is true
    (passed), false (failed) or null (not applicable). It carries no overall
    figure; with SYSTEMD_ANALYZE_DEBUG=1 every check also has weight, badness
    and range, and the overall exposure is computed from them exactly as
    systemd does. Without them exposure and level are None.

    Returns {unit: None, exposure, level, checks}; raises AnalyzeError.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise AnalyzeError(f"security JSON does not parse: {exc}") from None
    if not isinstance(data, list) or not data:
        raise AnalyzeError("security JSON is not a non-empty list of checks")
    checks = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise AnalyzeError(f"security JSON item without a name: {item!r}")
        state = item.get("set")
        if state not in (True, False, None):
            raise AnalyzeError(f"security JSON item {item['name']} has set={state!r}")
        raw = item.get("exposure")
        if raw is not None and not (isinstance(raw, str) and _EXPOSURE_CELL.match(raw)):
            raise AnalyzeError(f"security JSON item {item['name']} has exposure {raw!r}")
        record = _check(
            item["name"],
            item.get("description") or "",
            float(raw) if raw is not None else None,
            state,
            item.get("json_field"),
        )
        if all(isinstance(item.get(key), int) for key in ("weight", "badness", "range")):
            record["_weight"], record["_badness"], record["_range"] = item["weight"], item["badness"], item["range"]
        checks.append(record)
    tenths = compute_exposure_tenths(checks)
    return {
        "unit": None,
        "exposure": None if tenths is None else tenths / 10.0,
        "level": None if tenths is None else level_for(tenths),
        "checks": checks,
    }


def compute_exposure_tenths(checks: list) -> int | None:
    """systemd's overall exposure in tenths from per-check weight/badness/range, or None without them."""
    badness_sum = weight_sum = 0
    for check in checks:
        if "_badness" not in check:
            return None
        badness, weight, span = check["_badness"], check["_weight"], check["_range"]
        if badness == NOT_APPLICABLE:
            continue
        if span <= 0 or badness > span:
            raise AnalyzeError(f"check {check['name']} has badness {badness} outside 0..{span}")
        badness_sum += -(-badness * weight // span)
        weight_sum += weight
    if weight_sum == 0:
        raise AnalyzeError("no applicable checks to compute an exposure from")
    return -(-badness_sum * 100 // weight_sum)


def public_checks(checks: list) -> list:
    """The check records without the private weight/badness/range keys."""
    return [{k: v for k, v in check.items() if not k.startswith("_")} for check in checks]


def worst_checks(checks: list, count: int) -> list:
    """The ``count`` checks with the highest exposure (ties by name), passing ones excluded."""
    failing = [c for c in checks if c["exposure"] is not None and c["exposure"] > 0]
    failing.sort(key=lambda c: (-c["exposure"], c["name"]))
    return failing[: max(count, 0)]


def json_rejected(stderr: str) -> bool:
    """True when systemd-analyze refused --json as an unknown option (systemd 247, glibc's getopt wording)."""
    return "unrecognized option '--json" in stderr


def parse_show(text: str) -> dict:
    """``systemctl show -p A,B ...`` output (KEY=VALUE lines) as a dict of strings."""
    result = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            result[key.strip()] = value.strip()
    return result


def is_service_name(name: str) -> bool:
    """A full service unit name (``demo.service``, ``worker@1.service``), at most 255 characters."""
    return len(name) <= 255 and bool(_SERVICE_NAME.match(name))


def exposure_message(unit: str, exposure: float, level: str, limit: float, worst: list) -> str:
    """Failure text: ``exposure 4.2 (MEDIUM) for demo.service exceeds max_exposure 2.0; worst: ...``."""
    text = f"exposure {exposure:.1f} ({level}) for {unit} exceeds max_exposure {limit}"
    if worst:
        text += "; worst: " + ", ".join(f"{c['name']} ({c['exposure']:.1f})" for c in worst)
    return text


# --- systemd-analyze verify ---------------------------------------------------------------

# (kind, pattern) in order; the first match names the kind of a problem line.
# Wording differs between versions: 247 "Unknown key name 'X' in section 'S'",
# 252/257 "Unknown key 'X' in section [S]"; older ones "Unknown lvalue 'X' in section 'S'".
_VERIFY_KINDS = (
    ("unknown-key", re.compile(r"Unknown (?:key name|key|lvalue) '([^']*)' in section (?:'([^']*)'|\[([^\]]*)\])")),
    ("unknown-section", re.compile(r"Unknown section '([^']*)'")),
    ("missing-executable", re.compile(r"Command (\S+) is not executable")),
    ("missing-dependency", re.compile(r"Failed to create \S+: Unit (\S+) not found")),
    ("not-found", re.compile(r"^Unit (\S+?) not found")),
    ("masked", re.compile(r"^Unit (\S+?) is masked")),
    ("deprecated", re.compile(r"obsolete|deprecated|please use \S+ instead|will be removed", re.IGNORECASE)),
)
# A line number of at most 9 digits (int() refuses more than 4300 with a plain ValueError).
_FILE_LINE = re.compile(r"^(/\S*?):(\d{1,9}): (.*)$")
_UNIT_PREFIX = re.compile(r"^([A-Za-z0-9:_.\\@-]+\.(?:" + "|".join(_UNIT_SUFFIXES) + r")): (.*)$")
_UNIT_SUBJECT = re.compile(r"^Unit (\S+?)(?: |\.$)")
_BARE_COMMAND = re.compile(r"Command ([^\s/]+) is not executable: No such file or directory")


def classify_verify(output: str, unit: str, files: list, resolves=None) -> tuple:
    """Split ``systemd-analyze verify`` output into this unit's problems and ignored lines.

    A line is about this unit when it starts with one of ``files`` (the
    fragment and drop-ins) and a line number, with ``UNIT:``, or reads
    ``Unit UNIT ...``; a line that names no file or unit counts as this
    unit's too. Lines about another unit or file are ignored: they come from
    units pulled in as dependencies and are not this unit's to fix.

    One measured false report is ignored as well: systemd 247's verify does
    not search the executable path for a bare command name (``ExecStart=sleep
    infinity`` gives ``Command sleep is not executable: No such file or
    directory`` though the unit runs). Such a line is ignored when
    ``resolves(name)`` says the target finds the command.

    Returns (problems, ignored), lists of dicts with text, kind, file, line
    (problems) or text, reason (ignored).
    """
    problems = []
    ignored = []
    own_files = set(files)
    for raw in strip_ansi(output).splitlines():
        text = raw.strip()
        if not text:
            continue
        file_path = line_no = other = None
        subject_is_ours = True
        found = _FILE_LINE.match(text)
        if found:
            file_path, line_no = found.group(1), int(found.group(2))
            subject_is_ours = _is_own_file(file_path, unit, own_files)
            other = file_path
        else:
            found = _UNIT_PREFIX.match(text) or _UNIT_SUBJECT.match(text)
            if found:
                subject_is_ours = found.group(1) == unit
                other = found.group(1)
        if not subject_is_ours:
            ignored.append({"text": text, "reason": f"about {other}, not {unit}"})
            continue
        bare = _BARE_COMMAND.search(text)
        if bare and resolves is not None and resolves(bare.group(1)):
            reason = (
                f"bare command name {bare.group(1)} is on the executable path; systemd 247's verify does not search it"
            )
            ignored.append({"text": text, "reason": reason})
            continue
        kind = "other"
        for name, pattern in _VERIFY_KINDS:
            if pattern.search(text):
                kind = name
                break
        problems.append({"text": text, "kind": kind, "file": file_path, "line": line_no})
    return problems, ignored


def _is_own_file(path: str, unit: str, own_files: set) -> bool:
    """The unit's fragment or a drop-in: listed by systemctl, or named UNIT or in UNIT.d/ (spelled differently)."""
    if path in own_files:
        return True
    parent, base = os.path.split(path)
    return base == unit or os.path.basename(parent) == unit + ".d"


def verify_message(path: str, problems: list) -> str:
    count = len(problems)
    plural = "" if count == 1 else "s"
    return f"systemd-analyze verify {path} reported {count} problem{plural}: " + "; ".join(p["text"] for p in problems)


# --- the whole assessment, over an injected command runner ----------------------------------

SHOW_PROPERTIES = "FragmentPath,DropInPaths,LoadState,ActiveState"
# systemd's own search path for bare command names in Exec*= lines (the split-/usr superset).
EXEC_SEARCH_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def security_result(run, bins, unit, **options):
    """What unit_security returns for ``unit`` (assess_unit's options): the assessment with ``failed``
    and, when failed, ``msg`` naming every reason, or the step that could not be done and why."""
    try:
        result = assess_unit(run, bins, unit, **options)
    except StepError as exc:
        return dict(exc.facts, failed=True, msg=exc.msg)
    result["failed"] = bool(result["failed_reasons"])
    if result["failed"]:
        result["msg"] = f"Checking the security of {unit}: " + " | ".join(result["failed_reasons"])
    return result


class StepError(Exception):
    """A step of the assessment could not be done; msg says which and why, facts go into the result."""

    def __init__(self, msg: str, **facts):
        super().__init__(msg)
        self.msg = msg
        self.facts = facts


def _command_failure(argv, rc, out, err):
    detail = strip_ansi(err or out).strip() or "no output"
    return StepError(
        f"Running {' '.join(argv)}: exit code {rc}: {detail}",
        command=argv,
        rc=rc,
        stdout=out,
        stderr=err,
    )


def assess_unit(run, bins, unit, max_exposure=None, verify_unit_file=True, worst=5, use_json="auto", resolves=None):
    """Run the systemd commands for ``unit`` through ``run`` and build the module result.

    run(argv, extra_env) -> (rc, stdout, stderr); every call gets COMMAND_ENV
    from the caller plus extra_env. bins maps ``systemd-analyze`` and
    ``systemctl`` to their paths. resolves(name) says whether a bare command
    name is found on systemd's exec search path (see classify_verify).
    Raises StepError when a command fails or its output cannot be read.
    """
    analyze = bins["systemd-analyze"]
    systemctl = bins["systemctl"]

    def call(argv, extra_env=None):
        """stdout of a command that must succeed."""
        rc, out, err = run(argv, extra_env or {})
        if rc != 0:
            raise _command_failure(argv, rc, out, err)
        return out

    out = call([analyze, "--version"])
    try:
        version = parse_version(out)
    except AnalyzeError as exc:
        raise StepError(f"Reading the systemd version: {exc}") from None

    show_argv = [systemctl, "show", "-p", SHOW_PROPERTIES, unit]
    out = call(show_argv)
    props = parse_show(out)
    load_state = props.get("LoadState", "")
    facts = {
        "unit": unit,
        "systemd_version": version,
        "load_state": load_state,
        "active_state": props.get("ActiveState", ""),
        "fragment_path": props.get("FragmentPath", ""),
        "dropin_paths": props.get("DropInPaths", "").split(),
    }
    if load_state in ("not-found", "masked", ""):
        what = "masked" if load_state == "masked" else "not known to systemd"
        raise StepError(
            f"Analyzing {unit}: the unit is {what} (LoadState={load_state or 'missing'}); "
            "install its unit file and run systemctl daemon-reload",
            **facts,
        )

    try:
        parsed, source, notes = _security(call, run, analyze, unit, version, use_json)
    except StepError as exc:
        exc.facts = dict(facts, **exc.facts)
        raise
    checks = parsed["checks"]
    exposure = parsed["exposure"]
    level = parsed["level"]
    result = dict(
        facts,
        exposure=exposure,
        level=level,
        source=source,
        checks=public_checks(checks),
        worst=public_checks(worst_checks(checks, worst)),
        verify_problems=[],
        verify_ignored=[],
        notes=notes,
        failed_reasons=[],
    )

    if max_exposure is not None and exposure > max_exposure:
        result["failed_reasons"].append(exposure_message(unit, exposure, level, max_exposure, result["worst"]))

    if verify_unit_file:
        fragment = facts["fragment_path"]
        if not fragment:
            notes.append("not verified: systemd reports no unit file (FragmentPath is empty)")
        else:
            verify_argv = [analyze, "verify", "--man=no", fragment]
            rc, out, err = run(verify_argv, {})
            problems, ignored = classify_verify(
                "\n".join((out, err)), unit, [fragment, *facts["dropin_paths"]], resolves=resolves
            )
            if rc != 0 and not problems and not ignored:
                problems.append(
                    {
                        "text": f"systemd-analyze verify exited with code {rc} without saying why",
                        "kind": "exit-status",
                        "file": fragment,
                        "line": None,
                    }
                )
            result["verify_problems"] = problems
            result["verify_ignored"] = ignored
            if problems:
                result["failed_reasons"].append(verify_message(fragment, problems))
    return result


def _security(call, run, analyze, unit, version, use_json):
    """Run the security review as JSON or table; returns (parsed, source, notes)."""
    notes = []
    want_json = use_json == "always" or (use_json == "auto" and version > LAST_VERSION_WITHOUT_JSON)
    table_argv = [analyze, "security", "--no-pager", unit]
    if want_json:
        argv = [analyze, "security", "--no-pager", "--json=short", unit]
        rc, out, err = run(argv, dict(JSON_DEBUG_ENV))
        if rc != 0 and json_rejected(err):
            if use_json == "always":
                raise StepError(
                    f"Running {' '.join(argv)}: systemd {version} has no JSON output for security "
                    f"({strip_ansi(err).strip()}); use use_json=auto or never",
                )
            notes.append(f"systemd {version} rejected --json; read the table instead")
        elif rc != 0:
            raise _command_failure(argv, rc, out, err)
        else:
            try:
                parsed = parse_security_json(out)
            except AnalyzeError as exc:
                raise StepError(f"Reading the output of {' '.join(argv)}: {exc}", stdout=out) from None
            if parsed["exposure"] is None:
                # No weight/badness/range in this systemd's JSON: take the overall figure from the table.
                table = _table(call, table_argv, unit)
                parsed["exposure"], parsed["level"] = table["exposure"], table["level"]
                notes.append("overall exposure read from the table: the JSON has no weights")
            return parsed, "json", notes
    return _table(call, table_argv, unit), "table", notes


def _table(call, argv, unit):
    out = call(argv)
    try:
        return parse_security_table(out, unit)
    except AnalyzeError as exc:
        raise StepError(f"Reading the output of {' '.join(argv)}: {exc}", stdout=out) from None


def command_on_exec_path(name: str, search=EXEC_SEARCH_PATH) -> bool:
    """Whether systemd would find the bare command ``name`` (an executable file in one of ``search``)."""
    for directory in search:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return True
    return False


# --- a unit as a run would write it, verified before it is installed ---------------------------

#: What systemd-analyze verify says about a line it drops (measured on 247, 252, 257): the unit
#: then runs without that line, although verify exits 0.
_DROPPED_LINE = re.compile(r"ignor(ing|ed)|unknown (key|lvalue|section)|failed to parse", re.IGNORECASE)
VERIFY_MODES = ("syntax", "strict")


def verify_candidate(
    run,
    tempdir,
    name,
    unit,
    dropin="",
    mode="strict",
    dest="/etc/systemd/system",
    dropin_name=None,
    socket="",
    socket_name="",
):
    """Verify ``unit`` (and ``dropin``, its NAME.d/ drop-in) with ``systemd-analyze verify`` in ``tempdir``.

    ``systemd-analyze verify DIR/NAME`` also loads ``DIR/NAME.d/*.conf``, so both are checked together
    before either is installed. systemd drops a line it cannot use (an unknown key or section, a value
    it cannot parse) and verify still exits 0; every such line about our two files is a failure here.
    ``mode`` ``strict`` also fails when verify itself fails (run once the release is installed, since
    verify checks that ExecStart= exists); ``syntax`` counts only dropped lines (before anything is
    installed).

    ``socket``, the service's socket unit (the unit Requires= it), is written beside it as ``socket_name``
    and verified with it.

    ``run(argv)`` returns ``(rc, stdout, stderr)``; ``tempdir`` is an empty scratch directory.
    Returns ``{"ok", "mode", "rc", "dropped": [lines], "output"}``: each dropped line as
    ``INSTALLED_PATH:LINE: MESSAGE [THE LINE]``; ``output`` is verify's output with the scratch
    directory replaced by ``dest``.
    """
    if mode not in VERIFY_MODES:
        raise AnalyzeError(f"unknown verify mode {mode!r}: use one of {', '.join(VERIFY_MODES)}")
    dropin_name = dropin_name or "50-gosvc-overrides.conf"
    unit_path = os.path.join(tempdir, name)
    texts = {unit_path: unit}
    if dropin:
        os.mkdir(unit_path + ".d")
        texts[os.path.join(unit_path + ".d", dropin_name)] = dropin
    argv = ["systemd-analyze", "verify", "--man=no", unit_path]
    if socket:
        if not socket_name or "/" in socket_name:
            raise AnalyzeError("a socket unit to verify needs its file name (socket_name), without a directory")
        texts[os.path.join(tempdir, socket_name)] = socket
        argv.append(os.path.join(tempdir, socket_name))
    for path, text in texts.items():
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    rc, out, err = run(argv)
    output = strip_ansi((out or "") + (err or ""))
    prefix = tempdir.rstrip("/") + "/"
    dropped = []
    for raw in output.splitlines():
        found = _FILE_LINE.match(raw.strip())
        if not found or found.group(1) not in texts or not _DROPPED_LINE.search(found.group(3)):
            continue
        path, line_no = found.group(1), int(found.group(2))
        lines = texts[path].splitlines()
        source = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
        dropped.append(f"{os.path.join(dest, path[len(prefix) :])}:{line_no}: {found.group(3)} [{source}]")
    return {
        "ok": not dropped and (mode == "syntax" or rc == 0),
        "mode": mode,
        "rc": rc,
        "dropped": dropped,
        "output": output.replace(prefix, dest.rstrip("/") + "/").strip(),
    }


def verify_failure(result, name, systemd_version=None, dropin_name=None):
    """The message for a failed ``verify_candidate`` result, naming what to fix."""
    dropin_name = dropin_name or "50-gosvc-overrides.conf"
    on = f"systemd {systemd_version}" if systemd_version else "systemd"
    if result["dropped"]:
        count = len(result["dropped"])
        dropped = "; ".join(result["dropped"])
        parts = [f"{on} would ignore {count} line(s) of {name} as this run would write it: {dropped}."]
        if any(dropin_name in line for line in result["dropped"]):
            parts.append(
                f"Lines of {dropin_name} come from go_service_unit_overrides: fix or remove the key systemd names "
                "(a misspelt directive, one this systemd version does not know, or a value it cannot parse)."
            )
        if any(f"/{name}:" in line for line in result["dropped"]):
            parts.append(
                f"Lines of {name} come from the role's other variables "
                "(go_service_args, go_service_exec_start_pre, ...)."
            )
        return " ".join(parts)
    output = result["output"] or "no output"
    return f"systemd-analyze verify of {name} as this run would write it exited with {result['rc']}: {output}"


#: The options of gosvc.hardening.unit_security (its DOCUMENTATION describes them; one place for every module:
#: the module_utils file that implements it, see docs/architecture.md).
ARGUMENT_SPEC = dict(
    unit=dict(type="str", required=True),
    max_exposure=dict(type="float"),
    verify_unit_file=dict(type="bool", default=True),
    worst=dict(type="int", default=5),
    use_json=dict(type="str", choices=["auto", "always", "never"], default="auto"),
)
