# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cosign_verify refuses with the reason and the fix: one changed field of real or generated material each.

The same harness as test_cosign_verify.py (its ``verify`` fixture runs the real action plugin with
the real module as the target, network blocked). Material: the sigstore-conformance vectors of
tests/unit/data/sigstore (ORIGINS.md there), trusted roots edited here one field at a time, and
key-based bundles logged in the in-test Rekor-style log of test_cosign_verify.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from pathlib import Path

import pytest
import test_cosign_verify as cv
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

# The fixtures of test_cosign_verify.py: the action plugin harness, the generated keys, no network.
verify = cv.verify
keys = cv.keys
artifact = cv.artifact
no_network = cv.no_network

LEGACY_SIGNED_AT = "2023-07-12T15:56:36+00:00"  # integratedTime of conformance happy-path-v0.1


def full(result, message):
    """The task failed and its whole message is ``message`` (a regexp): the reason and the fix."""
    assert result.get("failed") is True, result
    assert result["verified"] is False
    assert re.fullmatch(message, result["msg"]), result["msg"]


def legacy_keyless(tmp_path, root=None, artifact_rel=None):
    """Arguments for the old cosign --bundle layout of conformance happy-path-v0.1 (keyless, production root),
    with ``root`` (an edit of the production trusted root document) as the trusted root when given."""
    args = cv.conformance_case("happy-path-v0.1")
    args["bundle_path"] = cv.legacy_bundle(tmp_path, args["bundle_path"])
    if root is not None:
        path = tmp_path / "edited.trusted_root.json"
        path.write_text(json.dumps(root))
        args["trusted_root_path"] = str(path)
    if artifact_rel is not None:
        args["artifact"] = cv.v(artifact_rel)
    return args


def production_root():
    return json.loads(Path(cv.v("trust/production.trusted_root.json")).read_text())


def leaf_der():
    doc = json.loads(Path(cv.v("conformance/happy-path-v0.1/bundle.sigstore.json")).read_text())
    return doc["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"]


def logged(verify, tmp_path, log, key, file_path, **changes):
    """Verify a generated key-based bundle for ``file_path`` logged in ``log`` (make_bundle ``changes``)."""
    bundle, pub = cv.make_bundle(tmp_path, log, key, "sha256", file_path.read_bytes(), **changes)
    return verify(
        path=str(file_path), bundle_path=bundle, public_key_path=pub, trusted_root_path=log.trusted_root(tmp_path)
    )


# -- key types ----------------------------------------------------------------------------------


def _bare_with_key(tmp_path, private_key):
    sig = tmp_path / "app.sig"
    sig.write_text(base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode())
    pub = tmp_path / "cosign.pub"
    pub.write_bytes(cv._pem(private_key))
    return str(sig), str(pub)


def test_ed448_key_is_refused_with_the_reason_and_the_fix(verify, tmp_path, artifact):
    """An Ed448 key signs whole files, never a digest: refused, saying to sign with ECDSA/RSA or verify in place."""
    sig, pub = _bare_with_key(tmp_path, ed448.Ed448PrivateKey.generate())
    result = verify(path=str(artifact), signature_path=sig, public_key_path=pub, require_tlog=False)
    full(
        result,
        rf"public_key_path {re.escape(pub)} is ed448: unsupported, because ed448 signs the whole file and this module "
        r"only has its digest \(the file stays on the target and is never copied back\); sign with an ECDSA or RSA "
        r"key, or verify with cosign where the file is",
    )
    assert result["public_key_type"] == "ed448"
    assert result["_calls"] == []


def test_dsa_key_is_refused_as_a_key_cosign_does_not_use(verify, tmp_path, artifact):
    """A key type cosign never signs blobs with (DSA) is refused, naming the key and its type."""
    sig, pub = _bare_with_key(tmp_path, dsa.generate_private_key(key_size=2048))
    result = verify(path=str(artifact), signature_path=sig, public_key_path=pub, require_tlog=False)
    full(result, rf"public_key_path {re.escape(pub)} is a DSAPublicKey key, which cosign blob signatures do not use")
    assert result["public_key_type"] == "DSAPublicKey"
    assert result["_calls"] == []


# -- the transparency log's own signature ---------------------------------------------------------


def test_log_key_without_key_details_is_checked_with_its_curve_hash(verify, tmp_path, keys, artifact):
    """A trusted root that states no keyDetails for a P-256 log: its signatures are checked over SHA-256."""
    result = logged(verify, tmp_path, cv.TestLog(key_details=None), keys["ecdsa-p256"], artifact)
    cv.assert_valid(result, artifact)
    assert result["tlog"]["inclusion_proof_verified"] and result["tlog"]["inclusion_promise_verified"]


def test_log_signatures_use_the_hash_the_trusted_root_names(verify, tmp_path, keys, artifact):
    """keyDetails in the trusted root decide the log's signature hash (here SHA-384 on a P-256 log key)."""
    log = cv.TestLog(key_details="PKIX_ECDSA_P384_SHA_384", hash_algorithm=hashes.SHA384())
    result = logged(verify, tmp_path, log, keys["ecdsa-p256"], artifact)
    cv.assert_valid(result, artifact)
    assert result["tlog"]["inclusion_proof_verified"] and result["tlog"]["inclusion_promise_verified"]


LOG_KEYS = {
    "ecdsa-p384-no-details": (lambda: ec.generate_private_key(ec.SECP384R1()), None, hashes.SHA384()),
    "ecdsa-secp256k1-no-details": (lambda: ec.generate_private_key(ec.SECP256K1()), None, hashes.SHA256()),
    "rsa-2048": (
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "PKIX_RSA_PKCS1V15_2048_SHA256",
        None,
    ),
    "ed25519": (ed25519.Ed25519PrivateKey.generate, "PKIX_ED25519", None),
}


@pytest.mark.parametrize("kind", sorted(LOG_KEYS))
def test_log_signatures_verify_with_every_log_key_type(verify, tmp_path, keys, artifact, kind):
    """ECDSA (hash from the curve when keyDetails are absent, SHA-256 for other curves), RSA and Ed25519 log keys."""
    make_key, details, digest = LOG_KEYS[kind]
    log = cv.TestLog(key_details=details, hash_algorithm=digest, key=make_key())
    result = logged(verify, tmp_path, log, keys["ecdsa-p256"], artifact)
    cv.assert_valid(result, artifact)
    assert result["tlog"]["inclusion_proof_verified"] and result["tlog"]["inclusion_promise_verified"]


def test_log_key_of_an_unsupported_type_vouches_for_nothing(verify, tmp_path, keys, artifact):
    """A trusted root log key this verifier cannot check (Ed448) never makes a checkpoint trusted."""
    log = cv.TestLog(key_details=None, key=ed448.Ed448PrivateKey.generate())
    result = logged(verify, tmp_path, log, keys["ecdsa-p256"], artifact)
    full(result, rf"checkpoint in bundle_path \S+ is not signed by log {log.log_id.hex()}")
    assert result["tlog_verified"] is False


def test_v01_bundle_with_a_proof_but_no_checkpoint_verifies_by_its_promise(verify, tmp_path, keys, artifact):
    """A v0.1 bundle may carry an inclusion proof without checkpoint: the inclusion promise is what counts."""
    result = logged(
        verify,
        tmp_path,
        cv.TestLog(),
        keys["ecdsa-p256"],
        artifact,
        version="0.1",
        entry_changes=lambda e: e["inclusionProof"].pop("checkpoint"),
    )
    cv.assert_valid(result, artifact)
    assert result["tlog"]["inclusion_proof"] is True
    assert result["tlog"]["inclusion_proof_verified"] is False
    assert result["tlog"]["inclusion_promise_verified"] is True


# -- the hashedrekord entry must record this digest, this signature and this key ----------------------


def test_entry_recording_another_digest_and_signature_names_both(verify, tmp_path, keys, artifact):
    """CVE-2022-36056 class: each inconsistency is named, with the digest the file really has."""
    key = keys["ecdsa-p256"]
    other = hashlib.sha256(b"another release").digest()
    signature = cv.sign_digest(key, "sha256", other)
    result = logged(verify, tmp_path, cv.TestLog(), key, artifact, logged_digest=other, logged_signature=signature)
    full(
        result,
        r"transparency log entry is inconsistent with the other materials of bundle_path \S+: it records "
        rf"digest sha256:{other.hex()} \(file: sha256:{cv.sha256_of(artifact)}\); a different signature",
    )


def test_entry_recording_another_valid_signature_is_refused(verify, tmp_path, keys, artifact):
    """A second, equally valid ECDSA signature over the same digest is still not the signature logged."""
    key = keys["ecdsa-p256"]
    again = cv.sign_digest(key, "sha256", hashlib.sha256(artifact.read_bytes()).digest())
    result = logged(verify, tmp_path, cv.TestLog(), key, artifact, logged_signature=again)
    full(
        result,
        r"transparency log entry is inconsistent with the other materials of bundle_path \S+: it records "
        r"a different signature",
    )


@pytest.mark.parametrize(
    "verifier",
    [
        lambda pem: b"not a PEM block",
        lambda pem: b"junk before the key\n" + pem,
        lambda pem: pem.replace(b"PUBLIC KEY", b"CERTIFICATE"),
    ],
    ids=["not-pem", "junk-before-pem", "certificate-label"],
)
def test_entry_recording_a_verifier_that_is_not_exactly_the_key_is_refused(verify, tmp_path, keys, artifact, verifier):
    """The logged verifier must be the PEM public key itself: anything else is a different public key."""
    key = keys["ecdsa-p256"]
    result = logged(verify, tmp_path, cv.TestLog(), key, artifact, logged_verifier=verifier(cv._pem(key)))
    full(
        result,
        r"transparency log entry is inconsistent with the other materials of bundle_path \S+: it records "
        r"a different public key",
    )


def test_entry_recording_the_key_after_blank_lines_is_consistent(verify, tmp_path, keys, artifact):
    """Blank lines before the logged PEM key do not make it another key."""
    key = keys["ecdsa-p256"]
    cv.assert_valid(
        logged(verify, tmp_path, cv.TestLog(), key, artifact, logged_verifier=b"\n\n" + cv._pem(key)), artifact
    )


# -- refusals that tell the user what to do ------------------------------------------------------


def test_bare_signature_without_tlog_opt_out_says_how_to_proceed(verify):
    """A bare signature without require_tlog: false is refused, saying why and the two ways out."""
    args = cv.derived_case()
    del args["require_tlog"]
    result = verify(path=args.pop("artifact"), **args)
    full(
        result,
        r"signature_path \S+a\.txt\.sig is a bare signature: it carries no transparency log evidence and this "
        r"module never queries Rekor; verify the bundle instead \(cosign sign-blob --bundle\), or set require_tlog: "
        r"false to accept a signature that was never logged \(reported in the result\)",
    )


def test_bundle_without_tlog_entry_says_how_to_accept_it(verify, tmp_path):
    """A key-based bundle with no log entry is refused, saying require_tlog: false accepts it explicitly."""
    args = cv.conformance_case("managed-key-happy-path")
    args["bundle_path"] = cv.tampered(tmp_path, "managed-key-happy-path", cv.TAMPERINGS["no tlog entries"][0])
    result = verify(path=args.pop("artifact"), **args)
    full(
        result,
        r"bundle_path \S+ carries no transparency log entry \(signed with tlog upload disabled\?\); set "
        r"require_tlog: false to accept that explicitly",
    )


def test_detached_certificate_refusal_says_to_use_a_bundle(verify):
    """A detached signature + certificate has no trusted signing time offline: refused, saying to use a bundle."""
    args = cv.detached_case("a")
    result = verify(path=args.pop("artifact"), **args)
    full(
        result,
        r"cannot establish tlog inclusion offline: a detached signature and certificate carry no transparency log "
        r"entry, and without it the short-lived certificate has no trusted signing time \(this module never "
        r"queries Rekor\); sign with cosign sign-blob --bundle and pass bundle_path",
    )
    assert result["signature_digest_algorithm"] == "sha256"


def test_detached_signature_that_does_not_match_names_the_certificate(verify):
    """A detached signature that does not verify names the certificate it was checked with."""
    args = cv.detached_case("bad")
    result = verify(path=args.pop("artifact"), **args)
    assert re.search(
        r"does not match the file: it does not verify with certificate_path \S+bad\.txt\.crt over the file's "
        r"sha256, sha384 digest",
        result["msg"],
    ), result["msg"]


# -- legacy keyless bundles: the certificate chain at the signing time -----------------------------


def test_legacy_keyless_signature_over_another_file_names_the_signing_certificate(verify, tmp_path):
    """The signature of a legacy keyless bundle is checked with the signing certificate, and says so."""
    args = legacy_keyless(tmp_path, artifact_rel="derived/a.txt.tampered")
    result = verify(path=args.pop("artifact"), **args)
    full(
        result,
        r"signature in bundle_path \S+ does not match the file: it does not verify with the signing certificate "
        r"over the file's sha256 digest \(wrong key, or the file or signature was altered\)",
    )


@pytest.mark.parametrize(
    "window",
    [{"start": "2024-01-01T00:00:00Z"}, {"start": "2022-04-13T20:06:15Z", "end": "2023-01-01T00:00:00Z"}],
    ids=["ca-starts-after-signing", "ca-ends-before-signing"],
)
def test_legacy_keyless_needs_a_certificate_authority_valid_at_the_signing_time(verify, tmp_path, window):
    """The Fulcio CA must be valid when the entry was logged; outside its window nothing anchors the chain."""
    root = production_root()
    root["certificateAuthorities"][1]["validFor"] = window
    args = legacy_keyless(tmp_path, root)
    result = verify(path=args.pop("artifact"), **args)
    full(
        result,
        rf"trusted_root_path \S+edited\.trusted_root\.json has no certificate authority valid at "
        rf"{re.escape(LEGACY_SIGNED_AT)}",
    )


def test_legacy_keyless_chain_may_use_any_valid_certificate_authority(verify, tmp_path):
    """Every certificate authority valid at the signing time is a trust anchor, not only the last one listed."""
    root = production_root()
    old, current = root["certificateAuthorities"]
    old["validFor"] = {"start": "2021-03-07T03:20:29Z"}  # also valid at the signing time, but not the issuer
    root["certificateAuthorities"] = [current, old]
    args = legacy_keyless(tmp_path, root)
    artifact_path = args.pop("artifact")
    cv.assert_valid(verify(path=artifact_path, **args), artifact_path)


def test_legacy_keyless_trusted_root_certificate_that_is_not_x509_is_named(verify, tmp_path):
    """A trusted root CA entry that is not a certificate is refused as such."""
    root = production_root()
    root["certificateAuthorities"][1]["certChain"]["certificates"][0]["rawBytes"] = base64.b64encode(b"junk").decode()
    args = legacy_keyless(tmp_path, root)
    result = verify(path=args.pop("artifact"), **args)
    assert re.match(r"cannot parse trusted root certificate as an X\.509 certificate: ", result["msg"]), result["msg"]


def test_legacy_keyless_signing_certificate_as_its_own_anchor_is_refused(verify, tmp_path):
    """A trusted root that lists the signing certificate itself does not make it trusted."""
    root = production_root()
    root["certificateAuthorities"] = [{"certChain": {"certificates": [{"rawBytes": leaf_der()}]}, "validFor": {}}]
    args = legacy_keyless(tmp_path, root)
    result = verify(path=args.pop("artifact"), **args)
    full(result, r"signing certificate is itself a trust anchor; refusing it")


# -- a missing controller library ---------------------------------------------------------------


def test_missing_sigstore_library_reports_the_import_error(verify, monkeypatch):
    """When sigstore cannot be imported, the result carries the import error for the user to fix."""
    monkeypatch.setitem(sys.modules, "sigstore", None)
    for name in [n for n in sys.modules if n.startswith(("sigstore.", "sigstore_models"))]:
        monkeypatch.setitem(sys.modules, name, None)
    args = cv.conformance_case("happy-path-v0.3")
    result = verify(path=args.pop("artifact"), **args)
    cv.assert_invalid(
        result,
        r"Failed to import the required Python library \(sigstore\) .*\. This is required on the controller to verify "
        r"keyless Sigstore bundles\. Please read",
    )
    assert "sigstore" in result["exception"]  # the ImportError, for the user to fix


def test_missing_library_error_says_what_is_required_and_why():
    """MissingLibrary reads as '<library> is required <reason>'."""
    from ansible_collections.gosvc.hardening.plugins.plugin_utils._sigstore_verify import MissingLibrary

    error = MissingLibrary("sigstore", "on the controller to verify keyless Sigstore bundles", ImportError("x"))
    assert str(error) == "sigstore is required on the controller to verify keyless Sigstore bundles"


# -- the real key-based bundle, one field changed: the message names the field and the way out ------


def _key_case(tmp_path, change=None, root=None):
    args = cv.conformance_case("managed-key-happy-path")
    if change is not None:
        args["bundle_path"] = cv.tampered(tmp_path, "managed-key-happy-path", change)
    if root is not None:
        path = tmp_path / "edited.trusted_root.json"
        path.write_text(json.dumps(root))
        args["trusted_root_path"] = str(path)
    return args


REKOR = "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: cv._entry(d)["inclusionProof"].pop("checkpoint"),
            r"bundle_path \S+: the inclusion proof has no checkpoint",
        ),
        (
            lambda d: cv._entry(d)["inclusionProof"].update(checkpoint={"envelope": "not a checkpoint\n"}),
            r"invalid inclusion proof in bundle_path \S+: checkpoint must contain exactly one blank line between "
            r"the note and its signatures",
        ),
        (
            lambda d: cv._entry(d)["kindVersion"].update(version="0.0.2"),
            r"bundle_path \S+ holds a hashedrekord/0\.0\.2 log entry; this verifier checks hashedrekord/0\.0\.1 "
            r"\(Rekor v1\) entries for key-based and legacy material",
        ),
        (
            lambda d: cv._entry(d)["logId"].update(keyId=base64.b64encode(b"\x01" * 32).decode()),
            r"the transparency log entry in bundle_path \S+ comes from log (01){32}, which trusted_root_path \S+ "
            r"does not list: it was made on another Sigstore instance, or the trusted root is out of date",
        ),
    ],
    ids=["v03-proof-without-checkpoint", "malformed-checkpoint", "entry-kind", "unknown-log"],
)
def test_key_based_bundle_refusal_names_the_evidence_and_the_cause(verify, tmp_path, change, message):
    """Transparency log evidence that cannot be used is refused, naming the bundle, the part and the cause."""
    args = _key_case(tmp_path, change)
    full(verify(path=args.pop("artifact"), **args), message)


def test_trusted_root_log_key_that_cannot_be_loaded_is_named(verify, tmp_path):
    """A trusted root whose Rekor key is not a public key is refused, naming the root and the log."""
    root = production_root()
    (rekor,) = [log for log in root["tlogs"] if log["baseUrl"] == "https://rekor.sigstore.dev"]
    rekor["publicKey"]["rawBytes"] = base64.b64encode(b"not a key").decode()
    args = _key_case(tmp_path, root=root)
    result = verify(path=args.pop("artifact"), **args)
    assert re.match(rf"trusted_root_path \S+: the key of log {REKOR} cannot be loaded: ", result["msg"]), result["msg"]


def test_a_malformed_window_in_a_trusted_root_built_in_code_is_a_verification_error(tmp_path):
    """Verification raises VerifyError (never another error) for a CA window it cannot read."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._sigstore_material import (
        parse_bundle,
        parse_trusted_root,
    )
    from ansible_collections.gosvc.hardening.plugins.plugin_utils._sigstore_verify import (
        Options,
        Verification,
        VerifyError,
    )

    args = legacy_keyless(tmp_path)
    root = parse_trusted_root(Path(args["trusted_root_path"]).read_bytes(), "production root")
    root = root._replace(
        certificate_authorities=[ca._replace(valid_from="soon") for ca in root.certificate_authorities]
    )
    material = parse_bundle(Path(args["bundle_path"]).read_text(), "legacy bundle")
    options = Options(identity=args["certificate_identity"], issuer=args["certificate_oidc_issuer"], trusted_root=root)
    check = Verification(material, options)
    with pytest.raises(VerifyError, match=r"^trusted root validity window: time 'soon' is not RFC 3339"):
        check.run({"sha256": cv.sha256_of(args["artifact"])})


# -- identity policy: the refusal names what the certificate says and what was asked -----------------


@pytest.mark.parametrize("form", ["bundle", "legacy"])
def test_identity_mismatch_names_both_identities_and_reports_the_signer(verify, tmp_path, form):
    """A certificate for another identity is refused, naming its identities, the one asked for, and the signer."""
    args = cv.conformance_case("happy-path-v0.3")
    identity, issuer = cv.conformance_default_identity()
    if form == "legacy":
        args["bundle_path"] = cv.legacy_bundle(tmp_path, args["bundle_path"])
    args["certificate_identity"] = "https://github.com/sigstore-conformance"
    result = verify(path=args.pop("artifact"), **args)
    full(
        result,
        rf"certificate identity \['{re.escape(identity)}'\] does not match https://github\.com/sigstore-conformance",
    )
    assert result["signer"] == {"identity": identity, "issuer": issuer}


@pytest.mark.parametrize("form", ["bundle", "legacy"])
def test_issuer_mismatch_names_both_issuers_and_reports_the_signer(verify, tmp_path, form):
    """A certificate from another OIDC issuer is refused, naming its issuer, the one asked for, and the signer."""
    args = cv.conformance_case("happy-path-v0.3")
    identity, issuer = cv.conformance_default_identity()
    if form == "legacy":
        args["bundle_path"] = cv.legacy_bundle(tmp_path, args["bundle_path"])
    args["certificate_oidc_issuer"] = "https://accounts.google.com"
    result = verify(path=args.pop("artifact"), **args)
    full(
        result,
        rf"certificate OIDC issuer '{re.escape(issuer)}' does not match https://accounts\.google\.com",
    )
    assert result["signer"] == {"identity": identity, "issuer": issuer}


# -- planning refusals: each names the input and the fix, in full ----------------------------------

KEY = "conformance/managed-key-happy-path/key.pub"


def _case(name, drop=(), **extra):
    args = cv.conformance_case(name)
    for option in drop:
        del args[option]
    args.update(extra)
    return args


@pytest.mark.parametrize(
    "args, message",
    [
        (
            lambda: _case("managed-key-happy-path", certificate_identity="someone"),
            r"certificate_identity / certificate_oidc_issuer \(and their _regexp forms\) apply to keyless material; "
            r"bundle_path \S+ is verified with public_key_path \S+key\.pub, so drop them",
        ),
        (
            lambda: _case("managed-key-happy-path", drop=["public_key_path"]),
            r"bundle_path \S+ was signed with a key \(publicKey hint '[^']+'\) and carries no certificate; give "
            r"public_key or public_key_path to verify it",
        ),
        (
            lambda: _case(
                "happy-path-v0.3",
                drop=["certificate_identity", "certificate_oidc_issuer"],
                public_key_path=cv.v(KEY),
            ),
            r"bundle_path \S+ carries a signing certificate \(keyless\), but public_key was given; drop public_key "
            r"and set certificate_identity and certificate_oidc_issuer instead",
        ),
        (
            lambda: _case("happy-path-v0.3", drop=["certificate_oidc_issuer"]),
            r"keyless verification needs both certificate_identity \(or certificate_identity_regexp\) and "
            r"certificate_oidc_issuer \(or certificate_oidc_issuer_regexp\): without both, any Sigstore user's "
            r"signature would be accepted",
        ),
        (
            lambda: _case("happy-path-v0.3", drop=["trusted_root_path"]),
            r"trusted_root_path is required for keyless verification: give the controller path of a Sigstore "
            r"trusted_root\.json \(public-good instance: the trusted_root\.json that tuf-repo-cdn\.sigstore\.dev "
            r"distributes through TUF; private instance: `cosign trusted-root create`\); this module never fetches it",
        ),
        (
            lambda: _case("managed-key-happy-path", signature_digest_algorithm="sha384"),
            r"signature_digest_algorithm is sha384 but bundle_path \S+ records sha256; leave "
            r"signature_digest_algorithm at auto",
        ),
    ],
    ids=["identity-on-key", "key-bundle-without-key", "key-for-keyless", "no-issuer", "no-root", "digest-option"],
)
def test_planning_refusal_names_the_input_and_the_fix(verify, args, message):
    """Options that cannot work together are refused before the target is touched, saying what to change."""
    call = args()
    result = verify(path=call.pop("artifact"), **call)
    full(result, message)
    assert result["_calls"] == []


def test_legacy_bundle_without_signer_says_what_to_give(verify, tmp_path):
    """A legacy bundle whose cert field holds a key names no signer until public_key is given."""
    key = Path(cv.v(KEY)).read_bytes()
    args = cv.conformance_case("managed-key-happy-path")
    bundle = cv.legacy_bundle(tmp_path, args["bundle_path"], public_key_pem=key)
    result = verify(path=args["artifact"], bundle_path=bundle, trusted_root_path=args["trusted_root_path"])
    full(
        result,
        r"bundle_path \S+ names no signer: give public_key / public_key_path for a key-based signature, or verify "
        r"a keyless bundle \(one that carries a certificate\)",
    )


def test_private_key_given_as_public_key_is_refused_with_the_fix(verify, tmp_path, keys, artifact):
    """A private key passed as public_key is refused, saying how to get the public key."""
    pem = keys["ecdsa-p256"].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = tmp_path / "cosign.key"
    path.write_bytes(pem)
    result = verify(path=str(artifact), signature="MEUC", public_key_path=str(path), require_tlog=False)
    full(
        result,
        rf"public_key_path {re.escape(str(path))} holds a PRIVATE key; give the public key "
        r"\(cosign public-key --key \.\.\.\)",
    )


def test_tlog_opt_out_warning_says_what_was_not_proved(verify):
    """With require_tlog: false the result warns that only key possession was proved."""
    args = cv.derived_case()
    artifact_path = args.pop("artifact")
    result = verify(path=artifact_path, **args)
    cv.assert_valid(result, artifact_path)
    assert result["warnings"] == [
        "require_tlog is false: transparency log evidence was NOT checked; the signature proves possession of the "
        "key, not that the signing was publicly logged"
    ]


def test_keyless_tlog_opt_out_warning_says_it_was_checked_anyway(verify):
    """With require_tlog: false a keyless verification warns that the log was checked all the same."""
    args = cv.conformance_case("happy-path-v0.2")
    artifact_path = args.pop("artifact")
    result = verify(path=artifact_path, require_tlog=False, **args)
    cv.assert_valid(result, artifact_path)
    assert result["warnings"] == [
        "require_tlog is false, but keyless verification always checks the transparency log (it is the trusted "
        "signing time); it was checked and passed"
    ]


def test_message_digest_mismatch_names_both_digests(verify, tmp_path):
    """A bundle whose messageDigest is not the file's names both digests and reports the expected one."""
    args = cv.conformance_case("managed-key-happy-path")
    args["bundle_path"] = cv.tampered(tmp_path, "managed-key-happy-path", cv.TAMPERINGS["message digest hint"][0])
    artifact_path = args.pop("artifact")
    result = verify(path=artifact_path, **args)
    digest = cv.sha256_of(artifact_path)
    full(
        result,
        rf"bundle_path \S+ messageDigest sha256:([0-9a-f]{{64}}) does not match the file \(sha256:{digest}\): the "
        r"file is not the one that was signed",
    )
    assert result["expected_digest"].startswith("sha256:") and result["expected_digest"] != f"sha256:{digest}"


def _signer_of(extensions):
    from ansible_collections.gosvc.hardening.plugins.plugin_utils._sigstore_verify import certificate_signer

    return certificate_signer(cv._self_signed(extensions))


def test_certificate_signer_reads_long_der_utf8_values():
    """Identities and issuers over 127 bytes (DER long-form lengths) are read whole."""
    from cryptography import x509

    identity = "ci@" + "x" * 200
    raw = identity.encode()
    other = x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7"), b"\x0c\x81" + bytes([len(raw)]) + raw)
    issuer = "https://" + "i" * 300
    der = b"\x0c\x82" + len(issuer).to_bytes(2, "big") + issuer.encode()
    v2 = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), der)
    signer = _signer_of([(x509.SubjectAlternativeName([other]), True), (v2, False)])
    assert (signer["identity"], signer["issuer"]) == (identity, issuer)


@pytest.mark.parametrize(
    "der, message",
    [
        (b"\x0c\x05abc", r"certificate extension has a bad DER length"),
        (b"\x0c\x81\x05abc", r"certificate extension has a bad DER length"),
        (b"\x0c", r"certificate extension is not a DER UTF8String"),
    ],
)
def test_certificate_signer_refuses_bad_der_lengths(der, message):
    """An issuer extension whose DER length does not fit its content is refused."""
    from cryptography import x509

    from ansible_collections.gosvc.hardening.plugins.plugin_utils._sigstore_verify import VerifyError

    v2 = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), der)
    with pytest.raises(VerifyError) as caught:
        _signer_of([(v2, False)])
    assert re.fullmatch(message, str(caught.value))


def test_certificate_signer_reads_an_empty_issuer():
    """A zero-length DER UTF8String is an empty issuer, not a malformed one."""
    from cryptography import x509

    v2 = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), b"\x0c\x00")
    assert _signer_of([(v2, False)])["issuer"] == ""


def test_certificate_without_identities_reports_no_identity():
    """A certificate with no subject alternative name has no identity (None), not an error."""
    assert _signer_of([])["identity"] is None


def test_key_based_signature_mismatch_names_the_key_it_was_checked_with(verify):
    """A key-based bundle checked with another key names that key in the refusal."""
    args = cv.conformance_case("managed-key-happy-path")
    args["public_key_path"] = cv.v("derived/other.pub")
    result = verify(path=args.pop("artifact"), **args)
    full(
        result,
        r"signature in bundle_path \S+ does not match the file: it does not verify with public_key_path "
        r"\S+other\.pub over the file's sha256 digest \(wrong key, or the file or signature was altered\)",
    )


def test_a_malformed_log_key_window_built_in_code_is_a_verification_error(tmp_path):
    """A log key window Verification cannot read is a VerifyError naming the trusted root."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._sigstore_material import (
        parse_bundle,
        parse_trusted_root,
    )
    from ansible_collections.gosvc.hardening.plugins.plugin_utils._sigstore_verify import (
        Options,
        Verification,
        VerifyError,
    )

    args = cv.conformance_case("managed-key-happy-path")
    root = parse_trusted_root(Path(args["trusted_root_path"]).read_bytes(), "production root")
    root = root._replace(tlogs=[log._replace(valid_from="soon") for log in root.tlogs])
    material = parse_bundle(Path(args["bundle_path"]).read_bytes(), "bundle")
    options = Options(public_key_pem=Path(args["public_key_path"]).read_bytes(), trusted_root=root)
    check = Verification(material, options)
    with pytest.raises(VerifyError, match=r"^production root: time 'soon' is not RFC 3339"):
        check.run({"sha256": cv.sha256_of(args["artifact"])})


def test_keyless_bundle_over_sha384_is_refused_as_unsupported(verify, tmp_path):
    """Keyless bundles are verified over SHA-256 only; a bundle stating SHA-384 is refused saying so."""

    def sha384_hint(doc):
        doc["verificationMaterial"].pop("tlogEntries")
        doc["messageSignature"]["messageDigest"] = {
            "algorithm": "SHA2_384",
            "digest": base64.b64encode(b"\x00" * 48).decode(),
        }

    args = cv.conformance_case("happy-path-v0.3")
    args["bundle_path"] = cv.tampered(tmp_path, "happy-path-v0.3", sha384_hint)
    result = verify(path=args.pop("artifact"), **args)
    full(result, r"bundle_path \S+ records a sha384 digest; keyless bundles are verified over sha256 only")


def test_sigstore_library_logging_is_captured_and_then_restored(verify, caplog):
    """The sigstore library's warnings go to the task, not to the log, and its logger is left as it was."""
    import logging

    logger = logging.getLogger("sigstore")
    before = (list(logger.handlers), logger.propagate)
    args = cv.conformance_case("bundle-with-root-cert_fail")
    with caplog.at_level(logging.WARNING):
        result = verify(path=args.pop("artifact"), **args)
    assert result["warnings"] == ["sigstore: this bundle contains a root CA, making it subject to misuse"]
    assert not [r for r in caplog.records if r.name.startswith("sigstore")]
    assert (list(logger.handlers), logger.propagate) == before


def test_keyless_bundle_result_reports_which_log_evidence_was_verified(verify):
    """A verified keyless bundle reports its inclusion proof and inclusion promise as verified."""
    args = cv.conformance_case("happy-path-v0.3")
    artifact_path = args.pop("artifact")
    result = verify(path=artifact_path, **args)
    cv.assert_valid(result, artifact_path)
    assert result["tlog"]["verified"] is True
    assert result["tlog"]["inclusion_proof_verified"] is True
    assert result["tlog"]["inclusion_promise_verified"] is True
