"""Shared pytest set-up for the collection's unit tests.

The tests import the collection as ``ansible_collections.gosvc.hardening``,
exactly as Ansible does. This file makes that import path resolve to the
checkout under test, through a symlink tree outside the repository (so no
tool that walks the repository sees a loop), and offers ``run_module`` to run
a module's ``main()`` the way Ansible would: arguments in, JSON result out.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _collection_root() -> Path:
    key = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    base = Path(tempfile.gettempdir()) / f"gosvc-hardening-pytest-{key}"
    link = base / "ansible_collections" / "gosvc" / "hardening"
    if not link.is_symlink() or link.resolve() != ROOT:
        link.parent.mkdir(parents=True, exist_ok=True)
        tmp = link.with_name(f".hardening.{os.getpid()}")
        if tmp.is_symlink():
            tmp.unlink()
        tmp.symlink_to(ROOT, target_is_directory=True)
        os.replace(tmp, link)
    return base


_COLLECTIONS = _collection_root()
sys.path.insert(0, str(_COLLECTIONS))


def _install_collection_finder(base: Path) -> None:
    """Resolve ``gosvc.hardening.<plugin>`` names in templates (role vars use the collection's filters).

    Ansible's own collection finder, as ansible-playbook installs it, over the same symlink tree.
    """
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    _AnsibleCollectionFinder(paths=[str(base)])._install()


_install_collection_finder(_COLLECTIONS)


class ModuleExit(Exception):
    """Raised when a module under test calls exit_json or fail_json."""

    def __init__(self, result: dict):
        super().__init__(result.get("msg", ""))
        self.result = result


@pytest.fixture
def run_module(monkeypatch, capsys):
    """Run ``module.main()`` with ``args`` and return its parsed JSON result.

    The module goes through the real AnsibleModule: argument_spec validation,
    check mode, no_log masking and exit/fail JSON are all the real code paths.
    """
    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    def _run(module, args: dict, check_mode: bool = False) -> dict:
        # Warnings and deprecations are process-global in AnsibleModule; a real module run starts
        # with none, so each run here does too (ansible-core 2.19 also de-duplicates them globally).
        from ansible.module_utils.common import warnings as ansible_warnings

        for name in ("_global_warnings", "_global_deprecations"):
            store = getattr(ansible_warnings, name, None)
            if store is not None:
                store.clear()
        # A module runs in a target process: on ansible-core 2.19, once controller code (an action
        # plugin test) has been imported, module warnings would go to the controller's display instead.
        try:
            from ansible.module_utils import _internal as ansible_internal
        except ImportError:  # ansible-core < 2.19
            ansible_internal = None
        if ansible_internal is not None and hasattr(ansible_internal, "is_controller"):
            monkeypatch.setattr(ansible_internal, "is_controller", False)
        payload = dict(args)
        payload["_ansible_check_mode"] = check_mode
        payload.setdefault("_ansible_remote_tmp", tempfile.gettempdir())
        payload.setdefault("_ansible_keep_remote_files", False)
        from ansible.module_utils.common.parameters import PASS_VARS

        if "inject_invocation" in PASS_VARS:  # ansible-core 2.21+ returns `invocation` only when asked
            payload.setdefault("_ansible_inject_invocation", True)
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": payload})))
        monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
        capsys.readouterr()
        with pytest.raises(SystemExit):
            module.main()
        out = capsys.readouterr().out
        return json.loads(out)

    return _run


# The fault matrix (docs/reliability.md): each test marked ``fault`` leaves a record of its case, what it
# injected, what it expected and how it ended, when GOSVC_FAULT_REPORT names the file to write them to;
# scripts/reliability.py renders them. A test may note what it observed with ``record_property("observed",
# text)``: text that does not vary from run to run. The record travels in the report's user_properties, so
# under pytest-xdist the workers' records reach the controlling process, which alone writes the file.
_FAULT_RECORDS: list = []
_RECORD_KEY = "gosvc_fault_record"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    mark = item.get_closest_marker("fault")
    if mark is None or not os.environ.get("GOSVC_FAULT_REPORT"):
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        observed = dict(item.user_properties).get("observed")
        if not report.passed:
            lines = str(report.longrepr).strip().splitlines() if report.longrepr else []
            observed = f"{report.outcome}: {lines[-1] if lines else 'no detail'}"
        name = mark.kwargs["name"]
        variant = getattr(item, "callspec", None)
        record = {
            "case": str(mark.kwargs["case"]),
            "name": f"{name} [{variant.id}]" if variant else name,
            "injected": mark.kwargs["injected"],
            "expected": mark.kwargs["expected"],
            "observed": observed,
            "outcome": report.outcome,
            "where": f"pytest {item.path.name}",
        }
        report.user_properties = [*report.user_properties, (_RECORD_KEY, record)]


def pytest_runtest_logreport(report):
    _FAULT_RECORDS.extend(value for key, value in report.user_properties if key == _RECORD_KEY)


def pytest_sessionfinish(session):
    path = os.environ.get("GOSVC_FAULT_REPORT")
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controlling process writes
        return
    if path and _FAULT_RECORDS:
        records = sorted(_FAULT_RECORDS, key=lambda r: (r["case"], r["where"], r["name"]))
        Path(path).write_text(json.dumps(records, indent=1, sort_keys=True) + "\n", encoding="utf-8")
