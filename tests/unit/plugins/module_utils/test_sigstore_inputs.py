# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_sigstore_material.py: every refusal names the input it refuses, and edge values parse as documented.

The project's contract for bad input is a clear error that names the input and the fix, so each
case here changes ONE field of real material (the sigstore-conformance happy-path-v0.1 bundle, and
the old cosign --bundle layout rebuilt from its Rekor entry) and checks the message names that
field by its full path. Vectors come from tests/unit/data/sigstore (see ORIGINS.md there).
"""

from __future__ import annotations

import base64
import copy
import json
import re

import pytest
from test_sigstore import INTEGRATED, _evidence, bundle_doc, vector

from ansible_collections.gosvc.hardening.plugins.module_utils import _sigstore_material as s

VM = "verificationMaterial"


def _entry_doc(case="happy-path-v0.1"):
    return bundle_doc(case)[VM]["tlogEntries"][0]


def changed(doc, path, value):
    """A deep copy of ``doc`` with the value at ``path`` set to ``value`` (KeyError: removed)."""
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def legacy_doc():
    """The old cosign --bundle layout of the happy-path-v0.1 Rekor entry (keyless: the cert is the Fulcio leaf)."""
    doc = bundle_doc("happy-path-v0.1")
    entry = doc[VM]["tlogEntries"][0]
    cert_der = base64.b64decode(doc[VM]["x509CertificateChain"]["certificates"][0]["rawBytes"])
    cert_pem = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(cert_der) + b"-----END CERTIFICATE-----\n"
    return {
        "base64Signature": doc["messageSignature"]["signature"],
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


def refused(parse, document, message):
    """``parse(document)`` raises MaterialError whose message starts with the regexp ``message``."""
    with pytest.raises(s.MaterialError) as caught:
        parse(document)
    assert re.match(message, str(caught.value)), str(caught.value)
    return str(caught.value)


# -- Sigstore bundle transparency log entries ----------------------------------------------------

E = (VM, "tlogEntries", 0)
P = (*E, "inclusionProof")
AT = r"bundle tlogEntries\[0\]"


@pytest.mark.parametrize(
    "path, value, message",
    [
        ((VM, "tlogEntries"), ["entry"], rf"{AT} must be a JSON object, got str"),
        ((*E, "logIndex"), KeyError, rf"{AT} has no 'logIndex'"),
        ((*E, "logId"), KeyError, rf"{AT} has no 'logId'"),
        ((*E, "logId"), "wNI9", rf"{AT}\.logId must be a JSON object"),
        ((*E, "logId", "keyId"), KeyError, rf"{AT} has no 'keyId'"),
        ((*E, "logId", "keyId"), "wNI9!", rf"{AT}\.logId\.keyId is not valid base64"),
        ((*E, "kindVersion"), KeyError, rf"{AT} has no 'kindVersion'"),
        ((*E, "kindVersion"), "hashedrekord", rf"{AT}\.kindVersion must be a JSON object"),
        ((*E, "kindVersion", "kind"), KeyError, rf"{AT}\.kindVersion has no 'kind'"),
        ((*E, "kindVersion", "version"), KeyError, rf"{AT}\.kindVersion has no 'version'"),
        ((*E, "integratedTime"), "yesterday", rf"{AT}\.integratedTime must be a non-negative integer"),
        ((*E, "inclusionPromise"), "MEUC", rf"{AT}\.inclusionPromise must be a JSON object"),
        (
            (*E, "inclusionPromise", "signedEntryTimestamp"),
            KeyError,
            rf"{AT}\.inclusionPromise has no 'signedEntryTimestamp'",
        ),
        (P, "proof", rf"{AT}\.inclusionProof must be a JSON object"),
        ((*P, "hashes"), "AAAA", rf"{AT}\.inclusionProof\.hashes must be a list$"),
        ((*P, "checkpoint"), "note", rf"{AT}\.inclusionProof\.checkpoint must be a JSON object"),
        ((*P, "logIndex"), KeyError, rf"{AT}\.inclusionProof has no 'logIndex'"),
        ((*P, "logIndex"), "x", rf"{AT}\.inclusionProof\.logIndex must be a non-negative integer"),
        ((*P, "treeSize"), KeyError, rf"{AT}\.inclusionProof has no 'treeSize'"),
        ((*P, "rootHash"), KeyError, rf"{AT}\.inclusionProof has no 'rootHash'"),
        ((*P, "rootHash"), "AA!A", rf"{AT}\.inclusionProof\.rootHash is not valid base64"),
        ((*E, "canonicalizedBody"), KeyError, rf"{AT} has no 'canonicalizedBody'"),
    ],
)
def test_a_bad_transparency_log_entry_field_is_named_by_its_path(path, value, message):
    """A malformed tlog entry field is refused with an error naming the bundle, the entry and the field."""
    refused(lambda d: s.parse_bundle(d, "bundle"), changed(bundle_doc("happy-path-v0.1"), path, value), message)


@pytest.mark.parametrize("value", [KeyError, "", "0", 0])
def test_an_unset_integrated_time_parses_as_no_time(value):
    """protobuf JSON writes an unset integratedTime as absent, "" or 0: the entry then states no time."""
    doc = changed(bundle_doc("happy-path-v0.1"), (*E, "integratedTime"), value)
    (entry,) = s.parse_bundle(doc, "bundle").tlog_entries
    assert entry.integrated_time is None
    assert entry.facts()["integrated_time"] is None
    with pytest.raises(s.MaterialError, match=r"^the log entry has no integratedTime, so its inclusion promise"):
        s.set_payload(entry)


def test_an_inclusion_proof_without_checkpoint_parses_as_one_without_checkpoint():
    """A proof that carries no checkpoint is reported as such (v0.1 bundles may omit it), not as an empty one."""
    doc = changed(bundle_doc("happy-path-v0.1"), (*P, "checkpoint"), KeyError)
    (entry,) = s.parse_bundle(doc, "bundle").tlog_entries
    assert entry.inclusion_proof.checkpoint is None
    assert entry.facts()["inclusion_proof"] is True


def test_entry_facts_report_kind_and_evidence_of_a_real_entry():
    """The result reports the entry's kind/version and which evidence (proof, promise) it carries."""
    (entry,) = s.parse_bundle(bundle_doc("happy-path-v0.1"), "bundle").tlog_entries
    raw = _entry_doc()
    assert entry.facts() == {
        "log_index": int(raw["logIndex"]),
        "log_id": base64.b64decode(raw["logId"]["keyId"]).hex(),
        "integrated_time": int(raw["integratedTime"]),
        "kind": "hashedrekord/0.0.1",
        "inclusion_proof": True,
        "inclusion_promise": True,
    }
    bare = changed(changed(bundle_doc("happy-path-v0.1"), P, KeyError), (*E, "inclusionPromise"), KeyError)
    facts = s.parse_bundle(bare, "bundle").tlog_entries[0].facts()
    assert (facts["inclusion_proof"], facts["inclusion_promise"]) == (False, False)


def test_entry_facts_report_no_kind_when_the_body_names_none():
    """A legacy entry whose body names no kind reports kind None, not "None/None"."""
    doc = legacy_doc()
    doc["rekorBundle"]["Payload"]["body"] = base64.b64encode(b'{"spec": {}}').decode()
    (entry,) = s.parse_bundle(doc, "legacy").tlog_entries
    assert entry.facts()["kind"] is None


# -- the old cosign --bundle layout ---------------------------------------------------------------

R = ("rekorBundle",)
PL = ("rekorBundle", "Payload")
LR = r"legacy rekorBundle"


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("cert",), "PEM!", r"legacy cert is not valid base64"),
        (("cert",), base64.b64encode(b"no pem here").decode(), r"legacy cert is not PEM \(expected a CERTIFICATE"),
        (R, "bundle", rf"{LR} must be a JSON object, got str"),
        ((*R, "Payload"), KeyError, rf"{LR} has no 'Payload'"),
        ((*R, "Payload"), [], rf"{LR}\.Payload must be a JSON object, got list"),
        ((*R, "SignedEntryTimestamp"), KeyError, rf"{LR} has no 'SignedEntryTimestamp'"),
        ((*R, "SignedEntryTimestamp"), "ME!C", rf"{LR}\.SignedEntryTimestamp is not valid base64"),
        ((*PL, "logID"), KeyError, rf"{LR}\.Payload has no 'logID'"),
        ((*PL, "body"), KeyError, rf"{LR}\.Payload has no 'body'"),
        ((*PL, "body"), "e30!", rf"{LR}\.Payload\.body is not valid base64"),
        ((*PL, "body"), base64.b64encode(b"[]").decode(), r"transparency log entry body is not a JSON object$"),
        ((*PL, "logIndex"), KeyError, rf"{LR}\.Payload has no 'logIndex'"),
        ((*PL, "logIndex"), -1, rf"{LR}\.Payload\.logIndex must be a non-negative integer"),
        ((*PL, "integratedTime"), KeyError, rf"{LR}\.Payload has no 'integratedTime'"),
        ((*PL, "integratedTime"), "soon", rf"{LR}\.Payload\.integratedTime must be a non-negative integer"),
    ],
)
def test_a_bad_legacy_bundle_field_is_named_by_its_path(path, value, message):
    """A malformed cosign --bundle field is refused with an error naming the bundle and the field."""
    refused(lambda d: s.parse_bundle(d, "legacy"), changed(legacy_doc(), path, value), message)


def test_legacy_bundle_material_keeps_its_source_and_document():
    """Parsed legacy material names where it came from and keeps its JSON text, as a Sigstore bundle does."""
    text = json.dumps(legacy_doc())
    material = s.parse_bundle(text, "bundle_path /srv/app.bundle")
    assert material.source == "bundle_path /srv/app.bundle"
    assert material.document == text
    assert material.legacy_public_key_pem is None  # keyless: the cert field holds a certificate


def test_legacy_bundle_without_cert_names_no_signer():
    """A cosign --bundle without a cert field carries neither a certificate nor a public key."""
    doc = legacy_doc()
    del doc["cert"]
    material = s.parse_bundle(doc, "legacy")
    assert material.certificate_der is None
    assert material.legacy_public_key_pem is None


# -- hashedrekord bodies --------------------------------------------------------------------------


def _body(**spec):
    return json.dumps({"kind": "hashedrekord", "apiVersion": "0.0.1", **spec}).encode()


@pytest.mark.parametrize(
    "body, message",
    [
        (b"[1]", r"transparency log entry body must be a JSON object, got list"),
        (
            b'{"kind": "dsse", "apiVersion": "0.0.2"}',
            r"transparency log entry is dsse/0\.0\.2; only hashedrekord/0\.0\.1 records a signature over a file "
            r"digest$",
        ),
        (_body(), r"hashedrekord body has no 'spec'"),
        (_body(spec=[]), r"hashedrekord spec must be a JSON object"),
        (_body(spec={}), r"spec has no 'data'"),
        (_body(spec={"data": "x"}), r"spec\.data must be a JSON object"),
        (_body(spec={"data": {}}), r"spec\.data has no 'hash'"),
        (_body(spec={"data": {"hash": "sha256"}}), r"hash must be a JSON object"),
    ],
)
def test_a_bad_hashedrekord_body_is_named_by_its_path(body, message):
    """A malformed hashedrekord entry body is refused with an error naming the part that is wrong."""
    refused(s.parse_hashedrekord, body, message)


# -- checkpoints ----------------------------------------------------------------------------------

SIG = "\u2014 name AAAAAAAA\n"


@pytest.mark.parametrize(
    "text, message",
    [
        (f"origin\n1\nAAAA\n{SIG}", r"checkpoint must contain exactly one blank line between the note and"),
        ("origin\n1\nAAAA\n\n\u2014 name AAAAAAAA", r"checkpoint signature block must end with a newline"),
        (f"\n1\nAAAA\n\n{SIG}", r"checkpoint note needs an origin, a tree size and a root hash"),
        (f"origin\n1\n\n{SIG}", r"checkpoint note needs an origin, a tree size and a root hash"),
        (f"origin\nten\nAAAA\n\n{SIG}", r"checkpoint tree size 'ten' is not a number"),
        (f"origin\n1\nA!AA\n\n{SIG}", r"checkpoint root hash is not valid base64"),
        (f"origin\n1\nAAAA\nTimestamp: 1\nTimestamp: 1\n\n{SIG}", r"checkpoint note has more than one Timestamp line"),
        ("origin\n1\nAAAA\n\n\u2014 name AA!AAAAA\n", r"checkpoint signature is not valid base64"),
        ("origin\n1\nAAAA\n\n\u2014 name AAAAAA==\n", r"checkpoint signature is too short"),
    ],
)
def test_a_bad_checkpoint_is_refused_naming_what_is_wrong(text, message):
    """A malformed signed checkpoint is refused with an error naming the part of the note that is wrong."""
    refused(s.parse_checkpoint, text, message)


def test_checkpoint_with_two_signatures_and_a_one_byte_signature():
    """Every signature line is read, and a 4-byte key hint plus one signature byte is long enough."""
    five = base64.b64encode(b"hint\x01").decode()
    checkpoint = s.parse_checkpoint(f"origin\n7\nAAAA\n\n\u2014 one {five}\n\u2014 two AAAAAAAA\n")
    assert checkpoint.signatures == [("one", b"hint", b"\x01"), ("two", b"\x00" * 4, b"\x00" * 2)]
    assert (checkpoint.origin, checkpoint.tree_size) == ("origin", 7)


# -- inclusion proofs, log key windows, small parsers -------------------------------------------------


@pytest.mark.parametrize(
    "index, size, path, message",
    [
        (0, 2, [b"\x00" * 31], r"inclusion proof hash is not 32 bytes$"),
        (0, 1, [b"\x00" * 32], r"inclusion proof has more hashes than the tree is deep$"),
        (0, 3, [b"\x00" * 32], r"inclusion proof has fewer hashes than the tree is deep$"),
    ],
)
def test_a_bad_inclusion_proof_is_refused_with_its_reason(index, size, path, message):
    """A Merkle inclusion proof of the wrong shape is refused with the reason, not a wrong root."""
    refused(lambda p: s.inclusion_root(index, size, b"\x00" * 32, p), path, message)


def test_log_key_window_open_at_its_start_is_reported_as_open():
    """The refusal shows the log key's window, an unset start written as open."""
    problem = s.log_key_time_problem(*_evidence(None, "2025-01-01T00:00:00Z", INTEGRATED, None))
    assert re.search(r"is outside the validity of log key c0d2\S* \(open \.\. 2025-01-01T00:00:00Z\)$", problem)


def test_checkpoint_nanoseconds_are_truncated_not_rounded_up():
    """A checkpoint signed 999 ns after a second is reported, and checked, at that second."""
    log, entry, checkpoint = _evidence("2021-01-12T11:53:27Z", "2026-01-01T00:00:00Z", INTEGRATED, 1767225601)
    checkpoint = checkpoint._replace(timestamp_ns=1767225601 * 10**9 + 999)
    problem = s.log_key_time_problem(log, entry, checkpoint)
    assert re.match(r"checkpoint signed at 2026-01-01T00:00:01\+00:00 is outside the validity", problem), problem


def test_parse_signature_names_the_input_it_refuses():
    """A bad signature names its source (``signature`` unless told) and what is wrong with it."""
    refused(s.parse_signature, " \n", r"signature is empty$")
    refused(
        lambda t: s.parse_signature(t, "signature_path /tmp/a.sig"),
        5,
        r"signature_path /tmp/a\.sig must be a string, got int$",
    )


def test_pem_block_with_bad_base64_names_the_block_label():
    """A PEM block that is not base64 is refused naming its label (PUBLIC KEY, CERTIFICATE ...)."""
    refused(
        s.pem_blocks,
        b"-----BEGIN PUBLIC KEY-----\nMF!k\n-----END PUBLIC KEY-----\n",
        r"PEM block PUBLIC KEY is not valid base64: ",
    )


# -- Sigstore bundle message signature and verification material ----------------------------------

MS = ("messageSignature",)
MD = ("messageSignature", "messageDigest")


@pytest.mark.parametrize(
    "case, path, value, message",
    [
        ("happy-path-v0.1", ("mediaType",), "application/vnd.dev.sigstore.bundle+json;version=9", None),
        ("happy-path-v0.1", (VM,), KeyError, r"bundle has no 'verificationMaterial'"),
        ("happy-path-v0.1", (VM,), [], r"bundle verificationMaterial must be a JSON object, got list"),
        ("happy-path-v0.1", MS, KeyError, r"bundle has no 'messageSignature'"),
        ("happy-path-v0.1", MS, "MEUC", r"bundle messageSignature must be a JSON object, got str"),
        ("happy-path-v0.1", (*MS, "signature"), KeyError, r"messageSignature has no 'signature'"),
        ("happy-path-v0.1", MD, "sha256", r"messageSignature\.messageDigest must be a JSON object"),
        ("happy-path-v0.1", (*MD, "algorithm"), KeyError, r"messageSignature\.messageDigest has no 'algorithm'"),
        ("happy-path-v0.1", (*MD, "digest"), KeyError, r"messageDigest has no 'digest'"),
        ("happy-path-v0.1", (*MD, "digest"), "AA!A", r"messageDigest\.digest is not valid base64"),
        ("happy-path-v0.1", (VM, "x509CertificateChain"), [], r"verificationMaterial\.x509CertificateChain must be"),
        (
            "happy-path-v0.1",
            (VM, "x509CertificateChain", "certificates", 0, "rawBytes"),
            KeyError,
            r"certificate has no 'rawBytes'",
        ),
        (
            "happy-path-v0.1",
            (VM, "x509CertificateChain", "certificates", 0, "rawBytes"),
            "MI!I",
            r"certificate\.rawBytes is not valid base64",
        ),
        ("happy-path-v0.3", (VM, "certificate"), "MII", r"verificationMaterial\.certificate must be a JSON object"),
        ("happy-path-v0.3", (VM, "certificate", "rawBytes"), KeyError, r"certificate has no 'rawBytes'"),
        ("happy-path-v0.3", (VM, "certificate", "rawBytes"), "MI!I", r"certificate\.rawBytes is not valid base64"),
        ("managed-key-happy-path", (VM, "publicKey"), "k", r"verificationMaterial\.publicKey must be a JSON object"),
        (
            "happy-path-v0.1",
            (VM, "x509CertificateChain"),
            KeyError,
            r"bundle verificationMaterial must hold exactly "
            r"one of publicKey, x509CertificateChain, certificate; found none$",
        ),
    ],
)
def test_a_bad_bundle_field_is_named_by_its_path(case, path, value, message):
    """A malformed bundle field is refused with an error naming the field by its path."""
    if message is None:  # the supported media types are listed in full, as the fix
        message = (
            r"bundle has unsupported bundle media type 'application/vnd\.dev\.sigstore\.bundle\+json;version=9'; "
            r"supported: " + re.escape(", ".join(s.BUNDLE_MEDIA_TYPES)) + "$"
        )
    refused(lambda d: s.parse_bundle(d, "bundle"), changed(bundle_doc(case), path, value), message)


def test_bundle_with_two_kinds_of_verification_material_names_them():
    """A bundle carrying both a key hint and a certificate chain is refused, listing what it found."""
    doc = changed(bundle_doc("happy-path-v0.1"), (VM, "publicKey"), {"hint": "k"})
    refused(
        lambda d: s.parse_bundle(d, "bundle"),
        doc,
        r"bundle verificationMaterial must hold exactly one of publicKey, x509CertificateChain, certificate; "
        r"found \['publicKey', 'x509CertificateChain'\]$",
    )


def test_dsse_bundle_refusal_says_how_to_verify_attestations():
    """A DSSE (attestation) bundle is refused, pointing to cosign verify-blob-attestation."""
    doc = changed(bundle_doc("happy-path-v0.3"), ("dsseEnvelope",), {"payload": ""})
    refused(
        lambda d: s.parse_bundle(d, "bundle"),
        doc,
        r"bundle holds a DSSE envelope \(an attestation\), not a signature over a file; verify attestations with "
        r"cosign verify-blob-attestation$",
    )


@pytest.mark.parametrize("public_key, hint", [({"hint": "abc"}, "abc"), ({}, ""), ({"hint": 5}, "")])
def test_public_key_hint_is_reported_as_text(public_key, hint):
    """A key-based bundle reports its key hint; no hint (or one that is not text) is reported as empty text."""
    doc = changed(bundle_doc("managed-key-happy-path"), (VM, "publicKey"), public_key)
    material = s.parse_bundle(doc, "bundle")
    assert material.public_key_hint == hint
    assert material.certificate_der is None


def test_bundle_without_message_digest_has_none():
    """A bundle without messageDigest carries no digest hint (the signature alone decides)."""
    material = s.parse_bundle(changed(bundle_doc("managed-key-happy-path"), MD, KeyError), "bundle")
    assert material.message_digest is None


@pytest.mark.parametrize(
    "body, message",
    [
        (
            _body(spec={"data": {"hash": {"value": "00"}}}),
            r"spec\.data\.hash has no 'algorithm'",
        ),
        (
            _body(spec={"data": {"hash": {"algorithm": "sha256"}}}),
            r"spec\.data\.hash has no 'value'",
        ),
        (_body(spec={"data": {"hash": {"algorithm": "sha256", "value": "ab"}}}), r"hashedrekord digest 'ab' is not"),
        (
            _body(spec={"data": {"hash": {"algorithm": "sha256", "value": "AB" * 32}}}),
            r"hashedrekord digest 'ABAB\w+' is not a lowercase hex sha256 digest",
        ),
        (
            _body(spec={"data": {"hash": {"algorithm": "sha256", "value": 12}}}),
            r"hashedrekord digest 12 is not a lowercase hex sha256 digest",
        ),
    ],
)
def test_a_bad_hashedrekord_digest_is_refused(body, message):
    """The logged digest must name its algorithm and be lowercase hex of exactly that algorithm's size."""
    refused(s.parse_hashedrekord, body, message)


def _signed_body(signature):
    return _body(spec={"data": {"hash": {"algorithm": "sha256", "value": "ab" * 32}}, "signature": signature})


@pytest.mark.parametrize(
    "signature, message",
    [
        (None, r"spec has no 'signature'"),
        ("MEUC", r"spec\.signature must be a JSON object"),
        ({}, r"spec\.signature has no 'content'"),
        ({"content": "ME!C"}, r"spec\.signature\.content is not valid base64"),
        ({"content": "MEUC"}, r"spec\.signature has no 'publicKey'"),
        ({"content": "MEUC", "publicKey": "LS0t"}, r"spec\.signature\.publicKey must be a JSON object"),
        ({"content": "MEUC", "publicKey": {}}, r"spec\.signature\.publicKey has no 'content'"),
        ({"content": "MEUC", "publicKey": {"content": "LS!t"}}, r"spec\.signature\.publicKey\.content is not valid"),
    ],
)
def test_a_bad_hashedrekord_signature_is_named_by_its_path(signature, message):
    """The logged signature and verifier are refused field by field, each named by its path."""
    refused(s.parse_hashedrekord, _signed_body(signature), message)


# -- trusted roots --------------------------------------------------------------------------------


def production_root():
    return json.loads(vector("trust/production.trusted_root.json").read_text())


CA0 = ("certificateAuthorities", 0)
TL0 = ("tlogs", 0)
CT0 = ("ctlogs", 0)


@pytest.mark.parametrize(
    "path, value, message",
    [
        (CA0, "ca", r"root certificateAuthorities\[0\] must be a JSON object, got str"),
        ((*CA0, "certChain"), KeyError, r"root certificateAuthorities\[0\] has no 'certChain'"),
        ((*CA0, "certChain"), [], r"root certificateAuthorities\[0\]\.certChain must be a JSON object"),
        ((*CA0, "certChain", "certificates"), "MII", r"root certificateAuthorities\[0\] has no certificates"),
        ((*CA0, "certChain", "certificates", 0), "MII", r"root certificateAuthorities\[0\] must be a JSON object"),
        ((*CA0, "certChain", "certificates", 0, "rawBytes"), KeyError, r"root certificateAuthorities\[0\] has no "),
        (
            (*CA0, "certChain", "certificates", 0, "rawBytes"),
            "MI!I",
            r"root certificateAuthorities\[0\] rawBytes is not valid base64",
        ),
        ((*CA0, "validFor"), "always", r"root certificateAuthorities\[0\]\.validFor must be a JSON object"),
        ((*CA0, "validFor", "start"), "then", r"root certificateAuthorities\[0\] validFor\.start 'then' is not RFC"),
        ((*CA0, "validFor", "end"), 2030, r"root certificateAuthorities\[0\] validFor\.end must be an RFC 3339 "),
        (TL0, [], r"root tlogs\[0\] must be a JSON object, got list"),
        ((*TL0, "publicKey"), KeyError, r"root tlogs\[0\] has no 'publicKey'"),
        ((*TL0, "publicKey"), "MFkw", r"root tlogs\[0\]\.publicKey must be a JSON object"),
        ((*TL0, "publicKey", "rawBytes"), KeyError, r"root tlogs\[0\]\.publicKey has no 'rawBytes'"),
        ((*TL0, "publicKey", "rawBytes"), "MF!w", r"root tlogs\[0\]\.publicKey\.rawBytes is not valid base64"),
        ((*TL0, "publicKey", "validFor"), "x", r"root tlogs\[0\]\.publicKey\.validFor must be a JSON object"),
        ((*TL0, "publicKey", "validFor", "start"), "x", r"root tlogs\[0\] validFor\.start 'x' is not RFC 3339"),
        ((*TL0, "publicKey", "validFor", "end"), "x", r"root tlogs\[0\] validFor\.end 'x' is not RFC 3339"),
        ((*TL0, "logId"), KeyError, r"root tlogs\[0\] has no 'logId'"),
        ((*TL0, "logId"), "wNI9", r"root tlogs\[0\]\.logId must be a JSON object"),
        ((*TL0, "logId", "keyId"), KeyError, r"root tlogs\[0\] has no 'keyId'"),
        ((*TL0, "logId", "keyId"), "wN!9", r"root tlogs\[0\]\.logId\.keyId is not valid base64"),
        ((*CT0, "publicKey"), KeyError, r"root ctlogs\[0\] has no 'publicKey'"),
        (("ctlogs",), {"a": 1}, r"root ctlogs must be a list$"),
        (("certificateAuthorities",), "ca", r"root certificateAuthorities must be a list$"),
        (("timestampAuthorities",), 1, r"root timestampAuthorities must be a list$"),
        (("mediaType",), "x", r"root has media type 'x'; expected application/vnd\.dev\.sigstore\.trustedroot\+json"),
    ],
)
def test_a_bad_trusted_root_field_is_named_by_its_path(path, value, message):
    """A malformed trusted root field is refused with an error naming the root, the entry and the field."""
    refused(lambda d: s.parse_trusted_root(d, "root"), changed(production_root(), path, value), message)


def test_trusted_root_log_keys_and_authorities_are_read_as_written():
    """Log keys keep their ID, key, key details, window and URL; authorities their chain and window."""
    raw = production_root()
    root = s.parse_trusted_root(json.dumps(raw).encode(), "root")
    rekor = raw["tlogs"][0]
    assert root.tlogs[0] == s.LogKey(
        key_id=base64.b64decode(rekor["logId"]["keyId"]),
        raw_bytes=base64.b64decode(rekor["publicKey"]["rawBytes"]),
        key_details=rekor["publicKey"]["keyDetails"],
        valid_from=rekor["publicKey"]["validFor"]["start"],
        valid_until=rekor["publicKey"]["validFor"].get("end"),
        base_url=rekor["baseUrl"],
    )
    assert root.tlog(root.tlogs[1].key_id) == root.tlogs[1]
    assert root.tlog(b"\x00" * 32) is None
    ctfe = raw["ctlogs"][0]
    assert (root.ctlogs[0].valid_from, root.ctlogs[0].valid_until) == (
        ctfe["publicKey"]["validFor"]["start"],
        ctfe["publicKey"]["validFor"]["end"],
    )
    old = raw["certificateAuthorities"][0]
    assert root.certificate_authorities[0] == s.CertificateAuthority(
        [base64.b64decode(c["rawBytes"]) for c in old["certChain"]["certificates"]],
        old["validFor"]["start"],
        old["validFor"]["end"],
    )
    assert root.certificate_authorities[1].valid_until is None
    assert len(root.certificate_authorities[1].certificates) == 2
    assert root.source == "root"


def test_trusted_root_log_key_without_details_or_window():
    """A log key with no keyDetails and no validFor has empty details and an open window."""
    raw = production_root()
    del raw["tlogs"][0]["publicKey"]["keyDetails"], raw["tlogs"][0]["publicKey"]["validFor"]
    log = s.parse_trusted_root(raw, "root").tlogs[0]
    assert (log.key_details, log.valid_from, log.valid_until) == ("", None, None)


@pytest.mark.parametrize("form", ["str", "bytes"])
def test_bundle_material_keeps_the_document_text_as_given(form):
    """The bundle text handed to the sigstore library is the text the user gave, byte for byte."""
    raw = vector("conformance/happy-path-v0.3/bundle.sigstore.json").read_bytes()
    material = s.parse_bundle(raw.decode() if form == "str" else raw, "bundle")
    assert material.document == raw.decode()


@pytest.mark.parametrize(
    "value, message",
    [
        (5, r"field must be a base64 string, got int$"),
        ("A\u00e9AA", r"field is not valid base64: "),
    ],
)
def test_b64decode_strict_names_the_field(value, message):
    """Base64 fields are refused naming the field and what is wrong."""
    refused(lambda v: s.b64decode_strict(v, "field"), value, message)


@pytest.mark.parametrize(
    "value, message",
    [
        (True, r"n must be a non-negative integer, got True$"),
        (-1, r"n must be a non-negative integer, got -1$"),
        ("x1", r"n must be a non-negative integer, got 'x1'$"),
    ],
)
def test_parse_uint_names_the_field_and_the_value(value, message):
    """A bad unsigned integer is refused naming the field and the value given."""
    refused(lambda v: s.parse_uint(v, "n"), value, message)


@pytest.mark.parametrize(
    "document, message",
    [
        (b"\xff", r"bundle_path /b\.json is not UTF-8 text: "),
        ("{", r"bundle_path /b\.json is not valid JSON: "),
        ("[]", r"bundle_path /b\.json must be a JSON object, got list$"),
        (None, r"bundle_path /b\.json must be JSON text or a mapping, got NoneType$"),
    ],
)
def test_load_json_names_the_source(document, message):
    """JSON material that cannot be read is refused naming where it came from."""
    refused(lambda d: s.load_json(d, "bundle_path /b.json"), document, message)


def test_parse_rfc3339_names_the_field():
    """A time that is not RFC 3339 is refused naming the field and the value."""
    refused(lambda v: s.parse_rfc3339(v, "validFor.start"), "2021-02-30T00:00:00Z", r"validFor\.start '2021-02-30")
    refused(s.parse_rfc3339, "soon", r"time 'soon' is not RFC 3339$")


def test_public_key_options_are_not_masked_as_secrets(run_module, tmp_path):
    """A public key is not a secret: the module never masks public_key or public_key_path in its result."""
    from ansible_collections.gosvc.hardening.plugins.modules import cosign_verify

    (tmp_path / "app").write_bytes(b"x")
    key = vector("conformance/managed-key-happy-path/key.pub").read_text()
    key_path = str(vector("conformance/managed-key-happy-path/key.pub"))
    result = run_module(cosign_verify, {"path": str(tmp_path / "app"), "public_key": key, "public_key_path": key_path})
    assert not result.get("failed"), result.get("msg")
    assert result["invocation"]["module_args"]["public_key"] == key
    assert result["invocation"]["module_args"]["public_key_path"] == key_path


TSD = (VM, "timestampVerificationData")


@pytest.mark.parametrize(
    "case, path, value, message",
    [
        ("happy-path-v0.1", (VM, "x509CertificateChain", "certificates", 0), "MII", r"x509CertificateChain\.certif"),
        ("happy-path-v0.3", (VM, "certificate", "rawBytes"), "", r"bundle has an empty signing certificate$"),
        ("managed-key-happy-path", (*TSD, "rfc3161Timestamps"), {"a": 1}, r"bundle rfc3161Timestamps must be a list$"),
        ("managed-key-happy-path", (*TSD, "rfc3161Timestamps", 0), "MII", r"rfc3161Timestamp must be a JSON object"),
        (
            "managed-key-happy-path",
            (*TSD, "rfc3161Timestamps", 0, "signedTimestamp"),
            KeyError,
            r"rfc3161Timestamp has no 'signedTimestamp'",
        ),
        (
            "managed-key-happy-path",
            (*TSD, "rfc3161Timestamps", 0, "signedTimestamp"),
            "MI!I",
            r"rfc3161Timestamps\[0\]\.signedTimestamp is not valid base64",
        ),
        ("managed-key-happy-path", TSD, "MII", r"timestampVerificationData must be a JSON object"),
    ],
)
def test_a_bad_certificate_or_timestamp_field_is_named_by_its_path(case, path, value, message):
    """Malformed signing certificates and RFC 3161 timestamps are refused, naming the field."""
    refused(lambda d: s.parse_bundle(d, "bundle"), changed(bundle_doc(case), path, value), message)


def test_rfc3161_timestamps_are_counted():
    """The result can say how many RFC 3161 timestamps a bundle carries (none when it has no such data)."""
    assert s.parse_bundle(bundle_doc("managed-key-happy-path"), "b").timestamps == 1
    assert s.parse_bundle(bundle_doc("happy-path-v0.1"), "b").timestamps == 0
