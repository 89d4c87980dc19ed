# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_probe's reads for the checks that declare them: more unit properties, named variables of
the main process's starting environment, and the Go release that built the binary. Fed with what
systemd 247, 252 and 257 printed (tests/unit/data/runtime_limits)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _service_probe

DATA = Path(__file__).resolve().parents[2] / "data" / "runtime_limits"
HOSTS = ("debian11", "debian12", "debian13")
DEMO = Path(__file__).resolve().parents[4] / ".cache" / "demo" / "dist" / "1.0.0" / "gosvc-demo"
LIMITS = ("CPUQuotaPerSecUSec", "MemoryMax")


class Host(_service_probe.System):
    """A host whose systemctl prints a capture and whose /proc holds captured files."""

    def __init__(self, show, files):
        self.argv = []
        self.files = files

        def run(argv, env):
            self.argv.append(argv)
            return 0, show, ""

        super().__init__(run, lambda name: f"/usr/bin/{name}")

    def read_text(self, path):
        return self.files.get(path)


def params(**options):
    """service_probe's options as AnsibleModule hands them over (its defaults), with ``options``."""
    base = {
        "unit": "demo.service",
        "binary_path": "/opt/demo/current/demo",
        "health_timeout": 10,
        "ready_success_threshold": 2,
        "soak_seconds": 5,
        "log_lines": 20,
    }
    return {**base, **options}


def capture(host, unit):
    show = (DATA / host / f"{unit}.show.txt").read_text()
    environ = (DATA / host / f"{unit}.environ").read_bytes().decode()
    return show, environ


@pytest.mark.parametrize("host", HOSTS)
def test_the_declared_unit_properties_are_read_with_the_others(host):
    show, _environ = capture(host, "limits")
    system = Host(show, {})
    props = _service_probe.read_unit(system, "/usr/bin/systemctl", "limits.service", LIMITS)
    assert system.argv[0][:3] == ["/usr/bin/systemctl", "show", "-p"]
    assert system.argv[0][3].split(",") == list(_service_probe.UNIT_KEYS) + list(LIMITS)
    assert props["CPUQuotaPerSecUSec"] == "1.500000s"
    assert props["MemoryMax"] == "536870912"
    assert props["ActiveState"] == "active"


@pytest.mark.parametrize("host", HOSTS)
def test_without_extra_properties_only_the_report_s_are_read(host):
    show, _environ = capture(host, "limits")
    props = _service_probe.read_unit(Host(show, {}), "/usr/bin/systemctl", "limits.service")
    assert set(props) == set(_service_probe.UNIT_KEYS)


@pytest.mark.parametrize("host", HOSTS)
def test_only_the_named_variables_of_the_environment_leave_the_host(host):
    _show, environ = capture(host, "limits")
    system = Host("", {"/proc/42/environ": environ})
    found = _service_probe.process_environment(system, 42, ("GOMAXPROCS", "GOMEMLIMIT", "GODEBUG"))
    assert found == {"GOMAXPROCS": "2", "GOMEMLIMIT": "483183820"}
    assert "s3cret" not in repr(found)


@pytest.mark.parametrize("host", HOSTS)
def test_a_process_without_the_variables_reads_as_an_empty_mapping(host):
    _show, environ = capture(host, "nolimits")
    system = Host("", {"/proc/7/environ": environ})
    assert _service_probe.process_environment(system, 7, ("GOMAXPROCS", "GOMEMLIMIT")) == {}


def test_no_main_process_or_an_unreadable_environment_is_none_not_empty():
    system = Host("", {})
    assert _service_probe.process_environment(system, 0, ("GOMAXPROCS",)) is None
    assert _service_probe.process_environment(system, 42, ("GOMAXPROCS",)) is None
    assert _service_probe.process_environment(system, 42, ()) == {}


def test_a_value_holding_an_equals_sign_is_kept_whole():
    system = Host("", {"/proc/3/environ": "GODEBUG=madvdontneed=1,gctrace=0\0GOMAXPROCS=4\0"})
    found = _service_probe.process_environment(system, 3, ("GODEBUG",))
    assert found == {"GODEBUG": "madvdontneed=1,gctrace=0"}


@pytest.mark.skipif(not DEMO.exists(), reason="demo binary not built (scripts/setup.sh builds .cache/demo)")
def test_the_go_version_comes_from_the_binary_s_build_information():
    assert re.fullmatch(r"go1\.[0-9]+(\.[0-9]+)?", _service_probe.go_version(str(DEMO)))


def test_a_file_that_is_not_a_go_binary_has_no_go_version(tmp_path):
    (tmp_path / "text").write_text("not a binary\n")
    assert _service_probe.go_version(str(tmp_path / "text")) is None
    assert _service_probe.go_version(str(tmp_path / "missing")) is None
    assert _service_probe.go_version(os.path.realpath(sys.executable)) is None


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("unit_properties", ["MemoryMax", "memory_max"], "unit_properties has ['memory_max']; give systemd"),
        ("unit_properties", ["MemoryMax\nUser"], "unit_properties has ['MemoryMax\\nUser']"),
        ("environment", ["GOMAXPROCS", "GO MEM"], "environment has ['GO MEM']; give environment variable names"),
        ("environment", ["1ABC"], "environment has ['1ABC']"),
    ],
)
def test_bad_names_to_read_are_refused_naming_the_option(option, value, message):
    with pytest.raises(_service_probe.ProbeInputError) as excinfo:
        _service_probe.validate(params(**{option: value}))
    assert str(excinfo.value).startswith(message)


def test_names_to_read_are_kept_once_and_the_report_s_own_properties_not_twice():
    settings = _service_probe.validate(
        params(
            unit_properties=["MemoryMax", "MainPID", "MemoryMax", "CPUQuotaPerSecUSec"],
            environment=["GOMEMLIMIT", "GOMEMLIMIT", "GOMAXPROCS"],
        )
    )
    assert settings.unit_properties == ("MemoryMax", "CPUQuotaPerSecUSec")
    assert settings.environment == ("GOMEMLIMIT", "GOMAXPROCS")
