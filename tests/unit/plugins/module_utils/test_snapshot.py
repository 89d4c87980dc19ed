# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_snapshot on a temporary directory: a release's configuration recorded, restored exactly, pruned.

Files are owned by root, as on a target; the tests need root to set owners.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _snapshot, _snapshot_restore
from ansible_collections.gosvc.hardening.plugins.module_utils._release import ReleaseError

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="sets owners like on a target")


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "opt" / "am"
    for version in ("0.21.0", "0.25.0"):
        (root / "releases" / version).mkdir(parents=True)
        (root / "releases" / version / "am").write_bytes(b"\x7fELF" + version.encode())
    etc = tmp_path / "etc" / "am"
    etc.mkdir(parents=True)
    files = {
        "unit": tmp_path / "am.service",
        "env": etc / "am.env",
        "config": etc / "am.yml",
        "dropin": tmp_path / "am.service.d" / "50.conf",
    }
    files["unit"].write_text("ExecStart=/opt/am/current/am --a\n")
    files["env"].write_text("TOKEN=s3cret\n")
    os.chmod(files["env"], 0o640)
    files["config"].write_text("route: {}\n")
    return root, files


def _point(root, version):
    link = root / "current"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(f"releases/{version}")


def _mode(path):
    return f"{stat.S_IMODE(os.stat(path).st_mode):04o}"


def test_record_keeps_each_file_root_only_and_again_changes_nothing(tree):
    root, files = tree
    paths = [str(p) for p in files.values()]
    first = _snapshot.record(str(root), "0.21.0", paths)
    assert first["changed"] and first["files"] == paths
    base = root / "snapshots" / "0.21.0"
    assert _mode(root / "snapshots") == "0700" and _mode(base) == "0700"
    manifest = json.loads((base / "manifest.json").read_text())
    by_path = {e["path"]: e for e in manifest["files"]}
    assert by_path[str(files["dropin"])] == {"path": str(files["dropin"]), "exists": False}
    assert by_path[str(files["env"])]["mode"] == "0640"
    assert (base / by_path[str(files["env"])]["name"]).read_text() == "TOKEN=s3cret\n"
    assert _mode(base / by_path[str(files["env"])]["name"]) == "0600"
    assert not _snapshot.record(str(root), "0.21.0", paths)["changed"]
    files["config"].write_text("route: {receiver: x}\n")
    assert _snapshot.record(str(root), "0.21.0", paths)["changed"]
    assert sorted(os.listdir(root / "snapshots")) == ["0.21.0"]  # no temporary directory left


def test_restore_puts_back_content_mode_and_removes_what_came_later(tree):
    root, files = tree
    paths = [str(p) for p in files.values()]
    _snapshot.record(str(root), "0.21.0", paths)
    before = {key: (p.read_bytes(), _mode(p)) for key, p in files.items() if p.exists()}
    # The upgrade: other args, other config, a mode change, a drop-in and a new config file.
    files["unit"].write_text("ExecStart=/opt/am/current/am --a --log.format=json\n")
    files["config"].write_text("route: {receiver: new}\n")
    os.chmod(files["env"], 0o600)
    files["dropin"].parent.mkdir()
    files["dropin"].write_text("[Service]\nLimitNOFILE=1\n")
    extra = files["config"].parent / "rules.yml"
    extra.write_text("groups: []\n")
    _snapshot.record(str(root), "0.25.0", [*paths, str(extra)])

    done = _snapshot_restore.restore(str(root), "0.21.0", leaving="0.25.0")
    assert done["snapshot"] is True
    assert sorted(done["restored"]) == sorted([str(files["unit"]), str(files["config"]), str(files["env"])])
    assert sorted(done["removed"]) == sorted([str(files["dropin"]), str(extra)])
    assert {key: (p.read_bytes(), _mode(p)) for key, p in files.items() if p.exists()} == before
    assert not extra.exists() and not files["dropin"].exists()
    again = _snapshot_restore.restore(str(root), "0.21.0", leaving="0.25.0")
    assert again == {"snapshot": True, "probes": {}, "restored": [], "removed": []}


def test_a_release_without_a_snapshot_restores_nothing(tree):
    root, files = tree
    assert _snapshot_restore.restore(str(root), "0.21.0") == {
        "snapshot": False,
        "probes": {},
        "restored": [],
        "removed": [],
    }
    assert files["unit"].read_text() == "ExecStart=/opt/am/current/am --a\n"


def test_a_modified_snapshot_is_refused_and_nothing_is_written(tree):
    root, files = tree
    _snapshot.record(str(root), "0.21.0", [str(files["unit"]), str(files["config"])])
    manifest = json.loads((root / "snapshots" / "0.21.0" / "manifest.json").read_text())
    stored = root / "snapshots" / "0.21.0" / manifest["files"][1]["name"]
    stored.write_text("route: {tampered: true}\n")
    files["unit"].write_text("changed\n")
    with pytest.raises(_snapshot.SnapshotError, match="does not match the digest"):
        _snapshot_restore.restore(str(root), "0.21.0")
    assert files["unit"].read_text() == "changed\n"


def test_a_bad_manifest_is_named(tree):
    root, _files = tree
    (root / "snapshots" / "0.21.0").mkdir(parents=True)
    (root / "snapshots" / "0.21.0" / "manifest.json").write_text('{"format": 9}')
    with pytest.raises(_snapshot.SnapshotError, match="not one go_release wrote"):
        _snapshot.read_manifest(str(root), "0.21.0")


def test_snapshot_release_records_the_current_one_and_prunes_removed_releases(tree):
    root, files = tree
    _point(root, "0.21.0")
    (root / ".releases.json").write_text(
        json.dumps(
            {
                "format": 1,
                "releases": [
                    {"version": v, "sha256": "0" * 64, "installed_at": None, "binary_name": "am"}
                    for v in ("0.21.0", "0.25.0")
                ],
                "switched_from": None,
                "rolled_back": None,
            }
        )
    )
    (root / ".lock").touch()
    params = {"root": str(root), "files": [str(files["unit"])]}
    result = _snapshot.snapshot_release(params)
    assert result["current_version"] == "0.21.0" and result["snapshot"]["changed"]
    assert result["healthy_versions"] == ["0.21.0"]
    (root / "snapshots" / "0.9.0").mkdir()  # a release long pruned
    assert _snapshot.snapshot_release(params)["pruned_snapshots"] == ["0.9.0"]
    (root / "current").unlink()
    with pytest.raises(ReleaseError, match="nothing to record a snapshot for"):
        _snapshot.snapshot_release(params)


def test_drift_names_each_file_and_what_differs_and_never_its_content(tree):
    root, files = tree
    paths = [str(p) for p in files.values()]
    _snapshot.record(str(root), "0.21.0", paths)
    assert _snapshot.drift(str(root), "0.21.0") == {
        "recorded": True,
        "version": "0.21.0",
        "files": paths,
        "drifted": [],
    }
    os.chmod(files["env"], 0o644)
    files["unit"].write_text("ExecStart=/opt/am/current/am --a\nNoNewPrivileges=no\n")
    files["config"].unlink()
    files["dropin"].parent.mkdir()
    files["dropin"].write_text("[Service]\n")
    found = _snapshot.drift(str(root), "0.21.0")
    assert found["drifted"] == [
        {"path": str(files["unit"]), "differences": ["content differs from the recorded one"]},
        {"path": str(files["env"]), "differences": ["mode 0644, recorded 0640"]},
        {"path": str(files["config"]), "differences": ["missing"]},
        {"path": str(files["dropin"]), "differences": ["present, recorded absent"]},
    ]
    assert "s3cret" not in json.dumps(found)


def test_drift_without_a_snapshot_or_version_compares_nothing(tree):
    root, _files = tree
    assert _snapshot.drift(str(root), "0.21.0") == {"recorded": False, "version": "0.21.0", "files": [], "drifted": []}
    assert _snapshot.drift(str(root), None)["recorded"] is False
    (root / "snapshots" / "0.21.0").mkdir(parents=True)
    (root / "snapshots" / "0.21.0" / "manifest.json").write_text("not json")
    assert "cannot read the snapshot" in _snapshot.drift(str(root), "0.21.0")["error"]


def test_the_urls_a_release_was_proven_on_are_kept_and_a_change_of_them_rewrites_the_snapshot(tree):
    root, files = tree
    probes = {"health_url": "http://127.0.0.1:9101/metrics", "ready_url": ""}
    assert _snapshot.record(str(root), "0.21.0", [str(files["unit"])], probes=probes)["changed"]
    assert _snapshot.recorded_probes(str(root), "0.21.0") == probes
    assert not _snapshot.record(str(root), "0.21.0", [str(files["unit"])], probes=probes)["changed"]
    moved = dict(probes, health_url="http://127.0.0.1:9102/metrics")
    assert _snapshot.record(str(root), "0.21.0", [str(files["unit"])], probes=moved)["changed"]
    assert _snapshot_restore.restore(str(root), "0.21.0")["probes"] == moved
    assert _snapshot.recorded_probes(str(root), "9.9.9") is None
    assert _snapshot.recorded_probes(str(root), None) is None
