# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the tests of the input rules."""

from __future__ import annotations

import json

import pytest
from support import RoleVars
from test_inputs import GOOD, ROOT


@pytest.fixture(scope="module")
def role_inputs():
    """go_service's inputs (``__go_service_inputs``) rendered from the role's own files with GOOD's settings."""
    rendered = RoleVars(ROOT / "roles" / "go_service").render("{{ __go_service_inputs }}", **GOOD)
    return json.loads(json.dumps(rendered))
