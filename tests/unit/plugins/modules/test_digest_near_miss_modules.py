# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every digest a module compares is compared whole: near misses through the real modules.

checksum_verify, go_artifact and go_release (install, re-run, recorded digest, rollback) run
through the real AnsibleModule on real files. Each test gives the module the file's real digest
(from coreutils' sha256sum) with ONE hex digit changed, the last one or one in the middle, where
a digest that differs in its first digits is what every other mismatch test uses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.gosvc.hardening.plugins.modules import checksum_verify, go_artifact, go_release

pytestmark = pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU coreutils sha256sum is required")
PLACES = ["last", "middle"]


def sha256sum(path):
    return subprocess.run(["sha256sum", "--", str(path)], check=True, capture_output=True, text=True).stdout.split()[0]


def near_miss(digest, place):
    """``digest`` with one hex digit changed (to the next hex digit): the last one or one in the middle."""
    index = len(digest) - 1 if place == "last" else len(digest) // 2
    changed = "0123456789abcdef"[(int(digest[index], 16) + 1) % 16]
    return digest[:index] + changed + digest[index + 1 :]


# --- checksum_verify ------------------------------------------------------------------------------


@pytest.fixture
def artifact(tmp_path):
    path = tmp_path / "myservice_1.4.2_linux_amd64"
    path.write_bytes(os.urandom(40_000))
    return path


@pytest.mark.parametrize("place", PLACES)
def test_checksum_verify_pinned_digest_one_digit_off_fails(run_module, artifact, place):
    digest = sha256sum(artifact)
    assert (
        run_module(checksum_verify, {"path": str(artifact), "checksum": f"sha256:{digest}"}).get("failed") is not True
    )
    wrong = near_miss(digest, place)
    result = run_module(checksum_verify, {"path": str(artifact), "checksum": f"sha256:{wrong}"})
    assert result["failed"] is True
    assert (result["expected"], result["digest"]) == (wrong, digest)


@pytest.mark.parametrize("place", PLACES)
def test_checksum_verify_checksums_entry_one_digit_off_fails(run_module, artifact, place):
    wrong = near_miss(sha256sum(artifact), place)
    content = f"{sha256sum(__file__)}  other\n{wrong}  {artifact.name}\n"
    result = run_module(checksum_verify, {"path": str(artifact), "checksums_content": content})
    assert result["failed"] is True
    assert result["expected"] == wrong
    assert result["matched_entry"] == {"name": artifact.name, "line": 2, "format": "gnu"}


# --- go_artifact ----------------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/bin/true"), reason="needs /bin/true as a real ELF binary")
@pytest.mark.parametrize("place", PLACES)
def test_go_artifact_pinned_digest_one_digit_off_fails_and_caches_nothing(run_module, tmp_path, place):
    binary = tmp_path / "myapp_1.2.3_linux_amd64"
    shutil.copy("/bin/true", binary)
    digest = sha256sum(binary)
    wrong = near_miss(digest, place)
    args = {"src": str(binary), "binary_name": "myapp", "cache_dir": str(tmp_path / "cache")}
    result = run_module(go_artifact, dict(args, checksum=f"sha256:{wrong}"))
    assert result["failed"] is True
    assert f"expected sha256:{wrong}, actual sha256:{digest}" in result["msg"]
    assert not (tmp_path / "cache" / wrong / "bin").exists() or os.listdir(tmp_path / "cache" / wrong / "bin") == []
    assert run_module(go_artifact, dict(args, checksum=f"sha256:{digest}")).get("failed") is not True


# --- go_release -----------------------------------------------------------------------------------


class Root:
    """A release root; binaries staged as .staging/<sha256> like the role stages them."""

    def __init__(self, base, run_module):
        self.base = base
        self.root = base / "opt" / "demo"
        self.root.mkdir(parents=True)
        self.run_module = run_module
        self.digests = {}

    def stage(self, version):
        build = self.base / f"build-{version}"
        build.write_bytes(os.urandom(20_000))
        digest = sha256sum(build)
        (self.root / ".staging").mkdir(exist_ok=True)
        shutil.copy(build, self.root / ".staging" / digest)
        self.digests[version] = digest
        return str(self.root / ".staging" / digest)

    def present(self, version, checksum=None, with_src=True):
        args = {
            "root": str(self.root),
            "version": version,
            "checksum": f"sha256:{checksum or self.digests[version]}",
            "binary_name": "demo",
        }
        if with_src:
            args["src"] = str(self.root / ".staging" / self.digests[version])
        return self.run_module(go_release, args)

    def rollback(self, **extra):
        return self.run_module(go_release, dict(root=str(self.root), state="rollback", **extra))

    def current(self):
        return os.readlink(self.root / "current")

    def record(self, version, digest):
        """Set the sha256 that .releases.json records for ``version``."""
        path = self.root / ".releases.json"
        state = json.loads(path.read_text())
        for release in state["releases"]:
            if release["version"] == version:
                release["sha256"] = digest
        path.write_text(json.dumps(state))


@pytest.fixture
def root(tmp_path, run_module):
    return Root(tmp_path, run_module)


@pytest.mark.parametrize("place", PLACES)
def test_go_release_refuses_a_staged_binary_one_digit_off(root, place):
    root.stage("1.0.0")
    wrong = near_miss(root.digests["1.0.0"], place)
    result = root.present("1.0.0", checksum=wrong)
    assert result["failed"] is True
    assert (result["expected"], result["actual"]) == (wrong, root.digests["1.0.0"])
    assert not (root.root / "releases" / "1.0.0").exists()


@pytest.mark.parametrize("place", PLACES)
def test_go_release_rerun_with_a_checksum_one_digit_off_is_refused(root, place):
    root.stage("1.0.0")
    assert root.present("1.0.0").get("failed") is not True
    # A re-run that skipped the upload (no src): the installed binary is hashed again against checksum.
    wrong = near_miss(root.digests["1.0.0"], place)
    result = root.present("1.0.0", checksum=wrong, with_src=False)
    assert result["failed"] is True
    assert "releases are immutable" in result["msg"]
    assert (result["expected"], result["actual"]) == (wrong, root.digests["1.0.0"])


@pytest.mark.parametrize("place", PLACES)
def test_go_release_sees_a_recorded_digest_one_digit_off(root, place):
    root.stage("1.0.0")
    assert root.present("1.0.0").get("failed") is not True
    recorded = near_miss(root.digests["1.0.0"], place)
    root.record("1.0.0", recorded)
    result = root.present("1.0.0", with_src=False)
    assert result["failed"] is True
    assert "was modified after it was installed" in result["msg"]
    assert (result["expected"], result["actual"]) == (recorded, root.digests["1.0.0"])


@pytest.mark.parametrize("place", PLACES)
def test_go_release_does_not_roll_back_to_a_release_recorded_one_digit_off(root, place):
    for version in ("1.0.0", "2.0.0"):
        root.stage(version)
        assert root.present(version).get("failed") is not True
    root.record("1.0.0", near_miss(root.digests["1.0.0"], place))
    result = root.rollback()
    assert result["failed"] is True
    assert "it is not switched to" in result["msg"]
    assert root.current() == "releases/2.0.0"


@pytest.mark.parametrize("place", PLACES)
def test_go_release_rollback_with_a_pinned_checksum_one_digit_off_is_refused(root, place):
    for version in ("1.0.0", "2.0.0"):
        root.stage(version)
        assert root.present(version).get("failed") is not True
    wrong = near_miss(root.digests["1.0.0"], place)
    result = root.rollback(checksum=f"sha256:{wrong}")
    assert result["failed"] is True
    assert (result["expected"], result["actual"]) == (wrong, root.digests["1.0.0"])
    assert root.current() == "releases/2.0.0"
    assert root.rollback(checksum=f"sha256:{root.digests['1.0.0']}").get("failed") is not True
    assert root.current() == "releases/1.0.0"
