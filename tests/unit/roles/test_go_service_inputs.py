# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""go_service's input checks, rendered by ansible-core's own templating from the role's real files.

The checks are Python (plugins/module_utils/_inputs.py), called by the go_service_input_problems
filter as ``__go_service_input_problems`` in roles/go_service/vars/main.yml: the role's defaults and
vars are loaded as Ansible loads them and that variable is rendered, on every ansible-core the unit
suite runs on. The paths a host gets are built from these inputs,
so a name that is empty, ``..`` or holds a ``/`` must be refused for ``go_service_state=absent``
as well (it removes ``<base_dir>/<name>``, ``<config_dir>/<name>`` and ``/var/lib/<name>``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import RoleVars

from ansible_collections.gosvc.hardening.plugins.module_utils import _inputs, _release

ROLE = Path(__file__).resolve().parents[3] / "roles" / "go_service"
GOOD = {
    "go_service_name": "demo",
    "go_service_version": "1.0.0",
    "go_service_binary_src": "/srv/dist/demo",
    "go_service_checksum": "sha256:" + "0" * 64,
    "go_service_env": {"DEMO_LISTEN_ADDR": "127.0.0.1:8080"},
    "go_service_env_secret": {"DEMO_API_TOKEN": "not-a-real-secret"},
}


@pytest.fixture(scope="module")
def role_vars():
    return RoleVars(ROLE)


@pytest.fixture
def render(role_vars):
    """``render(text, **changes)``: ``text`` templated with the role's variables, GOOD and ``changes``."""

    def render_text(text, escape_backslashes=True, **changes):
        return role_vars.render(text, escape_backslashes=escape_backslashes, **{**GOOD, **changes})

    return render_text


@pytest.fixture
def problems(render):
    def input_problems(**changes):
        result = render("{{ __go_service_input_problems }}", **changes)
        assert isinstance(result, list), result
        return " ".join(result)

    return input_problems


@pytest.mark.parametrize("state", ["present", "absent"])
def test_good_inputs_have_no_problem(problems, state):
    assert problems(go_service_state=state) == ""


@pytest.mark.parametrize(
    "name", ["", ".", "..", "a/b", "../etc", "My App", "demo\n", "demo.service", "my@app", "-x", "x" * 129]
)
@pytest.mark.parametrize("state", ["present", "absent"])
def test_a_name_that_cannot_be_a_path_component_is_refused_in_every_state(problems, name, state):
    found = problems(go_service_name=name, go_service_user="demo", go_service_state=state)
    assert found.startswith("go_service_name ")
    assert "for example myapp" in found


@pytest.mark.parametrize("name", ["demo", "my-app", "my_app.v2", "A1", "x" * 128])
def test_usual_names_pass(problems, name):
    assert problems(go_service_name=name, go_service_user="demo") == ""


@pytest.mark.parametrize("option", ["go_service_base_dir", "go_service_config_dir"])
@pytest.mark.parametrize("value", ["", "/", "opt", "/opt/../etc", "/./opt", "/opt/..", "//"])
@pytest.mark.parametrize("state", ["present", "absent"])
def test_a_directory_that_is_not_absolute_and_plain_is_refused(problems, option, value, state):
    found = problems(**{option: value, "go_service_state": state})
    assert found.startswith(f"{option} ") and "absolute directory" in found


@pytest.mark.parametrize("value", ["/opt", "/opt/", "/srv/apps", "/opt/.hidden", "/opt/a..b"])
def test_plain_absolute_directories_pass(problems, value):
    assert problems(go_service_base_dir=value, go_service_config_dir=value) == ""


@pytest.mark.parametrize("version", ["", "v 1", "1.0.0/../x", "..", "-1", "1.0\n"])
def test_a_version_that_cannot_name_the_release_directory_is_refused(problems, version):
    assert problems(go_service_version=version).startswith("go_service_version ")


@pytest.mark.parametrize("version", ["1.4.2", "v1.4.2+build.7", "2024.01.01~rc1", "1_0"])
def test_usual_versions_pass(problems, version):
    assert problems(go_service_version=version) == ""


@pytest.mark.parametrize("version", ["1.4.2", "v 1", "", "x" * 128, "x" * 129, "1.0\n", "-1", 1.5])
def test_the_version_rule_is_go_release_s_own(problems, version):
    # The filter calls go_release's check (_release.check_name), so the two cannot drift apart.
    try:
        _release.check_name(str(version), "version", "1.4.2")
        refused = False
    except _release.ReleaseError:
        refused = True
    assert refused == problems(go_service_version=version).startswith("go_service_version ")


def test_install_only_inputs_are_not_checked_for_an_uninstall(problems):
    assert problems(go_service_state="absent", go_service_version="v 1", go_service_binary_src="") == ""


@pytest.mark.parametrize("option", ["go_service_user", "go_service_group"])
@pytest.mark.parametrize("value", ["x:y", "9lives", "a" * 33, "", "my app"])
def test_an_account_name_useradd_refuses_is_named(problems, option, value):
    assert problems(**{option: value}).startswith(f"{option} ")


def test_the_user_follows_the_name_by_default_and_is_named_with_it(problems):
    found = problems(go_service_name="9lives")
    assert 'go_service_user "9lives" (by default go_service_name)' in found
    assert "go_service_group" in found


@pytest.mark.parametrize("key", ["DEMO-MODE", "1ST", "A.B", "SP ACE", ""])
@pytest.mark.parametrize("option", ["go_service_env", "go_service_env_secret"])
def test_an_environment_name_systemd_would_skip_is_refused(problems, option, key):
    found = problems(**{option: {key: "x", "GOOD": "y"}})
    assert found.startswith(f'{option} has "{key}": not an environment variable name')
    assert '"GOOD"' not in found


@pytest.mark.parametrize("value", [None, [1, 2], {"a": 1}, "a\rb", "a\x00b"])
def test_a_value_an_environment_file_cannot_carry_is_refused(problems, value):
    assert problems(go_service_env={"DEMO_X": value}).startswith("go_service_env DEMO_X: a value that is null")


def test_a_refused_secret_is_named_by_its_key_never_its_value(problems):
    found = problems(go_service_env_secret={"DEMO_API_TOKEN": "s3cr3t\rvalue-4711", "OK": "fine"})
    assert found.startswith("go_service_env_secret DEMO_API_TOKEN: a value")
    assert "4711" not in found and "s3cr3t" not in found


@pytest.mark.parametrize("value", ["a\nb", "$HOME ${PATH}", 'x"y', "back\\slash", "%h", "#x", " lead", "", 0, True])
def test_values_that_reach_the_process_unchanged_pass(problems, value):
    assert problems(go_service_env={"DEMO_X": value}) == ""


def test_every_problem_is_reported_at_once(problems):
    found = problems(go_service_version="v 1", go_service_env={"A-B": "x"}, go_service_binary_src="")
    for part in ("go_service_version ", 'go_service_env has "A-B"', "set exactly one of go_service_binary_url"):
        assert part in found


@pytest.fixture
def runtime_env(render):
    return lambda **changes: render("{{ __go_service_runtime_env }}", **changes)


@pytest.mark.parametrize(
    ("memory_max", "expected"),
    [("512M", int(512 * 1024**2 * 0.9)), ("1.5G", int(1.5 * 1024**3 * 0.9)), ("2048K", int(2048 * 1024 * 0.9))],
)
def test_gomemlimit_follows_an_absolute_memory_max(runtime_env, memory_max, expected):
    # systemd reads MemoryMax=1.5G as 1610612736 bytes (systemctl show, 247 and 257), as human_to_bytes does.
    assert runtime_env(go_service_memory_max=memory_max) == {"GOMEMLIMIT": expected}


@pytest.mark.parametrize("memory_max", ["", "infinity"])
def test_no_memory_limit_means_no_gomemlimit(runtime_env, problems, memory_max):
    assert runtime_env(go_service_memory_max=memory_max) == {}
    assert problems(go_service_memory_max=memory_max) == ""


def test_a_share_of_the_host_s_memory_is_refused_unless_gomemlimit_is_given(problems):
    assert problems(go_service_memory_max="50%").startswith('go_service_memory_max "50%" is a share of each host')
    assert problems(go_service_memory_max="50%", go_service_env={"GOMEMLIMIT": "400MiB"}) == ""


@pytest.mark.parametrize(
    ("args", "bad"),
    [([None], "0"), (["ok", ["a"], "ok", {"k": 1}], "1, 3"), (["nul\x00"], "0")],
)
def test_an_argument_that_cannot_be_one_exec_argument_is_named_by_its_index(problems, args, bad):
    assert problems(go_service_args=args).startswith(f"go_service_args {bad} (counting from 0)")


def test_free_text_arguments_pass(problems):
    assert problems(go_service_args=['--title=100% "up" at ${HOME}', "$HOME", "", 8080, True, "a\nb"]) == ""


@pytest.mark.parametrize("description", ["two\nlines", "cr\rhere"])
def test_a_description_must_be_one_line(problems, description):
    assert problems(go_service_description=description).startswith("go_service_description must be one line")


def test_a_description_may_hold_a_percent_sign(problems):
    assert problems(go_service_description="at 100%, not %n") == ""


@pytest.mark.parametrize("value", ["/opt/my app", "/opt/100%", "/opt/$x", "/opt/a'b"])
def test_a_directory_with_characters_a_unit_file_would_need_quoted_is_refused(problems, value):
    assert problems(go_service_base_dir=value).startswith("go_service_base_dir ")


def test_an_exec_start_pre_command_must_be_one_line(problems):
    found = problems(go_service_exec_start_pre=["/bin/true", "/bin/true\nUser=root"])
    assert found.startswith("go_service_exec_start_pre items must be one line each")
    assert problems(go_service_exec_start_pre=["/bin/test -n ${X}", "/opt/demo/current/demo -version"]) == ""


def test_the_environment_file_carries_each_value_as_systemd_reads_it_back(render):
    # What systemd makes of these lines (quotes, backslashes, $, line feeds kept) was measured on
    # 247, 252 and 257; see docs/go_service.md, "Start-up contract". A template file is rendered
    # without escape_backslashes, as the template lookup does.
    env = {"FLAG_ON": True, "FLAG_OFF": False, "QUOTE": 'x"y', "BACK": "a\\b", "PORT": 8080, "DOLLAR": "$HOME"}
    text = render(
        (ROLE / "templates" / "env.j2").read_text(),
        escape_backslashes=False,
        ansible_managed="managed",
        go_service_env=env,
    )
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines == [
        'BACK="a\\\\b"',
        'DEMO_API_TOKEN="not-a-real-secret"',
        'DOLLAR="$HOME"',
        'FLAG_OFF="false"',
        'FLAG_ON="true"',
        'PORT="8080"',
        'QUOTE="x\\"y"',
    ]


@pytest.mark.parametrize(
    "option",
    [
        "go_service_start_limit_interval_sec",
        "go_service_start_limit_burst",
        "go_service_timeout_start_sec",
        "go_service_drain_sec",
    ],
)
def test_zero_which_systemd_reads_as_no_limit_is_refused(problems, option):
    assert problems(**{option: 0}).startswith(f"{option} must be 1 or more (got 0)")


def test_a_zero_watchdog_is_refused_only_for_a_notify_service(problems):
    assert problems(go_service_notify=True, go_service_watchdog_sec=0).startswith("go_service_watchdog_sec must be")
    assert problems(go_service_notify=False, go_service_watchdog_sec=0) == ""


@pytest.mark.parametrize(
    ("burst", "spacing", "interval", "refused"),
    [(5, 2, 60, False), (3, 2, 5, True), (3, 2, 6, True), (3, 2, 7, False), (5, 15, 60, True), (5, 11, 60, False)],
)
def test_a_start_limit_must_be_reachable_by_a_crash_loop(problems, burst, spacing, interval, refused):
    found = problems(
        go_service_start_limit_burst=burst, go_service_restart_sec=spacing, go_service_start_limit_interval_sec=interval
    )
    if refused:
        assert found.startswith(f"{burst} restarts (go_service_start_limit_burst) {spacing} s apart")
        assert f"take {burst * spacing} s, not less than the {interval} s" in found
    else:
        assert found == ""


@pytest.mark.parametrize(("size", "refused"), [("64M", False), ("64m", False), ("10%", False), ("1048576", False),
                                               ("64Q", True), ("abc", True), ("1.5G", True), ("", True)])  # fmt: skip
def test_the_gocache_size_must_be_one_tmpfs_takes(problems, size, refused):
    # systemd-run -p TemporaryFileSystem=/var/cache/tfs:size=<size> on systemd 252: 64M, 64m and 10% start;
    # 64Q, abc and 1.5G fail with exit code 226 (NAMESPACE).
    found = problems(go_service_gocache_size=size)
    assert found.startswith("go_service_gocache_size ") if refused else found == ""


@pytest.mark.parametrize("option", ["go_service_health_url", "go_service_ready_url"])
@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "scheme '(none)' is not supported"),
        ("localhost:8080/healthz", "scheme 'localhost' is not supported"),
        ("http:///healthz", "no host"),
        ("http://127.0.0.1:80800/healthz", "the port is not a number"),
    ],
)
def test_a_url_the_probes_would_refuse_after_the_restart_is_refused_first(problems, option, url, says):
    # Measured on a demo host before this check: a deploy with go_service_health_url="not a url" and a
    # changed configuration restarted the service, failed in service_wait, rolled back (a second restart)
    # and failed the rollback's wait on the same URL.
    found = problems(**{option: url})
    assert found.startswith(f"{option}: url ") and says in found


@pytest.mark.parametrize(
    "url", ["", "http://127.0.0.1:8080/healthz", "https://[::1]:8443/readyz?x=1", "http+unix://%2Frun%2Fa.sock/h"]
)
def test_urls_the_probes_take_pass(problems, url):
    assert problems(go_service_health_url=url, go_service_ready_url=url) == ""


@pytest.mark.parametrize(
    ("changes", "starts"),
    [
        ({"go_service_health_timeout": 0}, "go_service_health_timeout must be 1 or more (got 0)"),
        ({"go_service_keep_releases": 0}, "go_service_keep_releases must be 1 or more (got 0)"),
        ({"go_service_start_settle_sec": -1}, "go_service_start_settle_sec must be a whole number of 0 or more"),
        ({"go_service_listen_port": 70000}, "go_service_listen_port must be a port from 1 to 65535"),
        ({"go_service_listen_port": -1}, "go_service_listen_port must be a whole number of 0 or more"),
        ({"go_service_max_exposure": -1}, "go_service_max_exposure must be from 0.0 to 10.0"),
        ({"go_service_max_exposure": 10.5}, "go_service_max_exposure must be from 0.0 to 10.0"),
        ({"go_service_gomemlimit_ratio": 2}, "go_service_gomemlimit_ratio must be above 0 and at most 1 (got 2)"),
        ({"go_service_gomemlimit_ratio": 0}, "go_service_gomemlimit_ratio must be above 0 and at most 1 (got 0)"),
        (
            {"go_service_health_watchdog": True, "go_service_health_url": "http://127.0.0.1:8080/healthz",
             "go_service_health_watchdog_failures": 0},
            "go_service_health_watchdog_failures must be 1 or more (got 0)",
        ),
    ],
)  # fmt: skip
def test_a_number_a_module_would_refuse_after_the_restart_is_refused_first(problems, changes, starts):
    assert problems(**changes).startswith(starts)


def test_watchdog_numbers_are_checked_only_with_the_watchdog(problems):
    assert problems(go_service_health_watchdog=False, go_service_health_watchdog_interval_sec=0) == ""


@pytest.mark.parametrize(
    "changes",
    [{"go_service_listen_port": 0}, {"go_service_listen_port": 65535}, {"go_service_max_exposure": 0},
     {"go_service_max_exposure": 10}, {"go_service_gomemlimit_ratio": 1}, {"go_service_start_settle_sec": 0}],
)  # fmt: skip
def test_numbers_at_the_edges_pass(problems, changes):
    assert problems(**changes) == ""


# -- values written into the unit as given: one line, in the form systemd reads --------------------

NUMBERS_IN_UNITS = [
    "go_service_restart_sec",
    "go_service_start_limit_interval_sec",
    "go_service_start_limit_burst",
    "go_service_timeout_start_sec",
    "go_service_drain_sec",
    "go_service_log_rate_limit_interval_sec",
    "go_service_log_rate_limit_burst",
    "go_service_health_timeout",
    "go_service_keep_releases",
    "go_service_start_settle_sec",
    "go_service_listen_port",
]


@pytest.mark.parametrize("option", NUMBERS_IN_UNITS)
@pytest.mark.parametrize("value", ["5\n", "5\nExecStartPre=/bin/touch /tmp/pwned", "5s", " 5", True, 2.5])
def test_a_number_that_is_not_digits_only_is_refused(problems, option, value):
    # "5\n" passes the argument spec's int check (int() strips blanks) and would be written as given.
    found = problems(**{option: value})
    assert found.startswith(f"{option} must be a whole number of 0 or more, written with digits only"), found


def test_the_watchdog_numbers_follow_the_same_rule_when_the_watchdog_is_on(problems):
    watchdog = {"go_service_health_watchdog": True, "go_service_health_url": "http://127.0.0.1:8080/healthz"}
    for option in ("interval_sec", "failures", "timeout_sec"):
        name = f"go_service_health_watchdog_{option}"
        assert problems(**watchdog, **{name: "3\n[Timer]"}).startswith(f"{name} must be a whole number")
        assert problems(**{name: "3\n[Timer]"}) == ""


@pytest.mark.parametrize("option", NUMBERS_IN_UNITS)
def test_numbers_given_as_digit_strings_pass(problems, option):
    assert problems(**{option: "60" if option == "go_service_start_limit_interval_sec" else "1"}) == ""


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("go_service_cpu_quota", "150%\nExecStartPre=/bin/true"),
        ("go_service_cpu_quota", "150%\n"),
        ("go_service_cpu_quota", "1.5"),
        ("go_service_memory_max", "512M\nExecStartPre=/bin/true"),
        ("go_service_memory_max", "512M\n"),
        ("go_service_memory_max", "512MB"),
        ("go_service_gocache_size", "64m\n"),
        ("go_service_gocache_size", "64m\nExecStartPre=/bin/true"),
    ],
)
def test_a_unit_value_that_is_not_one_line_in_systemd_s_form_is_refused(problems, option, value):
    assert problems(**{option: value}).startswith(f"{option} {value!r}".replace("'", '"')[: len(option) + 1])
    assert option in problems(**{option: value})


@pytest.mark.parametrize(
    ("option", "value"),
    [("go_service_cpu_quota", "150%"), ("go_service_cpu_quota", "12.5%"), ("go_service_memory_max", "512M"),
     ("go_service_memory_max", "1.5G"), ("go_service_memory_max", "1073741824"), ("go_service_memory_max", "infinity"),
     ("go_service_memory_max", "2P")],
)  # fmt: skip
def test_unit_values_in_systemd_s_form_pass(problems, option, value):
    assert problems(**{option: value}) == ""


RULE_REGEXES = {
    "SERVICE_NAME": _inputs.SERVICE_NAME,
    "file name (_release._NAME)": _release._NAME,
    "ACCOUNT_NAME": _inputs.ACCOUNT_NAME,
    "DIRECTORY": _inputs.DIRECTORY,
    "SECTION": _inputs.SECTION,
    "DIRECTIVE": _inputs.DIRECTIVE,
    "COUNT": _inputs.COUNT,
    "GOCACHE_SIZE": _inputs.GOCACHE_SIZE,
    "CPU_QUOTA": _inputs.CPU_QUOTA,
    "MEMORY_BYTES": _inputs.MEMORY_BYTES,
    "MEMORY_MAX": _inputs.MEMORY_MAX,
    "SHA256": _inputs.SHA256,
    "REPORT_NAME": _inputs.REPORT_NAME,
}


@pytest.mark.parametrize("name", sorted(RULE_REGEXES))
def test_every_rule_regex_ends_at_the_end_of_the_text_not_before_a_line_feed(name):
    import re

    pattern = RULE_REGEXES[name].pattern
    assert pattern.endswith("\\Z"), f"{name} = {pattern!r} must end in \\Z ($ lets a trailing line feed through)"
    sample = {"DIRECTORY": "/opt", "CPU_QUOTA": "50%", "SHA256": "a" * 64, "SECTION": "Service", "DIRECTIVE": "Nice",
              "ACCOUNT_NAME": "a"}.get(name, "1")  # fmt: skip
    assert re.match(pattern, sample) and not re.match(pattern, sample + "\n")


def test_an_environment_name_ends_at_the_end_of_the_text_not_before_a_line_feed():
    assert _inputs.env_name_ok("a") and not _inputs.env_name_ok("a\n")


def test_the_gomemlimit_form_is_the_input_rule_s(role_vars):
    # __go_service_runtime_env derives GOMEMLIMIT from the memory_max values this form matches.
    assert role_vars.variables["__go_service_memory_bytes_re"] == _inputs.MEMORY_BYTES.pattern


def test_an_environment_name_with_a_trailing_line_feed_is_refused(problems):
    assert "not an environment variable name" in problems(go_service_env={"NAME\n": "x"})
    assert "go_service_env_required names must be shell variable names" in problems(
        go_service_env_required=["NAME\n"], go_service_env={"NAME\n": "x"}
    )


def test_a_checksum_with_a_trailing_line_feed_is_refused(problems):
    assert problems(go_service_checksum="sha256:" + "0" * 64 + "\n").startswith("set go_service_checksum as")


# -- signatures: nothing is installed unsigned by mistake -----------------------------------------

SIGNER_SETTINGS = [
    "go_service_cosign_public_key",
    "go_service_cosign_certificate_identity",
    "go_service_cosign_certificate_identity_regexp",
    "go_service_cosign_certificate_oidc_issuer",
    "go_service_cosign_trusted_root",
]


@pytest.mark.parametrize("option", SIGNER_SETTINGS)
def test_a_signer_setting_without_a_signature_is_refused(problems, option):
    found = problems(**{option: "x"})
    assert found.startswith(f"set go_service_cosign_bundle or go_service_cosign_signature: {option} says who")
    assert "installed unsigned" in found


@pytest.mark.parametrize("signature", ["go_service_cosign_bundle", "go_service_cosign_signature"])
def test_a_signer_setting_with_a_signature_passes(problems, signature):
    assert problems(**{signature: "files/sig", "go_service_cosign_public_key": "files/key.pub"}) == ""


def test_cosign_required_refuses_a_release_without_a_signature(problems):
    assert problems(go_service_cosign_required=True).startswith("go_service_cosign_required is true, but neither")
    assert problems(go_service_cosign_required=True, go_service_cosign_bundle="files/b.json") == ""


REMOTE = {"go_service_binary_src": "", "go_service_binary_remote_src": "/srv/app"}


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"go_service_cosign_bundle": "b.json"}, "go_service_cosign_bundle"),
        ({"go_service_cosign_signature": "s.sig", "go_service_cosign_public_key": "k.pub"},
         "go_service_cosign_signature, go_service_cosign_public_key"),
        ({"go_service_archive_member": "app/app"}, "go_service_archive_member"),
        ({"go_service_checksums_src": "sums.txt"}, "go_service_checksums_src"),
    ],
)  # fmt: skip
def test_settings_the_remote_src_path_never_reads_are_refused(problems, changes, named):
    found = problems(**REMOTE, **changes)
    assert f"controller never sees it, so {named} would be ignored" in found
    assert problems(**REMOTE) == ""


def test_the_binary_digest_is_go_service_checksum_normalised_only_for_a_binary_on_the_host(render):
    # the inputs phase record task: the remote binary's digest, lowercase hex without the algorithm; the
    # artifact phase publishes the controller's (for an archive, the extracted binary's) otherwise.
    text = (ROLE / "tasks" / "inputs.yml").read_text()
    expression = text.split("go_service_binary_sha256: >-\n", 1)[1].split("\n    go_service_result", 1)[0]
    digest = "A" * 64
    remote = render(expression.strip(), **REMOTE, go_service_checksum=f"sha256:{digest}")
    assert remote == "a" * 64
    assert render(expression.strip(), go_service_checksum=f"sha256:{digest}") == ""
