# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cosign / Sigstore signature material: parsing and transparency-log arithmetic.

Standard library only (Python 3.9+), so the module ``cosign_verify`` can import it on a
target and pytest can exercise it without a host. Nothing here verifies a signature:
the cryptography lives on the controller in ``plugins/plugin_utils/_sigstore_verify.py``.
Every malformed input raises :class:`MaterialError` (and nothing else) with a message
naming the input; a parse error is never skipped over.

Public API
----------

``ARGUMENT_SPEC``
    The options of ``gosvc.hardening.cosign_verify`` (module and action plugin share it).

``parse_signature(text, source)``
    A bare signature as ``cosign sign-blob --key`` prints it: base64 of the DER signature.

``parse_bundle(document, source) -> Material``
    A Sigstore bundle (media types v0.1, v0.2, v0.3 in both spellings) or the old cosign
    ``--bundle`` JSON (``base64Signature`` / ``cert`` / ``rekorBundle``).

``parse_trusted_root(document, source) -> TrustedRoot``
    The transparency logs, CT logs and certificate authorities of a Sigstore
    ``trusted_root.json`` (media type ``application/vnd.dev.sigstore.trustedroot+json;version=0.1``).

``parse_hashedrekord(body)``, ``set_payload(entry)``, ``parse_checkpoint(text)``,
``leaf_hash(body)``, ``inclusion_root(...)``
    Rekor entry bodies, the bytes a Signed Entry Timestamp signs, signed checkpoints and
    RFC 9162 Merkle inclusion proofs.

``parse_rfc3339(value, what)``, ``within(when, start, end)``, ``log_key_time_problem(log, entry, checkpoint)``
    Trusted-root validity windows, and the one rule every kind of transparency-log evidence
    must pass: the log key was valid when the entry was logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, NamedTuple, Optional

#: Digest algorithms a target can compute for a signature.
DIGEST_ALGORITHMS = ("sha256", "sha384", "sha512")

#: Sigstore bundle media types and the bundle version each one names.
BUNDLE_MEDIA_TYPES = {
    "application/vnd.dev.sigstore.bundle+json;version=0.1": "0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2": "0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3": "0.3",
    "application/vnd.dev.sigstore.bundle.v0.3+json": "0.3",
}

#: ``bundle_version`` reported for the old cosign ``--bundle`` JSON.
LEGACY_BUNDLE_VERSION = "cosign-legacy"

TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"

#: Sigstore protobuf HashAlgorithm names -> hashlib names.
PROTO_HASH_ALGORITHMS = {"SHA2_256": "sha256", "SHA2_384": "sha384", "SHA2_512": "sha512"}

_DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
_UINT = re.compile(r"[0-9]+\Z")
_MAX_UINT64_DIGITS = 20
_CHECKPOINT_SIGNATURE = re.compile(r"\u2014 (\S+) (\S+)\Z")
#: Rekor v1 writes the time it signed a checkpoint as an extension line of the note.
_CHECKPOINT_TIMESTAMP = "Timestamp: "
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)\Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class MaterialError(ValueError):
    """Signature material, trusted root or option value that cannot be used as given."""


#: The options of gosvc.hardening.cosign_verify (its DOCUMENTATION describes them; one place for every
#: module: the module_utils file that implements it, see docs/architecture.md).
ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    signature=dict(type="str"),
    signature_path=dict(type="path"),
    bundle=dict(type="raw"),
    bundle_path=dict(type="path"),
    public_key=dict(type="str", no_log=False),
    public_key_path=dict(type="path", no_log=False),
    certificate=dict(type="str"),
    certificate_path=dict(type="path"),
    certificate_identity=dict(type="str"),
    certificate_identity_regexp=dict(type="str"),
    certificate_oidc_issuer=dict(type="str"),
    certificate_oidc_issuer_regexp=dict(type="str"),
    trusted_root_path=dict(type="path"),
    require_tlog=dict(type="bool", default=True),
    signature_digest_algorithm=dict(type="str", default="auto", choices=["auto", *DIGEST_ALGORITHMS]),
    expected_digest=dict(type="str"),
    digest_algorithms=dict(type="list", elements="str", default=["sha256"], choices=list(DIGEST_ALGORITHMS)),
    digests=dict(type="dict"),
)


#: Cross-option rules, checked by the action plugin (the module itself only hashes).
MUTUALLY_EXCLUSIVE = [
    ("signature", "signature_path", "bundle", "bundle_path"),
    ("public_key", "public_key_path"),
    ("certificate", "certificate_path"),
    ("public_key", "public_key_path", "certificate", "certificate_path"),
    ("certificate_identity", "certificate_identity_regexp"),
    ("certificate_oidc_issuer", "certificate_oidc_issuer_regexp"),
]
REQUIRED_ONE_OF = [("signature", "signature_path", "bundle", "bundle_path")]


class InclusionProof(NamedTuple):
    log_index: int
    tree_size: int
    root_hash: bytes
    hashes: List[bytes]
    checkpoint: Optional[str]


class TlogEntry(NamedTuple):
    """One transparency log entry as a bundle carries it."""

    log_index: int
    log_id: bytes
    kind: Optional[str]
    version: Optional[str]
    integrated_time: Optional[int]
    signed_entry_timestamp: Optional[bytes]
    body: bytes
    inclusion_proof: Optional[InclusionProof]

    def facts(self) -> Dict[str, Any]:
        """What the result reports about this entry (before verification)."""
        return {
            "log_index": self.log_index,
            "log_id": self.log_id.hex(),
            "integrated_time": self.integrated_time,
            "kind": f"{self.kind}/{self.version}" if self.kind else None,
            "inclusion_proof": self.inclusion_proof is not None,
            "inclusion_promise": self.signed_entry_timestamp is not None,
        }


class Material(NamedTuple):
    """Signature material, normalised over the bare, Sigstore-bundle and legacy forms."""

    form: str  # "signature", "bundle" or "legacy_bundle"
    source: str
    signature: bytes
    media_type: Optional[str] = None
    bundle_version: Optional[str] = None
    message_digest: Optional[tuple] = None  # (hashlib name, digest bytes): an unauthenticated hint
    public_key_hint: Optional[str] = None  # the bundle names a key: key-based
    certificate_der: Optional[bytes] = None  # the signing certificate: keyless
    legacy_public_key_pem: Optional[bytes] = None  # legacy "cert" field holding a PUBLIC KEY
    tlog_entries: tuple = ()
    timestamps: int = 0  # RFC 3161 timestamps carried (not used for verification)
    document: Optional[str] = None  # the bundle JSON text, for the sigstore library


class LogKey(NamedTuple):
    """A transparency log or CT log key from a trusted root."""

    key_id: bytes
    raw_bytes: bytes
    key_details: str
    valid_from: Optional[str]
    valid_until: Optional[str]
    base_url: Optional[str]


class CertificateAuthority(NamedTuple):
    certificates: List[bytes]  # DER, leaf (intermediate) first, root last
    valid_from: Optional[str]
    valid_until: Optional[str]


class TrustedRoot(NamedTuple):
    source: str
    tlogs: List[LogKey]
    ctlogs: List[LogKey]
    certificate_authorities: List[CertificateAuthority]
    timestamp_authorities: int

    def tlog(self, log_id: bytes) -> Optional[LogKey]:
        """The transparency log whose log ID is ``log_id``."""
        for key in self.tlogs:
            if key.key_id == log_id:
                return key
        return None


class HashedRekord(NamedTuple):
    algorithm: str
    digest: str  # lowercase hex
    signature: bytes
    verifier_pem: bytes  # PEM public key or certificate as the log recorded it


class Checkpoint(NamedTuple):
    origin: str
    tree_size: int
    root_hash: bytes
    signed_text: bytes
    signatures: List[tuple]  # (name, 4-byte key hint, signature bytes)
    timestamp_ns: Optional[int] = None  # "Timestamp: <ns since the epoch>" line, when the log wrote one


def b64decode_strict(value: Any, what: str) -> bytes:
    """Decode standard base64, refusing anything that is not exactly base64."""
    if not isinstance(value, str):
        raise MaterialError(f"{what} must be a base64 string, got {type(value).__name__}")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise MaterialError(f"{what} is not valid base64: {exc}") from None


def parse_uint(value: Any, what: str) -> int:
    """A protobuf-JSON unsigned integer: a JSON number or a decimal string, never negative."""
    if isinstance(value, bool):
        raise MaterialError(f"{what} must be a non-negative integer, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise MaterialError(f"{what} must be a non-negative integer, got {value}")
        return value
    if isinstance(value, str) and _UINT.match(value):
        return _decimal(value, what)
    raise MaterialError(f"{what} must be a non-negative integer, got {value!r}")


def _decimal(digits: str, what: str) -> int:
    """``int(digits)`` for ASCII digits; MaterialError past 20 digits (no 64-bit value is that long, and
    int() refuses more than 4300 digits with a plain ValueError)."""
    if len(digits) > _MAX_UINT64_DIGITS:
        raise MaterialError(f"{what} has {len(digits)} digits; a 64-bit integer has at most {_MAX_UINT64_DIGITS}")
    return int(digits)


def _object(value: Any, what: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise MaterialError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _required(obj: Dict[str, Any], key: str, what: str) -> Any:
    if key not in obj or obj[key] is None:
        raise MaterialError(f"{what} has no {key!r}")
    return obj[key]


def load_json(document: Any, source: str) -> Dict[str, Any]:
    """A JSON object from text, bytes or an already parsed mapping."""
    if isinstance(document, dict):
        return document
    if isinstance(document, bytes):
        try:
            document = document.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MaterialError(f"{source} is not UTF-8 text: {exc}") from None
    if not isinstance(document, str):
        raise MaterialError(f"{source} must be JSON text or a mapping, got {type(document).__name__}")
    try:
        value = json.loads(document)
    except (ValueError, RecursionError) as exc:
        raise MaterialError(f"{source} is not valid JSON: {exc}") from None
    return _object(value, source)


def parse_signature(text: Any, source: str = "signature") -> bytes:
    """The DER signature from ``cosign sign-blob --key`` output (base64, blanks ignored)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise MaterialError(
                f"{source} is not base64 text; cosign sign-blob prints the signature base64-encoded"
            ) from None
    if not isinstance(text, str):
        raise MaterialError(f"{source} must be a string, got {type(text).__name__}")
    compact = "".join(text.split())
    if not compact:
        raise MaterialError(f"{source} is empty")
    # Non-empty strict base64 always decodes to at least one byte.
    return b64decode_strict(compact, source)


def parse_bundle(document: Any, source: str) -> Material:
    """Parse a Sigstore bundle or an old cosign ``--bundle`` document."""
    text = document if isinstance(document, str) else None
    if isinstance(document, bytes):
        text = document.decode("utf-8", "replace")
    doc = load_json(document, source)
    if text is None:
        text = json.dumps(doc)
    if "mediaType" in doc:
        return _parse_sigstore_bundle(doc, text, source)
    if "base64Signature" in doc:
        return _parse_legacy_bundle(doc, text, source)
    raise MaterialError(
        f"{source} is neither a Sigstore bundle (no 'mediaType') nor a cosign --bundle document (no 'base64Signature')"
    )


def _parse_sigstore_bundle(doc: Dict[str, Any], text: str, source: str) -> Material:
    media_type = doc["mediaType"]
    if not isinstance(media_type, str) or media_type not in BUNDLE_MEDIA_TYPES:
        raise MaterialError(
            f"{source} has unsupported bundle media type {media_type!r}; supported: " + ", ".join(BUNDLE_MEDIA_TYPES)
        )
    version = BUNDLE_MEDIA_TYPES[media_type]
    material = _object(_required(doc, "verificationMaterial", source), f"{source} verificationMaterial")
    if doc.get("dsseEnvelope") is not None:
        raise MaterialError(
            f"{source} holds a DSSE envelope (an attestation), not a signature over a file; "
            "verify attestations with cosign verify-blob-attestation"
        )
    message = _object(_required(doc, "messageSignature", source), f"{source} messageSignature")
    signature = b64decode_strict(_required(message, "signature", "messageSignature"), "messageSignature.signature")
    if not signature:
        raise MaterialError(f"{source} messageSignature.signature is empty")
    message_digest = None
    if message.get("messageDigest") is not None:
        md = _object(message["messageDigest"], "messageSignature.messageDigest")
        proto = _required(md, "algorithm", "messageSignature.messageDigest")
        if not isinstance(proto, str) or proto not in PROTO_HASH_ALGORITHMS:
            raise MaterialError(
                f"{source} messageDigest algorithm {proto!r} is not supported (SHA2_256, SHA2_384, SHA2_512)"
            )
        algorithm = PROTO_HASH_ALGORITHMS[proto]
        digest = b64decode_strict(_required(md, "digest", "messageDigest"), "messageDigest.digest")
        if len(digest) != _DIGEST_SIZES[algorithm]:
            raise MaterialError(f"{source} messageDigest is {len(digest)} bytes, not a {algorithm} digest")
        message_digest = (algorithm, digest)

    kinds = [k for k in ("publicKey", "x509CertificateChain", "certificate") if material.get(k) is not None]
    if len(kinds) != 1:
        raise MaterialError(
            f"{source} verificationMaterial must hold exactly one of publicKey, x509CertificateChain, "
            f"certificate; found {kinds or 'none'}"
        )
    public_key_hint = None
    certificate_der = None
    if kinds[0] == "publicKey":
        hint = _object(material["publicKey"], "verificationMaterial.publicKey").get("hint")
        public_key_hint = hint if isinstance(hint, str) else ""
    elif kinds[0] == "certificate":
        if version != "0.3":
            raise MaterialError(f"{source}: a single 'certificate' needs a v0.3 bundle, media type is {media_type}")
        cert = _object(material["certificate"], "verificationMaterial.certificate")
        certificate_der = b64decode_strict(_required(cert, "rawBytes", "certificate"), "certificate.rawBytes")
    else:
        if version == "0.3":
            raise MaterialError(f"{source}: a v0.3 bundle carries 'certificate', not 'x509CertificateChain'")
        chain = _object(material["x509CertificateChain"], "verificationMaterial.x509CertificateChain")
        certs = chain.get("certificates") or []
        if not isinstance(certs, list) or not certs:
            raise MaterialError(f"{source} has an empty x509CertificateChain")
        first = _object(certs[0], "x509CertificateChain.certificates[0]")
        certificate_der = b64decode_strict(_required(first, "rawBytes", "certificate"), "certificate.rawBytes")
    if certificate_der is not None and not certificate_der:
        raise MaterialError(f"{source} has an empty signing certificate")

    raw_entries = material.get("tlogEntries") or []
    if not isinstance(raw_entries, list):
        raise MaterialError(f"{source} tlogEntries must be a list")
    entries = tuple(_parse_tlog_entry(entry, f"{source} tlogEntries[{n}]") for n, entry in enumerate(raw_entries))

    timestamps = 0
    tsd = material.get("timestampVerificationData")
    if tsd is not None:
        stamps = _object(tsd, "timestampVerificationData").get("rfc3161Timestamps") or []
        if not isinstance(stamps, list):
            raise MaterialError(f"{source} rfc3161Timestamps must be a list")
        for n, stamp in enumerate(stamps):
            b64decode_strict(
                _required(_object(stamp, "rfc3161Timestamp"), "signedTimestamp", "rfc3161Timestamp"),
                f"rfc3161Timestamps[{n}].signedTimestamp",
            )
        timestamps = len(stamps)
    return Material(
        form="bundle",
        source=source,
        signature=signature,
        media_type=media_type,
        bundle_version=version,
        message_digest=message_digest,
        public_key_hint=public_key_hint,
        certificate_der=certificate_der,
        tlog_entries=entries,
        timestamps=timestamps,
        document=text,
    )


def _parse_tlog_entry(raw: Any, what: str) -> TlogEntry:
    entry = _object(raw, what)
    log_index = parse_uint(_required(entry, "logIndex", what), f"{what}.logIndex")
    log_id = b64decode_strict(
        _required(_object(_required(entry, "logId", what), f"{what}.logId"), "keyId", what), f"{what}.logId.keyId"
    )
    kv = _object(_required(entry, "kindVersion", what), f"{what}.kindVersion")
    kind = _required(kv, "kind", f"{what}.kindVersion")
    version = _required(kv, "version", f"{what}.kindVersion")
    integrated = entry.get("integratedTime")
    integrated_time = parse_uint(integrated, f"{what}.integratedTime") if integrated not in (None, "", "0", 0) else None
    promise = entry.get("inclusionPromise")
    set_bytes = None
    if promise is not None:
        set_bytes = b64decode_strict(
            _required(_object(promise, f"{what}.inclusionPromise"), "signedEntryTimestamp", f"{what}.inclusionPromise"),
            f"{what}.inclusionPromise.signedEntryTimestamp",
        )
    proof = None
    if entry.get("inclusionProof") is not None:
        p = _object(entry["inclusionProof"], f"{what}.inclusionProof")
        hashes = p.get("hashes") or []
        if not isinstance(hashes, list):
            raise MaterialError(f"{what}.inclusionProof.hashes must be a list")
        checkpoint = None
        if p.get("checkpoint") is not None:
            envelope = _object(p["checkpoint"], f"{what}.inclusionProof.checkpoint").get("envelope")
            if not isinstance(envelope, str) or not envelope:
                raise MaterialError(f"{what}.inclusionProof.checkpoint has no envelope")
            checkpoint = envelope
        proof = InclusionProof(
            log_index=parse_uint(_required(p, "logIndex", f"{what}.inclusionProof"), f"{what}.inclusionProof.logIndex"),
            tree_size=parse_uint(_required(p, "treeSize", f"{what}.inclusionProof"), f"{what}.inclusionProof.treeSize"),
            root_hash=b64decode_strict(
                _required(p, "rootHash", f"{what}.inclusionProof"), f"{what}.inclusionProof.rootHash"
            ),
            hashes=[b64decode_strict(h, f"{what}.inclusionProof.hashes[{n}]") for n, h in enumerate(hashes)],
            checkpoint=checkpoint,
        )
    body = b64decode_strict(_required(entry, "canonicalizedBody", what), f"{what}.canonicalizedBody")
    return TlogEntry(log_index, log_id, kind, version, integrated_time, set_bytes, body, proof)


def _parse_legacy_bundle(doc: Dict[str, Any], text: str, source: str) -> Material:
    signature = b64decode_strict(doc["base64Signature"], f"{source} base64Signature")
    if not signature:
        raise MaterialError(f"{source} base64Signature is empty")
    certificate_der = None
    legacy_key = None
    cert_field = doc.get("cert")
    if cert_field:
        pem = b64decode_strict(cert_field, f"{source} cert")
        certificate_der, legacy_key = _legacy_cert_field(pem, source)
    entries: tuple = ()
    rekor = doc.get("rekorBundle")
    if rekor is not None:
        rekor = _object(rekor, f"{source} rekorBundle")
        what = f"{source} rekorBundle"
        payload = _object(_required(rekor, "Payload", what), f"{what}.Payload")
        log_id_hex = _required(payload, "logID", f"{what}.Payload")
        try:
            log_id = bytes.fromhex(log_id_hex)
        except (TypeError, ValueError):
            raise MaterialError(f"{what}.Payload.logID is not hex: {log_id_hex!r}") from None
        body = b64decode_strict(_required(payload, "body", f"{what}.Payload"), f"{what}.Payload.body")
        kind, version = _body_kind(body)
        entries = (
            TlogEntry(
                log_index=parse_uint(_required(payload, "logIndex", f"{what}.Payload"), f"{what}.Payload.logIndex"),
                log_id=log_id,
                kind=kind,
                version=version,
                integrated_time=parse_uint(
                    _required(payload, "integratedTime", f"{what}.Payload"), f"{what}.Payload.integratedTime"
                ),
                signed_entry_timestamp=b64decode_strict(
                    _required(rekor, "SignedEntryTimestamp", what), f"{what}.SignedEntryTimestamp"
                ),
                body=body,
                inclusion_proof=None,
            ),
        )
    return Material(
        form="legacy_bundle",
        source=source,
        signature=signature,
        bundle_version=LEGACY_BUNDLE_VERSION,
        certificate_der=certificate_der,
        legacy_public_key_pem=legacy_key,
        tlog_entries=entries,
        document=text,
    )


def pem_blocks(data: bytes) -> List[tuple]:
    """(label, DER) for every PEM block in ``data``."""
    blocks = []
    for match in re.finditer(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", data, re.DOTALL):
        body = b"".join(match.group(2).split())
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MaterialError(f"PEM block {match.group(1).decode()} is not valid base64: {exc}") from None
        blocks.append((match.group(1).decode("ascii"), der))
    return blocks


def _legacy_cert_field(pem: bytes, source: str) -> tuple:
    blocks = pem_blocks(pem)
    if not blocks:
        raise MaterialError(f"{source} cert is not PEM (expected a CERTIFICATE or PUBLIC KEY block)")
    label, der = blocks[0]
    if label == "CERTIFICATE":
        return der, None
    if label == "PUBLIC KEY":
        return None, pem
    raise MaterialError(f"{source} cert holds a PEM {label!r} block; expected CERTIFICATE or PUBLIC KEY")


def _body_kind(body: bytes) -> tuple:
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MaterialError(f"transparency log entry body is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise MaterialError("transparency log entry body is not a JSON object")
    return doc.get("kind"), doc.get("apiVersion")


def parse_hashedrekord(body: bytes) -> HashedRekord:
    """The artifact digest, signature and verifier a hashedrekord 0.0.1 entry records."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MaterialError(f"transparency log entry body is not JSON: {exc}") from None
    doc = _object(doc, "transparency log entry body")
    if doc.get("kind") != "hashedrekord" or doc.get("apiVersion") != "0.0.1":
        raise MaterialError(
            f"transparency log entry is {doc.get('kind')}/{doc.get('apiVersion')}; only hashedrekord/0.0.1 "
            "records a signature over a file digest"
        )
    spec = _object(_required(doc, "spec", "hashedrekord body"), "hashedrekord spec")
    hashed = _object(_required(_object(_required(spec, "data", "spec"), "spec.data"), "hash", "spec.data"), "hash")
    algorithm = _required(hashed, "algorithm", "spec.data.hash")
    if algorithm not in DIGEST_ALGORITHMS:
        raise MaterialError(f"hashedrekord digest algorithm {algorithm!r} is not supported")
    value = _required(hashed, "value", "spec.data.hash")
    if (
        not isinstance(value, str)
        or not re.fullmatch(r"[0-9a-f]+", value)
        or len(value) != 2 * _DIGEST_SIZES[algorithm]
    ):
        raise MaterialError(f"hashedrekord digest {value!r} is not a lowercase hex {algorithm} digest")
    sig = _object(_required(spec, "signature", "spec"), "spec.signature")
    signature = b64decode_strict(_required(sig, "content", "spec.signature"), "spec.signature.content")
    key = _object(_required(sig, "publicKey", "spec.signature"), "spec.signature.publicKey")
    verifier = b64decode_strict(
        _required(key, "content", "spec.signature.publicKey"), "spec.signature.publicKey.content"
    )
    return HashedRekord(algorithm, value, signature, verifier)


def set_payload(entry: TlogEntry) -> bytes:
    """The canonical JSON (RFC 8785) that a Rekor Signed Entry Timestamp signs."""
    if entry.integrated_time is None:
        raise MaterialError("the log entry has no integratedTime, so its inclusion promise cannot be checked")
    payload = {
        "body": base64.b64encode(entry.body).decode("ascii"),
        "integratedTime": entry.integrated_time,
        "logID": entry.log_id.hex(),
        "logIndex": entry.log_index,
    }
    # Only ASCII strings and integers: sorted keys without blanks is exactly RFC 8785 here.
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("ascii")


def parse_checkpoint(text: str) -> Checkpoint:
    """A signed checkpoint note: ``origin``, tree size, root hash, a blank line, signature lines."""
    head, sep, rest = text.partition("\n\n")
    if not sep or "\n\n" in rest:
        raise MaterialError("checkpoint must contain exactly one blank line between the note and its signatures")
    if not rest.endswith("\n"):
        raise MaterialError("checkpoint signature block must end with a newline")
    lines = head.split("\n")
    if len(lines) < 3 or not lines[0]:
        raise MaterialError("checkpoint note needs an origin, a tree size and a root hash")
    if not _UINT.match(lines[1]):
        raise MaterialError(f"checkpoint tree size {lines[1]!r} is not a number")
    tree_size = _decimal(lines[1], "checkpoint tree size")
    root_hash = b64decode_strict(lines[2], "checkpoint root hash")
    stamps = [line[len(_CHECKPOINT_TIMESTAMP) :] for line in lines[3:] if line.startswith(_CHECKPOINT_TIMESTAMP)]
    if len(stamps) > 1:
        raise MaterialError("checkpoint note has more than one Timestamp line")
    if stamps and not _UINT.match(stamps[0]):
        raise MaterialError(f"checkpoint Timestamp {stamps[0]!r} is not a number of nanoseconds")
    timestamp_ns = _decimal(stamps[0], "checkpoint Timestamp") if stamps else None
    try:
        signed_text = (head + "\n").encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MaterialError(f"checkpoint note is not UTF-8 text: {exc}") from None
    signatures = []
    for line in rest[:-1].split("\n"):
        match = _CHECKPOINT_SIGNATURE.match(line)
        if not match:
            raise MaterialError(f"checkpoint signature line {line!r} is malformed")
        raw = b64decode_strict(match.group(2), "checkpoint signature")
        if len(raw) < 5:
            raise MaterialError("checkpoint signature is too short")
        signatures.append((match.group(1), raw[:4], raw[4:]))
    return Checkpoint(lines[0], tree_size, root_hash, signed_text, signatures, timestamp_ns)


def leaf_hash(body: bytes) -> bytes:
    """RFC 9162 leaf hash of a log entry body."""
    return hashlib.sha256(b"\x00" + body).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_root(leaf_index: int, tree_size: int, leaf: bytes, path: List[bytes]) -> bytes:
    """The root hash an RFC 9162 (section 2.1.3.2) inclusion proof leads to."""
    if leaf_index >= tree_size:
        raise MaterialError(f"inclusion proof index {leaf_index} is outside the tree of size {tree_size}")
    fn, sn, result = leaf_index, tree_size - 1, leaf
    for sibling in path:
        if len(sibling) != 32:
            raise MaterialError("inclusion proof hash is not 32 bytes")
        if sn == 0:
            raise MaterialError("inclusion proof has more hashes than the tree is deep")
        if fn & 1 or fn == sn:
            result = _node(sibling, result)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            result = _node(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MaterialError("inclusion proof has fewer hashes than the tree is deep")
    return result


def parse_rfc3339(value: Any, what: str = "time") -> datetime:
    """An RFC 3339 time as protobuf JSON writes it (``Z`` or an offset; nanoseconds allowed)."""
    match = _RFC3339.match(value) if isinstance(value, str) else None
    if not match:
        raise MaterialError(f"{what} {value!r} is not RFC 3339")
    fraction = (match.group(2) or "0")[:6].ljust(6, "0")
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    try:
        return datetime.fromisoformat(f"{match.group(1)}.{fraction}{zone}")
    except ValueError as exc:
        raise MaterialError(f"{what} {value!r} is not RFC 3339: {exc}") from None


def within(when: datetime, start: Optional[str], end: Optional[str]) -> bool:
    """Whether ``when`` lies in the validity window ``start`` .. ``end`` (either may be open)."""
    return (start is None or parse_rfc3339(start) <= when) and (end is None or when <= parse_rfc3339(end))


def unix_time(seconds: int) -> datetime:
    """A UTC datetime from whole seconds since the epoch."""
    return _EPOCH + timedelta(seconds=seconds)


def log_key_time_problem(log: LogKey, entry: TlogEntry, checkpoint: Optional[Checkpoint] = None) -> Optional[str]:
    """Why the log key ``log`` cannot vouch for ``entry``, or None when it can.

    The one rule for every kind of transparency-log evidence (inclusion promise, or
    inclusion proof with checkpoint): the trusted root's validity window of the log key
    must contain every time the evidence states, the entry's integrated time and the
    checkpoint's own timestamp when it carries one. A key outside its window is retired
    or not yet in service, and must not be trusted for the entry. When the window has a
    bound but the evidence states no time at all, the rule cannot be checked: refused.
    """
    if log.valid_from is None and log.valid_until is None:
        return None
    window = f"log key {log.key_id.hex()} ({log.valid_from or 'open'} .. {log.valid_until or 'open'})"
    times = []
    if entry.integrated_time is not None:
        times.append(("log entry integrated at", unix_time(entry.integrated_time)))
    if checkpoint is not None and checkpoint.timestamp_ns is not None:
        times.append(("checkpoint signed at", _EPOCH + timedelta(microseconds=checkpoint.timestamp_ns // 1000)))
    if not times:
        return (
            f"the log entry states no time (no integratedTime, no checkpoint timestamp), so it cannot be checked "
            f"against the validity of {window}"
        )
    for label, when in times:
        if not within(when, log.valid_from, log.valid_until):
            return f"{label} {when.isoformat()} is outside the validity of {window}"
    return None


def _time(value: Any, what: str) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise MaterialError(f"{what} must be an RFC 3339 string")
    parse_rfc3339(value, what)
    return value


def _log_key(raw: Any, what: str) -> LogKey:
    log = _object(raw, what)
    key = _object(_required(log, "publicKey", what), f"{what}.publicKey")
    valid_for = _object(key.get("validFor") or {}, f"{what}.publicKey.validFor")
    return LogKey(
        key_id=b64decode_strict(
            _required(_object(_required(log, "logId", what), f"{what}.logId"), "keyId", what), f"{what}.logId.keyId"
        ),
        raw_bytes=b64decode_strict(_required(key, "rawBytes", f"{what}.publicKey"), f"{what}.publicKey.rawBytes"),
        key_details=str(key.get("keyDetails") or ""),
        valid_from=_time(valid_for.get("start"), f"{what} validFor.start"),
        valid_until=_time(valid_for.get("end"), f"{what} validFor.end"),
        base_url=log.get("baseUrl"),
    )


def parse_trusted_root(document: Any, source: str) -> TrustedRoot:
    """The parts of a Sigstore trusted root this collection verifies against."""
    doc = load_json(document, source)
    media_type = doc.get("mediaType")
    if media_type != TRUSTED_ROOT_MEDIA_TYPE:
        raise MaterialError(f"{source} has media type {media_type!r}; expected {TRUSTED_ROOT_MEDIA_TYPE}")
    lists = {}
    for name in ("tlogs", "ctlogs", "certificateAuthorities", "timestampAuthorities"):
        value = doc.get(name) or []
        if not isinstance(value, list):
            raise MaterialError(f"{source} {name} must be a list")
        lists[name] = value
    cas = []
    for n, raw in enumerate(lists["certificateAuthorities"]):
        what = f"{source} certificateAuthorities[{n}]"
        ca = _object(raw, what)
        chain = _object(_required(ca, "certChain", what), f"{what}.certChain").get("certificates") or []
        if not isinstance(chain, list) or not chain:
            raise MaterialError(f"{what} has no certificates")
        valid_for = _object(ca.get("validFor") or {}, f"{what}.validFor")
        cas.append(
            CertificateAuthority(
                certificates=[
                    b64decode_strict(_required(_object(c, what), "rawBytes", what), f"{what} rawBytes") for c in chain
                ],
                valid_from=_time(valid_for.get("start"), f"{what} validFor.start"),
                valid_until=_time(valid_for.get("end"), f"{what} validFor.end"),
            )
        )
    return TrustedRoot(
        source=source,
        tlogs=[_log_key(raw, f"{source} tlogs[{n}]") for n, raw in enumerate(lists["tlogs"])],
        ctlogs=[_log_key(raw, f"{source} ctlogs[{n}]") for n, raw in enumerate(lists["ctlogs"])],
        certificate_authorities=cas,
        timestamp_authorities=len(lists["timestampAuthorities"]),
    )
