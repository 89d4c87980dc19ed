# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service_facts module through the real AnsibleModule (on this test machine, whatever runs PID 1)."""

from __future__ import annotations

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
