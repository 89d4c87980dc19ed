#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: go_artifact
short_description: Fetch, verify and unpack a Go release artifact into a per-user cache on the controller
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Resolves one Go release artifact, a bare Linux binary or a C(.tar.gz)/C(.tgz)/C(.zip) archive that holds it,
    into a cache directory keyed by the artifact's digest, verifies it against an expected digest, and puts the
    binary at C(<cache_dir>/<key>/bin/<binary_name>). Hosts then get a copy of that binary and re-verify
    RV(binary_sha256).
  - "Runs on the controller, in the process of its action plugin (no module is shipped, no command is executed on
    any host, whatever C(delegate_to) says), once per version: use C(run_once: true). C(delegate_to: localhost)
    is still recommended: it keeps the task from loading the host's connection plugin."
  - The expected digest applies to what was downloaded or copied (the archive, not the binary inside it). It is
    pinned in O(checksum), or looked up in a checksums file (goreleaser C(checksums.txt), C(sha256sum) output,
    BSD C(--tag) lines) given by O(checksums_url) or O(checksums_src).
  - "Cache layout, where C(<key>) is the artifact's sha256 hex digest (C(<algorithm>-<hex>) when the expected
    digest is sha384 or sha512): C(<key>/artifact/<file name>) the verified download;
    C(<key>/bin/<binary_name>) the binary, mode 0755; C(<key>/checksums/<file name>) the checksums file used,
    byte for byte, so it can be signature-checked; C(.lock-<key>) the lock file;
    C(checksums/<sha256 of the URL>/<file name>) the last copy fetched from O(checksums_url), used with O(offline)."
  - A cached artifact that still matches the expected digest is used without any network access. One that no
    longer matches is removed and fetched again (copied again from O(src)), with a warning. A download that does
    not match is removed and the task fails, naming the URL or path, the expected and the actual digest.
  - Downloads and extractions are written to temporary files in the cache and renamed into place. An exclusive
    C(flock) lock per cache key makes parallel runs (two playbooks, two plays) wait for each other; the second
    one finds the artifact cached and downloads nothing.
  - With O(checksums_url) the checksums file is fetched on every run (it is small) unless O(offline=true);
    the artifact itself is only downloaded when it is not cached.
  - Archives are read with the Python C(tarfile) and C(zipfile) modules. Only O(archive_member) is extracted,
    and only if it is a regular file of at most 2 GiB that starts like an ELF executable. An archive with any
    member that has an absolute name or a C(..) component is refused as a whole; symbolic links, hard links and
    devices are never extracted, and neither is a regular file whose name ends in C(/) (which extraction tools
    treat as a directory). Members whose name is empty or C(.) are never candidates.
options:
  url:
    description:
      - The http:// or https:// URL of the release file, for example a GitHub release asset. Redirects are
        followed. The file name at the end of the URL path names the cached file and is the default
        O(checksums_entry).
      - Exactly one of O(url) and O(src) is required.
      - A C(user:password@) part and the query string (which can hold a signature or a token) are masked in the
        result, C(invocation) and messages included, and the option is not logged on the host that runs it.
      - At most O(max_artifact_bytes) bytes are downloaded.
    type: str
  src:
    description:
      - The release file as a path on the controller (the machine that runs the module). Works without network
        access. Its base name names the cached file and is the default O(checksums_entry).
    type: path
  validate_certs:
    description:
      - Whether to validate the TLS certificates of O(url) and O(checksums_url). Only set V(false) for a private
        test server.
    type: bool
    default: true
  timeout:
    description:
      - Socket timeout in seconds for each request to O(url) and O(checksums_url).
    type: int
    default: 60
  url_headers:
    description:
      - HTTP headers sent with the requests to O(url) and O(checksums_url), for example an C(Authorization)
        header for a private release host. An C(Authorization) header is not sent on to the host a redirect
        points to (release hosts redirect to storage that refuses it). The values are not logged.
    type: dict
  offline:
    description:
      - Never use the network. A O(url) artifact must already be in the cache, and O(checksums_url) is read from
        the copy the last online run stored in the cache. Without it, O(checksums_url) is fetched on every run,
        which picks up a re-published release.
      - A pinned O(checksum) or O(src) with a cached artifact never needs the network, with or without this option.
    type: bool
    default: false
  checksum:
    description:
      - The expected digest of the artifact as V(sha256:<hex>), V(sha384:<hex>), V(sha512:<hex>), or bare hex
        whose length decides the algorithm.
      - Exactly one of O(checksum), O(checksums_url) and O(checksums_src) is required.
    type: str
  checksums_url:
    description:
      - The http:// or https:// URL of a checksums file with an entry for the artifact, such as goreleaser's
        C(checksums.txt) (C(<hex>  <file name>) lines). At most 1 MiB is read.
      - Its C(user:password@) part and query string are masked as those of O(url) are.
    type: str
  checksums_src:
    description:
      - A checksums file on the controller with an entry for the artifact. At most 1 MiB is read.
    type: path
  checksums_entry:
    description:
      - The name to look up in the checksums file. Defaults to the file name of O(url) or O(src).
      - Names match as M(gosvc.hardening.checksum_verify) matches them (C(./) and the C(*) marker are ignored;
        a missing name, conflicting entries, and absolute or C(..) names in the file are errors).
      - Only valid with O(checksums_url) or O(checksums_src).
    type: str
  archive_member:
    description:
      - The path of the binary inside the archive, as the archive lists it, for example V(myapp) or
        V(myapp_1.2.3_linux_amd64/myapp) (a leading C(./) is ignored).
      - Required when the artifact is an archive (its name ends in C(.tar.gz), C(.tgz) or C(.zip), or its content
        starts like gzip or zip). When it is missing or wrong, the error lists the members that look like
        executables (at most 20). Must not be set for a bare binary.
    type: str
  binary_name:
    description:
      - The file name the binary gets in the cache, C(<cache_dir>/<key>/bin/<binary_name>). A plain name without
        C(/) that does not start with C(.).
    type: str
    required: true
  cache_dir:
    description:
      - The cache directory, an absolute path; created with mode 0700 when missing. The role passes
        C(~/.cache/gosvc-hardening/artifacts) (C($XDG_CACHE_HOME) when set).
      - It must belong to the user running the module and must not be writable by group or others, because other
        users could otherwise replace verified files.
    type: path
    required: true
  max_artifact_bytes:
    description:
      - The largest artifact, in bytes, downloaded from O(url) or copied from O(src). A response whose
        C(Content-Length) is larger is not read at all; a download or copy that grows past it is stopped there,
        the partial file is removed from the cache and the task fails, naming the URL or path, the limit and
        this option.
      - The default is 2 GiB (2147483648), the size limit of the binary extracted from an archive.
    type: int
    default: 2147483648
attributes:
  check_mode:
    description:
      - Full support, by doing the same work as in normal mode. The module only writes into O(cache_dir), the
        controller's private scratch space, never on managed hosts, and later tasks in check mode need the binary
        and its digest to report what they would do. RV(changed) means the same in both modes.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  idempotent:
    description:
      - A second run with the same options downloads and writes nothing and reports no change (with O(checksums_url)
        it fetches the small checksums file again unless O(offline=true)).
    support: full
notes:
  - Runs wherever it is delegated, normally the controller, with the Python standard library and Ansible's URL
    helpers (proxy environment variables and C(~/.netrc) apply). Do not use C(become) with it; the cache is per user.
  - Every run verifies the cached artifact against the expected digest and re-derives the binary from it, so a
    binary in the cache that was changed is put back. The lock waits as long as the run holding it takes.
  - The binary must be an ELF executable; Windows and macOS builds are refused.
seealso:
  - module: gosvc.hardening.checksum_verify
  - module: gosvc.hardening.cosign_verify
  - module: gosvc.hardening.go_release
"""

EXAMPLES = r"""
- name: Resolve a goreleaser release (tar.gz plus checksums.txt) on the controller
  gosvc.hardening.go_artifact:
    url: https://github.com/example/myapp/releases/download/v1.2.3/myapp_1.2.3_linux_amd64.tar.gz
    checksums_url: https://github.com/example/myapp/releases/download/v1.2.3/checksums.txt
    archive_member: myapp
    binary_name: myapp
    cache_dir: "{{ lookup('ansible.builtin.env', 'HOME') }}/.cache/gosvc-hardening/artifacts"
  delegate_to: localhost
  run_once: true
  become: false
  register: artifact

- name: A bare binary with a pinned digest
  gosvc.hardening.go_artifact:
    url: https://releases.example.com/myapp/1.2.3/myapp-linux-amd64
    checksum: sha256:5d2b3a6f0c1e4b8a9d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b
    binary_name: myapp
    cache_dir: /home/deploy/.cache/gosvc-hardening/artifacts
  delegate_to: localhost
  run_once: true

- name: Air-gapped, from a file carried onto the controller, with its checksums file
  gosvc.hardening.go_artifact:
    src: /srv/releases/myapp_1.2.3_linux_amd64.zip
    checksums_src: /srv/releases/checksums.txt
    archive_member: myapp_1.2.3_linux_amd64/myapp
    binary_name: myapp
    cache_dir: /home/deploy/.cache/gosvc-hardening/artifacts
  delegate_to: localhost
  run_once: true

- name: A private release host
  gosvc.hardening.go_artifact:
    url: https://git.example.com/api/v4/projects/42/packages/generic/myapp/1.2.3/myapp_1.2.3_linux_amd64.tar.gz
    checksums_url: https://git.example.com/api/v4/projects/42/packages/generic/myapp/1.2.3/checksums.txt
    url_headers:
      PRIVATE-TOKEN: "{{ vault_release_token }}"
    archive_member: myapp
    binary_name: myapp
    cache_dir: /home/deploy/.cache/gosvc-hardening/artifacts
  delegate_to: localhost
  run_once: true

- name: Copy the verified binary to the hosts, named by its digest
  ansible.builtin.copy:
    src: "{{ artifact.binary_path }}"
    dest: "/opt/myapp/.staging/{{ artifact.binary_sha256 }}"
    owner: root
    group: root
    mode: "0755"
"""

RETURN = r"""
changed:
  description:
    - Whether the artifact was downloaded or copied into the cache, the binary was written into C(bin/), or the
      cache's copy of the checksums file was new or different.
  returned: always
  type: bool
  sample: true
cached:
  description: Whether the artifact was already in the cache and matched the expected digest (nothing was fetched).
  returned: success
  type: bool
  sample: false
source:
  description:
    - O(url) (with any user:password and query string replaced by C(********)) or O(src).
  returned: always
  type: str
  sample: https://github.com/example/myapp/releases/download/v1.2.3/myapp_1.2.3_linux_amd64.tar.gz
cache_path:
  description: The cache entry of this artifact, C(<cache_dir>/<key>).
  returned: success
  type: str
  sample: /home/deploy/.cache/gosvc-hardening/artifacts/0f5e0b9c1d3a6e2f4b8c7d9e1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
artifact_path:
  description: The verified artifact in the cache.
  returned: success
  type: str
  sample: /home/deploy/.cache/gosvc-hardening/artifacts/0f5e...9a0b/artifact/myapp_1.2.3_linux_amd64.tar.gz
artifact_sha256:
  description: The sha256 digest of the artifact, lowercase hex.
  returned: success
  type: str
  sample: 0f5e0b9c1d3a6e2f4b8c7d9e1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
artifact_size:
  description: The size of the artifact in bytes.
  returned: success
  type: int
  sample: 4183262
expected:
  description:
    - The expected digest of the artifact as C(<algorithm>:<hex>), from O(checksum) or the checksums file.
      On a digest mismatch, what the download should have had.
  returned: success and on a digest mismatch
  type: str
  sample: sha256:0f5e0b9c1d3a6e2f4b8c7d9e1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
actual:
  description: On a digest mismatch, the digest the download or copy had, as C(<algorithm>:<hex>).
  returned: failure
  type: str
  sample: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
size:
  description: On a digest mismatch, the number of bytes downloaded or copied.
  returned: failure
  type: int
  sample: 550702
binary_path:
  description: The binary in the cache, mode 0755.
  returned: success
  type: str
  sample: /home/deploy/.cache/gosvc-hardening/artifacts/0f5e...9a0b/bin/myapp
binary_sha256:
  description:
    - The sha256 digest of the binary, lowercase hex. For an archive this is not the digest in the checksums file
      (that one is the archive's); hosts must verify the copied binary against this value.
  returned: success
  type: str
  sample: 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
binary_requirements:
  description:
    - What the binary needs from the host that runs it, read from its ELF headers on the controller, for
      M(gosvc.hardening.service_facts) to check on each host before anything is sent (its
      O(gosvc.hardening.service_facts#module:binary_requirements)).
    - Architecture (C(class), C(bits), C(machine), C(arch), C(endianness), C(type) V(EXEC) or V(DYN)),
      C(static), the program C(interpreter), the C(libc) it is linked against (V(glibc), V(musl) or null), the
      C(needed) libraries, C(rpath), C(runpath), the symbol C(version_needs) per library, the highest glibc
      release it C(needs_glibc) (from its symbol versions, V(2.34) for C(GLIBC_2.34); null when none), and
      C(go) (C(version), C(goos), C(goarch), C(cgo_enabled) from its build information, or null).
    - Null when the binary is not a readable ELF executable; RV(binary_requirements_error) then says why.
  returned: success
  type: dict
  sample: {"schema": 1, "class": "ELF64", "bits": 64, "machine": "EM_X86_64", "arch": "x86_64",
           "endianness": "little", "static": false, "interpreter": "/lib64/ld-linux-x86-64.so.2", "libc": "glibc",
           "needed": ["libc.so.6"], "rpath": [], "runpath": [], "version_needs": {"libc.so.6": ["GLIBC_2.2.5",
           "GLIBC_2.34"]}, "needs_glibc": "2.34", "go": {"version": "go1.22.2", "goos": "linux",
           "goarch": "amd64", "cgo_enabled": true}}
binary_requirements_error:
  description: Why RV(binary_requirements) is null (for example V(it is not a regular file)); null otherwise.
  returned: success
  type: str
  sample: null
binary_size:
  description: The size of the binary in bytes.
  returned: success
  type: int
  sample: 11071640
archive_format:
  description: V(tar.gz) or V(zip) for an archive, V(none) for a bare binary (decided by the content).
  returned: success
  type: str
  sample: tar.gz
archive_member:
  description: The archive member that was extracted, normalised (no leading C(./)); V(null) for a bare binary.
  returned: success
  type: str
  sample: myapp
checksums_path:
  description:
    - The cache's copy of the checksums file that gave the expected digest, byte for byte as fetched or read, for
      a signature check; V(null) with O(checksum).
  returned: success
  type: str
  sample: /home/deploy/.cache/gosvc-hardening/artifacts/0f5e...9a0b/checksums/checksums.txt
checksums_entry:
  description: The checksums file entry that gave the expected digest; V(null) with O(checksum).
  returned: success
  type: dict
  sample: {"name": "myapp_1.2.3_linux_amd64.tar.gz", "line": 3, "format": "gnu"}
  contains:
    name:
      description: The file name as the checksums file writes it; V(null) for a file holding one bare digest.
      type: str
      returned: success
    line:
      description: The 1-based line number of the entry.
      type: int
      returned: success
    format:
      description: V(gnu) (also goreleaser), V(bsd) (also OpenSSL) or V(bare).
      type: str
      returned: success
candidates:
  description:
    - When O(archive_member) is missing, wrong or not a regular file, the archive members that look like
      executables (at most 20).
  returned: failure
  type: list
  elements: str
  sample: ["myapp_1.2.3_linux_amd64/myapp"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._artifact import (
    ARGUMENT_SPEC,
    DIGESTS,
    SOURCES,
    URL_OPTIONS,
    run,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._http import hide_url_secrets


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[SOURCES, DIGESTS],
        required_one_of=[SOURCES, DIGESTS],
        supports_check_mode=True,
    )
    hide_url_secrets(module, [module.params[name] for name in URL_OPTIONS], query=True)
    result = run(module.params)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
