# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_listeners: which unit holds the socket a probed URL reaches.

The parsing runs on /proc/net/tcp lines as the kernel writes them; the tracing runs on a proc tree
built in a temporary directory (pids, fd links, cgroup files), and once on this machine's real /proc
with a socket this test process listens on.
"""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _listeners
from ansible_collections.gosvc.hardening.plugins.module_utils._http import parse_url

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
HEADER6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue\n"


def owner_problem(url, unit, proc, main_pid=None):
    """_listeners.owner_problem for a URL, read as the probes read it (``_http.parse_url``)."""
    return _listeners.owner_problem(parse_url(url), unit, proc, main_pid=main_pid)


def tcp_line(address, port, inode, state="0A"):
    timers = "00000000:00000000 00:00000000 00000000"
    return f"   0: {address}:{port:04X} 00000000:0000 {state} {timers}   995        0 {inode} 1\n"


def test_listening_reads_addresses_ports_and_inodes_of_listeners_only():
    tcp = HEADER + tcp_line("0100007F", 9100, 111) + tcp_line("00000000", 9093, 222) + tcp_line("0100007F", 80, 9, "01")
    tcp6 = HEADER6 + tcp_line("00000000000000000000000001000000", 9101, 333) + tcp_line("0" * 32, 2379, 444)
    assert _listeners.listening(tcp, tcp6) == [
        (ipaddress.ip_address("127.0.0.1"), 9100, 111),
        (ipaddress.ip_address("0.0.0.0"), 9093, 222),
        (ipaddress.ip_address("::1"), 9101, 333),
        (ipaddress.ip_address("::"), 2379, 444),
    ]


@pytest.mark.parametrize(
    ("listener", "addresses", "serves"),
    [
        ("127.0.0.1", {"127.0.0.1"}, True),
        ("127.0.0.1", {"127.0.0.2"}, False),
        ("0.0.0.0", {"127.0.0.1"}, True),
        ("0.0.0.0", {"::1"}, False),
        ("::", {"127.0.0.1"}, True),
        ("::", {"::1"}, True),
        ("::ffff:127.0.0.1", {"127.0.0.1"}, True),
    ],
)
def test_a_wildcard_listener_serves_its_family(listener, addresses, serves):
    found = _listeners._serves(ipaddress.ip_address(listener), {ipaddress.ip_address(a) for a in addresses})
    assert found is serves


@pytest.fixture
def proc(tmp_path):
    """A proc tree: node_a.service (pid 200) listens on 127.0.0.1:9100, node_b.service (pid 300) on :9101."""
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "tcp").write_text(HEADER + tcp_line("0100007F", 9100, 5001) + tcp_line("0100007F", 9101, 5002))
    (tmp_path / "net" / "tcp6").write_text(HEADER6)
    for pid, unit, inode in ((200, "node_a.service", 5001), (300, "node_b.service", 5002), (1, "init.scope", 0)):
        (tmp_path / str(pid) / "fd").mkdir(parents=True)
        (tmp_path / str(pid) / "cgroup").write_text(
            f"0::/system.slice/{unit}\n" if unit != "init.scope" else "0::/init.scope\n"
        )
        os.symlink("/dev/null", tmp_path / str(pid) / "fd" / "0")
        if inode:
            os.symlink(f"socket:[{inode}]", tmp_path / str(pid) / "fd" / "3")
    return tmp_path


def test_the_unit_that_listens_passes_and_another_is_named(proc):
    assert owner_problem("http://127.0.0.1:9101/metrics", "node_b.service", str(proc))[0] == ""
    problem, found = owner_problem("http://127.0.0.1:9100/metrics", "node_b.service", str(proc))
    assert found == [{"pid": 200, "unit": "node_a.service"}]
    assert problem.startswith(
        "http://127.0.0.1:9100/metrics is answered by pid 200 (node_a.service), not node_b.service"
    )


def test_a_socket_systemd_holds_for_activation_counts_as_the_units(proc):
    os.symlink("socket:[5001]", proc / "1" / "fd" / "7")
    assert owner_problem("http://127.0.0.1:9100/", "node_b.service", str(proc))[0] == ""


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9999/", "http+unix://%2Frun%2Fx.sock/healthz", "http://127.0.0.1:9100/"],
)
def test_what_cannot_be_traced_is_not_checked(proc, url):
    # No listener on 9999; a unix socket; and (last) a listener no readable process holds.
    for link in (proc / "200" / "fd" / "3",):
        if url.endswith(":9100/"):
            link.unlink()
    assert owner_problem(url, "node_b.service", str(proc)) == ("", None)


def test_unit_of_reads_cgroup_v2_and_the_systemd_hierarchy_of_v1(tmp_path):
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "cgroup").write_text("0::/system.slice/etcd.service\n")
    (tmp_path / "8").mkdir()
    (tmp_path / "8" / "cgroup").write_text(
        "12:pids:/system.slice/x.service\n1:name=systemd:/system.slice/am.service\n0::/\n"
    )
    assert _listeners.unit_of(7, str(tmp_path)) == "etcd.service"
    assert _listeners.unit_of(8, str(tmp_path)) == "am.service"
    assert _listeners.unit_of(9, str(tmp_path)) == ""


def test_this_process_is_found_holding_its_own_listener_on_the_real_proc():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        found = _listeners.owners(_listeners.sockets_of(parse_url(f"http://127.0.0.1:{port}/healthz")))
    assert found is not None and os.getpid() in [item["pid"] for item in found]


def _no_fd_rights(proc):
    """As in a container without CAP_SYS_PTRACE: other processes' descriptors cannot be read."""
    for pid in ("200", "300", "1"):
        for link in (proc / pid / "fd").iterdir():
            link.unlink()
    (proc / "300" / "status").write_text("Name:\tnode_b\nUid:\t995\t995\t995\t995\n")
    (proc / "200" / "status").write_text("Name:\tnode_a\nUid:\t994\t994\t994\t994\n")


def test_without_fd_rights_the_socket_owner_uid_stands_in_for_its_process(proc):
    _no_fd_rights(proc)
    # tcp_line writes uid 995 for every socket: node_b's own uid.
    assert owner_problem("http://127.0.0.1:9100/", "node_b.service", str(proc), main_pid=300)[0] == ""
    problem, found = owner_problem("http://127.0.0.1:9100/", "node_a.service", str(proc), main_pid=200)
    assert problem.startswith("http://127.0.0.1:9100/ is answered by a socket of uid 995 (")
    assert "not of node_a.service's main process (pid 200, uid 994 (" in problem
    assert found == [{"pid": None, "uid": 995, "unit": None}]


def test_without_fd_rights_a_root_socket_or_an_unknown_main_process_is_not_judged(proc):
    _no_fd_rights(proc)
    assert owner_problem("http://127.0.0.1:9100/", "node_a.service", str(proc), main_pid=None) == ("", None)
    tcp = (proc / "net" / "tcp").read_text().replace("   995        0", "     0        0")
    (proc / "net" / "tcp").write_text(tcp)
    assert owner_problem("http://127.0.0.1:9100/", "node_a.service", str(proc), main_pid=200) == ("", None)


@pytest.mark.parametrize("main_pid", [0, "0", 4242])
def test_without_fd_rights_an_answer_while_the_unit_has_no_main_process_is_not_the_units(proc, main_pid):
    """MainPID 0 (the process exited: a port collision) or a pid that is gone: the unit did not answer."""
    _no_fd_rights(proc)
    problem, found = owner_problem("http://127.0.0.1:9100/", "node_a.service", str(proc), main_pid=main_pid)
    assert problem.startswith("http://127.0.0.1:9100/ is answered by a socket of uid 995 (")
    assert "while node_a.service has no running main process" in problem
    assert found == [{"pid": None, "uid": 995, "unit": None}]


# systemctl list-sockets --all --full --no-legend, as systemd 257 prints it (a LISTEN may hold a space).
LIST_SOCKETS = """\
audit 1                             systemd-journald-audit.socket   systemd-journald.service
/run/dbus/system_bus_socket         dbus.socket                     dbus.service
127.0.0.1:80                        demo.socket                     demo.service
[::]:9100                           exporter.socket                 exporter.service
0.0.0.0:8080                        web.socket                      -
[::1]:8443                          tls.socket                      tls.service
/run/api/api.sock                   api.socket                      api.service
"""


@pytest.mark.parametrize(
    ("listen", "key"),
    [
        ("8080", ("inet", "::", 8080)),
        ("127.0.0.1:80", ("inet", "127.0.0.1", 80)),
        ("[::1]:8443", ("inet", "::1", 8443)),
        ("[0:0:0:0:0:0:0:1]:8443", ("inet", "::1", 8443)),
        ("/run/api/api.sock", ("unix", "/run/api/api.sock")),
        ("@abstract", ("unix", "@abstract")),
        ("audit 1", None),
        ("localhost:80", None),
    ],
)
def test_listen_key_reads_what_a_listen_stream_binds(listen, key):
    assert _listeners.listen_key(listen) == key


@pytest.mark.parametrize(
    ("listen", "own", "units"),
    [
        # The same address, or a wildcard on either side of the same port.
        ("127.0.0.1:80", "new.socket", ["demo.socket"]),
        ("80", "new.socket", ["demo.socket"]),
        ("127.0.0.1:9100", "new.socket", ["exporter.socket"]),
        ("127.0.0.2:8080", "new.socket", ["web.socket"]),
        ("/run/api/api.sock", "new.socket", ["api.socket"]),
        # Its own socket is not a peer; another address or port is none.
        ("127.0.0.1:80", "demo.socket", []),
        ("127.0.0.2:80", "new.socket", []),
        ("[::1]:80", "new.socket", []),
        ("127.0.0.1:81", "new.socket", []),
        ("/run/api/other.sock", "new.socket", []),
    ],
)
def test_socket_peers_are_the_other_units_on_the_same_address(listen, own, units):
    assert [peer["unit"] for peer in _listeners.socket_peers(listen, LIST_SOCKETS, own)] == units


def test_a_socket_peer_says_where_it_listens_and_what_it_starts():
    assert _listeners.socket_peers("8080", LIST_SOCKETS, "new.socket") == [
        {"listen": "0.0.0.0:8080", "unit": "web.socket", "activates": None}
    ]
