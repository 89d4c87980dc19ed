#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: go_release
short_description: Install a verified binary as an immutable release and switch to it atomically
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Installs one binary as a versioned release under O(root) and points the C(current) symbolic link at it, in one
    task. It verifies the staged file, creates the release directory, links the binary into it, records the install
    order, switches C(current), and prunes old releases and staged files.
  - "Layout under O(root): C(.staging/<sha256>) holds uploaded binaries, named by digest;
    C(releases/<version>/<binary_name>) is one release (root-owned by default, binary V(0755), directories
    V(0755)); C(current) is a relative symbolic link to C(releases/<version>); C(.releases.json) records the
    installed releases in install order; C(.lock) is locked with C(flock) for the duration of the task, so two
    runs on the same root never interleave."
  - The staged file O(src) is verified against O(checksum) before anything is created. A mismatch fails the task
    and leaves the tree as it was.
  - The binary is hard-linked from O(src) to a temporary name in the release directory, verified again, given
    O(owner), O(group) and O(mode), and renamed into place. When a hard link is impossible (for example O(src)
    is on another file system) the file is copied and fsynced instead.
  - Owner, group and mode are set through a file descriptor, never by path. The temporary file is opened without
    following a symbolic link, hashed through that descriptor, and given O(owner), O(group) and O(mode) through
    the same descriptor; it must still be the same file (device and inode) just before and just after the rename.
    An installed binary whose attributes are corrected must be a regular file, not a symbolic link, with the
    recorded digest. Otherwise the task fails and changes nothing outside the release, so a user that can write
    to the release directory cannot redirect the change to another file.
  - Releases are immutable. Installing a version that is already installed with the same digest changes
    nothing; with a different digest the task fails and the release is not touched.
  - C(current) is switched by creating a temporary symbolic link in O(root) and renaming it over C(current), so
    C(current) never disappears, not even for a moment.
  - With O(state=rollback), C(current) is switched to an installed release after its binary was checked against
    the digest recorded when it was installed.
  - Temporary files left by an interrupted run (names starting with C(.go_release.)) are removed. A missing or
    dangling C(current) is reported and, with O(state=present), repaired. A release directory without its binary
    counts as not installed. Releases installed before C(.releases.json) existed (or by a run interrupted before
    it recorded them) are adopted into it.
options:
  root:
    description:
      - The release root of the service, for example C(/opt/myservice). It is created (mode V(0755)) when missing
        with O(state=present).
    type: path
    required: true
  state:
    description:
      - V(present) installs O(version) and, unless O(switch=false), switches C(current) to it.
      - V(rollback) switches C(current) to O(version), or without O(version) back to the release C(current)
        pointed to before the last switch by O(state=present) (if that release is still installed; otherwise the
        release installed just before the current one). Running a rollback without O(version) again after it
        succeeded changes nothing; give O(version) to go further back.
      - V(snapshot) records O(files) as they are on the host now as the snapshot of the current release
        (C(<root>/snapshots/<version>/), root only, mode V(0700)), the configuration that release ran with once it
        was healthy. A rollback with O(restore) puts it back. Snapshots of releases no longer installed are removed.
      - Removing the whole tree is not this module's job; remove O(root) with M(ansible.builtin.file).
    type: str
    choices: [present, rollback, snapshot]
    default: present
  version:
    description:
      - The release version; it names the directory C(releases/<version>). Letters, digits and C(. _ + ~ -),
        starting with a letter or digit, at most 128 characters.
      - Required with O(state=present). With O(state=rollback) the release to switch to; when omitted, see
        O(state).
    type: str
  src:
    description:
      - The staged binary on the host, normally C(<root>/.staging/<sha256>), uploaded before this task with
        M(ansible.builtin.copy) (which uploads nothing when the file is already there).
      - Required with O(state=present), unless release O(version) is already installed; its installed binary
        is then hashed again and must match O(checksum) (the role skips the upload on such a re-run).
        Not used with O(state=rollback).
      - A hard link shares the file with the release, so O(owner), O(group) and O(mode) apply to O(src) too.
      - Mutually exclusive with O(local_src).
    type: path
  local_src:
    description:
      - The verified binary on the controller (handled by the action plugin). It is uploaded into the task's
        temporary directory on the host, installed from there like O(src), and the temporary directory is removed
        (one upload and one module run, no staging area to create first).
      - In check mode nothing is uploaded; the release is reported as it would be installed.
      - Only with O(state=present).
    type: path
  checksum:
    description:
      - The expected digest of O(src), as V(sha256:<64 hex digits>) or 64 bare hex digits.
      - Required with O(state=present). With O(state=rollback) optional; when given, the release rolled back to
        must have this digest.
    type: str
  binary_name:
    description:
      - The file name of the binary inside the release directory.
      - Required with O(state=present). With O(state=rollback) the name recorded in C(.releases.json) is used; give
        it only to adopt releases installed before C(.releases.json) existed.
    type: str
  owner:
    description:
      - The owner (user name or numeric uid) of the release directory and the binary. Keep V(root) so that the
        service user cannot change its own binary.
      - Any other owner can rename and replace files in the release directory. The module then never changes the
        owner or mode of a symbolic link's target or of a file it did not verify, and fails when the binary is
        replaced while it is installed.
    type: str
    default: root
  group:
    description:
      - The group (group name or numeric gid) of the release directory and the binary.
    type: str
    default: root
  mode:
    description:
      - The mode of the binary, as a quoted octal string such as V('0755') (an unquoted YAML C(0755) is read as
        the number 493, which is the same mode). Setuid, setgid and sticky bits and world-writable modes are
        refused. Release directories always get V(0755).
    type: raw
    default: '0755'
  keep:
    description:
      - How many releases to keep, counted in install order, newest first. Older releases are removed, and so are
        files in C(.staging) named by a digest that no kept release has (never O(src) of this run).
      - The current release, the release C(current) pointed to before this task, the release a rollback would go
        to and the release of this task are never removed, even when that keeps more than O(keep).
      - Only used with O(state=present).
    type: int
    default: 3
  switch:
    description:
      - Whether to point C(current) at the release. V(false) installs and records the release without switching,
        for example to prepare a canary. Only used with O(state=present).
    type: bool
    default: true
  lock_timeout:
    description:
      - Seconds to wait for another run holding C(<root>/.lock) before failing.
    type: int
    default: 60
  files:
    description:
      - With O(state=snapshot), the files the release runs with (unit, drop-in, environment file, config files). A
        file that does not exist is recorded as absent, and a restore removes it. Each must be a regular file of at
        most 16 MiB.
    type: list
    elements: path
    default: []
  probes:
    description:
      - With O(state=snapshot), the health and readiness URLs that proved the release healthy (for example
        C({health_url, ready_url})), kept with the snapshot; a rollback to the release returns them in RV(restored),
        so that it is proven on its own URLs.
    type: dict
    default: {}
  restore:
    description:
      - With O(state=rollback), also put back the snapshot of the release switched to (see O(state=snapshot)). Every
        file goes back as it was recorded (content checked against the digest recorded with it, owner, mode); a file
        recorded as absent is removed, and so is a file that the snapshot of the release left behind lists and this
        one does not. RV(restored) says what was done; a release without a snapshot is switched to alone.
    type: bool
    default: false
attributes:
  check_mode:
    description:
      - Supported. The staged file and installed releases are verified and every change is computed and reported
        in RV(actions), without creating, changing or removing anything (not even the lock file).
      - When O(src) does not exist in check mode (the upload task did not run), the task warns and reports the
        release as it would be installed.
    support: full
  diff_mode:
    description: Returns the target of C(current) before and after.
    support: full
  idempotent:
    description:
      - A second run with the same options changes nothing. A rollback without O(version) that already happened
        is not repeated.
    support: full
notes:
  - Runs on the target with the Python standard library only.
  - The lock is an advisory C(flock) lock; only other runs of this module honour it.
  - All writes are atomic renames followed by an fsync of the directory, so an interrupted run leaves either the
    old or the new state (plus temporary files that the next run removes).
  - Before each change of C(.releases.json), the record it replaces is kept as C(.releases.json.previous). A release
    the record does not list is taken in (its binary hashed on disk, its order guessed from the version numbers);
    such a run prunes nothing and warns.
seealso:
  - module: gosvc.hardening.checksum_verify
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Upload the verified binary, named by its digest (nothing is sent when it is already there)
  ansible.builtin.copy:
    src: /var/cache/gosvc/myservice/1.4.2/myservice
    dest: /opt/myservice/.staging/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    owner: root
    group: root
    mode: "0755"

- name: Install release 1.4.2 and switch to it
  gosvc.hardening.go_release:
    root: /opt/myservice
    version: 1.4.2
    src: /opt/myservice/.staging/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    checksum: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    binary_name: myservice
    keep: 3
  register: release

- name: Prepare a release without switching to it (canary hosts switch later)
  gosvc.hardening.go_release:
    root: /opt/myservice
    version: 1.5.0
    src: /opt/myservice/.staging/60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
    checksum: sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
    binary_name: myservice
    switch: false

- name: Go back to the release that ran before this deployment
  gosvc.hardening.go_release:
    root: /opt/myservice
    state: rollback
    version: "{{ release.previous_version }}"
  when: release.previous_version is not none

- name: Roll back to the release before the last switch
  gosvc.hardening.go_release:
    root: /opt/myservice
    state: rollback
"""

RETURN = r"""
previous_version:
  description: The release C(current) pointed to before this task; V(null) when it was missing or dangling.
  returned: success
  type: str
  sample: 1.4.1
current_version:
  description:
    - The release C(current) points to after this task (in check mode, would point to). V(null) when C(current)
      is missing or dangling and O(switch=false).
  returned: success
  type: str
  sample: 1.4.2
current_was:
  description:
    - What C(current) was before this task. V(ok) an installed release; V(missing) absent; V(dangling) a link to
      C(releases/<version>) that is not installed; V(foreign) a link to anything else.
  returned: success
  type: str
  sample: ok
restored:
  description: With O(restore), what the snapshot of the release switched to put back.
  returned: success, O(state=rollback) and O(restore)
  type: dict
  contains:
    snapshot:
      description: Whether that release has a snapshot; V(false) when it never ran healthy or was installed before
        snapshots were recorded (only the binary was switched).
      type: bool
    probes:
      description: The URLs that release was proven healthy on (O(probes) when its snapshot was recorded).
      type: dict
    restored:
      description: The files written back.
      type: list
      elements: str
    removed:
      description: The files removed (absent when the snapshot was recorded).
      type: list
      elements: str
snapshot:
  description: With O(state=snapshot), the snapshot recorded.
  returned: success and O(state=snapshot)
  type: dict
  sample: {"changed": true, "version": "0.25.0", "files": ["/etc/systemd/system/alertmanager.service"]}
pruned_snapshots:
  description: With O(state=snapshot), the versions whose snapshots were removed (their releases are gone).
  returned: success and O(state=snapshot)
  type: list
  elements: str
healthy_versions:
  description: With O(state=snapshot), the versions that have a snapshot, i.e. ran healthy at least once.
  returned: success and O(state=snapshot)
  type: list
  elements: str
rolled_back_from:
  description: With O(state=rollback), the release C(current) was switched away from; V(null) when it was not switched.
  returned: success and O(state=rollback)
  type: str
  sample: 1.4.2
release_dir:
  description: The directory of the release installed or rolled back to.
  returned: success
  type: str
  sample: /opt/myservice/releases/1.4.2
binary_path:
  description: The binary of that release (C(current/<binary_name>) resolves to it when it is current).
  returned: success
  type: str
  sample: /opt/myservice/releases/1.4.2/myservice
sha256:
  description: The sha256 digest of that binary, lowercase hex.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
installed:
  description: Whether the binary was (in check mode, would be) put into a new release by this task.
  returned: success
  type: bool
  sample: true
install_method:
  description: V(hardlink) or V(copy) when this task installed the binary; V(null) otherwise and in check mode.
  returned: success
  type: str
  sample: hardlink
switched:
  description:
    - Whether C(current) now resolves to a different release than before (a repaired dangling link counts).
      Use it to decide whether the service must be restarted.
  returned: success
  type: bool
  sample: true
pruned:
  description: Versions whose release directories were (would be) removed, oldest first.
  returned: success
  type: list
  elements: str
  sample: ["1.3.0"]
pruned_staging:
  description: Files removed (to be removed) from C(.staging) because no kept release uses them.
  returned: success
  type: list
  elements: str
  sample: ["/opt/myservice/.staging/5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"]
releases:
  description:
    - The installed releases after this task, in install order (oldest first), as C(.releases.json) records them.
  returned: success
  type: list
  elements: dict
  sample: [{"version": "1.4.1", "sha256": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
            "installed_at": "2025-01-06T10:02:11Z"}]
  contains:
    version:
      description: The release version.
      type: str
      returned: success
    sha256:
      description: The digest of its binary when it was installed.
      type: str
      returned: success
    installed_at:
      description: When it was installed (UTC, ISO 8601); V(null) for a release adopted from an older layout.
      type: str
      returned: success
actions:
  description: What the task changed (in check mode, would change), one line each; empty when nothing changed.
  returned: success
  type: list
  elements: str
  sample: ["install /opt/myservice/releases/1.4.2/myservice from /opt/myservice/.staging/9f86...",
           "write /opt/myservice/.releases.json",
           "switch /opt/myservice/current: releases/1.4.1 -> releases/1.4.2"]
path:
  description: On a digest mismatch, the file whose digest did not match.
  returned: failure
  type: str
  sample: /opt/myservice/.staging/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
expected:
  description: On a digest mismatch, the expected sha256.
  returned: failure
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
actual:
  description: On a digest mismatch, the actual sha256.
  returned: failure
  type: str
  sample: 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
"""

import errno

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._release import (
    ARGUMENT_SPEC,
    ReleaseError,
    install_release,
    rollback_release,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._snapshot import snapshot_release
from ansible_collections.gosvc.hardening.plugins.module_utils._snapshot_restore import restore_release


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    params = module.params
    if params["local_src"] is not None:
        module.fail_json(msg="local_src is handled by the go_release action plugin; this module run got it directly")
    state = params["state"]
    if state == "present":
        action = f"Installing release {params['version']} in {params['root']}"
    elif state == "snapshot":
        action = f"Recording the snapshot of the current release in {params['root']}"
    else:
        action = f"Rolling back {params['root']}" + (f" to {params['version']}" if params["version"] else "")
    try:
        if state == "present":
            for option in ("version", "checksum", "binary_name"):
                if params[option] is None:
                    raise ReleaseError(f"{option} is required with state=present; {_HINTS[option]}")
            result = install_release(params, module.check_mode)
        elif state == "snapshot":
            module.exit_json(**snapshot_release(params, module.check_mode))
        else:
            result = rollback_release(params, module.check_mode)
            if params["restore"]:
                result["restored"] = restore_release(params, result, module.check_mode)
                result["changed"] = result["changed"] or bool(
                    result["restored"]["restored"] + result["restored"]["removed"]
                )
    except ReleaseError as exc:
        module.fail_json(msg=f"{action}: {exc}", root=params["root"], version=params["version"], **exc.details)
    except OSError as exc:
        hint = ""
        if exc.errno in (errno.EPERM, errno.EACCES):
            hint = "; run the task with become: true (the release tree belongs to root)"
        module.fail_json(msg=f"{action}: {exc.filename or ''}: {exc.strerror or exc}{hint}", root=params["root"])
    for warning in result.pop("warnings"):
        module.warn(warning)
    diff = result.pop("diff")
    if module._diff and diff["before"] != diff["after"]:
        result["diff"] = diff
    module.exit_json(**result)


_HINTS = {
    "version": "give the release version, for example version: 1.4.2",
    "src": "give the staged binary, normally <root>/.staging/<sha256> (the role copies it there first)",
    "checksum": "give the verified digest as sha256:<64 hex digits>",
    "binary_name": "give the file name of the binary in the release directory, for example binary_name: myservice",
}


if __name__ == "__main__":
    main()
