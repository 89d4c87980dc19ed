# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_service_config.mask_env and diff_of: a secret's assignment is hidden whole, however it is written.

The environment files are rendered from the go_service role's own env.j2 by ansible-core's
templating, as the role writes them. Secret values are made of the letters q and z and of the
characters that change how systemd reads a line (quotes, backslashes, line ends, ``=``, ``#``);
nothing else in the files holds a q or a z (the template's comment header aside, which is left out
of the check), so any q or z in a masked text is a leak.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from support import RoleVars, render_env_file

from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import (
    MASK,
    FileSpec,
    Plan,
    diff_of,
    mask_env,
)

ROLE = Path(__file__).resolve().parents[4] / "roles" / "go_service"
#: What may follow each q or z of a secret value: every character that matters to systemd's parser
#: or to where Python's str.splitlines (and so a diff) breaks a line.
SPECIALS = ["", " ", "\t", '"', "'", "\\", "\n", "\r", "=", "#", ";", "$", "`", "\x0b", "\x0c", "\x85", "\u2028"]
#: Plain values: the same specials, no q or z.
PLAIN = ["a", "b1", "x y", ":", "/", "-", "%", "é", *SPECIALS]


@pytest.fixture(scope="module")
def role_vars():
    return RoleVars(ROLE)


@pytest.fixture
def render(role_vars):
    def env_file(env, secret):
        return render_env_file(role_vars, env, secret)

    env_file.header = env_file({}, {})  # the comment lines the template writes before the variables
    return env_file


def _shown(masked, header):
    """``masked`` from where it leaves the template's header: the text a q or z must not be in."""
    same = 0
    while same < min(len(masked), len(header)) and masked[same] == header[same]:
        same += 1
    return masked[same:]


def _written(key, value):
    """The line(s) env.j2 writes for ``key``: double-quoted, backslash and double quote escaped."""
    return '{}="{}"\n'.format(key, value.replace("\\", "\\\\").replace('"', '\\"'))


def _random_env(seed, count=40):
    """``(env, secret)``: keys K00.. shuffled between the two maps, values built from SPECIALS."""
    rng = random.Random(seed)
    env, secret = {}, {}
    for number in range(count):
        if rng.random() < 0.5:
            pieces = [rng.choice(["q", "z", "qz"]) + rng.choice(SPECIALS) for _piece in range(rng.randint(0, 12))]
            secret[f"K{number:02d}"] = "".join(pieces)
        else:
            env[f"K{number:02d}"] = "".join(rng.choice(PLAIN) for _char in range(rng.randint(0, 8)))
    return env, secret


@pytest.mark.parametrize("seed", range(6))
def test_every_rendered_secret_is_masked_whole_and_every_plain_line_kept(render, seed):
    env, secret = _random_env(seed)
    text = render(env, secret)
    for key, value in env.items():
        assert _written(key, value) in text, key  # the template writes what _written says
    expected = text
    for key, value in secret.items():
        assert _written(key, value) in expected, key
        expected = expected.replace(_written(key, value), f"{key}={MASK}\n")
    masked = mask_env(text, set(secret))
    assert "q" not in _shown(masked, render.header) and "z" not in _shown(masked, render.header)
    assert masked == expected


@pytest.mark.parametrize("seed", range(6))
def test_a_file_cut_anywhere_leaks_no_secret(render, seed):
    # A hand edit or a half-written file: a quote left open runs to the end, as systemd reads it.
    env, secret = _random_env(seed)
    text = render(env, secret)
    rng = random.Random(seed)
    for cut in sorted(rng.sample(range(len(text)), 60)):
        shown = _shown(mask_env(text[:cut], set(secret)), render.header)
        assert "q" not in shown and "z" not in shown, (cut, shown)


def test_a_value_reads_back_as_the_template_wrote_it(render):
    from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import read_value

    env, secret = _random_env(1)
    env.update(EMPTY="", TRAILING="ends with a backslash\\", SPACES="  both ends  ", LF="\n")
    text = render(env, secret)
    found = {}
    position = 0
    while position < len(text):
        if text[position] == "#":
            position = text.index("\n", position) + 1
            continue
        equals = text.index("=", position)
        value, position = read_value(text, equals + 1)
        found[text[text.rindex("\n", 0, equals) + 1 : equals]] = value
    assert found == {str(k): str(v) for k, v in {**env, **secret}.items()}


#: (what a hand edit left between the lines A=1 and Z=2, what the masked file then reads between them)
HAND_EDITED = [
    ("single quoted", "S='qz\nq\"z\\\nqq'\n", "S=********\nZ=2\n"),
    ("continued", "S=qz\\\nq z\\\n  qq\n", "S=********\nZ=2\n"),
    ("escaped quote and backslash", 'S="q\\"\nz\\\\\nq"\n', "S=********\nZ=2\n"),
    ("quote left open", "S='q\nz\nP=1\n", "S=********\n"),
    ("blanks, export", "  export S = 'q\nz'\n", "S=********\nZ=2\n"),
    ("quoted name", "\"S\"='q\nz'\n", "S=********\nZ=2\n"),
    ("commented out", '# S="q\nz"\n', "# S=********\nZ=2\n"),
    ("semicolon comment", "; S='q\nz'\n", "# S=********\nZ=2\n"),
    ("unquoted lines", "S=qqqq\nqzqz+/qz\nzzzz==\n-----END zz-----\n", "S=********\nZ=2\n"),
    ("inside a continued value", "P=1\\\nS='q\nz'\n", "P=1\\\nS=********\nZ=2\n"),
    ("carriage returns", "S='q\rz'\rP=2\r", "S=********\nP=2\rZ=2\n"),
    ("text after the closing quote", "S='q\nz'q", "S=********\n"),
    ("two secrets, one left open", "S='q\nz'\nT=\"z\n", "S=********\nT=********\n"),
    ("a secret inside a continued secret", "S=q\\\nT='q\nz'\n", "S=********\nZ=2\n"),
    # T's value may close on a line that reads as an assignment: the run takes it all the same.
    ("a secret inside a continued secret, closing on Y=", "S=q\\\nT='q\nY=z'\n", "S=********\nZ=2\n"),
]


@pytest.mark.parametrize(("edit", "expected"), [case[1:] for case in HAND_EDITED], ids=[c[0] for c in HAND_EDITED])
def test_a_hand_edited_secret_is_masked_whole(edit, expected):
    masked = mask_env(f"A=1\n{edit}Z=2\n", {"S", "T"})
    assert "q" not in masked and "z" not in masked
    assert masked == f"A=1\n{expected}"


def test_adjacent_secrets_keep_a_line_each_and_plain_lines_stay(render):
    text = render({"B": "plain\nlines"}, {"A": "q\nz", "C": "qz", "D": "z\nq"})
    masked = mask_env(text, {"A", "C", "D"})
    assert masked.splitlines()[-5:] == [f"A={MASK}", 'B="plain', 'lines"', f"C={MASK}", f"D={MASK}"]


def _diff(before, after, keys):
    spec = FileSpec("env", "/etc/demo/demo.env", after.encode(), secret_keys=frozenset(keys))
    return diff_of(Plan(spec, before is not None, None if before is None else before.encode(), True, False))


def test_the_diff_says_which_secret_changed_and_shows_none(render):
    before = render({"P": "1"}, {"A": "q\nz", "C": "qz\nqz", "D": "zz"})
    after = render({"P": "2"}, {"A": "q\nz", "C": "zq\nzq", "E": "q\nq"})
    diff = _diff(before, after, {"A", "C", "D", "E"})
    shown = _shown(diff["before"], render.header) + _shown(diff["after"], render.header)
    assert "q" not in shown and "z" not in shown
    assert diff["before"].splitlines()[-4:] == [f"A={MASK}", f"C={MASK}", f"D={MASK}", 'P="1"']
    # A unchanged, C changed, D removed, E added: only a secret on both sides can say "changed".
    assert diff["after"].splitlines()[-4:] == [f"A={MASK}", f"C={MASK} (changed)", f"E={MASK}", 'P="2"']


def test_a_first_install_diff_masks_a_multi_line_secret(render):
    diff = _diff(None, render({"P": "1"}, {"A": "q\nz\nq"}), {"A"})
    assert diff["before"] == "" and diff["before_header"] == "(absent)"
    assert diff["after"].splitlines()[-2:] == [f"A={MASK}", 'P="1"']


#: (what follows ``A=``, the value systemd reads, how many characters the assignment takes)
SYSTEMD_READS = [
    ("  plain value  \nB=1\n", "plain value", 16),  # blanks around an unquoted value are dropped
    ("Xavier\n", "Xavier", 7),
    ("a 'b' c\n", "a 'b' c", 8),  # a quote inside an unquoted value is a character
    ("a\\b\n", "ab", 4),  # unquoted, a backslash gives the next character
    ("a\\\nb\nC=1\n", "ab", 5),  # unquoted, a backslash before the line end continues the value
    ('"a\\x\\"b\\\nc"\nD=1\n', 'a\\x"bc', 12),  # double quotes: \x kept, \" a quote, \<LF> continues
    ("'a\\b'  \n", "a\\b", 8),  # single quotes: no escapes
    ("\n", "", 1),
    ("", "", 0),
]


@pytest.mark.parametrize(("text", "value", "length"), SYSTEMD_READS)
def test_read_value_reads_an_assignment_as_systemd_does(text, value, length):
    """read_value gives the value systemd reads and where the assignment ends."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import read_value

    assert read_value("A=" + text, 2) == (value, 2 + length)


@pytest.mark.parametrize("line", ["", "  ", "# note", "; note", "MODE=X", "LEVEL=XX"])
def test_a_line_of_its_own_after_a_secret_is_kept(line):
    """A blank line, a comment or an assignment right after a secret is not part of it."""
    assert mask_env(f"S=q\n{line}\nZ=1\n", {"S"}) == f"S={MASK}\n{line}\nZ=1\n"


#: (text, what the mask shows): forms of a secret's line, and lines that only look like one.
MASKED_FORMS = [
    ("S=q\\\n\nZ=1\n", f"S={MASK}\nZ=1\n"),  # continued onto an empty line: the empty line is the value's end
    ("A=1\nS=qqqq\nzzzz==", f"A=1\nS={MASK}"),  # a stray last line, without a line end, is still the secret's
    ('S "="qz"\nZ=1\n', f"S={MASK}\nZ=1\n"),  # a blank and a quote between the key and the =
    ("\"S\" = 'q\nz'\nZ=1\n", f"S={MASK}\nZ=1\n"),  # a quoted key with blanks around the =
    ("  # S='q\nz'\nZ=1\n", f"# S={MASK}\nZ=1\n"),  # indented and commented out
    ("SX=1\nAS=1\n_S=1\nS=q\n", f"SX=1\nAS=1\n_S=1\nS={MASK}\n"),  # other names that end or start like the key
]


@pytest.mark.parametrize(("text", "masked"), MASKED_FORMS)
def test_every_form_of_a_secret_line_is_masked_and_no_other(text, masked):
    """Each way of writing a secret's assignment is masked whole; a name that only contains the key is not."""
    assert mask_env(text, {"S"}) == masked


def test_a_secret_whose_line_breaks_moved_is_marked_changed():
    """A secret whose value differs only in where its lines break is marked as changed."""
    record = _diff("S='a\nb'\n", "S='ab'\n", {"S"})
    assert (record["before"], record["after"]) == (f"S={MASK}\n", f"S={MASK} (changed)\n")


def test_bytes_that_are_not_utf8_show_as_replacement_characters():
    """A file that is not valid UTF-8 still gets a diff, the bad bytes shown as U+FFFD."""
    spec = FileSpec("unit", "/etc/systemd/system/demo.service", b"A=\xff\n")
    record = diff_of(Plan(spec, True, b"A=\xfe\n", True, False))
    assert (record["before"], record["after"]) == ("A=\ufffd\n", "A=\ufffd\n")
