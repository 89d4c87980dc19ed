# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of the roles' input rules (module_utils/_inputs.py) at the boundaries that decide them.

Each test gives inputs on both sides of one rule's edge: which combinations of checksum sources pass, when
cosign_target may be checksums, how a unit override's value is split into items, and how the Jinja-like
helpers read values the roles pass (null, digit strings beyond a float's precision, bytes, dates).
The base inputs are the go_service role's own defaults, rendered as test_inputs.py renders them.
"""

from __future__ import annotations

import datetime

import pytest
from test_inputs import CHECKS, GOOD, VERIFY

from ansible_collections.gosvc.hardening.plugins.module_utils import _inputs

CHECKSUM_PROBLEM = "set go_service_checksum as 'sha256:<64 hex digits>'"
TARGET_PROBLEM = "go_service_cosign_target must be artifact or checksums"
WATCHDOG_PROBLEM = "go_service_health_watchdog needs go_service_health_url"
IGNORED_PROBLEM = "go_service_binary_remote_src installs the file already on the host"
CHECKSUMS_URL = "https://example.com/checksums.txt"
CHECKSUMS_SRC = "/srv/dist/checksums.txt"
HEALTH_URL = "http://127.0.0.1:8080/healthz"


@pytest.fixture
def problems(role_inputs):
    return lambda **changes: _inputs.go_service_problems({**role_inputs, **changes})


def starting(found, prefix):
    return [problem for problem in found if problem.startswith(prefix)]


# -- go_service_checksum -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checksum", "checksums_url", "checksums_src", "remote_src", "allowed"),
    [
        ("", CHECKSUMS_URL, "", "", True),
        ("", "", CHECKSUMS_SRC, "", True),
        (None, CHECKSUMS_URL, "", "", True),
        ("", "", "", "", False),
        (None, "", "", "", False),
        ("", CHECKSUMS_URL, CHECKSUMS_SRC, "", False),
        ("", CHECKSUMS_URL, "", "/srv/app", False),
        ("", CHECKSUMS_URL, "", "/", False),
        ("abc", CHECKSUMS_URL, "", "", False),
        ("sha256:" + "a" * 63, CHECKSUMS_SRC, "", "", False),
        ("sha256:" + "a" * 64, "", "", "", True),
        ("A" * 64, CHECKSUMS_URL, CHECKSUMS_SRC, "/srv/app", True),
    ],
)
def test_an_empty_checksum_is_allowed_only_with_exactly_one_checksums_source_and_no_remote_src(
    problems, checksum, checksums_url, checksums_src, remote_src, allowed
):
    found = problems(
        go_service_checksum=checksum,
        go_service_checksums_url=checksums_url,
        go_service_checksums_src=checksums_src,
        go_service_binary_src="" if remote_src else GOOD["go_service_binary_src"],
        go_service_binary_remote_src=remote_src,
    )
    assert (starting(found, CHECKSUM_PROBLEM) == []) is allowed, found


def test_a_remote_src_of_one_character_is_a_remote_src_all_the_same(problems):
    found = problems(
        go_service_binary_src="", go_service_binary_remote_src="/", go_service_checksum="", go_service_cosign_bundle="b"
    )
    assert [problem.split(" ", 1)[0] for problem in found] == ["set", "go_service_binary_remote_src"]
    assert "so go_service_cosign_bundle would be ignored" in found[1]


# -- go_service_cosign_target --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "checksums_url", "checksums_src", "allowed"),
    [
        ("artifact", "", "", True),
        ("artifact", CHECKSUMS_URL, CHECKSUMS_SRC, True),
        ("checksums", CHECKSUMS_URL, "", True),
        ("checksums", "", CHECKSUMS_SRC, True),
        ("checksums", "", "", False),
        ("checksums", CHECKSUMS_URL, CHECKSUMS_SRC, False),
        ("binary", "", "", False),
        ("binary", CHECKSUMS_URL, "", False),
        ("Checksums", CHECKSUMS_URL, "", False),
    ],
)
def test_cosign_target_is_artifact_or_checksums_and_checksums_needs_exactly_one_checksums_source(
    problems, target, checksums_url, checksums_src, allowed
):
    found = problems(
        go_service_cosign_target=target, go_service_checksums_url=checksums_url, go_service_checksums_src=checksums_src
    )
    assert (starting(found, TARGET_PROBLEM) == []) is allowed, found


# -- signatures and go_service_binary_remote_src ---------------------------------------------------


@pytest.mark.parametrize(
    ("signature", "ignored"),
    [
        ({}, []),
        (
            {"go_service_cosign_signature": "s"},
            ["go_service_cosign_signature", "go_service_cosign_public_key", "go_service_cosign_trusted_root"],
        ),
        (
            {"go_service_cosign_bundle": "b"},
            ["go_service_cosign_bundle", "go_service_cosign_public_key", "go_service_cosign_trusted_root"],
        ),
    ],
)
def test_signer_settings_are_reported_as_ignored_by_a_remote_src_only_along_with_a_signature(
    problems, signature, ignored
):
    found = problems(
        go_service_binary_src="",
        go_service_binary_remote_src="/srv/app",
        go_service_cosign_public_key="k",
        go_service_cosign_trusted_root="r",
        **signature,
    )
    reported = [problem.split(" so ", 1)[1].split(" would", 1)[0] for problem in starting(found, IGNORED_PROBLEM)]
    assert reported == ([", ".join(ignored)] if ignored else [])


# -- go_service_health_watchdog ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("watchdog", "health_url", "allowed"),
    [
        (True, "", False),
        (True, None, False),
        ("yes", "", False),
        (True, HEALTH_URL, True),
        (False, "", True),
        (False, HEALTH_URL, True),
    ],
)
def test_the_health_watchdog_needs_a_health_url(problems, watchdog, health_url, allowed):
    found = problems(go_service_health_watchdog=watchdog, go_service_health_url=health_url)
    assert (starting(found, WATCHDOG_PROBLEM) == []) is allowed, found


def test_the_watchdog_numbers_are_checked_in_addition_to_the_other_numbers_not_instead(problems):
    found = problems(
        go_service_health_watchdog=True,
        go_service_health_url=HEALTH_URL,
        go_service_log_rate_limit_burst="many",
        go_service_keep_releases=0,
        go_service_health_watchdog_failures=0,
        go_service_health_watchdog_timeout_sec="x",
    )
    assert [problem.split(" must", 1)[0] for problem in found] == [
        "go_service_log_rate_limit_burst",
        "go_service_health_watchdog_timeout_sec",
        "go_service_keep_releases",
        "go_service_health_watchdog_failures",
    ]


def test_a_one_character_health_url_is_still_checked(problems):
    assert [problem.split(":", 1)[0] for problem in problems(go_service_health_url="x")] == ["go_service_health_url"]


# -- go_service_unit_overrides -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [5, 0, True, 1.5, "65536", "", "a b", ["5", True, 3, ""], [], datetime.date(2024, 1, 2)],
    ids=repr,
)
def test_an_override_value_may_be_one_scalar_or_a_list_of_scalars(problems, value):
    assert problems(go_service_unit_overrides={"Service": {"Nice": value}}) == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a\nb", '"a\\nb"'),
        (None, "null"),
        ({"a": "b"}, '{"a": "b"}'),
        ([["a"]], '["a"]'),
        (["a", {"b": 1}], '{"b": 1}'),
        ([1, None], "null"),
        (["x\ry"], '"x\\ry"'),
    ],
)
def test_an_override_value_that_is_not_one_line_is_named_whole_or_by_its_list_item(problems, value, shown):
    found = problems(go_service_unit_overrides={"Service": {"Nice": value}})
    assert found == [
        "go_service_unit_overrides maps a section to directives and their values, like {Service: {LimitNOFILE:"
        f" 65536}}}}; value of Service.Nice ({shown}) must be one line: a string, number or boolean, or a list of"
        ' them for a directive given several times ("" resets a list directive).'
    ]


def test_a_section_holding_a_date_shows_it_as_its_text(problems):
    found = problems(go_service_unit_overrides={"Unit": datetime.date(2024, 1, 2)})
    assert found[0].endswith('; section Unit must map directive names to values, not hold "2024-01-02".')


# -- the helpers: values as the roles' Jinja saw them ----------------------------------------------


@pytest.mark.parametrize("value", [9007199254740993, "9007199254740993", 10**30 + 1, str(10**30 + 1)], ids=repr)
def test_jinja_int_keeps_every_digit_of_a_whole_number_a_float_cannot_hold(value):
    assert _inputs.jinja_int(value) == int(str(value))


def test_a_start_limit_beyond_a_float_s_precision_is_reported_with_its_own_digits(problems):
    found = problems(
        go_service_start_limit_burst=9007199254740993,
        go_service_restart_sec=1,
        go_service_start_limit_interval_sec="9007199254740993",
    )
    assert found[0].startswith("9007199254740993 restarts (go_service_start_limit_burst) 1 s apart")
    assert "take 9007199254740993 s, not less than the 9007199254740993 s of" in found[0]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(datetime.date(2024, 1, 2), '"2024-01-02"'), (b"x", "\"b'x'\""), ({"a": {1, 2}}, '{"a": "{1, 2}"}')],
    ids=repr,
)
def test_to_json_writes_a_value_json_has_no_form_for_as_its_text(value, shown):
    assert _inputs.to_json(value) == shown


def test_a_severity_json_has_no_form_for_is_shown_as_its_text():
    found = _inputs.verify_problems({**VERIFY, "verify_severity": {"go_build": datetime.date(2024, 1, 2)}}, CHECKS)
    assert found == [
        'verify_severity maps check names (unit_active, go_build) to blocking, warning or audit; got {"go_build":'
        ' "2024-01-02"}.'
    ]


class _Incomparable:
    def __eq__(self, other):
        raise TypeError("cannot compare")

    __hash__ = object.__hash__

    def __repr__(self):
        return "<incomparable>"


@pytest.mark.parametrize("value", [_Incomparable(), [], {}, 2, "2", "no", None], ids=repr)
def test_ansible_bool_is_false_for_anything_but_its_true_words_even_a_value_that_cannot_be_compared(value):
    assert _inputs.ansible_bool(value) is False


def test_size_of_null_is_zero_as_length_of_an_unset_value():
    assert _inputs.size(None) == 0
    assert _inputs.size("") == 0
    assert _inputs.size(5) == 1


@pytest.mark.parametrize(
    ("severity", "allowed"),
    [
        ({}, True),
        ({"go_build": "audit"}, True),
        ({"unit_active": "blocking", "go_build": "warning"}, True),
        ({"nope": "audit"}, False),
        ({"go_build": "audit", "nope": "audit"}, False),
        ({"go_build": "fatal"}, False),
    ],
)
def test_verify_severity_keys_must_be_check_names_and_values_severities(severity, allowed):
    found = _inputs.verify_problems({**VERIFY, "verify_severity": severity}, CHECKS)
    assert (found == []) is allowed, found


@pytest.mark.parametrize("value", [b"\xff", b"caf\xe9", "caf\udce9", b"\xff\xfe\x80"], ids=repr)
def test_an_exec_argument_of_bytes_that_are_not_utf8_is_taken(value):
    assert _inputs.exec_arg_problem(value) == ""


def test_bytes_that_are_not_utf8_are_still_searched_for_a_nul_character():
    assert _inputs.exec_arg_problem(b"\xff\x00") == "an argument cannot hold a NUL character"


@pytest.mark.parametrize("name", ["\tA", "A\t", " A", "A ", "\t"], ids=repr)
def test_an_environment_name_with_a_blank_around_it_is_refused(name):
    assert _inputs.env_name_ok(name) is False


def test_an_environment_name_with_a_tab_is_refused_in_go_service_env(problems):
    found = problems(go_service_env={"\tGOGC": "50"})
    assert found == [
        'go_service_env has "\\tGOGC": not an environment variable name, so systemd would skip that line of the'
        " environment file and start the service without it; use letters, digits and underscores, not starting with"
        " a digit."
    ]


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_jinja_int_of_an_infinite_or_nan_number_is_zero_not_a_crash(value):
    assert _inputs.jinja_int(value) == 0


@pytest.mark.parametrize("value", [float("inf"), float("nan"), "abc", "14.5", 14.5, "", None, "1e3", "7\n"])
def test_verify_tls_min_days_must_be_written_as_a_whole_number(value):
    problems = _inputs.verify_problems({**VERIFY, "verify_tls_min_days": value}, CHECKS)
    assert [p for p in problems if "verify_tls_min_days must be a whole number of 0 or more" in p], problems


@pytest.mark.parametrize("value", [0, 14, "30"])
def test_verify_tls_min_days_takes_a_whole_number(value):
    problems = _inputs.verify_problems({**VERIFY, "verify_tls_min_days": value}, CHECKS)
    assert not [p for p in problems if "verify_tls_min_days" in p], problems


# --- variables the roles do not know ------------------------------------------------------------


def test_a_misspelled_variable_is_named_with_the_closest_known_one():
    problems = _inputs.unknown_variable_problems(
        ["go_service_helth_url", "go_service_name"], ["go_service_health_url", "go_service_name"], "go_service"
    )
    assert problems == [
        "go_service_helth_url is not a variable of gosvc.hardening.go_service (a misspelled name would be ignored"
        " and its default used): did you mean go_service_health_url?"
    ]


def test_a_name_close_to_nothing_points_to_the_argument_specs():
    assert _inputs.unknown_variable_problems(["verify_everything"], ["verify_unit"], "verify") == [
        "verify_everything is not a variable of gosvc.hardening.verify (a misspelled name would be ignored and its"
        " default used): the options are listed in verify's argument_specs."
    ]


def test_what_the_roles_publish_is_not_taken_for_a_typo():
    given = ["go_service_result", "go_service_binary_sha256", "verify_result"]
    assert _inputs.unknown_variable_problems(given, [], "go_service") == []


def test_unknown_names_are_each_named_once_in_order():
    problems = _inputs.unknown_variable_problems(["verify_b", "verify_a", "verify_b"], [], "verify")
    assert [p.split()[0] for p in problems] == ["verify_a", "verify_b"]
