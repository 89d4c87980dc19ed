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
import os
import secrets
import tempfile

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase

MIN_LENGTH = 32


def _read(path):
    with open(path, encoding="ascii") as handle:
        key = handle.read().strip()
    if len(key) < MIN_LENGTH:
        raise AnsibleLookupError(
            f"hmac_key: {path} holds no usable key ({len(key)} characters, {MIN_LENGTH} or more wanted); "
            "delete it and a new one is made"
        )
    return key


def read_or_create(path):
    """The key in ``path``; created first (atomically, never overwritten) when the file does not exist."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
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
