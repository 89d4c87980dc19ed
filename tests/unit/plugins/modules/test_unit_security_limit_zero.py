# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""max_exposure 0.0 is a limit like any other: unit_security, assess_unit and service_probe enforce it.

Replays what systemd-analyze and systemctl printed for us-hardened.service on Debian 11/12/13
(tests/unit/data/systemd/, see its README): the lowest exposure captured, 0.9 SAFE on all three
releases, from the table on 247 and from JSON (or the table) on 252 and 257. The replay is
test_unit_security.py's: a command not captured with exactly that argv and environment fails.
No capture measured 0.1 (the smallest non-zero exposure systemd prints); 0.9 is the closest.
"""

from __future__ import annotations

import pytest
import test_unit_security as unit_security_tests
from ansible.module_utils import basic

from ansible_collections.gosvc.hardening.plugins.module_utils._service_probe import System, exposure_result
from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import COMMAND_ENV, assess_unit
from ansible_collections.gosvc.hardening.plugins.modules import unit_security

UNIT = "us-hardened.service"
#: (release, use_json): the table on every release, JSON where systemd has it.
SOURCES = [
    ("debian11", "auto"),
    ("debian12", "auto"),
    ("debian12", "never"),
    ("debian13", "auto"),
    ("debian13", "never"),
]
EXCEEDS = f"exposure 0.9 (SAFE) for {UNIT} exceeds max_exposure "


@pytest.fixture
def replay(monkeypatch):
    def install(release):
        fake = unit_security_tests.Replay(release)
        monkeypatch.setattr(basic.AnsibleModule, "run_command", fake)
        monkeypatch.setattr(
            basic.AnsibleModule,
            "get_bin_path",
            lambda self, name, required=False, opt_dirs=None: unit_security_tests.BINS[name],
        )
        return fake

    return install


@pytest.mark.parametrize(("release", "use_json"), SOURCES)
def test_unit_security_fails_any_exposure_above_a_limit_of_zero(run_module, replay, release, use_json):
    replay(release)
    result = run_module(unit_security, {"unit": UNIT, "max_exposure": 0.0, "use_json": use_json})
    assert result["exposure"] == 0.9
    assert result["failed"] is True
    assert result["failed_reasons"] and result["failed_reasons"][0].startswith(EXCEEDS + "0.0")
    assert result["msg"].startswith(f"Checking the security of {UNIT}: {EXCEEDS}0.0")


@pytest.mark.parametrize(("limit", "failed"), [(0.8, True), (0.9, False), (None, False)])
@pytest.mark.parametrize("release", ["debian11", "debian13"])
def test_unit_security_limit_around_the_measured_value(run_module, replay, release, limit, failed):
    replay(release)
    args = {"unit": UNIT} if limit is None else {"unit": UNIT, "max_exposure": limit}
    result = run_module(unit_security, args)
    assert result["exposure"] == 0.9
    assert bool(result.get("failed")) is failed, result.get("msg")


def _runner(release):
    """``run(argv, extra_env)`` as assess_unit calls it, answered by the capture (argv by full path)."""
    fake = unit_security_tests.Replay(release)
    bins = dict(unit_security_tests.BINS)

    def run(argv, extra_env):
        return fake(list(argv), dict(COMMAND_ENV, **extra_env))

    return run, bins


@pytest.mark.parametrize("release", ["debian11", "debian12", "debian13"])
def test_assess_unit_reports_a_limit_of_zero_as_exceeded(release):
    run, bins = _runner(release)
    result = assess_unit(run, bins, UNIT, max_exposure=0.0)
    assert result["exposure"] == 0.9
    assert [reason[: len(EXCEEDS) + 3] for reason in result["failed_reasons"]] == [EXCEEDS + "0.0"]
    assert assess_unit(*_runner(release), UNIT, max_exposure=None)["failed_reasons"] == []


@pytest.mark.parametrize("release", ["debian11", "debian12", "debian13"])
def test_service_probe_exposure_check_fails_a_limit_of_zero(release):
    fake = unit_security_tests.Replay(release)
    system = System(run=lambda argv, env: fake(list(argv), env), bin_path=unit_security_tests.BINS.get)
    result = exposure_result(system, UNIT, 0.0)
    assert result["exposure"] == 0.9
    assert result["failed"] is True
    assert EXCEEDS + "0.0" in result["msg"]
    assert not exposure_result(system, UNIT, 0.9).get("failed")
