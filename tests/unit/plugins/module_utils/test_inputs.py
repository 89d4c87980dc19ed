# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' input rules (module_utils/_inputs.py), called directly with real role inputs.

The base inputs are the go_service role's own ``__go_service_inputs``, rendered from its defaults
(the role's end-to-end tests are tests/unit/roles/test_go_service_inputs.py and test_verify_inputs.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import RoleVars

from ansible_collections.gosvc.hardening.plugins.module_utils import _http, _inputs, _release, _service_probe

ROOT = Path(__file__).resolve().parents[4]
GOOD = {
    "go_service_name": "demo",
    "go_service_version": "1.0.0",
    "go_service_binary_src": "/srv/dist/demo",
    "go_service_checksum": "sha256:" + "0" * 64,
}


@pytest.fixture(scope="module")
def base():
    rendered = RoleVars(ROOT / "roles" / "go_service").render("{{ __go_service_inputs }}", **GOOD)
    return json.loads(json.dumps(rendered))


@pytest.fixture
def problems(base):
    return lambda paths_only=False, **changes: _inputs.go_service_problems({**base, **changes}, paths_only=paths_only)


def test_good_inputs_have_no_problem(problems):
    assert problems() == []


def test_a_missing_input_is_a_key_error_naming_it(base):
    with pytest.raises(KeyError, match="go_service_args"):
        _inputs.go_service_problems({k: v for k, v in base.items() if k != "go_service_args"})


def test_every_problem_is_reported_at_once_one_sentence_each(problems):
    found = problems(go_service_name="", go_service_version="v 1", go_service_user="9", go_service_cpu_quota="1.5")
    assert [p.split(" ", 1)[0] for p in found] == [
        "go_service_name",
        "go_service_version",
        "go_service_user",
        "go_service_cpu_quota",
    ]


def test_paths_only_and_an_uninstall_check_only_the_paths(problems):
    assert problems(paths_only=True, go_service_version="v 1") == []
    assert problems(go_service_state="absent", go_service_version="v 1") == []
    assert len(problems(paths_only=True, go_service_name="a/b", go_service_base_dir="opt")) == 2


@pytest.mark.parametrize(
    ("value", "ok"),
    [("5", True), (5, True), ("0", True), (0, True), ("5\n", False), (" 5", False), (True, False), (False, False),
     (None, False), (2.5, False), ("-1", False), ([5], False)],
)  # fmt: skip
def test_a_count_is_digits_only_and_never_a_boolean(problems, value, ok):
    found = problems(go_service_log_rate_limit_burst=value)
    assert (found == []) is ok, found


@pytest.mark.parametrize(("port", "ok"), [(0, True), (1, True), (65535, True), (65536, False), ("70000", False)])
def test_the_port_boundaries(problems, port, ok):
    assert (problems(go_service_listen_port=port) == []) is ok


@pytest.mark.parametrize(("ratio", "ok"), [(0, False), (0.01, True), (1, True), (1.01, False), ("abc", False)])
def test_the_gomemlimit_ratio_boundaries(problems, ratio, ok):
    assert (problems(go_service_gomemlimit_ratio=ratio) == []) is ok


@pytest.mark.parametrize(("exposure", "ok"), [(0, True), (10, True), (-0.1, False), (10.1, False), ("nan", True)])
def test_the_exposure_boundaries_as_jinja_compared_them(problems, exposure, ok):
    assert (problems(go_service_max_exposure=exposure) == []) is ok


def test_the_start_limit_is_checked_only_when_every_number_is_usable(problems):
    assert problems(go_service_start_limit_burst=3, go_service_restart_sec=2, go_service_start_limit_interval_sec=6)
    assert (
        problems(go_service_start_limit_burst=3, go_service_restart_sec=2, go_service_start_limit_interval_sec=7) == []
    )
    found = problems(go_service_start_limit_burst=3, go_service_restart_sec="x", go_service_start_limit_interval_sec=6)
    assert len(found) == 1 and found[0].startswith("go_service_restart_sec must be a whole number")


@pytest.mark.parametrize(
    ("flag", "on"),
    [(True, True), ("yes", True), ("True", True), (1, True), (1.0, True), ("false", False), (None, False)],
)
def test_flags_read_as_ansible_s_bool_filter(flag, on):
    assert _inputs.ansible_bool(flag) is on


@pytest.mark.parametrize(("value", "number"), [("42", 42), ("42.7", 42), (" 7", 7), ("x", 0), (None, 0), (True, 1)])
def test_numbers_read_as_jinja_s_int_filter(value, number):
    assert _inputs.jinja_int(value) == number


@pytest.mark.parametrize(
    ("name", "ok"),
    [("A", True), ("_x1", True), ("export", True), ("exportX", True), ("", False), ("1A", False), ("A-B", False),
     ("export A", False), (" A", False), ("A ", False), ("A=B", False), ("A\n", False), ("É", False), (5, False)],
)  # fmt: skip
def test_an_environment_name_is_what_service_config_reads_as_an_assignment_alone(name, ok):
    assert _inputs.env_name_ok(name) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [("", True), ("a\nb", True), (0, True), (False, True), (None, False), ([], False), ({}, False), ("a\rb", False),
     ("a\x00b", False)],
)  # fmt: skip
def test_an_environment_value(value, ok):
    assert _inputs.env_value_ok(value) is ok


def test_a_non_mapping_environment_has_no_entries_as_in_jinja(problems):
    assert problems(go_service_env=None, go_service_env_secret=[], go_service_unit_overrides="x") == []


@pytest.mark.parametrize("value", ["1.4.2", "v1+b~rc_1", "", "x" * 128, "x" * 129, "-1", "1.0\n", "a/b", 1.5, None])
def test_the_version_and_binary_name_rule_is_go_release_s(problems, value):
    try:
        _release.check_name(str(value), "version", "1")
        ok = True
    except _release.ReleaseError:
        ok = False
    assert _inputs.file_name_ok(value) is ok
    assert (problems(go_service_version=value) == []) is ok
    assert (problems(go_service_binary_name=value) == []) is ok


@pytest.mark.parametrize(
    "url", ["", "x", "http://127.0.0.1:8080/h", "localhost:8080/h", "http:///h", "https://u:p@h/", "http+unix://a/b"]
)
def test_url_problems_are_parse_url_s(url):
    try:
        _http.parse_url(url)
        expected = ""
    except _http.HealthCheckError as exc:
        expected = str(exc)
    assert _inputs.url_problem(url) == expected


def test_a_url_that_is_not_a_string_is_named():
    assert _inputs.url_problem(8080) == "url must be a string, got int"


@pytest.mark.parametrize(
    ("value", "problem"),
    [("x", ""), (8080, ""), (True, ""), ("", ""), (b"bytes", ""), (None, "got NoneType"), ([1], "got list"),
     ({"a": 1}, "got dict"), ({1}, "got set"), ((1,), "got tuple"), ("a\x00", "NUL"), (b"a\x00", "NUL")],
)  # fmt: skip
def test_the_exec_argument_rule(value, problem):
    found = _inputs.exec_arg_problem(value)
    assert (problem in found and found != "") if problem else found == ""


def test_overrides_name_each_section_key_and_value(problems):
    found = problems(
        go_service_unit_overrides={"Bad": {}, "Unit": "x", "Service": {"limit_nofile": 1, "Nice": ["5", "a\nb", None]}}
    )
    assert len(found) == 1
    text = found[0]
    for part in ('section "Bad"', "section Unit must map", 'key Service."limit_nofile"', 'Service.Nice ("a\\nb")',
                 "Service.Nice (null)"):  # fmt: skip
        assert part in text, part


def test_signature_and_remote_rules(problems):
    assert problems(go_service_cosign_public_key="k", go_service_cosign_bundle="b") == []
    found = problems(go_service_cosign_public_key="k", go_service_cosign_trusted_root="r")
    assert (
        "go_service_cosign_public_key, go_service_cosign_trusted_root say who" in found[0] and "unset them" in found[0]
    )
    remote = {"go_service_binary_src": "", "go_service_binary_remote_src": "/srv/app"}
    found = problems(**remote, go_service_cosign_bundle="b", go_service_cosign_public_key="k")
    assert found == [
        "go_service_binary_remote_src installs the file already on the host as it is: the controller never sees it, so"
        " go_service_cosign_bundle, go_service_cosign_public_key would be ignored. Unset them, or deliver the release"
        " with go_service_binary_url or go_service_binary_src (the archive is unpacked and the signature checked on"
        " the controller)."
    ]


def test_required_environment(problems):
    found = problems(go_service_env_required=["A", "B"], go_service_env={"A": ""}, go_service_env_secret={"B": "x"})
    assert found == [
        "go_service_env_required lists A, but it is missing or empty in go_service_env and go_service_env_secret;"
        " set it there (secrets in go_service_env_secret)."
    ]


# -- verify ---------------------------------------------------------------------------------------

CHECKS = ["unit_active", "go_build"]
VERIFY = {
    "verify_service_name": "demo",
    "verify_severity": {},
    "verify_soak_seconds": 5,
    "verify_report_name": "web-1",
    "verify_health_url": "",
    "verify_ready_url": "",
    "verify_forbidden_urls": [],
    "verify_go_build": {},
    "verify_probe_options": {},
    "verify_max_exposure": 2.0,
    "verify_health_timeout": 10,
    "verify_ready_success_threshold": 2,
    "verify_log_lines": 20,
    "verify_tls_min_days": 14,
}


def verify(**changes):
    return _inputs.verify_problems({**VERIFY, **changes}, CHECKS)


def test_good_verify_settings_have_no_problem():
    assert verify() == []


def test_every_verify_problem_at_once():
    found = verify(verify_service_name="", verify_severity={"go_build": "fatal"}, verify_soak_seconds=-1,
                   verify_report_name="a/b", verify_log_lines=0)  # fmt: skip
    assert found == [
        "verify_log_lines must be 1 or more (got 0).",
        "set verify_service_name (or go_service_name) to the service to verify, e.g. verify_service_name=demo.",
        'verify_severity maps check names (unit_active, go_build) to blocking, warning or audit; got {"go_build":'
        ' "fatal"}.',
        "verify_soak_seconds must be 0 or more (got -1).",
        'verify_report_name (a file name without directories) must use letters, digits and . _ @ - only (got "a/b").',
    ]


@pytest.mark.parametrize(
    ("changes", "ok"),
    [({"verify_max_exposure": 0}, True), ({"verify_max_exposure": 10}, True), ({"verify_max_exposure": 10.01}, False),
     ({"verify_health_timeout": 1}, True), ({"verify_health_timeout": 0.5}, False), ({"verify_tls_min_days": 0}, True),
     ({"verify_tls_min_days": -1}, False), ({"verify_soak_seconds": 0}, True)],
)  # fmt: skip
def test_verify_number_boundaries(changes, ok):
    assert (verify(**changes) == []) is ok


@pytest.mark.parametrize(
    "entry",
    [{"port": 8080}, {"port": "9090", "scheme": "HTTPS"}, {"port": 0}, {"port": 65536}, {"port": 8080, "host": "h"},
     {"path": "/x"}, {"port": None}, {"port": 8080, "scheme": "ftp"}, {"port": True}, {"port": 8080.0}],
)  # fmt: skip
def test_a_forbidden_mapping_is_refused_exactly_when_service_probe_refuses_it(entry):
    try:
        _service_probe.check_forbidden_entries([entry])
        expected = ""
    except _service_probe.ProbeInputError:
        expected = "a mapping takes port"
    found = _inputs.forbidden_entry_problem(entry)
    assert found.startswith(expected) and (found == "") == (expected == "")


@pytest.mark.parametrize(
    ("option", "module_option"), [("verify_go_build", "go_build"), ("verify_probe_options", "probe_options")]
)
def test_unknown_keys_agree_with_service_probe_s_validate(option, module_option):
    params = {"unit": "demo.service", "binary_path": "/opt/demo/current/demo", "health_timeout": 10,
              "ready_success_threshold": 2, "soak_seconds": 5, "log_lines": 20,
              module_option: {"bogus": 1}}  # fmt: skip
    with pytest.raises(_service_probe.ProbeInputError, match="unknown keys"):
        _service_probe.validate(params)
    assert verify(**{option: {"bogus": 1}})[0].startswith(f"{option} has unknown keys bogus; use ")


@pytest.mark.parametrize(
    ("listen", "port", "ok"),
    [
        ("", 8080, True),
        ("", 0, False),
        ("127.0.0.1:80", 0, True),
        ("[::1]:8080", 0, True),
        ("/run/demo/api.sock", 0, True),
        ("8080", 0, True),
        ("65536", 0, False),
        ("127.0.0.1:0", 0, False),
        ("localhost:80", 0, False),
        ("run/demo.sock", 0, False),
        ("127.0.0.1:80 127.0.0.2:80", 0, False),
    ],
)
def test_what_a_socket_listens_on(problems, listen, port, ok):
    found = problems(go_service_socket_activation=True, go_service_socket_listen=listen, go_service_listen_port=port)
    assert (found == []) is ok, found
    if not ok:
        assert found[0].startswith("go_service_socket_listen ") and "(ListenStream=)" in found[0]
    # Off, the socket settings are not read.
    assert problems(go_service_socket_activation=False, go_service_socket_listen=listen) == []


@pytest.mark.parametrize(
    ("changes", "start"),
    [
        ({"go_service_socket_backlog": 0}, "go_service_socket_backlog must be a whole number of 1 or more"),
        ({"go_service_socket_backlog": "many"}, "go_service_socket_backlog must be a whole number of 1 or more"),
        ({"go_service_socket_fdname": "a:b"}, 'go_service_socket_fdname "a:b" (by default go_service_name)'),
        ({"go_service_socket_fdname": "has space"}, 'go_service_socket_fdname "has space"'),
        ({"go_service_socket_fdname": "x" * 256}, "go_service_socket_fdname "),
    ],
)
def test_the_socket_s_backlog_and_name(problems, changes, start):
    found = problems(go_service_socket_activation=True, go_service_listen_port=8080, **changes)
    assert len(found) == 1 and found[0].startswith(start), found


def test_a_private_network_needs_socket_activation(problems):
    (found,) = problems(go_service_private_network=True)
    assert found.startswith("go_service_private_network needs go_service_socket_activation: ")
    assert problems(go_service_private_network=True, go_service_socket_activation=True, go_service_listen_port=80) == []
