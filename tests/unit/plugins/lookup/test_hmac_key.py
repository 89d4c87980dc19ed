# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hmac_key lookup: one key per file, created once, the same for every process that asks at once."""

from __future__ import annotations

import multiprocessing
import os
import stat

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.gosvc.hardening.plugins.lookup import hmac_key


def lookup(*terms):
    return hmac_key.LookupModule().run(list(terms), variables={})


def test_created_once_private_then_read(tmp_path):
    path = tmp_path / "cache" / "artifacts" / ".config-digest-key"
    first = lookup(str(path))
    assert len(first) == 1 and len(first[0]) >= hmac_key.MIN_LENGTH
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert lookup(str(path)) == first
    assert sorted(os.listdir(path.parent)) == [".config-digest-key"]  # no temporary file left
    other = lookup(str(tmp_path / "other-key"))
    assert other != first


def _ask(path, barrier, queue):
    barrier.wait()
    queue.put(hmac_key.read_or_create(path))


def test_many_processes_at_once_get_one_key_and_no_lock_file(tmp_path):
    path = str(tmp_path / "k")
    context = multiprocessing.get_context("fork")
    queue, barrier = context.Queue(), context.Barrier(12)
    procs = [context.Process(target=_ask, args=(path, barrier, queue)) for index in range(12)]
    for proc in procs:
        proc.start()
    keys = {queue.get(timeout=30) for proc in procs}
    for proc in procs:
        proc.join()
    assert keys == {lookup(path)[0]}
    # No lock file and no temporary file: nothing another process could find taken and wait for.
    assert os.listdir(tmp_path) == ["k"]


def test_a_file_without_a_usable_key_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "k"
    path.write_text("short\n")
    with pytest.raises(AnsibleLookupError, match="delete it"):
        lookup(str(path))


def test_a_directory_that_cannot_be_made_is_an_error_naming_the_file(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with pytest.raises(AnsibleLookupError, match=r"cannot read or create the key file .*not-a-directory/k"):
        lookup(str(blocker / "k"))


def test_exactly_one_term(tmp_path):
    with pytest.raises(AnsibleLookupError, match="exactly one path"):
        lookup(str(tmp_path / "a"), str(tmp_path / "b"))


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")


def _key_file(tmp_path, mode=0o600):
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    path = directory / ".config-digest-key"
    path.write_text("k" * 43 + "\n")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o660, 0o644, 0o610], ids="{:04o}".format)
def test_a_key_file_others_can_access_is_refused_with_chmod_600(tmp_path, mode):
    path = _key_file(tmp_path, mode)
    with pytest.raises(AnsibleLookupError) as caught:
        lookup(str(path))
    message = str(caught.value)
    assert f"the key file {path} is accessible by group or others (mode {mode:04o}); run chmod 600 {path}" in message
    assert stat.S_IMODE(os.stat(path).st_mode) == mode  # reported, never changed behind the user's back


@needs_root
def test_a_key_file_of_another_user_is_refused(tmp_path):
    path = _key_file(tmp_path)
    os.chown(path, 65534, 65534)
    with pytest.raises(AnsibleLookupError, match=r"belongs to uid 65534, not to the user running Ansible \(uid 0\); "):
        lookup(str(path))


def test_a_key_file_that_is_a_symbolic_link_is_refused(tmp_path):
    target = _key_file(tmp_path)
    link = target.parent / "key-link"
    link.symlink_to(target)
    with pytest.raises(AnsibleLookupError, match=rf"the key file {link} is a symbolic link, which is not followed"):
        lookup(str(link))
    dangling = target.parent / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(AnsibleLookupError, match="is a symbolic link"):
        lookup(str(dangling))
    assert not (tmp_path / "nowhere").exists()  # nothing was created through the link


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o1777], ids="{:04o}".format)
@pytest.mark.parametrize("exists", [True, False], ids=["key-exists", "key-to-create"])
def test_a_key_directory_others_can_write_is_refused(tmp_path, mode, exists):
    path = _key_file(tmp_path)
    if not exists:
        path.unlink()
    path.parent.chmod(mode)
    with pytest.raises(AnsibleLookupError, match=rf"is writable by group or others .*run chmod 700 {path.parent}"):
        lookup(str(path))
    assert path.exists() is exists


@needs_root
def test_a_key_directory_of_another_user_is_refused(tmp_path):
    path = _key_file(tmp_path)
    os.chown(path.parent, 65534, 65534)
    with pytest.raises(AnsibleLookupError, match=r"directory .* belongs to uid 65534"):
        lookup(str(path))


def test_a_private_key_file_in_a_private_directory_is_read(tmp_path):
    path = _key_file(tmp_path)
    assert lookup(str(path)) == ["k" * 43]


def test_a_file_that_is_not_a_key_is_refused_without_a_traceback(tmp_path):
    path = _key_file(tmp_path)
    path.write_bytes(b"\xff" * 64)
    with pytest.raises(AnsibleLookupError, match="holds no usable key"):
        lookup(str(path))
    path.write_bytes(b"k" * 5000)
    with pytest.raises(AnsibleLookupError, match="is larger than 4096 bytes"):
        lookup(str(path))


def test_the_role_expression_turns_a_refused_key_into_an_empty_one(tmp_path):
    """roles/go_service/vars/main.yml calls the lookup with errors='ignore': a refused key becomes '' silently."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core < 2.19 templates any string
        trust_as_template = str
    path = _key_file(tmp_path, 0o644)
    expression = "{{ lookup('gosvc.hardening.hmac_key', path, errors='ignore') | default('', true) }}"
    templar = Templar(loader=DataLoader(), variables={"path": str(path)})
    assert templar.template(trust_as_template(expression)) == ""
    path.chmod(0o600)
    assert templar.template(trust_as_template(expression)) == "k" * 43
