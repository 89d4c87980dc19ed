# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for gosvc.hardening.cosign_verify: hash on the target, verify on the controller.

Order of work: validate the options, read and parse every piece of controller-side material
(a parse error fails the task before the target is touched), ask the module for the digests
the material needs, then verify offline with plugin_utils._sigstore_verify.
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.gosvc.hardening.plugins.module_utils._digests import (
    DigestError,
    digests_equal,
    parse_expected,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._sigstore_material import (
    ARGUMENT_SPEC,
    DIGEST_ALGORITHMS,
    MUTUALLY_EXCLUSIVE,
    REQUIRED_ONE_OF,
    Material,
    MaterialError,
    parse_bundle,
    parse_signature,
    parse_trusted_root,
)
from ansible_collections.gosvc.hardening.plugins.plugin_utils._sigstore_verify import (
    MissingLibrary,
    Options,
    Verification,
    VerifyError,
)

MODULE = "gosvc.hardening.cosign_verify"

#: Controller-side material is small; a bigger file is a wrong path, not a signature.
MAX_MATERIAL_BYTES = 16 * 1024 * 1024


def given_digests(value):
    """The ``digests`` option as ``{algorithm: lowercase hex}``; raises DigestError naming the option."""
    digests = {}
    for algorithm, digest in (value or {}).items():
        if algorithm not in DIGEST_ALGORITHMS:
            raise DigestError(
                f"digests has the key {algorithm!r}; use {', '.join(DIGEST_ALGORITHMS)} (or leave digests out to "
                "hash the file on the target)"
            )
        try:
            digests[algorithm] = parse_expected(f"{algorithm}:{digest}").digest
        except DigestError as exc:
            raise DigestError(f"digests.{algorithm}: {exc}") from None
    return digests


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC,
            mutually_exclusive=MUTUALLY_EXCLUSIVE,
            required_one_of=REQUIRED_ONE_OF,
        )
        try:
            expected = parse_expected(args["expected_digest"]) if args["expected_digest"] else None
            check = Verification(self._material(args), self._options(args))
        except (MaterialError, VerifyError, DigestError) as exc:
            return self._fail(result, str(exc), **getattr(exc, "facts", {}))
        except MissingLibrary as exc:
            return self._fail(
                result, missing_required_lib(exc.library, reason=exc.reason), exception=to_native(exc.error)
            )

        wanted = set(check.algorithms) | set(args["digest_algorithms"])
        if expected is not None:
            wanted.add(expected.algorithm)
        try:
            given = given_digests(args["digests"])
        except DigestError as exc:
            return self._fail(result, str(exc))
        if wanted <= set(given):
            # Hashed on the target by an earlier task (service_probe): no round trip.
            digests = {a: given[a] for a in DIGEST_ALGORITHMS if a in given}
            result.update(path=args["path"], digest=f"sha256:{digests['sha256']}", digests=digests)
            result["digests_source"] = "given"
        else:
            target = self._execute_module(
                module_name=MODULE,
                module_args={"path": args["path"], "digest_algorithms": [a for a in DIGEST_ALGORITHMS if a in wanted]},
                task_vars=task_vars,
            )
            if target.get("failed"):
                result.update(target)
                result["verified"] = False
                return result
            result.update({k: target.get(k) for k in ("path", "digest", "digests", "size")})
            result["digests_source"] = "target"
            digests = target.get("digests") or {}

        if expected is not None and not digests_equal(digests.get(expected.algorithm, ""), expected.digest):
            return self._fail(
                result,
                f"{args['path']} does not match expected_digest: expected {expected}, actual "
                f"{expected.algorithm}:{digests.get(expected.algorithm)}; the file on the target is not the pinned one",
                expected_digest=str(expected),
            )
        try:
            verified = check.run(digests)
        except VerifyError as exc:
            return self._fail(result, exc.msg, **exc.facts)
        warnings = verified.pop("warnings")
        result.update(verified)
        result["changed"] = False
        if warnings:
            result["warnings"] = result.get("warnings", []) + warnings
        return result

    @staticmethod
    def _fail(result, msg, **facts):
        result.update(facts)
        result.update(failed=True, verified=False, changed=False, msg=msg)
        return result

    # -- controller-side inputs ------------------------------------------------------------

    def _read(self, option, path):
        """Bytes of a controller file named by ``option``, searched like copy's src."""
        try:
            found = self._find_needle("files", path)
        except AnsibleError as exc:
            raise VerifyError(f"{option} {path} was not found on the controller: {to_text(exc)}") from None
        try:
            with open(to_bytes(found, errors="surrogate_or_strict"), "rb") as handle:
                data = handle.read(MAX_MATERIAL_BYTES + 1)
        except OSError as exc:
            raise VerifyError(f"reading {option} {found} on the controller failed: {exc.strerror or exc}") from None
        if len(data) > MAX_MATERIAL_BYTES:
            raise VerifyError(f"{option} {found} is larger than {MAX_MATERIAL_BYTES} bytes; is it the right file?")
        return found, data

    def _inline_or_file(self, args, inline, path_option):
        if args[inline] is not None:
            value = args[inline]
            return inline, value if isinstance(value, (dict, bytes)) else to_bytes(value)
        if args[path_option] is not None:
            found, data = self._read(path_option, args[path_option])
            return f"{path_option} {found}", data
        return None, None

    def _material(self, args):
        source, data = self._inline_or_file(args, "bundle", "bundle_path")
        if source is not None:
            return parse_bundle(data, source)
        source, data = self._inline_or_file(args, "signature", "signature_path")
        return Material(form="signature", source=source, signature=parse_signature(data, source))

    def _options(self, args):
        key_source, key = self._inline_or_file(args, "public_key", "public_key_path")
        cert_source, cert = self._inline_or_file(args, "certificate", "certificate_path")
        trusted_root = trusted_root_path = None
        if args["trusted_root_path"] is not None:
            trusted_root_path, data = self._read("trusted_root_path", args["trusted_root_path"])
            trusted_root = parse_trusted_root(data, f"trusted_root_path {trusted_root_path}")
        return Options(
            public_key_pem=key,
            public_key_source=key_source or "public_key",
            certificate_pem=cert,
            certificate_source=cert_source or "certificate",
            identity=args["certificate_identity"],
            identity_regexp=args["certificate_identity_regexp"],
            issuer=args["certificate_oidc_issuer"],
            issuer_regexp=args["certificate_oidc_issuer_regexp"],
            trusted_root=trusted_root,
            trusted_root_path=trusted_root_path,
            require_tlog=args["require_tlog"],
            signature_digest_algorithm=args["signature_digest_algorithm"],
        )
