# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_service_config.diff_of hands mask_env the right text and the right keys on each side.

diff_of masks the old file (``before``) and the new one (``after``) with the secret keys, and
marks in ``after`` only the secrets whose text changed. Each test below has an outcome that a
mix-up of those arguments changes: ``before`` and ``after`` swapped, or the secret keys and the
changed keys swapped, on either side. The environment files are rendered from the go_service
role's own env.j2 (support.RoleVars), as the role writes them. Secret values are made of the
letters q and z, which nothing else in the files holds (the template's header aside).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import RoleVars, render_env_file

from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import (
    MASK,
    FileSpec,
    Plan,
    diff_of,
    unified,
)

ROLE = Path(__file__).resolve().parents[4] / "roles" / "go_service"
PATH = "/etc/demo/demo.env"


@pytest.fixture(scope="module")
def env_file():
    role_vars = RoleVars(ROLE)

    def render(env, secret):
        return render_env_file(role_vars, env, secret)

    return render


def diff(before, after, keys):
    """The diff record of writing ``after`` over ``before`` (None: no file), ``keys`` secret."""
    spec = FileSpec("env", PATH, None if after is None else after.encode(), secret_keys=frozenset(keys))
    old = None if before is None else before.encode()
    return diff_of(Plan(spec, before is not None, old, True, False))


def body(text):
    """The lines after the template's comment header."""
    return [line for line in text.splitlines() if not line.startswith("#")]


def leaks(record):
    return [line for line in body(record["before"]) + body(record["after"]) if "q" in line or "z" in line]


def test_a_first_install_shows_every_secret_masked_and_nothing_as_changed(env_file):
    after = env_file({"A_ADDR": "127.0.0.1:8080"}, {"TOKEN": "qzqz", "TLS_KEY": "q\nz\nq"})
    record = diff(None, after, {"TOKEN", "TLS_KEY"})
    assert leaks(record) == []
    assert (record["before_header"], record["before"]) == ("(absent)", "")
    assert record["after_header"] == PATH
    # A secret seen for the first time did not "change": only a secret on both sides can.
    assert body(record["after"]) == ['A_ADDR="127.0.0.1:8080"', f"TLS_KEY={MASK}", f"TOKEN={MASK}"]


def test_an_unchanged_secret_next_to_a_changed_value_shows_only_the_value(env_file):
    secret = {"TLS_KEY": "q\nqz\nzz", "TOKEN": "zqzq"}
    before = env_file({"A_ADDR": "127.0.0.1:8080", "B_MODE": "x"}, secret)
    after = env_file({"A_ADDR": "127.0.0.1:8080", "B_MODE": "y"}, secret)
    record = diff(before, after, set(secret))
    assert leaks(record) == []
    assert body(record["before"]) == ['A_ADDR="127.0.0.1:8080"', 'B_MODE="x"', f"TLS_KEY={MASK}", f"TOKEN={MASK}"]
    assert body(record["after"]) == ['A_ADDR="127.0.0.1:8080"', 'B_MODE="y"', f"TLS_KEY={MASK}", f"TOKEN={MASK}"]
    changes = [line for line in unified(record).splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    assert changes == ['-B_MODE="x"', '+B_MODE="y"']


def test_a_changed_secret_is_marked_in_after_only_and_before_is_the_old_file(env_file):
    before = env_file({"A_ADDR": "old"}, {"TLS_KEY": "q\nz", "TOKEN": "qq"})
    after = env_file({"A_ADDR": "new"}, {"TLS_KEY": "z\nq", "TOKEN": "qq"})
    record = diff(before, after, {"TLS_KEY", "TOKEN"})
    assert leaks(record) == []
    assert body(record["before"]) == ['A_ADDR="old"', f"TLS_KEY={MASK}", f"TOKEN={MASK}"]
    assert body(record["after"]) == ['A_ADDR="new"', f"TLS_KEY={MASK} (changed)", f"TOKEN={MASK}"]


def test_a_removed_file_shows_its_secrets_masked(env_file):
    before = env_file({"A_ADDR": "127.0.0.1:8080"}, {"TOKEN": "qzqz"})
    record = diff(before, None, {"TOKEN"})
    assert leaks(record) == []
    assert body(record["before"]) == ['A_ADDR="127.0.0.1:8080"', f"TOKEN={MASK}"]
    assert (record["after_header"], record["after"]) == ("(absent)", "")


def test_a_secret_added_and_one_removed_are_not_marked_changed(env_file):
    before = env_file({}, {"OLD_TOKEN": "qz"})
    after = env_file({}, {"NEW_TOKEN": "zq"})
    record = diff(before, after, {"OLD_TOKEN", "NEW_TOKEN"})
    assert leaks(record) == []
    assert body(record["before"]) == [f"OLD_TOKEN={MASK}"]
    assert body(record["after"]) == [f"NEW_TOKEN={MASK}"]


def test_the_unified_diff_names_both_sides(env_file):
    """unified() heads the diff with the file's path, or (absent) for a side without the file."""
    after = env_file({"A_ADDR": "127.0.0.1:8080"}, {})
    text = unified(diff(None, after, set()))
    assert text.startswith(f"--- (absent)\n+++ {PATH}\n")
    assert unified(diff(after, None, set())).startswith(f"--- {PATH}\n+++ (absent)\n")
