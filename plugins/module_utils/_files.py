# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small file-system steps shared by the modules that write on the target (standard library only)."""

from __future__ import annotations

import os


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
