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
