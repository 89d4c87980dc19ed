# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small file-system steps shared by the code that writes files: directories, atomic writes (standard library only)."""

from __future__ import annotations

import contextlib
import grp
import hashlib
import os
import pwd
import stat
import tempfile

from ansible_collections.gosvc.hardening.plugins.module_utils._digests import DigestError, digests_equal, file_digest


def _name(lookup, number):
    """The name pwd.getpwuid or grp.getgrgid gives ``number``, or the number when it has none."""
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def user_name(uid):
    """The name of the user ``uid``, or the number when no account has it."""
    return _name(pwd.getpwuid, uid)


def owner_names(st):
    """``(owner name, group name, mode)`` of an ``os.stat``/``lstat`` result, names falling back to numbers."""
    return _name(pwd.getpwuid, st.st_uid), _name(grp.getgrgid, st.st_gid), stat.S_IMODE(st.st_mode)


def make_dirs(path, mode=0o755):
    """Create ``path`` and its missing parents, each with exactly ``mode`` whatever the umask.

    ``os.makedirs(path, mode)`` applies ``mode`` (less the umask) to the last directory only: under
    umask 077 the parents of /opt/<name> would be 0700, under umask 000 the last one 0777. A directory
    that appears meanwhile (another run) is taken as it is; a file in the way raises FileExistsError.
    """
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, mode)
        except FileExistsError:
            if not os.path.isdir(directory):
                raise
            continue
        os.chmod(directory, mode)


#: Temporary files start with this; a run that was interrupted leaves them for the next to remove.
TMP_PREFIX = ".tmp-"


def unlink_if_there(path):
    """Remove ``path``; one that is already gone is fine."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def fsync_dir(path):
    """Flush ``path``'s directory entries (a rename in it) to disk, where the file system can."""
    fd = os.open(path, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


class TempFile:
    """A temporary file in ``directory``, removed unless :meth:`install` renamed it into place."""

    def __init__(self, directory):
        fd, self.path = tempfile.mkstemp(prefix=TMP_PREFIX, dir=directory)
        self.handle = os.fdopen(fd, "wb")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.discard()

    def discard(self):
        """Close the file and remove it, unless :meth:`install` renamed it into place."""
        self.handle.close()
        if self.path is not None:
            unlink_if_there(self.path)

    def finish(self, mode):
        """Flush the content to disk and give the file ``mode``."""
        self.handle.flush()
        os.fsync(self.handle.fileno())
        os.fchmod(self.handle.fileno(), mode)
        self.handle.close()

    def install(self, final):
        """Rename the file over ``final`` (atomic on one file system) and flush the directory."""
        os.replace(self.path, final)
        self.path = None
        fsync_dir(os.path.dirname(final))


def same_file(path, sha256, mode):
    """Whether ``path`` is a regular file with this sha256 and permission bits."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != mode:
        return False
    try:
        return digests_equal(file_digest(path, "sha256").digest, sha256)
    except DigestError:
        return False


def write_bytes(final, data, mode=0o644):
    """Write ``data`` to ``final`` atomically unless it already holds exactly that; return whether it wrote.

    A temporary file beside ``final``, fsynced, given ``mode`` and renamed over it; the directory is
    fsynced too. Used for the artifact cache and the verify role's report files.
    """
    if same_file(final, hashlib.sha256(data).hexdigest(), mode):
        return False
    with TempFile(os.path.dirname(final)) as temp:
        temp.handle.write(data)
        temp.finish(mode)
        temp.install(final)
    return True
