# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report files written on the controller (gosvc.hardening.report_files): options and atomic writes."""

from __future__ import annotations

import re

from ansible_collections.gosvc.hardening.plugins.module_utils._files import write_bytes

ARGUMENT_SPEC = {
    "dir": {"type": "path", "required": True},
    "files": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {
            "name": {"type": "str", "required": True},
            "content": {"type": "str", "required": True},
        },
    },
    "mode": {"type": "str", "default": "0644"},
    "remove": {"type": "list", "elements": "str", "default": []},
}

#: A report file name: no directory part, no hidden file.
NAME_RE = re.compile(r"^[A-Za-z0-9_@-][A-Za-z0-9_.@-]*\Z")


def write_atomically(path: str, data: bytes, mode: int) -> bool:
    """Write ``data`` to ``path`` through a temporary file and a rename; return whether it changed."""
    return write_bytes(path, data, mode)
