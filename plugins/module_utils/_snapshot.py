# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The configuration a release ran with, kept beside the release so that a rollback restores all of it.

Used by gosvc.hardening.go_release (``state=snapshot`` and ``state=rollback`` with ``restore``).
A release is its binary plus the files it ran with: the unit, the drop-in, the environment file and
the service's config files. Once a deployment is healthy (after the role's health gate), the role records those
files as they are on the host under the release root::

    snapshots/<version>/manifest.json     {"format": 1, "version", "recorded_at", "files": [entry, ...], "probes"}
    snapshots/<version>/<n>               the content of the n-th file that existed

``probes`` holds the health and readiness URLs the release was proven healthy on, so that a rollback
to it proves it on its own URLs, not on those of the release that failed. An entry is
``{path, exists, owner, group, mode, sha256, name}`` (``exists`` false: the file was not
there, and a restore removes it). The directory is root's, mode 0700: the environment file holds
secrets, as the backups of service_config do. A snapshot is replaced whole (written beside, then
renamed), so a reader never sees half of one.

``drift`` compares the files on the host with the current release's snapshot (digest, owner, group,
mode; secrets never leave the host), for the verify role's config_drift check. Putting a snapshot
back is ``_snapshot_restore`` (it writes through service_config's own writer, which this module does
not load, so that service_probe stays small).

That a snapshot exists says that the release once ran healthy: ``healthy_versions`` lists them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import uuid

from ansible_collections.gosvc.hardening.plugins.module_utils._files import make_dirs, owner_names
from ansible_collections.gosvc.hardening.plugins.module_utils._release import (
    TEMP_PREFIX,
    Layout,
    ReleaseError,
    RootLock,
    check_root,
    release_facts,
    utc_now,
)

SNAPSHOTS_DIR = "snapshots"
MANIFEST = "manifest.json"
FORMAT = 1
#: The files a snapshot keeps are small configuration files; a larger one is refused.
MAX_FILE_BYTES = 16 << 20


class SnapshotError(Exception):
    """A snapshot could not be read, written or restored; the message names the path."""


def snapshot_dir(root: str, version: str) -> str:
    return os.path.join(root, SNAPSHOTS_DIR, version)


def read_manifest(root: str, version: str) -> dict | None:
    """The manifest of ``version``'s snapshot, or None when it has none. Raises SnapshotError on a bad one."""
    path = os.path.join(snapshot_dir(root, version), MANIFEST)
    try:
        with open(path, "rb") as handle:
            manifest = json.loads(handle.read(1 << 20))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"cannot read the snapshot {path}: {exc}") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or not isinstance(manifest.get("files"), list)
    ):
        raise SnapshotError(f"the snapshot {path} is not one go_release wrote (format {FORMAT}); remove its directory")
    return manifest


def healthy_versions(root: str) -> list:
    """The versions that have a snapshot (healthy at least once), sorted by name."""
    try:
        names = os.listdir(os.path.join(root, SNAPSHOTS_DIR))
    except OSError:
        return []
    return sorted(
        name
        for name in names
        if not name.startswith(".") and os.path.isfile(os.path.join(root, SNAPSHOTS_DIR, name, MANIFEST))
    )


def _describe(path: str) -> tuple:
    """``(entry, content)`` of ``path`` as it is now; content None when it does not exist."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return {"path": path, "exists": False}, None
    except OSError as exc:
        raise SnapshotError(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise SnapshotError(f"{path} is not a regular file; a snapshot keeps files only")
    if st.st_size > MAX_FILE_BYTES:
        raise SnapshotError(f"{path} is larger than {MAX_FILE_BYTES >> 20} MiB; a snapshot keeps configuration files")
    with open(path, "rb") as handle:
        content = handle.read()
    owner, group, mode = owner_names(st)
    entry = {
        "path": path,
        "exists": True,
        "owner": owner,
        "group": group,
        "mode": f"{mode:04o}",
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    return entry, content


def drift(root: str, version: str | None) -> dict:
    """How the files ``version`` recorded differ on the host now: ``{recorded, version, files, drifted}``.

    ``recorded`` False: the release has no snapshot (nothing to compare). ``drifted`` lists
    ``{path, differences}``, each difference a phrase ("mode 0644, recorded 0640", "content differs from
    the recorded one", "missing", "present, recorded absent"). Contents are compared by digest on the host.
    """
    result = {"recorded": False, "version": version, "files": [], "drifted": []}
    if not version:
        return result
    try:
        manifest = read_manifest(root, version)
    except SnapshotError as exc:
        result["error"] = str(exc)
        return result
    if manifest is None:
        return result
    result["recorded"] = True
    for entry in manifest["files"]:
        path = entry.get("path")
        result["files"].append(path)
        try:
            now, _content = _describe(path)
        except SnapshotError as exc:
            result["drifted"].append({"path": path, "differences": [str(exc)]})
            continue
        differences = []
        if not entry.get("exists"):
            if now["exists"]:
                differences.append("present, recorded absent")
        elif not now["exists"]:
            differences.append("missing")
        else:
            for key in ("owner", "group", "mode"):
                if now[key] != entry.get(key):
                    differences.append(f"{key} {now[key]}, recorded {entry.get(key)}")
            if now["sha256"] != entry.get("sha256"):
                differences.append("content differs from the recorded one")
        if differences:
            result["drifted"].append({"path": path, "differences": differences})
    return result


def recorded_probes(root: str, version: str | None) -> dict | None:
    """The health and readiness URLs ``version`` ran healthy with (its snapshot's ``probes``), or None."""
    try:
        manifest = read_manifest(root, version) if version else None
    except SnapshotError:
        return None
    probes = (manifest or {}).get("probes")
    return probes if isinstance(probes, dict) and probes else None


def recorded_files(root: str, version: str | None) -> list:
    """The paths of the files ``version`` ran with (those its snapshot found existing); empty without one."""
    try:
        manifest = read_manifest(root, version) if version else None
    except SnapshotError:
        return []
    return [
        entry["path"]
        for entry in (manifest or {}).get("files", [])
        if isinstance(entry, dict) and entry.get("exists") and isinstance(entry.get("path"), str)
    ]


def record(root: str, version: str, paths: list, check_mode: bool = False, now: str = "", probes=None) -> dict:
    """Keep ``paths`` as they are now as ``version``'s snapshot; ``{changed, version, files}``.

    Unchanged (the same files with the same content, owner and mode as the snapshot already holds):
    nothing is written. Otherwise the new snapshot is written beside the old one and renamed over it.
    """
    described = [_describe(path) for path in dict.fromkeys(paths)]
    entries = [entry for entry, _content in described]
    old = read_manifest(root, version)
    probes = dict(probes or {})
    if old is not None and [_without_name(e) for e in old["files"]] == entries and old.get("probes", {}) == probes:
        return {"changed": False, "version": version, "files": [e["path"] for e in entries]}
    result = {"changed": True, "version": version, "files": [e["path"] for e in entries]}
    if check_mode:
        return result
    base = os.path.join(root, SNAPSHOTS_DIR)
    make_dirs(base)
    os.chmod(base, 0o700)
    temp = os.path.join(base, f"{TEMP_PREFIX}snapshot.{uuid.uuid4().hex}")
    os.mkdir(temp, 0o700)
    try:
        for index, (entry, content) in enumerate(described):
            if content is None:
                continue
            entry["name"] = str(index)
            fd = os.open(os.path.join(temp, entry["name"]), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
        manifest = {"format": FORMAT, "version": version, "recorded_at": now, "files": entries, "probes": probes}
        with open(os.path.join(temp, MANIFEST), "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=1, sort_keys=True)
        final = snapshot_dir(root, version)
        retired = None
        if os.path.lexists(final):
            retired = os.path.join(base, f"{TEMP_PREFIX}retired.{uuid.uuid4().hex}")
            os.rename(final, retired)
        os.rename(temp, final)
        if retired:
            shutil.rmtree(retired)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return result


def _without_name(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if key != "name"}


def prune(root: str, installed: list, check_mode: bool = False) -> list:
    """Remove the snapshots of releases no longer installed; return their versions."""
    base = os.path.join(root, SNAPSHOTS_DIR)
    try:
        names = os.listdir(base)
    except OSError:
        return []
    gone = sorted(name for name in names if not name.startswith(TEMP_PREFIX) and name not in installed)
    if not check_mode:
        for name in gone:
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)
        for name in names:
            if name.startswith(TEMP_PREFIX):
                shutil.rmtree(os.path.join(base, name), ignore_errors=True)
    return gone


# -- the go_release states ------------------------------------------------------------------------


def snapshot_release(params: dict, check_mode: bool = False) -> dict:
    """``state=snapshot``: record ``files`` as the snapshot of the current release; prune the snapshots of
    releases no longer installed. Raises ReleaseError when there is no current release."""
    root = check_root(params.get("root"))
    layout = Layout(root)
    if not os.path.isdir(root):
        raise ReleaseError(f"root {root} does not exist; install a release before recording its snapshot")
    with RootLock(layout.lock, exclusive=not check_mode, create=False, timeout=params.get("lock_timeout", 60)):
        facts = release_facts(root)
        if facts["error"]:
            raise ReleaseError(facts["error"])
        if facts["current"] is None:
            raise ReleaseError(
                f"{layout.current} names no installed release, so there is nothing to record a snapshot for"
            )
        try:
            recorded = record(
                root, facts["current"], params.get("files") or [], check_mode, utc_now(), params.get("probes")
            )
            pruned = prune(root, [release["version"] for release in facts["releases"]], check_mode)
        except (SnapshotError, OSError) as exc:
            raise ReleaseError(f"recording the snapshot of {facts['current']}: {exc}") from None
    # In check mode the snapshot was not written: the current release counts as it will once it is.
    healthy = set(healthy_versions(root)) | ({facts["current"]} if check_mode else set())
    return {
        "changed": recorded["changed"] or bool(pruned),
        "current_version": facts["current"],
        "snapshot": recorded,
        "pruned_snapshots": pruned,
        "healthy_versions": sorted(healthy),
    }
