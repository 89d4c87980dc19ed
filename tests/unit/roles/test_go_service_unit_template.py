# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The go_service role's unit, drop-in and environment templates, rendered as the role renders them.

The templates are rendered by ansible-core's own templating with the role's real defaults and vars
(``support.RoleVars``), for each hardening profile on the systemd versions of the captured
Debian 11/12/13 hosts (read from ``tests/unit/data/systemd/<release>/version.txt`` with the
collection's own parser). The facts the template reads from the host (``__go_service_facts``, the
result of gosvc.hardening.service_facts in preflight) are the systemd version and the service
account, which ``_service_facts.account_facts`` reads from this machine's passwd and group files.

What must hold is taken from the directive table (``__go_service_hardening`` in
roles/go_service/vars/main.yml) and from the hardening matrix in docs/go_service.md, never from the
rendered text itself. Where ``systemd-analyze`` is installed, the rendered unit is also verified
by it (a line systemd would drop fails the test).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from support import RoleVars

from ansible_collections.gosvc.hardening.plugins.module_utils._service_facts import MARKER_BYTES, account_facts
from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    COMMAND_ENV,
    parse_version,
    verify_candidate,
)

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "go_service"
TEMPLATES = ROLE / "templates"
CAPTURES = ROOT / "tests" / "unit" / "data" / "systemd"
RELEASES = ("debian11", "debian12", "debian13")
PROFILES = ("strict", "standard", "off")
#: The table as written (values not templated), in its order.
TABLE = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["__go_service_hardening"]
#: Rows whose value the role computes: the capabilities a low listen port needs.
COMPUTED = {"CapabilityBoundingSet", "AmbientCapabilities", "RestrictAddressFamilies"}
#: go_service_address_families by default, as RestrictAddressFamilies= gets it.
DEFAULT_FAMILIES = "AF_INET AF_INET6 AF_UNIX"
SECTION = re.compile(r"\[(?P<name>[A-Za-z][A-Za-z0-9-]*)\]\Z")
ASSIGNMENT = re.compile(r"(?P<key>[A-Z][A-Za-z0-9]*)=(?P<value>.*)\Z")


def captured_version(release):
    """The systemd major version the captured host reported (``systemd-analyze --version``)."""
    return parse_version((CAPTURES / release / "version.txt").read_text(encoding="utf-8"))


def test_the_captured_hosts_are_systemd_247_252_and_257():
    assert [captured_version(release) for release in RELEASES] == [247, 252, 257]


@pytest.fixture(scope="module")
def role_vars():
    return RoleVars(ROLE)


@pytest.fixture(scope="module")
def account():
    """A system account of this machine whose uid and gid the unit must carry (nobody, as on Debian)."""
    try:
        entry = pwd.getpwnam("nobody")
        group = grp.getgrgid(entry.pw_gid).gr_name
    except KeyError:
        pytest.skip("this machine has no 'nobody' account (or its group) to read facts from")
    facts = account_facts(entry.pw_name, group)
    assert facts["user"]["uid"] == entry.pw_uid and facts["group"]["gid"] == entry.pw_gid
    return facts


@pytest.fixture
def render(role_vars, account):
    """``render(template, release, **variables)``: a template file rendered for the captured host ``release``."""

    def render_file(template, release="debian13", **variables):
        host = {"systemd_version": captured_version(release), "account": account}
        values = {
            "ansible_managed": "Ansible managed",
            "go_service_name": "demo",
            "go_service_version": "1.0.0",
            "go_service_user": account["user"]["name"],
            "go_service_group": account["group"]["name"],
            "__go_service_facts": host,
        }
        values.update(variables)
        # A template file is rendered as the template lookup renders it (backslashes kept).
        return role_vars.render((TEMPLATES / template).read_text(), escape_backslashes=False, **values)

    return render_file


def parse_unit(text):
    """``[(section, key, value)]`` of a unit file; fails on any line that is not a section, an assignment,
    a comment or blank (the shape ``systemd-analyze verify`` reads without dropping anything)."""
    entries = []
    section = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith(("#", ";")):
            continue
        header = SECTION.match(line)
        if header:
            section = header.group("name")
            entries.append((section, None, None))
            continue
        assignment = ASSIGNMENT.match(line)
        assert assignment, f"line {number} is neither [Section] nor Key=value: {line!r}"
        assert section is not None, f"line {number} comes before any section: {line!r}"
        entries.append((section, assignment.group("key"), assignment.group("value")))
    return entries


def lines_of(entries, section):
    return [f"{key}={value}" for name, key, value in entries if name == section and key is not None]


def capabilities_for(port):
    return "CAP_NET_BIND_SERVICE" if 0 < port < 1024 else ""


def expected_rows(profile, version, port=0):
    """The ``Key=value`` lines the table gives ``profile`` on systemd ``version``, in table order."""
    lines = []
    for row in TABLE:
        if profile in row["profiles"] and version >= row["min_systemd"]:
            value = (
                DEFAULT_FAMILIES
                if row["key"] == "RestrictAddressFamilies"
                else capabilities_for(port)
                if row["key"] in COMPUTED
                else row["value"]
            )
            lines.append(f"{row['key']}={value}")
    return lines


def hardening_lines(entries):
    """The [Service] lines whose key is one of the table's keys (the rest of the unit uses none of them)."""
    keys = {row["key"] for row in TABLE}
    return [line for line in lines_of(entries, "Service") if line.split("=", 1)[0] in keys]


def test_only_the_capability_rows_are_computed():
    # expected_rows computes these values itself; any other templated value would go unchecked.
    assert {row["key"] for row in TABLE if "{{" in str(row["value"])} == COMPUTED


# --- the directive table in the unit ----------------------------------------------------------


@pytest.mark.parametrize("port", [8080, 443])
@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("profile", PROFILES)
def test_every_row_of_the_profile_and_version_is_written_exactly_once(render, profile, release, port):
    version = captured_version(release)
    text = render("unit.service.j2", release, go_service_hardening_profile=profile, go_service_listen_port=port)
    entries = parse_unit(text)
    written = hardening_lines(entries)
    expected = expected_rows(profile, version, port)
    assert written == expected  # every row once, in table order, and nothing else from the table
    if profile == "off":
        assert "# Hardening" not in text
    else:
        assert f"# Hardening ({profile}): " in text


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("profile", ["strict", "standard"])
def test_rows_newer_than_the_host_are_left_out(render, profile, release):
    version = captured_version(release)
    service = lines_of(parse_unit(render("unit.service.j2", release, go_service_hardening_profile=profile)), "Service")
    for row in TABLE:
        if row["min_systemd"] > version:
            assert not any(line.startswith(f"{row['key']}=") for line in service), (row["key"], version)


def test_the_table_exercises_the_version_filter_on_247():
    assert any(row["min_systemd"] > captured_version("debian11") for row in TABLE)


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("profile", ["strict", "standard"])
def test_no_new_privileges_is_set_by_both_hardened_profiles(render, profile, release):
    entries = parse_unit(render("unit.service.j2", release, go_service_hardening_profile=profile))
    assert lines_of(entries, "Service").count("NoNewPrivileges=yes") == 1


@pytest.mark.parametrize("release", RELEASES)
def test_profile_off_writes_no_hardening_line(render, release):
    entries = parse_unit(render("unit.service.j2", release, go_service_hardening_profile="off"))
    assert hardening_lines(entries) == []
    assert not any(line.startswith("NoNewPrivileges=") for line in lines_of(entries, "Service"))


@pytest.mark.parametrize(
    "port, capabilities", [(8080, ""), (443, "CAP_NET_BIND_SERVICE"), (1023, "CAP_NET_BIND_SERVICE")]
)
def test_a_low_port_keeps_only_the_bind_capability(render, port, capabilities):
    lines = lines_of(parse_unit(render("unit.service.j2", go_service_listen_port=port)), "Service")
    assert f"CapabilityBoundingSet={capabilities}" in lines
    assert f"AmbientCapabilities={capabilities}" in lines


# --- the docs' hardening matrix is what the strict and standard units get ---------------------


def documented_rows():
    """``[(key, value, min_systemd, profiles)]`` of the hardening matrix in docs/go_service.md."""
    doc = (ROOT / "docs" / "go_service.md").read_text()
    rows = []
    for line in doc.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 5 and cells[0].startswith("`") and cells[3].isdigit():
            key, value = cells[0].strip("`"), cells[1].strip("`")
            rows.append((key, value, int(cells[3]), {p.strip() for p in cells[4].split(",")}))
    assert rows, "docs/go_service.md: no hardening matrix found"
    return rows


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("profile", ["strict", "standard"])
def test_the_unit_holds_exactly_the_documented_directives_of_the_profile(render, profile, release):
    version = captured_version(release)
    documented = []
    for key, value, minimum, profiles in documented_rows():
        if profile in profiles and version >= minimum:
            if value == "computed (see note)":
                value = DEFAULT_FAMILIES if key == "RestrictAddressFamilies" else capabilities_for(443)
            documented.append(f"{key}={value}")
    written = hardening_lines(
        parse_unit(render("unit.service.j2", release, go_service_hardening_profile=profile, go_service_listen_port=443))
    )
    assert sorted(written) == sorted(documented)


#: The directives docs/go_service.md promises for the default profile on a current host.
STRICT_ON_257 = {
    "NoNewPrivileges", "CapabilityBoundingSet", "AmbientCapabilities", "ProtectSystem", "ProtectHome",
    "PrivateTmp", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
    "ProtectControlGroups", "ProtectClock", "ProtectHostname", "ProtectProc", "ProcSubset",
    "RestrictAddressFamilies", "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality",
    "MemoryDenyWriteExecute", "SystemCallArchitectures", "SystemCallFilter", "SystemCallErrorNumber",
    "SystemCallLog", "UMask", "PrivateIPC", "RemoveIPC", "KeyringMode", "DevicePolicy", "PrivateMounts",
}  # fmt: skip


def test_the_strict_profile_on_257_is_the_documented_set(render):
    documented = {
        key for key, _value, minimum, profiles in documented_rows() if "strict" in profiles and minimum <= 257
    }
    assert documented == STRICT_ON_257
    written = hardening_lines(parse_unit(render("unit.service.j2", "debian13", go_service_hardening_profile="strict")))
    assert {line.split("=", 1)[0] for line in written} == STRICT_ON_257


# --- the rest of the unit ---------------------------------------------------------------------


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("profile", PROFILES)
def test_restart_and_stop_limits_are_written_where_systemd_reads_them(render, profile, release):
    entries = parse_unit(
        render(
            "unit.service.j2",
            release,
            go_service_hardening_profile=profile,
            go_service_start_limit_interval_sec=120,
            go_service_start_limit_burst=3,
            go_service_restart_sec=7,
            go_service_drain_sec=45,
        )
    )
    unit, service = lines_of(entries, "Unit"), lines_of(entries, "Service")
    # StartLimit*= belong in [Unit] since systemd 229: in [Service] they would be dropped.
    assert unit.count("StartLimitIntervalSec=120") == 1 and unit.count("StartLimitBurst=3") == 1
    assert service.count("Restart=on-failure") == 1
    assert service.count("RestartSec=7") == 1
    assert service.count("TimeoutStopSec=45") == 1
    assert not any(line.startswith(("StartLimit", "Restart=", "RestartSec=")) for line in lines_of(entries, "Install"))
    assert not any(line.startswith("StartLimit") for line in service)


def test_the_default_limits_are_the_documented_defaults(render):
    entries = parse_unit(render("unit.service.j2"))
    assert {"StartLimitIntervalSec=60", "StartLimitBurst=5"} <= set(lines_of(entries, "Unit"))
    assert {"RestartSec=2", "TimeoutStopSec=30", "TimeoutStartSec=60"} <= set(lines_of(entries, "Service"))


@pytest.mark.parametrize("release", RELEASES)
def test_notify_services_get_type_notify_and_a_watchdog(render, release):
    service = lines_of(
        parse_unit(render("unit.service.j2", release, go_service_notify=True, go_service_watchdog_sec=15)), "Service"
    )
    assert [line for line in service if line.startswith("Type=")] == ["Type=notify"]
    assert service.count("WatchdogSec=15") == 1
    assert service.count("NotifyAccess=main") == 1


@pytest.mark.parametrize("release", RELEASES)
def test_other_services_get_type_exec_and_no_watchdog(render, release):
    service = lines_of(parse_unit(render("unit.service.j2", release, go_service_notify=False)), "Service")
    assert [line for line in service if line.startswith("Type=")] == ["Type=exec"]
    assert not any(line.startswith(("WatchdogSec=", "NotifyAccess=")) for line in service)


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("notify", [False, True])
def test_the_unit_is_well_formed(render, profile, release, notify):
    text = render("unit.service.j2", release, go_service_hardening_profile=profile, go_service_notify=notify)
    entries = parse_unit(text)  # every line a section, an assignment, a comment or blank
    assert [name for name, key, _value in entries if key is None] == ["Unit", "Service", "Install"]
    assert "{{" not in text and "{%" not in text
    for section, key, value in entries:
        if key is not None:
            assert value not in ("None", "True", "False"), (section, key, value)  # a Python value, not systemd's
            assert value == value.strip(), (section, key, value)
    assert lines_of(entries, "Install") == ["WantedBy=multi-user.target"]


def test_the_account_ids_come_from_the_host_facts(render, account):
    service = lines_of(parse_unit(render("unit.service.j2")), "Service")
    uid, gid = account["user"]["uid"], account["group"]["gid"]
    assert f"TemporaryFileSystem=/var/cache/demo/go-build:size=64M,mode=0700,uid={uid},gid={gid}" in service
    assert f"User={account['user']['name']}" in service and f"Group={account['group']['name']}" in service


def test_the_account_ids_of_an_account_created_in_this_run_win(render):
    # __go_service_account is ansible.builtin.user's result when the account phase ran: uid, and the gid as group.
    service = lines_of(
        parse_unit(render("unit.service.j2", __go_service_account={"uid": 991, "group": 987})), "Service"
    )
    assert "TemporaryFileSystem=/var/cache/demo/go-build:size=64M,mode=0700,uid=991,gid=987" in service


@pytest.mark.parametrize("template", ["unit.service.j2", "override.conf.j2", "env.j2"])
def test_every_file_carries_the_ownership_marker_where_service_facts_looks(render, role_vars, template):
    text = render(template, go_service_unit_overrides={"Service": {"LimitNOFILE": 1024}})
    marker = role_vars.variables["__go_service_marker"]
    assert marker in text.encode()[:MARKER_BYTES].decode("utf-8", errors="replace")


# --- systemd-analyze itself, where it is installed ---------------------------------------------

ANALYZE = shutil.which("systemd-analyze")


def _local_version():
    out = subprocess.run([ANALYZE, "--version"], capture_output=True, text=True, check=False).stdout
    return parse_version(out)


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed on this machine")
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("notify", [False, True])
def test_systemd_analyze_verify_drops_no_line_of_the_rendered_unit(role_vars, account, tmp_path, profile, notify):
    version = _local_version()
    text = role_vars.render(
        (TEMPLATES / "unit.service.j2").read_text(),
        escape_backslashes=False,
        ansible_managed="Ansible managed",
        go_service_name="demo",
        go_service_version="1.0.0",
        go_service_hardening_profile=profile,
        go_service_notify=notify,
        go_service_listen_port=443,
        __go_service_facts={"systemd_version": version, "account": account},
    )
    overrides = role_vars.render(
        (TEMPLATES / "override.conf.j2").read_text(),
        escape_backslashes=False,
        ansible_managed="Ansible managed",
        go_service_name="demo",
        go_service_unit_overrides={"Service": {"LimitNOFILE": 65536, "SystemCallFilter": ["", "@system-service"]}},
    )

    def run(argv):
        env = dict(os.environ, **COMMAND_ENV)
        done = subprocess.run([ANALYZE, *argv[1:]], capture_output=True, text=True, env=env, check=False, timeout=60)
        return done.returncode, done.stdout, done.stderr

    # syntax: the binary does not exist here; only the lines systemd would drop count.
    result = verify_candidate(run, str(tmp_path), "demo.service", text, overrides, mode="syntax")
    assert result["dropped"] == [], result["output"]
    # Nor any other remark about a line of the two files (the only remark left is the missing binary).
    assert [line for line in result["output"].splitlines() if re.match(r"/\S+:\d+: ", line)] == [], result["output"]


# --- the drop-in and the environment file -------------------------------------------------------


def _body(text):
    """The lines after the template's comment header."""
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return lines


def test_the_overrides_drop_in_writes_each_directive_as_given(render):
    overrides = {
        "Unit": {"Documentation": "https://example.org/demo"},
        "Service": {"LimitNOFILE": 65536, "SystemCallFilter": ["", "@system-service @resources"], "PrivateUsers": True},
    }
    text = render("override.conf.j2", go_service_unit_overrides=overrides)
    assert _body(text) == [
        "[Service]",
        "LimitNOFILE=65536",
        "PrivateUsers=yes",
        "SystemCallFilter=",
        "SystemCallFilter=@system-service @resources",
        "",
        "[Unit]",
        "Documentation=https://example.org/demo",
        "",
    ]
    parse_unit(text)


def test_the_environment_file_quotes_every_value(render):
    text = render(
        "env.j2",
        go_service_env={"DEMO_LISTEN_ADDR": "127.0.0.1:8080", "DEMO_DEBUG": False, "DEMO_PATTERN": 'a "b" \\c $HOME'},
        go_service_env_secret={"DEMO_API_TOKEN": "t0ken"},
    )
    assert _body(text) == [
        'DEMO_API_TOKEN="t0ken"',
        'DEMO_DEBUG="false"',
        'DEMO_LISTEN_ADDR="127.0.0.1:8080"',
        'DEMO_PATTERN="a \\"b\\" \\\\c $HOME"',
    ]


def test_address_families_come_from_the_variable(render):
    text = render("unit.service.j2", go_service_address_families=["AF_INET", "AF_UNIX", "AF_NETLINK"])
    assert "RestrictAddressFamilies=AF_INET AF_UNIX AF_NETLINK" in text.splitlines()


# --- socket activation --------------------------------------------------------------------------


@pytest.mark.parametrize("port", [80, 8080])
def test_a_socket_activated_service_requires_its_socket_and_keeps_no_capability(render, port):
    entries = parse_unit(render("unit.service.j2", go_service_listen_port=port, go_service_socket_activation=True))
    assert {"Requires=demo.socket", "After=demo.socket"} <= set(lines_of(entries, "Unit"))
    # systemd binds the port: even below 1024 the service needs no capability.
    assert "CapabilityBoundingSet=" in lines_of(entries, "Service")
    assert "AmbientCapabilities=" in lines_of(entries, "Service")
    off = parse_unit(render("unit.service.j2", go_service_listen_port=port))
    assert not [line for line in lines_of(off, "Unit") if "demo.socket" in line]


def test_the_socket_unit_listens_where_it_is_told_and_carries_the_marker(render):
    text = render("socket.j2", go_service_listen_port=8080)
    assert "by gosvc.hardening.go_service" in text[:MARKER_BYTES]
    assert lines_of(parse_unit(text), "Socket") == [
        "ListenStream=8080",
        "FileDescriptorName=demo",
        "Backlog=4096",
        "Accept=no",
        # A renamed service's socket binds beside this one (go_service_replaces).
        "ReusePort=yes",
        "Service=demo.service",
    ]
    given = render("socket.j2", go_service_socket_listen="127.0.0.1:80", go_service_socket_backlog=128,
                   go_service_socket_fdname="http")  # fmt: skip
    assert {"ListenStream=127.0.0.1:80", "Backlog=128", "FileDescriptorName=http"} <= set(
        lines_of(parse_unit(given), "Socket")
    )
    # The same file for every release: a deploy never restarts the socket.
    assert render("socket.j2", go_service_version="2.0.0") == render("socket.j2", go_service_version="1.0.0")


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed on this machine")
def test_systemd_analyze_verify_reads_the_unit_with_its_socket(role_vars, account, tmp_path):
    values = {
        "ansible_managed": "Ansible managed",
        "go_service_name": "demo",
        "go_service_version": "1.0.0",
        "go_service_listen_port": 80,
        "go_service_socket_activation": True,
        "go_service_reload_signal": "SIGHUP",
        "__go_service_facts": {"systemd_version": _local_version(), "account": account},
    }
    unit = role_vars.render((TEMPLATES / "unit.service.j2").read_text(), escape_backslashes=False, **values)
    socket = role_vars.render((TEMPLATES / "socket.j2").read_text(), escape_backslashes=False, **values)

    def run(argv):
        env = dict(os.environ, **COMMAND_ENV)
        done = subprocess.run([ANALYZE, *argv[1:]], capture_output=True, text=True, env=env, check=False, timeout=60)
        return done.returncode, done.stdout, done.stderr

    result = verify_candidate(
        run, str(tmp_path), "demo.service", unit, mode="syntax", socket=socket, socket_name="demo.socket"
    )
    assert sorted(os.listdir(tmp_path)) == ["demo.service", "demo.socket"]
    assert result["dropped"] == [], result["output"]
    assert [line for line in result["output"].splitlines() if re.match(r"/\S+:\d+: ", line)] == [], result["output"]
    assert "demo.socket" not in result["output"], result["output"]


@pytest.mark.parametrize(
    ("signal", "line"),
    [
        ("SIGHUP", "ExecReload=/bin/sh -c 'kill -s HUP \"$$MAINPID\"'"),
        ("usr1", "ExecReload=/bin/sh -c 'kill -s USR1 \"$$MAINPID\"'"),
    ],
)
def test_a_reload_signal_gives_exec_reload_to_the_main_process(render, signal, line):
    # sh's own kill (no procps needed); $$ is systemd's escape for the $ sh expands from MAINPID.
    assert line in lines_of(parse_unit(render("unit.service.j2", go_service_reload_signal=signal)), "Service")


def test_without_a_reload_signal_the_unit_cannot_be_reloaded(render):
    assert not [line for line in lines_of(parse_unit(render("unit.service.j2")), "Service") if "ExecReload" in line]


def test_a_private_network_is_written_only_when_asked(render):
    on = parse_unit(render("unit.service.j2", go_service_socket_activation=True, go_service_private_network=True))
    assert "PrivateNetwork=yes" in lines_of(on, "Service")
    assert not [line for line in lines_of(parse_unit(render("unit.service.j2")), "Service") if "PrivateNetwork" in line]
