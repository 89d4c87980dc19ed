#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: service_facts
short_description: Read, in one call, what the go_service role must know about a host before changing it
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Returns the service manager (the name of PID 1), the systemd version, the release tree that
    M(gosvc.hardening.go_release) keeps under O(release_root) (the current release and the installed
    releases with their digests), whether each of O(paths) exists, the service account (O(user), O(group))
    the state of O(unit), and how each of O(files) is (owner, group, mode, an HMAC of the content).
  - One round trip instead of one task per fact; the role uses it in its preflight and decides from it,
    for example, that a release already installed with the expected digest needs no upload.
  - With O(lease), it first takes the run's lease on the service (see M(gosvc.hardening.run_lock)), so that the
    facts it reads are not changing under another run, and fails naming that run when it holds the lease. The
    lease is bookkeeping, not a change of the host.
  - Apart from the lease, it only reads, runs unchanged in check mode and always reports C(changed=false). It does
    not fail on a release tree that go_release would refuse, and not on a host without systemd unless O(require_systemd)
    says so; it reports them.
  - Uses only the Python standard library on the target (Python 3.9 or later).
options:
  release_root:
    description:
      - The root of a release tree managed by M(gosvc.hardening.go_release), for example V(/opt/demo).
      - Unset, RV(release) is null.
    type: path
  paths:
    description:
      - Paths to report in RV(paths) as existing or not.
    type: list
    elements: path
    default: []
  files:
    description:
      - Paths to describe in RV(files) (type, owner, group, mode, and for a file an HMAC of its content under
        O(digest_key)).
      - The go_service role lists the unit, the drop-in, the environment file and their directories, and hands
        the result to M(gosvc.hardening.service_config) (its O(gosvc.hardening.service_config#module:known_files)),
        which then needs no round trip of its own when nothing would change.
    type: list
    elements: path
    default: []
  digest_key:
    description:
      - The key of the HMAC-SHA256 that RV(files) reports for each file's content. Never logged.
      - The controller keeps it; without it a file is described without C(hmac). A plain digest of a file that
        holds secrets (the environment file) would let anyone who reads the task result test guesses of them.
    type: str
    default: ""
  marker:
    description:
      - A text that the files a role writes carry in their first 4 KiB (the go_service role passes
        V(by gosvc.hardening.go_service), which its templates write). When set, RV(ownership) tells for each
        path of O(files) whether it is a regular file carrying it and, for a directory, what it holds.
      - The role takes over and removes only what carries it.
    type: str
    default: ""
  require_systemd:
    description:
      - Fail, with every fact read, when the host does not run systemd as its service manager, C(systemctl
        --version) does not answer, or the systemd is older than 247. The message names PID 1 or the version. The
        go_service role sets it; a separate task to refuse such a host is then not needed.
    type: bool
    default: false
  user:
    description: A user whose passwd entry is reported in RV(account) (C(account.user)).
    type: str
  group:
    description: A group whose entry is reported in RV(account) (C(account.group)).
    type: str
  unit:
    description: A unit whose state (C(systemctl show)) is reported in RV(unit).
    type: str
  binary_requirements:
    description:
      - What a binary needs from the host, as M(gosvc.hardening.go_artifact) reads it on the controller
        (its RV(gosvc.hardening.go_artifact#module:binary_requirements)). RV(runnable) then tells whether this host
        can run that binary, before it is sent.
      - Mutually exclusive with O(binary_path).
    type: dict
  binary_requirements_error:
    description:
      - Why the binary's requirements could not be read (go_artifact's
        RV(gosvc.hardening.go_artifact#module:binary_requirements_error)). Given without O(binary_requirements),
        RV(runnable) reports it as the problem, since no host runs a file that is not an ELF executable.
    type: str
  binary_path:
    description:
      - A binary already on this host (the go_service role's C(go_service_binary_remote_src)) whose ELF headers
        RV(runnable) is read from.
    type: path
  binary_label:
    description: How RV(runnable) problems name the binary, for example V(node_exporter 1.5.0).
    type: str
    default: the binary
  binary_origin:
    description:
      - The directory the binary will be installed in, for C($ORIGIN) in its run paths. Defaults to the directory
        of O(binary_path); without either, such run path entries are skipped.
    type: path
  require_runnable:
    description:
      - Fail, with every fact read, when RV(runnable) has problems. The message names each, with what the host
        has and how to build a binary it can run.
    type: bool
    default: false
  socket_listen:
    description:
      - The C(ListenStream=) of the service's own socket unit (socket activation), for example V(127.0.0.1:8080),
        V(8080) or a unix socket path. Set, RV(socket_peers) lists the other socket units that listen there.
    type: str
    default: ""
  socket_unit:
    description:
      - The service's own socket unit, left out of RV(socket_peers).
    type: str
    default: ""
  writes:
    description:
      - The paths the run may write (the unit, the environment file, the release root, the configuration files).
        Each is reported in RV(room), and the module fails, changing nothing, when one of them is on a read-only
        file system.
    type: list
    elements: path
    default: []
  release_version:
    description:
      - The release the run installs under O(release_root). When it is not installed there yet, the module fails,
        changing nothing, unless the file system of O(release_root) has room for it, that is O(release_bytes) (or the
        size of O(binary_path)) and 1 MiB for go_release's record and snapshot.
      - O(release_root) must be one of O(writes).
    type: str
  release_bytes:
    description:
      - The size in bytes of the binary of O(release_version). Unset, the size of O(binary_path).
    type: int
  lease:
    description:
      - Take the run's lease on the service O(lease.name) before reading anything, as
        M(gosvc.hardening.run_lock) with O(gosvc.hardening.run_lock#module:state=acquired) does; the result is in
        RV(lease). Another run's live lease is waited for up to O(lease.wait) seconds, then the module fails naming
        that run (RV(lease_held)), having read and changed nothing.
      - The action plugin fills O(lease.run_id) and O(lease.holder) from the controller, and O(lease.dead) when the
        run that holds the lease was started on this controller and has ended.
      - Unset or empty, no lease is taken.
    type: dict
    suboptions:
      name:
        description: The service the lease is on (a file name, for example V(demo)).
        type: str
        required: true
      run_id:
        description: The run's id. Filled by the action plugin.
        type: str
        required: true
      holder:
        description: Who holds the lease (C(controller), C(user), C(pid)). Filled by the action plugin.
        type: dict
        default: {}
      ttl:
        description: Seconds the lease lasts, from now.
        type: int
        default: 1800
      wait:
        description: Seconds to wait for another run's live lease before failing.
        type: int
        default: 0
      dir:
        description: Where lease files live.
        type: path
        default: /run/gosvc-hardening
      dead:
        description: Run ids known to have ended, whose leases are taken over at once.
        type: list
        elements: str
        default: []
attributes:
  check_mode:
    support: full
    description: The module only reads files and runs C(systemctl --version), C(systemctl show) and
      C(systemctl list-sockets); in check mode it does not write the lease either, but waits for and refuses
      another run's lease all the same.
  diff_mode:
    support: none
    description: There is nothing to diff; the module changes nothing.
  idempotent:
    support: full
    description: Read-only; repeated runs give the same result while the host stays the same.
notes:
  - The systemd version comes from C(systemctl --version); the service manager from C(/proc/1/comm).
seealso:
  - module: gosvc.hardening.go_release
  - module: gosvc.hardening.run_lock
"""

EXAMPLES = r"""
- name: Read the host before changing it
  gosvc.hardening.service_facts:
    release_root: /opt/demo
    paths:
      - /etc/systemd/system/demo-health.timer
  register: host

- name: Read a host that must run systemd (fails, naming PID 1, when it does not)
  gosvc.hardening.service_facts:
    require_systemd: true
    unit: demo.service
  register: host
"""

RETURN = r"""
lease:
  description:
    - The lease taken with O(lease), as M(gosvc.hardening.run_lock) returns it (C(status), C(lease), C(previous),
      C(waited), C(path)); null without O(lease).
  returned: always
  type: dict
  sample: {"status": "acquired", "path": "/run/gosvc-hardening/demo.lease", "previous": null, "waited": 0,
           "lease": {"run_id": "ci-1:4242:88123", "holder": {"controller": "ci-1", "user": "deploy", "pid": 4242},
                     "acquired_at": 1796450000.5, "renewed_at": 1796450000.5, "expires_at": 1796451800.5}}
lease_held:
  description: The lease of the other run that holds the service, when the module failed because of it.
  returned: failure
  type: dict
stale_backups:
  description:
    - Backups of any of O(files) beside them, named as M(gosvc.hardening.service_config) names its backups
      (C(<file>.<pid>.<YYYY-MM-DD@HH:MM:SS>~)). A run removes or restores its own, so these were left by a run that
      never got there (killed, or failed with its rollback off); the role removes them.
  returned: always
  type: list
  elements: str
  sample: ["/etc/demo/demo.env.4242.2026-12-06@09:23:01~"]
service_manager:
  description: The command name of PID 1 (V(systemd) on a systemd host); null when unreadable.
  returned: always
  type: str
  sample: systemd
systemd_version:
  description: The major version printed by C(systemctl --version); null without a working systemctl.
  returned: always
  type: int
  sample: 252
release:
  description: The release tree under O(release_root); null when O(release_root) is not given.
  returned: always
  type: dict
  contains:
    root:
      description: O(release_root).
      type: str
      returned: always
    exists:
      description: Whether O(release_root) is a directory.
      type: bool
      returned: always
    probes:
      description:
        - The health and readiness URLs the current release was proven healthy on (its snapshot's, see
          M(gosvc.hardening.go_release) O(gosvc.hardening.go_release#module:probes)); null when it has no snapshot.
      type: dict
      returned: always
    snapshot_files:
      description:
        - The files the current release ran with when it was last proven healthy (those its snapshot found on the
          host); empty when it has no snapshot.
      type: list
      elements: str
      returned: always
    current:
      description: The release C(current) points to, when it is an installed release; null otherwise.
      type: str
      returned: always
    releases:
      description: Installed releases (recorded and with their binary present), in install order.
      type: list
      elements: dict
      returned: always
      sample: [{"version": "1.0.0", "sha256": "d883...", "installed_at": "2026-11-30T10:00:00Z"}]
    recorded:
      description:
        - Whether the release record C(.releases.json) that M(gosvc.hardening.go_release) writes exists under
          O(release_root), the sign that the tree is one go_release installed.
      type: bool
      returned: always
    switched_from:
      description: The release C(current) pointed to before the last switch.
      type: str
      returned: always
    process_predates_switch:
      description:
        - Whether the main process of O(unit) started more than a second before C(current) was last switched (the
          link's mtime against systemd's C(ExecMainStartTimestampMonotonic)); null when no process runs, O(unit) is
          not given or there is no C(current).
        - True means it runs the release C(current) pointed to before; a run switched C(current) and was stopped
          before it restarted the service. The go_service role then restarts it.
      type: bool
      returned: always
    error:
      description: Why the tree could not be read (go_release would refuse it the same way); null when fine.
      type: str
      returned: always
paths:
  description: Each path of O(paths) and whether it exists.
  returned: always
  type: dict
  sample: {"/etc/systemd/system/demo-health.timer": false}
files:
  description:
    - Each path of O(files) as C(lstat) sees it (a symbolic link is not followed).
    - C(exists) is null and C(error) set when the path could not be read. C(type) is V(file), V(directory) or
      V(other); C(owner) and C(group) are names (numbers when they have none); C(mode) is octal.
    - C(hmac) is the HMAC-SHA256 of a file's content under O(digest_key), for files up to 1 MiB when a key is
      given; never the content or a plain digest.
  returned: always
  type: dict
  sample: {"/etc/demo/demo.env": {"exists": true, "type": "file", "owner": "root", "group": "demo",
           "mode": "0640", "hmac": "5c1d..."}, "/etc/systemd/system/demo.service.d/50-gosvc-overrides.conf":
           {"exists": false}}
room:
  description:
    - For each path of O(writes), the directory a write there lands in (the path or its nearest existing parent),
      whether its file system is mounted read-only, and the bytes free there (for unprivileged users; root may have
      the reserved blocks besides). Null for a path that cannot be read.
  returned: always
  type: dict
  sample: {"/opt/demo": {"dir": "/opt", "read_only": false, "free_bytes": 52428800}}
socket_peers:
  description:
    - "The socket units of systemd, other than O(socket_unit), that listen where O(socket_listen) would
      (C(systemctl list-sockets --all)): the same unix socket path, or the same port at the same address or at a
      wildcard one. Sockets bound with C(ReusePort=) would share that address's connections without an error."
    - Null without O(socket_listen), or when systemctl could not list the sockets.
  returned: always
  type: list
  elements: dict
  sample: [{"listen": "127.0.0.1:8080", "unit": "other.socket", "activates": "other.service"}]
account:
  description:
    - The entries of O(user) and O(group); each null when not given or not existing.
    - C(password_locked) is true when the user's shadow password is exactly C(!) (no password can log in); never
      a hash. Null when C(/etc/shadow) cannot be read.
  returned: always
  type: dict
  sample: {"user": {"name": "demo", "uid": 998, "gid": 998, "home": "/nonexistent", "shell": "/usr/sbin/nologin",
           "comment": "demo service account", "password_locked": true}, "group": {"name": "demo", "gid": 998}}
ownership:
  description:
    - With O(marker), for each path of O(files) (null without O(marker)).
    - C(marked) maps a path to whether it is a regular file (not a link) carrying O(marker) in its first 4 KiB.
    - C(entries) maps a path to the sorted names in it when it is a directory (not a link; at most 65 names,
      enough to tell whether anything besides the role's own files is there), else null.
  returned: always
  type: dict
  sample: {"marked": {"/etc/demo/demo.env": true, "/etc/demo": false},
           "entries": {"/etc/demo/demo.env": null, "/etc/demo": ["demo.env"]}}
runnable:
  description:
    - Whether this host can run the binary O(binary_requirements) or O(binary_path) describes; null when neither
      is given. Decided from ELF headers alone, as the program loader would decide (architecture and class, GOOS and
      GOARCH from Go build information, the program interpreter, every needed library (run paths,
      C(/etc/ld.so.cache), C(/etc/ld.so.conf), the default directories) and every versioned symbol requirement
      (for example C(GLIBC_2.34)) against the versions the host's library defines).
    - C(problems) is a list of sentences, empty when the host can run it; C(requirements) is what the binary needs
      (as RV(gosvc.hardening.go_artifact#module:binary_requirements)); C(host) what this host offers it
      (architecture, interpreter, the libraries found and the glibc release).
  returned: always
  type: dict
  sample: {"problems": ["node_exporter 1.5.0 needs GLIBC_2.32 and GLIBC_2.34; this host has glibc 2.31: build it
           with CGO_ENABLED=0 or for an older glibc (glibc 2.31 or older)"], "requirements": {"arch": "x86_64"},
           "host": {"arch": "x86_64", "glibc": {"release": "2.31"}}}
unit:
  description:
    - The state of O(unit); null when not given or when C(systemctl show) failed.
    - C(n_restarts) is systemd's C(NRestarts), the automatic restarts since the unit was last started or restarted
      on purpose; null when systemd does not report it.
    - C(fragment_path) is the unit file systemd loaded it from (null for a unit without one); another path than
      the role's means the name belongs to another unit.
    - C(user) and C(group) are its C(User=) and C(Group=) (null when it names none, i.e. root).
    - C(main_started_monotonic) is when its main process started, in CLOCK_MONOTONIC seconds (null when none
      runs).
  returned: always
  type: dict
  sample: {"name": "demo.service", "load_state": "loaded", "active_state": "active", "sub_state": "running",
           "unit_file_state": "enabled", "need_daemon_reload": false, "n_restarts": 0,
           "main_started_monotonic": 5123.456789,
           "fragment_path": "/etc/systemd/system/demo.service", "user": "demo", "group": "demo"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._lease import (
    LeaseError,
    LeaseHeld,
    take,
    took_over_warning,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._runnable import RequirementsError, runnable_facts
from ansible_collections.gosvc.hardening.plugins.module_utils._service_facts import (
    ARGUMENT_SPEC,
    gather,
    release_bytes,
    room_facts,
    room_problems,
    systemd_problem,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import COMMAND_ENV


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[["binary_requirements", "binary_path"], ["binary_requirements_error", "binary_path"]],
        supports_check_mode=True,
    )

    def run(argv):
        return module.run_command(argv, environ_update=COMMAND_ENV)

    params = module.params
    lease = None
    if params["lease"]:
        name = params["lease"]["name"]
        try:
            lease = take(name, params["lease"], module.check_mode)
        except LeaseHeld as exc:
            module.fail_json(
                msg=f"service_facts: {name}: {exc}. Nothing on the host was changed.", lease_held=exc.lease
            )
        except LeaseError as exc:
            module.fail_json(msg=f"service_facts: {name}: {exc}. Nothing on the host was changed.")
        warning = took_over_warning(name, lease)
        if warning:
            module.warn(f"service_facts: {warning}")
    facts = gather(
        run,
        params["release_root"],
        params["paths"],
        user=params["user"],
        group=params["group"],
        unit=params["unit"],
        files=params["files"],
        digest_key=params["digest_key"],
        marker=params["marker"],
        socket_listen=params["socket_listen"],
        socket_unit=params["socket_unit"],
    )
    binary = dict(
        requirements=params["binary_requirements"],
        error=params["binary_requirements_error"],
        path=params["binary_path"],
        origin=params["binary_origin"],
        name=params["binary_label"],
    )
    facts["lease"] = lease
    facts["runnable"] = None
    if binary["requirements"] is not None or binary["error"] or binary["path"]:
        try:
            facts["runnable"] = runnable_facts(**binary)
        except RequirementsError as exc:
            module.fail_json(
                msg=f"service_facts: binary_requirements: {exc}. Nothing on the host was changed.", **facts
            )
    problems = [systemd_problem(facts)] if params["require_systemd"] else []
    if params["require_runnable"] and facts["runnable"]:
        problems += facts["runnable"]["problems"]
    facts["room"] = room_facts(params["writes"])
    needed = release_bytes(facts["release"], params["release_version"], params["release_bytes"], params["binary_path"])
    problems += room_problems(facts["room"], params["release_root"], needed)
    problems = [p for p in problems if p]
    if problems:
        msg = f"service_facts: {'; '.join(problems)}. Nothing on the host was changed."
        module.fail_json(msg=msg, changed=False, **facts)
    module.exit_json(changed=False, **facts)


if __name__ == "__main__":
    main()
