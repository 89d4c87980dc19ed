# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cosign_verify rules the other files state loosely: whole messages, result facts, planning refusals.

The same harness as test_cosign_verify.py (its ``verify`` fixture runs the real action plugin with
the real module as the target, network blocked) over the vectors of tests/unit/data/sigstore
(ORIGINS.md there), edited one field at a time with that file's helpers. A few tests drive
``Verification`` itself (its documented ``run(digests)`` API) or make a controller library fail,
for what the action cannot reach with real material.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
import test_cosign_verify as cv
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.gosvc.hardening.plugins.module_utils._sigstore_material import parse_signature
from ansible_collections.gosvc.hardening.plugins.plugin_utils import _sigstore_verify as sigstore_plugin

# The fixtures of test_cosign_verify.py: the action plugin harness, no network.
verify = cv.verify
no_network = cv.no_network


def refused(result, message):
    """The task failed, the target was not asked for digests, and the whole message is ``message`` (a regexp)."""
    assert result.get("failed") is True, result
    assert result["verified"] is False
    assert re.fullmatch(message, result["msg"]), result["msg"]
    assert result["_calls"] == []


def bundle_source(path):
    return re.escape(f"bundle_path {path}")


# -- options and inputs that cannot be used ---------------------------------------------------------


def test_an_invalid_issuer_regexp_is_named_by_its_option(verify):
    args = cv.conformance_case("happy-path-v0.3")
    del args["certificate_oidc_issuer"]
    result = verify(path=args.pop("artifact"), certificate_oidc_issuer_regexp="(", **args)
    refused(
        result,
        r"certificate_oidc_issuer_regexp '\(' is not a valid regular expression: "
        r"missing \), unterminated subpattern at position 0",
    )


def test_a_certificate_file_that_is_not_a_certificate_is_named(verify, tmp_path):
    cert = tmp_path / "signer.crt"
    cert.write_text("not a certificate\n")
    args = cv.detached_case("a")
    args["certificate_path"] = str(cert)
    result = verify(path=args.pop("artifact"), **args)
    refused(result, rf"cannot parse certificate_path {re.escape(str(cert))} as an X\.509 certificate: .+")


def test_a_bundle_certificate_that_is_not_a_certificate_is_named(verify, tmp_path):
    garbage = base64.b64encode(b"not a certificate").decode()
    args = cv.conformance_case("happy-path-v0.3")
    args["bundle_path"] = cv.tampered(
        tmp_path,
        "happy-path-v0.3",
        lambda d: d["verificationMaterial"]["certificate"].update(rawBytes=garbage),
    )
    result = verify(path=args.pop("artifact"), **args)
    refused(
        result,
        rf"cannot parse {bundle_source(args['bundle_path'])} signing certificate as an X\.509 certificate: .+",
    )


def test_a_log_entry_body_that_is_not_a_hashedrekord_is_refused_naming_the_bundle(verify, tmp_path):
    """A hashedrekord/0.0.1 entry whose body lacks its spec: refused when the bundle is read."""
    body = base64.b64encode(json.dumps({"apiVersion": "0.0.1", "kind": "hashedrekord"}).encode()).decode()
    args = cv.conformance_case("managed-key-happy-path")
    args["bundle_path"] = cv.tampered(
        tmp_path, "managed-key-happy-path", lambda d: cv._entry(d).update(canonicalizedBody=body)
    )
    result = verify(path=args.pop("artifact"), **args)
    refused(result, rf"{bundle_source(args['bundle_path'])}: hashedrekord body has no 'spec'")


def test_a_bundle_whose_digest_hint_and_log_entry_disagree_is_refused(verify, tmp_path):
    """messageDigest says SHA-384, the logged hashedrekord says SHA-256: refused, both named."""
    sha384 = base64.b64encode(bytes(48)).decode()
    args = cv.conformance_case("managed-key-happy-path")
    args["bundle_path"] = cv.tampered(
        tmp_path,
        "managed-key-happy-path",
        lambda d: d["messageSignature"]["messageDigest"].update(algorithm="SHA2_384", digest=sha384),
    )
    result = verify(path=args.pop("artifact"), **args)
    refused(
        result,
        rf"{bundle_source(args['bundle_path'])} is inconsistent about the digest algorithm: "
        r"\{'messageDigest': 'sha384', 'transparency log entry': 'sha256'\}",
    )


# -- keyless material always needs the trusted root -------------------------------------------------

TRUSTED_ROOT_NEEDED = (
    r"trusted_root_path is required for keyless verification: give the controller path of a Sigstore "
    r"trusted_root\.json \(public-good instance: the trusted_root\.json that tuf-repo-cdn\.sigstore\.dev "
    r"distributes through TUF; private instance: `cosign trusted-root create`\); this module never fetches it"
)


def _keyless_bundle(tmp_path):
    return cv.conformance_case("happy-path-v0.3")


def _keyless_legacy_bundle(tmp_path):
    args = cv.conformance_case("happy-path-v0.1")
    args["bundle_path"] = cv.legacy_bundle(tmp_path, args["bundle_path"])
    return args


def _keyless_detached(tmp_path):
    return cv.detached_case("a")


@pytest.mark.parametrize("make", [_keyless_bundle, _keyless_legacy_bundle, _keyless_detached])
def test_keyless_material_needs_the_trusted_root_even_with_tlog_opt_out(verify, tmp_path, make):
    """require_tlog: false does not lift it: the trusted root is what the certificate chains to."""
    args = make(tmp_path)
    del args["trusted_root_path"]
    result = verify(path=args.pop("artifact"), require_tlog=False, **args)
    refused(result, TRUSTED_ROOT_NEEDED)


# -- the digest algorithm a keyless bundle is checked over ------------------------------------------


def _bundle_stating_no_digest(doc):
    """No messageDigest, and a log entry that is not hashedrekord/0.0.1: nothing states an algorithm."""
    del doc["messageSignature"]["messageDigest"]
    cv._entry(doc)["kindVersion"]["version"] = "0.0.2"


def test_keyless_bundle_stating_no_digest_refuses_another_digest_option(verify, tmp_path):
    """Keyless bundles are verified over SHA-256 by the sigstore library: sha384 is refused before the target."""
    args = cv.conformance_case("happy-path-v0.3")
    args["bundle_path"] = cv.tampered(tmp_path, "happy-path-v0.3", _bundle_stating_no_digest)
    result = verify(path=args.pop("artifact"), signature_digest_algorithm="sha384", **args)
    refused(
        result,
        r"signature_digest_algorithm is sha384 but "
        rf"{bundle_source(args['bundle_path'])} is a keyless bundle that states no digest algorithm, and those are "
        r"verified over sha256 only; leave signature_digest_algorithm at auto",
    )


@pytest.mark.parametrize("option", ["auto", "sha256"])
def test_keyless_bundle_stating_no_digest_is_checked_over_sha256_only(verify, tmp_path, option):
    """A P-384 signing certificate does not add SHA-384: the target is asked for SHA-256 alone."""
    args = cv.sigstore_python_case("bundle", "a@tny.town")
    doc = json.loads(Path(args["bundle_path"]).read_text())
    _bundle_stating_no_digest(doc)
    args["bundle_path"] = str(tmp_path / "no-digest.sigstore.json")
    Path(args["bundle_path"]).write_text(json.dumps(doc))
    result = verify(path=args.pop("artifact"), signature_digest_algorithm=option, **args)
    assert [call[1]["digest_algorithms"] for call in result["_calls"]] == [["sha256"]]
    # The library then refuses the entry kind itself: verified over sha256, refused for the entry.
    cv.assert_invalid(
        result,
        rf"keyless verification of {bundle_source(args['bundle_path'])} failed: "
        r"Integrated time only supported for dsse/hashedrekord 0\.0\.1 types",
    )


# -- what a bare signature was checked over ---------------------------------------------------------


def test_a_bare_signature_with_another_key_says_each_digest_it_tried_once(verify):
    """P-256: SHA-256 is both the old cosign default and the curve's hash; it is tried (and named) once."""
    args = cv.derived_case(key="derived/other.pub")
    artifact = args.pop("artifact")
    result = verify(path=artifact, **args)
    assert result.get("failed") is True
    assert result["msg"] == (
        f"signature in signature_path {args['signature_path']} does not match the file: it does not verify with "
        f"public_key_path {args['public_key_path']} over the file's sha256 digest (wrong key, or the file or "
        "signature was altered)"
    )


# -- what the result reports --------------------------------------------------------------------------


def test_keyless_result_has_no_public_key_type_and_reports_the_tlog_requirement(verify):
    args = cv.conformance_case("happy-path-v0.3")
    artifact = args.pop("artifact")
    result = verify(path=artifact, **args)
    cv.assert_valid(result, artifact)
    assert result["public_key_type"] is None
    assert result["tlog"]["required"] is True
    assert result["tlog"]["verified"] is True


def test_key_based_refusal_reports_the_tlog_requirement(verify):
    args = cv.conformance_case("managed-key-happy-path")
    args["public_key_path"] = cv.v("derived/other.pub")
    result = verify(path=args.pop("artifact"), **args)
    cv.assert_invalid(result, r"does not match the file")
    assert result["tlog"]["required"] is True and result["tlog_required"] is True
    assert result["tlog"]["verified"] is False


# -- failures of the controller's libraries -----------------------------------------------------------


def test_missing_cryptography_is_reported_as_a_missing_controller_library(verify, monkeypatch):
    error = ImportError("No module named 'cryptography'")
    monkeypatch.setattr(sigstore_plugin, "HAS_CRYPTOGRAPHY", False)
    monkeypatch.setattr(sigstore_plugin, "CRYPTOGRAPHY_IMPORT_ERROR", error)
    args = cv.derived_case()
    result = verify(path=args.pop("artifact"), **args)
    assert result.get("failed") is True
    assert result["msg"] == missing_required_lib("cryptography", reason="on the controller")
    assert "Python library (cryptography)" in result["msg"]
    assert "This is required on the controller." in result["msg"]
    assert result["exception"] == "No module named 'cryptography'"
    assert result["_calls"] == []


def test_a_sigstore_library_error_without_text_is_named_by_its_type(verify, monkeypatch):
    from sigstore.verify import Verifier

    class SilentFailure(Exception):
        pass

    def fail(self, *args, **kwargs):
        raise SilentFailure()

    monkeypatch.setattr(Verifier, "verify_artifact", fail)
    args = cv.conformance_case("happy-path-v0.3")
    result = verify(path=args.pop("artifact"), **args)
    assert result.get("failed") is True
    assert result["msg"] == f"keyless verification of bundle_path {args['bundle_path']} failed: SilentFailure"


# -- Verification.run(digests) itself -------------------------------------------------------------------


def test_run_without_the_needed_digest_is_refused_and_reports_not_verified():
    """The digests come from the target; without a usable one nothing verifies, and the facts say so."""
    source = "signature_path a.txt.sig"
    material = sigstore_plugin.Material(
        form="signature",
        source=source,
        signature=parse_signature(Path(cv.v("derived/a.txt.sig")).read_bytes(), source),
    )
    options = sigstore_plugin.Options(
        public_key_pem=Path(cv.v("conformance/managed-key-happy-path/key.pub")).read_bytes(), require_tlog=False
    )
    check = sigstore_plugin.Verification(material, options)
    for digests in ({}, {"sha256": "not hex"}):
        with pytest.raises(sigstore_plugin.VerifyError) as caught:
            check.run(digests)
        assert caught.value.msg == "the target returned no usable sha256 digest"
        assert caught.value.facts["verified"] is False
        assert caught.value.facts["method"] == "key"
