# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exact sentences the roles' input rules (module_utils/_inputs.py) give, one bad input each.

The messages are the user's contract: each names the variable and says how to fix it, so every word is
pinned here, written out in full (these tests also kill the wording mutants mutmut found surviving).
The base inputs are the go_service role's own defaults, rendered as tests/unit/plugins/module_utils/test_inputs.py
renders them; the verify settings are that file's.
"""

from __future__ import annotations

import pytest
from test_inputs import CHECKS, VERIFY

from ansible_collections.gosvc.hardening.plugins.module_utils import _inputs

GO_SERVICE_MESSAGES = [
    pytest.param(
        {"go_service_name": "my app"},
        [
            'go_service_name "my app" names the unit (<name>.service), the account (by default) and the'
            " directories <base_dir>/<name>, <config_dir>/<name> and /var/lib/<name>: use letters, digits and . _"
            " - only, starting with a letter or a digit, at most 128 characters, without .service (for example"
            " myapp).",
        ],
        id="go_service_name",
    ),
    pytest.param(
        {"go_service_base_dir": "opt"},
        [
            'go_service_base_dir "opt" must be an absolute directory of letters, digits and . _ + ~ -, without .'
            " or .. components (for example /opt).",
        ],
        id="go_service_base_dir",
    ),
    pytest.param(
        {"go_service_config_dir": "/etc/../x"},
        [
            'go_service_config_dir "/etc/../x" must be an absolute directory of letters, digits and . _ + ~ -,'
            " without . or .. components (for example /etc).",
        ],
        id="go_service_config_dir",
    ),
    pytest.param(
        {"go_service_version": "v 1"},
        [
            'go_service_version "v 1" names the release directory <base_dir>/<name>/releases/<version>: use'
            " letters, digits and . _ + ~ - only, starting with a letter or a digit, at most 128 characters (for"
            " example 1.4.2).",
        ],
        id="go_service_version",
    ),
    pytest.param(
        {"go_service_binary_name": "a/b"},
        [
            'go_service_binary_name "a/b" (by default go_service_name) names the binary in the release directory:'
            " use letters, digits and . _ + ~ - only, starting with a letter or a digit, at most 128 characters"
            " (for example myapp).",
        ],
        id="go_service_binary_name",
    ),
    pytest.param(
        {"go_service_user": "9x"},
        [
            'go_service_user "9x" (by default go_service_name) is not a system user name: use letters, digits and'
            " . _ - only, starting with a letter or _, at most 32 characters (for example myapp).",
        ],
        id="go_service_user",
    ),
    pytest.param(
        {"go_service_group": "my group"},
        [
            'go_service_group "my group" (by default go_service_user) is not a group name: use letters, digits and'
            " . _ - only, starting with a letter or _, at most 32 characters (for example myapp).",
        ],
        id="go_service_group",
    ),
    pytest.param(
        {"go_service_args": ["ok", None, "a\x00b"]},
        [
            "go_service_args 1, 2 (counting from 0): an argument is a string, number or boolean without a NUL"
            " character; give a list of those, one item per argument.",
        ],
        id="go_service_args",
    ),
    pytest.param(
        {"go_service_log_rate_limit_burst": "5\n"},
        [
            "go_service_log_rate_limit_burst must be a whole number of 0 or more, written with digits only (got"
            ' "5\\n").',
        ],
        id="a count",
    ),
    pytest.param(
        {"go_service_reload_signal": "SIGTERM"},
        [
            'go_service_reload_signal "SIGTERM" is the signal that makes the service re-read its config files'
            " (ExecReload=): use one of SIGHUP, SIGUSR1, SIGUSR2, the one the service handles, or leave it empty"
            " when the service cannot reload (every change then restarts it).",
        ],
        id="a reload signal that stops the service",
    ),
    pytest.param(
        {"go_service_drain_sec": 0},
        [
            "go_service_drain_sec must be 1 or more (got 0): systemd reads 0 as no limit at all (set the"
            " directive in go_service_unit_overrides if that is what you want).",
        ],
        id="a limit of 0",
    ),
    pytest.param(
        {"go_service_start_limit_burst": 5, "go_service_restart_sec": 3, "go_service_start_limit_interval_sec": 10},
        [
            "5 restarts (go_service_start_limit_burst) 3 s apart (go_service_restart_sec) take 15 s, not less than"
            " the 10 s of go_service_start_limit_interval_sec: systemd would restart a service that crashes at"
            " start for ever. Raise the interval above 15 s or lower the burst or the restart delay.",
        ],
        id="the start limit",
    ),
    pytest.param(
        {"go_service_keep_releases": 0},
        [
            "go_service_keep_releases must be 1 or more (got 0).",
        ],
        id="go_service_keep_releases",
    ),
    pytest.param(
        {"go_service_listen_port": 65536},
        [
            "go_service_listen_port must be a port from 1 to 65535, or 0 for none (got 65536).",
        ],
        id="go_service_listen_port",
    ),
    pytest.param(
        {"go_service_max_exposure": 10.5},
        [
            "go_service_max_exposure must be from 0.0 to 10.0, the scale of systemd-analyze security (got 10.5).",
        ],
        id="go_service_max_exposure",
    ),
    pytest.param(
        {"go_service_gomemlimit_ratio": 0},
        [
            "go_service_gomemlimit_ratio must be above 0 and at most 1 (got 0): GOMEMLIMIT above MemoryMax lets"
            " the kernel kill the service before the Go runtime collects its garbage (0.9 leaves room for memory"
            " Go does not manage).",
        ],
        id="go_service_gomemlimit_ratio",
    ),
    pytest.param(
        {"go_service_health_url": "x"},
        [
            "go_service_health_url: url 'x': scheme '(none)' is not supported; use one of"
            " http://127.0.0.1:8080/healthz, https://localhost:8443/healthz or"
            " http+unix://%2Frun%2Fapp.sock/healthz.",
        ],
        id="go_service_health_url",
    ),
    pytest.param(
        {"go_service_description": "a\nb"},
        [
            "go_service_description must be one line: systemd would read what follows a line break as directives.",
        ],
        id="go_service_description",
    ),
    pytest.param(
        {"go_service_exec_start_pre": ["/bin/true", "a\nb"]},
        [
            "go_service_exec_start_pre items must be one line each: systemd would read what follows a line break"
            " as directives (give one item per command).",
        ],
        id="go_service_exec_start_pre",
    ),
    pytest.param(
        {"go_service_gocache_size": "64MB"},
        [
            'go_service_gocache_size "64MB" is not a tmpfs size: give a whole number with k, m or g (for example'
            " 64m), or a share of the memory such as 10%; the kernel refuses anything else and the service would"
            " not start.",
        ],
        id="go_service_gocache_size",
    ),
    pytest.param(
        {"go_service_cpu_quota": "1.5"},
        [
            'go_service_cpu_quota "1.5" is not a CPU quota: give a share of one CPU in percent such as 150% (1.5'
            ' CPUs), or "" for none.',
        ],
        id="go_service_cpu_quota",
    ),
    pytest.param(
        {"go_service_memory_max": "512MB"},
        [
            'go_service_memory_max "512MB" is not a memory limit: give bytes with an optional K, M, G, T, P or E'
            ' suffix (base 1024) such as 512M or 1.5G, a share such as 50%, infinity, or "" for none.',
        ],
        id="go_service_memory_max",
    ),
    pytest.param(
        {"go_service_memory_max": "50%"},
        [
            'go_service_memory_max "50%" is a share of each host\'s memory, which the role cannot turn into the'
            " matching GOMEMLIMIT; give an absolute size such as 512M or 1.5G, or set GOMEMLIMIT in go_service_env"
            " yourself.",
        ],
        id="a memory share",
    ),
    pytest.param(
        {"go_service_binary_url": "https://example.com/demo"},
        [
            "set exactly one of go_service_binary_url, go_service_binary_src or go_service_binary_remote_src (got 2).",
        ],
        id="two binary sources",
    ),
    pytest.param(
        {"go_service_checksum": "abc"},
        [
            "set go_service_checksum as 'sha256:<64 hex digits>' (`sha256sum <file>` prints it; required with"
            " go_service_binary_remote_src) or one of go_service_checksums_url / go_service_checksums_src (a"
            " checksums.txt holding the artifact's entry).",
        ],
        id="go_service_checksum",
    ),
    pytest.param(
        {"go_service_cosign_target": "binary"},
        [
            "go_service_cosign_target must be artifact or checksums; checksums needs go_service_checksums_url or"
            " go_service_checksums_src.",
        ],
        id="go_service_cosign_target",
    ),
    pytest.param(
        {
            "go_service_cosign_required": True,
            "go_service_cosign_public_key": "k",
            "go_service_cosign_trusted_root": "r",
        },
        [
            "go_service_cosign_required is true, but neither go_service_cosign_bundle nor"
            " go_service_cosign_signature is set: give the release's Sigstore bundle (or signature) with the"
            " signer settings it must match, and deliver it with go_service_binary_url or go_service_binary_src"
            " (the controller checks the signature). set go_service_cosign_bundle or go_service_cosign_signature:"
            " go_service_cosign_public_key, go_service_cosign_trusted_root say who must have signed the release,"
            " but without a signature nothing would be checked and the release would be installed unsigned (or"
            " unset them).",
        ],
        id="go_service_cosign_required and signers",
    ),
    pytest.param(
        {"go_service_cosign_public_key": "k"},
        [
            "set go_service_cosign_bundle or go_service_cosign_signature: go_service_cosign_public_key says who"
            " must have signed the release, but without a signature nothing would be checked and the release would"
            " be installed unsigned (or unset it).",
        ],
        id="one signer",
    ),
    pytest.param(
        {
            "go_service_binary_src": "",
            "go_service_binary_remote_src": "/srv/app",
            "go_service_checksums_url": "https://example.com/checksums.txt",
            "go_service_archive_member": "demo",
        },
        [
            "go_service_binary_remote_src installs the file already on the host as it is: the controller never"
            " sees it, so go_service_checksums_url, go_service_archive_member would be ignored. Unset them, or"
            " deliver the release with go_service_binary_url or go_service_binary_src (the archive is unpacked and"
            " the signature checked on the controller).",
        ],
        id="go_service_binary_remote_src",
    ),
    pytest.param(
        {"go_service_env_required": ["A", "B"]},
        [
            "go_service_env_required lists A, B, but they are missing or empty in go_service_env and"
            " go_service_env_secret; set them there (secrets in go_service_env_secret).",
        ],
        id="go_service_env_required",
    ),
    pytest.param(
        {"go_service_env_required": ["1A", "A-B"]},
        [
            "go_service_env_required lists 1A, A-B, but they are missing or empty in go_service_env and"
            " go_service_env_secret; set them there (secrets in go_service_env_secret).",
            "go_service_env_required names must be shell variable names ([A-Za-z_][A-Za-z0-9_]*): 1A, A-B.",
        ],
        id="go_service_env_required names",
    ),
    pytest.param(
        {"go_service_env": {"1A": "x", "A-B": "y", "C": None, "D": "a\rb"}},
        [
            'go_service_env has "1A", "A-B": not an environment variable name, so systemd would skip that line of'
            " the environment file and start the service without it; use letters, digits and underscores, not"
            " starting with a digit. go_service_env C, D: a value that is null, a list or a mapping, or that holds"
            ' a carriage return or NUL character, cannot be written to an environment file; give a string ("" for'
            " an empty one), a number or a boolean.",
        ],
        id="go_service_env",
    ),
    pytest.param(
        {
            "go_service_unit_overrides": {
                "Bad": {},
                "Unit": ["x"],
                "Service": {"limit_nofile": 1, "Nice": ["5", "a\nb"]},
            }
        },
        [
            "go_service_unit_overrides maps a section to directives and their values, like {Service: {LimitNOFILE:"
            ' 65536}}; section "Bad" is not a section of a service unit: use Unit, Service or Install (X-<name>'
            ' for your own). section Unit must map directive names to values, not hold ["x"]. key'
            ' Service."limit_nofile" is not a systemd directive name: write the name alone in systemd\'s CamelCase'
            ' letters and digits, e.g. LimitNOFILE: 65536 (not "LimitNOFILE=65536" or "limit_nofile"); X-<name>'
            ' for your own. value of Service.Nice ("a\\nb") must be one line: a string, number or boolean, or a'
            ' list of them for a directive given several times ("" resets a list directive).',
        ],
        id="go_service_unit_overrides",
    ),
    pytest.param(
        {"go_service_health_watchdog": True},
        [
            "go_service_health_watchdog needs go_service_health_url (the URL it probes, e.g."
            " http://127.0.0.1:8080/healthz).",
        ],
        id="go_service_health_watchdog",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), GO_SERVICE_MESSAGES)
def test_each_go_service_rule_names_the_variable_and_the_fix_in_these_words(role_inputs, changes, expected):
    assert _inputs.go_service_problems({**role_inputs, **changes}) == expected


VERIFY_MESSAGES = [
    pytest.param(
        {"verify_health_url": "x", "verify_ready_url": "http:///r"},
        [
            "verify_health_url: url 'x': scheme '(none)' is not supported; use one of"
            " http://127.0.0.1:8080/healthz, https://localhost:8443/healthz or"
            " http+unix://%2Frun%2Fapp.sock/healthz. verify_ready_url: url 'http:///r': no host; give a URL such"
            " as http://127.0.0.1:8080/healthz, https://localhost:8443/healthz or"
            " http+unix://%2Frun%2Fapp.sock/healthz.",
        ],
        id="probe urls",
    ),
    pytest.param(
        {"verify_forbidden_urls": [{"port": 0}, 5, "x"]},
        [
            "verify_forbidden_urls[0]: a mapping takes port (1-65535), path and scheme (http or https); got"
            ' {"port": 0}. verify_forbidden_urls[1]: give a full http(s):// URL, or a mapping such as {port: 8080,'
            " path: /debug/pprof/}. verify_forbidden_urls[2]: url 'x': scheme '(none)' is not supported; use one"
            " of http://127.0.0.1:8080/healthz, https://localhost:8443/healthz or"
            " http+unix://%2Frun%2Fapp.sock/healthz.",
        ],
        id="verify_forbidden_urls",
    ),
    pytest.param(
        {"verify_go_build": {"zz": 1, "aa": 2}},
        [
            "verify_go_build has unknown keys aa, zz; use require_trimpath, require_cgo_disabled,"
            " require_stripped, min_go_version, forbid_vcs_modified.",
        ],
        id="verify_go_build",
    ),
    pytest.param(
        {"verify_probe_options": {"bogus": 1}},
        [
            "verify_probe_options has unknown keys bogus; use headers, status_codes, validate_certs,"
            " check_hostname, ca_path, client_cert, client_key, server_name.",
        ],
        id="verify_probe_options",
    ),
    pytest.param(
        {"verify_max_exposure": -1},
        [
            "verify_max_exposure (by default go_service_max_exposure) must be from 0.0 to 10.0, the scale of"
            " systemd-analyze security (got -1).",
        ],
        id="verify_max_exposure",
    ),
    pytest.param(
        {"verify_health_timeout": 0.5},
        [
            "verify_health_timeout must be 1 or more (got 0.5).",
        ],
        id="verify_health_timeout",
    ),
    pytest.param(
        {"verify_tls_min_days": -1},
        [
            "verify_tls_min_days must be a whole number of 0 or more (got -1).",
        ],
        id="verify_tls_min_days",
    ),
    pytest.param(
        {"verify_service_name": ""},
        [
            "set verify_service_name (or go_service_name) to the service to verify, e.g. verify_service_name=demo.",
        ],
        id="verify_service_name",
    ),
    pytest.param(
        {"verify_severity": {"nope": "audit"}},
        [
            'verify_severity maps check names (unit_active, go_build) to blocking, warning or audit; got {"nope":'
            ' "audit"}.',
        ],
        id="verify_severity",
    ),
    pytest.param(
        {"verify_soak_seconds": -1},
        [
            "verify_soak_seconds must be 0 or more (got -1).",
        ],
        id="verify_soak_seconds",
    ),
    pytest.param(
        {"verify_report_name": "a/b"},
        [
            "verify_report_name (a file name without directories) must use letters, digits and . _ @ - only (got"
            ' "a/b").',
        ],
        id="verify_report_name",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), VERIFY_MESSAGES)
def test_each_verify_rule_names_the_variable_and_the_fix_in_these_words(changes, expected):
    assert _inputs.verify_problems({**VERIFY, **changes}, CHECKS) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "an argument must be a string, number or boolean, got NoneType"),
        (["a"], "an argument must be a string, number or boolean, got list"),
        ("a\x00b", "an argument cannot hold a NUL character"),
        (b"a\x00b", "an argument cannot hold a NUL character"),
    ],
)
def test_an_exec_argument_is_refused_in_these_words(value, expected):
    assert _inputs.exec_arg_problem(value) == expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"port": 0}, 'a mapping takes port (1-65535), path and scheme (http or https); got {"port": 0}'),
        (8080, "give a full http(s):// URL, or a mapping such as {port: 8080, path: /debug/pprof/}"),
        (None, "give a full http(s):// URL, or a mapping such as {port: 8080, path: /debug/pprof/}"),
    ],
)
def test_a_forbidden_url_entry_is_refused_in_these_words(entry, expected):
    assert _inputs.forbidden_entry_problem(entry) == expected
