#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: report_files
short_description: Write report files on the controller, atomically, without a round trip
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Writes text files (JSON reports, JUnit XML, a fleet summary) into a directory on the controller.
  - Runs in the action plugin only, on the controller; it never connects to the host, so it costs no round
    trip and no local command execution (a C(copy) delegated to C(localhost) costs several per file).
  - Each file goes to a temporary file in the same directory and is renamed over the old one, so a
    reader never sees half a file. A file whose content and mode are already right is left alone.
  - The directory is created (mode 0755) when missing.
  - Writing a report is not a change to the host, so the task always reports C(changed=false), and it
    writes in check mode too.
options:
  dir:
    description: Directory on the controller that receives the files.
    type: path
    required: true
  files:
    description: The files to write.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: File name inside O(dir), without a directory part and not starting with a dot.
        type: str
        required: true
      content:
        description: The file's text, written as UTF-8.
        type: str
        required: true
  mode:
    description: Octal mode of the files.
    type: str
    default: "0644"
  remove:
    description:
      - Names of files in O(dir) to delete when they are there (an earlier run's reports that would otherwise
        stand beside this run's); the same name rule as O(files[].name). A name that is not there is skipped.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: The files are written in check mode too; they describe the run, not the host.
  diff_mode:
    support: none
    description: Returns no diff.
notes:
  - Used by the P(gosvc.hardening.verify#role) role for its per-host reports and the fleet summary.
"""

EXAMPLES = r"""
- name: Write the host's report on the controller
  gosvc.hardening.report_files:
    dir: "{{ playbook_dir }}/reports"
    files:
      - name: "{{ inventory_hostname }}.json"
        content: "{{ verify_result | to_nice_json }}"
"""

RETURN = r"""
dir:
  description: The directory the files were written to.
  returned: success
  type: str
written:
  description: Paths of the files that were written (new or different content).
  returned: success
  type: list
  elements: str
unchanged:
  description: Paths of the files that already had that content and mode.
  returned: success
  type: list
  elements: str
removed:
  description: Paths of the files of O(remove) that were there and were deleted.
  returned: success
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._report_files import ARGUMENT_SPEC


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="gosvc.hardening.report_files runs on the controller through its action plugin only")


if __name__ == "__main__":
    main()
