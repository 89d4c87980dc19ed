#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cosign_verify
short_description: Verify a Cosign / Sigstore signature of a file on the target without copying it back
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Verifies that a file on the target was signed, with C(cosign sign-blob) or any Sigstore client, by the
    expected key or the expected keyless (Fulcio certificate) identity.
  - The file never leaves the target and nothing is installed there. The module part runs on the target
    and only streams the file to compute its digest(s) and size (Python standard library). The action
    plugin of the same name reads the signature material and trust roots on the controller, runs the
    module, and verifies the signature over that digest on the controller.
  - Verification is fully offline. The transparency log (Rekor) evidence must be inside the material
    (a bundle); the trust roots come from O(trusted_root_path). Nothing is fetched from the network,
    neither by the target nor by the controller.
  - "Supported material: a bare signature from C(cosign sign-blob --key) (base64 DER) with a PEM public key
    (ECDSA P-256, P-384, P-521, RSA PKCS#1 v1.5 of 2048 bits or more); the old cosign C(--bundle) JSON
    (key-based or keyless); Sigstore bundles v0.1, v0.2 and v0.3 (both media type spellings), key-based or
    keyless."
  - Public keys too weak to trust are refused before the target is contacted, with the key's source and size
    in C(msg) - RSA keys under 2048 bits, and ECDSA keys on any curve other than P-256, P-384 and P-521 (for
    example secp256k1 or brainpool curves).
  - The digest algorithm is the one the material records (bundle C(messageDigest) or the transparency
    log entry), never guessed from the key's curve. A bare signature records none; see
    O(signature_digest_algorithm).
  - Ed25519 (and Ed448) signatures are reported as unsupported. They sign the whole file rather than a
    digest, and the file is never copied back from the target.
  - Keyless Sigstore bundles are verified with the C(sigstore) Python library on the controller (certificate
    chain to Fulcio at the signing time, SCT, transparency log inclusion proof and promise, identity policy).
    Everything else, including all transparency log checks of key-based material, is verified with
    C(cryptography).
  - A failed verification fails the task with the reason in C(msg).
options:
  path:
    description:
      - Path of the file on the target whose signature is verified.
    type: path
    required: true
  signature:
    description:
      - The signature as C(cosign sign-blob --key) prints it (base64 of the DER signature), given inline.
      - Mutually exclusive with O(signature_path), O(bundle) and O(bundle_path).
    type: str
  signature_path:
    description:
      - Controller path of a file holding the signature (C(cosign sign-blob --output-signature)).
      - Relative paths are searched like C(copy)'s C(src) (role C(files/), playbook directory).
    type: path
  bundle:
    description:
      - A Sigstore bundle or an old cosign C(--bundle) document, given inline as JSON text or as a mapping.
    type: raw
  bundle_path:
    description:
      - Controller path of a Sigstore bundle (C(*.sigstore.json)) or an old cosign C(--bundle) file.
    type: path
  public_key:
    description:
      - PEM public key (C(-----BEGIN PUBLIC KEY-----)) for key-based signatures, given inline.
      - Required for key-based material, forbidden for keyless material.
      - ECDSA P-256, P-384 or P-521, or RSA of 2048 bits or more. A smaller RSA key or another curve fails the
        task; use an RSA key of 2048 bits or more, or ECDSA P-256 (what C(cosign generate-key-pair) makes).
    type: str
  public_key_path:
    description:
      - Controller path of the PEM public key (C(cosign.pub)). The same key rules as O(public_key) apply.
    type: path
  certificate:
    description:
      - PEM signing certificate of a detached keyless signature (C(cosign sign-blob --output-certificate)),
        inline.
      - Such material carries no transparency log entry, so there is no trusted signing time for the
        short-lived certificate and verification is always refused offline; it is accepted as an option
        only to say so clearly. Use a bundle instead.
    type: str
  certificate_path:
    description:
      - Controller path of the PEM signing certificate of a detached keyless signature. See O(certificate).
    type: path
  certificate_identity:
    description:
      - Exact identity (certificate SAN, for example the GitHub workflow URI or an e-mail address) the
        keyless signer must have.
      - Keyless verification needs this or O(certificate_identity_regexp), and O(certificate_oidc_issuer)
        or O(certificate_oidc_issuer_regexp).
    type: str
  certificate_identity_regexp:
    description:
      - Python regular expression the whole identity must match (it is anchored at both ends, unlike
        cosign's unanchored match; write C(.*) where anything may follow).
    type: str
  certificate_oidc_issuer:
    description:
      - Exact OIDC issuer the keyless certificate must name, for example
        C(https://token.actions.githubusercontent.com).
    type: str
  certificate_oidc_issuer_regexp:
    description:
      - Python regular expression the whole OIDC issuer must match.
    type: str
  trusted_root_path:
    description:
      - Controller path of a Sigstore C(trusted_root.json) (media type
        C(application/vnd.dev.sigstore.trustedroot+json;version=0.1)). For Sigstore's public-good instance
        that is the C(trusted_root.json) target of the TUF repository U(https://tuf-repo-cdn.sigstore.dev),
        fetched once where there is network (for example with C(sigstore plumbing update-trust-root)); for a
        private instance, the output of C(cosign trusted-root create).
      - Required for keyless material and for key-based bundles while O(require_tlog=true).
      - For key-based material and old cosign C(--bundle) documents, a transparency log key is trusted only
        within its C(validFor) window in this file. Every time the log evidence states, the entry's
        C(integratedTime) and the checkpoint's C(Timestamp) line when it has one, must lie inside that window,
        whether the entry is proven by its inclusion promise (signed entry timestamp) or only by an inclusion
        proof with a signed checkpoint. Evidence that states no time at all is refused when the window has a
        bound. Keyless Sigstore bundles are checked by the C(sigstore) library against the same file.
      - A C(validFor) time that is not RFC 3339 fails the task when the file is read.
    type: path
  require_tlog:
    description:
      - Require verified transparency log evidence (Rekor inclusion proof with signed checkpoint and/or
        signed entry timestamp, consistent with the file's digest, the signature and the key, from a log key
        that was valid at the time of the entry, see O(trusted_root_path)).
      - V(false) is an explicit opt-out for key-based material (for example a bare signature, or a key
        signed with C(--tlog-upload=false)). The result then says RV(tlog_required=false) and
        RV(tlog_verified=false) and carries a warning.
      - Keyless verification always checks the log, because it is the trusted signing time.
    type: bool
    default: true
  signature_digest_algorithm:
    description:
      - Digest the signer hashed the file with before signing.
      - V(auto) uses what the material records (bundle C(messageDigest), transparency log entry). A bare
        signature records nothing; V(auto) then tries sha256 (cosign before v2.6, for every key) and the
        key's conventional digest (sha384 for P-384, sha512 for P-521; cosign v2.6 and later).
      - An explicit value that contradicts the material is an error.
    type: str
    choices: [auto, sha256, sha384, sha512]
    default: auto
  expected_digest:
    description:
      - Optional pinned digest of the file (V(sha256:<hex>), V(sha384:<hex>), V(sha512:<hex>) or bare hex).
        A mismatch fails before any signature check.
    type: str
  digest_algorithms:
    description:
      - Digests the target computes. The action plugin adds what the signature material needs; you only
        set this to get more digests in the result.
    type: list
    elements: str
    choices: [sha256, sha384, sha512]
    default: [sha256]
  digests:
    description:
      - Hex digests of O(path), by algorithm, that an earlier task already computed on the target (for example
        RV(gosvc.hardening.service_probe#module:binary_digests), read in the same pass as the other checks of a
        verification).
      - When they include every digest the check needs (always C(sha256), plus what the material names), the
        target is not contacted again and RV(digests_source) is C(given); otherwise the module hashes O(path) on
        the target as without this option.
      - A key that is not C(sha256), C(sha384) or C(sha512), or a value that is not a hex digest of that
        algorithm's length, fails the task before anything is verified.
    type: dict
attributes:
  check_mode:
    support: full
    description: The module only reads; verification runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to diff.
  idempotent:
    support: full
    description: Read-only; never reports a change.
  action:
    support: full
    description: The action plugin verifies on the controller; the module only hashes on the target.
requirements:
  - On the controller, C(cryptography) (ansible-core's own dependency).
  - On the controller, the C(sigstore) Python library (tested with 4.5.1) for keyless Sigstore bundles.
  - Nothing on the target but Python.
seealso:
  - name: Cosign blob signing
    description: How cosign signs and verifies blobs.
    link: https://docs.sigstore.dev/cosign/signing/signing_with_blobs/
notes:
  - Detailed, runnable examples are in docs/modules/cosign_verify.md of the collection.
"""

EXAMPLES = r"""
- name: Verify a key-based signature (cosign sign-blob --key) of a release on the target
  gosvc.hardening.cosign_verify:
    path: /opt/app/releases/1.4.2/app
    signature_path: files/app-1.4.2.sig
    public_key_path: files/cosign.pub
    # A bare signature carries no Rekor evidence: opting out is explicit and reported.
    require_tlog: false

- name: Verify goreleaser's keyless bundle of checksums.txt offline
  gosvc.hardening.cosign_verify:
    path: /opt/app/releases/1.4.2/checksums.txt
    bundle_path: files/checksums.txt.sigstore.json
    trusted_root_path: files/trusted_root.json
    certificate_identity: https://github.com/example/app/.github/workflows/release.yml@refs/tags/v1.4.2
    certificate_oidc_issuer: https://token.actions.githubusercontent.com
  register: checksums_signature

- name: Verify a key-based Sigstore bundle, pinning the digest as well
  gosvc.hardening.cosign_verify:
    path: /opt/app/releases/1.4.2/app
    bundle_path: files/app.sigstore.json
    public_key_path: files/cosign.pub
    trusted_root_path: files/trusted_root.json
    expected_digest: sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf
"""

RETURN = r"""
verified:
  description: Whether the signature verified. A failed verification fails the task.
  returned: always
  type: bool
  sample: true
method:
  description: V(key) (public key) or V(keyless) (Fulcio certificate and identity).
  returned: when the material was read
  type: str
  sample: keyless
material:
  description: V(signature) (bare signature), V(bundle) (Sigstore bundle) or V(legacy_bundle) (cosign --bundle).
  returned: when the material was read
  type: str
  sample: bundle
bundle_media_type:
  description: Media type of the Sigstore bundle; null for other material.
  returned: when the material was read
  type: str
  sample: application/vnd.dev.sigstore.bundle.v0.3+json
bundle_version:
  description: V(0.1), V(0.2), V(0.3), V(cosign-legacy), or null for a bare signature.
  returned: when the material was read
  type: str
  sample: "0.3"
path:
  description: The file on the target.
  returned: when the target was reached or O(digests) had every digest needed
  type: str
  sample: /opt/app/releases/1.4.2/checksums.txt
digest:
  description: SHA-256 digest of the file on the target, as C(sha256:<hex>).
  returned: when the target was reached or O(digests) had every digest needed
  type: str
  sample: sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf
digests:
  description: Every digest of the file the check had, algorithm to lowercase hex.
  returned: when the target was reached or O(digests) had every digest needed
  type: dict
  sample: {"sha256": "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"}
digests_source:
  description: V(target) when this task hashed the file on the target, V(given) when O(digests) was used.
  returned: when the target was reached or O(digests) had every digest needed
  type: str
  sample: given
size:
  description: Size of the file in bytes.
  returned: when the target was reached
  type: int
  sample: 109
signature_digest_algorithm:
  description: Digest algorithm the signature was verified over.
  returned: when the signature was checked
  type: str
  sample: sha256
public_key_type:
  description: Type of the public key for key-based material (V(ecdsa-p256), V(rsa-3072) ...).
  returned: when the material was read
  type: str
  sample: ecdsa-p256
signer:
  description: Identity (certificate SAN) and OIDC issuer of a keyless signer; null for key-based material.
  returned: when the material was read
  type: dict
  sample:
    identity: william@yossarian.net
    issuer: https://github.com/login/oauth
tlog_verified:
  description: Whether transparency log evidence was verified.
  returned: when the material was read
  type: bool
  sample: true
tlog_required:
  description: The value of O(require_tlog); V(false) means the user opted out.
  returned: when the material was read
  type: bool
  sample: true
tlog:
  description: The transparency log entry and what of it was verified.
  returned: when the material was read
  type: dict
  contains:
    verified:
      description: Whether the log evidence was verified.
      type: bool
    required:
      description: The value of O(require_tlog).
      type: bool
    log_index:
      description: Global index of the entry in the log.
      type: int
    log_id:
      description: Log ID (hex SHA-256 of the log's public key).
      type: str
    integrated_time:
      description: Time (Unix seconds) the log integrated the entry.
      type: int
    kind:
      description: Entry type, for example V(hashedrekord/0.0.1).
      type: str
    inclusion_proof:
      description: Whether the material carries an inclusion proof.
      type: bool
    inclusion_promise:
      description: Whether the material carries a signed entry timestamp.
      type: bool
    inclusion_proof_verified:
      description: Whether a Merkle inclusion proof and its signed checkpoint were verified.
      type: bool
    inclusion_promise_verified:
      description: Whether the signed entry timestamp was verified.
      type: bool
  sample:
    verified: true
    required: true
    log_index: 771488337
    log_id: c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d
    integrated_time: 1766077479
    kind: hashedrekord/0.0.1
    inclusion_proof: true
    inclusion_promise: true
    inclusion_proof_verified: true
    inclusion_promise_verified: true
missing:
  description: The keyless policy options that were missing, when that was the failure.
  returned: when keyless material came without identity or issuer
  type: list
  elements: str
  sample: [certificate_identity, certificate_oidc_issuer]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._digests import DigestError, file_digests
from ansible_collections.gosvc.hardening.plugins.module_utils._sigstore_material import ARGUMENT_SPEC


def main():
    # Cross-option rules live in the action plugin, which calls this module with path and
    # digest_algorithms only: on the target there is nothing to verify, only a file to hash.
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    path = module.params["path"]
    try:
        digests, size = file_digests(path, sorted(set(module.params["digest_algorithms"]) | {"sha256"}))
    except DigestError as exc:
        module.fail_json(msg=f"hashing {path} for signature verification failed: {exc}", path=path)
    module.exit_json(changed=False, path=path, digests=digests, digest=f"sha256:{digests['sha256']}", size=size)


if __name__ == "__main__":
    main()
