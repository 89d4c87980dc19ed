# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_service_config.unchanged: the controller says "nothing would change" only when it can tell."""

from __future__ import annotations

from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import (
    FileSpec,
    content_mac,
    unchanged,
)

KEY = "key"
UNIT = FileSpec("unit", "/etc/systemd/system/demo.service", b"[Unit]\n")
GONE = FileSpec("overrides", "/etc/systemd/system/demo.service.d/50-gosvc-overrides.conf", None)
DIRS = [("/etc/demo", "root", "demo", 0o750)]


def seen_file(content=b"[Unit]\n", key=KEY, **over):
    facts = {"exists": True, "type": "file", "owner": "root", "group": "root", "mode": "0644"}
    facts["hmac"] = content_mac(key, content)
    facts.update(over)
    return facts


def observed(**over):
    base = {
        UNIT.path: seen_file(),
        GONE.path: {"exists": False},
        "/etc/demo": {"exists": True, "type": "directory", "owner": "root", "group": "demo", "mode": "0750"},
    }
    base.update(over)
    return base


def test_everything_as_wanted():
    assert unchanged([UNIT, GONE], DIRS, observed(), KEY)


def test_it_says_no_whenever_it_cannot_tell_or_something_differs():
    cases = [
        observed(**{UNIT.path: {"exists": None, "error": "Permission denied"}}),  # unreadable
        {k: v for k, v in observed().items() if k != UNIT.path},  # not read at all
        observed(**{UNIT.path: seen_file(content=b"[Unit]\nX=1\n")}),
        observed(**{UNIT.path: seen_file(key="other")}),
        observed(**{UNIT.path: {k: v for k, v in seen_file().items() if k != "hmac"}}),  # too large to hash
        observed(**{UNIT.path: seen_file(mode="0664")}),
        observed(**{UNIT.path: seen_file(owner="demo")}),
        observed(**{UNIT.path: seen_file(type="other")}),
        observed(**{GONE.path: seen_file()}),  # a drop-in that must go is there
        observed(**{"/etc/demo": {"exists": False}}),
        observed(**{"/etc/demo": dict(observed()["/etc/demo"], group="root")}),
    ]
    for case in cases:
        assert not unchanged([UNIT, GONE], DIRS, case, KEY), case
    assert not unchanged([UNIT, GONE], DIRS, observed(), "")  # no key, no comparison


def test_observe_never_opens_what_is_not_a_regular_file(tmp_path):
    import os

    from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import observe

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it for reading would block
    assert observe(str(fifo), KEY)["type"] == "other"
    target = tmp_path / "target"
    target.write_bytes(b"x")
    link = tmp_path / "link"
    link.symlink_to(target)
    seen = observe(str(link), KEY)
    assert seen["type"] == "other" and "hmac" not in seen  # the link itself, not followed
    assert observe(str(target), KEY)["hmac"] == content_mac(KEY, b"x")
    assert observe(str(tmp_path / "absent"), KEY) == {"exists": False}


def test_a_file_that_must_not_exist_does_not_end_the_comparison():
    """A file wanted absent, and absent, is checked like the others: a later difference still counts."""
    assert unchanged([GONE, UNIT], DIRS, observed(), KEY)
    assert not unchanged([GONE, UNIT], DIRS, observed(**{UNIT.path: seen_file(mode="0664")}), KEY)
