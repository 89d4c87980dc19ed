# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cosign_verify compares every digest whole: near misses in each digest it checks.

The same harness as test_cosign_verify.py (its ``verify`` fixture runs the real action plugin
with the real module as the target, network blocked): ``expected_digest`` (hashed on the target,
or given by an earlier task), a real bundle's ``messageDigest`` (the sigstore-conformance
managed-key bundle), and the digest a transparency log entry records (a bundle logged in the
in-test log). Each digest is the right one with ONE hex digit changed: the last one, or one in
the middle; the other tests change digests in their first digits or replace them whole.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
import test_cosign_verify as cosign_tests

# The fixtures of test_cosign_verify.py: the action plugin harness, the generated keys, no network.
verify = cosign_tests.verify
keys = cosign_tests.keys
no_network = cosign_tests.no_network
PLACES = ["last", "middle"]


def near_miss_hex(digest, place):
    """Hex ``digest`` with one hex digit changed (to the next hex digit)."""
    index = len(digest) - 1 if place == "last" else len(digest) // 2
    changed = "0123456789abcdef"[(int(digest[index], 16) + 1) % 16]
    return digest[:index] + changed + digest[index + 1 :]


def near_miss_bytes(digest, place):
    return bytes.fromhex(near_miss_hex(digest.hex(), place))


@pytest.mark.parametrize("place", PLACES)
def test_expected_digest_one_digit_off_fails_when_hashed_on_the_target(verify, place):
    args = cosign_tests.derived_case()
    artifact = args.pop("artifact")
    digest = cosign_tests.sha256_of(artifact)
    wrong = near_miss_hex(digest, place)
    result = verify(path=artifact, expected_digest=f"sha256:{wrong}", **args)
    cosign_tests.assert_invalid(
        result, rf"does not match expected_digest: expected sha256:{wrong}, actual sha256:{digest}"
    )
    cosign_tests.assert_valid(verify(path=artifact, expected_digest=f"sha256:{digest}", **args), artifact)


@pytest.mark.parametrize("place", PLACES)
def test_expected_digest_one_digit_off_fails_with_given_digests(verify, tmp_path, keys, place):
    artifact = tmp_path / "checksums.txt"
    artifact.write_bytes(b"real release content\n")
    sig, pub = cosign_tests._bare(tmp_path, keys["ecdsa-p256"], "sha256", artifact.read_bytes())
    digest = cosign_tests.sha256_of(artifact)
    wrong = near_miss_hex(digest, place)
    result = verify(
        path=str(artifact),
        signature_path=sig,
        public_key_path=pub,
        require_tlog=False,
        digests={"sha256": digest},
        expected_digest=f"sha256:{wrong}",
    )
    cosign_tests.assert_invalid(result, rf"does not match expected_digest: expected sha256:{wrong}")
    assert result["_calls"] == []  # decided on the given digests, without the target


@pytest.mark.parametrize("place", PLACES)
def test_a_real_bundle_whose_message_digest_is_one_digit_off_is_refused(verify, tmp_path, place):
    args = cosign_tests.conformance_case("managed-key-happy-path")
    artifact = args.pop("artifact")
    real = json.loads(Path(args["bundle_path"]).read_text())["messageSignature"]["messageDigest"]["digest"]
    assert base64.b64decode(real).hex() == cosign_tests.sha256_of(artifact)

    def change(doc):
        digest = base64.b64decode(doc["messageSignature"]["messageDigest"]["digest"])
        doc["messageSignature"]["messageDigest"]["digest"] = base64.b64encode(near_miss_bytes(digest, place)).decode()

    args["bundle_path"] = cosign_tests.tampered(tmp_path, "managed-key-happy-path", change)
    # The signature and the log entry are still those of the file: only the messageDigest check can see it.
    cosign_tests.assert_invalid(verify(path=artifact, **args), r"messageDigest .* does not match the file")


@pytest.mark.parametrize("place", PLACES)
def test_a_log_entry_recording_a_digest_one_digit_off_is_refused(verify, tmp_path, keys, place):
    artifact = tmp_path / "checksums.txt"
    artifact.write_bytes(b"real release content\n")
    digest = hashlib.sha256(artifact.read_bytes()).digest()
    logged = near_miss_bytes(digest, place)
    log = cosign_tests.TestLog()
    bundle, key = cosign_tests.make_bundle(
        tmp_path, log, keys["ecdsa-p256"], "sha256", artifact.read_bytes(), logged_digest=logged
    )
    result = verify(
        path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=log.trusted_root(tmp_path)
    )
    cosign_tests.assert_invalid(
        result, rf"inconsistent with the other materials .* records digest sha256:{logged.hex()}"
    )
