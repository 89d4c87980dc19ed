# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""go_service resolves one artifact for the hosts of a batch: a host that wants another one is refused.

A real ansible-playbook run of the role's artifact phase (tasks_from: artifact) against two inventory hosts that are
the controller itself (ansible_connection local), each wanting another release of a local file. The artifact is
resolved for the first; the second would otherwise get the first one's binary under its own version.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
import yaml
from support import playbook_env, run

PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

pytestmark = pytest.mark.skipif(not PLAYBOOK.exists(), reason=f"{PLAYBOOK} is not installed")


def _release(tmp_path, version):
    path = tmp_path / "dist" / version / "myapp"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x7fELF release " + version.encode())
    return {"go_service_version": version, "go_service_binary_src": str(path),
            "go_service_checksum": "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()}  # fmt: skip


def test_a_host_that_wants_another_release_than_its_batch_is_refused(tmp_path):
    inventory = {
        "go_services": {
            "hosts": {"web1": _release(tmp_path, "1.0.0"), "web2": _release(tmp_path, "2.0.0")},
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "go_service_name": "myapp",
                "go_service_artifact_cache_dir": str(tmp_path / "cache"),
            },
        }
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    play = [{"name": "Artifact", "hosts": "go_services", "gather_facts": False, "tasks": [
        {"name": "Resolve it", "ansible.builtin.include_role": {"name": "gosvc.hardening.go_service",
                                                                "tasks_from": "artifact"}},
        {"name": "Show the digest", "ansible.builtin.debug": {"msg": "digest {{ go_service_binary_sha256 }}"}},
    ]}]  # fmt: skip
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    env = playbook_env(tmp_path)
    argv = [str(PLAYBOOK), "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml")]
    done = run(argv, env=env, cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    first = hashlib.sha256((tmp_path / "dist" / "1.0.0" / "myapp").read_bytes()).hexdigest()
    assert f'"msg": "digest {first}"' in out, out
    assert "fatal: [web2]: FAILED!" in out and "fatal: [web1]" not in out
    assert "go_service: web2 wants myapp with {'version': '2.0.0', 'src': " in out
    assert "but the artifact is resolved once for the hosts of a batch, and it was resolved with ['1.0.0', " in out
    assert "Deploy hosts that want different releases in separate plays or runs (--limit)" in out
