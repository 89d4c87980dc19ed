# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check, from outside, what an ansible-runner job of the execution environment left behind.

    python tests/ee/check_artifacts.py <private data dir>/artifacts/<ident> \
        --collection /usr/share/ansible/collections/ansible_collections/gosvc/hardening \
        --schema roles/verify/files/report.schema.json HOST...

The job (scripts/ee.sh) runs the collection's deploy.yml then verify.yml. Passed means:
the job's ``status`` is ``successful`` and its ``rc`` 0; its job events show tasks of both
playbooks, run from the copy of the collection installed in the image (``--collection``), and a
``runner_on_ok`` event for every host in each of the two; the verify role wrote each host's JSON
report (valid against the schema, host named, status passed) and JUnit XML (no failure or
error) and the fleet summary into the artifacts directory (``verify/``). Each missing or wrong
thing is printed on a line of its own; the exit status is 1 when there is any.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

PLAYBOOKS = ("deploy", "verify")


def _read_text(path):
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None


def check_outcome(artifacts):
    """Problems with the job's status and rc files."""
    problems = []
    status = _read_text(artifacts / "status")
    if status is None:
        problems.append(f"no status file in {artifacts}: the job did not run to its end under ansible-runner")
    elif status != "successful":
        problems.append(f"status is '{status}', not 'successful' ({artifacts / 'status'})")
    rc = _read_text(artifacts / "rc")
    if rc is None:
        problems.append(f"no rc file in {artifacts}")
    elif rc != "0":
        problems.append(f"rc is {rc}, not 0; the play recap is at the end of {artifacts / 'stdout'}")
    return problems


def load_events(artifacts):
    """The job's events in the order they happened, and the problems met reading them."""
    events, problems = [], []
    directory = artifacts / "job_events"
    paths = sorted(directory.glob("*.json")) if directory.is_dir() else []
    if not paths:
        return [], [f"no job events in {directory}"]
    for path in paths:
        try:
            events.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: not a readable job event: {exc}")
    events.sort(key=lambda e: e.get("counter", 0))
    return events, problems


def check_events(events, hosts, collection):
    """Problems with the per-host events of deploy.yml's and verify.yml's plays."""
    problems = []
    # A play belongs to a playbook when one of its tasks comes from that playbook of the
    # installed collection (role tasks have the role's path, the play's own tasks the playbook's).
    play_of = {}
    for event in events:
        data = event.get("event_data") or {}
        path = data.get("task_path") or ""
        for name in PLAYBOOKS:
            if path.startswith(f"{collection}/playbooks/{name}.yml:"):
                play_of[data.get("play_uuid")] = name
    for name in PLAYBOOKS:
        if name not in play_of.values():
            problems.append(
                f"no task of {collection}/playbooks/{name}.yml in the job events: the job did not run "
                f"gosvc.hardening.{name} from the collection installed in the image"
            )
    ok = {(name, host): 0 for name in PLAYBOOKS for host in hosts}
    others = set()
    for event in events:
        data = event.get("event_data") or {}
        host = data.get("host")
        name = play_of.get(data.get("play_uuid"))
        if event.get("event") == "runner_on_ok" and name and host in hosts:
            ok[(name, host)] += 1
        elif event.get("event") == "runner_on_ok" and host and host not in hosts:
            others.add(host)
    for (name, host), count in ok.items():
        if count == 0:
            problems.append(f"{host}: no runner_on_ok event in the plays of gosvc.hardening.{name}")
    if others:
        problems.append(f"runner_on_ok events for hosts that are not the job's: {', '.join(sorted(others))}")
    return problems, ok


def check_json_report(path, host, validator):
    problems = []
    if not path.is_file():
        return [f"{host}: no JSON report ({path} is missing)"]
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{host}: no readable JSON report at {path}: {exc}"]
    if validator is not None:
        problems += [
            f"{host}: {path.name} does not match the report schema at {'/'.join(map(str, e.path)) or '(top)'}: "
            f"{e.message}"
            for e in validator.iter_errors(report)
        ]
    if report.get("host") != host:
        problems.append(f"{host}: {path.name} is the report of {report.get('host')!r}")
    if report.get("status") != "passed":
        problems.append(
            f"{host}: {path.name} says {report.get('status')!r}, failed checks: {report.get('failed_checks')}"
        )
    return problems


def check_junit(path, host):
    if not path.is_file():
        return [f"{host}: no JUnit XML ({path} is missing)"]
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        return [f"{host}: no readable JUnit XML at {path}: {exc}"]
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    problems = []
    if not suites or not any(s.findall("testcase") for s in suites):
        problems.append(f"{host}: {path.name} has no test case")
    for suite in suites:
        for case in suite.findall("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                problems.append(f"{host}: {path.name}: {case.get('name')} failed")
    return problems


def check_reports(directory, hosts, schema):
    """Problems with the verify role's reports in ``directory``."""
    if not directory.is_dir():
        return [
            f"no verify reports in {directory}: verify_report_dir did not point into the job's artifacts "
            "directory (tests/ee/runner/env/extravars)"
        ]
    validator = None
    if schema is not None:
        try:
            import jsonschema
        except ImportError:
            jsonschema = None
        if jsonschema is not None:
            with open(schema, encoding="utf-8") as f:
                document = json.load(f)
            validator = jsonschema.validators.validator_for(document)(document)
    problems = []
    for host in hosts:
        problems += check_json_report(directory / f"{host}.json", host, validator)
        problems += check_junit(directory / f"{host}.xml", host)
    summary = directory / "fleet-summary.json"
    if not summary.is_file():
        return [*problems, f"no fleet summary ({summary} is missing)"]
    try:
        listed = {h.get("host") for h in json.loads(summary.read_text(encoding="utf-8")).get("hosts", [])}
    except (OSError, ValueError, AttributeError) as exc:
        problems.append(f"no readable fleet summary at {summary}: {exc}")
    else:
        missing = [h for h in hosts if h not in listed]
        if missing:
            problems.append(f"{summary.name} lacks {', '.join(missing)}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", type=Path, help="the job's artifacts directory (artifacts/<ident>)")
    parser.add_argument("hosts", nargs="+", help="the inventory hosts the job ran on")
    parser.add_argument("--collection", required=True, help="the collection's path inside the image")
    parser.add_argument("--schema", type=Path, help="the verify report's JSON Schema")
    args = parser.parse_args(argv)

    problems = check_outcome(args.artifacts)
    events, read_problems = load_events(args.artifacts)
    problems += read_problems
    event_problems, ok = check_events(events, args.hosts, args.collection.rstrip("/"))
    problems += event_problems
    problems += check_reports(args.artifacts / "verify", args.hosts, args.schema)

    print(
        f"job: status {_read_text(args.artifacts / 'status')}, rc {_read_text(args.artifacts / 'rc')}, "
        f"{len(events)} events"
    )
    for host in args.hosts:
        counts = ", ".join(f"{name} {ok[(name, host)]}" for name in PLAYBOOKS)
        print(f"{host}: runner_on_ok events: {counts}")
    for problem in problems:
        print(f"MISSING {problem}")
    if not problems:
        print(f"reports of {len(args.hosts)} hosts in {args.artifacts / 'verify'}: JSON, JUnit and fleet summary ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
