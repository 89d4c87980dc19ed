# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the go_release module, run through the real AnsibleModule on real trees.

Binaries are real files with random content, staged as <root>/.staging/<sha256>
with the digest computed by the real ``sha256sum`` tool. Ownership tests need
root (the module's normal context) and are skipped otherwise.
"""

from __future__ import annotations

import fcntl
import json
import os
import pwd
import shutil
import stat
import subprocess

import pytest

from ansible_collections.gosvc.hardening.plugins.modules import go_release

pytestmark = pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU coreutils sha256sum is required")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="ownership changes need root")


def sha256sum(path):
    out = subprocess.run(["sha256sum", "--", str(path)], check=True, capture_output=True, text=True).stdout
    return out.split()[0]


def warnings(result):
    """Warning texts of a result: strings before ansible-core 2.19, WarningSummary objects since."""
    return [w if isinstance(w, str) else w["event"]["msg"] for w in result.get("warnings", [])]


class Tree:
    """A release root in a temporary directory, and helpers to stage and install binaries."""

    def __init__(self, base, run_module):
        self.base = base
        self.root = base / "opt" / "demo"
        self.root.mkdir(parents=True)
        self.run_module = run_module
        self.digests = {}

    def stage(self, version, size=40_000):
        """Build a 'binary' for version, hash it with sha256sum, copy it to .staging/<sha256> like the role."""
        build = self.base / f"build-{version}"
        build.write_bytes(os.urandom(size))
        digest = sha256sum(build)
        staging = self.root / ".staging"
        staging.mkdir(exist_ok=True)
        shutil.copy(build, staging / digest)
        self.digests[version] = digest
        return str(staging / digest)

    def args(self, version, **extra):
        digest = self.digests[version]
        values = dict(
            root=str(self.root),
            version=version,
            src=str(self.root / ".staging" / digest),
            checksum=f"sha256:{digest}",
            binary_name="demo",
        )
        values.update(extra)
        return values

    def present(self, version, check_mode=False, **extra):
        if version not in self.digests:
            self.stage(version)
        return self.run_module(go_release, self.args(version, **extra), check_mode=check_mode)

    def rollback(self, check_mode=False, **extra):
        return self.run_module(go_release, dict(root=str(self.root), state="rollback", **extra), check_mode=check_mode)

    def current(self):
        return os.readlink(self.root / "current")

    def snapshot(self):
        """Every path under root with what a change would alter: type, inode, mode, owner, mtime, size, link."""
        found = {}
        for directory, dirs, files in os.walk(self.root):
            for name in dirs + files:
                path = os.path.join(directory, name)
                info = os.lstat(path)
                link = os.readlink(path) if stat.S_ISLNK(info.st_mode) else None
                found[os.path.relpath(path, self.root)] = (
                    info.st_mode,
                    info.st_ino,
                    info.st_uid,
                    info.st_gid,
                    info.st_mtime_ns,
                    info.st_size,
                    link,
                )
        return found

    def temp_files(self):
        return [path for path in self.snapshot() if os.path.basename(path).startswith(".go_release.")]


@pytest.fixture
def tree(tmp_path, run_module):
    return Tree(tmp_path, run_module)


# --- install ----------------------------------------------------------------------------------------


@needs_root
def test_fresh_install(tree):
    result = tree.present("1.0.0")
    digest = tree.digests["1.0.0"]
    assert result["changed"] is True
    assert result["installed"] is True
    assert result["install_method"] == "hardlink"
    assert result["switched"] is True
    assert result["previous_version"] is None
    assert result["current_was"] == "missing"
    assert result["current_version"] == "1.0.0"
    assert result["sha256"] == digest
    assert result["release_dir"] == f"{tree.root}/releases/1.0.0"
    assert result["binary_path"] == f"{tree.root}/releases/1.0.0/demo"
    assert result["pruned"] == [] and result["pruned_staging"] == []
    assert [(r["version"], r["sha256"]) for r in result["releases"]] == [("1.0.0", digest)]
    assert tree.current() == "releases/1.0.0"
    binary = tree.root / "current" / "demo"
    assert sha256sum(binary) == digest
    for path, mode in ((binary, 0o755), (tree.root / "releases" / "1.0.0", 0o755), (tree.root / "releases", 0o755)):
        info = os.stat(path)
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, 0, mode), path
    state = json.loads((tree.root / ".releases.json").read_text())
    assert state["format"] == 1
    assert [(r["version"], r["sha256"], r["binary_name"]) for r in state["releases"]] == [("1.0.0", digest, "demo")]
    assert state["releases"][0]["installed_at"].endswith("Z")
    assert tree.temp_files() == []


def test_idempotent_rerun_touches_nothing(tree):
    tree.present("1.0.0")
    before = tree.snapshot()
    again = tree.present("1.0.0")
    assert again["changed"] is False
    assert again["installed"] is False
    assert again["switched"] is False
    assert again["actions"] == []
    assert again["previous_version"] == again["current_version"] == "1.0.0"
    assert tree.snapshot() == before


def test_upgrade_reports_previous_version_and_diff(tree):
    tree.present("1.0.0")
    link_before = os.lstat(tree.root / "current").st_ino
    result = tree.present("2.0.0", _ansible_diff=True)
    assert result["changed"] is True
    assert (result["previous_version"], result["current_version"], result["switched"]) == ("1.0.0", "2.0.0", True)
    assert result["diff"]["before"] == "releases/1.0.0\n"
    assert result["diff"]["after"] == "releases/2.0.0\n"
    assert tree.current() == "releases/2.0.0"
    assert os.lstat(tree.root / "current").st_ino != link_before
    assert [r["version"] for r in result["releases"]] == ["1.0.0", "2.0.0"]
    assert sha256sum(tree.root / "current" / "demo") == tree.digests["2.0.0"]


def test_checksum_mismatch_changes_nothing(tree):
    tree.present("1.0.0")
    src = tree.stage("2.0.0")
    with open(src, "r+b") as handle:  # corrupt the upload in place
        handle.write(b"\x00\x01\x02")
    actual = sha256sum(src)
    before = tree.snapshot()
    result = tree.present("2.0.0")
    assert result["failed"] is True
    assert f"expected sha256:{tree.digests['2.0.0']}" in result["msg"]
    assert f"actual sha256:{actual}" in result["msg"]
    assert src in result["msg"]
    assert (result["expected"], result["actual"]) == (tree.digests["2.0.0"], actual)
    assert tree.snapshot() == before
    assert not (tree.root / "releases" / "2.0.0").exists()
    assert tree.temp_files() == []


def test_release_is_immutable(tree):
    tree.present("1.0.0")
    other = tree.stage("other")
    before = tree.snapshot()
    result = tree.run_module(go_release, tree.args("1.0.0", src=other, checksum=f"sha256:{tree.digests['other']}"))
    assert result["failed"] is True
    assert (
        f"release 1.0.0 already installed with sha256 {tree.digests['1.0.0']}; releases are immutable: bump "
        f"go_service_version or remove {tree.root}/releases/1.0.0" in result["msg"]
    )
    assert tree.snapshot() == before


def test_tampered_release_is_refused_on_present(tree):
    tree.present("1.0.0")
    binary = tree.root / "releases" / "1.0.0" / "demo"
    os.unlink(binary)  # break the hard link, then write different content under the release name
    binary.write_bytes(os.urandom(100))
    result = tree.present("1.0.0")
    assert result["failed"] is True
    assert "was modified after it was installed" in result["msg"]
    assert result["actual"] == sha256sum(binary)


def test_switch_false_stages_without_switching(tree):
    tree.present("1.0.0")
    link = os.lstat(tree.root / "current")
    result = tree.present("2.0.0", switch=False)
    assert result["changed"] is True and result["installed"] is True
    assert result["switched"] is False
    assert result["current_version"] == "1.0.0"
    assert os.lstat(tree.root / "current").st_ino == link.st_ino
    assert (tree.root / "releases" / "2.0.0" / "demo").is_file()
    # the staged release is switched to later without reinstalling
    later = tree.present("2.0.0")
    assert later["installed"] is False and later["switched"] is True
    assert later["previous_version"] == "1.0.0"
    assert tree.current() == "releases/2.0.0"


def test_keep_prunes_oldest_releases_and_unused_staged_files(tree):
    for version in ("1.0.0", "2.0.0", "3.0.0"):
        tree.present(version)
    result = tree.present("4.0.0", keep=2)
    assert result["pruned"] == ["1.0.0", "2.0.0"]
    assert sorted(os.listdir(tree.root / "releases")) == ["3.0.0", "4.0.0"]
    staged = tree.root / ".staging"
    assert sorted(os.listdir(staged)) == sorted([tree.digests["3.0.0"], tree.digests["4.0.0"]])
    assert sorted(result["pruned_staging"]) == sorted(str(staged / tree.digests[v]) for v in ("1.0.0", "2.0.0"))
    assert [r["version"] for r in result["releases"]] == ["3.0.0", "4.0.0"]
    assert [r["version"] for r in json.loads((tree.root / ".releases.json").read_text())["releases"]] == [
        "3.0.0",
        "4.0.0",
    ]
    assert tree.temp_files() == []


def test_keep_never_removes_current_or_previous(tree):
    for version in ("1.0.0", "2.0.0"):
        tree.present(version)
    assert tree.rollback(version="1.0.0")["current_version"] == "1.0.0"
    # 1.0.0 is the oldest by install order, but it runs now: it is the previous release of 3.0.0
    result = tree.present("3.0.0", keep=1)
    assert result["previous_version"] == "1.0.0"
    assert result["pruned"] == ["2.0.0"]
    assert sorted(os.listdir(tree.root / "releases")) == ["1.0.0", "3.0.0"]
    # and with switch=false the current release stays too
    staged = tree.present("4.0.0", keep=1, switch=False)
    assert staged["current_version"] == "3.0.0"
    assert staged["pruned"] == []
    assert sorted(os.listdir(tree.root / "releases")) == ["1.0.0", "3.0.0", "4.0.0"]


def test_keep_must_be_positive(tree):
    result = tree.present("1.0.0", keep=0)
    assert result["failed"] is True
    assert "keep must be at least 1" in result["msg"]
    assert not (tree.root / "releases").exists()


# --- check mode ---------------------------------------------------------------------------------------


def test_check_mode_changes_nothing_and_predicts_the_run(tree):
    for version in ("1.0.0", "2.0.0", "3.0.0"):
        tree.present(version)
    tree.stage("4.0.0")
    before = tree.snapshot()
    predicted = tree.present("4.0.0", check_mode=True, keep=2)
    assert tree.snapshot() == before
    assert predicted["changed"] is True
    assert predicted["installed"] is True and predicted["install_method"] is None
    assert predicted["pruned"] == ["1.0.0", "2.0.0"]
    real = tree.present("4.0.0", keep=2)
    for key in ("changed", "previous_version", "current_version", "switched", "pruned", "pruned_staging", "actions"):
        assert predicted[key] == real[key], key
    assert [r["version"] for r in predicted["releases"]] == [r["version"] for r in real["releases"]]
    after = tree.snapshot()
    assert tree.present("4.0.0", check_mode=True, keep=2)["changed"] is False
    assert tree.snapshot() == after


def test_check_mode_on_a_new_host_before_the_upload(tree):
    build = tree.base / "bin"
    build.write_bytes(os.urandom(1000))
    digest = sha256sum(build)
    root = tree.base / "new"
    result = tree.run_module(
        go_release,
        dict(root=str(root), version="1.0.0", src=f"{root}/.staging/{digest}", checksum=digest, binary_name="demo"),
        check_mode=True,
    )
    assert result["changed"] is True
    assert result["current_version"] == "1.0.0"
    assert any("does not exist (in check mode the upload did not run)" in w for w in warnings(result))
    assert result["actions"][0] == f"create {root}"
    assert not root.exists()


# --- rollback -----------------------------------------------------------------------------------------


def test_rollback_to_previous_and_to_a_named_release(tree):
    for version in ("1.0.0", "2.0.0", "3.0.0"):
        tree.present(version)
    result = tree.rollback(_ansible_diff=True)
    assert result["changed"] is True
    assert (result["rolled_back_from"], result["current_version"], result["previous_version"]) == (
        "3.0.0",
        "2.0.0",
        "3.0.0",
    )
    assert result["sha256"] == tree.digests["2.0.0"]
    assert result["diff"] == {
        "before": "releases/3.0.0\n",
        "after": "releases/2.0.0\n",
        "before_header": f"{tree.root}/current (symbolic link target)",
        "after_header": f"{tree.root}/current (symbolic link target)",
    }
    assert tree.current() == "releases/2.0.0"
    # running the same rollback again does not flip back to 3.0.0 nor walk on to 1.0.0
    again = tree.rollback()
    assert again["changed"] is False and again["switched"] is False and again["rolled_back_from"] is None
    assert tree.current() == "releases/2.0.0"
    named = tree.rollback(version="1.0.0")
    assert (named["rolled_back_from"], named["current_version"]) == ("2.0.0", "1.0.0")
    assert tree.current() == "releases/1.0.0"
    assert [r["version"] for r in named["releases"]] == ["1.0.0", "2.0.0", "3.0.0"]


def test_rollback_skips_a_release_staged_with_switch_false(tree):
    tree.present("1.0.0")
    tree.present("2.0.0")
    tree.present("3.0.0", switch=False)
    result = tree.rollback()
    assert result["current_version"] == "1.0.0"


def test_rollback_check_mode(tree):
    tree.present("1.0.0")
    tree.present("2.0.0")
    before = tree.snapshot()
    result = tree.rollback(check_mode=True)
    assert result["changed"] is True and result["current_version"] == "1.0.0"
    assert tree.snapshot() == before


def test_rollback_with_tampered_binary_fails(tree):
    tree.present("1.0.0")
    tree.present("2.0.0")
    binary = tree.root / "releases" / "1.0.0" / "demo"
    with open(binary, "r+b") as handle:
        handle.write(b"evil")
    before = tree.snapshot()
    result = tree.rollback()
    assert result["failed"] is True
    assert f"recorded {tree.digests['1.0.0']}, actual {sha256sum(binary)}" in result["msg"]
    assert "it is not switched to" in result["msg"]
    assert tree.current() == "releases/2.0.0"
    assert tree.snapshot() == before


def test_rollback_to_a_release_that_is_not_installed(tree):
    tree.present("1.0.0")
    result = tree.rollback(version="0.9.0")
    assert result["failed"] is True
    assert "release 0.9.0 is not installed" in result["msg"] and "1.0.0" in result["msg"]


def test_rollback_with_nothing_older(tree):
    tree.present("1.0.0")
    result = tree.rollback()
    assert result["failed"] is True
    assert "release 1.0.0 is the oldest installed release" in result["msg"]


def test_rollback_without_root(tree):
    result = tree.run_module(go_release, dict(root=str(tree.base / "absent"), state="rollback"))
    assert result["failed"] is True
    assert "nothing was installed there to roll back to" in result["msg"]


def test_rollback_with_a_wrong_pinned_checksum(tree):
    tree.present("1.0.0")
    tree.present("2.0.0")
    result = tree.rollback(checksum=f"sha256:{tree.digests['2.0.0']}")
    assert result["failed"] is True
    assert f"release 1.0.0 has sha256 {tree.digests['1.0.0']}, not the checksum" in result["msg"]
    assert tree.current() == "releases/2.0.0"


# --- interrupted runs and odd states --------------------------------------------------------------------


def test_dangling_current_is_reported_and_repaired(tree):
    os.symlink("releases/0.9.0", tree.root / "current")
    result = tree.present("1.0.0")
    assert result["current_was"] == "dangling"
    assert result["previous_version"] is None
    assert result["switched"] is True
    assert any("'releases/0.9.0', which is not an installed release" in w for w in warnings(result))
    assert tree.current() == "releases/1.0.0"


def test_missing_current_is_recreated(tree):
    tree.present("1.0.0")
    os.unlink(tree.root / "current")
    result = tree.present("1.0.0")
    assert result["changed"] is True and result["current_was"] == "missing" and result["switched"] is True
    assert tree.current() == "releases/1.0.0"


def test_leftovers_of_an_interrupted_run_are_cleaned(tree):
    tree.present("1.0.0")
    # what a crash can leave: a temporary link, state file, binary and a half-removed release
    os.symlink("releases/1.0.0", tree.root / ".go_release.current.0123456789ab")
    (tree.root / ".go_release.state.0123456789ab").write_text("{")
    (tree.root / "releases" / "1.0.0" / ".go_release.bin.0123456789ab").write_bytes(b"partial")
    half = tree.root / "releases" / ".go_release.prune.0123456789ab"
    half.mkdir()
    (half / "demo").write_bytes(b"old")
    (tree.root / "releases" / "2.0.0").mkdir()  # created, then the run died before the binary arrived
    result = tree.present("2.0.0")
    assert result["changed"] is True and result["installed"] is True
    removed = [a for a in result["actions"] if a.endswith("(left over by an interrupted run)")]
    assert len(removed) == 4
    assert tree.temp_files() == []
    assert sorted(os.listdir(tree.root / "releases" / "2.0.0")) == ["demo"]
    assert tree.present("2.0.0")["changed"] is False


def test_binary_installed_but_not_recorded_is_adopted(tree):
    """A run that died between renaming the binary into place and writing .releases.json."""
    tree.present("1.0.0")
    tree.present("2.0.0", switch=False)
    state_path = tree.root / ".releases.json"
    state = json.loads(state_path.read_text())
    state["releases"] = state["releases"][:1]
    state_path.write_text(json.dumps(state))
    result = tree.present("2.0.0")
    assert result["installed"] is False
    assert result["switched"] is True
    assert [r["version"] for r in result["releases"]] == ["1.0.0", "2.0.0"]
    assert tree.present("2.0.0")["changed"] is False


def test_release_dir_without_binary_counts_as_not_installed(tree):
    tree.present("1.0.0")
    tree.present("2.0.0")
    os.unlink(tree.root / "releases" / "2.0.0" / "demo")
    result = tree.present("2.0.0")
    assert result["installed"] is True
    assert result["current_was"] == "dangling"
    assert any("forget release 2.0.0" in a for a in result["actions"])
    assert sha256sum(tree.root / "current" / "demo") == tree.digests["2.0.0"]


def test_current_as_a_directory_is_refused(tree):
    (tree.root / "current").mkdir()
    tree.stage("1.0.0")
    result = tree.present("1.0.0")
    assert result["failed"] is True
    assert "is a directory, not the symbolic link this module manages" in result["msg"]


def test_corrupt_state_file_is_refused(tree):
    tree.present("1.0.0")
    (tree.root / ".releases.json").write_text("[")
    result = tree.present("1.0.0")
    assert result["failed"] is True
    assert "is not valid JSON" in result["msg"]


def test_concurrent_run_waits_for_the_lock(tree):
    tree.present("1.0.0")
    with open(tree.root / ".lock", "r+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        result = tree.present("2.0.0", lock_timeout=0)
    assert result["failed"] is True
    assert "another go_release run holds" in result["msg"]
    assert tree.current() == "releases/1.0.0"
    assert tree.present("2.0.0")["current_version"] == "2.0.0"


# --- ownership --------------------------------------------------------------------------------------------


@needs_root
def test_owner_group_and_mode_are_applied(tree):
    nobody = pwd.getpwnam("nobody")
    result = tree.present("1.0.0", owner="nobody", group="nogroup", mode="0750")
    assert result["changed"] is True
    for path, mode in ((tree.root / "releases" / "1.0.0" / "demo", 0o750), (tree.root / "releases" / "1.0.0", 0o755)):
        info = os.stat(path)
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (nobody.pw_uid, 65534, mode), path
    # back to root: the attributes are fixed in place, the release itself is not reinstalled
    inode = os.stat(tree.root / "releases" / "1.0.0" / "demo").st_ino
    fixed = tree.present("1.0.0")
    assert fixed["changed"] is True and fixed["installed"] is False
    info = os.stat(tree.root / "releases" / "1.0.0" / "demo")
    assert (info.st_ino, info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (inode, 0, 0, 0o755)
    assert tree.present("1.0.0")["changed"] is False


class Planter:
    """Plays the non-root owner of a release directory: swaps a name in it for a link to a root-owned file.

    ``victim`` is a root-owned 0600 file outside the release; the swap puts a symbolic link to it (or
    a hard link of it) where the module is about to change owner and mode.
    """

    def __init__(self, tree, kind):
        self.kind = kind
        self.victim = tree.base / "victim"
        self.victim.write_bytes(b"root's own file\n")
        os.chown(self.victim, 0, 0)
        os.chmod(self.victim, 0o600)
        self.planted = []

    def plant(self, path):
        os.unlink(path)
        if self.kind == "symlink":
            os.symlink(self.victim, path)
        else:
            os.link(self.victim, path)
        self.planted.append(str(path))

    def victim_attributes(self):
        info = os.lstat(self.victim)
        return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)

    def before_owner_change(self, monkeypatch, find):
        """Call ``find()`` before every chown/fchown; plant at the first name it returns."""
        for name in ("chown", "fchown"):
            real = getattr(os, name)

            def hooked(target, uid, gid, *args, _real=real, **kwargs):
                found = find()
                if found and not self.planted:
                    self.plant(found)
                return _real(target, uid, gid, *args, **kwargs)

            monkeypatch.setattr(os, name, hooked)


@needs_root
@pytest.mark.parametrize("kind", ["symlink", "hardlink"])
def test_a_link_planted_at_the_temporary_binary_before_chown_changes_nothing_outside(tree, monkeypatch, kind):
    planter = Planter(tree, kind)
    release_dir = tree.root / "releases" / "1.0.0"

    def temporary_binary():
        if not release_dir.is_dir():
            return None
        names = [name for name in os.listdir(release_dir) if name.startswith(".go_release.bin.")]
        return release_dir / names[0] if names else None

    planter.before_owner_change(monkeypatch, temporary_binary)
    result = tree.present("1.0.0", owner="nobody", group="nogroup", mode="0755")
    assert planter.planted, "the temporary binary was never seen before an owner change"
    assert planter.victim_attributes() == (0, 0, 0o600)
    assert result["failed"] is True
    assert "was replaced while it was being installed" in result["msg"]
    assert "keep owner root" in result["msg"]
    assert not (release_dir / "demo").exists()


@needs_root
@pytest.mark.parametrize("kind", ["symlink", "hardlink"])
def test_a_link_planted_at_the_release_binary_before_its_owner_is_fixed_changes_nothing_outside(
    tree, monkeypatch, kind
):
    assert tree.present("1.0.0")["changed"] is True
    planter = Planter(tree, kind)
    binary = tree.root / "releases" / "1.0.0" / "demo"

    def release_binary():
        return binary if stat.S_ISREG(os.lstat(binary).st_mode) else None

    planter.before_owner_change(monkeypatch, release_binary)
    result = tree.present("1.0.0", owner="nobody", group="nogroup", mode="0755")
    assert planter.planted == [str(binary)]
    assert planter.victim_attributes() == (0, 0, 0o600)
    assert result["failed"] is True
    wanted = "is a symbolic link, so its owner and mode are not changed" if kind == "symlink" else "not the installed"
    assert wanted in result["msg"]


@needs_root
def test_a_symbolic_link_planted_right_after_the_hard_link_is_refused(tree, monkeypatch):
    planter = Planter(tree, "symlink")
    real_link = os.link

    def link(src, dest, *args, **kwargs):
        real_link(src, dest, *args, **kwargs)
        if os.path.basename(dest).startswith(".go_release.bin."):
            planter.plant(dest)

    monkeypatch.setattr(os, "link", link)
    result = tree.present("1.0.0", owner="nobody", group="nogroup")
    assert planter.planted and planter.victim_attributes() == (0, 0, 0o600)
    assert result["failed"] is True
    assert not (tree.root / "releases" / "1.0.0" / "demo").exists()


# --- bad input: one test each ---------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["version", "src", "checksum", "binary_name"])
def test_present_requires(tree, option):
    tree.stage("1.0.0")
    args = tree.args("1.0.0")
    del args[option]
    result = tree.run_module(go_release, args)
    assert result["failed"] is True
    assert f"{option} is required with state=present" in result["msg"]


def test_src_missing(tree):
    tree.stage("1.0.0")
    os.unlink(tree.root / ".staging" / tree.digests["1.0.0"])
    result = tree.present("1.0.0")
    assert result["failed"] is True
    assert (
        f"the staged binary {tree.root}/.staging/{tree.digests['1.0.0']} does not exist; the role uploads it to "
        f"{tree.root}/.staging/{tree.digests['1.0.0']} first" in result["msg"]
    )


def test_bad_version(tree):
    tree.stage("1.0.0")
    args = tree.args("1.0.0")
    args["version"] = "../1.0.0"
    result = tree.run_module(go_release, args)
    assert result["failed"] is True
    assert "version '../1.0.0' cannot be used as a file name" in result["msg"]


def test_bad_binary_name(tree):
    tree.stage("1.0.0")
    result = tree.run_module(go_release, tree.args("1.0.0", binary_name="bin/demo"))
    assert result["failed"] is True
    assert "binary_name 'bin/demo' cannot be used as a file name" in result["msg"]


def test_bad_checksum(tree):
    tree.stage("1.0.0")
    result = tree.run_module(go_release, tree.args("1.0.0", checksum="md5:d41d8cd98f00b204e9800998ecf8427e"))
    assert result["failed"] is True
    assert "algorithm prefix 'md5' is not supported" in result["msg"]


def test_bad_mode(tree):
    result = tree.present("1.0.0", mode="4755")
    assert result["failed"] is True
    assert "setuid, setgid or sticky" in result["msg"]


def test_bad_owner(tree):
    result = tree.present("1.0.0", owner="no-such-user-gosvc")
    assert result["failed"] is True
    assert "owner 'no-such-user-gosvc' is not a user on this host" in result["msg"]


def test_bad_state(tree):
    result = tree.run_module(go_release, dict(root=str(tree.root), state="absent"))
    assert result["failed"] is True
    assert "value of state must be one of: present, rollback" in result["msg"]


def test_relative_root(tree):
    tree.stage("1.0.0")
    result = tree.run_module(go_release, tree.args("1.0.0", root="opt/demo"))
    assert result["failed"] is True
    assert "root 'opt/demo' is not an absolute path" in result["msg"]
