# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd_exec_arg: the exact text written into an Exec*= line.

What systemd makes of that text was measured on 247, 252 and 257 (a unit whose ExecStart
dumped its argv as JSON received every argument of this module's ROUND_TRIP list unchanged), and
the thirdparty Molecule scenario compares a deployed service's /proc/<pid>/cmdline with its
go_service_args. These tests pin the quoting that produced those results.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gosvc.hardening.plugins.filter.systemd_exec_arg import FilterModule, systemd_exec_arg

# The arguments of the measurement on 247, 252 and 257.
ROUND_TRIP = ["a\\b", 'q"uote', "nl\nx", "tab\tx", "100%", "${HOME}", "$HOME", "pa$word", "%m", "", " lead ",
              "it's", "%%", "$$", "\\n", "ü€"]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("--listen=127.0.0.1:80", '"--listen=127.0.0.1:80"'),
        ("--format=%m", '"--format=%%m"'),
        ("--token=${KEY}", '"--token=$${KEY}"'),
        ("$HOME", '"$$HOME"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("two\nlines\r\tx", '"two\\nlines\\r\\tx"'),
        ("it's", '"it\'s"'),
        ("", '""'),
        (8080, '"8080"'),
        (True, '"True"'),
    ],
)
def test_quotes_and_doubles_what_systemd_would_expand(value, expected):
    assert systemd_exec_arg(value) == expected


def test_every_measured_argument_is_one_double_quoted_word_without_a_bare_specifier_or_dollar():
    for value in ROUND_TRIP:
        quoted = systemd_exec_arg(value)
        inner = quoted[1:-1]
        assert quoted[0] == quoted[-1] == '"'
        assert "\n" not in quoted and "\r" not in quoted
        # Outside the doubled pairs, no % or $ is left for systemd to expand.
        assert "%" not in inner.replace("%%", "") and "$" not in inner.replace("$$", "")
        # No unescaped double quote ends the word early.
        assert '"' not in inner.replace('\\"', "").replace("\\\\", "")


@pytest.mark.parametrize("value", [None, [1], {"a": 1}, "nul\x00byte"])
def test_refuses_what_cannot_be_one_argument(value):
    with pytest.raises(AnsibleFilterError, match="systemd_exec_arg: "):
        systemd_exec_arg(value)


def test_is_registered_under_its_name():
    assert FilterModule().filters() == {"systemd_exec_arg": systemd_exec_arg}
