# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end tests of gosvc.hardening.cosign_verify: action plugin + module.

Every test drives the real ActionModule. Its ``_execute_module`` is replaced by a call that
runs the real module (plugins/modules/cosign_verify.py main() through AnsibleModule, via the
``run_module`` fixture) on a real file, so the digest really is computed "on the target".
The network is blocked for the whole file: verification must be offline.

Material:
* tests/unit/data/sigstore (public sigstore-conformance, sigstore-python and sigstore-go data);
  its ORIGINS.md records where each file comes from and its sha256 (checked here), and every
  row that states an outcome must come out that way here. A missing file fails, never skips.
* material derived at test time from those vectors (the old cosign --bundle layout of real
  Rekor entries; tampered copies of real bundles; trusted roots with edited log key windows);
* key-based material generated here with ``cryptography`` for what the vectors lack (P-384,
  P-521, RSA, P-256 over SHA-384, Ed25519, and too-weak keys), logged in a small in-test
  Rekor-style log whose key goes into a trusted root, so the transparency-log checks run on it too.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import socket
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from support import inclusion_path, merkle_root

from ansible_collections.gosvc.hardening.plugins.action import cosign_verify as action_plugin
from ansible_collections.gosvc.hardening.plugins.modules import cosign_verify as module

VECTORS = ROOT / "tests" / "unit" / "data" / "sigstore"
ORIGINS = VECTORS / "ORIGINS.md"
FQCN = "gosvc.hardening.cosign_verify"
GITHUB_ISSUER = "https://github.com/login/oauth"


def v(rel: str) -> str:
    """Path of a test vector; a missing one fails the test (it is never skipped)."""
    path = VECTORS / rel
    if not path.is_file():
        pytest.fail(f"test vector {rel} is missing from {VECTORS} (see ORIGINS.md there)")
    return str(path)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to reach the network fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def verify(run_module):
    """Run the action plugin with ``args``; the target side is the real module on a real file."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.play_context import PlayContext
    from ansible.playbook.task import Task

    def _run(check_mode=False, **args):
        task = Task()
        task.action = FQCN
        task.args = {k: val for k, val in args.items() if val is not None}
        task.check_mode = check_mode
        connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir=None))
        # templar and shared_loader_obj: positional for every ansible-core we support (2.17 requires both).
        action = action_plugin.ActionModule(task, connection, PlayContext(), DataLoader(), None, None)
        action._load_name = "gosvc.hardening.cosign_verify"  # set by the plugin loader in a real run
        calls = []

        def execute_module(module_name=None, module_args=None, task_vars=None, **kwargs):
            calls.append((module_name, dict(module_args)))
            return run_module(module, module_args, check_mode=check_mode)

        action._execute_module = execute_module
        result = action.run(task_vars={})
        result["_calls"] = calls
        return result

    return _run


def sha256_of(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def assert_valid(result, artifact):
    assert not result.get("failed"), result.get("msg")
    assert result["verified"] is True
    assert result["changed"] is False
    assert result["digest"] == f"sha256:{sha256_of(artifact)}"
    assert result["size"] == Path(artifact).stat().st_size
    assert [call[0] for call in result["_calls"]] == [FQCN]


def assert_invalid(result, reason):
    assert result.get("failed") is True, result
    assert result["verified"] is False
    assert re.search(reason, result["msg"]), result["msg"]


# -- ORIGINS: provenance of every vector, and every row that states an outcome -------------------

ORIGINS_COLUMNS = ("file", "expected", "repository", "path", "commit", "sha256", "licence")


def origins_table() -> dict:
    """ORIGINS.md rows by file: the table's columns, backticks removed."""
    rows = {}
    for line in ORIGINS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == len(ORIGINS_COLUMNS), line
        row = dict(zip(ORIGINS_COLUMNS, cells))
        for column in ("file", "path", "commit", "sha256"):
            row[column] = row[column].strip("`")
        assert row["file"] not in rows, f"{row['file']} is listed twice in ORIGINS.md"
        rows[row["file"]] = row
    return rows


def origins_expectations() -> dict:
    return {name: row["expected"] for name, row in origins_table().items()}


def test_every_origins_file_exists_with_its_recorded_sha256():
    """The vectors cannot change silently, and nothing unrecorded sits beside them."""
    rows = origins_table()
    assert len(rows) >= 50, "ORIGINS.md lists too few files: is the table intact?"
    for name, row in rows.items():
        path = VECTORS / name
        assert path.is_file(), f"{name} is listed in ORIGINS.md but missing from {VECTORS}"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"], f"{name} differs from ORIGINS.md"
        assert row["repository"] in (
            "sigstore/sigstore-conformance",
            "sigstore/sigstore-python",
            "sigstore/sigstore-go",
        ), name
        assert re.fullmatch(r"[0-9a-f]{40}", row["commit"]), name
        assert row["path"] and row["licence"] == "Apache-2.0", name
    present = {str(p.relative_to(VECTORS)) for p in VECTORS.rglob("*") if p.is_file()} - {"ORIGINS.md"}
    assert present == set(rows), {"not in ORIGINS.md": present - set(rows), "missing": set(rows) - present}


def stated_outcome(text: str):
    if re.search(r"\bINVALID\b", text) or "must refuse" in text:
        return "INVALID"
    if re.search(r"\bVALID\b", text):
        return "VALID"
    return None


def conformance_default_identity():
    match = re.search(r"default identity: `([^`]+)`\s+issuer: `([^`]+)`", ORIGINS.read_text(encoding="utf-8"))
    assert match, "ORIGINS.md does not state the conformance default identity and issuer"
    return match.group(1), match.group(2)


def conformance_case(name: str) -> dict:
    """Arguments for a conformance bundle, laid out as the upstream conformance suite does."""
    base = Path(v(f"conformance/{name}/bundle.sigstore.json")).parent
    identity, issuer = conformance_default_identity()
    if (base / "identity").is_file():
        identity = (base / "identity").read_text().strip()
        issuer = (base / "issuer").read_text().strip()
    args = {
        "artifact": str(base / "artifact") if (base / "artifact").is_file() else v("conformance/a.txt"),
        "bundle_path": str(base / "bundle.sigstore.json"),
        "trusted_root_path": str(base / "trusted_root.json")
        if (base / "trusted_root.json").is_file()
        else v("trust/production.trusted_root.json"),
    }
    if (base / "key.pub").is_file():
        args["public_key_path"] = str(base / "key.pub")
    else:
        args["certificate_identity"] = identity
        args["certificate_oidc_issuer"] = issuer
    return args


def sigstore_python_case(name: str, identity: str) -> dict:
    return {
        "artifact": v(f"sigstore-python/{name}.txt"),
        "bundle_path": v(
            next(
                rel
                for rel in (f"sigstore-python/{name}.txt.sigstore", f"sigstore-python/{name}.txt.sigstore.json")
                if (VECTORS / rel).is_file()
            )
        ),
        "trusted_root_path": v("trust/staging.trusted_root.json"),
        "certificate_identity": identity,
        "certificate_oidc_issuer": GITHUB_ISSUER,
    }


def detached_case(name: str) -> dict:
    return {
        "artifact": v(f"sigstore-python/{name}.txt"),
        "signature_path": v(f"sigstore-python/{name}.txt.sig"),
        "certificate_path": v(f"sigstore-python/{name}.txt.crt"),
        "trusted_root_path": v("trust/staging.trusted_root.json"),
        "certificate_identity": "william@yossarian.net",
        "certificate_oidc_issuer": GITHUB_ISSUER,
    }


def derived_case(
    artifact="conformance/a.txt", signature="derived/a.txt.sig", key="conformance/managed-key-happy-path/key.pub"
) -> dict:
    return {
        "artifact": v(artifact),
        "signature_path": v(signature),
        "public_key_path": v(key),
        "require_tlog": False,  # a bare signature carries no Rekor evidence: explicit opt-out
    }


# ORIGINS file -> (how to call the module, regexp the failure message must match for INVALID rows)
CASES = {
    "conformance/happy-path-v0.1/bundle.sigstore.json": (lambda: conformance_case("happy-path-v0.1"), None),
    "conformance/happy-path-v0.2/bundle.sigstore.json": (lambda: conformance_case("happy-path-v0.2"), None),
    "conformance/happy-path-v0.3/bundle.sigstore.json": (lambda: conformance_case("happy-path-v0.3"), None),
    "conformance/happy-path-v0.3-new-mediaType/bundle.sigstore.json": (
        lambda: conformance_case("happy-path-v0.3-new-mediaType"),
        None,
    ),
    "conformance/managed-key-happy-path/bundle.sigstore.json": (
        lambda: conformance_case("managed-key-happy-path"),
        None,
    ),
    "conformance/managed-key-and-trusted-root/bundle.sigstore.json": (
        lambda: conformance_case("managed-key-and-trusted-root"),
        None,
    ),
    "conformance/managed-key-wrong-key_fail/bundle.sigstore.json": (
        lambda: conformance_case("managed-key-wrong-key_fail"),
        r"cannot parse public_key_path .* as a PEM public key",
    ),
    "conformance/managed-key-no-key_fail/bundle.sigstore.json": (
        lambda: conformance_case("managed-key-no-key_fail"),
        r"signed with a key .* give public_key",
    ),
    "conformance/signature-mismatch_fail/bundle.sigstore.json": (
        lambda: conformance_case("signature-mismatch_fail"),
        r"Signature is invalid for input",
    ),
    "conformance/wrong-material_fail/bundle.sigstore.json": (
        lambda: conformance_case("wrong-material_fail"),
        r"digest mismatch",
    ),
    "conformance/message-digest-mismatch_fail/bundle.sigstore.json": (
        lambda: conformance_case("message-digest-mismatch_fail"),
        r"digest mismatch",
    ),
    "conformance/incorrect-public-key_fail/bundle.sigstore.json": (
        lambda: conformance_case("incorrect-public-key_fail"),
        r"inclusion proof contains invalid root hash",
    ),
    "conformance/bundle-with-root-cert_fail/bundle.sigstore.json": (
        lambda: conformance_case("bundle-with-root-cert_fail"),
        r"inclusion proof, with checkpoint",
    ),
    "conformance/integrated-time-in-future_fail/bundle.sigstore.json": (
        lambda: conformance_case("integrated-time-in-future_fail"),
        r"not valid at validation time",
    ),
    "conformance/bundle-malformed-json_fail/bundle.sigstore.json": (
        lambda: conformance_case("bundle-malformed-json_fail"),
        r"is not valid JSON",
    ),
    "conformance/bundle-invalid-base64-signature_fail/bundle.sigstore.json": (
        lambda: conformance_case("bundle-invalid-base64-signature_fail"),
        r"signature is not valid base64",
    ),
    "conformance/bundle-unknown-version_fail/bundle.sigstore.json": (
        lambda: conformance_case("bundle-unknown-version_fail"),
        r"unsupported bundle media type .*version=99\.9",
    ),
    "conformance/bundle-from-wrong-instance_fail/bundle.sigstore.json": (
        lambda: conformance_case("bundle-from-wrong-instance_fail"),
        r"failed to build timestamp certificate chain",
    ),
    "conformance/set-invalid-signature_fail/bundle.sigstore.json": (
        lambda: conformance_case("set-invalid-signature_fail"),
        r"SET: invalid inclusion promise",
    ),
    "conformance/invalid-inclusion-proof_fail/bundle.sigstore.json": (
        lambda: conformance_case("invalid-inclusion-proof_fail"),
        r"inclusion proof",
    ),
    "conformance/inclusion-proof-corrupted-hash_fail/bundle.sigstore.json": (
        lambda: conformance_case("inclusion-proof-corrupted-hash_fail"),
        r"inclusion proof contains invalid root hash",
    ),
    "conformance/checkpoint-wrong-roothash_fail/bundle.sigstore.json": (
        lambda: conformance_case("checkpoint-wrong-roothash_fail"),
        r"invalid root hash",
    ),
    "conformance/bundle-negative-log-index_fail/bundle.sigstore.json": (
        lambda: conformance_case("bundle-negative-log-index_fail"),
        r"logIndex must be a non-negative integer, got '-1'",
    ),
    "conformance/wrong-hashedrekord-artifact_fail/bundle.sigstore.json": (
        lambda: conformance_case("wrong-hashedrekord-artifact_fail"),
        r"transparency log entry is inconsistent with other materials",
    ),
    "conformance/wrong-hashedrekord-cert-and-sig_fail/bundle.sigstore.json": (
        lambda: conformance_case("wrong-hashedrekord-cert-and-sig_fail"),
        r"transparency log entry is inconsistent with other materials",
    ),
    "conformance/bundle-empty-certificate-chain_fail/bundle.sigstore.json": (
        lambda: conformance_case("bundle-empty-certificate-chain_fail"),
        r"empty x509CertificateChain",
    ),
    "sigstore-python/bundle.txt.sigstore": (lambda: sigstore_python_case("bundle", "a@tny.town"), None),
    "sigstore-python/bundle_v3.txt.sigstore": (
        lambda: sigstore_python_case("bundle_v3", "william@yossarian.net"),
        None,
    ),
    "sigstore-python/bundle_cve_2022_36056.txt.sigstore": (
        lambda: sigstore_python_case("bundle_cve_2022_36056", "william@yossarian.net"),
        r"transparency log entry is inconsistent with other materials",
    ),
    "sigstore-python/bundle_invalid_version.txt.sigstore": (
        lambda: sigstore_python_case("bundle_invalid_version", "william@yossarian.net"),
        r"unsupported bundle media type",
    ),
    "sigstore-python/bundle_v3_no_signed_time.txt.sigstore.json": (
        lambda: sigstore_python_case("bundle_v3_no_signed_time", "william@yossarian.net"),
        r"must contain an inclusion promise or signed timestamp",
    ),
    "sigstore-python/a.txt.sig": (lambda: detached_case("a"), r"cannot establish tlog inclusion"),
    "sigstore-python/bad.txt.sig": (lambda: detached_case("bad"), r"signature .* does not match the file"),
    "derived/a.txt.sig": (derived_case, None),
    "derived/a.txt.tampered": (lambda: derived_case(artifact="derived/a.txt.tampered"), r"does not match the file"),
    "derived/a.txt.sig.bitflip": (
        lambda: derived_case(signature="derived/a.txt.sig.bitflip"),
        r"does not match the file",
    ),
    "derived/other.pub": (lambda: derived_case(key="derived/other.pub"), r"does not match the file"),
}


def test_every_origins_verification_row_has_a_case():
    stated = {name for name, text in origins_expectations().items() if stated_outcome(text)}
    assert stated == set(CASES), {"not covered": stated - set(CASES), "not in ORIGINS": set(CASES) - stated}


@pytest.mark.parametrize("name", sorted(CASES))
def test_origins_case(verify, name):
    expected = stated_outcome(origins_expectations()[name])
    build, reason = CASES[name]
    args = build()
    artifact = args.pop("artifact")
    result = verify(path=artifact, **args)
    if expected == "VALID":
        assert reason is None
        assert_valid(result, artifact)
        assert result["tlog_verified"] is result["tlog_required"]
    else:
        assert reason is not None
        assert_invalid(result, reason)


def test_line_ending_change_breaks_the_signature(verify, tmp_path):
    """conformance/a.txt with LF turned into CRLF (made here: the repository keeps no CR bytes)."""
    crlf = tmp_path / "a.txt.crlf"
    crlf.write_bytes(Path(v("conformance/a.txt")).read_bytes().replace(b"\n", b"\r\n"))
    args = derived_case()
    del args["artifact"]
    assert_invalid(verify(path=str(crlf), **args), r"does not match the file")


# -- what the ORIGINS notes say beyond VALID / INVALID -------------------------------------------


def test_keyless_result_reports_signer_bundle_and_tlog(verify):
    args = conformance_case("happy-path-v0.3")
    identity, issuer = conformance_default_identity()
    result = verify(path=args.pop("artifact"), **args)
    assert result["method"] == "keyless"
    assert result["material"] == "bundle"
    assert result["bundle_media_type"] == "application/vnd.dev.sigstore.bundle+json;version=0.3"
    assert result["bundle_version"] == "0.3"
    assert result["signer"] == {"identity": identity, "issuer": issuer}
    assert result["signature_digest_algorithm"] == "sha256"
    assert result["tlog_verified"] is True and result["tlog_required"] is True
    entry = json.loads(Path(args["bundle_path"]).read_text())["verificationMaterial"]["tlogEntries"][0]
    assert result["tlog"]["log_index"] == int(entry["logIndex"])
    assert result["tlog"]["integrated_time"] == int(entry["integratedTime"])
    assert result["tlog"]["log_id"] == base64.b64decode(entry["logId"]["keyId"]).hex()
    assert "warnings" not in result


def test_key_based_bundle_result_and_module_call(verify):
    args = conformance_case("managed-key-happy-path")
    artifact = args.pop("artifact")
    result = verify(path=artifact, **args)
    assert_valid(result, artifact)
    assert result["method"] == "key"
    assert result["public_key_type"] == "ecdsa-p256"
    assert result["signer"] is None
    assert result["tlog"]["inclusion_proof_verified"] is True
    assert result["tlog"]["inclusion_promise_verified"] is True
    assert result["_calls"] == [(FQCN, {"path": artifact, "digest_algorithms": ["sha256"]})]


def test_managed_key_bundle_from_staging_fails_against_production_root(verify):
    args = conformance_case("managed-key-and-trusted-root")
    args["trusted_root_path"] = v("trust/production.trusted_root.json")
    result = verify(path=args.pop("artifact"), **args)
    assert_invalid(result, r"comes from log d32f30a3.* which .*production.trusted_root.json does not list")


@pytest.mark.parametrize("case", ["happy-path-v0.1", "happy-path-v0.3"])
def test_staging_trusted_root_refuses_production_bundles(verify, case):
    args = conformance_case(case)
    args["trusted_root_path"] = v("trust/staging.trusted_root.json")
    assert_invalid(verify(path=args.pop("artifact"), **args), r"keyless verification of .* failed")


def test_detached_p384_signature_is_over_sha256_not_the_curve_hash(verify):
    """sigstore-python a.txt.sig: P-384 key, SHA-256 digest; the signature checks, then tlog is refused."""
    cert = x509.load_pem_x509_certificate(Path(v("sigstore-python/a.txt.crt")).read_bytes())
    assert cert.public_key().curve.name == "secp384r1"
    args = detached_case("a")
    result = verify(path=args.pop("artifact"), **args)
    assert_invalid(result, r"cannot establish tlog inclusion")
    assert result["signature_digest_algorithm"] == "sha256"
    assert result["_calls"][0][1]["digest_algorithms"] == ["sha256", "sha384"]


def test_detached_certificate_is_refused_even_with_tlog_opt_out(verify):
    args = detached_case("a")
    assert_invalid(verify(path=args.pop("artifact"), require_tlog=False, **args), r"cannot establish tlog inclusion")


def test_bare_signature_needs_explicit_tlog_opt_out(verify):
    args = derived_case()
    del args["require_tlog"]
    result = verify(path=args.pop("artifact"), **args)
    assert_invalid(result, r"bare signature: it carries no transparency log evidence .* require_tlog: false")
    assert result["_calls"] == []  # refused before the target is touched


def test_sigstore_library_warnings_become_task_warnings(verify, capsys):
    args = conformance_case("bundle-with-root-cert_fail")
    result = verify(path=args.pop("artifact"), **args)
    assert_invalid(result, r"inclusion proof, with checkpoint")
    assert result["warnings"] == ["sigstore: this bundle contains a root CA, making it subject to misuse"]
    assert "root CA" not in capsys.readouterr().err


def test_tlog_opt_out_is_reported(verify):
    args = derived_case()
    artifact = args.pop("artifact")
    result = verify(path=artifact, **args)
    assert_valid(result, artifact)
    assert result["method"] == "key" and result["material"] == "signature"
    assert result["tlog_verified"] is False
    assert result["tlog_required"] is False
    assert result["tlog"] == {"verified": False, "required": False}
    assert any("require_tlog is false" in w and "NOT checked" in w for w in result["warnings"])


def test_keyless_ignores_tlog_opt_out_and_says_so(verify):
    args = conformance_case("happy-path-v0.2")
    artifact = args.pop("artifact")
    result = verify(path=artifact, require_tlog=False, **args)
    assert_valid(result, artifact)
    assert result["tlog_verified"] is True and result["tlog_required"] is False
    assert any("keyless verification always checks" in w for w in result["warnings"])


def test_sigstore_go_key_bundle_without_tlog_entry(verify):
    """sigstore-go public-key-validity: key-based, TSA timestamp only, no Rekor entry."""
    args = {
        "bundle_path": v("sigstore-go/public-key-validity.sigstore.json"),
        "public_key_path": v("sigstore-go/public-key-validity.pem"),
        "trusted_root_path": v("sigstore-go/public-key-validity.trusted_root.json"),
    }
    assert_invalid(verify(path=v("conformance/a.txt"), **args), r"carries no transparency log entry")
    # Opting out, the bundle's messageDigest (an artifact this repository does not have) must match the file.
    result = verify(path=v("conformance/a.txt"), require_tlog=False, **args)
    assert_invalid(result, r"messageDigest sha256:6ae8a755.* does not match the file")


def test_check_mode_verifies_the_same(verify):
    args = conformance_case("happy-path-v0.1")
    artifact = args.pop("artifact")
    assert_valid(verify(check_mode=True, path=artifact, **args), artifact)
    bad = conformance_case("wrong-material_fail")
    assert_invalid(verify(check_mode=True, path=bad.pop("artifact"), **bad), r"digest mismatch")


# -- the old cosign --bundle layout, derived from real Rekor entries -----------------------------


def legacy_bundle(tmp_path, source, public_key_pem=None, drop_rekor=False, **payload_changes):
    doc = json.loads(Path(source).read_text())
    vm = doc["verificationMaterial"]
    entry = vm["tlogEntries"][0]
    if public_key_pem is not None:
        cert = public_key_pem
    else:
        raw = (
            vm["certificate"]["rawBytes"]
            if "certificate" in vm
            else vm["x509CertificateChain"]["certificates"][0]["rawBytes"]
        )
        cert = x509.load_der_x509_certificate(base64.b64decode(raw)).public_bytes(serialization.Encoding.PEM)
    legacy = {
        "base64Signature": doc["messageSignature"]["signature"],
        "cert": base64.b64encode(cert).decode(),
        "rekorBundle": {
            "SignedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"],
            "Payload": {
                "body": entry["canonicalizedBody"],
                "integratedTime": int(entry["integratedTime"]),
                "logIndex": int(entry["logIndex"]),
                "logID": base64.b64decode(entry["logId"]["keyId"]).hex(),
                **payload_changes,
            },
        },
    }
    if drop_rekor:
        del legacy["rekorBundle"]
    path = tmp_path / "legacy.bundle.json"
    path.write_text(json.dumps(legacy))
    return str(path)


@pytest.mark.parametrize("case", ["happy-path-v0.1", "happy-path-v0.3"])
def test_legacy_keyless_bundle_from_real_entry(verify, tmp_path, case):
    args = conformance_case(case)
    artifact = args.pop("artifact")
    args["bundle_path"] = legacy_bundle(tmp_path, args["bundle_path"])
    result = verify(path=artifact, **args)
    assert_valid(result, artifact)
    assert result["material"] == "legacy_bundle" and result["bundle_version"] == "cosign-legacy"
    assert result["method"] == "keyless"
    assert result["signer"]["issuer"] == conformance_default_identity()[1]
    assert result["tlog"]["inclusion_promise_verified"] is True
    assert result["tlog"]["inclusion_proof_verified"] is False


def test_legacy_keyless_p384_certificate_signed_over_sha256(verify, tmp_path):
    args = sigstore_python_case("bundle", "a@tny.town")
    artifact = args.pop("artifact")
    args["bundle_path"] = legacy_bundle(tmp_path, args["bundle_path"])
    result = verify(path=artifact, **args)
    assert_valid(result, artifact)
    assert result["signature_digest_algorithm"] == "sha256"
    assert result["signer"] == {"identity": "a@tny.town", "issuer": GITHUB_ISSUER}


@pytest.mark.parametrize(
    "case, changes, reason",
    [
        ("set-invalid-signature_fail", {}, r"signed entry timestamp .* does not verify"),
        ("wrong-hashedrekord-artifact_fail", {}, r"inconsistent with the other materials .* records digest"),
        ("integrated-time-in-future_fail", {}, r"does not chain to .* at the signing time"),
        ("happy-path-v0.1", {"integratedTime": 1689177397}, r"signed entry timestamp .* does not verify"),
        ("happy-path-v0.1", {"logIndex": 1}, r"signed entry timestamp .* does not verify"),
    ],
)
def test_legacy_keyless_bundle_refuses_tampering(verify, tmp_path, case, changes, reason):
    args = conformance_case(case)
    args["bundle_path"] = legacy_bundle(tmp_path, args["bundle_path"], **changes)
    assert_invalid(verify(path=args.pop("artifact"), **args), reason)


def test_legacy_keyless_bundle_from_another_instance(verify, tmp_path):
    args = sigstore_python_case("bundle", "a@tny.town")
    args["bundle_path"] = legacy_bundle(tmp_path, args["bundle_path"])
    args["trusted_root_path"] = v("trust/production.trusted_root.json")
    assert_invalid(verify(path=args.pop("artifact"), **args), r"does not list: it was made on another Sigstore")


def test_legacy_keyless_bundle_without_rekor_bundle(verify, tmp_path):
    args = conformance_case("happy-path-v0.1")
    args["bundle_path"] = legacy_bundle(tmp_path, args["bundle_path"], drop_rekor=True)
    assert_invalid(verify(path=args.pop("artifact"), require_tlog=False, **args), r"no trusted signing time")


def test_legacy_keyless_sct_must_verify_against_trusted_root(verify, tmp_path):
    root = json.loads(Path(v("trust/production.trusted_root.json")).read_text())
    root["ctlogs"] = []
    (tmp_path / "root.json").write_text(json.dumps(root))
    args = conformance_case("happy-path-v0.1")
    args["bundle_path"] = legacy_bundle(tmp_path, args["bundle_path"])
    args["trusted_root_path"] = str(tmp_path / "root.json")
    assert_invalid(verify(path=args.pop("artifact"), **args), r"no certificate transparency SCT .* verifies")


def test_legacy_keyless_sct_signed_by_unknown_key_is_refused(verify, tmp_path):
    """Same CT log IDs, other keys: the SCT signature itself must be checked."""
    root = json.loads(Path(v("trust/production.trusted_root.json")).read_text())
    for log in root["ctlogs"]:
        other = ec.generate_private_key(ec.SECP256R1()).public_key()
        der = other.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        log["publicKey"]["rawBytes"] = base64.b64encode(der).decode()
    (tmp_path / "root.json").write_text(json.dumps(root))
    args = conformance_case("happy-path-v0.1")
    args["bundle_path"] = legacy_bundle(tmp_path, args["bundle_path"])
    args["trusted_root_path"] = str(tmp_path / "root.json")
    assert_invalid(verify(path=args.pop("artifact"), **args), r"no certificate transparency SCT .* verifies")


def test_legacy_keyless_certificate_from_untrusted_ca_is_refused(verify, tmp_path):
    root = json.loads(Path(v("trust/production.trusted_root.json")).read_text())
    staging = json.loads(Path(v("trust/staging.trusted_root.json")).read_text())
    root["certificateAuthorities"] = staging["certificateAuthorities"]
    (tmp_path / "root.json").write_text(json.dumps(root))
    args = conformance_case("happy-path-v0.1")
    args["bundle_path"] = legacy_bundle(tmp_path, args["bundle_path"])
    args["trusted_root_path"] = str(tmp_path / "root.json")
    assert_invalid(
        verify(path=args.pop("artifact"), **args),
        r"does not chain to .* at the signing time|no certificate authority valid",
    )


@pytest.mark.parametrize(
    "policy, reason",
    [
        (
            {"certificate_identity": "https://github.com/sigstore-conformance"},
            r"certificate identity .* does not match",
        ),
        ({"certificate_identity_regexp": "https://github.com/sigstore-conformance/"}, r"does not match regexp"),
        ({"certificate_oidc_issuer": "https://accounts.google.com"}, r"OIDC issuer .* does not match"),
        ({"certificate_oidc_issuer_regexp": "https://token"}, r"OIDC issuer .* does not match regexp"),
    ],
)
@pytest.mark.parametrize("form", ["bundle", "legacy"])
def test_identity_policy_refuses(verify, tmp_path, policy, reason, form):
    args = conformance_case("happy-path-v0.3")
    if form == "legacy":
        args["bundle_path"] = legacy_bundle(tmp_path, args["bundle_path"])
    if "certificate_identity_regexp" in policy:
        del args["certificate_identity"]
    if "certificate_oidc_issuer_regexp" in policy:
        del args["certificate_oidc_issuer"]
    args.update(policy)
    assert_invalid(verify(path=args.pop("artifact"), **args), reason)


@pytest.mark.parametrize("form", ["bundle", "legacy"])
def test_identity_and_issuer_regexps_match_whole_values(verify, tmp_path, form):
    args = conformance_case("happy-path-v0.3")
    artifact = args.pop("artifact")
    if form == "legacy":
        args["bundle_path"] = legacy_bundle(tmp_path, args["bundle_path"])
    del args["certificate_identity"], args["certificate_oidc_issuer"]
    result = verify(
        path=artifact,
        certificate_identity_regexp=r"https://github\.com/sigstore-conformance/.*@refs/heads/main",
        certificate_oidc_issuer_regexp=r"https://token\.actions\.githubusercontent\.com",
        **args,
    )
    assert_valid(result, artifact)


@pytest.mark.parametrize(
    "drop, missing",
    [
        (("certificate_identity", "certificate_oidc_issuer"), r"certificate_identity .* and certificate_oidc_issuer"),
        (("certificate_oidc_issuer",), r"needs both certificate_identity .* certificate_oidc_issuer"),
        (("certificate_identity",), r"needs both certificate_identity"),
    ],
)
def test_keyless_needs_identity_and_issuer(verify, drop, missing):
    args = conformance_case("happy-path-v0.3")
    for name in drop:
        del args[name]
    result = verify(path=args.pop("artifact"), **args)
    assert_invalid(result, missing)
    assert result["_calls"] == []  # refused before the target is touched
    assert set(result["missing"]) == {
        "certificate_identity" if "identity" in n else "certificate_oidc_issuer" for n in drop
    }


def test_invalid_identity_regexp(verify):
    args = conformance_case("happy-path-v0.3")
    del args["certificate_identity"]
    result = verify(path=args.pop("artifact"), certificate_identity_regexp="(", **args)
    assert_invalid(result, r"certificate_identity_regexp '\(' is not a valid regular expression")


def test_legacy_key_based_bundle_from_real_entry(verify, tmp_path):
    key = Path(v("conformance/managed-key-happy-path/key.pub")).read_bytes()
    args = conformance_case("managed-key-happy-path")
    artifact = args.pop("artifact")
    source = args["bundle_path"]
    args["bundle_path"] = legacy_bundle(tmp_path, source, public_key_pem=key)
    result = verify(path=artifact, **args)
    assert_valid(result, artifact)
    assert result["method"] == "key" and result["material"] == "legacy_bundle"
    assert result["tlog"]["inclusion_promise_verified"] is True


def test_legacy_key_based_bundle_without_rekor_bundle(verify, tmp_path):
    key = Path(v("conformance/managed-key-happy-path/key.pub")).read_bytes()
    args = conformance_case("managed-key-happy-path")
    artifact = args.pop("artifact")
    args["bundle_path"] = legacy_bundle(tmp_path, args["bundle_path"], public_key_pem=key, drop_rekor=True)
    assert_invalid(verify(path=artifact, **args), r"carries no transparency log entry")
    result = verify(path=artifact, require_tlog=False, **args)
    assert_valid(result, artifact)
    assert result["tlog_verified"] is False and result["tlog_required"] is False


def test_legacy_bundle_with_key_in_cert_field_needs_public_key(verify, tmp_path):
    key = Path(v("conformance/managed-key-happy-path/key.pub")).read_bytes()
    args = conformance_case("managed-key-happy-path")
    bundle = legacy_bundle(tmp_path, args["bundle_path"], public_key_pem=key)
    result = verify(path=args["artifact"], bundle_path=bundle, trusted_root_path=args["trusted_root_path"])
    assert_invalid(result, r"names no signer: give public_key")


# -- tampered copies of the real key-based bundle (exercise this collection's own tlog code) -----


def tampered(tmp_path, case, change):
    doc = json.loads(Path(v(f"conformance/{case}/bundle.sigstore.json")).read_text())
    change(doc)
    path = tmp_path / "tampered.sigstore.json"
    path.write_text(json.dumps(doc))
    return str(path)


def _flip_b64(value: str, index: int = -3) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[index] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _entry(doc):
    return doc["verificationMaterial"]["tlogEntries"][0]


def _set_checkpoint_root(doc):
    proof = _entry(doc)["inclusionProof"]
    lines = proof["checkpoint"]["envelope"].split("\n")
    lines[2] = _flip_b64(lines[2])
    proof["checkpoint"]["envelope"] = "\n".join(lines)
    proof["rootHash"] = lines[2]


TAMPERINGS = {
    "SET signature": (
        lambda d: _entry(d)["inclusionPromise"].update(
            signedEntryTimestamp=_flip_b64(_entry(d)["inclusionPromise"]["signedEntryTimestamp"], 10)
        ),
        r"signed entry timestamp .* does not verify",
    ),
    "integrated time": (
        lambda d: _entry(d).update(integratedTime="1766077480"),
        r"signed entry timestamp .* does not verify",
    ),
    "proof hash": (
        lambda d: _entry(d)["inclusionProof"]["hashes"].__setitem__(
            3, _flip_b64(_entry(d)["inclusionProof"]["hashes"][3])
        ),
        r"invalid inclusion proof .* leads to root hash",
    ),
    "proof index": (lambda d: _entry(d)["inclusionProof"].update(logIndex="649584074"), r"invalid inclusion proof"),
    "checkpoint root": (_set_checkpoint_root, r"invalid inclusion proof .* leads to root hash"),
    "checkpoint size": (
        lambda d: _entry(d)["inclusionProof"]["checkpoint"].update(
            envelope=_entry(d)["inclusionProof"]["checkpoint"]["envelope"].replace("\n649584076\n", "\n649584077\n")
        ),
        r"checkpoint .* is for tree size 649584077",
    ),
    "checkpoint signature": (
        lambda d: _entry(d)["inclusionProof"]["checkpoint"].update(
            envelope=_entry(d)["inclusionProof"]["checkpoint"]["envelope"].replace("wNI9ajBFAiB+", "wNI9ajBFAiB/")
        ),
        r"checkpoint .* is not signed by log",
    ),
    "no proof in v0.3": (
        lambda d: _entry(d).pop("inclusionProof"),
        r"no inclusion proof with a checkpoint, which bundle v0\.2\+ requires",
    ),
    "message digest hint": (
        lambda d: d["messageSignature"]["messageDigest"].update(
            digest=_flip_b64(d["messageSignature"]["messageDigest"]["digest"])
        ),
        r"messageDigest .* does not match the file",
    ),
    "signature": (
        lambda d: d["messageSignature"].update(signature=_flip_b64(d["messageSignature"]["signature"])),
        r"does not match the file|does not verify",
    ),
    "no tlog entries": (lambda d: d["verificationMaterial"].pop("tlogEntries"), r"carries no transparency log entry"),
    "log id": (
        lambda d: _entry(d)["logId"].update(keyId=base64.b64encode(b"\x01" * 32).decode()),
        r"comes from log 0101.* does not list",
    ),
    "entry kind": (lambda d: _entry(d)["kindVersion"].update(version="0.0.2"), r"hashedrekord/0\.0\.2 log entry"),
    "two entries": (
        lambda d: d["verificationMaterial"]["tlogEntries"].append(copy.deepcopy(_entry(d))),
        r"carries 2 transparency log entries",
    ),
}


@pytest.mark.parametrize("what", sorted(TAMPERINGS))
def test_key_based_bundle_refuses_tampering(verify, tmp_path, what):
    change, reason = TAMPERINGS[what]
    args = conformance_case("managed-key-happy-path")
    args["bundle_path"] = tampered(tmp_path, "managed-key-happy-path", change)
    assert_invalid(verify(path=args.pop("artifact"), **args), reason)


def root_with_rekor_window(tmp_path, start, end):
    """trust/production.trusted_root.json with the validFor of the Rekor log that logged
    managed-key-happy-path (log ID c0d23d6a...) set to ``start`` .. ``end`` (None: open)."""
    root = json.loads(Path(v("trust/production.trusted_root.json")).read_text())
    (rekor,) = [log for log in root["tlogs"] if log["baseUrl"] == "https://rekor.sigstore.dev"]
    rekor["publicKey"]["validFor"] = {"start": start, **({"end": end} if end else {})}
    path = tmp_path / "edited.trusted_root.json"
    path.write_text(json.dumps(root))
    return str(path)


def test_key_based_proof_only_bundle_verifies_within_log_key_validity(verify, tmp_path):
    """The real key-based bundle without its inclusion promise still verifies by its proof + checkpoint."""
    args = conformance_case("managed-key-happy-path")
    artifact = args.pop("artifact")
    args["bundle_path"] = tampered(tmp_path, "managed-key-happy-path", lambda d: _entry(d).pop("inclusionPromise"))
    result = verify(path=artifact, **args)
    assert_valid(result, artifact)
    assert result["tlog"]["inclusion_proof_verified"] is True
    assert result["tlog"]["inclusion_promise_verified"] is False


@pytest.mark.parametrize(
    "start, end",
    [("2021-01-12T11:53:27Z", "2025-01-01T00:00:00Z"), ("2026-01-01T00:00:00Z", None)],
    ids=["ends-before-entry", "starts-after-entry"],
)
def test_key_based_proof_only_bundle_outside_log_key_validity_is_refused(verify, tmp_path, start, end):
    """A trusted root whose Rekor key window ends before, or starts after, the entry's integratedTime
    (2025-12-18T17:04:39Z), with a bundle that carries only an inclusion proof + checkpoint; both are
    made here from the stored vectors (see ORIGINS.md)."""
    args = conformance_case("managed-key-happy-path")
    args["bundle_path"] = tampered(tmp_path, "managed-key-happy-path", lambda d: _entry(d).pop("inclusionPromise"))
    args["trusted_root_path"] = root_with_rekor_window(tmp_path, start, end)
    result = verify(path=args.pop("artifact"), **args)
    assert_invalid(
        result,
        r"log entry integrated at 2025-12-18T17:04:39\+00:00 is outside the validity of log key c0d23d6a.*; "
        r"bundle_path .*tampered\.sigstore\.json cannot be trusted with this log key",
    )
    assert result["tlog_verified"] is False


def test_key_based_bundle_with_promise_outside_log_key_validity_is_refused(verify, tmp_path):
    """The same rule on the inclusion promise path, with the unmodified real bundle."""
    args = conformance_case("managed-key-happy-path")
    args["trusted_root_path"] = root_with_rekor_window(tmp_path, "2021-01-12T11:53:27Z", "2025-01-01T00:00:00Z")
    assert_invalid(verify(path=args.pop("artifact"), **args), r"is outside the validity of log key c0d23d6a")


def test_key_based_bundle_without_tlog_entry_verifies_with_opt_out(verify, tmp_path):
    args = conformance_case("managed-key-happy-path")
    artifact = args.pop("artifact")
    args["bundle_path"] = tampered(tmp_path, "managed-key-happy-path", TAMPERINGS["no tlog entries"][0])
    del args["trusted_root_path"]
    result = verify(path=artifact, require_tlog=False, **args)
    assert_valid(result, artifact)
    assert result["tlog_verified"] is False and result["tlog_required"] is False


def test_key_based_bundle_with_other_key(verify):
    args = conformance_case("managed-key-happy-path")
    args["public_key_path"] = v("derived/other.pub")
    assert_invalid(verify(path=args.pop("artifact"), **args), r"does not match the file: it does not verify with")


def test_key_based_bundle_refuses_identity_options(verify):
    args = conformance_case("managed-key-happy-path")
    result = verify(path=args.pop("artifact"), certificate_identity="someone", **args)
    assert_invalid(result, r"apply to keyless material")


def test_keyless_bundle_refuses_public_key(verify):
    args = conformance_case("happy-path-v0.3")
    del args["certificate_identity"], args["certificate_oidc_issuer"]
    result = verify(path=args.pop("artifact"), public_key_path=v("conformance/managed-key-happy-path/key.pub"), **args)
    assert_invalid(result, r"carries a signing certificate \(keyless\), but public_key was given")


def test_key_based_bundle_needs_trusted_root_for_tlog(verify):
    args = conformance_case("managed-key-happy-path")
    del args["trusted_root_path"]
    result = verify(path=args.pop("artifact"), **args)
    assert_invalid(result, r"trusted_root_path is required for checking transparency log evidence")
    assert result["_calls"] == []


def test_keyless_needs_trusted_root(verify):
    args = conformance_case("happy-path-v0.3")
    del args["trusted_root_path"]
    assert_invalid(verify(path=args.pop("artifact"), **args), r"trusted_root_path is required for keyless verification")


def test_missing_sigstore_library_is_reported(verify, monkeypatch):
    for name in [n for n in sys.modules if n == "sigstore" or n.startswith(("sigstore.", "sigstore_models"))]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "sigstore", None)
    args = conformance_case("happy-path-v0.3")
    result = verify(path=args.pop("artifact"), **args)
    assert_invalid(result, r"Failed to import the required Python library \(sigstore\)")
    assert "keyless Sigstore bundles" in result["msg"]
    assert result["_calls"] == []
    # Key-based material does not need the library.
    key_args = conformance_case("managed-key-happy-path")
    artifact = key_args.pop("artifact")
    assert_valid(verify(path=artifact, **key_args), artifact)


def test_inline_material_and_bundle_as_mapping(verify):
    artifact = v("conformance/a.txt")
    result = verify(
        path=artifact,
        signature=Path(v("derived/a.txt.sig")).read_text(),
        public_key=Path(v("conformance/managed-key-happy-path/key.pub")).read_text(),
        require_tlog=False,
    )
    assert_valid(result, artifact)
    args = conformance_case("happy-path-v0.3")
    bundle = json.loads(Path(args.pop("bundle_path")).read_text())
    assert_valid(verify(path=args.pop("artifact"), bundle=bundle, **args), artifact)


@pytest.mark.parametrize("form", ["prefixed", "bare"])
def test_expected_digest(verify, form):
    args = derived_case()
    artifact = args.pop("artifact")
    digest = sha256_of(artifact)
    pinned = f"sha256:{digest}" if form == "prefixed" else digest
    assert_valid(verify(path=artifact, expected_digest=pinned, **args), artifact)
    other = sha256_of(v("derived/a.txt.tampered"))
    result = verify(path=artifact, expected_digest=f"sha256:{other}", **args)
    assert_invalid(result, rf"does not match expected_digest: expected sha256:{other}, actual sha256:{digest}")


def test_expected_digest_sha512_is_computed_on_target(verify):
    args = derived_case()
    artifact = args.pop("artifact")
    digest = hashlib.sha512(Path(artifact).read_bytes()).hexdigest()
    result = verify(path=artifact, expected_digest=f"sha512:{digest}", **args)
    assert_valid(result, artifact)
    assert result["digests"]["sha512"] == digest
    assert result["_calls"][0][1]["digest_algorithms"] == ["sha256", "sha512"]


def test_bad_expected_digest(verify, tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    result = verify(path=str(tmp_path / "f"), signature="MEUC", expected_digest="md5:abc", require_tlog=False)
    assert_invalid(result, r"algorithm prefix 'md5' is not supported")


# -- generated key-based material, logged in an in-test Rekor-style log ----------------------------


def _pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


class TestLog:
    """A tiny append-only log that signs checkpoints and entry timestamps like Rekor v1."""

    __test__ = False
    ORIGIN = "rekor.test.invalid - 4242"

    def __init__(self, key_details="PKIX_ECDSA_P256_SHA_256", hash_algorithm=None, key=None):
        self.key_details = key_details  # as the trusted root states it (None: not stated)
        self.hash = hash_algorithm or hashes.SHA256()  # what an ECDSA log key signs with
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.der = der
        self.log_id = hashlib.sha256(der).digest()
        self.leaves = [b"filler 0", b"filler 1", b"filler 2"]

    def trusted_root(self, tmp_path, start="2020-01-01T00:00:00Z", end=None):
        valid = {"start": start, **({"end": end} if end else {})}
        doc = {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [
                {
                    "baseUrl": "https://rekor.test.invalid",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": base64.b64encode(self.der).decode(),
                        **({"keyDetails": self.key_details} if self.key_details else {}),
                        "validFor": valid,
                    },
                    "logId": {"keyId": base64.b64encode(self.log_id).decode()},
                }
            ],
        }
        path = tmp_path / "test-log.trusted_root.json"
        path.write_text(json.dumps(doc))
        return str(path)

    def sign(self, data: bytes) -> bytes:
        """The log's signature over ``data``: ECDSA over ``hash``, RSA PKCS#1 v1.5 over SHA-256, or EdDSA."""
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(data, ec.ECDSA(self.hash))
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self.key.sign(data)

    def log(self, body: bytes, integrated_time=1763900000, checkpoint_time_ns=None):
        index = len(self.leaves)
        self.leaves.append(body)
        self.leaves.append(b"later entry")
        size = len(self.leaves)
        root = merkle_root(self.leaves)
        note = f"{self.ORIGIN}\n{size}\n{base64.b64encode(root).decode()}\n"
        if checkpoint_time_ns is not None:
            note += f"Timestamp: {checkpoint_time_ns}\n"  # as Rekor v1 wrote it in older checkpoints
        note_sig = self.sign(note.encode())
        checkpoint = (
            note + "\n\u2014 rekor.test.invalid " + base64.b64encode(self.log_id[:4] + note_sig).decode() + "\n"
        )
        set_payload = json.dumps(
            {
                "body": base64.b64encode(body).decode(),
                "integratedTime": integrated_time,
                "logID": self.log_id.hex(),
                "logIndex": 1000 + index,
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        return {
            "logIndex": str(1000 + index),
            "logId": {"keyId": base64.b64encode(self.log_id).decode()},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
            "integratedTime": str(integrated_time),
            "inclusionPromise": {"signedEntryTimestamp": base64.b64encode(self.sign(set_payload)).decode()},
            "inclusionProof": {
                "logIndex": str(index),
                "rootHash": base64.b64encode(root).decode(),
                "treeSize": str(size),
                "hashes": [base64.b64encode(h).decode() for h in inclusion_path(index, self.leaves)],
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": base64.b64encode(body).decode(),
        }


def drop_promise(entry):
    """Keep the inclusion proof + checkpoint, remove the inclusion promise (SET)."""
    del entry["inclusionPromise"]


def hashedrekord(algorithm, digest_hex, signature, verifier_pem) -> bytes:
    return json.dumps(
        {
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": algorithm, "value": digest_hex}},
                "signature": {
                    "content": base64.b64encode(signature).decode(),
                    "publicKey": {"content": base64.b64encode(verifier_pem).decode()},
                },
            },
        },
        separators=(",", ":"),
    ).encode()


def sign_digest(key, algorithm, digest: bytes) -> bytes:
    prehashed = utils.Prehashed(
        {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[algorithm]
    )
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(digest, padding.PKCS1v15(), prehashed)
    return key.sign(digest, ec.ECDSA(prehashed))


PROTO = {"sha256": "SHA2_256", "sha384": "SHA2_384", "sha512": "SHA2_512"}
KEYS = {
    "ecdsa-p256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ecdsa-p384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "ecdsa-p521": lambda: ec.generate_private_key(ec.SECP521R1()),
    "rsa-3072": lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072),
}


@pytest.fixture(scope="module")
def keys():
    return {name: make() for name, make in KEYS.items()}


@pytest.fixture
def artifact(tmp_path):
    path = tmp_path / "checksums.txt"
    path.write_bytes(b"4f2a...  app_linux_amd64\n0c1d...  app_linux_arm64\n")
    return path


def make_bundle(
    tmp_path,
    log,
    key,
    algorithm,
    file_bytes,
    version="0.3",
    logged_digest=None,
    logged_key=None,
    entry_changes=None,
    checkpoint_time_ns=None,
    logged_signature=None,
    logged_verifier=None,
):
    digest = hashlib.new(algorithm, file_bytes).digest()
    signature = sign_digest(key, algorithm, digest)
    body = hashedrekord(
        algorithm,
        (logged_digest or digest).hex(),
        logged_signature or signature,
        logged_verifier if logged_verifier is not None else _pem(logged_key or key),
    )
    entry = log.log(body, checkpoint_time_ns=checkpoint_time_ns)
    if entry_changes:
        entry_changes(entry)
    media = {
        "0.1": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "0.2": "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "0.3": "application/vnd.dev.sigstore.bundle.v0.3+json",
    }[version]
    doc = {
        "mediaType": media,
        "verificationMaterial": {"publicKey": {"hint": "test"}, "tlogEntries": [entry]},
        "messageSignature": {
            "messageDigest": {"algorithm": PROTO[algorithm], "digest": base64.b64encode(digest).decode()},
            "signature": base64.b64encode(signature).decode(),
        },
    }
    path = tmp_path / "generated.sigstore.json"
    path.write_text(json.dumps(doc))
    key_path = tmp_path / "cosign.pub"
    key_path.write_bytes(_pem(key))
    return str(path), str(key_path)


@pytest.mark.parametrize(
    "key_name, algorithm",
    [
        ("ecdsa-p256", "sha256"),
        ("ecdsa-p384", "sha384"),
        ("ecdsa-p521", "sha512"),
        ("ecdsa-p256", "sha384"),  # hash as the bundle says, not as the curve suggests
        ("ecdsa-p384", "sha256"),
        ("rsa-3072", "sha256"),
    ],
)
def test_generated_key_based_bundle_with_tlog(verify, tmp_path, keys, artifact, key_name, algorithm):
    log = TestLog()
    bundle, key = make_bundle(tmp_path, log, keys[key_name], algorithm, artifact.read_bytes())
    result = verify(
        path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=log.trusted_root(tmp_path)
    )
    assert_valid(result, artifact)
    assert result["signature_digest_algorithm"] == algorithm
    assert result["public_key_type"] == key_name
    assert result["tlog"]["inclusion_proof_verified"] and result["tlog"]["inclusion_promise_verified"]
    assert result["_calls"][0][1]["digest_algorithms"] == sorted({"sha256", algorithm})
    assert result["digests"][algorithm] == hashlib.new(algorithm, artifact.read_bytes()).hexdigest()


@pytest.mark.parametrize("version, ok", [("0.1", True), ("0.2", False), ("0.3", False)])
def test_generated_bundle_versions_and_required_evidence(verify, tmp_path, keys, artifact, version, ok):
    """v0.1 needs the inclusion promise; v0.2+ need an inclusion proof with checkpoint."""
    log = TestLog()
    bundle, key = make_bundle(
        tmp_path,
        log,
        keys["ecdsa-p256"],
        "sha256",
        artifact.read_bytes(),
        version=version,
        entry_changes=lambda e: e.pop("inclusionProof"),
    )
    result = verify(
        path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=log.trusted_root(tmp_path)
    )
    if ok:
        assert_valid(result, artifact)
        assert result["bundle_version"] == "0.1"
    else:
        assert_invalid(result, r"no inclusion proof with a checkpoint, which bundle v0\.2\+ requires")


def test_generated_v01_bundle_needs_inclusion_promise(verify, tmp_path, keys, artifact):
    log = TestLog()
    bundle, key = make_bundle(
        tmp_path,
        log,
        keys["ecdsa-p256"],
        "sha256",
        artifact.read_bytes(),
        version="0.1",
        entry_changes=lambda e: e.pop("inclusionPromise"),
    )
    result = verify(
        path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=log.trusted_root(tmp_path)
    )
    assert_invalid(result, r"no inclusion promise \(signed entry timestamp\), which its format requires")


def test_generated_entry_for_another_file_is_refused(verify, tmp_path, keys, artifact):
    """CVE-2022-36056 class: a valid log entry, but for a different digest than the one signed."""
    log = TestLog()
    other = hashlib.sha256(b"another release").digest()
    bundle, key = make_bundle(tmp_path, log, keys["ecdsa-p256"], "sha256", artifact.read_bytes(), logged_digest=other)
    result = verify(
        path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=log.trusted_root(tmp_path)
    )
    assert_invalid(result, rf"inconsistent with the other materials .* records digest sha256:{other.hex()}")


def test_generated_entry_logged_with_another_key_is_refused(verify, tmp_path, keys, artifact):
    log = TestLog()
    bundle, key = make_bundle(
        tmp_path, log, keys["ecdsa-p256"], "sha256", artifact.read_bytes(), logged_key=keys["ecdsa-p384"]
    )
    result = verify(
        path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=log.trusted_root(tmp_path)
    )
    assert_invalid(result, r"inconsistent with the other materials .* a different public key")


def test_generated_entry_outside_log_key_validity_is_refused(verify, tmp_path, keys, artifact):
    log = TestLog()
    bundle, key = make_bundle(tmp_path, log, keys["ecdsa-p256"], "sha256", artifact.read_bytes())
    root = log.trusted_root(tmp_path, start="2020-01-01T00:00:00.123456789Z", end="2021-01-01T00:00:00Z")
    result = verify(path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=root)
    assert_invalid(result, r"outside the validity of log key")


@pytest.mark.parametrize(
    "start, end",
    [
        ("2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"),  # retired before the entry was logged
        ("2026-01-01T00:00:00Z", None),  # not yet in service when the entry was logged
    ],
    ids=["retired-before-entry", "starts-after-entry"],
)
def test_generated_proof_only_entry_outside_log_key_validity_is_refused(verify, tmp_path, keys, artifact, start, end):
    """An inclusion proof + checkpoint, no inclusion promise: the log key window applies all the same."""
    log = TestLog()
    bundle, key = make_bundle(
        tmp_path, log, keys["ecdsa-p256"], "sha256", artifact.read_bytes(), entry_changes=drop_promise
    )
    root = log.trusted_root(tmp_path, start=start, end=end)
    result = verify(path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=root)
    assert_invalid(result, r"log entry integrated at 2025-11-23T12:13:20\+00:00 is outside the validity of log key")
    assert result["tlog_verified"] is False


def test_generated_checkpoint_signed_after_log_key_retired_is_refused(verify, tmp_path, keys, artifact):
    """The entry was logged while the key was valid, but the checkpoint proving it was signed after."""
    log = TestLog()
    after_end = 1767225601 * 10**9  # 2026-01-01T00:00:01Z
    bundle, key = make_bundle(
        tmp_path, log, keys["ecdsa-p256"], "sha256", artifact.read_bytes(), checkpoint_time_ns=after_end
    )
    root = log.trusted_root(tmp_path, end="2026-01-01T00:00:00Z")
    result = verify(path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=root)
    assert_invalid(result, r"checkpoint signed at 2026-01-01T00:00:01\+00:00 is outside the validity of log key")
    inside = log.trusted_root(tmp_path, end="2026-01-01T00:00:02Z")
    assert_valid(
        verify(path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=inside), artifact
    )


def test_generated_log_signed_by_another_key_is_refused(verify, tmp_path, keys, artifact):
    log = TestLog()
    bundle, key = make_bundle(tmp_path, log, keys["ecdsa-p256"], "sha256", artifact.read_bytes())
    impostor = TestLog()
    impostor.log_id = log.log_id  # same claimed log ID, different key in the trusted root
    result = verify(
        path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=impostor.trusted_root(tmp_path)
    )
    assert_invalid(result, r"checkpoint .* is not signed by log")


def test_generated_bundle_digest_algorithm_conflicts_with_option(verify, tmp_path, keys, artifact):
    log = TestLog()
    bundle, key = make_bundle(tmp_path, log, keys["ecdsa-p384"], "sha384", artifact.read_bytes())
    result = verify(
        path=str(artifact),
        bundle_path=bundle,
        public_key_path=key,
        trusted_root_path=log.trusted_root(tmp_path),
        signature_digest_algorithm="sha256",
    )
    assert_invalid(result, r"signature_digest_algorithm is sha256 but .* records sha384")


def _bare(tmp_path, key, algorithm, data):
    sig = tmp_path / "app.sig"
    sig.write_text(base64.b64encode(sign_digest(key, algorithm, hashlib.new(algorithm, data).digest())).decode() + "\n")
    pub = tmp_path / "cosign.pub"
    pub.write_bytes(_pem(key))
    return str(sig), str(pub)


@pytest.mark.parametrize(
    "key_name, algorithm, option, ok",
    [
        ("ecdsa-p256", "sha256", "auto", True),
        ("ecdsa-p384", "sha384", "auto", True),  # cosign >= 2.6 conventional digest
        ("ecdsa-p384", "sha256", "auto", True),  # cosign < 2.6: SHA-256 for every key
        ("ecdsa-p521", "sha512", "auto", True),
        ("rsa-3072", "sha256", "auto", True),
        ("ecdsa-p256", "sha384", "auto", False),  # a bare signature does not say sha384 ...
        ("ecdsa-p256", "sha384", "sha384", True),  # ... unless the user does
        ("ecdsa-p384", "sha384", "sha256", False),
    ],
)
def test_generated_bare_signature(verify, tmp_path, keys, artifact, key_name, algorithm, option, ok):
    sig, pub = _bare(tmp_path, keys[key_name], algorithm, artifact.read_bytes())
    result = verify(
        path=str(artifact),
        signature_path=sig,
        public_key_path=pub,
        require_tlog=False,
        signature_digest_algorithm=option,
    )
    if ok:
        assert_valid(result, artifact)
        assert result["signature_digest_algorithm"] == algorithm
    else:
        assert_invalid(result, r"does not match the file")


# -- digests computed by an earlier task on the target (service_probe's binary_digests) ----------


def test_given_digests_verify_without_a_round_trip(verify, tmp_path, keys, artifact):
    sig, pub = _bare(tmp_path, keys["ecdsa-p256"], "sha256", artifact.read_bytes())
    given = {"sha256": sha256_of(artifact).upper()}
    result = verify(path=str(artifact), signature_path=sig, public_key_path=pub, require_tlog=False, digests=given)
    assert not result.get("failed"), result.get("msg")
    assert result["verified"] is True
    assert result["_calls"] == []  # the target was not asked again
    assert result["digests_source"] == "given"
    assert result["digests"] == {"sha256": sha256_of(artifact)}
    assert result["digest"] == f"sha256:{sha256_of(artifact)}"
    assert "size" not in result


def test_given_digests_of_another_file_fail_the_check(verify, tmp_path, keys, artifact):
    """The signature is checked against what the digests say: digests of other bytes do not verify."""
    sig, pub = _bare(tmp_path, keys["ecdsa-p256"], "sha256", artifact.read_bytes())
    other = hashlib.sha256(artifact.read_bytes() + b"\n").hexdigest()
    result = verify(
        path=str(artifact), signature_path=sig, public_key_path=pub, require_tlog=False, digests={"sha256": other}
    )
    assert_invalid(result, r"does not match the file")
    assert result["_calls"] == []


def test_given_digests_without_the_needed_algorithm_hash_on_the_target(verify, tmp_path, keys, artifact):
    """A signature over SHA-384 needs a digest the caller did not give: the module hashes on the target."""
    sig, pub = _bare(tmp_path, keys["ecdsa-p256"], "sha384", artifact.read_bytes())
    result = verify(
        path=str(artifact),
        signature_path=sig,
        public_key_path=pub,
        require_tlog=False,
        signature_digest_algorithm="sha384",
        digests={"sha256": sha256_of(artifact)},
    )
    assert_valid(result, artifact)
    assert result["digests_source"] == "target"
    assert result["_calls"][0][1]["digest_algorithms"] == ["sha256", "sha384"]


def test_given_digests_check_the_expected_digest(verify, tmp_path, keys, artifact):
    sig, pub = _bare(tmp_path, keys["ecdsa-p256"], "sha256", artifact.read_bytes())
    other = hashlib.sha256(b"another release").hexdigest()
    result = verify(
        path=str(artifact),
        signature_path=sig,
        public_key_path=pub,
        require_tlog=False,
        digests={"sha256": sha256_of(artifact)},
        expected_digest=f"sha256:{other}",
    )
    assert_invalid(result, rf"does not match expected_digest: expected sha256:{other}")
    assert result["_calls"] == []


@pytest.mark.parametrize(
    "digests, reason",
    [
        ({"md5": "0" * 32}, r"digests has the key 'md5'; use sha256, sha384, sha512"),
        ({"sha256": "xyz"}, r"digests\.sha256: "),
        ({"sha256": "a" * 128}, r"digests\.sha256: "),
    ],
)
def test_bad_given_digests_are_refused_naming_the_option(verify, tmp_path, keys, artifact, digests, reason):
    sig, pub = _bare(tmp_path, keys["ecdsa-p256"], "sha256", artifact.read_bytes())
    result = verify(path=str(artifact), signature_path=sig, public_key_path=pub, require_tlog=False, digests=digests)
    assert_invalid(result, reason)
    assert result["_calls"] == []


def test_generated_rsa_signature_over_tampered_file(verify, tmp_path, keys, artifact):
    sig, pub = _bare(tmp_path, keys["rsa-3072"], "sha256", artifact.read_bytes())
    artifact.write_bytes(artifact.read_bytes() + b"\n")
    assert_invalid(
        verify(path=str(artifact), signature_path=sig, public_key_path=pub, require_tlog=False),
        r"does not match the file",
    )


@pytest.mark.parametrize(
    ("make_key", "says", "key_type"),
    [
        (
            lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024),
            r"is a 1024-bit RSA key: keys under 2048 bits are too weak .*; ",
            "rsa-1024",
        ),
        (
            lambda: ec.generate_private_key(ec.SECP256K1()),
            r"is an ECDSA key on curve secp256k1 \(256 bits\): only P-256, P-384, P-521 are accepted; ",
            "ecdsa-secp256k1",
        ),
    ],
    ids=["rsa-1024", "ecdsa-secp256k1"],
)
def test_a_weak_key_is_refused_before_the_target_is_touched(verify, tmp_path, artifact, make_key, says, key_type):
    sig, pub = _bare(tmp_path, make_key(), "sha256", artifact.read_bytes())
    result = verify(path=str(artifact), signature_path=sig, public_key_path=pub, require_tlog=False)
    assert_invalid(
        result, rf"public_key_path {re.escape(pub)} {says}use an RSA key of 2048 bits or more, or ECDSA P-256"
    )
    assert result["public_key_type"] == key_type
    assert result["_calls"] == []


def test_rsa_key_under_2048_bits_is_refused_for_a_logged_bundle(verify, tmp_path, artifact):
    """A valid transparency log entry does not make a weak key acceptable."""
    log = TestLog()
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    bundle, key = make_bundle(tmp_path, log, weak, "sha256", artifact.read_bytes())
    result = verify(
        path=str(artifact), bundle_path=bundle, public_key_path=key, trusted_root_path=log.trusted_root(tmp_path)
    )
    assert_invalid(result, r"is a 1024-bit RSA key")


def test_rsa_2048_key_passes_the_size_check(verify, tmp_path, artifact):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sig, pub = _bare(tmp_path, key, "sha256", artifact.read_bytes())
    result = verify(path=str(artifact), signature_path=sig, public_key_path=pub, require_tlog=False)
    assert_valid(result, artifact)
    assert result["public_key_type"] == "rsa-2048"


def test_ed25519_is_reported_unsupported(verify, tmp_path, artifact):
    key = ed25519.Ed25519PrivateKey.generate()
    sig = tmp_path / "app.sig"
    sig.write_text(base64.b64encode(key.sign(artifact.read_bytes())).decode())
    pub = tmp_path / "cosign.pub"
    pub.write_bytes(_pem(key))
    result = verify(path=str(artifact), signature_path=str(sig), public_key_path=str(pub), require_tlog=False)
    assert_invalid(result, r"is ed25519: unsupported, because ed25519 signs the whole file .* never copied back")
    assert result["public_key_type"] == "ed25519"
    assert result["_calls"] == []


# -- bad input -----------------------------------------------------------------------------------


def test_signature_and_bundle_are_mutually_exclusive(verify, tmp_path):
    from ansible.errors import AnsibleActionFail

    with pytest.raises(AnsibleActionFail, match="mutually exclusive"):
        verify(path="/x", signature="MEUC", bundle_path="/b")


def test_some_material_is_required(verify):
    from ansible.errors import AnsibleActionFail

    with pytest.raises(AnsibleActionFail, match="one of the following is required"):
        verify(path="/x", public_key="k")


def test_unknown_option_is_refused(verify):
    from ansible.errors import AnsibleActionFail

    with pytest.raises(AnsibleActionFail, match="Unsupported parameters"):
        verify(path="/x", signature="MEUC", key="k")


def test_missing_controller_file(verify, tmp_path):
    result = verify(path="/x", signature_path=str(tmp_path / "nope.sig"), public_key="k", require_tlog=False)
    assert_invalid(result, r"signature_path .*nope\.sig was not found on the controller")
    assert result["_calls"] == []


def test_signature_that_is_not_base64(verify, tmp_path):
    (tmp_path / "a.sig").write_text("this is not a signature")
    result = verify(path="/x", signature_path=str(tmp_path / "a.sig"), public_key="k", require_tlog=False)
    assert_invalid(result, r"signature_path .*a\.sig is not valid base64")


def test_public_key_that_is_a_certificate(verify):
    result = verify(
        path=v("sigstore-python/a.txt"),
        signature_path=v("sigstore-python/a.txt.sig"),
        public_key_path=v("sigstore-python/a.txt.crt"),
        require_tlog=False,
    )
    assert_invalid(result, r"holds a certificate, not a public key; pass it as certificate_path")


def test_trusted_root_of_wrong_kind(verify):
    args = conformance_case("happy-path-v0.3")
    args["trusted_root_path"] = args["bundle_path"]
    assert_invalid(verify(path=args.pop("artifact"), **args), r"trusted_root_path .* has media type .* expected")


def test_certificate_with_bundle_is_refused(verify):
    args = conformance_case("happy-path-v0.3")
    result = verify(path=args.pop("artifact"), certificate_path=v("sigstore-python/a.txt.crt"), **args)
    assert_invalid(result, r"certificate applies to a bare signature")


def test_target_file_missing(verify, tmp_path):
    args = derived_case()
    args.pop("artifact")
    result = verify(path=str(tmp_path / "absent"), **args)
    assert result["failed"] is True and result["verified"] is False
    assert "does not exist" in result["msg"] and "hashing" in result["msg"]


# -- the module alone (target side) ---------------------------------------------------------------


def test_module_hashes_file(run_module, tmp_path):
    data = b"\x00binary\r\n" * 1000
    (tmp_path / "app").write_bytes(data)
    result = run_module(module, {"path": str(tmp_path / "app"), "digest_algorithms": ["sha384"]})
    assert result["changed"] is False
    assert result["digests"] == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha384": hashlib.sha384(data).hexdigest(),
    }
    assert result["digest"] == f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert result["size"] == len(data)


def test_module_check_mode_hashes_too(run_module, tmp_path):
    (tmp_path / "app").write_bytes(b"x")
    result = run_module(module, {"path": str(tmp_path / "app")}, check_mode=True)
    assert result["digests"] == {"sha256": hashlib.sha256(b"x").hexdigest()}


def test_module_refuses_directory(run_module, tmp_path):
    result = run_module(module, {"path": str(tmp_path)})
    assert result["failed"] is True
    assert "is a directory" in result["msg"]


def test_module_refuses_unknown_digest(run_module, tmp_path):
    (tmp_path / "app").write_bytes(b"x")
    result = run_module(module, {"path": str(tmp_path / "app"), "digest_algorithms": ["md5"]})
    assert result["failed"] is True
    assert "digest_algorithms" in result["msg"]


# -- controller helpers (plugin_utils/_sigstore_verify.py) ------------------------------------------------


def _self_signed(extensions):
    from datetime import datetime, timedelta, timezone

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "test")]))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=timezone.utc))
        .not_valid_after(datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=10))
    )
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(key, hashes.SHA256())


@pytest.mark.parametrize(
    "rel, identity, issuer",
    [
        ("sigstore-python/a.txt.crt", "william@yossarian.net", GITHUB_ISSUER),
        ("sigstore-python/bad.txt.crt", "william@yossarian.net", GITHUB_ISSUER),
    ],
)
def test_certificate_signer_of_real_fulcio_certificates(rel, identity, issuer):
    from ansible_collections.gosvc.hardening.plugins.plugin_utils._sigstore_verify import certificate_signer

    cert = x509.load_pem_x509_certificate(Path(v(rel)).read_bytes())
    signer = certificate_signer(cert)
    assert (signer["identity"], signer["issuer"]) == (identity, issuer)


def test_certificate_signer_refuses_two_issuers():
    from ansible_collections.gosvc.hardening.plugins.plugin_utils._sigstore_verify import (
        VerifyError,
        certificate_signer,
    )

    v1 = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), b"https://a.example")
    v2 = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), b"\x0c\x11https://b.example")
    cert = _self_signed([(v1, False), (v2, False)])
    with pytest.raises(VerifyError, match="two different OIDC issuers"):
        certificate_signer(cert)


def test_certificate_signer_reads_othername_and_v2_issuer_only():
    from ansible_collections.gosvc.hardening.plugins.plugin_utils._sigstore_verify import certificate_signer

    other = x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7"), b"\x0c\x08ci@local")
    v2 = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), b"\x0c\x11https://b.example")
    cert = _self_signed([(x509.SubjectAlternativeName([other]), True), (v2, False)])
    assert certificate_signer(cert) == {
        "identity": "ci@local",
        "identities": ["ci@local"],
        "issuer": "https://b.example",
    }


def test_certificate_signer_refuses_bad_der():
    from ansible_collections.gosvc.hardening.plugins.plugin_utils._sigstore_verify import (
        VerifyError,
        certificate_signer,
    )

    v2 = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), b"\x13\x03abc")
    with pytest.raises(VerifyError, match="not a DER UTF8String"):
        certificate_signer(_self_signed([(v2, False)]))
