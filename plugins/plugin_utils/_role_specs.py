# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options a role of this collection declares, read from its ``meta/argument_specs.yml`` (every
entry point): the names a variable of that role may have. Controller side."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"


@functools.cache
def role_options(role):
    """The option names of every entry point of ``role`` (a frozenset)."""
    # A safe loader, libyaml's when PyYAML has it: each task's worker process reads the file again.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(ROLES / role / "meta" / "argument_specs.yml", encoding="utf-8") as handle:
        specs = yaml.load(handle, Loader=loader)["argument_specs"]
    return frozenset(name for entry in specs.values() for name in (entry.get("options") or {}))
