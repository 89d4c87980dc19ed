# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Atomic, idempotent installation of versioned releases of one binary, with rollback.

Standard library only; Python 3.9+. Used by the ``go_release`` module; every function
works on a real directory tree, so pytest can drive it without a host.

Layout under ``root``::

    .staging/<sha256>                  staged binaries, named by digest (uploaded by the role)
    releases/<version>/<binary_name>   one directory per release; never rewritten once installed
    current -> releases/<version>      relative symbolic link, replaced with rename(2)
    .releases.json                     install order: version, sha256, installed_at, binary_name
    .lock                              fcntl.flock() lock held for the whole run
    .go_release.*                      temporary names; only exist during a run (or after a crash)

Public API
----------

``install_release(params, check_mode=False) -> dict``
    ``state=present``: verify the staged binary, install it as a release (hard link, or
    copy when a link is impossible), switch ``current``, prune old releases and staged files.

``rollback_release(params, check_mode=False) -> dict``
    ``state=rollback``: switch ``current`` to a named release, or back to the release it
    pointed to before the last switch, after checking the binary against its recorded digest.

Both return the module result (``changed``, ``warnings``, ``diff`` and the documented
keys) and raise :class:`ReleaseError` (and nothing else) for bad input and failures.
``params`` holds the module options by name.
"""

import contextlib
import errno
import fcntl
import grp
import json
import os
import pwd
import re
import shutil
import stat
import time
import uuid
from datetime import datetime, timezone
from typing import Dict, List, NamedTuple, Optional

from ansible_collections.gosvc.hardening.plugins.module_utils._digests import (
    CHUNK_SIZE,
    DigestError,
    digests_equal,
    file_digest,
    parse_expected,
    readinto_digests,
    verify_file,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._files import make_dirs

RELEASES_DIR = "releases"
STAGING_DIR = ".staging"
CURRENT_LINK = "current"
STATE_FILE = ".releases.json"
#: The record as it was before its last change, kept beside it to recover from.
STATE_BACKUP_FILE = ".releases.json.previous"
LOCK_FILE = ".lock"
#: Every temporary name this module creates starts with this prefix.
TEMP_PREFIX = ".go_release."
#: Version of the state file format.
STATE_FORMAT = 1
#: The state file is small; refuse anything larger than this.
STATE_MAX_BYTES = 1024 * 1024
DIR_MODE = 0o755

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}\Z")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_MODE = re.compile(r"(?:0o|0)?([0-7]{3,4})\Z")
_LINK_FALLBACK_ERRNOS = {
    errno.EXDEV,
    errno.EPERM,
    errno.EACCES,
    errno.EMLINK,
    errno.ENOTSUP,
    errno.EOPNOTSUPP,
}


class ReleaseError(Exception):
    """Bad input or a failed step. ``str(error)`` is a complete message for a person;
    ``details`` holds facts for the module result."""

    def __init__(self, message, details=None):
        super().__init__(message)
        self.details = dict(details or {})


class Release(NamedTuple):
    """One installed release, as the state file records it."""

    version: str
    sha256: str
    installed_at: Optional[str]
    binary_name: Optional[str]

    def as_state(self):
        return {
            "version": self.version,
            "sha256": self.sha256,
            "installed_at": self.installed_at,
            "binary_name": self.binary_name,
        }

    def as_result(self):
        return {"version": self.version, "sha256": self.sha256, "installed_at": self.installed_at}


class State(NamedTuple):
    """The content of ``.releases.json``."""

    releases: List[Release]
    switched_from: Optional[str]
    rolled_back: Optional[Dict[str, Optional[str]]]

    def as_json(self):
        return {
            "format": STATE_FORMAT,
            "releases": [release.as_state() for release in self.releases],
            "switched_from": self.switched_from,
            "rolled_back": self.rolled_back,
        }


class CurrentLink(NamedTuple):
    """What ``current`` is: the link text (None when absent) and the release it names."""

    target: Optional[str]
    version: Optional[str]


class Inventory(NamedTuple):
    """The releases found under ``releases/``, reconciled with the state file."""

    releases: List[Release]  # installed, in install order (adopted ones first)
    adopted: List[str]  # installed but not recorded: added to the state file
    forgotten: List[str]  # recorded but not installed (no binary): dropped from the state file
    empty_dirs: List[str]  # unrecorded release directories holding nothing (leftovers)
    strays: List[str]  # unrecorded entries that are left alone


class Layout:
    """Paths of the managed tree."""

    def __init__(self, root):
        self.root = root
        self.releases = os.path.join(root, RELEASES_DIR)
        self.staging = os.path.join(root, STAGING_DIR)
        self.current = os.path.join(root, CURRENT_LINK)
        self.state = os.path.join(root, STATE_FILE)
        self.state_backup = os.path.join(root, STATE_BACKUP_FILE)
        self.lock = os.path.join(root, LOCK_FILE)

    def release_dir(self, version):
        return os.path.join(self.releases, version)

    def binary(self, version, binary_name):
        return os.path.join(self.releases, version, binary_name)


# ---------------------------------------------------------------------------
# Input validation


def check_name(value, option, example):
    """Validate a version or binary name: it becomes one path component."""
    if not isinstance(value, str) or not value:
        raise ReleaseError(f"{option} is empty; give it, for example {option}: {example}")
    if not _NAME.match(value):
        raise ReleaseError(
            f"{option} {value!r} cannot be used as a file name here: use letters, digits and . _ + ~ - only, "
            f"starting with a letter or a digit, at most 128 characters (for example {example})"
        )
    return value


def check_root(root):
    """Validate ``root``: an absolute path, not the file system root."""
    if not isinstance(root, str) or not root:
        raise ReleaseError("root is empty; give the release root, for example /opt/myservice")
    if not os.path.isabs(root):
        raise ReleaseError(f"root {root!r} is not an absolute path; give it as /opt/<service>")
    root = os.path.normpath(root)
    if not root.strip("/"):
        raise ReleaseError("root is /; give a directory of its own, for example /opt/myservice")
    return root


def parse_checksum(value):
    """``sha256:<hex>`` (or 64 bare hex digits) -> lowercase hex."""
    if value is None:
        raise ReleaseError(
            "checksum is required with state=present; give the verified digest as sha256:<64 hex digits>"
        )
    try:
        expected = parse_expected(value)
    except DigestError as exc:
        raise ReleaseError(str(exc)) from None
    if expected.algorithm != "sha256":
        raise ReleaseError(
            f"checksum is a {expected.algorithm} digest; give the sha256 digest (sha256:<64 hex digits>), "
            "staged files and the state file are keyed by sha256"
        )
    return expected


def parse_mode(value):
    """The binary's mode: an octal string such as ``'0755'`` or an integer (YAML ``0755``)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ReleaseError(f"mode {value!r} is not a file mode; give it as a quoted octal string such as '0755'")
    if isinstance(value, int):
        mode = value
    else:
        match = _MODE.match(value.strip())
        if not match:
            raise ReleaseError(f"mode {value!r} is not an octal file mode; give it quoted, such as '0755'")
        mode = int(match.group(1), 8)
    hint = ""
    if isinstance(value, int):
        hint = f" (mode was given as the number {value}, octal {oct(value)[2:]}; quote it in YAML: mode: '0755')"
    if mode < 0 or mode > 0o7777:
        raise ReleaseError(f"mode {value!r} is out of range; give it quoted, such as '0755'{hint}")
    if mode & 0o7000:
        raise ReleaseError(
            f"mode {oct(mode)[2:].zfill(4)} sets setuid, setgid or sticky bits; a service binary needs none, "
            f"use '0755'{hint}"
        )
    if mode & 0o002:
        raise ReleaseError(
            f"mode {oct(mode)[2:].zfill(4)} lets every user write the binary; use '0755' (releases are immutable)"
            + hint
        )
    return mode


def resolve_owner(owner):
    """A user name or numeric uid -> uid."""
    if owner is None or owner == "":
        raise ReleaseError("owner is empty; give a user name or a numeric uid (default root)")
    if owner.isdigit():
        return int(owner)
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise ReleaseError(
            f"owner {owner!r} is not a user on this host; create it first or give a numeric uid"
        ) from None


def resolve_group(group):
    """A group name or numeric gid -> gid."""
    if group is None or group == "":
        raise ReleaseError("group is empty; give a group name or a numeric gid (default root)")
    if group.isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise ReleaseError(
            f"group {group!r} is not a group on this host; create it first or give a numeric gid"
        ) from None


def natural_key(version):
    """Sort key that orders 1.9.0 before 1.10.0 (used only to guess the order of unrecorded releases)."""
    return [(0, int(part), part) if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", version) if part]


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _temp_name(directory, kind):
    return os.path.join(directory, f"{TEMP_PREFIX}{kind}.{uuid.uuid4().hex[:12]}")


# ---------------------------------------------------------------------------
# Reading the tree


def _lstat(path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None


def _is_regular(path):
    info = _lstat(path)
    return info is not None and stat.S_ISREG(info.st_mode)


def _is_real_dir(path):
    info = _lstat(path)
    return info is not None and stat.S_ISDIR(info.st_mode)


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except (FileNotFoundError, NotADirectoryError):
        return []


def _kind(mode):
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISREG(mode):
        return "regular file"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    return "special file"


def read_state(layout, binary_hint=None):
    """Read ``.releases.json``; a missing file is an empty state. Returns (State, existed)."""
    path = layout.state
    fix = (
        f"fix it, or put back {layout.state_backup} (the record before its last change) in its place; removing it"
        f" makes the module rebuild it from {layout.releases}, trusting the digests of the binaries on disk and"
        " guessing the install order from the version numbers (it then prunes nothing and warns)"
    )
    try:
        with open(path, "rb") as handle:
            data = handle.read(STATE_MAX_BYTES + 1)
    except FileNotFoundError:
        return State([], None, None), False
    except OSError as exc:
        raise ReleaseError(f"reading the state file {path} failed: {exc.strerror or exc}") from None
    if len(data) > STATE_MAX_BYTES:
        raise ReleaseError(f"the state file {path} is larger than {STATE_MAX_BYTES} bytes; {fix}")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ReleaseError(f"the state file {path} is not valid JSON ({exc}); {fix}") from None

    def bad(why):
        return ReleaseError(f"the state file {path} is not valid ({why}); {fix}")

    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        raise bad(f"expected an object with format {STATE_FORMAT}")
    entries = document.get("releases")
    if not isinstance(entries, list):
        raise bad("'releases' must be a list")
    releases = []
    seen = set()
    for index, entry in enumerate(entries):
        where = f"releases[{index}]"
        if not isinstance(entry, dict):
            raise bad(f"{where} is not an object")
        version = entry.get("version")
        if not isinstance(version, str) or not _NAME.match(version):
            raise bad(f"{where}.version {version!r} is not a release name")
        if version in seen:
            raise bad(f"release {version} is listed twice")
        seen.add(version)
        digest = entry.get("sha256")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise bad(f"{where}.sha256 is not 64 lowercase hex digits")
        installed_at = entry.get("installed_at")
        if installed_at is not None and not isinstance(installed_at, str):
            raise bad(f"{where}.installed_at is not a string")
        name = entry.get("binary_name", binary_hint)
        if name is None:
            raise ReleaseError(
                f"the state file {path} does not record the binary name of release {version}; give binary_name"
            )
        if not isinstance(name, str) or not _NAME.match(name):
            raise bad(f"{where}.binary_name {name!r} is not a file name")
        releases.append(Release(version, digest, installed_at, name))
    switched_from = document.get("switched_from")
    if switched_from is not None and not isinstance(switched_from, str):
        raise bad("'switched_from' is not a string")
    rolled_back = document.get("rolled_back")
    if rolled_back is not None and not isinstance(rolled_back, dict):
        raise bad("'rolled_back' is not an object")
    return State(releases, switched_from, rolled_back), True


def read_current(layout):
    """Read ``current``. It must be a symbolic link or absent; anything else is an error."""
    info = _lstat(layout.current)
    if info is None:
        return CurrentLink(None, None)
    if not stat.S_ISLNK(info.st_mode):
        raise ReleaseError(
            f"{layout.current} is a {_kind(info.st_mode)}, not the symbolic link this module manages; "
            f"move it out of the way (a release belongs in {layout.releases}/<version>) and run again"
        )
    target = os.readlink(layout.current)
    return CurrentLink(target, _version_from_target(layout, target))


def _version_from_target(layout, target):
    if os.path.isabs(target):
        normalized = os.path.normpath(target)
        relative = None
        for base in (layout.root, os.path.realpath(layout.root)):
            if normalized.startswith(base.rstrip("/") + "/"):
                relative = normalized[len(base.rstrip("/")) + 1 :]
                break
        if relative is None:
            return None
    else:
        relative = os.path.normpath(target)
    parts = relative.split("/")
    if len(parts) == 2 and parts[0] == RELEASES_DIR and _NAME.match(parts[1]):
        return parts[1]
    return None


def current_status(link, installed):
    """``missing``, ``foreign`` (not a release), ``dangling`` (release not installed) or ``ok``."""
    if link.target is None:
        return "missing"
    if link.version is None:
        return "foreign"
    if link.version not in installed:
        return "dangling"
    return "ok"


def find_temp_files(layout):
    """Leftovers of an interrupted run: names starting with TEMP_PREFIX that this module creates."""
    found = []
    directories = [layout.root, layout.releases]
    directories += [
        os.path.join(layout.releases, name)
        for name in _listdir(layout.releases)
        if not name.startswith(TEMP_PREFIX) and _is_real_dir(os.path.join(layout.releases, name))
    ]
    for directory in directories:
        for name in _listdir(directory):
            if name.startswith(TEMP_PREFIX):
                found.append(os.path.join(directory, name))
    return found


def inventory(layout, state, binary_hint, current_version):
    """Reconcile ``releases/`` with the state file.

    A release is installed when ``releases/<version>/<binary_name>`` is a regular file.
    Recorded releases that are not installed are forgotten. Installed releases that are not
    recorded (a layout made before the state file existed, or a run interrupted between
    installing and recording) are adopted when ``binary_hint`` names their binary: hashed
    and put before the recorded ones, ordered by version number with ``current`` last.
    """
    names = [name for name in _listdir(layout.releases) if not name.startswith(TEMP_PREFIX)]
    dirs = set()
    strays = []
    for name in names:
        if _is_real_dir(os.path.join(layout.releases, name)) and _NAME.match(name):
            dirs.add(name)
        else:
            strays.append(name)
    recorded = []
    forgotten = []
    for release in state.releases:
        if release.version in dirs and _is_regular(layout.binary(release.version, release.binary_name)):
            recorded.append(release)
        else:
            forgotten.append(release.version)
    known = {release.version for release in recorded}
    adopted = []
    empty = []
    for name in sorted(dirs - known):
        if binary_hint and _is_regular(layout.binary(name, binary_hint)):
            path = layout.binary(name, binary_hint)
            try:
                digest = file_digest(path, "sha256").digest
            except DigestError as exc:
                raise ReleaseError(f"hashing the unrecorded release binary {path}: {exc}") from None
            adopted.append(Release(name, digest, None, binary_hint))
        elif not [entry for entry in _listdir(layout.release_dir(name)) if not entry.startswith(TEMP_PREFIX)]:
            empty.append(name)
        else:
            strays.append(name)
    adopted.sort(key=lambda release: (release.version == current_version, natural_key(release.version)))
    return Inventory(adopted + recorded, [r.version for r in adopted], forgotten, empty, sorted(strays))


def rollback_target(releases, current, switched_from):
    """The release a rollback without ``version`` goes to: the one ``current`` pointed to before the
    last switch, if still installed; else the release installed just before ``current``."""
    versions = [release.version for release in releases]
    if current is None:
        return None
    if switched_from and switched_from != current and switched_from in versions:
        return switched_from
    if current in versions:
        index = versions.index(current)
        if index > 0:
            return versions[index - 1]
    return None


# ---------------------------------------------------------------------------
# Writing the tree


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path):
    info = _lstat(path)
    if info is None:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def make_dir(path, uid=None, gid=None):
    """Create a directory with mode 0755 (not subject to the umask) and the given owner.

    Owner and mode are set through a descriptor of the directory just made (opened without
    following a symbolic link), never by path.
    """
    os.mkdir(path, DIR_MODE)
    fd = _open_no_follow(path, directory=True)
    try:
        _check_kind(path, os.fstat(fd), directory=True)
        os.fchmod(fd, DIR_MODE)
        if uid is not None:
            os.fchown(fd, uid, gid)
    finally:
        os.close(fd)


def switch_current(layout, version):
    """Point ``current`` at ``releases/<version>`` with one rename(2): it never disappears."""
    temp = _temp_name(layout.root, "current")
    os.symlink(f"{RELEASES_DIR}/{version}", temp)
    try:
        os.rename(temp, layout.current)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_dir(layout.root)


def _write_atomically(layout, path, text, kind):
    temp = _temp_name(layout.root, kind)
    # O_CREAT with O_EXCL never follows a symbolic link: a name planted meanwhile fails the open.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), 0o644)
        os.rename(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def backup_state(layout):
    """Keep the record as it is now in ``.releases.json.previous`` (atomically), before it is replaced.

    Only a record that reads as valid is kept: a backup is something to recover from.
    """
    try:
        read_state(layout, _FACTS_BINARY)
        with open(layout.state, encoding="utf-8") as handle:
            text = handle.read(STATE_MAX_BYTES + 1)
    except (ReleaseError, OSError):
        return False
    _write_atomically(layout, layout.state_backup, text, "state-backup")
    return True


def write_state(layout, state):
    """Write ``.releases.json`` atomically (temporary file, fsync, rename, fsync of the directory), after
    keeping the record it replaces in ``.releases.json.previous``."""
    text = json.dumps(state.as_json(), indent=2) + "\n"
    backup_state(layout)
    _write_atomically(layout, layout.state, text, "state")
    fsync_dir(layout.root)


def place_binary(src, release_dir, binary_name, expected, uid, gid, mode):
    """Put ``src`` at ``release_dir/binary_name``: hard link (or copy) to a temporary name, verify the
    linked file, set owner and mode, rename. Returns ``hardlink`` or ``copy``.

    With an owner other than root, that user can rename, replace or remove entries of the release
    directory while this runs. So the temporary file is opened once without following a symbolic
    link, its content is hashed through that descriptor, owner and mode are set through the same
    descriptor (fchown/fchmod: they reach exactly the file that was verified, never the target of a
    link planted meanwhile), and the name must still be that file (device and inode) just before
    and just after the rename; otherwise the task fails.
    """
    temp = _temp_name(release_dir, "bin")
    final = os.path.join(release_dir, binary_name)
    method = "hardlink"
    try:
        os.link(src, temp)
    except OSError as exc:
        if exc.errno not in _LINK_FALLBACK_ERRNOS:
            raise ReleaseError(f"linking {src} to {temp} failed: {exc.strerror or exc}") from None
        method = "copy"
        _copy_file(src, temp)
    try:
        # The file that becomes the release is hashed in place: src may not change in between.
        fd = _open_verified(
            temp,
            expected.digest,
            f"the staged binary {src} changed while it was being installed; run the task again",
        )
        try:
            verified = os.fstat(fd)
            os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)
            _check_still(temp, verified, release_dir)
            os.rename(temp, final)
            _check_still(final, verified, release_dir)
        finally:
            os.close(fd)
    finally:
        # rename() of a hard link over the same file leaves the source name: remove it in any case.
        with contextlib.suppress(OSError):
            os.unlink(temp)
    fsync_dir(release_dir)
    return method


def _open_no_follow(path, directory=False):
    """A read-only descriptor of ``path`` itself: a symbolic link is refused (ELOOP), a FIFO does not block."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NOCTTY | (os.O_DIRECTORY if directory else os.O_NONBLOCK)
    try:
        return os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ReleaseError(
                f"{path} is a symbolic link, so its owner and mode are not changed (that would change the file it "
                f"points to); something else writes to {os.path.dirname(path)}: keep owner root (the default) so "
                "that no other user can, remove the link and run again"
            ) from None
        if exc.errno == errno.ENOTDIR and directory:
            raise ReleaseError(f"{path} is not a directory; remove it and run again") from None
        raise ReleaseError(f"opening {path} to set its owner and mode failed: {exc.strerror or exc}") from None


def _check_kind(path, info, directory):
    wanted = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    if not wanted:
        raise ReleaseError(
            f"{path} is a {_kind(info.st_mode)}, not the {'directory' if directory else 'regular file'} this module "
            "made; its owner and mode are not changed: remove it and run again"
        )


def _fd_sha256(fd):
    """The sha256 hex digest of the file open at ``fd``, read from its start (the digests module's loop)."""
    with os.fdopen(os.dup(fd), "rb") as handle:
        handle.seek(0)
        digests, _size = readinto_digests(handle, ("sha256",), CHUNK_SIZE)
    return digests["sha256"]


def _open_verified(path, sha256, changed):
    """A descriptor of the regular file at ``path`` (not followed if it is a link) whose content has
    the sha256 ``sha256``. ``changed`` is the message when the content differs."""
    fd = _open_no_follow(path)
    try:
        info = os.fstat(fd)
        _check_kind(path, info, directory=False)
        try:
            os.set_blocking(fd, True)
            actual = _fd_sha256(fd)
        except OSError as exc:
            raise ReleaseError(f"reading {path} failed: {exc.strerror or exc}") from None
        if not digests_equal(actual, sha256):
            raise ReleaseError(
                f"{changed} ({path} has sha256 {actual}, expected {sha256}); its owner and mode were not changed",
                {"path": path, "expected": sha256, "actual": actual},
            )
        return fd
    except BaseException:
        os.close(fd)
        raise


def _check_still(path, verified, release_dir):
    """Fail unless ``path`` still names the file ``verified`` describes (same device and inode)."""
    info = _lstat(path)
    if info is None or (info.st_dev, info.st_ino) != (verified.st_dev, verified.st_ino):
        raise ReleaseError(
            f"{path} was replaced while it was being installed (it is no longer the verified file); something else "
            f"writes to {release_dir}: keep owner root (the default) so that no other user can, and run again"
        )


def _copy_file(src, dest):
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL  # never follows a symbolic link planted at dest
    try:
        with open(src, "rb") as reader:
            fd = os.open(dest, flags, 0o600)
            with os.fdopen(fd, "wb") as writer:
                shutil.copyfileobj(reader, writer)
                writer.flush()
                os.fsync(writer.fileno())
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(dest)
        raise ReleaseError(f"copying {src} to {dest} failed: {exc.strerror or exc}") from None


class RootLock:
    """An fcntl.flock() lock on ``<root>/.lock`` for the duration of a run.

    ``exclusive`` False takes a shared lock (check mode). ``create`` False does not create a
    missing lock file (check mode must not write anything); no lock is taken then.
    """

    def __init__(self, path, exclusive=True, create=True, timeout=60):
        self.path = path
        self.exclusive = exclusive
        self.create = create
        self.timeout = timeout
        self.fd = None

    def __enter__(self):
        flags = os.O_NOFOLLOW | (os.O_RDWR | os.O_CREAT if self.create else os.O_RDONLY)
        try:
            self.fd = os.open(self.path, flags, 0o600)
        except FileNotFoundError:
            if self.create:
                raise
            return self
        except OSError as exc:
            raise ReleaseError(f"opening the lock file {self.path} failed: {exc.strerror or exc}") from None
        operation = (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + max(self.timeout, 0)
        while True:
            try:
                fcntl.flock(self.fd, operation)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    self._close()
                    raise ReleaseError(f"locking {self.path} failed: {exc.strerror or exc}") from None
            if time.monotonic() >= deadline:
                self._close()
                raise ReleaseError(
                    f"another go_release run holds {self.path} (waited {self.timeout} s); wait for it to finish, "
                    "or raise lock_timeout"
                )
            time.sleep(0.05)

    def _close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __exit__(self, *exc_info):
        self._close()
        return False


# ---------------------------------------------------------------------------
# The two operations


class _Run:
    """Collects what a run does (or would do, in check mode)."""

    def __init__(self, check_mode):
        self.check_mode = check_mode
        self.actions = []
        self.warnings = []

    def do(self, description, function, *args):
        self.actions.append(description)
        if not self.check_mode:
            function(*args)


def _verify_src(src, expected, root, check_mode, run):
    """Verify the staged binary before anything is created. Returns its path or None (check mode only)."""
    staged = os.path.join(root, STAGING_DIR, expected.digest)
    if not src:
        raise ReleaseError(
            f"src is required with state=present; give the staged binary, normally {staged} (the role copies the "
            "verified artifact there first)"
        )
    info = None
    with contextlib.suppress(OSError):
        info = os.stat(src)
    if info is None:
        if check_mode:
            run.warnings.append(
                f"the staged binary {src} does not exist (in check mode the upload did not run); the release is "
                "reported as it would be installed, without verifying its checksum"
            )
            return None
        raise ReleaseError(
            f"the staged binary {src} does not exist; the role uploads it to {staged} first (copy the verified "
            "artifact there, then run go_release)"
        )
    if not stat.S_ISREG(info.st_mode):
        raise ReleaseError(f"src {src} is a {_kind(info.st_mode)}; give the staged binary file, normally {staged}")
    try:
        verify_file(src, expected)
    except DigestError as exc:
        raise ReleaseError(
            f"the staged binary {exc}; nothing was changed (upload the artifact again, or correct checksum)",
            {"path": src, "expected": expected.digest, "actual": exc.details.get("digest")},
        ) from None
    return src


def _release_digest(path, src_path, expected):
    """The sha256 of an installed binary; a hard link of the verified src is not hashed again."""
    if src_path is not None:
        with contextlib.suppress(OSError):
            one, two = os.stat(path), os.stat(src_path)
            if (one.st_dev, one.st_ino, one.st_size, one.st_mtime_ns) == (
                two.st_dev,
                two.st_ino,
                two.st_size,
                two.st_mtime_ns,
            ):
                return expected.digest
    try:
        return file_digest(path, "sha256").digest
    except DigestError as exc:
        raise ReleaseError(f"hashing the installed binary {path}: {exc}") from None


def _attributes_differ(path, uid, gid, mode):
    info = os.lstat(path)
    return (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) != (uid, gid, mode)


def _set_attributes(path, uid, gid, mode, sha256=None):
    """Set owner, group and mode of a release directory, or (with ``sha256``) of a release binary.

    Through a descriptor opened without following a symbolic link; a binary must have the content
    ``sha256`` names, so a link or another file put in its place is never changed.
    """
    if sha256 is None:
        fd = _open_no_follow(path, directory=True)
    else:
        fd = _open_verified(path, sha256, f"the release binary {path} is not the installed release")
    try:
        if sha256 is None:
            _check_kind(path, os.fstat(fd), directory=True)
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _diff(layout, before, after):
    return {
        "before": f"{before}\n" if before is not None else "",
        "after": f"{after}\n" if after is not None else "",
        "before_header": f"{layout.current} (symbolic link target)",
        "after_header": f"{layout.current} (symbolic link target)",
    }


def _switch_text(layout, link, canonical):
    if link.target is None:
        return f"create {layout.current} -> {canonical}"
    return f"switch {layout.current}: {link.target} -> {canonical}"


def _clean_leftovers(layout, run):
    for path in find_temp_files(layout):
        run.do(f"remove {path} (left over by an interrupted run)", _remove, path)


def _report_inventory(layout, inv, run, remove_empty, reuse=None):
    for version in inv.adopted:
        run.actions.append(f"record release {version} (installed but not in {layout.state})")
    for version in inv.forgotten:
        run.actions.append(f"forget release {version} ({layout.release_dir(version)} holds no binary)")
    for version in inv.empty_dirs:
        if remove_empty and version != reuse:
            run.do(f"remove the empty directory {layout.release_dir(version)}", os.rmdir, layout.release_dir(version))
    for name in inv.strays:
        if name == reuse:
            continue
        run.warnings.append(
            f"{os.path.join(layout.releases, name)} is not a release this module knows (no binary, or not a "
            "directory); it is left alone"
        )


def install_release(params, check_mode=False):
    """``state=present``. See the module documentation for the behaviour."""
    run = _Run(check_mode)
    root = check_root(params.get("root"))
    version = check_name(params.get("version"), "version", "1.4.2")
    binary_name = check_name(params.get("binary_name"), "binary_name", "myservice")
    expected = parse_checksum(params.get("checksum"))
    mode = parse_mode(params.get("mode", "0755"))
    uid = resolve_owner(params.get("owner", "root"))
    gid = resolve_group(params.get("group", "root"))
    keep = params.get("keep", 3)
    if not isinstance(keep, int) or keep < 1:
        raise ReleaseError(f"keep must be at least 1, got {keep!r}; the current and previous releases are always kept")
    switch = params.get("switch", True)
    layout = Layout(root)

    # Without src, the release must already be installed (a re-run that skipped the upload): its installed
    # binary is then hashed again below and must match checksum.
    src = _verify_src(params.get("src"), expected, root, check_mode, run) if params.get("src") else None

    root_info = _lstat(root)
    if src is None and not params.get("src") and root_info is None:
        _verify_src(None, expected, root, check_mode, run)
    if root_info is None:
        run.do(f"create {root}", make_dirs, root)
    elif not os.path.isdir(root):
        raise ReleaseError(f"root {root} is a {_kind(root_info.st_mode)}, not a directory; give the release root")

    with RootLock(layout.lock, exclusive=not check_mode, create=not check_mode, timeout=params.get("lock_timeout", 60)):
        _clean_leftovers(layout, run)
        state, _existed = read_state(layout, binary_name)
        link = read_current(layout)
        inv = inventory(layout, state, binary_name, link.version)
        installed = {release.version: release for release in inv.releases}
        status = current_status(link, installed)
        previous_version = link.version if status == "ok" else None
        if status in ("dangling", "foreign"):
            run.warnings.append(
                f"{layout.current} points at {link.target!r}, which is not an installed release"
                + ("; it is switched to the new release" if switch else "; switch is false, it is left as it is")
            )
        elif status == "missing" and not switch:
            run.warnings.append(f"{layout.current} does not exist; switch is false, so it is not created")

        release_dir = layout.release_dir(version)
        binary_path = layout.binary(version, binary_name)
        releases = list(inv.releases)
        existing = installed.get(version)
        if existing is None and not params.get("src"):
            raise ReleaseError(
                f"src is required with state=present while release {version} is not installed; give the staged "
                f"binary, normally {os.path.join(root, STAGING_DIR, expected.digest)} (the role copies it there)"
            )
        if existing is not None:
            if existing.binary_name != binary_name:
                raise ReleaseError(
                    f"release {version} is installed with the binary {existing.binary_name!r}, not {binary_name!r}; "
                    f"releases are immutable: bump go_service_version or remove {release_dir}"
                )
            actual = _release_digest(binary_path, src, expected)
            if not digests_equal(actual, existing.sha256):
                raise ReleaseError(
                    f"the binary {binary_path} of release {version} was modified after it was installed: recorded "
                    f"sha256 {existing.sha256}, actual {actual}; remove {release_dir} to install it again",
                    {"path": binary_path, "expected": existing.sha256, "actual": actual},
                )
            if not digests_equal(actual, expected.digest):
                raise ReleaseError(
                    f"release {version} already installed with sha256 {actual}; releases are immutable: bump "
                    f"go_service_version or remove {release_dir} (checksum is sha256:{expected.digest})",
                    {"path": binary_path, "expected": expected.digest, "actual": actual},
                )
            if version in inv.adopted:
                # Installed by an interrupted run (or before the state file existed): record it now, as newest.
                releases = [release for release in releases if release.version != version]
                releases.append(Release(version, actual, utc_now(), binary_name))
        _report_inventory(layout, inv, run, remove_empty=True, reuse=version)

        install_method = None
        release_info = _lstat(release_dir)
        if release_info is not None and not stat.S_ISDIR(release_info.st_mode):
            raise ReleaseError(
                f"{release_dir} is a {_kind(release_info.st_mode)}, not a release directory; remove it and run again"
            )
        binary_info = _lstat(binary_path)
        if existing is None and binary_info is not None:
            raise ReleaseError(
                f"{binary_path} is a {_kind(binary_info.st_mode)}, not the release binary; releases are immutable: "
                f"bump go_service_version or remove {release_dir}"
            )
        if existing is None:
            if not _is_real_dir(layout.releases):
                if _lstat(layout.releases) is not None and not os.path.isdir(layout.releases):
                    raise ReleaseError(f"{layout.releases} is not a directory; move it out of the way")
                if _lstat(layout.releases) is None:
                    run.do(f"create {layout.releases}", make_dir, layout.releases)
            if release_info is None:
                run.do(f"create {release_dir}", make_dir, release_dir, uid, gid)
            elif _attributes_differ(release_dir, uid, gid, DIR_MODE):
                run.do(
                    f"set owner, group and mode 0755 of {release_dir}", _set_attributes, release_dir, uid, gid, DIR_MODE
                )
            run.actions.append(f"install {binary_path} from {params.get('src')}")
            if not check_mode:
                install_method = place_binary(src, release_dir, binary_name, expected, uid, gid, mode)
            releases.append(Release(version, expected.digest, utc_now(), binary_name))
        else:
            if _attributes_differ(release_dir, uid, gid, DIR_MODE):
                run.do(
                    f"set owner, group and mode 0755 of {release_dir}", _set_attributes, release_dir, uid, gid, DIR_MODE
                )
            if _attributes_differ(binary_path, uid, gid, mode):
                run.do(
                    f"set owner, group and mode {oct(mode)[2:].zfill(4)} of {binary_path}",
                    _set_attributes,
                    binary_path,
                    uid,
                    gid,
                    mode,
                    actual,
                )

        canonical = f"{RELEASES_DIR}/{version}"
        relink = switch and link.target != canonical
        switched = switch and previous_version != version
        current_version = version if switch else previous_version
        switched_from, rolled_back = state.switched_from, state.rolled_back
        if switched:
            switched_from, rolled_back = previous_version, None

        # Prune by install order; never the current, the previous (rollback target) or this release.
        versions = [release.version for release in releases]
        protected = {version, previous_version, current_version}
        protected.add(rollback_target(releases, current_version, switched_from))
        kept_by_count = set(versions[-keep:])
        pruned = [v for v in versions if v not in kept_by_count and v not in protected]
        if inv.adopted:
            # Releases the record does not list were taken in by hashing their binaries on disk and guessing
            # their order: the order (and so what is old) is not known. Nothing is pruned on such a record.
            pruned = []
            run.warnings.append(
                f"{layout.state} did not list the installed release(s) {', '.join(inv.adopted)} (the record was"
                " missing, or a run was interrupted): their digests were read from the binaries on disk and"
                " trusted as they are, and their order was guessed from the version numbers. Nothing was pruned."
                f" Check those digests against the published checksums; {layout.state_backup}, when present, holds"
                " the record before its last change"
            )
        releases = [release for release in releases if release.version not in pruned]
        new_state = State(releases, switched_from, rolled_back)
        if new_state.as_json() != state.as_json():
            run.do(f"write {layout.state}", write_state, layout, new_state)
        if relink:
            run.do(_switch_text(layout, link, canonical), switch_current, layout, version)
        for old in pruned:
            run.do(f"remove release {old} ({layout.release_dir(old)})", _remove_release, layout, old)
        pruned_staging = []
        referenced = {release.sha256 for release in releases} | {expected.digest}
        src_real = os.path.realpath(src) if src else None
        for name in _listdir(layout.staging):
            path = os.path.join(layout.staging, name)
            if (
                _SHA256.match(name)
                and name not in referenced
                and _is_regular(path)
                and os.path.realpath(path) != src_real
            ):
                pruned_staging.append(path)
                run.do(f"remove the staged file {path} (no kept release uses it)", os.unlink, path)

    result = {
        "changed": bool(run.actions),
        "previous_version": previous_version,
        "current_version": current_version,
        "current_was": status,
        "release_dir": release_dir,
        "binary_path": binary_path,
        "sha256": expected.digest,
        "installed": existing is None,
        "install_method": install_method,
        "switched": switched,
        "pruned": pruned,
        "pruned_staging": pruned_staging,
        "releases": [release.as_result() for release in releases],
        "actions": run.actions,
        "warnings": run.warnings,
        "diff": _diff(layout, link.target, canonical if switch else link.target),
    }
    return result


def _remove_release(layout, version):
    """Remove ``releases/<version>``: renamed to a temporary name first, so it disappears at once."""
    path = layout.release_dir(version)
    if not _is_real_dir(path):
        return
    temp = _temp_name(layout.releases, "prune")
    os.rename(path, temp)
    shutil.rmtree(temp)


def rollback_release(params, check_mode=False):
    """``state=rollback``. See the module documentation for the behaviour."""
    run = _Run(check_mode)
    root = check_root(params.get("root"))
    layout = Layout(root)
    requested = params.get("version")
    if requested is not None:
        check_name(requested, "version", "1.4.2")
    binary_hint = params.get("binary_name")
    if binary_hint is not None:
        check_name(binary_hint, "binary_name", "myservice")
    pinned = parse_checksum(params.get("checksum")) if params.get("checksum") is not None else None
    if not os.path.isdir(root):
        raise ReleaseError(
            f"root {root} does not exist or is not a directory; nothing was installed there to roll back to"
        )

    with RootLock(layout.lock, exclusive=not check_mode, create=not check_mode, timeout=params.get("lock_timeout", 60)):
        _clean_leftovers(layout, run)
        state, _existed = read_state(layout, binary_hint)
        link = read_current(layout)
        inv = inventory(layout, state, binary_hint, link.version)
        installed = {release.version: release for release in inv.releases}
        status = current_status(link, installed)
        previous_version = link.version if status == "ok" else None
        listing = ", ".join(release.version for release in inv.releases) or "none"
        rolled_back = state.rolled_back
        if requested is not None:
            if requested not in installed:
                raise ReleaseError(
                    f"release {requested} is not installed under {layout.releases} (installed, oldest first: "
                    f"{listing}); give one of those as version"
                )
            target = requested
        elif status != "ok":
            raise ReleaseError(
                f"{layout.current} is {status}"
                + (f" (it points at {link.target!r})" if link.target else "")
                + f", so there is no previous release to infer; give version (installed, oldest first: {listing})"
            )
        elif rolled_back and rolled_back.get("to") == link.version:
            target = link.version
            run.warnings.append(
                f"{layout.current} was already rolled back from {rolled_back.get('from')} to {link.version}; nothing "
                "to do (give version to go further back)"
            )
        else:
            target = rollback_target(inv.releases, link.version, state.switched_from)
            if target is None:
                raise ReleaseError(
                    f"release {link.version} is the oldest installed release; there is nothing to roll back to "
                    f"(installed: {listing})"
                )
        release = installed[target]
        binary_path = layout.binary(target, release.binary_name)
        try:
            actual = file_digest(binary_path, "sha256").digest
        except DigestError as exc:
            raise ReleaseError(f"hashing the binary of release {target}: {exc}") from None
        if not digests_equal(actual, release.sha256):
            raise ReleaseError(
                f"the binary {binary_path} of release {target} does not match the sha256 recorded when it was "
                f"installed: recorded {release.sha256}, actual {actual}; it was modified, so it is not switched to. "
                f"Roll back to another release, or remove {layout.release_dir(target)} and install it again",
                {"path": binary_path, "expected": release.sha256, "actual": actual},
            )
        if pinned is not None and not digests_equal(actual, pinned.digest):
            raise ReleaseError(
                f"release {target} has sha256 {actual}, not the checksum sha256:{pinned.digest}; correct checksum "
                "or roll back to the release it names",
                {"path": binary_path, "expected": pinned.digest, "actual": actual},
            )
        _report_inventory(layout, inv, run, remove_empty=False)
        canonical = f"{RELEASES_DIR}/{target}"
        switched = previous_version != target
        if switched:
            rolled_back = {"from": previous_version, "to": target, "at": utc_now()}
        new_state = State(inv.releases, state.switched_from, rolled_back)
        if new_state.as_json() != state.as_json():
            run.do(f"write {layout.state}", write_state, layout, new_state)
        if link.target != canonical:
            run.do(_switch_text(layout, link, canonical), switch_current, layout, target)

    return {
        "changed": bool(run.actions),
        "previous_version": previous_version,
        "current_version": target,
        "current_was": status,
        "rolled_back_from": previous_version if switched else None,
        "release_dir": layout.release_dir(target),
        "binary_path": binary_path,
        "sha256": actual,
        "installed": False,
        "install_method": None,
        "switched": switched,
        "pruned": [],
        "pruned_staging": [],
        "releases": [item.as_result() for item in inv.releases],
        "actions": run.actions,
        "warnings": run.warnings,
        "diff": _diff(layout, link.target, canonical),
    }


__all__: List[str] = [
    "CURRENT_LINK",
    "LOCK_FILE",
    "RELEASES_DIR",
    "STAGING_DIR",
    "STATE_BACKUP_FILE",
    "STATE_FILE",
    "TEMP_PREFIX",
    "CurrentLink",
    "Inventory",
    "Layout",
    "Release",
    "ReleaseError",
    "RootLock",
    "State",
    "check_name",
    "check_root",
    "current_status",
    "find_temp_files",
    "install_release",
    "inventory",
    "natural_key",
    "parse_checksum",
    "parse_mode",
    "place_binary",
    "read_current",
    "read_state",
    "resolve_group",
    "resolve_owner",
    "rollback_release",
    "rollback_target",
    "switch_current",
    "write_state",
]


# read_state needs a binary name for records written before binary_name was kept; facts do not use it.
_FACTS_BINARY = "binary"


def release_facts(root, state=None):
    """The release tree under ``root`` as go_release keeps it: its record (``state``, by default
    ``<root>/.releases.json``) and ``current`` link, read by go_release's own strict readers; what they
    refuse is reported in ``error``. The one reader of the record for service_facts and service_probe."""
    layout = Layout(root)
    if state:
        layout.state = state
    facts = {
        "root": root,
        "exists": os.path.isdir(root),
        "recorded": os.path.lexists(layout.state),
        "current": None,
        "releases": [],
        "switched_from": None,
        "error": None,
    }
    if not facts["exists"]:
        return facts
    try:
        state, _existed = read_state(layout, _FACTS_BINARY)
        link = read_current(layout)
    except ReleaseError as exc:
        facts["error"] = str(exc)
        return facts
    installed = set()
    for release in state.releases:
        if os.path.isfile(layout.binary(release.version, release.binary_name)):
            installed.add(release.version)
            facts["releases"].append(release.as_result())
    facts["current"] = link.version if link.version in installed else None
    facts["switched_from"] = state.switched_from
    return facts


#: The options of gosvc.hardening.go_release (its DOCUMENTATION describes them; one place for every module:
#: the module_utils file that implements it, see docs/architecture.md).
ARGUMENT_SPEC = dict(
    root=dict(type="path", required=True),
    state=dict(type="str", choices=["present", "rollback", "snapshot"], default="present"),
    version=dict(type="str"),
    src=dict(type="path"),
    local_src=dict(type="path"),
    checksum=dict(type="str"),
    binary_name=dict(type="str"),
    owner=dict(type="str", default="root"),
    group=dict(type="str", default="root"),
    mode=dict(type="raw", default="0755"),
    keep=dict(type="int", default=3),
    switch=dict(type="bool", default=True),
    lock_timeout=dict(type="int", default=60),
    files=dict(type="list", elements="path", default=[]),
    probes=dict(type="dict", default={}),
    restore=dict(type="bool", default=False),
)
