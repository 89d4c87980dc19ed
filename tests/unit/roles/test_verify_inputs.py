# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify's setting checks (``__verify_setting_problems``), rendered by ansible-core's templating.

gosvc.hardening.deploy runs them before it installs anything: a setting service_probe would
refuse is then refused first, naming the variable, instead of failing the probe after the install
and rolling the host back for nothing (measured on a demo host: a deploy with
go_service_max_exposure=-1 restarted the service twice and reported the rollback as failed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import RoleVars

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
        ({"verify_tls_min_days": -1}, "verify_tls_min_days must be 0 or more (got -1)"),
    ],
)
def test_a_number_service_probe_would_refuse_is_named(problems, changes, starts):
    assert problems(**changes).startswith(starts)


def test_every_problem_is_reported_at_once(problems):
    found = problems(verify_health_url="x", verify_log_lines=0, verify_soak_seconds=-1)
    assert "verify_health_url: " in found and "verify_log_lines must be" in found and "verify_soak_seconds" in found
