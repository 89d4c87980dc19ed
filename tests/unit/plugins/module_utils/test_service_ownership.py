# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What of a service's layout the go_service role wrote: service_facts' ownership and the claims rule.

Real trees in a temporary directory: the release tree installed by go_release's own code, the files
carrying the header the role's templates write, and a foreign service's files (an ``ssh``-like
package: its configuration directory, a directory under the base dir, a unit loaded from /lib).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import install_release_tree

from ansible_collections.gosvc.hardening.plugins.filter.service_ownership import service_ownership
from ansible_collections.gosvc.hardening.plugins.module_utils import _service_facts as f

ROLE = Path(__file__).resolve().parents[4] / "roles" / "go_service"
MARKER = "by gosvc.hardening.go_service"


def _layout(root: Path, name: str) -> dict:
    systemd = root / "etc" / "systemd" / "system"
    return {
        "unit_name": f"{name}.service",
        "unit": str(systemd / f"{name}.service"),
        "socket": str(systemd / f"{name}.socket"),
        "dropin_dir": str(systemd / f"{name}.service.d"),
        "dropin": str(systemd / f"{name}.service.d" / "50-gosvc-overrides.conf"),
        "env_dir": str(root / "etc" / name),
        "env_file": str(root / "etc" / name / f"{name}.env"),
        "release_root": str(root / "opt" / name),
        "health_service": str(systemd / f"{name}-health.service"),
        "health_timer": str(systemd / f"{name}-health.timer"),
        "state_dir": str(root / "var" / "lib" / name),
    }


def _read(layout, fragment=None):
    """``gather`` as the role calls it, with systemctl answering for the unit."""
    out = "LoadState=not-found\nActiveState=inactive\n"
    if fragment:
        out = f"LoadState=loaded\nActiveState=active\nFragmentPath={fragment}\n"
    paths = [v for k, v in layout.items() if k not in ("unit_name", "account", "config_names")]
    return f.gather(
        lambda argv: (0, out, ""),
        release_root=layout["release_root"],
        paths=paths,
        files=paths,
        unit=layout["unit_name"],
        marker=MARKER,
    )


def _write(path, text, mode=0o644):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)
    os.chmod(path, mode)


def _install(layout, tmp_path, dropin=True, watchdog=False):
    """What go_service leaves on a host: go_release's tree and the role's files with their header."""
    install_release_tree(layout["release_root"], "1.0.0", b"binary", tmp_path, binary_name="app")
    _write(layout["unit"], f"# Ansible managed\n# app 1.0.0\n# rendered for systemd 252 {MARKER}.\n[Service]\n")
    _write(layout["env_file"], f'# Ansible managed\n# Environment of app 1.0.0, written {MARKER}.\nA="1"\n', 0o640)
    if dropin:
        _write(layout["dropin"], f"# Ansible managed\n# Drop-in of app.service, written {MARKER}.\n[Service]\n")
    if watchdog:
        _write(layout["health_timer"], f"# Health watchdog timer of app.service, written {MARKER}.\n[Timer]\n")
        _write(layout["health_service"], f"# Health watchdog probe unit, written {MARKER}.\n[Service]\n")
    Path(layout["state_dir"]).mkdir(parents=True)


def test_every_template_the_role_writes_to_a_host_carries_the_marker():
    templates = sorted((ROLE / "templates").glob("*.j2"))
    assert {t.name for t in templates} >= {
        "unit.service.j2",
        "env.j2",
        "override.conf.j2",
        "health-watchdog.service.j2",
        "health-watchdog.timer.j2",
    }
    for template in templates:
        head = "\n".join(template.read_text().splitlines()[:4])
        assert MARKER in head, f"{template.name} does not carry the install marker in its header"
    role_vars = (ROLE / "vars" / "main.yml").read_text()
    assert f"__go_service_marker: {MARKER}\n" in role_vars


def test_ownership_reads_the_marker_only_in_regular_files_and_lists_directories(tmp_path):
    marked = tmp_path / "marked"
    marked.write_text(f"# {MARKER}\n")
    late = tmp_path / "late"
    late.write_text("x" * f.MARKER_BYTES + MARKER)
    link = tmp_path / "link"
    link.symlink_to(marked)
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "b").write_text("")
    (folder / "a").write_text("")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    paths = [str(p) for p in (marked, late, link, folder, fifo, tmp_path / "missing")]
    seen = f.ownership(paths, MARKER)
    assert seen["marked"] == {
        str(marked): True,
        str(late): False,  # beyond the header
        str(link): False,  # a link is not followed
        str(folder): False,
        str(fifo): False,  # not opened for reading
        str(tmp_path / "missing"): False,
    }
    assert seen["entries"][str(folder)] == ["a", "b"]
    assert seen["entries"][str(marked)] is None and seen["entries"][str(tmp_path / "missing")] is None


def test_a_fresh_host_has_nothing_in_the_way_and_nothing_to_remove(tmp_path):
    layout = _layout(tmp_path, "app")
    claim = f.claims(_read(layout), layout)
    assert claim == {
        "foreign": [],
        "remove": [],
        "left": [],
        "unit_ours": False,
        "remove_user": None,
        "remove_group": None,
        "account_ours": False,
    }


def test_another_package_s_files_are_in_the_way_and_never_removed(tmp_path):
    """go_service_name=ssh: /etc/ssh, /opt/ssh and a unit from /lib are someone else's."""
    layout = _layout(tmp_path, "ssh")
    _write(Path(layout["env_dir"]) / "sshd_config", "PermitRootLogin no\n")
    _write(Path(layout["release_root"]) / "bin" / "tool", "#!/bin/sh\n")
    Path(layout["state_dir"]).mkdir(parents=True)
    facts = _read(layout, fragment="/lib/systemd/system/ssh.service")
    claim = f.claims(facts, layout, purge_data=True)
    assert claim["foreign"] == [
        f"{layout['release_root']} (it holds other files than go_release's and no release record .releases.json)",
        f"{layout['env_dir']} (it holds no environment file the role wrote)",
        "ssh.service (a unit of this host already, loaded from /lib/systemd/system/ssh.service)",
    ]
    assert claim["remove"] == [] and claim["unit_ours"] is False
    assert claim["left"] == [
        f"{layout['env_dir']} (it holds files the role did not write: sshd_config)",
        f"{layout['release_root']} (it holds other files than go_release's and no release record .releases.json)",
        f"{layout['state_dir']} (go_service_purge_data removes it only with the service's own unit)",
    ]


def test_a_unit_file_without_the_marker_is_in_the_way_and_left(tmp_path):
    layout = _layout(tmp_path, "app")
    _write(layout["unit"], "[Unit]\nDescription=hand-written\n")
    _write(layout["dropin"], "[Service]\nNice=5\n")
    claim = f.claims(_read(layout, fragment=layout["unit"]), layout)
    assert claim["foreign"] == [
        f"{layout['unit']} (not written by gosvc.hardening.go_service)",
        f"{layout['dropin']} (not written by gosvc.hardening.go_service)",
    ]
    assert claim["remove"] == []
    assert f"{layout['dropin_dir']} (it holds no file the role wrote)" in claim["left"]


def test_the_role_s_own_install_is_removed_whole(tmp_path):
    layout = _layout(tmp_path, "app")
    _install(layout, tmp_path, watchdog=True)
    claim = f.claims(_read(layout, fragment=layout["unit"]), layout, health_watchdog=True, purge_data=True)
    assert claim["foreign"] == [] and claim["left"] == [] and claim["unit_ours"] is True
    assert claim["remove"] == [
        layout["unit"],
        layout["dropin"],
        layout["health_service"],
        layout["health_timer"],
        layout["env_file"],
        layout["dropin_dir"],
        layout["env_dir"],
        layout["release_root"],
        layout["state_dir"],
    ]


def test_a_file_the_user_put_beside_the_environment_file_keeps_its_directory(tmp_path):
    layout = _layout(tmp_path, "app")
    _install(layout, tmp_path, dropin=False)
    _write(Path(layout["env_dir"]) / "config.yml", "listen: :8080\n")
    claim = f.claims(_read(layout, fragment=layout["unit"]), layout)
    assert claim["foreign"] == []
    assert layout["env_file"] in claim["remove"] and layout["env_dir"] not in claim["remove"]
    assert claim["left"] == [f"{layout['env_dir']} (it holds files the role did not write: config.yml)"]
    # without purge_data the state directory is not even looked at
    assert layout["state_dir"] not in claim["remove"]


def test_the_config_files_the_role_writes_go_with_the_environment_directory(tmp_path):
    """go_service_config_files: their top-level names in the directory are the role's (layout config_names)."""
    layout = dict(_layout(tmp_path, "app"), config_names=["config.yml", "rules"])
    _install(layout, tmp_path, dropin=False)
    _write(Path(layout["env_dir"]) / "config.yml", "listen: :8080\n")
    _write(Path(layout["env_dir"]) / "rules" / "a.yml", "groups: []\n")
    claim = f.claims(_read(layout, fragment=layout["unit"]), layout)
    assert layout["env_dir"] in claim["remove"]
    assert claim["left"] == []
    # A file the inventory does not name still keeps the directory, and is named.
    _write(Path(layout["env_dir"]) / "extra.conf", "x\n")
    claim = f.claims(_read(layout, fragment=layout["unit"]), layout)
    assert layout["env_dir"] not in claim["remove"]
    assert claim["left"] == [f"{layout['env_dir']} (it holds files the role did not write: extra.conf)"]


def test_an_environment_file_written_before_the_marker_is_the_role_s_beside_its_unit(tmp_path):
    layout = _layout(tmp_path, "app")
    _install(layout, tmp_path, dropin=False)
    _write(layout["env_file"], '# Ansible managed\n# Environment of app 1.0.0.\nA="1"\n', 0o640)
    claim = f.claims(_read(layout, fragment=layout["unit"]), layout)
    assert claim["foreign"] == []
    assert [layout["env_file"], layout["env_dir"]] == [p for p in claim["remove"] if p.startswith(layout["env_dir"])]
    # without the role's unit beside it, the same file is someone else's
    os.unlink(layout["unit"])
    claim = f.claims(_read(layout), layout)
    assert f"{layout['env_dir']} (it holds no environment file the role wrote)" in claim["foreign"]
    assert layout["env_file"] not in claim["remove"]


def test_health_watchdog_units_count_only_when_the_watchdog_is_wanted(tmp_path):
    layout = _layout(tmp_path, "app")
    _write(layout["health_timer"], "[Timer]\nOnCalendar=daily\n")
    assert f.claims(_read(layout), layout)["foreign"] == []
    assert f.claims(_read(layout), layout, health_watchdog=True)["foreign"] == [
        f"{layout['health_timer']} (not written by gosvc.hardening.go_service)"
    ]
    assert layout["health_timer"] not in f.claims(_read(layout), layout)["remove"]


def test_the_filter_refuses_facts_read_without_the_marker_and_an_incomplete_layout(tmp_path):
    from ansible.errors import AnsibleFilterError

    layout = _layout(tmp_path, "app")
    facts = _read(layout)
    assert service_ownership(facts, layout)["foreign"] == []
    with pytest.raises(AnsibleFilterError, match="read the host with marker set"):
        service_ownership({**facts, "ownership": None}, layout)
    with pytest.raises(AnsibleFilterError, match="the layout lacks state_dir"):
        service_ownership(facts, {k: v for k, v in layout.items() if k != "state_dir"})


def test_a_release_root_left_by_a_failed_first_install_is_the_role_s(tmp_path):
    """The role creates the root and its staging area before go_release refuses a bad binary."""
    layout = _layout(tmp_path, "app")
    staging = Path(layout["release_root"]) / ".staging"
    staging.mkdir(parents=True)
    (Path(layout["release_root"]) / ".lock").write_text("")
    (staging / ("0" * 64)).write_bytes(b"not the binary")
    claim = f.claims(_read(layout), layout)
    assert claim["foreign"] == [] and claim["remove"] == [layout["release_root"]]
    # an empty root holds nothing to protect either; one with anything else is someone else's
    (Path(layout["release_root"]) / "data").mkdir()
    assert f.claims(_read(layout), layout)["foreign"] == [
        f"{layout['release_root']} (it holds other files than go_release's and no release record .releases.json)"
    ]


def test_the_marker_of_a_path_given_only_in_paths_is_read(tmp_path):
    layout = _layout(tmp_path, "app")
    _write(layout["health_timer"], f"# {MARKER}\n[Timer]\n")
    facts = f.gather(lambda argv: (0, "", ""), paths=[layout["health_timer"]], marker=MARKER)
    assert facts["ownership"]["marked"] == {layout["health_timer"]: True}


# -- the service account ----------------------------------------------------------------------

WANTED = {"comment": "demo service account", "home": "/nonexistent", "shell": "/usr/sbin/nologin"}
ROLE_USER = {
    "name": "demo",
    "uid": 998,
    "gid": 998,
    "home": "/nonexistent",
    "shell": "/usr/sbin/nologin",
    "comment": "demo service account",
    "password_locked": True,
}


def _with_account(tmp_path, user, group):
    layout = dict(_layout(tmp_path, "demo"), account=WANTED)
    facts = dict(_read(layout), account={"user": user, "group": group})
    return f.claims(facts, layout)


def test_the_account_the_role_creates_is_removed_user_then_group(tmp_path):
    """Exactly the role's account (comment, no home, no login shell, locked) goes with the service."""
    claims = _with_account(tmp_path, ROLE_USER, {"name": "demo", "gid": 998})
    assert (claims["remove_user"], claims["remove_group"]) == ("demo", "demo")
    assert not [entry for entry in claims["left"] if entry.startswith(("user ", "group "))]
    assert claims["account_ours"] is True  # an install has nothing to change


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"comment": "Demo Operator"}, "comment 'Demo Operator'"),
        ({"home": "/home/demo"}, "home /home/demo"),
        ({"shell": "/bin/bash"}, "shell /bin/bash"),
        ({"password_locked": False}, "not the account go_service creates"),
    ],
)
def test_any_other_account_of_that_name_is_kept_and_named(tmp_path, change, shown):
    """A person's or a package's account that shares the name is never removed, and the run says why."""
    claims = _with_account(tmp_path, dict(ROLE_USER, **change), {"name": "demo", "gid": 998})
    assert (claims["remove_user"], claims["remove_group"]) == (None, None)
    assert claims["account_ours"] is False  # an install sets the account up as it creates it
    user_left = [entry for entry in claims["left"] if entry.startswith("user demo (")]
    assert len(user_left) == 1 and shown in user_left[0]
    assert "group demo (the group of user demo, which go_service did not create)" in claims["left"]


def test_a_group_that_is_not_the_user_s_primary_group_is_kept(tmp_path):
    """go_service_group naming a shared group: the user goes, the group stays."""
    claims = _with_account(tmp_path, ROLE_USER, {"name": "ops", "gid": 50})
    assert (claims["remove_user"], claims["remove_group"]) == ("demo", None)
    assert "group ops (not the primary group of user demo)" in claims["left"]


def test_no_account_and_no_account_layout_remove_nothing(tmp_path):
    """Nothing to remove when the account is gone; no account rule at all without layout['account']."""
    assert _with_account(tmp_path, None, None)["remove_user"] is None
    orphan = _with_account(tmp_path, None, {"name": "demo", "gid": 998})
    assert orphan["remove_group"] is None
    assert any(entry.startswith("group demo (without the service's user") for entry in orphan["left"])
    layout = _layout(tmp_path, "demo")
    facts = dict(_read(layout), account={"user": ROLE_USER, "group": {"name": "demo", "gid": 998}})
    assert (f.claims(facts, layout)["remove_user"], f.claims(facts, layout)["remove_group"]) == (None, None)


def test_the_role_s_layout_describes_the_account_it_creates():
    """The layout the role hands the rule carries the account account.yml creates (one definition)."""
    import yaml

    variables = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    assert "gosvc.hardening.service_layout" in variables["__go_service_layout"]
    assert variables["__go_service_account_wanted"] == "{{ __go_service_layout.account }}"
    assert set(f.service_layout("demo")["account"]) == {"comment", "home", "shell"}
    account_tasks = (ROLE / "tasks" / "account.yml").read_text()
    for key in ("comment", "home", "shell"):
        assert f'{key}: "{{{{ __go_service_account_wanted.{key} }}}}"' in account_tasks


@pytest.mark.parametrize(
    ("user", "group"),
    [
        (None, {"name": "demo", "gid": 998}),
        (ROLE_USER, None),
        (ROLE_USER, {"name": "demo", "gid": 999}),
    ],
    ids=["no-user", "no-group", "group-not-primary"],
)
def test_an_account_without_its_primary_group_is_not_yet_the_role_s(tmp_path, user, group):
    """The account phase runs unless user and primary group are both as it creates them."""
    assert _with_account(tmp_path, user, group)["account_ours"] is False
