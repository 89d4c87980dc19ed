# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Digest comparisons look at every hex digit: near misses through _digests and _service_probe.

Every other mismatch test uses two unrelated digests, which differ in their first digits, so a
comparison of a prefix would pass them all. Here the expected digest is the file's real digest
(from coreutils' sha*sum) with ONE hex digit changed: the last one, or one in the middle.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils._digests import (
    ALGORITHMS,
    DigestError,
    ExpectedDigest,
    digests_equal,
    find_entry,
    parse_checksums_text,
    parse_expected,
    verify_file,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._service_probe import checksum_result

pytestmark = pytest.mark.skipif(
    any(shutil.which(f"{algorithm}sum") is None for algorithm in ALGORITHMS),
    reason="GNU coreutils sha*sum tools are required",
)

#: Where the one changed hex digit is: the last one, one in the middle, and (as a control) the first.
PLACES = ["last", "middle", "first"]


def tool_digest(algorithm, path):
    out = subprocess.run([f"{algorithm}sum", "--", str(path)], check=True, capture_output=True, text=True).stdout
    return out.split()[0]


def near_miss(digest, place):
    """``digest`` with one hex digit changed (to the next hex digit) at ``place``."""
    index = {"last": len(digest) - 1, "middle": len(digest) // 2, "first": 0}[place]
    changed = "0123456789abcdef"[(int(digest[index], 16) + 1) % 16]
    other = digest[:index] + changed + digest[index + 1 :]
    assert len(other) == len(digest) and sum(a != b for a, b in zip(digest, other)) == 1
    return other


@pytest.fixture
def binary(tmp_path):
    path = tmp_path / "demo"
    path.write_bytes(os.urandom(30_000))
    return path


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_digests_equal_sees_one_changed_digit(binary, algorithm, place):
    digest = tool_digest(algorithm, binary)
    assert digests_equal(digest, digest)
    assert not digests_equal(digest, near_miss(digest, place))
    assert not digests_equal(near_miss(digest, place), digest)
    assert not digests_equal(digest.upper(), near_miss(digest, place).upper())


def test_digests_equal_does_not_accept_a_prefix(binary):
    digest = tool_digest("sha256", binary)
    assert not digests_equal(digest, digest[:-1])
    assert not digests_equal(digest[:32], digest)


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_verify_file_fails_on_one_changed_digit(binary, algorithm, place):
    digest = tool_digest(algorithm, binary)
    assert verify_file(str(binary), parse_expected(f"{algorithm}:{digest}")).digest == digest
    wrong = near_miss(digest, place)
    with pytest.raises(DigestError, match="does not match the expected digest") as info:
        verify_file(str(binary), ExpectedDigest(algorithm, wrong))
    assert (info.value.details["expected"], info.value.details["digest"]) == (wrong, digest)


@pytest.mark.parametrize("place", PLACES)
def test_a_checksums_file_entry_one_digit_off_fails_verification(binary, tmp_path, place):
    digest = tool_digest("sha256", binary)
    text = f"{near_miss(digest, place)}  demo\n"
    entry = find_entry(parse_checksums_text(text), "demo")
    with pytest.raises(DigestError, match="does not match the expected digest"):
        verify_file(str(binary), entry)


@pytest.mark.parametrize("place", ["last", "middle"])
def test_a_checksums_file_listing_a_name_twice_one_digit_apart_is_inconsistent(binary, place):
    digest = tool_digest("sha256", binary)
    text = f"{digest}  demo\n{near_miss(digest, place)}  ./demo\n"
    with pytest.raises(DigestError, match="more than once with different digests"):
        find_entry(parse_checksums_text(text), "demo")


@pytest.mark.parametrize("place", PLACES)
def test_service_probe_checksum_fails_on_one_changed_digit(binary, place):
    digest = tool_digest("sha256", binary)
    assert checksum_result(str(binary), f"sha256:{digest}")["failed"] is False
    result = checksum_result(str(binary), f"sha256:{near_miss(digest, place)}")
    assert result["failed"] is True
    assert (result["expected"], result["digest"]) == (near_miss(digest, place), digest)
    assert "does not match the expected digest" in result["msg"]
