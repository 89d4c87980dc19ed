# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side Cosign / Sigstore verification over a digest computed on a target.

The file never leaves the target: the module ``gosvc.hardening.cosign_verify`` hashes it
there and the action plugin of the same name verifies here, offline, against material
and trust roots read from the controller. Nothing in this file opens a network
connection: the trusted root is always given explicitly, never fetched through TUF.

Two engines:

* ``cryptography`` (what ansible-core itself needs): key-based signatures, key-based
  Sigstore bundles, old cosign ``--bundle`` documents (key-based and keyless), and all
  Rekor v1 transparency-log evidence they carry (Signed Entry Timestamp, Merkle
  inclusion proof, signed checkpoint, and the consistency of the hashedrekord entry
  with the digest, signature and key: the CVE-2022-36056 class).
* the ``sigstore`` library (optional, imported only when needed): keyless Sigstore
  bundles, through ``Verifier(trusted_root=...).verify_artifact`` with a prehashed input.

Usage::

    check = Verification(material, options)   # validates; raises VerifyError / MissingLibrary
    check.algorithms                          # digests the target must compute
    result = check.run(digests)               # {"sha256": "<hex>", ...}; raises VerifyError
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import struct
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, NamedTuple, Optional

from ansible_collections.gosvc.hardening.plugins.module_utils._sigstore_material import (
    DIGEST_ALGORITHMS,
    LEGACY_BUNDLE_VERSION,
    Checkpoint,
    Material,
    MaterialError,
    TlogEntry,
    TrustedRoot,
    inclusion_root,
    leaf_hash,
    log_key_time_problem,
    parse_checkpoint,
    parse_hashedrekord,
    pem_blocks,
    set_payload,
    unix_time,
    within,
)

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa, utils
except ImportError as exc:  # pragma: no cover - ansible-core itself depends on cryptography
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR: Optional[BaseException] = exc
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

#: Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"  # raw string, deprecated
OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"  # DER UTF8String
OID_OTHERNAME_USERNAME = "1.3.6.1.4.1.57264.1.7"

_KEY_DETAIL_HASHES = {
    "PKIX_ECDSA_P256_SHA_256": "sha256",
    "PKIX_ECDSA_P384_SHA_384": "sha384",
    "PKIX_ECDSA_P521_SHA_512": "sha512",
}
_CURVE_HASHES = {"secp256r1": "sha256", "secp384r1": "sha384", "secp521r1": "sha512"}

#: Smallest RSA modulus accepted for key-based verification (NIST SP 800-131A disallows smaller for signing).
MIN_RSA_BITS = 2048
#: ECDSA curves accepted for key-based verification: the NIST curves cosign and Sigstore use.
KEY_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
_STRONG_KEY_FIX = f"use an RSA key of {MIN_RSA_BITS} bits or more, or ECDSA P-256 (cosign generate-key-pair)"


class VerifyError(Exception):
    """Verification did not succeed; ``facts`` hold what a person needs to act."""

    def __init__(self, msg: str, **facts: Any):
        super().__init__(msg)
        self.msg = msg
        self.facts = facts


class MissingLibrary(Exception):
    """An optional controller library is needed; the action turns it into missing_required_lib."""

    def __init__(self, library: str, reason: str, error: Optional[BaseException] = None):
        super().__init__(f"{library} is required {reason}")
        self.library = library
        self.reason = reason
        self.error = error


class Options(NamedTuple):
    """User options, already read from the controller (file contents, not paths)."""

    public_key_pem: Optional[bytes] = None
    public_key_source: str = "public_key"
    certificate_pem: Optional[bytes] = None
    certificate_source: str = "certificate"
    identity: Optional[str] = None
    identity_regexp: Optional[str] = None
    issuer: Optional[str] = None
    issuer_regexp: Optional[str] = None
    trusted_root: Optional[TrustedRoot] = None
    trusted_root_path: Optional[str] = None
    require_tlog: bool = True
    signature_digest_algorithm: str = "auto"


def _hash(name: str):
    return {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}[name]()


def _within(when: datetime, start: Optional[str], end: Optional[str]) -> bool:
    try:
        return within(when, start, end)
    except MaterialError as exc:
        raise VerifyError(f"trusted root validity window: {exc}") from None


def key_type(key: Any) -> str:
    """A short name for a public key: ecdsa-p256, rsa-3072, ed25519 ..."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"secp256r1": "ecdsa-p256", "secp384r1": "ecdsa-p384", "secp521r1": "ecdsa-p521"}.get(
            key.curve.name, f"ecdsa-{key.curve.name}"
        )
    if isinstance(key, rsa.RSAPublicKey):
        return f"rsa-{key.key_size}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "ed448"
    return type(key).__name__


def _spki(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(pem: bytes, source: str) -> Any:
    """A PEM ``PUBLIC KEY``; a certificate or private key is refused with the fix."""
    blocks = pem_blocks(pem)
    if blocks and blocks[0][0] == "CERTIFICATE":
        raise VerifyError(f"{source} holds a certificate, not a public key; pass it as certificate_path instead")
    if blocks and "PRIVATE" in blocks[0][0]:
        raise VerifyError(f"{source} holds a PRIVATE key; give the public key (cosign public-key --key ...)")
    try:
        return serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise VerifyError(f"cannot parse {source} as a PEM public key: {exc}") from None


def load_certificate(data: bytes, source: str, der: bool = False) -> Any:
    try:
        return x509.load_der_x509_certificate(data) if der else x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise VerifyError(f"cannot parse {source} as an X.509 certificate: {exc}") from None


def weak_key_error(key: Any, where: str) -> Optional[VerifyError]:
    """The error for a key too weak to trust (RSA under 2048 bits, a non-NIST curve), or None."""
    kind = key_type(key)
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        return VerifyError(
            f"{where} is a {key.key_size}-bit RSA key: keys under {MIN_RSA_BITS} bits are too weak to trust a "
            f"signature to; {_STRONG_KEY_FIX}",
            public_key_type=kind,
        )
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name not in KEY_CURVES:
        return VerifyError(
            f"{where} is an ECDSA key on curve {key.curve.name} ({key.curve.key_size} bits): only "
            f"{', '.join(KEY_CURVES.values())} are accepted; {_STRONG_KEY_FIX}",
            public_key_type=kind,
        )
    return None


def _unsupported_key(key: Any, where: str) -> VerifyError:
    kind = key_type(key)
    if kind in ("ed25519", "ed448"):
        return VerifyError(
            f"{where} is {kind}: unsupported, because {kind} signs the whole file and this module only has its "
            "digest (the file stays on the target and is never copied back); sign with an ECDSA or RSA key, "
            "or verify with cosign where the file is",
            public_key_type=kind,
        )
    return VerifyError(f"{where} is a {kind} key, which cosign blob signatures do not use", public_key_type=kind)


def signature_matches(key: Any, signature: bytes, algorithm: str, digest: bytes, where: str) -> bool:
    """Whether ``signature`` is ``key``'s signature over the ``algorithm`` digest ``digest``."""
    prehashed = utils.Prehashed(_hash(algorithm))
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, digest, ec.ECDSA(prehashed))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        else:
            raise _unsupported_key(key, where)
    except InvalidSignature:
        return False
    return True


def _verify_log_signature(log_key: Any, key_details: str, signature: bytes, data: bytes) -> bool:
    """A Rekor / CT log signature over ``data`` (not prehashed)."""
    try:
        if isinstance(log_key, ec.EllipticCurvePublicKey):
            algorithm = _KEY_DETAIL_HASHES.get(key_details) or _CURVE_HASHES.get(log_key.curve.name, "sha256")
            log_key.verify(signature, data, ec.ECDSA(_hash(algorithm)))
        elif isinstance(log_key, rsa.RSAPublicKey):
            log_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(log_key, ed25519.Ed25519PublicKey):
            log_key.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _der_utf8(value: bytes) -> str:
    """Decode a DER UTF8String (tag 0x0C)."""
    if len(value) < 2 or value[0] != 0x0C:
        raise VerifyError("certificate extension is not a DER UTF8String")
    length, offset = value[1], 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(value[2 : 2 + count], "big")
        offset = 2 + count
    if offset + length != len(value):
        raise VerifyError("certificate extension has a bad DER length")
    return _utf8(value[offset:])


def _utf8(raw: bytes, what: str = "certificate extension") -> str:
    """The text of a certificate extension; VerifyError when it is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerifyError(f"{what} is not UTF-8 text: {exc}") from None


def certificate_signer(cert: Any) -> Dict[str, Any]:
    """Identities (SANs) and OIDC issuer a Fulcio certificate was issued for."""
    identities: List[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        identities += san.get_values_for_type(x509.UniformResourceIdentifier)
        identities += san.get_values_for_type(x509.RFC822Name)
        for other in san.get_values_for_type(x509.OtherName):
            if other.type_id.dotted_string == OID_OTHERNAME_USERNAME:
                identities.append(_der_utf8(other.value))
    issuers = {}
    for oid in (OID_ISSUER_V2, OID_ISSUER_V1):
        try:
            raw = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid)).value.value
        except x509.ExtensionNotFound:
            continue
        issuers[oid] = (
            _der_utf8(raw) if oid == OID_ISSUER_V2 else _utf8(raw, f"certificate extension {oid} (OIDC issuer)")
        )
    if len(set(issuers.values())) > 1:
        raise VerifyError(f"certificate names two different OIDC issuers: {sorted(issuers.values())}")
    issuer = next(iter(issuers.values()), None)
    return {"identity": identities[0] if identities else None, "identities": identities, "issuer": issuer}


class IdentityPolicy:
    """Exact or regexp (full match) identity AND issuer; usable as a sigstore VerificationPolicy."""

    def __init__(self, options: Options):
        self.options = options
        self.identity_re = _compile(options.identity_regexp, "certificate_identity_regexp")
        self.issuer_re = _compile(options.issuer_regexp, "certificate_oidc_issuer_regexp")
        self.signer: Optional[Dict[str, Any]] = None

    def verify(self, cert: Any) -> None:
        signer = certificate_signer(cert)
        o = self.options
        if o.identity is not None:
            matched = [i for i in signer["identities"] if i == o.identity]
        else:
            matched = [i for i in signer["identities"] if self.identity_re.fullmatch(i)]
        if not matched:
            wanted = o.identity if o.identity is not None else f"regexp {o.identity_regexp}"
            raise VerifyError(
                f"certificate identity {signer['identities']} does not match {wanted}",
                signer={"identity": signer["identity"], "issuer": signer["issuer"]},
            )
        issuer = signer["issuer"]
        if issuer is None:
            raise VerifyError("certificate has no OIDC issuer extension; it is not a Fulcio signing certificate")
        ok = issuer == o.issuer if o.issuer is not None else bool(self.issuer_re.fullmatch(issuer))
        if not ok:
            wanted = o.issuer if o.issuer is not None else f"regexp {o.issuer_regexp}"
            raise VerifyError(
                f"certificate OIDC issuer {issuer!r} does not match {wanted}",
                signer={"identity": matched[0], "issuer": issuer},
            )
        self.signer = {"identity": matched[0], "issuer": issuer}


def _compile(pattern: Optional[str], option: str):
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise VerifyError(f"{option} {pattern!r} is not a valid regular expression: {exc}") from None


def _sigstore():
    """The sigstore library parts the keyless path uses."""
    try:
        from sigstore.hashes import Hashed
        from sigstore.models import Bundle
        from sigstore.models import TrustedRoot as SigstoreTrustedRoot
        from sigstore.verify import Verifier

        try:
            from sigstore_models.common.v1 import HashAlgorithm
        except ImportError:  # sigstore 3.x
            from sigstore_protobuf_specs.dev.sigstore.common.v1 import HashAlgorithm
    except ImportError as exc:
        raise MissingLibrary("sigstore", "on the controller to verify keyless Sigstore bundles", exc) from None
    return Hashed, Bundle, SigstoreTrustedRoot, Verifier, HashAlgorithm


class _LibraryWarnings(logging.Handler):
    """Collect what a library logs at WARNING and above into ``sink`` instead of stderr."""

    def __init__(self, name: str, sink: List[str]):
        super().__init__(logging.WARNING)
        self.logger = logging.getLogger(name)
        self.sink = sink
        self.saved_propagate = True

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(f"{self.logger.name}: {record.getMessage()}")

    def __enter__(self):
        self.saved_propagate, self.logger.propagate = self.logger.propagate, False
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc_info):
        self.logger.removeHandler(self)
        self.logger.propagate = self.saved_propagate
        return False


class Verification:
    """Plan and run one verification; see the module docstring."""

    def __init__(self, material: Material, options: Options):
        if not HAS_CRYPTOGRAPHY:
            raise MissingLibrary("cryptography", "on the controller", CRYPTOGRAPHY_IMPORT_ERROR)
        self.material = material
        self.options = options
        self.warnings: List[str] = []
        self.key = None
        self.certificate = None
        self.policy: Optional[IdentityPolicy] = None
        self.method = self._choose_method()
        if self.method == "keyless":
            self._require_identity()
            self.policy = IdentityPolicy(options)
        elif any(
            v is not None for v in (options.identity, options.identity_regexp, options.issuer, options.issuer_regexp)
        ):
            raise VerifyError(
                "certificate_identity / certificate_oidc_issuer (and their _regexp forms) apply to keyless material; "
                f"{material.source} is verified with {options.public_key_source}, so drop them"
            )
        self.entry = self._single_entry()
        self.record = self._hashedrekord()
        self.algorithms_to_try = self._signature_algorithms()
        self._require_trusted_root()
        if self.method == "key" and options.require_tlog:
            self._require_tlog_entry()
        if self.method == "keyless" and material.form == "bundle":
            _sigstore()  # fail now, before the target is touched, when the library is missing

    # -- planning ---------------------------------------------------------------------------

    def _choose_method(self) -> str:
        m, o = self.material, self.options
        if o.certificate_pem is not None:
            if m.form != "signature":
                raise VerifyError(
                    f"certificate applies to a bare signature; {m.source} carries its own verification material"
                )
            self.certificate = load_certificate(o.certificate_pem, o.certificate_source)
            return "keyless"
        if m.form == "bundle" and m.public_key_hint is not None and o.public_key_pem is None:
            raise VerifyError(
                f"{m.source} was signed with a key (publicKey hint {m.public_key_hint!r}) and carries no "
                "certificate; give public_key or public_key_path to verify it"
            )
        if o.public_key_pem is not None:
            if m.certificate_der is not None:
                raise VerifyError(
                    f"{m.source} carries a signing certificate (keyless), but public_key was given; drop public_key "
                    "and set certificate_identity and certificate_oidc_issuer instead"
                )
            self.key = load_public_key(o.public_key_pem, o.public_key_source)
            if not isinstance(self.key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
                raise _unsupported_key(self.key, o.public_key_source)
            weak = weak_key_error(self.key, o.public_key_source)
            if weak is not None:
                raise weak
            return "key"
        if m.certificate_der is not None:
            self.certificate = load_certificate(m.certificate_der, f"{m.source} signing certificate", der=True)
            return "keyless"
        raise VerifyError(
            f"{m.source} names no signer: give public_key / public_key_path for a key-based signature, or "
            "verify a keyless bundle (one that carries a certificate)"
        )

    def _require_identity(self) -> None:
        o = self.options
        has_identity = o.identity is not None or o.identity_regexp is not None
        has_issuer = o.issuer is not None or o.issuer_regexp is not None
        if not (has_identity and has_issuer):
            raise VerifyError(
                "keyless verification needs both certificate_identity (or certificate_identity_regexp) and "
                "certificate_oidc_issuer (or certificate_oidc_issuer_regexp): without both, any Sigstore user's "
                "signature would be accepted",
                missing=[
                    name
                    for name, present in (
                        ("certificate_identity", has_identity),
                        ("certificate_oidc_issuer", has_issuer),
                    )
                    if not present
                ],
            )

    def _single_entry(self) -> Optional[TlogEntry]:
        entries = self.material.tlog_entries
        if len(entries) > 1:
            raise VerifyError(f"{self.material.source} carries {len(entries)} transparency log entries; expected one")
        return entries[0] if entries else None

    def _hashedrekord(self):
        entry = self.entry
        if entry is None or (entry.kind, entry.version) != ("hashedrekord", "0.0.1"):
            return None
        try:
            return parse_hashedrekord(entry.body)
        except MaterialError as exc:
            raise VerifyError(f"{self.material.source}: {exc}") from None

    def _signature_algorithms(self) -> List[str]:
        """Digest algorithms to check the signature with: as the material says, never from the curve."""
        m, o = self.material, self.options
        stated = {}
        if m.message_digest is not None:
            stated["messageDigest"] = m.message_digest[0]
        if self.record is not None:
            stated["transparency log entry"] = self.record.algorithm
        if len(set(stated.values())) > 1:
            raise VerifyError(f"{m.source} is inconsistent about the digest algorithm: {stated}")
        choice = o.signature_digest_algorithm
        if not stated and self.method == "keyless" and m.form == "bundle":
            if choice not in ("auto", "sha256"):
                raise VerifyError(
                    f"signature_digest_algorithm is {choice} but {m.source} is a keyless bundle that states no "
                    "digest algorithm, and those are verified over sha256 only; leave signature_digest_algorithm "
                    "at auto"
                )
            return ["sha256"]
        if stated:
            algorithm = next(iter(stated.values()))
            if choice not in ("auto", algorithm):
                raise VerifyError(
                    f"signature_digest_algorithm is {choice} but {m.source} records {algorithm}; "
                    "leave signature_digest_algorithm at auto"
                )
            return [algorithm]
        if choice != "auto":
            return [choice]
        # A bare signature records no algorithm. cosign signed with SHA-256 for every key type
        # before v2.6; since then it uses the key's conventional hash (SHA-384 for P-384 ...).
        key = self.key if self.key is not None else self.certificate.public_key()
        candidates = ["sha256"]
        if isinstance(key, ec.EllipticCurvePublicKey):
            conventional = _CURVE_HASHES.get(key.curve.name)
            if conventional and conventional not in candidates:
                candidates.append(conventional)
        return candidates

    def _require_trusted_root(self) -> None:
        needs = self.method == "keyless" or (self.options.require_tlog and self.material.form != "signature")
        if needs and self.options.trusted_root is None:
            why = "keyless verification" if self.method == "keyless" else "checking transparency log evidence"
            raise VerifyError(
                f"trusted_root_path is required for {why}: give the controller path of a Sigstore trusted_root.json "
                "(public-good instance: the trusted_root.json that tuf-repo-cdn.sigstore.dev distributes through "
                "TUF; private instance: `cosign trusted-root create`); this module never fetches it"
            )

    def _require_tlog_entry(self) -> None:
        m = self.material
        if self.entry is not None:
            return
        if m.form == "signature":
            raise VerifyError(
                f"{m.source} is a bare signature: it carries no transparency log evidence and this module never "
                "queries Rekor; verify the bundle instead (cosign sign-blob --bundle), or set require_tlog: "
                "false to accept a signature that was never logged (reported in the result)"
            )
        raise VerifyError(
            f"{m.source} carries no transparency log entry (signed with tlog upload disabled?); set "
            "require_tlog: false to accept that explicitly"
        )

    @property
    def algorithms(self) -> List[str]:
        """Digests the target must compute (sha256 always, for the result)."""
        return [a for a in DIGEST_ALGORITHMS if a == "sha256" or a in self.algorithms_to_try]

    # -- running ----------------------------------------------------------------------------

    def run(self, digests: Dict[str, str]) -> Dict[str, Any]:
        m = self.material
        result: Dict[str, Any] = {
            "method": self.method,
            "material": m.form,
            "bundle_media_type": m.media_type,
            "bundle_version": m.bundle_version,
            "signer": None,
            "public_key_type": key_type(self.key) if self.key is not None else None,
            "tlog_required": bool(self.options.require_tlog),
            "tlog_verified": False,
            "tlog": {"verified": False, "required": bool(self.options.require_tlog)},
        }
        if self.entry is not None:
            result["tlog"].update(self.entry.facts())
        try:
            if self.method == "key":
                self._run_key(digests, result)
            elif m.form == "bundle":
                self._run_keyless_bundle(digests, result)
            elif m.form == "legacy_bundle":
                self._run_keyless_legacy(digests, result)
            else:
                self._run_keyless_detached(digests, result)
        except VerifyError as exc:
            exc.facts = {**result, **exc.facts, "verified": False}
            if self.warnings:
                exc.facts["warnings"] = list(self.warnings)
            raise
        result["tlog_verified"] = result["tlog"]["verified"]
        if not self.options.require_tlog:
            if result["tlog_verified"]:
                self.warnings.append(
                    "require_tlog is false, but keyless verification always checks the transparency log "
                    "(it is the trusted signing time); it was checked and passed"
                )
            else:
                self.warnings.append(
                    "require_tlog is false: transparency log evidence was NOT checked; the signature proves "
                    "possession of the key, not that the signing was publicly logged"
                )
        result["verified"] = True
        result["warnings"] = list(self.warnings)
        return result

    def _digest(self, digests: Dict[str, str], algorithm: str) -> bytes:
        try:
            return bytes.fromhex(digests[algorithm])
        except (KeyError, TypeError, ValueError):
            raise VerifyError(f"the target returned no usable {algorithm} digest") from None

    def _check_message_digest(self, digests: Dict[str, str]) -> None:
        md = self.material.message_digest
        if md is not None and not hmac.compare_digest(md[1], self._digest(digests, md[0])):
            raise VerifyError(
                f"{self.material.source} messageDigest {md[0]}:{md[1].hex()} does not match the file "
                f"({md[0]}:{digests.get(md[0])}): the file is not the one that was signed",
                expected_digest=f"{md[0]}:{md[1].hex()}",
            )

    def _check_signature(self, key: Any, digests: Dict[str, str], where: str) -> str:
        """Verify the signature over the digest; return the algorithm that verified."""
        for algorithm in self.algorithms_to_try:
            if signature_matches(key, self.material.signature, algorithm, self._digest(digests, algorithm), where):
                return algorithm
        tried = ", ".join(self.algorithms_to_try)
        raise VerifyError(
            f"signature in {self.material.source} does not match the file: it does not verify with {where} "
            f"over the file's {tried} digest (wrong key, or the file or signature was altered)"
        )

    def _run_key(self, digests: Dict[str, str], result: Dict[str, Any]) -> None:
        o = self.options
        check_tlog = o.require_tlog
        self._check_message_digest(digests)
        algorithm = self._check_signature(self.key, digests, o.public_key_source)
        result["signature_digest_algorithm"] = algorithm
        if check_tlog:
            self._verify_tlog(result)
            self._check_consistency(algorithm, digests, key=self.key)

    def _run_keyless_bundle(self, digests: Dict[str, str], result: Dict[str, Any]) -> None:
        Hashed, Bundle, SigstoreTrustedRoot, Verifier, HashAlgorithm = _sigstore()
        m = self.material
        algorithm = self.algorithms_to_try[0]
        if algorithm != "sha256":
            raise VerifyError(f"{m.source} records a {algorithm} digest; keyless bundles are verified over sha256 only")
        digest = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=self._digest(digests, "sha256"))
        try:
            with _LibraryWarnings("sigstore", self.warnings):
                bundle = Bundle.from_json(m.document)
                verifier = Verifier(trusted_root=SigstoreTrustedRoot.from_file(self.options.trusted_root_path))
                verifier.verify_artifact(digest, bundle, self.policy)
        except VerifyError:
            raise
        except Exception as exc:  # the library raises several types; any of them means "not verified"
            detail = str(exc).strip() or type(exc).__name__
            raise VerifyError(f"keyless verification of {m.source} failed: {detail}") from None
        result["signature_digest_algorithm"] = algorithm
        result["signer"] = self.policy.signer
        # sigstore-python requires an inclusion proof with checkpoint and checks the promise when present.
        result["tlog"].update(
            {
                "verified": True,
                "inclusion_proof_verified": True,
                "inclusion_promise_verified": self.entry.signed_entry_timestamp is not None,
            }
        )

    def _run_keyless_legacy(self, digests: Dict[str, str], result: Dict[str, Any]) -> None:
        m = self.material
        if self.entry is None or self.entry.signed_entry_timestamp is None:
            raise VerifyError(
                f"{m.source} has no rekorBundle: without the transparency log's signed entry timestamp there is no "
                "trusted signing time for the short-lived certificate"
            )
        self._verify_tlog(result)
        when = unix_time(self.entry.integrated_time)
        chain = self._verify_chain(self.certificate, when)
        self._verify_sct(self.certificate, chain[1])
        self._check_code_signing(self.certificate)
        self.policy.verify(self.certificate)
        algorithm = self._check_signature(self.certificate.public_key(), digests, "the signing certificate")
        self._check_consistency(algorithm, digests, certificate=self.certificate)
        result["signature_digest_algorithm"] = algorithm
        result["signer"] = self.policy.signer

    def _run_keyless_detached(self, digests: Dict[str, str], result: Dict[str, Any]) -> None:
        algorithm = self._check_signature(self.certificate.public_key(), digests, self.options.certificate_source)
        raise VerifyError(
            "cannot establish tlog inclusion offline: a detached signature and certificate carry no transparency "
            "log entry, and without it the short-lived certificate has no trusted signing time (this module never "
            "queries Rekor); sign with cosign sign-blob --bundle and pass bundle_path",
            signature_digest_algorithm=algorithm,
        )

    # -- transparency log -------------------------------------------------------------------

    def _verify_tlog(self, result: Dict[str, Any]) -> None:
        """Verify inclusion proof + checkpoint and/or the Signed Entry Timestamp of the entry."""
        entry, m = self.entry, self.material
        root = self.options.trusted_root
        log = root.tlog(entry.log_id)
        if log is None:
            raise VerifyError(
                f"the transparency log entry in {m.source} comes from log {entry.log_id.hex()}, which "
                f"{root.source} does not list: it was made on another Sigstore instance, or the trusted root is "
                "out of date"
            )
        try:
            log_key = serialization.load_der_public_key(log.raw_bytes)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise VerifyError(f"{root.source}: the key of log {entry.log_id.hex()} cannot be loaded: {exc}") from None
        if (entry.kind, entry.version) != ("hashedrekord", "0.0.1"):
            raise VerifyError(
                f"{m.source} holds a {entry.kind}/{entry.version} log entry; this verifier checks hashedrekord/0.0.1 "
                "(Rekor v1) entries for key-based and legacy material"
            )
        checkpoint = self._verify_inclusion_proof(entry, log_key, log.key_details)
        proof_ok = checkpoint is not None
        promise_ok = self._verify_promise(entry, log_key, log)
        needs_promise = m.bundle_version in ("0.1", LEGACY_BUNDLE_VERSION)
        if needs_promise and not promise_ok:
            raise VerifyError(
                f"{m.source} has no inclusion promise (signed entry timestamp), which its format requires"
            )
        if not needs_promise and not proof_ok:
            raise VerifyError(f"{m.source} has no inclusion proof with a checkpoint, which bundle v0.2+ requires")
        # Whichever evidence was accepted, the log key must have been valid when the entry was logged.
        try:
            problem = log_key_time_problem(log, entry, checkpoint)
        except MaterialError as exc:
            raise VerifyError(f"{root.source}: {exc}") from None
        if problem is not None:
            raise VerifyError(f"{problem}; {m.source} cannot be trusted with this log key")
        result["tlog"].update(
            {"verified": True, "inclusion_proof_verified": proof_ok, "inclusion_promise_verified": promise_ok}
        )

    def _verify_inclusion_proof(self, entry: TlogEntry, log_key: Any, key_details: str) -> Optional[Checkpoint]:
        """The verified checkpoint the entry's inclusion proof leads to; None when there is no such proof."""
        proof = entry.inclusion_proof
        if proof is None:
            return None
        if proof.checkpoint is None:
            if self.material.bundle_version == "0.1":
                return None  # v0.1 bundles may carry a proof without checkpoint; it proves nothing alone
            raise VerifyError(f"{self.material.source}: the inclusion proof has no checkpoint")
        try:
            root_hash = inclusion_root(proof.log_index, proof.tree_size, leaf_hash(entry.body), proof.hashes)
            checkpoint = parse_checkpoint(proof.checkpoint)
        except MaterialError as exc:
            raise VerifyError(f"invalid inclusion proof in {self.material.source}: {exc}") from None
        if not hmac.compare_digest(root_hash, proof.root_hash):
            raise VerifyError(
                f"invalid inclusion proof in {self.material.source}: it leads to root hash {root_hash.hex()}, "
                f"not to the stated {proof.root_hash.hex()}"
            )
        if checkpoint.tree_size != proof.tree_size or not hmac.compare_digest(checkpoint.root_hash, proof.root_hash):
            raise VerifyError(
                f"checkpoint in {self.material.source} is for tree size {checkpoint.tree_size} root "
                f"{checkpoint.root_hash.hex()}, not for the inclusion proof's size {proof.tree_size} root "
                f"{proof.root_hash.hex()}"
            )
        hint = entry.log_id[:4]
        for _name, key_hint, signature in checkpoint.signatures:
            if key_hint == hint and _verify_log_signature(log_key, key_details, signature, checkpoint.signed_text):
                return checkpoint
        raise VerifyError(f"checkpoint in {self.material.source} is not signed by log {entry.log_id.hex()}")

    def _verify_promise(self, entry: TlogEntry, log_key: Any, log) -> bool:
        if entry.signed_entry_timestamp is None or entry.integrated_time is None:
            return False
        if not _verify_log_signature(log_key, log.key_details, entry.signed_entry_timestamp, set_payload(entry)):
            raise VerifyError(
                f"the signed entry timestamp (inclusion promise) in {self.material.source} does not verify with "
                f"the key of log {entry.log_id.hex()}"
            )
        return True

    def _check_consistency(self, algorithm: str, digests: Dict[str, str], key: Any = None, certificate: Any = None):
        """The hashedrekord entry must record this digest, this signature and this key or certificate."""
        rec, m = self.record, self.material
        if rec is None:
            raise VerifyError(f"{m.source}: the log entry is not a hashedrekord/0.0.1 entry")
        problems = []
        # The signature check before this one needed the digest, so digests holds ``algorithm``.
        if rec.algorithm != algorithm or not hmac.compare_digest(rec.digest, digests[algorithm]):
            problems.append(f"digest {rec.algorithm}:{rec.digest} (file: {algorithm}:{digests.get(algorithm)})")
        if not hmac.compare_digest(rec.signature, m.signature):
            problems.append("a different signature")
        blocks = pem_blocks(rec.verifier_pem) if rec.verifier_pem.lstrip().startswith(b"-----") else []
        label, der = blocks[0] if blocks else (None, b"")
        if key is not None:
            if label != "PUBLIC KEY" or not hmac.compare_digest(der, _spki(key)):
                problems.append("a different public key")
        elif label != "CERTIFICATE" or not hmac.compare_digest(
            der, certificate.public_bytes(serialization.Encoding.DER)
        ):
            problems.append("a different certificate")
        if problems:
            raise VerifyError(
                f"transparency log entry is inconsistent with the other materials of {m.source}: it records "
                + "; ".join(problems)
            )

    # -- certificates (legacy keyless) ---------------------------------------------------------

    def _verify_chain(self, cert: Any, when: datetime) -> List[Any]:
        from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store
        from cryptography.x509.verification import VerificationError as ChainError

        anchors = []
        for ca in self.options.trusted_root.certificate_authorities:
            if _within(when, ca.valid_from, ca.valid_until):
                anchors += [load_certificate(der, "trusted root certificate", der=True) for der in ca.certificates]
        if not anchors:
            raise VerifyError(
                f"{self.options.trusted_root.source} has no certificate authority valid at {when.isoformat()}"
            )
        # Fulcio certificates carry the code-signing EKU, which the default client profile rejects.
        ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
            x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
        )
        ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
            x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
        )
        verifier = (
            PolicyBuilder()
            .store(Store(anchors))
            .time(when)
            .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
            .build_client_verifier()
        )
        try:
            chain = verifier.verify(cert, []).chain
        except (ChainError, x509.UnsupportedGeneralNameType) as exc:
            raise VerifyError(
                f"signing certificate does not chain to {self.options.trusted_root.source} at the signing time "
                f"{when.isoformat()}: {exc}"
            ) from None
        if len(chain) < 2:
            raise VerifyError("signing certificate is itself a trust anchor; refusing it")
        return chain

    def _verify_sct(self, cert: Any, issuer: Any) -> None:
        """An embedded SCT from a CT log of the trusted root must sign this precertificate."""
        try:
            scts = cert.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps).value
        except x509.ExtensionNotFound:
            raise VerifyError("signing certificate has no embedded certificate transparency SCT") from None
        issuer_key_hash = hashlib.sha256(_spki(issuer.public_key())).digest()
        tbs = cert.tbs_precertificate_bytes
        epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
        for sct in scts:
            log = next((k for k in self.options.trusted_root.ctlogs if k.key_id == sct.log_id), None)
            if log is None or sct.entry_type != x509.certificate_transparency.LogEntryType.PRE_CERTIFICATE:
                continue
            stamp = sct.timestamp if sct.timestamp.tzinfo else sct.timestamp.replace(tzinfo=timezone.utc)
            millis = (stamp - epoch) // timedelta(milliseconds=1)
            signed = (
                b"\x00\x00"
                + struct.pack(">Q", millis)
                + b"\x00\x01"
                + issuer_key_hash
                + struct.pack(">I", len(tbs))[1:]
                + tbs
                + struct.pack(">H", len(sct.extension_bytes))
                + sct.extension_bytes
            )
            try:
                log_key = serialization.load_der_public_key(log.raw_bytes)
                if isinstance(log_key, ec.EllipticCurvePublicKey):
                    log_key.verify(sct.signature, signed, ec.ECDSA(sct.signature_hash_algorithm))
                elif isinstance(log_key, rsa.RSAPublicKey):
                    log_key.verify(sct.signature, signed, padding.PKCS1v15(), sct.signature_hash_algorithm)
                else:
                    continue
            except (InvalidSignature, ValueError, UnsupportedAlgorithm):
                continue
            return
        raise VerifyError(
            f"no certificate transparency SCT in the signing certificate verifies with a CT log of "
            f"{self.options.trusted_root.source}"
        )

    @staticmethod
    def _check_code_signing(cert: Any) -> None:
        try:
            usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
            extended = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound as exc:
            raise VerifyError(f"signing certificate lacks a required extension: {exc}") from None
        if not usage.digital_signature or x509.oid.ExtendedKeyUsageOID.CODE_SIGNING not in extended:
            raise VerifyError("signing certificate is not a code-signing certificate (key usage / extended key usage)")
