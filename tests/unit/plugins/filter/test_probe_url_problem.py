# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""probe_url_problem: the probing modules' own URL rule, as a sentence the roles can name a variable with."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gosvc.hardening.plugins.filter.probe_url_problem import FilterModule, probe_url_problem
from ansible_collections.gosvc.hardening.plugins.module_utils._service_wait import WaitInputError, probe_config


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/healthz",
        "https://localhost:8443/readyz?full=1",
        "http://[::1]:9090/-/healthy",
        "http://app.internal",
        "HTTP://127.0.0.1/",
        "http+unix://%2Frun%2Fapp.sock/healthz",
    ],
)
def test_a_url_the_probes_take_has_no_problem(url):
    assert probe_url_problem(url) == ""


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "scheme '(none)' is not supported"),
        ("localhost:8080/healthz", "scheme 'localhost' is not supported"),
        ("ftp://127.0.0.1/healthz", "scheme 'ftp' is not supported"),
        ("http:///healthz", "no host"),
        ("http://user:secret@127.0.0.1/healthz", "credentials in the URL are not supported"),
        ("http://127.0.0.1:99999/healthz", "the port is not a number between 0 and 65535"),
        ("http+unix://run%2Fapp.sock/healthz", "the absolute socket path"),
        ("", "empty"),
    ],
)
def test_a_url_the_probes_refuse_is_explained(url, says):
    assert says in probe_url_problem(url)


@pytest.mark.parametrize("url", ["not a url", "http:///x", "http://127.0.0.1:99999/", "http://127.0.0.1:8080/ok"])
def test_the_rule_is_the_one_service_wait_applies(url):
    """Refused by the filter exactly when service_wait would refuse it after a restart."""
    try:
        probe_config("health_url", url, 10, 1)
        refused = False
    except WaitInputError:
        refused = True
    assert refused == (probe_url_problem(url) != "")


@pytest.mark.parametrize("value", [None, 8080, True, ["http://127.0.0.1/"], {"url": "http://127.0.0.1/"}])
def test_a_value_that_is_not_a_string_fails(value):
    with pytest.raises(AnsibleFilterError, match="must be a string"):
        probe_url_problem(value)


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"probe_url_problem": probe_url_problem}
