# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a worker compiles to find one of this collection's filters.

ansible-core looks a collection filter up by importing every file in the collection's
plugins/filter, in the worker process of each task and host, and the collection loader compiles
each imported module from source there. A filter file that imported the module_utils at its top
made every template naming any of our filters compile most of module_utils (about 0.1 s of CPU
per task and host). The filters import them when called; these tests hold that, through
ansible-core's own filter loader, in a fresh interpreter each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
FILTER_FILES = sorted(path.stem for path in (ROOT / "plugins" / "filter").glob("*.py"))

# Looks one filter up with ansible-core's loader, optionally calls it, and prints which of the
# collection's module_utils and plugin_utils the interpreter imported.
PROBE = """
import json, sys
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=[sys.argv[1]])._install()
from ansible.plugins.loader import filter_loader
found = filter_loader.get(sys.argv[2])
assert found is not None, sys.argv[2]
if len(sys.argv) > 3:
    found.j2_function(*json.loads(sys.argv[3]))
prefix = "ansible_collections.gosvc.hardening.plugins."
print(json.dumps(sorted(
    name[len(prefix):] for name in sys.modules
    if name.startswith((prefix + "module_utils.", prefix + "plugin_utils."))
)))
"""


def _imported(collections_root, name, call_args=None):
    argv = [sys.executable, "-c", PROBE, str(collections_root), name]
    if call_args is not None:
        argv.append(json.dumps(call_args))
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def collections_root():
    # conftest puts the symlink tree that makes the checkout ansible_collections.gosvc.hardening first.
    return next(p for p in sys.path if (Path(p) / "ansible_collections" / "gosvc" / "hardening").is_dir())


def test_there_are_filter_files_to_look_through():
    assert {"service_ownership", "go_service_input_problems", "verify_report"} <= set(FILTER_FILES)


@pytest.mark.parametrize("name", ["service_layout", "verify_checks", "probe_url_problem", "systemd_exec_arg"])
def test_looking_a_filter_up_imports_no_module_utils(collections_root, name):
    # Every filter file is imported by the lookup; none of them may pull module_utils in with it.
    assert _imported(collections_root, f"gosvc.hardening.{name}") == []


def test_the_layout_filter_needs_only_the_layout(collections_root):
    # The role's variables call it in nearly every task: it must not compile what reads a host.
    args = ["demo", "/opt", "/etc", ["demo.yml"]]
    assert _imported(collections_root, "gosvc.hardening.service_layout", args) == ["module_utils._layout"]


def test_a_filter_still_imports_what_it_needs_when_called(collections_root):
    imported = _imported(collections_root, "gosvc.hardening.probe_url_problem", ["http://127.0.0.1/healthz"])
    assert "module_utils._inputs" in imported
