# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Legacy keyless cosign --bundle material from a private Sigstore-like instance made here.

The real vectors (tests/unit/data/sigstore) cannot show what a verifier does with a signing
certificate that lacks code signing, carries no SCT, or several SCTs, or one from an RSA CT log:
nobody can issue such a certificate from the real Fulcio. So this file makes a small instance of
its own: a root CA, a CT log that signs embedded SCTs as RFC 6962 says, and the in-test Rekor-style
log of test_cosign_verify.py, all listed in a trusted root. One property of the signing certificate
changes per test; the happy case shows the instance itself verifies.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import test_cosign_verify as cv
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

verify = cv.verify
artifact = cv.artifact
no_network = cv.no_network

IDENTITY = "https://ci.example.invalid/release.yml@refs/heads/main"
ISSUER = "https://issuer.example.invalid"
SIGNED_AT = 1763900000  # the in-test log's integratedTime
OID_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


def _spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _der_utf8(text: str) -> bytes:
    raw = text.encode()
    return b"\x0c" + bytes([len(raw)]) + raw


class CtLog:
    """A certificate transparency log that signs SCTs for precertificates (RFC 6962, section 3.2)."""

    def __init__(self, key=None):
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        self.log_id = hashlib.sha256(_spki(self.key.public_key())).digest()

    def sct(self, tbs: bytes, issuer_key, extensions: bytes = b"", log_id=None, signer=None) -> bytes:
        """One TLS-encoded SCT over ``tbs``; ``log_id`` / ``signer`` claim another log or sign with another key."""
        millis = SIGNED_AT * 1000
        signed = (
            b"\x00\x00"
            + struct.pack(">Q", millis)
            + b"\x00\x01"
            + hashlib.sha256(_spki(issuer_key)).digest()
            + struct.pack(">I", len(tbs))[1:]
            + tbs
            + struct.pack(">H", len(extensions))
            + extensions
        )
        key = signer or self.key
        if isinstance(key, rsa.RSAPrivateKey):
            algorithms, signature = b"\x04\x01", key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            algorithms, signature = b"\x04\x03", key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return (
            b"\x00"
            + (log_id or self.log_id)
            + struct.pack(">Q", millis)
            + struct.pack(">H", len(extensions))
            + extensions
            + algorithms
            + struct.pack(">H", len(signature))
            + signature
        )

    def trusted_root_entry(self) -> dict:
        return {
            "baseUrl": "https://ct.example.invalid",
            "hashAlgorithm": "SHA2_256",
            "publicKey": {"rawBytes": base64.b64encode(_spki(self.key.public_key())).decode()},
            "logId": {"keyId": base64.b64encode(self.log_id).decode()},
        }


def _octet_string(content: bytes) -> bytes:
    n = len(content)
    length = (
        bytes([n])
        if n < 0x80
        else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    return b"\x04" + length + content


class Instance:
    """Root CA + CT log + Rekor-style log, and the trusted root that lists them."""

    def __init__(self, ct_logs=None):
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "private fulcio root")])
        start = datetime(2020, 1, 1, tzinfo=timezone.utc)
        self.ca = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.ca_key.public_key())
            .serial_number(1)
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.ca_key.public_key()), critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ct_logs = ct_logs or [CtLog()]
        self.rekor = cv.TestLog()

    def certificate(self, signer, scts=None, key_usage=True, code_signing=True, eku=True, serial=2, issuer=True):
        """A Fulcio-like signing certificate for ``signer``; ``scts(tbs, issuer_key)`` gives the SCT list."""
        when = datetime.fromtimestamp(SIGNED_AT, timezone.utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.ca.subject)
            .public_key(signer.public_key())
            .serial_number(serial)
            .not_valid_before(when - timedelta(minutes=1))
            .not_valid_after(when + timedelta(minutes=9))
            .add_extension(
                x509.KeyUsage(key_usage, False, not key_usage, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(IDENTITY)]), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()), critical=False)
        )
        if issuer:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(OID_ISSUER_V2, _der_utf8(ISSUER)), critical=False
            )
        if eku:
            usages = [ExtendedKeyUsageOID.CODE_SIGNING] if code_signing else [ExtendedKeyUsageOID.CLIENT_AUTH]
            builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        if scts is None:

            def scts(tbs, issuer_key):
                return [self.ct_logs[0].sct(tbs, issuer_key)]

        tbs = builder.sign(self.ca_key, hashes.SHA256()).tbs_certificate_bytes
        items = scts(tbs, self.ca_key.public_key())
        if items:
            tls = b"".join(struct.pack(">H", len(item)) + item for item in items)
            value = _octet_string(struct.pack(">H", len(tls)) + tls)
            builder = builder.add_extension(
                x509.UnrecognizedExtension(ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS, value), critical=False
            )
        return builder.sign(self.ca_key, hashes.SHA256())

    def trusted_root(self, tmp_path) -> str:
        path = Path(self.rekor.trusted_root(tmp_path))
        doc = json.loads(path.read_text())
        doc["ctlogs"] = [log.trusted_root_entry() for log in self.ct_logs]
        doc["certificateAuthorities"] = [
            {
                "certChain": {
                    "certificates": [
                        {"rawBytes": base64.b64encode(self.ca.public_bytes(serialization.Encoding.DER)).decode()}
                    ]
                },
                "validFor": {"start": "2020-01-01T00:00:00Z"},
            }
        ]
        path.write_text(json.dumps(doc))
        return str(path)

    def legacy_bundle(self, tmp_path, file_bytes: bytes, signer, cert, logged_cert=None) -> str:
        """A cosign --bundle for ``file_bytes`` signed by ``signer`` with ``cert``, logged with ``logged_cert``."""
        digest = hashlib.sha256(file_bytes).digest()
        signature = cv.sign_digest(signer, "sha256", digest)
        logged_pem = (logged_cert or cert).public_bytes(serialization.Encoding.PEM)
        entry = self.rekor.log(
            cv.hashedrekord("sha256", digest.hex(), signature, logged_pem), integrated_time=SIGNED_AT
        )
        doc = {
            "base64Signature": base64.b64encode(signature).decode(),
            "cert": base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode(),
            "rekorBundle": {
                "SignedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"],
                "Payload": {
                    "body": entry["canonicalizedBody"],
                    "integratedTime": SIGNED_AT,
                    "logIndex": int(entry["logIndex"]),
                    "logID": self.rekor.log_id.hex(),
                },
            },
        }
        path = tmp_path / "private.bundle.json"
        path.write_text(json.dumps(doc))
        return str(path)


def run(verify, tmp_path, artifact, instance, cert_options=None, logged_cert=None):
    """Verify a legacy keyless bundle of ``instance`` over ``artifact``; the certificate made with ``cert_options``."""
    signer = ec.generate_private_key(ec.SECP256R1())
    cert = instance.certificate(signer, **(cert_options or {}))
    logged = logged_cert(instance, signer) if logged_cert else None
    bundle = instance.legacy_bundle(tmp_path, artifact.read_bytes(), signer, cert, logged)
    return verify(
        path=str(artifact),
        bundle_path=bundle,
        trusted_root_path=instance.trusted_root(tmp_path),
        certificate_identity=IDENTITY,
        certificate_oidc_issuer=ISSUER,
    )


def refused(result, message):
    assert result.get("failed") is True, result
    assert result["verified"] is False
    assert re.fullmatch(message, result["msg"]), result["msg"]


def test_private_instance_legacy_keyless_bundle_verifies(verify, tmp_path, artifact):
    """The instance made here is a working one: its legacy keyless bundle verifies, signer reported."""
    result = run(verify, tmp_path, artifact, Instance())
    cv.assert_valid(result, artifact)
    assert result["signer"] == {"identity": IDENTITY, "issuer": ISSUER}
    assert result["tlog"]["inclusion_promise_verified"] is True


@pytest.mark.parametrize(
    "options",
    [{"code_signing": False}, {"key_usage": False}],
    ids=["no-code-signing-eku", "no-digital-signature-key-usage"],
)
def test_signing_certificate_must_be_for_code_signing(verify, tmp_path, artifact, options):
    """A certificate without the code-signing EKU, or without digitalSignature key usage, signs nothing here."""
    refused(
        run(verify, tmp_path, artifact, Instance(), options),
        r"signing certificate is not a code-signing certificate \(key usage / extended key usage\)",
    )


def test_signing_certificate_without_extended_key_usage_is_refused(verify, tmp_path, artifact):
    """A certificate with no extended key usage at all is refused, naming the missing extension."""
    result = run(verify, tmp_path, artifact, Instance(), {"eku": False})
    assert re.match(r"signing certificate lacks a required extension: ", result["msg"]), result["msg"]
    assert result["verified"] is False


def test_signing_certificate_without_sct_is_refused(verify, tmp_path, artifact):
    """A certificate that was never logged in certificate transparency is refused."""
    refused(
        run(verify, tmp_path, artifact, Instance(), {"scts": lambda tbs, key: []}),
        r"signing certificate has no embedded certificate transparency SCT",
    )


def test_any_verifying_sct_is_enough_after_ones_that_do_not(verify, tmp_path, artifact):
    """SCTs from unknown logs, from a log key type not used for SCTs, or with a bad signature are skipped."""
    good, ed_log = CtLog(), CtLog(key=ed25519.Ed25519PrivateKey.generate())
    instance = Instance(ct_logs=[good, ed_log])

    def scts(tbs, issuer_key):
        return [
            good.sct(tbs, issuer_key, log_id=b"\x07" * 32),  # a log the trusted root does not list
            good.sct(tbs, issuer_key, log_id=ed_log.log_id),  # a listed Ed25519 CT log
            good.sct(tbs, issuer_key, signer=ec.generate_private_key(ec.SECP256R1())),  # bad signature
            good.sct(tbs, issuer_key),
        ]

    cv.assert_valid(run(verify, tmp_path, artifact, instance, {"scts": scts}), artifact)


def test_no_sct_verifying_is_refused(verify, tmp_path, artifact):
    """SCTs that all fail to verify leave the certificate unlogged: refused."""
    good = CtLog()
    instance = Instance(ct_logs=[good])
    other = ec.generate_private_key(ec.SECP256R1())
    refused(
        run(verify, tmp_path, artifact, instance, {"scts": lambda tbs, key: [good.sct(tbs, key, signer=other)]}),
        r"no certificate transparency SCT in the signing certificate verifies with a CT log of trusted_root_path \S+",
    )


@pytest.mark.parametrize(
    "log, extensions",
    [
        (lambda: CtLog(key=rsa.generate_private_key(public_exponent=65537, key_size=2048)), b""),
        (CtLog, b"\x00" * 40000),
    ],
    ids=["rsa-ct-log", "sct-extensions-over-32k"],
)
def test_sct_from_rsa_log_or_with_large_extensions_verifies(verify, tmp_path, artifact, log, extensions):
    """An SCT signed by an RSA CT log, or carrying up to 64 KiB of extensions, verifies as RFC 6962 defines it."""
    ct = log()
    instance = Instance(ct_logs=[ct])
    options = {"scts": lambda tbs, key: [ct.sct(tbs, key, extensions=extensions)]}
    cv.assert_valid(run(verify, tmp_path, artifact, instance, options), artifact)


def test_entry_logging_another_certificate_for_the_same_key_is_refused(verify, tmp_path, artifact):
    """The log entry must record this very certificate, not another one issued for the same key."""
    result = run(
        verify,
        tmp_path,
        artifact,
        Instance(),
        logged_cert=lambda instance, signer: instance.certificate(signer, serial=3),
    )
    refused(
        result,
        r"transparency log entry is inconsistent with the other materials of bundle_path \S+: it records "
        r"a different certificate",
    )


def test_signing_certificate_without_oidc_issuer_is_refused(verify, tmp_path, artifact):
    """A certificate that names no OIDC issuer is not a Fulcio signing certificate: refused."""
    refused(
        run(verify, tmp_path, artifact, Instance(), {"issuer": False}),
        r"certificate has no OIDC issuer extension; it is not a Fulcio signing certificate",
    )


def test_detached_certificate_for_an_ed25519_key_is_refused_as_unsupported(verify, tmp_path, artifact):
    """A signing certificate for an Ed25519 key cannot verify a digest: refused, naming the certificate."""
    instance = Instance()
    cert = instance.certificate(ed25519.Ed25519PrivateKey.generate())
    cert_path = tmp_path / "signer.crt"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    sig_path = tmp_path / "app.sig"
    sig_path.write_text(base64.b64encode(b"\x01" * 64).decode())
    result = verify(
        path=str(artifact),
        signature_path=str(sig_path),
        certificate_path=str(cert_path),
        trusted_root_path=instance.trusted_root(tmp_path),
        certificate_identity=IDENTITY,
        certificate_oidc_issuer=ISSUER,
    )
    refused(
        result,
        rf"certificate_path {re.escape(str(cert_path))} is ed25519: unsupported, because ed25519 signs the whole file "
        r"and this module only has its digest \(the file stays on the target and is never copied back\); sign with "
        r"an ECDSA or RSA key, or verify with cosign where the file is",
    )
    assert result["public_key_type"] == "ed25519"
