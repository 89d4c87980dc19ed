# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every check of the verify report, one rule at a time: the record pipelines read (name, status,
severity) and the detail that tells the reader why.

Inputs are the captured hosts of data_verify/ (see its README.md) with the one field a test is
about changed; systemctl's own output for a stopped and an unknown unit comes from
tests/unit/data/service_probe/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gosvc.hardening.plugins.filter import verify_report as report_mod

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).with_name("data_verify")
SYSTEMCTL = ROOT / "tests" / "unit" / "data" / "service_probe" / "debian12"
DEFAULTS = report_mod.DEFAULT_SEVERITY
#: pass-debian12's main PID and observation window (as the details print it), and its probe URLs.
PID, WINDOW = 16502, "30.7s"
READY_URL, HEALTH_URL = "http://127.0.0.1:8080/readyz", "https://127.0.0.1:8443/"


def raw_of(name="pass-debian12", **changes):
    """A captured host's raw inputs (a fresh copy), with some fields replaced."""
    raw = json.loads((DATA / f"{name}.json").read_text())["raw"]
    raw.update(changes)
    return raw


def result_of(field, name="pass-debian12", **changes):
    """A captured module result of pass-debian12 (or `name`) with some keys replaced."""
    return dict(raw_of(name)[field], **changes)


def systemctl_show(state):
    """`systemctl show` of demo.service as captured: running, stopped or missing (an unknown unit)."""
    text = (SYSTEMCTL / f"unit.{state}.txt").read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def report(raw):
    return report_mod.verify_report(raw, DEFAULTS)


def check(raw, name):
    """The record of check `name` in the report of `raw`."""
    (found,) = [c for c in report(raw)["checks"] if c["name"] == name]
    return found


def record(name, status, detail):
    return {"name": name, "status": status, "severity": DEFAULTS[name], "detail": detail}


def without(mapping, *keys):
    return {k: v for k, v in mapping.items() if k not in keys}


# --- unit_active ------------------------------------------------------------------------------


def test_unit_active_passes_an_active_unit_and_names_its_states():
    """unit_active passes when the unit was active before and after, and reports ActiveState and SubState."""
    assert check(raw_of(), "unit_active") == record("unit_active", "passed", "ActiveState=active SubState=running")


def test_unit_active_fails_a_unit_systemd_does_not_know():
    """unit_active fails a unit that is not loaded and names the unit and its LoadState."""
    missing = systemctl_show("missing")
    assert check(raw_of(unit_after=missing), "unit_active") == record(
        "unit_active", "failed", "demo.service is not loaded (LoadState=not-found)"
    )


def test_unit_active_without_a_load_state_goes_by_the_active_state():
    """unit_active treats a missing LoadState as loaded and decides by ActiveState."""
    after = without(raw_of()["unit_after"], "LoadState")
    assert check(raw_of(unit_after=after), "unit_active")["status"] == "passed"


def test_unit_active_fails_a_unit_that_changed_state_during_the_window():
    """unit_active fails a unit whose ActiveState changed during the window and shows the change."""
    raw = raw_of(unit_before=dict(raw_of()["unit_after"], ActiveState="activating"))
    assert check(raw, "unit_active") == record(
        "unit_active", "failed", "ActiveState activating -> active during the observation window, SubState=running"
    )


def test_unit_active_fails_a_stopped_unit():
    """unit_active fails a unit that is inactive on both reads."""
    stopped = systemctl_show("stopped")
    raw = raw_of(unit_before=stopped, unit_after=stopped)
    assert check(raw, "unit_active") == record("unit_active", "failed", "ActiveState=inactive SubState=dead")


def test_unit_active_reports_a_result_other_than_success():
    """unit_active adds the unit's Result to the detail when it is not success."""
    failed = dict(systemctl_show("stopped"), ActiveState="failed", SubState="failed", Result="exit-code")
    raw = raw_of(unit_before=failed, unit_after=failed)
    assert check(raw, "unit_active") == record(
        "unit_active", "failed", "ActiveState=failed SubState=failed Result=exit-code"
    )


def test_unit_active_without_states_is_unknown_and_fails():
    """unit_active fails when systemd reported no ActiveState, naming the state unknown."""
    raw = raw_of(unit_before={}, unit_after={})
    assert check(raw, "unit_active") == record("unit_active", "failed", "ActiveState=unknown SubState=unknown")
    assert report(raw)["active_state"] == "unknown"


def test_unit_active_with_no_state_before_reports_the_change_from_unknown():
    """unit_active fails when only the read after the window has an ActiveState: unknown -> active."""
    raw = raw_of(unit_before=without(raw_of()["unit_after"], "ActiveState"))
    assert check(raw, "unit_active") == record(
        "unit_active", "failed", "ActiveState unknown -> active during the observation window, SubState=running"
    )


def test_unit_active_with_no_state_after_reports_the_change_to_unknown():
    """unit_active fails when the read after the window has no ActiveState: active -> unknown."""
    raw = raw_of(unit_after=without(raw_of()["unit_after"], "ActiveState"))
    assert check(raw, "unit_active") == record(
        "unit_active", "failed", "ActiveState active -> unknown during the observation window, SubState=running"
    )


# --- restarts ---------------------------------------------------------------------------------


def test_restarts_passes_a_stable_process_over_the_window():
    """restarts passes when NRestarts and the main PID stayed the same, naming both and the window."""
    assert check(raw_of(), "restarts") == record(
        "restarts", "passed", f"NRestarts stayed 2 and main PID {PID} over {WINDOW}"
    )


def test_restarts_fails_a_restart_inside_the_window():
    """restarts fails when NRestarts grew, naming the counts, the window and both main PIDs."""
    assert check(raw_of("restart-debian11"), "restarts") == record(
        "restarts", "failed", "NRestarts grew 2 -> 3 within 14.5s (main PID 16437 -> 17710)"
    )


@pytest.mark.parametrize("side", ["unit_before", "unit_after"])
def test_restarts_fails_when_systemd_does_not_report_nrestarts(side):
    """restarts fails when either read lacks NRestarts (systemd older than 235)."""
    raw = raw_of(**{side: without(raw_of()[side], "NRestarts")})
    assert check(raw, "restarts") == record(
        "restarts", "failed", "NRestarts is not reported for this unit (systemd older than 235?)"
    )


def test_restarts_fails_without_a_main_process():
    """restarts fails when there was no main process on either read."""
    stopped = systemctl_show("stopped")
    raw = raw_of(unit_before=stopped, unit_after=stopped)
    assert check(raw, "restarts") == record(
        "restarts", "failed", f"no main process during the {WINDOW} window (NRestarts 0 -> 0)"
    )


@pytest.mark.parametrize(
    ("before", "after", "detail"),
    [
        ("running", "stopped", f"main PID changed {PID} -> 0 within {WINDOW} although NRestarts stayed 2"),
        ("stopped", "running", f"main PID changed 0 -> {PID} within {WINDOW} although NRestarts stayed 2"),
    ],
)
def test_restarts_fails_a_main_process_that_came_or_went(before, after, detail):
    """restarts fails when the main process appeared or disappeared during the window."""
    unit = raw_of()["unit_after"]
    states = {"running": unit, "stopped": dict(unit, MainPID="0")}
    raw = raw_of(unit_before=states[before], unit_after=states[after])
    assert check(raw, "restarts") == record("restarts", "failed", detail)


@pytest.mark.parametrize("side", ["unit_before", "unit_after"])
def test_restarts_counts_a_missing_main_pid_as_no_process(side):
    """restarts reads a missing MainPID as 0 (no process), so a PID on the other read is a change."""
    raw = raw_of(**{side: without(raw_of()[side], "MainPID")})
    pids = f"0 -> {PID}" if side == "unit_before" else f"{PID} -> 0"
    assert check(raw, "restarts") == record(
        "restarts", "failed", f"main PID changed {pids} within {WINDOW} although NRestarts stayed 2"
    )


@pytest.mark.parametrize("window", [None, "not a number"], ids=["absent", "not-a-number"])
def test_restarts_without_a_window_length_reports_0_seconds(window):
    """restarts reports a window of 0.0s when window_seconds is absent or not a number."""
    raw = raw_of(window_seconds=window)
    assert check(raw, "restarts") == record("restarts", "passed", f"NRestarts stayed 2 and main PID {PID} over 0.0s")


def test_restarts_in_quick_mode_passes_an_unchanged_process():
    """restarts in quick mode passes when the main PID is the same on both reads, saying there was no window."""
    raw = raw_of(mode="quick")
    assert check(raw, "restarts") == record(
        "restarts", "passed", f"NRestarts 2, main PID {PID} (quick: no observation window)"
    )


# --- user -------------------------------------------------------------------------------------


def test_user_passes_the_expected_account():
    """user passes when every uid of the main process is the expected user's, naming PID, user and uid."""
    assert check(raw_of(), "user") == record("user", "passed", f"main PID {PID} runs as demo (uid 997)")


@pytest.mark.parametrize("proc_status", ["", None], ids=["empty", "absent"])
def test_user_and_capabilities_are_skipped_without_a_main_process(proc_status):
    """user and capabilities are skipped when there is no /proc status of a main process to inspect."""
    raw = raw_of(proc_status=proc_status)
    assert check(raw, "user") == record("user", "skipped", "no main process to inspect")
    assert check(raw, "capabilities") == record("capabilities", "skipped", "no main process to inspect")


@pytest.mark.parametrize(("expected_user", "shown"), [("demo", "'demo'"), (None, "''")], ids=["named", "not-named"])
def test_user_fails_when_the_account_does_not_exist(expected_user, shown):
    """user fails when the expected account has no passwd entry, naming the account."""
    raw = raw_of(user_entry=None, expected_user=expected_user)
    assert check(raw, "user") == record("user", "failed", f"user {shown} does not exist on the host")


def test_user_fails_without_a_uid_line():
    """user fails when /proc/<pid>/status has no Uid line, naming the file."""
    status = "".join(line for line in raw_of()["proc_status"].splitlines(True) if not line.startswith("Uid:"))
    assert check(raw_of(proc_status=status), "user") == record("user", "failed", f"no Uid line in /proc/{PID}/status")


def test_user_fails_an_expected_root_account():
    """user fails when the expected user is root, whatever the process runs as."""
    assert check(raw_of("journald-debian12"), "user") == record(
        "user", "failed", "the expected user 'root' is root (uid 0); services must not run as root"
    )


def test_user_fails_a_process_of_another_account():
    """user fails when the process's uids are not the expected user's, listing all four."""
    assert check(raw_of("fail-debian13"), "user") == record(
        "user",
        "failed",
        "main PID 13825 runs with uids 996/996/996/996 (real/effective/saved/fs), expected nobody (uid 65534)",
    )


def test_user_compares_with_the_uid_field_not_the_gid():
    """user takes the uid from the passwd entry's uid field (the second), not from its gid."""
    entry = ["x", "997", "65534", "demo service account", "/nonexistent", "/usr/sbin/nologin"]
    assert check(raw_of(user_entry=entry), "user")["status"] == "passed"
    swapped = ["x", "65534", "997", "demo service account", "/nonexistent", "/usr/sbin/nologin"]
    assert check(raw_of(user_entry=swapped), "user")["status"] == "failed"


def test_user_reads_a_passwd_entry_that_ends_after_the_uid():
    """user takes the uid from the entry's second field even when the entry has no further fields."""
    raw = raw_of(user_entry=["x", "997"], unit_after=dict(raw_of()["unit_after"], User="from-the-unit"))
    assert check(raw, "user") == record("user", "passed", f"main PID {PID} runs as demo (uid 997)")
    assert (report(raw)["user"], report(raw)["uid"]) == ("demo", 997)


def test_user_fails_a_passwd_entry_without_a_uid():
    """user fails when the passwd entry has no uid field: no process uid matches it."""
    user = check(raw_of(user_entry=["x"]), "user")
    assert user["status"] == "failed"
    assert user["detail"].startswith(f"main PID {PID} runs with uids 997/997/997/997 (real/effective/saved/fs), ")


# --- capabilities -----------------------------------------------------------------------------


def test_capabilities_pass_an_empty_effective_set():
    """capabilities pass with no effective capability and show the mask and both sets."""
    assert check(raw_of(), "capabilities") == record(
        "capabilities", "passed", "CapEff 0000000000000000: none (allowed: none)"
    )


JOURNALD_CAPS = "cap_chown, cap_dac_override, cap_fowner, cap_setgid, cap_setuid, cap_sys_admin"


def test_capabilities_fail_capabilities_beyond_the_allowed_set():
    """capabilities fail on an effective capability not allowed, listing the extra ones and the allowed set."""
    raw = raw_of("journald-debian12", allowed_capabilities=["CAP_CHOWN", "setuid", "cap_dac_override"])
    assert check(raw, "capabilities") == record(
        "capabilities",
        "failed",
        "effective capabilities beyond the allowed set: cap_fowner, cap_setgid, cap_sys_admin "
        "(CapEff 00000000002000cb, allowed: cap_chown, cap_dac_override, cap_setuid)",
    )


def test_capabilities_fail_any_capability_when_none_is_allowed():
    """capabilities fail every effective capability when none is allowed, saying allowed: none."""
    assert check(raw_of("journald-debian12"), "capabilities") == record(
        "capabilities",
        "failed",
        f"effective capabilities beyond the allowed set: {JOURNALD_CAPS} (CapEff 00000000002000cb, allowed: none)",
    )


def test_capabilities_pass_allowed_capabilities_and_list_them():
    """capabilities pass when every effective capability is allowed, listing what the process holds."""
    allowed = [c.strip() for c in JOURNALD_CAPS.split(",")]
    raw = raw_of("journald-debian12", allowed_capabilities=[*allowed, "cap_kill"])
    assert check(raw, "capabilities") == record(
        "capabilities",
        "passed",
        f"CapEff 00000000002000cb: {JOURNALD_CAPS} (allowed: {', '.join(sorted([*allowed, 'cap_kill']))})",
    )


def test_capabilities_fail_without_a_capeff_line():
    """capabilities fail when /proc/<pid>/status has no CapEff line, naming the file."""
    status = "".join(line for line in raw_of()["proc_status"].splitlines(True) if not line.startswith("CapEff:"))
    assert check(raw_of(proc_status=status), "capabilities") == record(
        "capabilities", "failed", f"no CapEff line in /proc/{PID}/status"
    )


def test_capability_bits_beyond_the_table_are_named_by_number():
    """decode_capabilities names a bit the table does not know cap_<bit>, after the known ones."""
    assert report_mod.decode_capabilities(f"{(1 << 41) | (1 << 40) | 1:x}") == [
        "cap_chown",
        "cap_checkpoint_restore",
        "cap_41",
    ]


def test_proc_status_values_keep_their_colons():
    """parse_proc_status splits each line at its first colon, so values may contain colons."""
    assert report_mod.parse_proc_status("Name:\tdemo\nx: a:b\nno separator\n") == {"Name": "demo", "x": "a:b"}
    assert report_mod.parse_proc_status(None) == {}


# --- checksum ---------------------------------------------------------------------------------

DIGEST = "d46b5b4e829d6f9bc0a1eb1d24f210f89dc88da7798585f9ccac8feb54a6f956"


def test_checksum_passes_and_names_the_digest_the_file_and_where_the_digest_came_from():
    """checksum passes on a matching digest, naming the algorithm, digest, file and the digest's source."""
    assert check(raw_of(), "checksum") == record(
        "checksum", "passed", f"sha256:{DIGEST} of /opt/demo/releases/1.0.0/demo (expected from verify_checksum)"
    )


def test_checksum_names_the_release_record_as_the_source_and_sha256_by_default():
    """checksum names a release record as the digest's source, and sha256 when the result names no algorithm."""
    source = "/opt/demo/.releases.json (digest recorded at install)"
    raw = raw_of(checksum_source=source, checksum_result=without(raw_of()["checksum_result"], "algorithm"))
    assert check(raw, "checksum") == record(
        "checksum", "passed", f"sha256:{DIGEST} of /opt/demo/releases/1.0.0/demo (expected from {source})"
    )


def test_checksum_without_a_source_names_verify_checksum():
    """checksum names verify_checksum as the source when the role gave none."""
    raw = raw_of(checksum_source=None, checksum_result=result_of("checksum_result", algorithm="sha512"))
    assert check(raw, "checksum")["detail"].startswith("sha512:")
    assert check(raw, "checksum")["detail"].endswith(" (expected from verify_checksum)")


def test_checksum_fails_with_the_modules_message_and_the_digests_source():
    """checksum fails with the checksum module's message and where the expected digest came from."""
    raw = raw_of("fail-debian13")
    assert check(raw, "checksum") == record(
        "checksum", "failed", f"{raw['checksum_result']['msg']} (expected digest from verify_checksum)"
    )


def test_checksum_is_skipped_without_an_expected_digest():
    """checksum is skipped when no digest is expected, naming both places one could come from."""
    assert check(raw_of(expected_checksum=""), "checksum") == record(
        "checksum", "skipped", "no expected digest (verify_checksum is empty and no release record)"
    )


def test_checksum_fails_when_the_release_record_could_not_be_trusted():
    """A record service_probe refused leaves no expected digest and a failed result: failed, not skipped."""
    refused = {
        "failed": True,
        "path": "/opt/demo/current/demo",
        "msg": "Choosing the expected digest: the state file /opt/demo/.releases.json is not valid JSON (x)",
    }
    assert check(raw_of(expected_checksum="", checksum_result=refused), "checksum") == record(
        "checksum", "failed", refused["msg"]
    )
    skipped = {"skipped": True, "msg": "no expected digest"}
    assert check(raw_of(expected_checksum="", checksum_result=skipped), "checksum")["status"] == "skipped"


def test_checksum_fails_when_a_digest_was_expected_but_not_computed():
    """checksum fails when a digest is expected but the checksum was not computed."""
    assert check(raw_of(checksum_result=None), "checksum") == record(
        "checksum", "failed", "the checksum was not computed"
    )


# --- a module's verdict: rc, msg ----------------------------------------------------------------


def test_a_nonzero_rc_is_a_failure_even_without_failed():
    """A result with a nonzero rc counts as failed even when it does not say failed."""
    journal = result_of("journal_result", rc=1, failed=False, stderr="Failed to open journal: Permission denied")
    assert check(raw_of(journal_result=journal), "structured_logs") == record(
        "structured_logs", "failed", "journalctl failed: Failed to open journal: Permission denied"
    )


def test_a_failed_result_without_a_message_says_failed():
    """A failed result with no msg gives the detail "failed"."""
    go_build = result_of("go_build_result", failed=True, violations=[], msg="")
    assert check(raw_of(go_build_result=go_build), "go_build") == record("go_build", "failed", "failed")


def test_a_message_that_is_not_text_is_shown_as_sorted_json():
    """A result's msg that is not a string is shown as JSON with sorted keys."""
    exposure = result_of("exposure_result", failed=True, failed_reasons=[], msg={"rc": 1, "error": "timeout"})
    assert check(raw_of(exposure_result=exposure), "exposure") == record(
        "exposure", "failed", '{"error": "timeout", "rc": 1}'
    )


def test_a_detail_of_600_characters_is_kept_whole():
    """A detail of exactly 600 characters (the schema's maximum) is kept whole."""
    message = "x" * 600
    go_build = result_of("go_build_result", failed=True, violations=[], msg=message)
    assert check(raw_of(go_build_result=go_build), "go_build")["detail"] == message


def test_a_longer_detail_is_cut_to_600_characters_ending_in_an_ellipsis():
    """A detail longer than 600 characters is cut to 597 of them plus "..."."""
    message = "".join(f"{i:04d} " for i in range(200))
    go_build = result_of("go_build_result", failed=True, violations=[], msg=message)
    detail = check(raw_of(go_build_result=go_build), "go_build")["detail"]
    assert detail == message[:597] + "..."
    assert len(detail) == 600


def test_a_detail_has_its_whitespace_collapsed():
    """A detail's runs of whitespace and newlines become single spaces."""
    go_build = result_of("go_build_result", failed=True, violations=[], msg="  line one\n\tline  two \n")
    assert check(raw_of(go_build_result=go_build), "go_build")["detail"] == "line one line two"


# --- signature --------------------------------------------------------------------------------

KEYLESS = {
    "material": "bundle",
    "method": "keyless",
    "public_key_type": None,
    "signer": {"identity": "a@tny.town", "issuer": "https://github.com/login/oauth"},
    "tlog_verified": True,
}


def test_signature_passes_a_key_signature_and_describes_it():
    """signature passes a verified key signature, naming material, method, key type and the tlog state."""
    assert check(raw_of(), "signature") == record(
        "signature", "passed", "signature verified with a key (ecdsa-p256), transparency log not required"
    )


def test_signature_passes_a_keyless_bundle_and_names_the_signer():
    """signature passes a verified keyless bundle, naming the certificate, signer identity and issuer."""
    raw = raw_of(signature_result=result_of("signature_result", **KEYLESS))
    assert check(raw, "signature") == record(
        "signature",
        "passed",
        "bundle verified with a keyless (certificate), signer a@tny.town (https://github.com/login/oauth), "
        "transparency log verified",
    )


def test_signature_fails_with_the_modules_message():
    """signature fails with cosign_verify's message when verification failed."""
    raw = raw_of("fail-debian13")
    assert check(raw, "signature") == record("signature", "failed", raw["signature_result"]["msg"])


@pytest.mark.parametrize("failed", [False, True], ids=["not-failed", "failed"])
def test_signature_fails_a_result_that_is_not_verified(failed):
    """signature fails unless the result says verified, with a default message when it gives none."""
    raw = raw_of(signature_result=result_of("signature_result", verified=False, failed=failed))
    assert check(raw, "signature") == record("signature", "failed", "signature did not verify")


def test_signature_fails_a_failed_result_even_if_it_says_verified():
    """signature fails a failed result even when it also says verified."""
    raw = raw_of(signature_result=result_of("signature_result", failed=True, msg="cosign: bad bundle"))
    assert check(raw, "signature") == record("signature", "failed", "cosign: bad bundle")


def test_signature_is_skipped_when_not_configured():
    """signature is skipped when verify_cosign is empty (the task was skipped)."""
    assert check(raw_of("probe-pass-debian11"), "signature") == record(
        "signature", "skipped", "not configured (verify_cosign is empty)"
    )


# --- go_build ---------------------------------------------------------------------------------


def test_go_build_passes_and_lists_the_build_facts():
    """go_build passes a binary within the policy, listing Go version, trimpath, CGO and stripping."""
    assert check(raw_of(), "go_build") == record("go_build", "passed", "go1.19.8, trimpath, CGO off, stripped")


def test_go_build_says_what_it_does_not_know_or_that_is_not_set():
    """go_build names an unknown Go version, no trimpath, CGO on or unknown and present symbols."""
    go_build = result_of("go_build_result", go_version=None, flags=None, stripped=False)
    assert check(raw_of(go_build_result=go_build), "go_build") == record(
        "go_build", "passed", "unknown Go, no trimpath, CGO on or unknown, symbols present"
    )


def test_go_build_reports_cgo_on():
    """go_build reports CGO on or unknown when the build had CGO enabled, and no trimpath when it was off."""
    flags = dict(raw_of()["go_build_result"]["flags"], cgo_enabled=True, trimpath=False)
    go_build = result_of("go_build_result", flags=flags)
    assert check(raw_of(go_build_result=go_build), "go_build")["detail"] == (
        "go1.19.8, no trimpath, CGO on or unknown, stripped"
    )


def test_go_build_fails_with_every_violation():
    """go_build fails with the policy's violations joined by "; "."""
    violations = ["min_go_version: built with go1.19.8, older than 1.99", "require_stripped: the binary has symbols"]
    go_build = result_of("go_build_result", "fail-debian13", violations=violations)
    assert check(raw_of(go_build_result=go_build), "go_build") == record("go_build", "failed", "; ".join(violations))


def test_go_build_fails_with_the_modules_message_when_it_found_no_violation():
    """go_build fails with the module's message when it failed without listing violations."""
    go_build = result_of(
        "go_build_result", failed=True, violations=None, msg="/opt/demo/current/demo is not an ELF file"
    )
    assert check(raw_of(go_build_result=go_build), "go_build") == record(
        "go_build", "failed", "/opt/demo/current/demo is not an ELF file"
    )


def test_go_build_is_skipped_when_not_configured():
    """go_build is skipped when verify_go_build is empty."""
    assert check(raw_of("probe-pass-debian11"), "go_build") == record(
        "go_build", "skipped", "not configured (verify_go_build is empty)"
    )


# --- exposure ---------------------------------------------------------------------------------


def test_exposure_passes_under_the_limit_and_names_figure_level_and_limit():
    """exposure passes at or under max_exposure, naming the figure, its level and the limit."""
    assert check(raw_of(), "exposure") == record("exposure", "passed", "exposure 1.4 OK (max 1.5)")


def test_exposure_above_the_limit_fails_and_names_figure_level_and_limit():
    """exposure fails above max_exposure even when the module passed it, naming figure, level and limit."""
    assert check(raw_of(max_exposure=1.0), "exposure") == record("exposure", "failed", "exposure 1.4 OK is above 1.0")


def test_exposure_without_a_limit_passes_any_figure():
    """exposure passes any measured figure when no max_exposure is set."""
    exposure = check(raw_of(max_exposure=None), "exposure")
    assert exposure["status"] == "passed"
    assert exposure["detail"].startswith("exposure 1.4 OK ")


def test_exposure_fails_with_the_modules_reasons():
    """exposure fails with the module's failed_reasons when it failed."""
    raw = raw_of("fail-debian13")
    assert check(raw, "exposure") == record("exposure", "failed", raw["exposure_result"]["failed_reasons"][0])


def test_exposure_fails_with_the_modules_message_when_it_gave_no_reasons():
    """exposure fails with the module's msg when it failed without failed_reasons."""
    exposure = result_of("exposure_result", "fail-debian13", failed_reasons=[])
    assert check(raw_of(exposure_result=exposure), "exposure") == record("exposure", "failed", exposure["msg"])


def test_exposure_joins_several_reasons():
    """exposure joins several failed_reasons with "; "."""
    reasons = ["systemd-analyze verify: demo.service: bad setting", "exposure 1.4 exceeds max_exposure 0.5"]
    exposure = result_of("exposure_result", failed=True, failed_reasons=reasons)
    assert check(raw_of(exposure_result=exposure), "exposure")["detail"] == "; ".join(reasons)


def test_exposure_fails_when_systemd_analyze_did_not_run():
    """exposure fails when there is no exposure result at all."""
    raw = raw_of(exposure_result={"skipped": True})
    assert check(raw, "exposure") == record("exposure", "failed", "systemd-analyze security did not run")
    assert report(raw)["exposure"] is None


def test_exposure_fails_a_result_without_a_figure():
    """exposure fails a result that carries no exposure figure."""
    exposure = without(raw_of()["exposure_result"], "exposure")
    assert check(raw_of(exposure_result=exposure), "exposure") == record(
        "exposure", "failed", "no exposure figure in the result"
    )


# --- liveness and readiness -------------------------------------------------------------------


def test_probes_pass_and_name_status_url_attempts_and_stop_reason():
    """liveness and readiness pass a probe that succeeded, naming HTTP status, URL, attempts and stop reason."""
    raw = raw_of()
    assert check(raw, "liveness") == record("liveness", "passed", f"HTTP 200 from {HEALTH_URL} (1 attempt(s), success)")
    assert check(raw, "readiness") == record(
        "readiness", "passed", f"HTTP 200 from {READY_URL} (2 attempt(s), success)"
    )


def test_a_probe_result_without_attempts_counts_none():
    """A probe result that lists no attempts reports 0 attempt(s)."""
    raw = raw_of(readiness_result=result_of("readiness_result", attempts=None))
    assert check(raw, "readiness")["detail"] == f"HTTP 200 from {READY_URL} (0 attempt(s), success)"


def test_probes_without_urls_are_skipped_naming_the_setting():
    """liveness and readiness are skipped without a URL, naming verify_health_url and verify_ready_url."""
    raw = raw_of(health_url="", ready_url=None)
    assert check(raw, "liveness") == record("liveness", "skipped", "no URL configured (verify_health_url)")
    assert check(raw, "readiness") == record("readiness", "skipped", "no URL configured (verify_ready_url)")
    assert report(raw)["health"] == "unchecked"


def test_a_probe_that_did_not_run_fails():
    """liveness fails when its URL is configured but it was not probed, naming the URL."""
    raw = raw_of(liveness_result={"skipped": True})
    assert check(raw, "liveness") == record("liveness", "failed", f"{HEALTH_URL} was not probed")
    assert check(raw, "readiness") == record("readiness", "skipped", "not probed: liveness failed")
    assert report(raw)["health"] == "failed"


def test_a_failed_readiness_probe_fails_with_its_message_and_fails_health():
    """readiness fails with the probe's message, and the report's health is failed."""
    message = "health check of http://127.0.0.1:8080/readyz failed: HTTP 503 (expected 200)"
    raw = raw_of(readiness_result=result_of("readiness_result", failed=True, msg=message))
    assert check(raw, "readiness") == record("readiness", "failed", message)
    assert check(raw, "liveness")["status"] == "passed"
    assert report(raw)["health"] == "failed"


def test_health_is_ok_with_one_probe_passed_and_the_other_skipped():
    """The report's health is ok when every configured probe passed."""
    assert report(raw_of(ready_url=""))["health"] == "ok"


# --- tls_expiry -------------------------------------------------------------------------------

NOT_AFTER = "2026-12-23T20:45:07Z"


def test_tls_expiry_passes_a_certificate_valid_long_enough():
    """tls_expiry passes when the certificate has at least tls_min_days left, naming days, date and minimum."""
    assert check(raw_of(), "tls_expiry") == record(
        "tls_expiry", "passed", f"{HEALTH_URL}: 29 day(s) left (until {NOT_AFTER}); minimum 14"
    )


def test_tls_expiry_passes_on_the_last_day_of_the_minimum():
    """tls_expiry passes a certificate with exactly tls_min_days left."""
    assert check(raw_of(tls_min_days=29), "tls_expiry")["status"] == "passed"


def test_tls_expiry_fails_a_certificate_expiring_too_soon():
    """tls_expiry fails a certificate with fewer days left than tls_min_days, naming the date and both figures."""
    assert check(raw_of(tls_min_days=30), "tls_expiry") == record(
        "tls_expiry", "failed", f"{HEALTH_URL}: certificate expires {NOT_AFTER}, in 29 day(s) (< 30)"
    )


@pytest.mark.parametrize("minimum", [None, "soon"], ids=["absent", "not-a-number"])
def test_tls_expiry_without_a_minimum_requires_0_days(minimum):
    """tls_expiry reads an absent or unreadable tls_min_days as 0."""
    assert check(raw_of(tls_min_days=minimum), "tls_expiry")["detail"] == (
        f"{HEALTH_URL}: 29 day(s) left (until {NOT_AFTER}); minimum 0"
    )
    tls = dict(raw_of()["liveness_result"]["tls"], days_remaining=0)
    raw = raw_of(tls_min_days=minimum, liveness_result=result_of("liveness_result", tls=tls))
    assert check(raw, "tls_expiry")["status"] == "passed"


def test_tls_expiry_fails_an_https_endpoint_without_a_handshake():
    """tls_expiry fails an HTTPS endpoint whose certificate was not read, and checks every HTTPS URL."""
    ready = "https://127.0.0.1:8443/readyz"
    raw = raw_of(ready_url=ready, liveness_result=result_of("liveness_result", tls=None))
    assert check(raw, "tls_expiry") == record(
        "tls_expiry",
        "failed",
        f"{HEALTH_URL}: no certificate read (no TLS handshake); {ready}: no certificate read (no TLS handshake)",
    )


def test_tls_expiry_lists_every_https_endpoint():
    """tls_expiry names every HTTPS endpoint it checked, HTTPS matched in any letter case."""
    ready = "HTTPS://127.0.0.1:8443/readyz"
    raw = raw_of(
        ready_url=ready, readiness_result=result_of("readiness_result", tls=raw_of()["liveness_result"]["tls"])
    )
    assert check(raw, "tls_expiry")["detail"] == (
        f"{HEALTH_URL}: 29 day(s) left (until {NOT_AFTER}); {ready}: 29 day(s) left (until {NOT_AFTER}); minimum 14"
    )


def test_tls_expiry_is_skipped_without_an_https_endpoint():
    """tls_expiry is skipped when neither probe URL is HTTPS."""
    assert check(raw_of("probe-pass-debian11"), "tls_expiry") == record(
        "tls_expiry", "skipped", "no HTTPS endpoint among the health and readiness URLs"
    )


# --- forbidden_urls ---------------------------------------------------------------------------


def test_forbidden_urls_pass_when_nothing_answers_and_list_what_was_probed():
    """forbidden_urls pass when no forbidden URL answered, listing every URL probed."""
    assert check(raw_of(), "forbidden_urls") == record(
        "forbidden_urls",
        "passed",
        "no answer from http://172.17.0.6:8080/debug/pprof/, http://172.17.0.6:8080/metrics",
    )


def test_forbidden_urls_fail_listing_every_url_that_answered():
    """forbidden_urls fail when a forbidden URL answered, listing each with its HTTP status."""
    results = [dict(r, stop_reason="success", status=200) for r in raw_of()["forbidden_results"]]
    assert check(raw_of(forbidden_results=results), "forbidden_urls") == record(
        "forbidden_urls",
        "failed",
        "answered from outside loopback: http://172.17.0.6:8080/debug/pprof/ (HTTP 200), "
        "http://172.17.0.6:8080/metrics (HTTP 200)",
    )


def test_forbidden_urls_name_a_result_by_its_url_without_a_loop_item():
    """forbidden_urls name a probe by its url when the result carries no loop item (service_probe's results)."""
    results = [without(r, "item") for r in raw_of()["forbidden_results"]]
    assert check(raw_of(forbidden_results=results), "forbidden_urls")["detail"] == (
        "no answer from http://172.17.0.6:8080/debug/pprof/, http://172.17.0.6:8080/metrics"
    )


def test_forbidden_urls_name_a_result_by_its_loop_item_when_it_has_no_url():
    """forbidden_urls name a probe by its loop item when the module failed before it reported a url."""
    keep = ("ansible_loop_var", "item", "changed", "failed", "msg")
    results = [{k: v for k, v in r.items() if k in keep} for r in raw_of()["forbidden_results"]]
    assert all("url" not in r and r["item"] for r in results)
    assert check(raw_of(forbidden_results=results), "forbidden_urls")["detail"] == (
        "no answer from http://172.17.0.6:8080/debug/pprof/, http://172.17.0.6:8080/metrics"
    )


def test_forbidden_urls_are_skipped_when_not_configured():
    """forbidden_urls are skipped when verify_forbidden_urls is empty."""
    assert check(raw_of(forbidden_urls=[]), "forbidden_urls") == record(
        "forbidden_urls", "skipped", "not configured (verify_forbidden_urls is empty)"
    )


def test_forbidden_urls_are_skipped_without_a_url_to_probe():
    """forbidden_urls are skipped when configured but no URL was probed (no non-loopback address)."""
    assert check(raw_of(forbidden_results=[{"skipped": True}]), "forbidden_urls") == record(
        "forbidden_urls", "skipped", "no URL to probe (the host has no non-loopback address)"
    )


# --- structured_logs --------------------------------------------------------------------------

FIELDS = "time, level, msg, service, version"


def test_structured_logs_pass_json_lines_with_every_field():
    """structured_logs pass when every journal line is a JSON object with the required fields, naming them."""
    assert check(raw_of(), "structured_logs") == record(
        "structured_logs", "passed", f"the last 7 line(s) are JSON objects with {FIELDS}"
    )


def test_structured_logs_are_skipped_when_not_configured():
    """structured_logs are skipped when verify_log_required_fields is empty."""
    assert check(raw_of(log_required_fields=None), "structured_logs") == record(
        "structured_logs", "skipped", "not configured (verify_log_required_fields is empty)"
    )


def test_structured_logs_fail_when_the_journal_was_not_read():
    """structured_logs fail when fields are required but the journal was not read."""
    assert check(raw_of(journal_result={"skipped": True}), "structured_logs") == record(
        "structured_logs", "failed", "the journal was not read (no running invocation)"
    )


def test_structured_logs_fail_with_journalctls_message_when_it_wrote_no_stderr():
    """structured_logs fail with the module's msg when journalctl failed without stderr."""
    journal = result_of("journal_result", failed=True, rc=1, stderr="", msg="non-zero return code")
    assert check(raw_of(journal_result=journal), "structured_logs") == record(
        "structured_logs", "failed", "journalctl failed: non-zero return code"
    )


def test_structured_logs_fail_when_the_invocation_wrote_nothing():
    """structured_logs fail when the journal holds no non-blank line of the current invocation."""
    journal = result_of("journal_result", stdout_lines=["", "   "])
    assert check(raw_of(journal_result=journal), "structured_logs") == record(
        "structured_logs", "failed", "the current invocation wrote no journal lines"
    )


def test_structured_logs_fail_each_kind_of_bad_line_and_count_them():
    """structured_logs fail lines that are not JSON, not objects or lack fields, numbering each and counting."""
    lines = raw_of()["journal_result"]["stdout_lines"]
    bad = [
        "panic: runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV]",
        '["not", "an", "object"]',
        '{"time": "2026-11-23T20:51:55Z", "level": "info", "msg": "ready"}',
    ]
    journal = result_of("journal_result", stdout_lines=[lines[0], *bad, ""])
    assert check(raw_of(journal_result=journal), "structured_logs") == record(
        "structured_logs",
        "failed",
        "3 of 4 line(s): "
        "line 2 is not JSON: 'panic: runtime error: invalid memory address or nil pointer '; "
        "line 3 is JSON but not an object; "
        "line 4 (ready) lacks service, version",
    )


def test_structured_logs_show_three_bad_lines_and_elide_the_rest():
    """structured_logs show the first three bad lines and end with "; ..." when there are more."""
    lines = ['{"level": "info"}', "42", '{"msg": "x", "time": 1}', "null"]
    journal = result_of("journal_result", stdout_lines=lines)
    raw = raw_of(journal_result=journal, log_required_fields=["time", "msg"])
    detail = check(raw, "structured_logs")["detail"]
    assert detail == (
        "3 of 4 line(s): line 1 (?) lacks time, msg; line 2 is JSON but not an object; line 4 is JSON but not an object"
    )
    journal = result_of("journal_result", stdout_lines=[*lines, "[]"])
    assert check(raw_of(journal_result=journal, log_required_fields=["time", "msg"]), "structured_logs")["detail"] == (
        "4 of 5 line(s): line 1 (?) lacks time, msg; line 2 is JSON but not an object; "
        "line 4 is JSON but not an object; ..."
    )


# --- the report's summary fields --------------------------------------------------------------


def test_the_report_names_the_version_the_current_link_points_to():
    """The report's version is the last part of the current link's target, trailing slash or not."""
    link = raw_of("probe-pass-debian11")["current_link"]
    for target, version in [
        ("releases/1.0.0", "1.0.0"),
        ("/opt/demo/releases/1.2.3/", "1.2.3"),
        ("1.0.0", "1.0.0"),
        ("releases/2.0.0-X", "2.0.0-X"),
    ]:
        raw = raw_of("probe-pass-debian11", current_link=dict(link, lnk_target=target))
        assert report(raw)["version"] == version, target


def test_the_report_has_no_version_without_a_current_link():
    """The report's version is None when current is not a symlink or has no target."""
    link = raw_of("probe-pass-debian11")["current_link"]
    assert report(raw_of("journald-debian12"))["version"] is None
    assert report(raw_of(current_link=dict(link, islnk=False)))["version"] is None
    assert report(raw_of(current_link=without(link, "lnk_target")))["version"] is None


def test_the_report_names_the_expected_user_when_the_process_runs_as_them():
    """The report's user and uid are the expected user's when the effective uid is theirs."""
    raw = raw_of(unit_after=dict(raw_of()["unit_after"], User="someone-else"))
    assert (report(raw)["user"], report(raw)["uid"]) == ("demo", 997)


def test_the_report_names_the_units_user_when_the_process_is_someone_elses():
    """The report's user is the unit's User= when the effective uid is not the expected user's."""
    raw = raw_of("fail-debian13")
    assert (report(raw)["user"], report(raw)["uid"]) == ("demo", 996)
    no_user = raw_of("fail-debian13", unit_after=without(raw["unit_after"], "User"))
    assert report(no_user)["user"] is None


def test_the_report_uses_the_effective_uid():
    """The report's uid is the effective uid (the second of the Uid line)."""
    status = raw_of()["proc_status"].replace("Uid:\t997\t997\t997\t997", "Uid:\t0\t997\t1\t2")
    raw = raw_of(proc_status=status)
    assert (report(raw)["user"], report(raw)["uid"]) == ("demo", 997)
    short = raw_of(proc_status=raw_of()["proc_status"].replace("Uid:\t997\t997\t997\t997", "Uid:\t0\t997"))
    assert report(short)["uid"] == 997


def test_the_report_matches_the_uid_with_the_passwd_entrys_uid_field():
    """The report names the expected user when the effective uid equals the entry's uid field, not its gid."""
    after = dict(raw_of()["unit_after"], User="from-the-unit")
    entry = ["x", "997", "65534", "demo service account", "/nonexistent", "/usr/sbin/nologin"]
    assert report(raw_of(user_entry=entry, unit_after=after))["user"] == "demo"
    swapped = ["x", "65534", "997", "demo service account", "/nonexistent", "/usr/sbin/nologin"]
    assert report(raw_of(user_entry=swapped, unit_after=after))["user"] == "from-the-unit"


def test_the_report_has_no_uid_without_a_process():
    """The report's user is the unit's User= and uid None when there is no process to read."""
    raw = raw_of(proc_status="")
    assert (report(raw)["user"], report(raw)["uid"]) == ("demo", None)
    short = raw_of(proc_status=raw_of()["proc_status"].replace("Uid:\t997\t997\t997\t997", "Uid:\t997"))
    assert report(short)["uid"] is None


def test_the_report_without_a_passwd_entry_names_the_units_user():
    """The report's user falls back to the unit's User= when the expected user has no passwd entry."""
    raw = raw_of(user_entry=None, unit_after=dict(raw_of()["unit_after"], User="svc"))
    assert (report(raw)["user"], report(raw)["uid"]) == ("svc", 997)
    raw = raw_of(user_entry=["x"], unit_after=dict(raw_of()["unit_after"], User="svc"))
    assert report(raw)["user"] == "svc"


def test_the_report_carries_the_units_state_and_main_pid():
    """The report's active_state and main_pid come from the read after the window (0 without a process)."""
    stopped = systemctl_show("stopped")
    assert report(raw_of())["active_state"] == "active"
    assert report(raw_of())["main_pid"] == PID
    assert report(raw_of(unit_after=stopped))["active_state"] == "inactive"
    assert report(raw_of(unit_after=without(stopped, "MainPID")))["main_pid"] == 0


def test_the_report_summary_fields_of_a_healthy_host():
    """The report's summary fields of a healthy capture, named as the schema names them."""
    raw = raw_of()
    summary = without(report(raw), "checks")
    assert summary == {
        "format": "gosvc.hardening.verify/v1",
        "host": "gosvc-demo-debian12",
        "service": "demo",
        "unit": "demo.service",
        "started_at": raw["started_at"],
        "finished_at": raw["finished_at"],
        "mode": "full",
        "status": "passed",
        "version": "1.0.0",
        "binary": "/opt/demo/current/demo",
        "runtime": None,
        "active_state": "active",
        "main_pid": PID,
        "user": "demo",
        "uid": 997,
        "n_restarts": 2,
        "health": "ok",
        "exposure": 1.4,
        "exposure_level": "OK",
        "failed_checks": [],
        "warnings": [],
        "audit_findings": [],
    }


# --- bad input --------------------------------------------------------------------------------


def test_raw_input_that_is_not_a_mapping_names_the_input():
    """A raw input that is not a mapping is refused with a message that starts with the filter's name."""
    with pytest.raises(AnsibleFilterError, match=r"^verify_report: the input must be a mapping"):
        report_mod.verify_report("raw", DEFAULTS)


def test_severities_that_are_not_a_mapping_name_the_input():
    """Severities that are not a mapping are refused with a message that starts with the filter's name."""
    with pytest.raises(AnsibleFilterError, match=r"^verify_report: verify_severity must be a mapping"):
        report_mod.verify_report(raw_of(), ["blocking"])


def test_bad_severities_list_the_choices_and_say_none_where_nothing_is_wrong():
    """Bad severities are refused naming the three severities and each problem, none where there is none."""
    with pytest.raises(AnsibleFilterError) as excinfo:
        report_mod.verify_report(raw_of(), dict(DEFAULTS, checksum="fatal"))
    assert str(excinfo.value) == (
        f"verify_report: verify_severity must map check names ({', '.join(report_mod.CHECKS)}) to one of "
        "blocking, warning, audit; unknown checks: none, bad values: ['checksum=fatal']"
    )
    with pytest.raises(AnsibleFilterError) as excinfo:
        report_mod.verify_report(raw_of(), dict(DEFAULTS, extra="blocking"))
    assert str(excinfo.value).endswith("unknown checks: ['extra'], bad values: none")


def test_a_check_left_out_of_the_overrides_keeps_its_declared_severity():
    report = report_mod.verify_report(raw_of(), {"exposure": "audit"})
    severity = {c["name"]: c["severity"] for c in report["checks"]}
    assert severity == {**report_mod.DEFAULT_SEVERITY, "exposure": "audit"}
    assert report_mod.verify_report(raw_of())["checks"] == report_mod.verify_report(raw_of(), DEFAULTS)["checks"]


def test_the_filter_is_registered_as_verify_report():
    """The collection's filter plugin offers the filter under the name verify_report."""
    assert report_mod.FilterModule().filters() == {"verify_report": report_mod.verify_report}


# --- runtime: what the binary needs from a host ----------------------------------------------

CGO_RUNTIME = {
    "static": False,
    "needs_glibc": "2.34",
    "libc": "glibc",
    "interpreter": "/lib64/ld-linux-x86-64.so.2",
    "needed": ["libc.so.6"],
    "arch": "x86_64",
}
STATIC_RUNTIME = {
    "static": True,
    "needs_glibc": None,
    "libc": None,
    "interpreter": None,
    "needed": [],
    "arch": "x86_64",
}


def test_the_report_carries_what_the_binary_needs_from_a_host():
    """runtime is service_probe's runtime as read; null when the probe could not read the ELF headers."""
    assert report(raw_of(runtime=CGO_RUNTIME))["runtime"] == CGO_RUNTIME
    assert report(raw_of(runtime={"error": "it is not an ELF file"}))["runtime"] is None
    assert report(raw_of())["runtime"] is None


@pytest.mark.parametrize(("runtime", "tail"), [(CGO_RUNTIME, ", needs glibc 2.34"), (STATIC_RUNTIME, ", static")])
def test_go_build_names_a_static_build_or_the_glibc_it_needs(runtime, tail):
    """The go_build detail ends with static or the newest glibc needed, for a fleet audit."""
    base = check(raw_of(), "go_build")["detail"]
    assert check(raw_of(runtime=runtime), "go_build")["detail"] == base + tail
