# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Putting a release's snapshot back (go_release ``state=rollback`` with ``restore``).

``restore`` writes each recorded file back with service_config's own writer (``_service_config.plan``
and ``apply``: compared first, written to a temporary file and renamed, owner and mode set), and
removes a file the release being left recorded and this one does not (a drop-in or config file added
later). The snapshot format is ``_snapshot``'s.
"""

from __future__ import annotations

import hashlib
import os

from ansible_collections.gosvc.hardening.plugins.module_utils._files import make_dirs
from ansible_collections.gosvc.hardening.plugins.module_utils._release import Layout, ReleaseError, RootLock, check_root
from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import ConfigError, FileSpec, apply, plan
from ansible_collections.gosvc.hardening.plugins.module_utils._snapshot import (
    SnapshotError,
    read_manifest,
    snapshot_dir,
)


def restore(root: str, version: str, leaving: str | None = None, check_mode: bool = False) -> dict:
    """Put ``version``'s snapshot back on the host; ``{snapshot, restored, removed}``.

    ``snapshot`` is False (and nothing is done) when ``version`` has none. A file the snapshot of
    ``leaving`` (the release rolled back from) lists and ``version``'s does not is removed. Each file is
    checked against its recorded digest before it is written back.
    """
    manifest = read_manifest(root, version)
    if manifest is None:
        return {"snapshot": False, "probes": {}, "restored": [], "removed": []}
    wanted = {entry["path"]: entry for entry in manifest["files"]}
    left = read_manifest(root, leaving) if leaving and leaving != version else None
    extra = [e["path"] for e in (left or {}).get("files", []) if e.get("exists") and e["path"] not in wanted]
    specs = []
    for entry in manifest["files"]:
        content = None
        if entry.get("exists"):
            stored = os.path.join(snapshot_dir(root, version), str(entry.get("name")))
            try:
                with open(stored, "rb") as handle:
                    content = handle.read()
            except OSError as exc:
                raise SnapshotError(f"cannot read {stored} of the snapshot of {version}: {exc.strerror}") from None
            if hashlib.sha256(content).hexdigest() != entry.get("sha256"):
                raise SnapshotError(
                    f"{stored} (the snapshot of {entry['path']} for release {version}) does not match the digest "
                    "recorded with it; it was modified, so nothing was restored"
                )
            specs.append(
                FileSpec(entry["path"], entry["path"], content, entry["owner"], entry["group"], int(entry["mode"], 8))
            )
        else:
            specs.append(FileSpec(entry["path"], entry["path"], None))
    specs += [FileSpec(path, path, None) for path in extra]
    try:
        plans = [plan(spec, check_mode) for spec in specs]
        changed = [item for item in plans if item.changed]
        if not check_mode:
            for item in changed:
                if item.spec.content is not None:
                    make_dirs(os.path.dirname(item.spec.path))
                apply(item, backup=False)
    except ConfigError as exc:
        raise SnapshotError(f"restoring the snapshot of {version}: {exc}") from None
    return {
        "snapshot": True,
        "probes": manifest.get("probes") or {},
        "restored": [item.spec.path for item in changed if item.spec.content is not None],
        "removed": [item.spec.path for item in changed if item.spec.content is None],
    }


def restore_release(params: dict, rolled: dict, check_mode: bool = False) -> dict:
    """After ``state=rollback``: put back the snapshot of the release ``rolled`` (its result) switched to."""
    root = check_root(params.get("root"))
    with RootLock(Layout(root).lock, exclusive=not check_mode, create=False, timeout=params.get("lock_timeout", 60)):
        try:
            return restore(root, rolled["current_version"], rolled["previous_version"], check_mode)
        except SnapshotError as exc:
            raise ReleaseError(f"release {rolled['current_version']} is current again, but {exc}") from None
