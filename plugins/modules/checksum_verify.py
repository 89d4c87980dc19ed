#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: checksum_verify
short_description: Verify a file on the target against an expected SHA-2 digest
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Hashes a file on the target and compares the digest with an expected one, in constant time.
    The task fails when they differ; the failure message names the file, the expected and the actual digest.
  - The expected digest is pinned in O(checksum), or looked up by name in a checksums file given as text
    (O(checksums_content)), as a file on the target (O(checksums_path)) or as a URL (O(checksums_url)).
  - Checksums files may use the GNU coreutils format, a hex digest, two spaces (or a space and the binary marker
    C(*)) and the name, which is what C(sha256sum) writes and what goreleaser's C(checksums.txt) contains;
    the BSD format written by C(sha256sum --tag), the algorithm name, the file name in parentheses, C(=) and
    the hex digest (OpenSSL's C(openssl dgst) variant of it is accepted too); or hold a single bare digest and
    nothing else. Blank lines and lines starting with C(#) are skipped. Uppercase hex, CRLF line ends and a
    UTF-8 byte order mark are accepted. Any other line makes the task fail, because a checksums file that cannot
    be read completely is not trusted.
  - The file is streamed in 1 MiB reads, never loaded whole. The module never downloads the file it verifies;
    only the checksums file can come from a URL.
  - The module only reads, so it runs in check mode exactly as in normal mode, and it never reports a change.
options:
  path:
    description:
      - The file on the target to verify. Symbolic links are followed. It must be a regular file;
        an empty file is allowed (it has the well-known digest of zero bytes).
    type: path
    required: true
  checksum:
    description:
      - The expected digest, as V(sha256:<hex>), V(sha384:<hex>), V(sha512:<hex>), or bare hex whose length
        decides the algorithm (64 hex digits sha256, 96 sha384, 128 sha512). Uppercase hex is accepted.
      - Exactly one of O(checksum), O(checksums_content), O(checksums_path) and O(checksums_url) is required.
    type: str
  checksums_content:
    description:
      - The text of a checksums file. O(entry) is looked up in it.
    type: str
  checksums_path:
    description:
      - A checksums file on the target. O(entry) is looked up in it. At most O(checksums_max_bytes) bytes are read.
    type: path
  checksums_url:
    description:
      - The http:// or https:// URL of a checksums file (for example a goreleaser C(checksums.txt) release asset).
        The target fetches it with the Ansible URL helpers, so proxy environment variables apply.
      - At most O(checksums_max_bytes) bytes are downloaded; a larger response fails the task.
      - A C(user:password@) part (sent as HTTP basic authentication) and the query string are masked in the
        result, C(invocation) and messages included, and the option is not logged on the target.
    type: str
  entry:
    description:
      - The name to look up in the checksums file. Defaults to the base name of O(path).
      - "Names match exactly after normalisation: the binary-mode marker C(*) of GNU lines is ignored, and
        leading C(./) and repeated C(/) are removed, so V(app) matches C(./app) and C(*app), and V(dist/app)
        matches C(./dist/app). A name with a directory part matches only the same relative name:
        V(app) does not match C(dist/app); the error lists C(dist/app) as a candidate then."
      - Absolute names and names with a C(..) component are refused, in O(entry) and anywhere in the
        checksums file.
      - Only valid with O(checksums_content), O(checksums_path) or O(checksums_url).
    type: str
  algorithm:
    description:
      - The digest algorithm. By default it comes from the V(sha256:) style prefix or the hex length of
        O(checksum), or from the checksums file entry (BSD lines name their algorithm, GNU lines are known
        by the hex length).
      - When set, it must agree with the prefix or length of O(checksum); with a checksums file only entries
        of this algorithm are considered. Set it when a checksums file lists the same name with several
        algorithms.
    type: str
    choices: [sha256, sha384, sha512]
  checksums_max_bytes:
    description:
      - The largest checksums file, in bytes, read from O(checksums_path) or downloaded from O(checksums_url).
    type: int
    default: 1048576
  checksums_url_timeout:
    description:
      - Timeout in seconds for fetching O(checksums_url).
    type: int
    default: 30
  validate_certs:
    description:
      - Whether to validate the TLS certificate of O(checksums_url). Only set V(false) for a private test server.
    type: bool
    default: true
attributes:
  check_mode:
    description: Runs in check mode; the verification only reads, so it is done in full.
    support: full
  diff_mode:
    description: Will return details on what has changed when in diff mode.
    support: none
  idempotent:
    description: Running the task again gives the same result; it never changes anything.
    support: full
notes:
  - Supported algorithms are sha256, sha384 and sha512. MD5 and SHA-1 digests are refused.
  - A checksums file that lists the requested name twice with the same digest is accepted; twice with
    different digests is an error, as are a missing entry, an empty file and a digest of the wrong length.
seealso:
  - name: GNU coreutils sha2 utilities
    description: The sha256sum family, whose output formats this module reads.
    link: https://www.gnu.org/software/coreutils/manual/html_node/sha2-utilities.html
"""

EXAMPLES = r"""
- name: Verify a binary against a pinned digest
  gosvc.hardening.checksum_verify:
    path: /opt/myservice/bin/myservice
    checksum: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

- name: Verify a release archive against the goreleaser checksums.txt of the same release
  gosvc.hardening.checksum_verify:
    path: /var/cache/myservice/myservice_1.4.2_linux_amd64.tar.gz
    checksums_url: https://github.com/example/myservice/releases/download/v1.4.2/checksums.txt

- name: Verify against a BSD style (sha512sum --tag) checksums file already on the target
  gosvc.hardening.checksum_verify:
    path: /srv/releases/dist/app
    checksums_path: /srv/releases/SHA512SUMS
    entry: dist/app
    algorithm: sha512

- name: Verify against checksums kept in the inventory
  gosvc.hardening.checksum_verify:
    path: /opt/myservice/bin/myservice
    checksums_content: "{{ myservice_checksums }}"
    entry: myservice
  register: verified
"""

RETURN = r"""
path:
  description:
    - The file that was verified, absolute and with symbolic links resolved (on success and on a digest mismatch);
      as given in O(path) when the task failed earlier.
    - As for every module that returns C(path), Ansible adds the file's C(owner), C(group), C(mode), C(uid),
      C(gid) and C(state) to the result when the file exists.
  returned: always
  type: str
  sample: /opt/myservice/releases/1.4.2/bin/myservice
algorithm:
  description: The digest algorithm used.
  returned: success
  type: str
  sample: sha256
digest:
  description: The actual digest of the file, lowercase hex.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
expected:
  description: The expected digest, lowercase hex. Equal to RV(digest) on success.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
size:
  description: The size of the file in bytes, which is the number of bytes hashed.
  returned: success
  type: int
  sample: 4194304
matched_entry:
  description:
    - The checksums file entry that gave the expected digest; V(null) when O(checksum) was used.
  returned: success
  type: dict
  sample: {"name": "myservice_1.4.2_linux_amd64.tar.gz", "line": 3, "format": "gnu"}
  contains:
    name:
      description: The file name as the checksums file writes it (without a C(*) marker); V(null) for a bare digest.
      type: str
      returned: success
    line:
      description: The 1-based line number of the entry in the checksums file.
      type: int
      returned: success
    format:
      description: The line format, V(gnu) (also goreleaser), V(bsd) (also OpenSSL), or V(bare).
      type: str
      returned: success
"""

import os
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._artifact import ArtifactError, fetch_bytes
from ansible_collections.gosvc.hardening.plugins.module_utils._digests import (
    ARGUMENT_SPEC,
    DigestError,
    ExpectedDigest,
    check_file,
    decode_checksums,
    find_entry,
    mask_url,
    parse_checksums_text,
    parse_expected,
    read_checksums_path,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._http import hide_url_secrets

SOURCES = ["checksum", "checksums_content", "checksums_path", "checksums_url"]


def _fetch_checksums(url, timeout, max_bytes, validate_certs):
    """Download the checksums document at ``url`` (http/https only, size-capped); return its text."""
    source = f"checksums_url {mask_url(url)}"
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise DigestError(f"{source} is not an http:// or https:// URL; use checksums_path for a file on the target")
    try:
        data = fetch_bytes(
            url,
            "checksums_url",
            {},
            timeout,
            validate_certs,
            max_bytes,
            too_large="check that it is a checksums file, or raise checksums_max_bytes",
            headers_option=None,
        )
    except ArtifactError as exc:
        raise DigestError(str(exc)) from None
    return decode_checksums(data, source)


def _load_checksums(params):
    """Return (text, source description) of the checksums document named by the parameters."""
    if params["checksums_content"] is not None:
        source = "checksums_content"
        return decode_checksums(params["checksums_content"], source), source
    if params["checksums_path"] is not None:
        source = f"checksums_path {params['checksums_path']}"
        return read_checksums_path(params["checksums_path"], params["checksums_max_bytes"], source), source
    url = params["checksums_url"]
    timeout, limit = params["checksums_url_timeout"], params["checksums_max_bytes"]
    text = _fetch_checksums(url, timeout, limit, params["validate_certs"])
    return text, f"checksums_url {mask_url(url)}"


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[SOURCES],
        required_one_of=[SOURCES],
        supports_check_mode=True,
    )
    params = module.params
    # checksums_url is no_log for AnsibleModule's own failures; from here on only its user:password part and its
    # query string (which can hold a signature or token) are masked.
    hide_url_secrets(module, [params["checksums_url"]], query=True)
    path = params["path"]
    result = dict(changed=False, path=path)

    if params["checksum"] is not None and params["entry"] is not None:
        module.fail_json(
            msg="Choosing the expected digest: entry is only used with checksums_content, checksums_path or "
            "checksums_url; remove entry when checksum pins the digest",
            **result,
        )
    if params["checksums_max_bytes"] <= 0:
        module.fail_json(
            msg=f"Choosing the expected digest: checksums_max_bytes must be a positive number of bytes, "
            f"got {params['checksums_max_bytes']}",
            **result,
        )

    matched = None
    source = None
    try:
        if params["checksum"] is not None:
            expected = parse_expected(params["checksum"], params["algorithm"])
        else:
            text, source = _load_checksums(params)
            entries = parse_checksums_text(text, source)
            name = params["entry"] if params["entry"] is not None else os.path.basename(path)
            matched = find_entry(entries, name, params["algorithm"], source)
            expected = ExpectedDigest(matched.algorithm, matched.digest)
    except DigestError as exc:
        module.fail_json(msg=f"Choosing the expected digest for {path}: {exc}", **result)

    checked = check_file(path, expected, matched, source)
    if checked.pop("failed", False):
        module.fail_json(**checked)
    module.exit_json(**checked)


if __name__ == "__main__":
    main()
