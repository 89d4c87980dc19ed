# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/molecule-failures.py: what a failed scenario's log says failed, at the end of the output."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("molecule_failures", ROOT / "scripts" / "molecule-failures.py")
molecule_failures = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(molecule_failures)

# The shapes of ansible-core 2.19+ output in a scenario's log: an ignored failure, a failed assert whose
# message holds a nested run's output (TASK lines of its own), its Origin block, then the result.
LOG = """\
TASK [Deploy with a bad signature] *********************************************
fatal: [gosvc-a]: FAILED! => {"changed": false, "msg": "expected"}
...ignoring

TASK [The lost host is reported unreachable] ***********************************
[ERROR]: Task failed: Action failed: rc 4: the nested run
TASK [Fail every host that was rolled back or could not be deployed] ***********
skipping: [gosvc-b]

Origin: /work/main/molecule/fleet/verify.yml:584:7

582       register: __step6_log
583
584     - name: The lost host is reported unreachable
          ^ column 7

fatal: [localhost]: FAILED! => {
    "assertion": "__step6_ended.rc == 2",
    "msg": "rc 4"
}

PLAY RECAP *********************************************************************
"""


def test_an_ignored_failure_is_not_one_and_the_origin_names_the_failed_task():
    found = molecule_failures.failures(LOG.splitlines())
    assert len(found) == 1
    task, text = found[0]
    assert task == "The lost host is reported unreachable (/work/main/molecule/fleet/verify.yml:584)"
    assert text.splitlines()[0] == "fatal: [localhost]: FAILED! => {"
    assert text.splitlines()[-1] == "}"
    assert '"assertion": "__step6_ended.rc == 2",' in text


def test_without_an_origin_the_last_task_header_names_it():
    lines = ["TASK [Converge] ***", 'fatal: [h]: FAILED! => {"msg": "no"}']
    assert molecule_failures.failures(lines) == [("Converge", 'fatal: [h]: FAILED! => {"msg": "no"}')]


def test_a_long_result_is_cut_and_says_by_how_much(tmp_path, capsys):
    log = tmp_path / "s.log"
    log.write_text("TASK [Read the host] ***\nfatal: [h]: FAILED! => {" + '"x": "' + "y" * 5000 + '"}\n')
    molecule_failures.main([str(log)])
    out = capsys.readouterr().out
    assert "TASK [Read the host]" in out
    assert out.count("y") < 3100
    assert "more characters]" in out


def test_a_log_without_failures_prints_its_end(tmp_path, capsys):
    log = tmp_path / "s.log"
    log.write_text("\n".join(f"line {n}" for n in range(100)) + "\n")
    molecule_failures.main([str(log)])
    out = capsys.readouterr().out
    assert "0 unignored failure(s)" in out
    assert "line 99" in out and "line 59" not in out
