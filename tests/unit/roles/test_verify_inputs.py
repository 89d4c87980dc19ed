# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify's setting checks (``__verify_setting_problems``), rendered by ansible-core's templating.

The rules are Python (plugins/module_utils/_inputs.py), called by the verify_input_problems filter.

gosvc.hardening.deploy runs them before it installs anything: a setting service_probe would
refuse is then refused first, naming the variable, instead of failing the probe after the install
and rolling the host back for nothing (measured on a demo host: a deploy with
go_service_max_exposure=-1 restarted the service twice and reported the rollback as failed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import RoleVars

from ansible_collections.gosvc.hardening.plugins.module_utils import _inputs, _service_probe

ROLE = Path(__file__).resolve().parents[3] / "roles" / "verify"
GOOD = {
    "inventory_hostname": "web-1",
    "go_service_name": "demo",
    "go_service_health_url": "http://127.0.0.1:8080/healthz",
    "go_service_ready_url": "http://127.0.0.1:8080/readyz",
}


@pytest.fixture(scope="module")
def role_vars():
    return RoleVars(ROLE)


@pytest.fixture
def problems(role_vars):
    def setting_problems(**changes):
        result = role_vars.render("{{ __verify_setting_problems }}", **{**GOOD, **changes})
        assert isinstance(result, list), result
        return " ".join(result)

    return setting_problems


def test_the_defaults_have_no_problem(problems):
    assert problems() == ""


@pytest.mark.parametrize("option", ["verify_health_url", "verify_ready_url"])
@pytest.mark.parametrize(
    ("url", "says"),
    [("not a url", "scheme '(none)' is not supported"), ("http:///x", "no host"), ("ftp://h/x", "scheme 'ftp'")],
)
def test_a_probe_url_service_probe_would_refuse_is_named(problems, option, url, says):
    found = problems(**{option: url})
    assert found.startswith(f"{option}: url ") and says in found


def test_the_urls_follow_go_service_s_by_default(problems):
    found = problems(go_service_health_url="localhost:8080/healthz")
    assert found.startswith("verify_health_url: url 'localhost:8080/healthz': scheme 'localhost'")


def test_a_forbidden_url_string_is_checked_by_index_and_mappings_are_left_to_the_probe(problems):
    found = problems(
        verify_forbidden_urls=["http://127.0.0.1:8080/metrics", {"port": 8080, "path": "/x"}, "http://:1/"]
    )
    assert found.startswith("verify_forbidden_urls[2]: url 'http://:1/': no host")


@pytest.mark.parametrize(
    ("changes", "starts"),
    [
        ({"verify_max_exposure": 11}, "verify_max_exposure (by default go_service_max_exposure) must be from 0.0 to"),
        ({"go_service_max_exposure": -1}, "verify_max_exposure (by default go_service_max_exposure) must be from"),
        ({"verify_health_timeout": 0}, "verify_health_timeout must be 1 or more (got 0)"),
        ({"verify_ready_success_threshold": 0}, "verify_ready_success_threshold must be 1 or more (got 0)"),
        ({"verify_log_lines": 0}, "verify_log_lines must be 1 or more (got 0)"),
        ({"verify_tls_min_days": -1}, "verify_tls_min_days must be a whole number of 0 or more (got -1)"),
    ],
)
def test_a_number_service_probe_would_refuse_is_named(problems, changes, starts):
    assert problems(**changes).startswith(starts)


def test_every_problem_is_reported_at_once(problems):
    found = problems(verify_health_url="x", verify_log_lines=0, verify_soak_seconds=-1)
    assert "verify_health_url: " in found and "verify_log_lines must be" in found and "verify_soak_seconds" in found


def test_the_key_lists_are_service_probe_s_own(problems):
    # One definition: the filter's rules use service_probe's tuples themselves.
    assert _inputs.GO_BUILD_KEYS is _service_probe.GO_BUILD_KEYS
    assert _inputs.PROBE_OPTION_KEYS is _service_probe.PROBE_OPTION_KEYS
    assert problems(verify_go_build={"x": 1}).endswith(f"use {', '.join(_service_probe.GO_BUILD_KEYS)}.")
    assert problems(verify_probe_options={"x": 1}).endswith(f"use {', '.join(_service_probe.PROBE_OPTION_KEYS)}.")


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("verify_go_build", {"require_trimpath": True, "trimpath": True}, "verify_go_build has unknown keys trimpath;"),
        ("verify_probe_options", {"header": {"X": "1"}}, "verify_probe_options has unknown keys header;"),
    ],
)
def test_an_unknown_key_service_probe_would_refuse_is_named(problems, option, value, says):
    assert problems(**{option: value}).startswith(says)


@pytest.mark.parametrize(
    "entry",
    [{"port": 70000, "path": "/x"}, {"path": "/x"}, {"port": 8080, "scheme": "ftp"}, {"port": 8080, "host": "h"}, 8080],
)
def test_a_forbidden_entry_service_probe_would_refuse_is_named_by_index(problems, entry):
    assert problems(verify_forbidden_urls=["http://127.0.0.1:8080/metrics", entry]).startswith(
        "verify_forbidden_urls[1]: "
    )


def test_forbidden_entries_service_probe_takes_pass(problems):
    entries = [{"port": 8080, "path": "/debug/pprof/"}, {"port": "9090", "scheme": "HTTPS"}, "https://[::1]:8443/x"]
    assert problems(verify_forbidden_urls=entries, verify_go_build={"min_go_version": "1.21"}) == ""


@pytest.mark.parametrize(
    "entries",
    [[{"port": 70000, "path": "/x"}], [{"path": "/x"}], [{"port": 8080, "scheme": "ftp"}], [8080],
     [{"port": 8080, "path": "/debug/pprof/"}], ["https://[::1]:8443/x"]],
)  # fmt: skip
def test_forbidden_entries_are_refused_exactly_when_service_probe_refuses_them(problems, entries):
    try:
        _service_probe.check_forbidden_entries(entries)
        refused = False
    except _service_probe.ProbeInputError:
        refused = True
    assert refused == problems(verify_forbidden_urls=entries).startswith("verify_forbidden_urls[0]: ")


# -- what the installed binary must hash to -------------------------------------------------------

ARCHIVE_DIGEST = "sha256:" + "a" * 64
BINARY_DIGEST = "b" * 64


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # go_service ran in this play (deploy.yml): its published digest, even for an archive
        ({"go_service_binary_sha256": BINARY_DIGEST, "go_service_checksum": ARCHIVE_DIGEST,
          "go_service_archive_member": "app-1.0/app"}, BINARY_DIGEST),
        # a verify-only run of a bare binary: the pinned digest is the binary's
        ({"go_service_checksum": ARCHIVE_DIGEST}, ARCHIVE_DIGEST),
        # a verify-only run of an archive: the pinned digest is the archive's; the release record decides
        ({"go_service_checksum": ARCHIVE_DIGEST, "go_service_archive_member": "app-1.0/app"}, ""),
        # go_service refused before publishing (or uninstalled): nothing to expect, the record decides
        ({"go_service_binary_sha256": "", "go_service_checksum": ARCHIVE_DIGEST}, ""),
        ({}, ""),
    ],
)  # fmt: skip
def test_verify_checksum_is_the_binary_s_digest_never_an_archive_s(role_vars, given, expected):
    assert role_vars.render("{{ verify_checksum }}", **{**GOOD, **given}) == expected
