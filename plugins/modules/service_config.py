#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: service_config
short_description: Write a service's unit, overrides drop-in and environment file in one verified, atomic step
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - "Installs the three configuration files of a systemd service in one task (one round trip): the unit
    C(<unit_dir>/<unit_name>), the drop-in C(<unit_dir>/<unit_name>.d/<overrides_name>) and the environment
    file O(env_file) (with its directory)."
  - The contents come from the controller, typically rendered with C(lookup('ansible.builtin.template', ...)).
    The module compares them with the host and changes only what differs.
  - Before a changed unit or drop-in is written, both are verified together with C(systemd-analyze verify)
    in a scratch directory (O(verify)). systemd ignores a line it cannot use (an unknown key or section, a value
    it cannot parse) and C(systemd-analyze verify) still exits 0; here every such line fails the task, naming
    the installed path, the line number and the line. Nothing is written when verification fails.
  - Each file is written to a temporary file in its directory and renamed over the old one. With O(backup),
    a replaced or removed file is first copied to C(<path>.<pid>.<timestamp>~) and listed in RV(backups), so
    that a later rollback can put the whole configuration back.
  - The environment file may hold secrets. O(env) is never logged and the diff (C(--diff)) masks the values of
    O(env_secret_keys), before and after. The file is read as systemd reads it, so an assignment is masked whole, on
    all its lines (a value in double or single quotes that spans lines, or continued by a backslash at a line end);
    a hand-edited file is masked conservatively (a quote left open hides the rest of the file, a commented-out
    assignment is masked too). The diff tells only that such a value changed.
  - It does not reload systemd or restart the service; RV(content_changed) tells the caller whether it must.
  - With O(known_files) from the play's earlier M(gosvc.hardening.service_facts) call, the action plugin
    tells on the controller that nothing would change and makes no round trip (a no-change run then costs one
    call to the host fewer).
  - Uses only the Python standard library on the target (Python 3.9 or later).
options:
  unit_name:
    description: The unit's name, for example V(demo.service).
    type: str
    required: true
  unit_dir:
    description: The directory of the unit file.
    type: path
    default: /etc/systemd/system
  unit:
    description: The unit file's content.
    type: str
    required: true
  overrides:
    description:
      - The content of the drop-in O(overrides_name). Empty, the drop-in is removed when present (backed up
        with O(backup)).
    type: str
    default: ""
  overrides_name:
    description: File name of the drop-in in C(<unit_name>.d/).
    type: str
    default: 50-gosvc-overrides.conf
  socket:
    description:
      - Content of the service's socket unit, C(<unit_dir>/<name>.socket) (O(unit_name) with C(.socket)), for a
        socket-activated service; verified together with the unit. Empty means no socket unit (an existing one is
        removed, with a backup).
    type: str
    default: ""
  env_file:
    description:
      - Path of the environment file (C(EnvironmentFile=) of the unit). Its directory is created as
        C(root:<group>) mode V(0750); the file is C(root:<group>) mode V(0640).
    type: path
    required: true
  env:
    description: The environment file's content. Never logged.
    type: str
    required: true
  env_secret_keys:
    description: Variable names of O(env) whose values are masked in the diff (C(--diff)), every line of them.
    type: list
    elements: str
    default: []
  group:
    description: The group that may read the environment file (the service's group). It must exist.
    type: str
    required: true
  backup:
    description: Keep a copy of every file this task replaces or removes, listed in RV(backups).
    type: bool
    default: false
  verify:
    description:
      - V(strict) verifies a changed unit and drop-in with C(systemd-analyze verify) before writing, and fails when
        systemd would ignore a line or when verify itself fails (for example, the C(ExecStart=) binary is missing).
      - V(syntax) fails only on ignored lines (use it before the binary is installed).
      - V(none) skips the verification.
    type: str
    choices: [strict, syntax, none]
    default: strict
  known_files:
    description:
      - How the managed files and directories were on the host, as RV(gosvc.hardening.service_facts#module:files)
        read them earlier in the play (its O(gosvc.hardening.service_facts#module:files) listing the unit, the
        drop-in, the environment file and their directories, with the same O(digest_key)).
      - "Used on the controller by the action plugin: when every managed path is there exactly as wanted (type,
        owner, group, mode and an HMAC of the content), the task reports no change without a round trip to the
        host (RV(compared_on) is V(controller)). Anything missing, different or unreadable, and the module runs
        on the host as usual. Empty (the default), the module always runs."
      - Pass it only while nothing else has changed those paths since they were read (the role passes it unless
        its account phase ran).
    type: dict
    default: {}
  digest_key:
    description:
      - The key O(known_files) were read with (the O(gosvc.hardening.service_facts#module:digest_key) of that
        call). The go_service role keeps one per controller user, next to its artifact cache. Never logged, and
        this task does not send it to the host.
    type: str
    default: ""
  config_dir:
    description:
      - The directory of O(config_files). By default the directory of O(env_file); another directory is created
        C(root:<group>) mode V(0750).
    type: path
  config_files:
    description:
      - The service's own configuration files (the file it reads with C(--config.file) and the like). Each is
        written C(root:<group>), compared, backed up (O(backup)) and renamed into place like the other files, and
        a change of one counts in RV(content_changed), so that the caller restarts the service.
      - Before anything is written (the unit and environment file included), every changed file with a
        C(validate) command is checked on a copy of its new content; a failure fails the task and nothing on the
        host is changed.
      - A file left out of the list is not removed.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description:
          - The file's path relative to O(config_dir), of plain names without C(..), for example V(config.yml) or
            V(rules/alerts.yml) (a subdirectory is created C(root:<group>) V(0750)). Not the environment file's name.
        type: str
        required: true
      content:
        description:
          - The file's content, shown in a diff.
          - Exactly one of O(config_files[].content), O(config_files[].secret_content) and O(config_files[].src).
        type: str
      secret_content:
        description:
          - The content of a file that holds secrets. Never logged, and a diff says only that it changed; a failed
            validation does not show the validator's output.
        type: str
      src:
        description:
          - A file on the controller to take the content from (UTF-8 text), found like the O(config_files[].src) of
            M(ansible.builtin.copy) (a role's C(files/), a play's directory; vault-encrypted files are decrypted).
            Read by the action plugin; the host receives the content.
        type: path
      secret:
        description:
          - Treat O(config_files[].content) or the content of O(config_files[].src) as
            O(config_files[].secret_content).
        type: bool
        default: false
      mode:
        description: The file's mode, an octal string; not writable by others, no setuid, setgid or sticky bit.
        type: str
        default: "0640"
      validate:
        description:
          - A command that checks the new content before anything is written, with V(%s) where the path of a copy
            goes, for example V(amtool check-config %s). Split into words like a shell would (no shell runs it);
            it runs as the connection user, on the host, in check mode too. It must exit 0.
        type: str
attributes:
  check_mode:
    support: full
    description:
      - Reports what would change (with the diff), verifies the new unit and validates changed config files, writing
        nothing.
  diff_mode:
    support: full
    description: One before/after record per changed file; values of O(env_secret_keys) are masked, whole.
  idempotent:
    support: full
    description: A second run with the same contents changes nothing.
notes:
  - The P(gosvc.hardening.go_service#role) role calls this module for its config phase.
seealso:
  - module: gosvc.hardening.service_facts
"""

EXAMPLES = r"""
- name: Write the unit, overrides and environment file
  gosvc.hardening.service_config:
    unit_name: demo.service
    unit: "{{ lookup('ansible.builtin.template', 'unit.service.j2') }}"
    overrides: |
      [Service]
      LimitNOFILE=16384
    env_file: /etc/demo/demo.env
    env: "{{ lookup('ansible.builtin.template', 'env.j2') }}"
    env_secret_keys: [API_TOKEN]
    group: demo
    backup: true
  register: config

- name: Restart when the configuration changed
  ansible.builtin.systemd_service:
    name: demo.service
    state: restarted
    daemon_reload: true
  when: config.content_changed
"""

RETURN = r"""
compared_on:
  description:
    - Where the files were compared; V(host) when the module ran, V(controller) when O(known_files) showed that
      nothing would change and no round trip was made.
  returned: always
  type: str
  sample: host
content_changed:
  description:
    - Whether the content of a file changed (a file written, created or removed); a restart is due.
    - On a failure to write, whether a file written before the failure changed; the file that failed is as it was,
      and a backup made of it is removed.
  returned: always
  type: bool
files:
  description:
    - Per file (C(unit), C(overrides), C(env), and C(config:<dest>) for each of O(config_files)) its path, whether it
      changed (C(changed), content or owner, group and mode; C(content_changed), the content), was created or
      removed, and the backup made of it.
  returned: always
  type: dict
  sample: {"unit": {"path": "/etc/systemd/system/demo.service", "changed": true, "content_changed": true,
           "created": false, "removed": false,
           "backup_file": "/etc/systemd/system/demo.service.4242.2026-11-30@10:00:00~"}}
backups:
  description: The files replaced or removed by this task and their copies, as a rollback puts them back.
  returned: always
  type: list
  elements: dict
  sample: [{"dest": "/etc/demo/demo.env", "backup_file": "/etc/demo/demo.env.4242.2026-11-30@10:00:00~",
            "owner": "root", "group": "demo", "mode": "0640"}]
created:
  description: Files this task created (a rollback removes them).
  returned: always
  type: list
  elements: str
validated:
  description: The config files whose C(validate) command ran on their new content (and passed), with its exit status.
  returned: always
  type: list
  elements: dict
  sample: [{"dest": "/etc/alertmanager/alertmanager.yml", "command": "amtool check-config %s", "rc": 0}]
verify:
  description: The result of C(systemd-analyze verify); null when nothing was verified.
  returned: always
  type: dict
  contains:
    ok:
      description: Whether the unit and drop-in passed.
      type: bool
    mode:
      description: V(strict) or V(syntax).
      type: str
    dropped:
      description: "The lines systemd would ignore, as C(PATH:LINE: MESSAGE [LINE])."
      type: list
      elements: str
    output:
      description: What verify printed.
      type: str
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import (
    ARGUMENT_SPEC,
    ConfigError,
    apply,
    backup_entry,
    diff_of,
    ensure_dir,
    layout,
    owner_of,
    plan,
    validate_plans,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    COMMAND_ENV,
    verify_candidate,
    verify_failure,
)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    params = module.params
    try:
        files, dirs = layout(params)
        plans = [plan(spec, module.check_mode) for spec in files]
    except ConfigError as exc:
        module.fail_json(msg=f"service_config: {exc}")
    planned = {p.spec.key: p for p in plans}

    verified = None
    unit_files_change = any(planned[key].content_changed for key in ("unit", "overrides", "socket"))
    if params["verify"] != "none" and unit_files_change:
        with tempfile.TemporaryDirectory(prefix="gosvc-verify-") as scratch:
            verified = verify_candidate(
                lambda argv: module.run_command(argv, environ_update=COMMAND_ENV),
                scratch,
                params["unit_name"],
                params["unit"],
                params["overrides"],
                mode=params["verify"],
                dest=params["unit_dir"],
                dropin_name=params["overrides_name"],
                socket=params["socket"],
                socket_name=os.path.basename(planned["socket"].spec.path),
            )
        if not verified["ok"]:
            module.fail_json(
                msg="service_config: "
                + verify_failure(verified, params["unit_name"], dropin_name=params["overrides_name"])
                + " Nothing was changed on the host.",
                verify=verified,
            )

    try:
        validated = validate_plans(plans, module.run_command)
    except ConfigError as exc:
        module.fail_json(msg=f"service_config: {exc}. Nothing was changed on the host.", verify=verified)

    result = {
        "changed": False,
        "content_changed": any(p.content_changed for p in plans),
        "validated": validated,
        "files": {},
        "backups": [],
        "created": [],
        "verify": verified,
        "compared_on": "host",
    }
    diffs = [diff_of(p) for p in plans if p.content_changed]
    try:
        for path, owner, group, mode in dirs:
            if ensure_dir(path, owner, group, mode, module.check_mode):
                result["changed"] = True
        for item in plans:
            before = owner_of(item.spec.path) if item.exists else None
            if module.check_mode:
                record = {
                    "path": item.spec.path,
                    "changed": item.changed,
                    "created": item.changed and not item.exists,
                    "removed": item.spec.content is None and item.exists,
                }
            else:
                record = apply(item, params["backup"])
            result["files"][item.spec.key] = record
            result["changed"] = result["changed"] or record["changed"]
            if record.get("backup_file"):
                result["backups"].append(backup_entry(record, item.spec, before[2], before[0], before[1]))
            if record["created"]:
                result["created"].append(item.spec.path)
    except ConfigError as exc:
        # What was written before the failure, not what the plan meant to: a rollback restarts for content
        # that changed on the host, and puts back only the files written (``backups``, ``created``).
        result["content_changed"] = any(r["changed"] and r.get("content_changed") for r in result["files"].values())
        module.fail_json(msg=f"service_config: {exc}", **result)
    if module._diff and diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
