# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the unit_security module.

REPLAYING CAPTURED OUTPUT: these tests run the module's real main() through
AnsibleModule, but its run_command answers from the output systemd-analyze
and systemctl really printed for the same command line and environment in
Debian 11/12/13 containers (tests/unit/data/systemd/, see its README). A
command the module runs that was not captured with exactly that argv and
environment fails the test, so the replay stays faithful to what the
module would see on those systems. Molecule runs it on live systemd.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.module_utils import basic

from ansible_collections.gosvc.hardening.plugins.module_utils import _systemd_analyze
from ansible_collections.gosvc.hardening.plugins.modules import unit_security

DATA = Path(__file__).resolve().parents[3] / "unit" / "data" / "systemd"
BINS = {"systemd-analyze": "/usr/bin/systemd-analyze", "systemctl": "/usr/bin/systemctl"}


class Replay:
    """run_command that answers from one release's capture manifest."""

    def __init__(self, release: str, substitute=None):
        manifest = json.loads((DATA / release / "manifest.json").read_text(encoding="utf-8"))
        self.release = release
        self.by_command = {}
        for entry in manifest["captures"]:
            key = (tuple(entry["argv"]), tuple(sorted(entry["env"].items())))
            self.by_command.setdefault(key, entry)
        self.by_name = {entry["name"]: entry for entry in manifest["captures"]}
        self.substitute = substitute or {}
        self.calls = []

    def stdout(self, entry):
        if "stdout_file" in entry:
            return (DATA / self.release / entry["stdout_file"]).read_text(encoding="utf-8")
        return entry.get("stdout", "")

    def __call__(self, args, environ_update=None, **kwargs):
        assert isinstance(args, list), "the module must pass argv lists, never shell strings"
        assert kwargs.get("use_unsafe_shell") in (None, False)
        argv = [BINS_BY_PATH.get(args[0], args[0]), *args[1:]]
        env = tuple(sorted((environ_update or {}).items()))
        entry = self.by_command.get((tuple(argv), env))
        assert entry is not None, f"not captured on {self.release}: {argv} with {dict(env)}"
        self.calls.append(entry["name"])
        entry = self.by_name[self.substitute.get(entry["name"], entry["name"])]
        return entry["rc"], self.stdout(entry), entry["stderr"]


BINS_BY_PATH = {path: name for name, path in BINS.items()}


@pytest.fixture
def replay(monkeypatch):
    """Install a Replay for a release as AnsibleModule.run_command; binaries resolve to /usr/bin."""

    def install(release, substitute=None):
        fake = Replay(release, substitute)
        monkeypatch.setattr(basic.AnsibleModule, "run_command", fake)
        monkeypatch.setattr(
            basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: BINS[name]
        )
        return fake

    return install


def test_table_on_systemd_247(run_module, replay):
    calls = replay("debian11")
    result = run_module(unit_security, {"unit": "us-bare.service"})
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False
    assert (result["systemd_version"], result["source"]) == (247, "table")
    assert (result["exposure"], result["level"]) == (9.6, "UNSAFE")
    assert len(result["checks"]) == 80
    assert [(c["name"], c["exposure"]) for c in result["worst"]] == [
        ("PrivateNetwork=", 0.5),
        ("User=/DynamicUser=", 0.4),
        ("CapabilityBoundingSet=~CAP_SET(UID|GID|PCAP)", 0.3),
        ("CapabilityBoundingSet=~CAP_SYS_ADMIN", 0.3),
        ("CapabilityBoundingSet=~CAP_SYS_PTRACE", 0.3),
    ]
    assert result["verify_problems"] == [] and result["failed_reasons"] == []
    assert (result["fragment_path"], result["load_state"]) == ("/etc/systemd/system/us-bare.service", "loaded")
    # 247 is known to have no JSON: no attempt is made.
    assert calls.calls == ["version.txt", "show.us-bare.txt", "security.us-bare.txt", "verify.us-bare.txt"]


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_json_on_newer_systemd(run_module, replay, release):
    calls = replay(release)
    result = run_module(unit_security, {"unit": "us-hardened.service", "max_exposure": 1.0})
    assert result.get("failed") is not True, result.get("msg")
    assert result["source"] == "json"
    assert (result["exposure"], result["level"]) == (0.9, "SAFE")
    assert len(result["checks"]) == 81
    network = next(c for c in result["checks"] if c["name"] == "PrivateNetwork=")
    assert network == {
        "name": "PrivateNetwork=",
        "setting": "PrivateNetwork",
        "description": "Service has access to the host's network",
        "exposure": 0.5,
        "ok": False,
        "applicable": True,
        "json_field": "PrivateNetwork",
    }
    assert calls.calls == [
        "version.txt",
        "show.us-hardened.txt",
        "security.us-hardened.debug.json",
        "verify.us-hardened.txt",
    ]


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_json_and_table_give_the_same_result(run_module, replay, release):
    replay(release)
    from_json = run_module(unit_security, {"unit": "us-dropin.service", "verify_unit_file": False})
    replay(release)
    from_table = run_module(
        unit_security, {"unit": "us-dropin.service", "verify_unit_file": False, "use_json": "never"}
    )
    assert (from_json["source"], from_table["source"]) == ("json", "table")
    assert from_json["exposure"] == from_table["exposure"] == 9.2
    assert from_json["level"] == from_table["level"] == "UNSAFE"

    def strip(checks):
        return [{k: v for k, v in c.items() if k != "json_field"} for c in checks]

    assert strip(from_json["checks"]) == strip(from_table["checks"])
    assert strip(from_json["worst"]) == strip(from_table["worst"])


def test_max_exposure_exceeded_lists_the_worst(run_module, replay):
    replay("debian11")
    result = run_module(unit_security, {"unit": "us-hardened.service", "max_exposure": 0.5, "worst": 3})
    assert result["failed"] is True
    assert result["msg"] == (
        "Checking the security of us-hardened.service: exposure 0.9 (SAFE) for us-hardened.service exceeds "
        "max_exposure 0.5; worst: PrivateNetwork= (0.5), RestrictAddressFamilies=~AF_(INET|INET6) (0.3), "
        "DeviceAllow= (0.1)"
    )
    assert result["exposure"] == 0.9
    assert len(result["failed_reasons"]) == 1
    assert len(result["worst"]) == 3


def test_exposure_equal_to_max_passes(run_module, replay):
    replay("debian13")
    result = run_module(unit_security, {"unit": "us-typical.service", "max_exposure": 8.8, "verify_unit_file": False})
    assert result.get("failed") is not True, result.get("msg")
    assert result["exposure"] == 8.8


@pytest.mark.parametrize("release", ["debian11", "debian12", "debian13"])
def test_unit_file_problem_fails_although_verify_exits_0(run_module, replay, release):
    calls = replay(release)
    result = run_module(unit_security, {"unit": "us-wrongsection.service"})
    assert calls.calls[-1] == "verify.us-wrongsection.txt"
    assert result["failed"] is True
    path = "/etc/systemd/system/us-wrongsection.service"
    assert result["msg"].startswith(
        f"Checking the security of us-wrongsection.service: systemd-analyze verify {path} reported 2 problems: "
    )
    assert [(p["kind"], p["file"], p["line"]) for p in result["verify_problems"]] == [
        ("unknown-key", path, 3),
        ("unknown-key", path, 7),
    ]
    for problem in result["verify_problems"]:
        assert problem["text"] in result["msg"]
    assert result["exposure"] == 9.6  # the analysis is still reported


def test_problem_in_a_dropin_and_exposure_both_reported(run_module, replay):
    replay("debian13")
    result = run_module(unit_security, {"unit": "us-dropin.service", "max_exposure": 5.0})
    assert result["failed"] is True
    assert len(result["failed_reasons"]) == 2
    assert result["failed_reasons"][0].startswith(
        "exposure 9.2 (UNSAFE) for us-dropin.service exceeds max_exposure 5.0"
    )
    assert result["failed_reasons"][1] == (
        "systemd-analyze verify /etc/systemd/system/us-dropin.service reported 1 problem: "
        "/etc/systemd/system/us-dropin.service.d/50-hardening.conf:3: Unknown key 'ProtectHomee' in section "
        "[Service], ignoring."
    )
    assert result["dropin_paths"] == ["/etc/systemd/system/us-dropin.service.d/50-hardening.conf"]


@pytest.mark.parametrize("release", ["debian11", "debian12", "debian13"])
def test_missing_executable_fails(run_module, replay, release):
    replay(release)
    result = run_module(unit_security, {"unit": "us-badexec.service"})
    assert result["failed"] is True
    assert [p["kind"] for p in result["verify_problems"]] == ["missing-executable"]
    assert "us-badexec.service: Command /usr/local/bin/gosvc-does-not-exist is not executable" in result["msg"]


def test_bare_command_false_report_on_247_is_ignored(run_module, replay):
    replay("debian11")
    result = run_module(unit_security, {"unit": "us-relexec.service"})
    assert result.get("failed") is not True, result.get("msg")
    assert result["verify_problems"] == []
    assert [i["text"] for i in result["verify_ignored"]] == [
        "us-relexec.service: Command sleep is not executable: No such file or directory"
    ]


def test_verify_can_be_turned_off(run_module, replay):
    calls = replay("debian12")
    result = run_module(unit_security, {"unit": "us-unknownkey.service", "verify_unit_file": False})
    assert result.get("failed") is not True, result.get("msg")
    assert not any(name.startswith("verify.") for name in calls.calls)
    replay("debian12")
    assert run_module(unit_security, {"unit": "us-unknownkey.service"})["failed"] is True


def test_check_mode_gives_the_same_answer(run_module, replay):
    replay("debian12")
    normal = run_module(unit_security, {"unit": "us-typical.service", "verify_unit_file": False})
    replay("debian12")
    checked = run_module(unit_security, {"unit": "us-typical.service", "verify_unit_file": False}, check_mode=True)
    assert checked["changed"] is False
    assert {k: v for k, v in checked.items() if k != "invocation"} == {
        k: v for k, v in normal.items() if k != "invocation"
    }


def test_use_json_always_on_247_fails_clearly(run_module, replay):
    replay("debian11")
    result = run_module(unit_security, {"unit": "us-bare.service", "use_json": "always"})
    assert result["failed"] is True
    assert result["msg"] == (
        "Running /usr/bin/systemd-analyze security --no-pager --json=short us-bare.service: systemd 247 has no JSON "
        "output for security (systemd-analyze: unrecognized option '--json=short'); use use_json=auto or never"
    )
    assert result["systemd_version"] == 247


def test_json_rejection_falls_back_to_the_table(run_module, replay, monkeypatch):
    """Pretend 247 were not known to lack JSON: the module must find out from its answer and use the table."""
    monkeypatch.setattr(_systemd_analyze, "LAST_VERSION_WITHOUT_JSON", 246)
    calls = replay("debian11")
    result = run_module(unit_security, {"unit": "us-bare.service"})
    assert result.get("failed") is not True, result.get("msg")
    assert calls.calls[2:4] == ["security.us-bare.debug.json", "security.us-bare.txt"]
    assert (result["source"], result["exposure"]) == ("table", 9.6)
    assert result["notes"] == ["systemd 247 rejected --json; read the table instead"]


def test_json_without_weights_takes_the_overall_from_the_table(run_module, replay):
    """A systemd that ignored SYSTEMD_ANALYZE_DEBUG: its real --json=short output is served for the debug call."""
    calls = replay("debian12", substitute={"security.us-typical.debug.json": "security.us-typical.short.json"})
    result = run_module(unit_security, {"unit": "us-typical.service", "verify_unit_file": False})
    assert result.get("failed") is not True, result.get("msg")
    assert calls.calls[2:] == ["security.us-typical.debug.json", "security.us-typical.txt"]
    assert (result["source"], result["exposure"], result["level"]) == ("json", 8.8, "EXPOSED")
    assert result["notes"] == ["overall exposure read from the table: the JSON has no weights"]


@pytest.mark.parametrize("release", ["debian11", "debian12", "debian13"])
def test_unknown_unit_fails_before_analysis(run_module, replay, release):
    calls = replay(release)
    result = run_module(unit_security, {"unit": "gosvc-no-such-unit.service"})
    assert result["failed"] is True
    assert result["msg"] == (
        "Analyzing gosvc-no-such-unit.service: the unit is not known to systemd (LoadState=not-found); "
        "install its unit file and run systemctl daemon-reload"
    )
    assert calls.calls == ["version.txt", "show.missing.txt"]


def test_security_command_failure_reports_rc_and_stderr(run_module, replay):
    """systemd-analyze's real answer for a unit it cannot find, served as if LoadState had been fine."""
    replay("debian12", substitute={"security.us-bare.txt": "security.missing.txt"})
    result = run_module(unit_security, {"unit": "us-bare.service", "use_json": "never"})
    assert result["failed"] is True
    assert result["msg"] == (
        "Running /usr/bin/systemd-analyze security --no-pager us-bare.service: exit code 1: "
        "Unit gosvc-no-such-unit.service not found, cannot analyze."
    )
    assert result["rc"] == 1 and result["systemd_version"] == 252


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"unit": "demo"}, "Invalid option: unit is 'demo'; give the full name of a service unit"),
        ({"unit": "demo.socket"}, "Invalid option: unit is 'demo.socket'; give the full name of a service unit"),
        ({"unit": "worker@.service"}, "a template needs an instance name"),
        ({"unit": "demo.service", "max_exposure": 10.5}, "Invalid option: max_exposure is 10.5; use a value from 0.0"),
        ({"unit": "demo.service", "max_exposure": -1}, "Invalid option: max_exposure is -1.0; use a value from 0.0"),
        ({"unit": "demo.service", "worst": -1}, "Invalid option: worst is -1; use 0 or more"),
        ({"unit": "demo.service", "use_json": "yes"}, "value of use_json must be one of: auto, always, never"),
        ({"max_exposure": 2.0}, "missing required arguments: unit"),
    ],
)
def test_bad_input(run_module, monkeypatch, args, message):
    def no_commands(*_args, **_kwargs):
        raise AssertionError("no command may run for bad input")

    monkeypatch.setattr(basic.AnsibleModule, "run_command", no_commands)
    result = run_module(unit_security, args)
    assert result["failed"] is True
    assert message in result["msg"]
