# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service_facts module through the real AnsibleModule (on this test machine, whatever runs PID 1)."""

from __future__ import annotations

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils._service_facts import service_manager
from ansible_collections.gosvc.hardening.plugins.modules import service_facts


def test_module_reports_and_changes_nothing(run_module, tmp_path):
    present = tmp_path / "present"
    present.write_text("x")
    result = run_module(
        service_facts,
        {"release_root": str(tmp_path / "opt" / "demo"), "paths": [str(present), str(tmp_path / "absent")]},
        check_mode=True,
    )
    assert result["changed"] is False
    assert not result.get("failed")
    assert result["service_manager"] == service_manager()
    assert result["release"]["exists"] is False and result["release"]["releases"] == []
    assert result["paths"] == {str(present): True, str(tmp_path / "absent"): False}
    assert result["systemd_version"] is None or result["systemd_version"] >= 200


def test_module_without_release_root(run_module):
    result = run_module(service_facts, {})
    assert result["release"] is None and result["paths"] == {}


def test_files_are_described_with_an_hmac_never_the_content(run_module, tmp_path):
    secret = tmp_path / "demo.env"
    secret.write_text("TOKEN=s3cret\n")
    secret.chmod(0o640)
    link = tmp_path / "link"
    link.symlink_to(secret)
    result = run_module(
        service_facts,
        {"files": [str(secret), str(tmp_path), str(link), str(tmp_path / "absent")], "digest_key": "key-1"},
    )
    files = result["files"]
    assert files[str(secret)]["type"] == "file" and files[str(secret)]["mode"] == "0640"
    assert len(files[str(secret)]["hmac"]) == 64 and "s3cret" not in repr(result)
    assert files[str(tmp_path)]["type"] == "directory" and "hmac" not in files[str(tmp_path)]
    assert files[str(link)]["type"] == "other"  # a symbolic link is not followed
    assert files[str(tmp_path / "absent")] == {"exists": False}
    # The key is a secret parameter: masked in the invocation.
    assert "key-1" not in repr(result)
    other_key = run_module(service_facts, {"files": [str(secret)], "digest_key": "key-2"})["files"][str(secret)]
    assert other_key["hmac"] != files[str(secret)]["hmac"]
    no_key = run_module(service_facts, {"files": [str(secret)]})["files"][str(secret)]
    assert "hmac" not in no_key


def test_require_systemd_fails_on_another_service_manager(run_module, monkeypatch):
    from ansible_collections.gosvc.hardening.plugins.module_utils import _service_facts

    monkeypatch.setattr(_service_facts, "service_manager", lambda proc_root="/proc": "init")
    result = run_module(service_facts, {"require_systemd": True})
    assert result["failed"] and "PID 1 of this host is 'init', not systemd" in result["msg"]
    assert "Nothing on the host was changed" in result["msg"] and result["service_manager"] == "init"
    assert not run_module(service_facts, {}).get("failed")


def test_require_systemd_fails_when_systemctl_does_not_answer(run_module, monkeypatch):
    from ansible_collections.gosvc.hardening.plugins.module_utils import _service_facts

    monkeypatch.setattr(_service_facts, "service_manager", lambda proc_root="/proc": "systemd")
    monkeypatch.setattr(_service_facts, "systemd_version", lambda run: None)
    result = run_module(service_facts, {"require_systemd": True})
    assert result["failed"] and "systemctl --version" in result["msg"]
    monkeypatch.setattr(_service_facts, "systemd_version", lambda run: 252)
    assert not run_module(service_facts, {"require_systemd": True}).get("failed")


@pytest.mark.fault(
    case="6",
    name="systemd older than 247",
    injected="preflight's service_facts reads the systemd version in brackets (245 is Ubuntu 20.04's)",
    expected="older than 247: refused before anything changes, naming the version found and the one needed;"
    " 247 and later: accepted",
)
@pytest.mark.parametrize(
    ("version", "refused"),
    [(245, True), (246, True), (247, False), (257, False)],
    ids=["245", "246", "247", "257"],
)
def test_require_systemd_refuses_a_systemd_older_than_247(run_module, monkeypatch, record_property, version, refused):
    from ansible_collections.gosvc.hardening.plugins.module_utils import _service_facts

    monkeypatch.setattr(_service_facts, "service_manager", lambda proc_root="/proc": "systemd")
    monkeypatch.setattr(_service_facts, "systemd_version", lambda run: version)
    result = run_module(service_facts, {"require_systemd": True})
    assert bool(result.get("failed")) is refused
    if refused:
        assert f"this host runs systemd {version}; go_service needs systemd 247 or later" in result["msg"]
        assert result["msg"].endswith("Nothing on the host was changed.") and result["systemd_version"] == version
        record_property("observed", "refused: " + result["msg"].split(": ", 1)[1].split(" (Debian")[0])
    else:
        record_property("observed", "accepted")
