# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: hmac_key
author: gosvc.hardening contributors (@gosvc)
version_added: 0.1.0
short_description: A random key kept in a file on the controller, created on first use
description:
  - Returns the key stored in the file given as the term, creating the file (and its directory, mode 0700) with a
    new random key (32 bytes from C(secrets), URL-safe base64, 43 characters) when it does not exist.
  - The file is created mode 0600 under a temporary name and hard-linked into place, so that many workers
    asking at once all get the same key, without a lock and without waiting. After that every call is one read.
  - The go_service role keys the HMAC of the configuration files that preflight reads with it, so that a task
    result never carries a plain digest of the environment file's secrets.
  - "Unlike C(ansible.builtin.password), which this replaces for the purpose: that lookup takes a lock file on
    every call and a process that finds it taken sleeps one second, then two, then fails, so five forks
    asking at once stall each other."
options:
  _terms:
    description: The path of the key file on the controller (one term; C(~) is expanded).
    required: true
    type: list
    elements: path
notes:
  - A file that exists but holds no usable key (fewer than 32 characters) fails the lookup; delete it and a new
    key is made. A directory that cannot be written fails it as well.
  - An existing key is only used when nobody else could have read or chosen it. The lookup fails, naming the file
    and the fix, when the key file is a symbolic link (it is not followed), is not a regular file, does not belong
    to the user running Ansible (fix with C(chown) or delete it), or grants group or others any access (fix with
    C(chmod 600 <file>)); and when its directory belongs to another user than that user or root, or is writable by
    group or others (fix with C(chmod 700 <directory>)). The go_service role calls the lookup with
    C(errors='ignore'), so such a refusal makes it compare the configuration files on the hosts instead.
"""

EXAMPLES = r"""
- name: Read the host's configuration files with an HMAC under the controller's key
  gosvc.hardening.service_facts:
    files: [/etc/demo/demo.env]
    digest_key: "{{ lookup('gosvc.hardening.hmac_key', '~/.cache/gosvc-hardening/artifacts/.config-digest-key') }}"
  register: host
"""

RETURN = r"""
_raw:
  description: The key, one element.
  type: list
  elements: str
"""

import contextlib
import errno
import os
import secrets
import stat
import tempfile

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase

MIN_LENGTH = 32
#: Larger than any key this lookup writes; a bigger file is not read.
MAX_LENGTH = 4096


def _check_directory(directory):
    """Refuse a key directory that someone other than the user (or root) could write into or own.

    Another user who can write there could swap the key file (rename and replace need only the
    directory's write permission, whatever the file's own mode).
    """
    info = os.stat(directory)
    uid = os.geteuid()
    if info.st_uid not in (uid, 0):
        raise AnsibleLookupError(
            f"hmac_key: the directory {directory} of the key file belongs to uid {info.st_uid}, not to the user "
            f"running Ansible (uid {uid}) or root; keep the key in a directory of your own (the role uses the "
            "artifact cache, mode 0700)"
        )
    if info.st_mode & 0o022:
        raise AnsibleLookupError(
            f"hmac_key: the directory {directory} of the key file is writable by group or others (mode "
            f"{stat.S_IMODE(info.st_mode):04o}), so another user could replace the key; run chmod 700 {directory}"
        )


def _read(path):
    """The key in ``path``, which must be a regular file of the user's own, readable by nobody else."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise AnsibleLookupError(
                f"hmac_key: the key file {path} is a symbolic link, which is not followed (whoever can change the "
                "link chooses the key); replace it with the file itself, or delete it and a new key is made"
            ) from None
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        uid = os.geteuid()
        if not stat.S_ISREG(info.st_mode):
            raise AnsibleLookupError(
                f"hmac_key: the key file {path} is not a regular file; delete it and a new key is made"
            )
        if info.st_uid != uid:
            raise AnsibleLookupError(
                f"hmac_key: the key file {path} belongs to uid {info.st_uid}, not to the user running Ansible "
                f"(uid {uid}); the owner must be the controller user: run chown {uid} {path}, or delete it and a "
                "new key is made"
            )
        if info.st_mode & 0o077:
            raise AnsibleLookupError(
                f"hmac_key: the key file {path} is accessible by group or others (mode "
                f"{stat.S_IMODE(info.st_mode):04o}); run chmod 600 {path} (and delete it, so that a new key is made, "
                "if others may have read it)"
            )
        data = handle.read(MAX_LENGTH + 1)
    if len(data) > MAX_LENGTH:
        raise AnsibleLookupError(
            f"hmac_key: {path} is larger than {MAX_LENGTH} bytes, so it is not a key this lookup wrote; delete it "
            "and a new one is made"
        )
    try:
        key = data.decode("ascii").strip()
    except UnicodeDecodeError:
        key = ""
    if len(key) < MIN_LENGTH:
        raise AnsibleLookupError(
            f"hmac_key: {path} holds no usable key ({len(key)} characters, {MIN_LENGTH} or more wanted); "
            "delete it and a new one is made"
        )
    return key


def read_or_create(path):
    """The key in ``path``; created first (atomically, never overwritten) when the file does not exist."""
    directory = os.path.dirname(path) or "."
    try:
        _check_directory(directory)
        return _read(path)
    except FileNotFoundError:
        pass
    os.makedirs(directory, mode=0o700, exist_ok=True)
    _check_directory(directory)
    fd, tmp = tempfile.mkstemp(prefix=".hmac-key.", dir=directory)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # Fails if another process made it first: then its key is the key.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return _read(path)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        # No options besides the path: nothing to set_options() from (which also needs the plugin loader's
        # name on ansible-core < 2.19).
        if kwargs:
            raise AnsibleLookupError(f"hmac_key: takes only the path, not {', '.join(sorted(kwargs))}")
        if len(terms) != 1:
            raise AnsibleLookupError(f"hmac_key: give exactly one path, got {len(terms)}")
        path = os.path.expanduser(to_native(terms[0]))
        try:
            return [read_or_create(path)]
        except OSError as exc:
            raise AnsibleLookupError(
                f"hmac_key: cannot read or create the key file {path} on the controller: {to_native(exc)}"
            ) from exc
