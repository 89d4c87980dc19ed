# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quote one argument of a systemd ``Exec*=`` line so that the process receives it unchanged.

systemd reads a command line in three steps, and each one changes text that a shell quote
(``ansible.builtin.quote``) leaves alone:

1. unit specifiers: ``%m`` becomes the machine ID, ``%h`` a home directory; ``%%`` is a ``%``;
2. word splitting: double quotes group a word, and backslash escapes are C escapes (``\\n``);
3. at every start, environment expansion: ``${HOME}`` inside a word and ``$HOME`` as a word are
   replaced; ``$$`` is a ``$``.

So the argument is double-quoted with C escapes, and ``%`` and ``$`` are doubled. Measured on
systemd 247, 252 and 257: a process started from such a line received every argument of a test
list (quotes, backslashes, ``%m``, ``${HOME}``, ``$HOME``, line feeds, tabs, empty, spaces, UTF-8)
exactly as given.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

# The module_utils are imported inside the filters, when one is called: to find any one filter of
# this collection, ansible-core imports every filter file of it, in every worker process of every
# task (docs/benchmarks.md, "Our filters in every worker").


_C_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def systemd_exec_arg(value):
    """``value`` as one double-quoted word of an Exec*= line (see systemd_exec_arg.yml)."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._inputs import exec_arg_problem

    problem = exec_arg_problem(value)  # the rule go_service's input check applies to go_service_args
    if problem:
        raise AnsibleFilterError(f"systemd_exec_arg: {problem}")
    text = to_text(value, errors="surrogate_or_strict")
    escaped = "".join(_C_ESCAPES.get(char, char) for char in text)
    return '"' + escaped.replace("%", "%%").replace("$", "$$") + '"'


class FilterModule:
    def filters(self):
        return {"systemd_exec_arg": systemd_exec_arg}
