# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A service that does not come up: service_wait's failure carries the unit's newest journal lines,
secrets masked, so the reason reaches the controller. Journal text as systemd 247, 252 and 257 printed
it (tests/unit/data/service_wait)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _service_wait as sw

DATA = Path(__file__).resolve().parents[2] / "data" / "service_wait"
HOSTS = ("debian11", "debian12", "debian13")
FAILED = (
    "LoadState=loaded\nActiveState=failed\nSubState=failed\nResult=exit-code\nMainPID=0\nNRestarts=2\n"
    "ExecMainStartTimestamp=Sat 2026-12-05 17:30:01 UTC\n"
)


def host(journal, journal_rc=0):
    calls = []

    def run(argv):
        calls.append(argv)
        if argv[0].endswith("systemctl"):
            return 0, FAILED, ""
        return journal_rc, journal, ""

    return run, calls


@pytest.mark.parametrize("name", HOSTS)
def test_a_unit_that_failed_brings_its_journal_lines_with_the_secret_masked(name):
    journal = (DATA / f"journal.crashy.{name}.txt").read_text()
    run, calls = host(journal)
    result = sw.wait_for_service(
        run, "/bin/systemctl", "crashy.service", 5, journalctl="/bin/journalctl", secrets=["s3cret-token-value"]
    )
    assert result["failed"] is True
    head, _sep, lines = result["msg"].partition("\nThe last 10 journal lines of crashy.service:\n")
    assert head == (
        "crashy.service is not active after it failed: ActiveState=failed, SubState=failed, Result=exit-code, "
        "NRestarts=2; see journalctl -u crashy.service"
    )
    shown = lines.split("\n")
    assert "  open /etc/crashy/config.yml: no such file or directory" in shown
    assert "  crashy.service: Main process exited, code=exited, status=1/FAILURE" in shown
    assert "  starting with token ********" in shown
    assert "s3cret" not in result["msg"]
    assert calls[-1] == ["/bin/journalctl", "-u", "crashy.service", "-n", "10", "-o", "cat", "--no-pager"]


def test_a_multi_line_secret_is_masked_line_by_line():
    pem = "-----BEGIN KEY-----\nMIIBVwIBADANBgkq\n-----END KEY-----"
    journal = "loaded key\nMIIBVwIBADANBgkq\nbad key\n"
    run, _calls = host(journal)
    result = sw.wait_for_service(run, "/bin/systemctl", "x.service", 5, journalctl="/bin/journalctl", secrets=[pem])
    assert "MIIBVwIBADANBgkq" not in result["msg"]
    assert result["msg"].endswith("The last 3 journal lines of x.service:\n  loaded key\n  ********\n  bad key")


@pytest.mark.parametrize(("journal", "rc"), [("", 0), ("  \n\n", 0), ("some line\n", 1)])
def test_no_journal_lines_leave_the_message_as_it_was(journal, rc):
    run, _calls = host(journal, rc)
    result = sw.wait_for_service(run, "/bin/systemctl", "x.service", 5, journalctl="/bin/journalctl")
    assert result["msg"].endswith("; see journalctl -u x.service")


def test_without_journalctl_nothing_is_read():
    run, calls = host("never read\n")
    result = sw.wait_for_service(run, "/bin/systemctl", "x.service", 5, journalctl=None)
    assert result["msg"].endswith("; see journalctl -u x.service")
    assert all(argv[0] == "/bin/systemctl" for argv in calls)


def test_short_secret_fragments_are_not_masked_in_ordinary_words():
    """Masking every two-letter line of a secret would blank words out; pieces under 3 characters are left."""
    assert sw.masked("ok: listening on :8080", ["ok"]) == "ok: listening on :8080"
    assert sw.masked("token abc", ["abc"]) == "token ********"


def test_a_service_that_came_up_reads_no_journal():
    _run, calls = host("never read\n")

    def up(argv):
        calls.append(argv)
        return 0, FAILED.replace("ActiveState=failed", "ActiveState=active"), ""

    result = sw.wait_for_service(up, "/bin/systemctl", "x.service", 5, journalctl="/bin/journalctl")
    assert result["failed"] is False
    assert all(argv[0] == "/bin/systemctl" for argv in calls)
