# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which unit answers a probed URL: the listening socket behind an address, traced to its processes.

A health answer proves a service healthy only if the service gave it. Another service listening on
the probed port (an old instance, a neighbour, a port collision after an upgrade) answers just as
well. ``owner_problem`` finds the TCP sockets listening on a probe target's port (the target as
``_http.parse_url`` reads the URL) at one of its addresses
(``/proc/net/tcp``, ``/proc/net/tcp6``, state LISTEN; a wildcard address counts for every address),
the processes holding them (``/proc/<pid>/fd`` links ``socket:[<inode>]``) and the unit of each
(``/proc/<pid>/cgroup``), and says when none of them is the expected unit. A socket systemd holds
for socket activation (PID 1) counts as the unit's.

It reads only; a process or file that vanishes meanwhile is skipped. Without the right to read other
processes' descriptors (no CAP_SYS_PTRACE, as in many containers) the socket's owner uid stands in
for its process: compared with the uid of the unit's main process. When the socket cannot be found
on this host (a URL to another host, a unix socket), the answer is "not checked", never a failure.

Standard library only, Python 3.9+; ``proc`` is the root of the proc file system (tests pass a tree).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket

from ansible_collections.gosvc.hardening.plugins.module_utils._files import user_name

#: The TCP state LISTEN in /proc/net/tcp.
LISTEN = "0A"
_SOCKET_LINK = re.compile(r"socket:\[(\d+)\]\Z")
_UNIT = re.compile(r"[^/]+\.(service|socket|scope)\Z")


def _address(hex_address: str):
    """The IP address of a /proc/net/tcp{,6} field (the kernel's words, each in host byte order)."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words)


def listening(tcp: str, tcp6: str = "", with_uid: bool = False) -> list:
    """``[(address, port, inode)]`` (``with_uid``: ``(address, port, inode, uid)``) of the listening sockets in
    /proc/net/tcp and /proc/net/tcp6 text; the uid is the socket's owner, the user that created it."""
    found = []
    for text in (tcp, tcp6):
        for line in (text or "").splitlines()[1:]:
            fields = line.split()
            if len(fields) < 10 or fields[3] != LISTEN:
                continue
            try:
                host, port = fields[1].split(":")
                item = (_address(host), int(port, 16), int(fields[9]))
                found.append((*item, int(fields[7])) if with_uid else item)
            except ValueError:
                continue
    return found


def _serves(listener_address, addresses) -> bool:
    if listener_address.is_unspecified:
        # 0.0.0.0 takes IPv4; :: takes IPv6 and, unless the socket is IPv6-only, IPv4 too.
        return listener_address.version == 6 or any(a.version == 4 for a in addresses)
    mapped = getattr(listener_address, "ipv4_mapped", None)
    return listener_address in addresses or (mapped is not None and mapped in addresses)


def addresses_of(target) -> set:
    """The IP addresses a probe ``target`` (``_http.parse_url``'s) connects to; empty for a unix socket or a
    name that does not resolve."""
    if target.unix_path:
        return set()
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, ValueError):
        return set()
    return {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}


def holders(inodes, proc: str = "/proc") -> dict:
    """``{pid: [inode, ...]}`` of the processes holding any of ``inodes`` open."""
    wanted = set(inodes)
    found = {}
    try:
        pids = [name for name in os.listdir(proc) if name.isdigit()]
    except OSError:
        return found
    for pid in pids:
        fd_dir = os.path.join(proc, pid, "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                match = _SOCKET_LINK.match(os.readlink(os.path.join(fd_dir, fd)))
            except OSError:
                continue
            if match and int(match.group(1)) in wanted:
                found.setdefault(int(pid), []).append(int(match.group(1)))
    return found


def unit_of(pid: int, proc: str = "/proc") -> str:
    """The systemd unit a process runs in, from its cgroup path ('' when it cannot be told)."""
    try:
        with open(os.path.join(proc, str(pid), "cgroup"), encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return ""
    # cgroup v2 ("0::/system.slice/x.service") first, else the systemd hierarchy of v1.
    paths = [line.split(":", 2)[2] for line in lines if line.startswith("0::")]
    paths += [line.split(":", 2)[2] for line in lines if ":name=systemd:" in line]
    for path in paths:
        for part in path.split("/"):
            if _UNIT.match(part):
                return part
    return ""


def sockets_of(target, proc: str = "/proc") -> list:
    """``[(inode, uid)]`` of the sockets listening where a probe ``target`` connects on this host."""
    addresses = addresses_of(target)
    if not addresses:
        return []
    try:
        tcp = _read(os.path.join(proc, "net", "tcp"))
        tcp6 = _read(os.path.join(proc, "net", "tcp6"))
    except OSError:
        return []
    return [
        (inode, uid)
        for address, lport, inode, uid in listening(tcp, tcp6, with_uid=True)
        if lport == target.port and _serves(address, addresses)
    ]


def owners(sockets, proc: str = "/proc") -> list | None:
    """``[{pid, unit}]`` of the processes holding any of ``sockets`` (``sockets_of``); None if none is readable."""
    held = holders([inode for inode, _uid in sockets], proc) if sockets else {}
    if not held:
        return None
    return [{"pid": pid, "unit": unit_of(pid, proc)} for pid in sorted(held)]


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def uid_of(pid, proc: str = "/proc"):
    """The real uid of process ``pid`` (its /proc status, readable without ptrace rights), or None."""
    try:
        with open(os.path.join(proc, str(int(pid)), "status"), encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, TypeError):
        return None
    return None


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""


def owner_problem(target, unit: str, proc: str = "/proc", main_pid=None) -> tuple:
    """``(problem, owners)``: why the probe ``target`` (``_http.parse_url``'s) is not ``unit``'s to answer
    ('' when it is, or cannot be told).

    The socket is the unit's when any process holding it runs in ``unit``, or it is PID 1's (systemd
    holds it for socket activation). Where other processes' descriptors cannot be read (no
    CAP_SYS_PTRACE, as in a container), the socket's owner uid is compared with the uid of the unit's
    main process (``main_pid``) instead: a socket of another user is another service's; a root-owned one
    (systemd's, for socket activation, or a root service's) cannot be told apart and is not judged.
    """
    url = target.url
    sockets = sockets_of(target, proc)
    found = owners(sockets, proc)
    if not found:
        uids = sorted({uid for _inode, uid in sockets})
        if not sockets or main_pid is None or 0 in uids:
            return "", None
        named = ", ".join(f"uid {uid} ({user_name(uid)})" for uid in uids)
        fix = (
            f": another service listens on that address. Point the URL at {unit}'s own listener (or stop what"
            " holds the port)"
        )
        listed = [{"pid": None, "uid": uid, "unit": None} for uid in uids]
        expected = uid_of(main_pid, proc) if _int(main_pid) > 0 else None
        if expected is None:
            # The unit has no main process (it exited, or is restarting): whatever answered, it was not the unit.
            return f"{url} is answered by a socket of {named}, while {unit} has no running main process{fix}", listed
        if expected in uids:
            return "", None
        return (
            f"{url} is answered by a socket of {named}, not of {unit}'s main process (pid {main_pid}, uid"
            f" {expected} ({user_name(expected)})){fix}"
        ), listed
    if any(item["unit"] == unit or item["pid"] == 1 for item in found):
        return "", found
    named = ", ".join(f"pid {item['pid']} ({item['unit'] or 'no unit'})" for item in found)
    return (
        f"{url} is answered by {named}, not {unit}: another service listens on that address. Point the URL at"
        f" {unit}'s own listener (or stop what holds the port)"
    ), found


#: A ListenStream= of a port alone binds every address; so do these.
_WILDCARDS = frozenset(("::", "0.0.0.0"))
_HOST_PORT = re.compile(r"\A(?:\[(?P<v6>[^\]]+)\]|(?P<v4>[^:\[\]]+)):(?P<port>\d{1,5})\Z")


def listen_key(listen: str):
    """What a socket unit's ``ListenStream=`` (or ``systemctl list-sockets``' LISTEN) binds: ``("unix", path)``,
    ``("inet", address, port)`` (address ``::`` for a port alone) or None (netlink, a name systemd resolves...)."""
    listen = str(listen).strip()
    if listen.startswith(("/", "@")):
        return ("unix", listen)
    if listen.isdigit():
        return ("inet", "::", int(listen))
    found = _HOST_PORT.match(listen)
    if not found:
        return None
    try:
        address = ipaddress.ip_address(found.group("v6") or found.group("v4"))
    except ValueError:
        return None
    return ("inet", str(address), int(found.group("port")))


def _overlaps(one, other) -> bool:
    if one is None or other is None or one[0] != other[0]:
        return False
    if one[0] == "unix":
        return one[1] == other[1]
    return one[2] == other[2] and (one[1] == other[1] or one[1] in _WILDCARDS or other[1] in _WILDCARDS)


def socket_peers(listen: str, list_sockets: str, own_unit: str) -> list:
    """``[{listen, unit, activates}]``: the socket units other than ``own_unit`` that listen where ``listen``
    (a ``ListenStream=``) would, from the output of ``systemctl list-sockets --all --full --no-legend``
    (LISTEN, which may hold a space, then UNIT and ACTIVATES). Sockets bound with ReusePort= would share
    that address's connections without an error; a wildcard address overlaps every address on its port."""
    wanted = listen_key(listen)
    peers = []
    for line in list_sockets.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        address, unit, activates = " ".join(fields[:-2]), fields[-2], fields[-1]
        if unit != own_unit and _overlaps(wanted, listen_key(address)):
            peers.append({"listen": address, "unit": unit, "activates": None if activates == "-" else activates})
    return peers
