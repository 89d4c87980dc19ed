# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/_sigstore_material.py (parsing and transparency-log arithmetic).

Real material comes from tests/unit/data/sigstore (public sigstore conformance data; where
each file comes from, and its sha256, is in ORIGINS.md there). A missing file fails the test.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from pathlib import Path

import pytest
from conftest import ROOT
from support import inclusion_path, merkle_root

from ansible_collections.gosvc.hardening.plugins.module_utils import _sigstore_material as s

VECTORS = ROOT / "tests" / "unit" / "data" / "sigstore"
HAPPY = ("happy-path-v0.1", "happy-path-v0.2", "happy-path-v0.3", "happy-path-v0.3-new-mediaType")


def vector(rel: str) -> Path:
    """A test vector of tests/unit/data/sigstore; a missing one fails the test (it is never skipped)."""
    path = VECTORS / rel
    if not path.is_file():
        pytest.fail(f"test vector {rel} is missing from {VECTORS} (see ORIGINS.md there)")
    return path


def bundle_doc(case: str) -> dict:
    return json.loads(vector(f"conformance/{case}/bundle.sigstore.json").read_text())


# -- independent RFC 9162 reference (recursive definitions of MTH and PATH) -------------------


def test_inclusion_root_matches_reference_for_every_leaf_of_small_trees():
    for size in range(1, 18):
        leaves = [f"entry {n}".encode() for n in range(size)]
        root = merkle_root(leaves)
        for index in range(size):
            got = s.inclusion_root(index, size, s.leaf_hash(leaves[index]), inclusion_path(index, leaves))
            assert got == root, (size, index)


def test_inclusion_root_detects_a_wrong_leaf():
    leaves = [b"a", b"b", b"c", b"d", b"e"]
    assert s.inclusion_root(2, 5, s.leaf_hash(b"x"), inclusion_path(2, leaves)) != merkle_root(leaves)


def test_inclusion_root_refuses_index_outside_tree():
    with pytest.raises(s.MaterialError, match="outside the tree"):
        s.inclusion_root(5, 5, b"\x00" * 32, [])


def test_inclusion_root_refuses_too_many_hashes():
    leaves = [b"a", b"b"]
    with pytest.raises(s.MaterialError, match="more hashes"):
        s.inclusion_root(0, 2, s.leaf_hash(b"a"), [*inclusion_path(0, leaves), b"\x00" * 32])


def test_inclusion_root_refuses_too_few_hashes():
    leaves = [b"a", b"b", b"c"]
    with pytest.raises(s.MaterialError, match="fewer hashes"):
        s.inclusion_root(0, 3, s.leaf_hash(b"a"), inclusion_path(0, leaves)[:1])


def test_inclusion_root_refuses_short_hash():
    with pytest.raises(s.MaterialError, match="32 bytes"):
        s.inclusion_root(0, 2, s.leaf_hash(b"a"), [b"\x00" * 31])


@pytest.mark.parametrize("case", [*HAPPY, "managed-key-happy-path", "managed-key-and-trusted-root"])
def test_inclusion_proofs_of_real_rekor_entries_lead_to_their_root(case):
    material = s.parse_bundle(vector(f"conformance/{case}/bundle.sigstore.json").read_bytes(), case)
    (entry,) = material.tlog_entries
    proof = entry.inclusion_proof
    assert s.inclusion_root(proof.log_index, proof.tree_size, s.leaf_hash(entry.body), proof.hashes) == proof.root_hash


def test_corrupted_proof_hash_of_real_vector_does_not_lead_to_root():
    material = s.parse_bundle(
        vector("conformance/inclusion-proof-corrupted-hash_fail/bundle.sigstore.json").read_bytes(), "corrupted"
    )
    (entry,) = material.tlog_entries
    proof = entry.inclusion_proof
    assert s.inclusion_root(proof.log_index, proof.tree_size, s.leaf_hash(entry.body), proof.hashes) != proof.root_hash


def test_parse_checkpoint_of_real_rekor_entry():
    material = s.parse_bundle(vector("conformance/managed-key-happy-path/bundle.sigstore.json").read_bytes(), "b")
    proof = material.tlog_entries[0].inclusion_proof
    checkpoint = s.parse_checkpoint(proof.checkpoint)
    assert checkpoint.origin == "rekor.sigstore.dev - 1193050959916656506"
    assert checkpoint.tree_size == proof.tree_size == 649584076
    assert checkpoint.root_hash == proof.root_hash
    assert checkpoint.signed_text.endswith(b"=\n") and b"\n\n" not in checkpoint.signed_text
    ((name, hint, signature),) = checkpoint.signatures
    assert name == "rekor.sigstore.dev"
    assert hint == material.tlog_entries[0].log_id[:4]
    assert signature[0] == 0x30  # DER ECDSA


@pytest.mark.parametrize(
    "text, message",
    [
        ("origin\n1\nAAAA\n", "exactly one blank line"),
        ("origin\n1\nAAAA\n\n\u2014 name AAAAAAAA\n\n\u2014 x AAAAAAAA\n", "exactly one blank line"),
        ("origin\n1\nAAAA\n\n\u2014 name AAAAAAAA", "end with a newline"),
        ("origin\n1\n\n\u2014 name AAAAAAAA\n", "origin, a tree size and a root hash"),
        ("origin\nten\nAAAA\n\n\u2014 name AAAAAAAA\n", "not a number"),
        ("origin\n1\nA!AA\n\n\u2014 name AAAAAAAA\n", "not valid base64"),
        ("origin\n1\nAAAA\n\n- name AAAAAAAA\n", "malformed"),
        ("origin\n1\nAAAA\n\n\u2014 name AAAA\n", "too short"),
    ],
)
def test_parse_checkpoint_refuses(text, message):
    with pytest.raises(s.MaterialError, match=message):
        s.parse_checkpoint(text)


def test_parse_checkpoint_reads_the_timestamp_line_of_a_real_rekor_checkpoint():
    material = s.parse_bundle(vector("conformance/happy-path-v0.1/bundle.sigstore.json").read_bytes(), "b")
    checkpoint = s.parse_checkpoint(material.tlog_entries[0].inclusion_proof.checkpoint)
    assert checkpoint.timestamp_ns == 1689177396617352539
    assert b"Timestamp: 1689177396617352539\n" in checkpoint.signed_text  # signed with the note
    newer = s.parse_bundle(vector("conformance/managed-key-happy-path/bundle.sigstore.json").read_bytes(), "b")
    assert s.parse_checkpoint(newer.tlog_entries[0].inclusion_proof.checkpoint).timestamp_ns is None


@pytest.mark.parametrize(
    "extension, message",
    [
        ("Timestamp: soon\n", "is not a number of nanoseconds"),
        ("Timestamp: -1\n", "is not a number of nanoseconds"),
        ("Timestamp: 1\nTimestamp: 2\n", "more than one Timestamp line"),
    ],
)
def test_parse_checkpoint_refuses_bad_timestamp_line(extension, message):
    with pytest.raises(s.MaterialError, match=message):
        s.parse_checkpoint(f"origin\n1\nAAAA\n{extension}\n\u2014 name AAAAAAAA\n")


def test_set_payload_of_real_entry_verifies_with_the_production_rekor_key():
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    material = s.parse_bundle(vector("conformance/managed-key-happy-path/bundle.sigstore.json").read_bytes(), "b")
    root = s.parse_trusted_root(vector("trust/production.trusted_root.json").read_bytes(), "prod")
    (entry,) = material.tlog_entries
    log = root.tlog(entry.log_id)
    key = serialization.load_der_public_key(log.raw_bytes)
    payload = s.set_payload(entry)
    assert payload.startswith(b'{"body":"eyJhcGlWZXJzaW9uIjoiMC4wLjEi')
    assert payload.endswith(
        b'"integratedTime":1766077479,"logID":"' + entry.log_id.hex().encode() + b'","logIndex":771488337}'
    )
    key.verify(entry.signed_entry_timestamp, payload, ec.ECDSA(hashes.SHA256()))  # raises if not


def test_set_payload_needs_integrated_time():
    entry = s.TlogEntry(1, b"\x01" * 32, "hashedrekord", "0.0.1", None, b"sig", b"{}", None)
    with pytest.raises(s.MaterialError, match="no integratedTime"):
        s.set_payload(entry)


# -- bundles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, version, keyless",
    [
        ("happy-path-v0.1", "0.1", True),
        ("happy-path-v0.2", "0.2", True),
        ("happy-path-v0.3", "0.3", True),
        ("happy-path-v0.3-new-mediaType", "0.3", True),
        ("managed-key-happy-path", "0.3", False),
    ],
)
def test_parse_real_bundles(case, version, keyless):
    raw = vector(f"conformance/{case}/bundle.sigstore.json").read_bytes()
    material = s.parse_bundle(raw, case)
    doc = json.loads(raw)
    assert material.form == "bundle"
    assert material.media_type == doc["mediaType"]
    assert material.bundle_version == version
    assert material.signature == base64.b64decode(doc["messageSignature"]["signature"])
    assert (material.certificate_der is not None) is keyless
    assert (material.public_key_hint is not None) is not keyless
    assert material.message_digest == ("sha256", hashlib.sha256(vector("conformance/a.txt").read_bytes()).digest())
    assert json.loads(material.document) == doc
    (entry,) = material.tlog_entries
    assert (entry.kind, entry.version) == ("hashedrekord", "0.0.1")
    assert entry.log_index == int(doc["verificationMaterial"]["tlogEntries"][0]["logIndex"])


def test_parse_bundle_accepts_a_mapping():
    doc = bundle_doc("happy-path-v0.3")
    assert s.parse_bundle(doc, "inline").signature == base64.b64decode(doc["messageSignature"]["signature"])


@pytest.mark.parametrize(
    "case, message",
    [
        ("bundle-malformed-json_fail", "not valid JSON"),
        ("bundle-invalid-base64-signature_fail", "messageSignature.signature is not valid base64"),
        ("bundle-unknown-version_fail", "unsupported bundle media type"),
        ("bundle-negative-log-index_fail", "logIndex must be a non-negative integer"),
        ("bundle-empty-certificate-chain_fail", "empty x509CertificateChain"),
    ],
)
def test_parse_refuses_malformed_conformance_bundles(case, message):
    with pytest.raises(s.MaterialError, match=message):
        s.parse_bundle(vector(f"conformance/{case}/bundle.sigstore.json").read_bytes(), case)


def _mutate(doc, path, value):
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


VM = "verificationMaterial"
TLOG0 = (VM, "tlogEntries", 0)


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("messageSignature",), KeyError, "has no 'messageSignature'"),
        (("messageSignature", "signature"), "", "is empty"),
        (("messageSignature", "messageDigest", "algorithm"), "MD5", "not supported"),
        (("messageSignature", "messageDigest", "digest"), "AAAA", "not a sha256 digest"),
        ((VM,), KeyError, "has no 'verificationMaterial'"),
        ((VM, "publicKey"), {"hint": "x"}, "exactly one of"),
        ((VM, "x509CertificateChain"), KeyError, "exactly one of"),
        ((*TLOG0, "logIndex"), "12a", "non-negative integer"),
        ((*TLOG0, "logIndex"), True, "non-negative integer"),
        ((*TLOG0, "logId"), KeyError, "has no 'logId'"),
        ((*TLOG0, "kindVersion"), KeyError, "has no 'kindVersion'"),
        ((*TLOG0, "canonicalizedBody"), "%%%", "canonicalizedBody is not valid base64"),
        ((*TLOG0, "inclusionProof", "hashes", 0), "not base64!", "hashes\\[0\\] is not valid base64"),
        ((*TLOG0, "inclusionProof", "treeSize"), "-3", "treeSize must be a non-negative integer"),
        ((*TLOG0, "inclusionProof", "checkpoint"), {"envelope": ""}, "has no envelope"),
        ((*TLOG0, "inclusionPromise", "signedEntryTimestamp"), "!!", "signedEntryTimestamp is not valid base64"),
        ((VM, "tlogEntries"), {"not": "a list"}, "tlogEntries must be a list"),
    ],
)
def test_parse_bundle_refuses_each_malformed_field(path, value, message):
    doc = _mutate(bundle_doc("happy-path-v0.1"), path, value)
    with pytest.raises(s.MaterialError, match=message):
        s.parse_bundle(json.dumps(doc), "bundle")


def test_parse_bundle_refuses_dsse_envelope():
    doc = bundle_doc("happy-path-v0.3")
    doc["dsseEnvelope"] = {"payload": "", "payloadType": "application/vnd.in-toto+json", "signatures": []}
    with pytest.raises(s.MaterialError, match="DSSE envelope"):
        s.parse_bundle(doc, "bundle")


def test_parse_bundle_refuses_chain_in_v03_and_certificate_in_v01():
    v03 = bundle_doc("happy-path-v0.3")
    v01 = bundle_doc("happy-path-v0.1")
    chain_in_v03 = _mutate(v03, (VM, "certificate"), KeyError)
    chain_in_v03[VM]["x509CertificateChain"] = v01[VM]["x509CertificateChain"]
    with pytest.raises(s.MaterialError, match=r"v0\.3 bundle carries 'certificate'"):
        s.parse_bundle(chain_in_v03, "bundle")
    cert_in_v01 = _mutate(v01, (VM, "x509CertificateChain"), KeyError)
    cert_in_v01[VM]["certificate"] = v03[VM]["certificate"]
    with pytest.raises(s.MaterialError, match=r"needs a v0\.3 bundle"):
        s.parse_bundle(cert_in_v01, "bundle")


@pytest.mark.parametrize(
    "document, message",
    [
        ("[]", "must be a JSON object"),
        ('{"foo": 1}', "neither a Sigstore bundle"),
        (b"\xff\xfe", "not UTF-8"),
        (42, "must be JSON text or a mapping"),
    ],
)
def test_parse_bundle_refuses_non_bundles(document, message):
    with pytest.raises(s.MaterialError, match=message):
        s.parse_bundle(document, "bundle")


def test_parse_legacy_bundle_keyless_and_key_based():
    entry = bundle_doc("happy-path-v0.1")[VM]["tlogEntries"][0]
    cert_der = base64.b64decode(
        bundle_doc("happy-path-v0.1")[VM]["x509CertificateChain"]["certificates"][0]["rawBytes"]
    )
    cert_pem = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(cert_der) + b"-----END CERTIFICATE-----\n"
    doc = {
        "base64Signature": bundle_doc("happy-path-v0.1")["messageSignature"]["signature"],
        "cert": base64.b64encode(cert_pem).decode(),
        "rekorBundle": {
            "SignedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"],
            "Payload": {
                "body": entry["canonicalizedBody"],
                "integratedTime": int(entry["integratedTime"]),
                "logIndex": int(entry["logIndex"]),
                "logID": base64.b64decode(entry["logId"]["keyId"]).hex(),
            },
        },
    }
    material = s.parse_bundle(json.dumps(doc), "legacy")
    assert material.form == "legacy_bundle"
    assert material.bundle_version == s.LEGACY_BUNDLE_VERSION
    assert material.certificate_der == cert_der
    (parsed,) = material.tlog_entries
    assert (parsed.kind, parsed.version, parsed.integrated_time) == ("hashedrekord", "0.0.1", 1689177396)
    assert parsed.inclusion_proof is None
    # The SET payload rebuilt from the legacy form is the one the Sigstore form gives.
    sigstore_form = s.parse_bundle(json.dumps(bundle_doc("happy-path-v0.1")), "b").tlog_entries[0]
    assert s.set_payload(parsed) == s.set_payload(sigstore_form)

    key_pem = vector("conformance/managed-key-happy-path/key.pub").read_bytes()
    key_based = dict(doc, cert=base64.b64encode(key_pem).decode())
    material = s.parse_bundle(key_based, "legacy")
    assert material.certificate_der is None and material.legacy_public_key_pem == key_pem

    no_tlog = {k: v for k, v in doc.items() if k != "rekorBundle"}
    assert s.parse_bundle(no_tlog, "legacy").tlog_entries == ()


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"base64Signature": "**"}, "base64Signature is not valid base64"),
        ({"base64Signature": ""}, "base64Signature is empty"),
        ({"base64Signature": "MEUC", "cert": base64.b64encode(b"not pem").decode()}, "cert is not PEM"),
        (
            {
                "base64Signature": "MEUC",
                "cert": base64.b64encode(
                    b"-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n"
                ).decode(),
            },
            "expected CERTIFICATE or PUBLIC KEY",
        ),
        ({"base64Signature": "MEUC", "rekorBundle": {"SignedEntryTimestamp": "AA=="}}, "has no 'Payload'"),
        (
            {"base64Signature": "MEUC", "rekorBundle": {"SignedEntryTimestamp": "AA==", "Payload": {"logID": "zz"}}},
            "logID is not hex",
        ),
        (
            {
                "base64Signature": "MEUC",
                "rekorBundle": {"SignedEntryTimestamp": "AA==", "Payload": {"logID": "00", "body": "bm90IGpzb24="}},
            },
            "body is not JSON",
        ),
    ],
)
def test_parse_legacy_bundle_refuses(doc, message):
    with pytest.raises(s.MaterialError, match=message):
        s.parse_bundle(doc, "legacy")


# -- signatures, entries, trusted roots --------------------------------------------------------


def test_parse_signature_as_cosign_prints_it():
    raw = vector("derived/a.txt.sig").read_bytes()
    assert s.parse_signature(raw, "sig") == base64.b64decode(raw)
    assert s.parse_signature(raw.decode() + "\n\n", "sig") == base64.b64decode(raw)
    wrapped = "\n".join(raw.decode()[i : i + 20] for i in range(0, len(raw), 20))
    assert s.parse_signature(wrapped, "sig") == base64.b64decode(raw)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "is empty"),
        ("  \n", "is empty"),
        ("MEUC!", "not valid base64"),
        (b"\x30\x82\xff", "not base64 text"),
        (5, "must be a string"),
    ],
)
def test_parse_signature_refuses(text, message):
    with pytest.raises(s.MaterialError, match=message):
        s.parse_signature(text, "sig")


def test_parse_hashedrekord_of_real_entry():
    material = s.parse_bundle(vector("conformance/managed-key-happy-path/bundle.sigstore.json").read_bytes(), "b")
    record = s.parse_hashedrekord(material.tlog_entries[0].body)
    assert record.algorithm == "sha256"
    assert record.digest == hashlib.sha256(vector("conformance/a.txt").read_bytes()).hexdigest()
    assert record.signature == material.signature
    assert record.verifier_pem == vector("conformance/managed-key-happy-path/key.pub").read_bytes()


@pytest.mark.parametrize(
    "body, message",
    [
        (b"[", "not JSON"),
        (b'{"kind":"dsse","apiVersion":"0.0.1"}', "only hashedrekord/0.0.1"),
        (
            b'{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{"data":{"hash":{"algorithm":"md5","value":"00"}}}}',
            "not supported",
        ),
        (
            b'{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{"data":{"hash":{"algorithm":"sha256","value":"AB"}}}}',
            "lowercase hex",
        ),
    ],
)
def test_parse_hashedrekord_refuses(body, message):
    with pytest.raises(s.MaterialError, match=message):
        s.parse_hashedrekord(body)


@pytest.mark.parametrize(
    "rel, tlogs, ctlogs, cas",
    [
        ("trust/production.trusted_root.json", 2, 2, 2),
        ("trust/staging.trusted_root.json", 4, 4, 1),
        ("conformance/managed-key-and-trusted-root/trusted_root.json", None, None, None),
        ("sigstore-go/public-key-validity.trusted_root.json", 0, 0, 0),
    ],
)
def test_parse_real_trusted_roots(rel, tlogs, ctlogs, cas):
    raw = json.loads(vector(rel).read_text())
    root = s.parse_trusted_root(vector(rel).read_bytes(), rel)
    assert len(root.tlogs) == len(raw.get("tlogs", []))
    assert len(root.ctlogs) == len(raw.get("ctlogs", []))
    assert len(root.certificate_authorities) == len(raw.get("certificateAuthorities", []))
    assert root.timestamp_authorities == len(raw.get("timestampAuthorities", []))
    if tlogs is not None:
        assert (len(root.tlogs), len(root.ctlogs), len(root.certificate_authorities)) == (tlogs, ctlogs, cas)
    for log in root.tlogs:
        if log.key_details.startswith("PKIX_ECDSA"):
            # Rekor v1 log IDs are the SHA-256 of the log key (RFC 6962); v2 (Ed25519) logs use note key IDs.
            assert log.key_id == hashlib.sha256(log.raw_bytes).digest()


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.2"}, "expected application"),
        ({}, "media type None"),
        ({"mediaType": s.TRUSTED_ROOT_MEDIA_TYPE, "tlogs": {"a": 1}}, "tlogs must be a list"),
        ({"mediaType": s.TRUSTED_ROOT_MEDIA_TYPE, "tlogs": [{"logId": {"keyId": "AA=="}}]}, "has no 'publicKey'"),
        (
            {"mediaType": s.TRUSTED_ROOT_MEDIA_TYPE, "certificateAuthorities": [{"certChain": {"certificates": []}}]},
            "has no certificates",
        ),
        (
            {
                "mediaType": s.TRUSTED_ROOT_MEDIA_TYPE,
                "tlogs": [{"logId": {"keyId": "AA=="}, "publicKey": {"rawBytes": "AA==", "validFor": {"start": 5}}}],
            },
            "RFC 3339",
        ),
    ],
)
def test_parse_trusted_root_refuses(doc, message):
    with pytest.raises(s.MaterialError, match=message):
        s.parse_trusted_root(json.dumps(doc), "root")


def test_parse_trusted_root_refuses_a_validity_time_that_is_not_rfc3339():
    """A malformed window fails when the trusted root is read, not only when a check reaches it."""
    doc = {
        "mediaType": s.TRUSTED_ROOT_MEDIA_TYPE,
        "tlogs": [{"logId": {"keyId": "AA=="}, "publicKey": {"rawBytes": "AA==", "validFor": {"end": "yesterday"}}}],
    }
    with pytest.raises(s.MaterialError, match=r"tlogs\[0\] validFor.end 'yesterday' is not RFC 3339"):
        s.parse_trusted_root(json.dumps(doc), "root")


@pytest.mark.parametrize(
    "text, iso",
    [
        ("2021-01-12T11:53:27Z", "2021-01-12T11:53:27+00:00"),
        ("2026-06-04T12:43:29.186617431Z", "2026-06-04T12:43:29.186617+00:00"),
        ("2022-04-13T22:06:15+02:00", "2022-04-13T22:06:15+02:00"),
    ],
)
def test_parse_rfc3339(text, iso):
    assert s.parse_rfc3339(text).isoformat() == iso


@pytest.mark.parametrize("value", ["2021-01-12", "2021-01-12T11:53:27", "2021-13-12T11:53:27Z", None, 5])
def test_parse_rfc3339_refuses(value):
    with pytest.raises(s.MaterialError, match="not RFC 3339"):
        s.parse_rfc3339(value, "t")


# -- the log key validity rule (one rule for inclusion promise and inclusion proof) ------------

INTEGRATED = 1766077479  # integratedTime of conformance/managed-key-happy-path (2025-12-18T17:04:39Z)
UNTIMED = "checkpoint without Timestamp line"


def _evidence(start, end, integrated_time, checkpoint_seconds):
    """(log key, entry, checkpoint) for the rule; checkpoint_seconds None means no checkpoint."""
    log = s.LogKey(b"\xc0\xd2" * 16, b"", "PKIX_ECDSA_P256_SHA_256", start, end, None)
    entry = s.TlogEntry(1, b"\xc0\xd2" * 16, "hashedrekord", "0.0.1", integrated_time, None, b"{}", None)
    checkpoint = None
    if checkpoint_seconds is not None:
        checkpoint = s.parse_checkpoint("o\n1\nAAAA\n\n\u2014 name AAAAAAAA\n")
        if checkpoint_seconds != UNTIMED:
            checkpoint = checkpoint._replace(timestamp_ns=checkpoint_seconds * 10**9)
    return log, entry, checkpoint


@pytest.mark.parametrize(
    "start, end, integrated_time, checkpoint_seconds",
    [
        ("2021-01-12T11:53:27Z", None, INTEGRATED, None),
        ("2021-01-12T11:53:27Z", "2026-01-01T00:00:00Z", INTEGRATED, INTEGRATED + 60),
        ("2025-12-18T17:04:39Z", "2025-12-18T17:04:39Z", INTEGRATED, None),  # both bounds included
        (None, None, None, None),  # the trusted root gives no window: nothing to enforce
    ],
)
def test_log_key_time_problem_accepts(start, end, integrated_time, checkpoint_seconds):
    assert s.log_key_time_problem(*_evidence(start, end, integrated_time, checkpoint_seconds)) is None


@pytest.mark.parametrize(
    "start, end, integrated_time, checkpoint_seconds, message",
    [
        (
            "2021-01-12T11:53:27Z",
            "2025-01-01T00:00:00Z",
            INTEGRATED,
            None,
            r"log entry integrated at 2025-12-18T17:04:39\+00:00 is outside the validity of log key c0d2.* "
            r"\(2021-01-12T11:53:27Z \.\. 2025-01-01T00:00:00Z\)",
        ),
        ("2026-01-01T00:00:00Z", None, INTEGRATED, None, r"integrated at 2025-12-18.* \.\. open\)"),
        (
            "2021-01-12T11:53:27Z",
            "2026-01-01T00:00:00Z",
            INTEGRATED,
            1767225600 + 1,  # 2026-01-01T00:00:01Z: signed after the key was retired
            r"checkpoint signed at 2026-01-01T00:00:01\+00:00 is outside the validity of log key",
        ),
        ("2021-01-12T11:53:27Z", None, None, None, r"states no time .* cannot be checked against the validity"),
        ("2021-01-12T11:53:27Z", None, None, UNTIMED, r"states no time"),
    ],
)
def test_log_key_time_problem_refuses(start, end, integrated_time, checkpoint_seconds, message):
    problem = s.log_key_time_problem(*_evidence(start, end, integrated_time, checkpoint_seconds))
    assert problem is not None and re.search(message, problem), problem


@pytest.mark.parametrize("value, expected", [(0, 0), ("0", 0), ("18446744073709551615", 2**64 - 1), (7, 7)])
def test_parse_uint_accepts(value, expected):
    assert s.parse_uint(value, "n") == expected


@pytest.mark.parametrize("value", [-1, "-1", "1.0", "", None, 1.5, False, " 1"])
def test_parse_uint_refuses(value):
    with pytest.raises(s.MaterialError, match="non-negative integer"):
        s.parse_uint(value, "n")


def test_pem_blocks_refuses_bad_base64():
    with pytest.raises(s.MaterialError, match="not valid base64"):
        s.pem_blocks(b"-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n")


def test_argument_spec_matches_module_documentation():
    import yaml

    from ansible_collections.gosvc.hardening.plugins.modules import cosign_verify

    documented = yaml.safe_load(cosign_verify.DOCUMENTATION)["options"]
    spec = s.ARGUMENT_SPEC
    assert set(documented) == set(spec)
    for name, option in spec.items():
        doc = documented[name]
        assert doc["type"] == option["type"], name
        assert doc.get("default") == option.get("default"), name
        assert doc.get("choices") == option.get("choices"), name
        assert doc.get("elements") == option.get("elements"), name
        assert bool(doc.get("required")) == bool(option.get("required")), name


def test_a_bundle_nested_too_deeply_is_a_material_error_not_a_recursion_error():
    with pytest.raises(s.MaterialError, match="is not valid JSON"):
        s.load_json("[" * 100000, "bundle_path /tmp/deep.json")
