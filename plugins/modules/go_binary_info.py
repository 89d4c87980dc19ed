#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: go_binary_info
short_description: Read a Go binary's build information and check it against a hardening policy
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Reads the build information that the Go linker embeds in an ELF executable, in pure Python on the
    target, without the C(go) tool. The result matches what C(go version -m BINARY) prints.
  - Reports the Go version, the main package path, the main module and every dependency module with its
    version, checksum and replacement, and the build settings (C(-trimpath), C(CGO_ENABLED), C(-ldflags),
    C(GOOS), C(GOARCH), C(vcs.revision), C(vcs.time), C(vcs.modified), ...).
  - Works for binaries built by Go 1.13 and later (Go 1.13 to 1.17 store the strings behind pointers,
    Go 1.18 and later store them inline), 32- and 64-bit, little- and big-endian, with or without a
    symbol table, and with the section headers removed.
  - Also reports whether the file is stripped (no C(.symtab) section), whether it carries DWARF debug
    information (C(.debug_*) or C(.zdebug_*) sections), and whether it leaks absolute build paths. The
    build path check reads the C(.gopclntab) section (or, without section headers, the read-only
    C(PT_LOAD) segments) and counts every NUL-terminated string that starts with C(/) and ends in C(.go)
    or C(.s), which is how the Go linker records source file names when the binary was not built with
    C(-trimpath). Paths in DWARF sections are not examined.
  - Only the ELF headers and the few regions needed are read, so large binaries are not loaded into memory.
  - Also reports what the binary needs from the host that runs it (RV(requirements)), read from its ELF
    program headers as the program loader reads them - architecture, program interpreter, needed shared
    libraries and the symbol versions needed from each - and so whether it is static (RV(static)) and the
    newest glibc it needs (RV(needs_glibc)). O(require_runnable) checks these against the target host.
  - With any of the policy options set, the module fails when the binary breaks the policy and lists every
    violation in RV(violations), not only the first.
options:
  path:
    description:
      - Path of the ELF file to inspect on the target.
    type: path
    required: true
  fail_on_not_go:
    description:
      - Fail when O(path) is not an ELF file or is an ELF file without Go build information.
      - When V(false), such a file gives RV(is_go=false) and RV(not_go_reason) instead, and no policy is checked.
      - Files that are truncated or corrupt, or cannot be read, always fail.
    type: bool
    default: true
  require_trimpath:
    description:
      - Violation unless the binary records the build setting C(-trimpath=true).
      - Binaries built by Go older than 1.18 record no build settings and so always violate this.
    type: bool
    default: false
  require_cgo_disabled:
    description:
      - Violation unless the binary records the build setting C(CGO_ENABLED=0).
    type: bool
    default: false
  require_stripped:
    description:
      - Violation when the file has a C(.symtab) section, and another when it has DWARF sections, as after
        C(go build -ldflags "-s -w").
    type: bool
    default: false
  min_go_version:
    description:
      - Violation when the binary was built by an older Go release, for example V(1.21) or V(go1.21.3).
      - V(1.21) means the release 1.21.0, so V(go1.21rc2) is older than it. A C(devel goX.Y-...) build counts
        as older than X.Y.0. A version with no number (C(devel +abc)) is a violation because it cannot be
        compared. Toolchain suffixes such as C(-bigcorp) or C( X:boringcrypto) are ignored.
    type: str
  forbid_vcs_modified:
    description:
      - Violation when the binary records C(vcs.modified=true), that is it was built from a working tree
        with uncommitted changes. Binaries that record no VCS information pass.
    type: bool
    default: false
  require_runnable:
    description:
      - Violation for each reason the target host's program loader would refuse the binary, in
        RV(runnable_problems) too - another architecture (or a 32-bit binary without the 32-bit
        interpreter), a missing program interpreter (for example musl's on a glibc host), a needed shared
        library the host does not have, or a symbol version its library does not define (a binary built
        against glibc 2.34 on a host with glibc 2.31).
      - Libraries are looked up like the glibc loader does (run paths, C(/etc/ld.so.cache), C(/etc/ld.so.conf)
        and the default and multiarch directories); only the binary's direct needs are checked.
    type: bool
    default: false
  scan_build_paths:
    description:
      - Look for absolute build paths. When V(false), RV(build_paths_leaked) is V(null).
    type: bool
    default: true
  max_build_path_examples:
    description:
      - How many leaked paths to return in RV(build_path_examples), paths outside the Go toolchain's
        GOROOT first.
    type: int
    default: 5
attributes:
  check_mode:
    support: full
    description: The module only reads the file; check mode returns the same result.
  diff_mode:
    support: none
    description: The module changes nothing, so there is no diff.
  idempotent:
    support: full
    description: The module never changes anything.
notes:
  - Only ELF files are supported (Linux and other ELF platforms); PE and Mach-O files are reported as not ELF.
seealso:
  - name: go version -m
    description: The Go command that prints the same build information.
    link: https://pkg.go.dev/cmd/go#hdr-Print_Go_version
"""

EXAMPLES = r"""
- name: Read the build information of the deployed service binary
  gosvc.hardening.go_binary_info:
    path: /usr/local/bin/myservice
  register: gobin

- name: Show the Go version and the version of one dependency
  ansible.builtin.debug:
    msg: >-
      {{ gobin.go_version }},
      x/net {{ (gobin.deps | selectattr('path', 'equalto', 'golang.org/x/net') | first).version | default('not used') }}

- name: Enforce the build policy (fails listing every violation)
  gosvc.hardening.go_binary_info:
    path: /usr/local/bin/myservice
    require_trimpath: true
    require_cgo_disabled: true
    require_stripped: true
    min_go_version: "1.21"
    forbid_vcs_modified: true

- name: Refuse a binary this host cannot run (for example one that needs a newer glibc)
  gosvc.hardening.go_binary_info:
    path: /usr/local/bin/myservice
    require_runnable: true

- name: Inventory a directory of files, some of which may not be Go programs
  gosvc.hardening.go_binary_info:
    path: "{{ item }}"
    fail_on_not_go: false
  loop: "{{ query('ansible.builtin.fileglob', '/opt/tools/bin/*') }}"
  register: tools
"""

RETURN = r"""
is_go:
  description: Whether Go build information was found. V(false) only with O(fail_on_not_go=false).
  returned: always
  type: bool
  sample: true
not_go_reason:
  description: Why the file is not a Go binary.
  returned: when RV(is_go) is false
  type: str
  sample: "not a Go binary: no .go.buildinfo section, no Go build information header and no Go sections
    (ELF64, EM_X86_64)"
go_version:
  description: Version of the Go toolchain that built the binary, as C(go version -m) prints it.
  returned: when RV(is_go) is true
  type: str
  sample: go1.19.8
path:
  description: Import path of the main package (the C(path) line); empty when not recorded.
  returned: when RV(is_go) is true
  type: str
  sample: example.com/hello
main:
  description: The main module (the C(mod) line), or V(null) for binaries built outside module mode.
  returned: when RV(is_go) is true
  type: dict
  contains:
    path:
      description: Module path.
      type: str
    version:
      description: Module version; C((devel)) for a local build.
      type: str
    sum:
      description: Module checksum (C(h1:...)); empty when not known.
      type: str
    replace:
      description: Replacement module (same keys), or V(null).
      type: dict
  sample: {"path": "example.com/hello", "version": "(devel)", "sum": "", "replace": null}
deps:
  description: Dependency modules (the C(dep) lines), in the order recorded.
  returned: when RV(is_go) is true
  type: list
  elements: dict
  contains:
    path:
      description: Module path.
      type: str
    version:
      description: Module version.
      type: str
    sum:
      description: Module checksum; empty for a replaced module.
      type: str
    replace:
      description: The C(=>) replacement, a dict with C(path), C(version) and C(sum), or V(null).
      type: dict
  sample: [{"path": "example.com/lib", "version": "v0.0.0", "sum": "",
            "replace": {"path": "../lib", "version": "(devel)", "sum": ""}}]
settings:
  description: Build settings (the C(build) lines) as a dict, values unquoted. Empty for Go older than 1.18.
  returned: when RV(is_go) is true
  type: dict
  sample: {"-compiler": "gc", "-ldflags": "-X main.version=1.2.3", "CGO_ENABLED": "1", "GOARCH": "amd64",
           "GOOS": "linux", "GOAMD64": "v1"}
flags:
  description: Convenience view of RV(settings). Each value is V(null) when the setting is not recorded.
  returned: when RV(is_go) is true
  type: dict
  contains:
    trimpath:
      description: V(true) when built with C(-trimpath); V(null) when no build settings are recorded at all.
      type: bool
    cgo_enabled:
      description: From C(CGO_ENABLED).
      type: bool
    ldflags:
      description: The C(-ldflags) value.
      type: str
    goos:
      description: Target operating system.
      type: str
    goarch:
      description: Target architecture.
      type: str
    buildmode:
      description: The C(-buildmode) value.
      type: str
    compiler:
      description: The C(-compiler) value.
      type: str
    tags:
      description: The build tags from C(-tags).
      type: list
      elements: str
    vcs:
      description: Version control facts C(system), C(revision), C(time) and C(modified) (bool).
      type: dict
  sample: {"trimpath": false, "cgo_enabled": true, "ldflags": null, "goos": "linux", "goarch": "amd64",
           "buildmode": null, "compiler": "gc", "tags": [],
           "vcs": {"system": "git", "revision": "2f5b3c0", "time": "2024-01-02T03:04:05Z", "modified": true}}
stripped:
  description: V(true) when the file has no C(.symtab) section (also when it has no section headers).
  returned: when the file is an ELF file
  type: bool
has_dwarf:
  description: Whether the file has DWARF sections.
  returned: when the file is an ELF file
  type: bool
dwarf_sections:
  description: Names of the C(.debug_*) and C(.zdebug_*) sections.
  returned: when the file is an ELF file
  type: list
  elements: str
  sample: [".debug_abbrev", ".debug_line", ".debug_frame", ".debug_info"]
build_paths_leaked:
  description: Whether absolute source paths were found; V(null) when O(scan_build_paths=false).
  returned: when RV(is_go) is true
  type: bool
build_path_examples:
  description: Up to O(max_build_path_examples) leaked paths, those outside GOROOT first.
  returned: when RV(is_go) is true
  type: list
  elements: str
  sample: ["/home/dev/src/hello/main.go", "/usr/local/go/src/runtime/proc.go"]
build_path_scan:
  description: What the build path check read (C(scanned)), how many distinct paths it found
    (C(distinct_paths)), the GOROOT directories among them (C(goroots)) and whether it stopped early
    (C(truncated)). V(null) when O(scan_build_paths=false).
  returned: when RV(is_go) is true
  type: dict
elf:
  description: ELF header facts.
  returned: when the file is an ELF file
  type: dict
  contains:
    class:
      description: C(ELF32) or C(ELF64).
      type: str
    machine:
      description: Machine as its C(EM_*) name, for example C(EM_X86_64), C(EM_AARCH64), C(EM_386).
      type: str
    endianness:
      description: C(little) or C(big).
      type: str
    type:
      description: ELF file type, for example C(EXEC) or C(DYN).
      type: str
    has_section_headers:
      description: Whether the file has section headers.
      type: bool
buildinfo:
  description: How the build information was stored. C(format) is C(inline) (Go 1.18 and later) or
    C(pointer) (Go 1.13 to 1.17); C(found_in) says where the header was found; C(ptr_size) is 4 or 8.
  returned: when RV(is_go) is true
  type: dict
  sample: {"format": "inline", "found_in": "section .go.buildinfo", "ptr_size": 8}
go_markers:
  description: Go-only sections (or the Go build ID note) present in the file. A file with markers but
    RV(is_go=false) is a Go binary whose build information was removed.
  returned: when the file is an ELF file
  type: list
  elements: str
  sample: [".go.buildinfo", ".gopclntab", ".note.go.buildid"]
static:
  description: V(true) when the binary has no program interpreter and needs no shared library, so that it
    runs on any Linux kernel of its architecture (a C(CGO_ENABLED=0) build).
  returned: when RV(is_go) is true
  type: bool
  sample: false
needs_glibc:
  description: The newest glibc symbol version the binary needs, as C(x.y) from its C(GLIBC_x.y) version
    needs; V(null) when it needs none (static, musl, or no versioned symbols).
  returned: when RV(is_go) is true
  type: str
  sample: "2.34"
requirements:
  description: What the binary needs from the host, read from its ELF file. A dict of strings, lists and
    dicts, so it can be passed to a target as it is.
  returned: when RV(is_go) is true
  type: dict
  contains:
    schema:
      description: Version of this dict's layout (1).
      type: int
    class:
      description: C(ELF32) or C(ELF64).
      type: str
    bits:
      description: 32 or 64.
      type: int
    machine:
      description: ELF machine as its C(EM_*) name.
      type: str
    arch:
      description: The architecture as C(uname -m) names it, for example C(x86_64), C(aarch64), C(i386),
        C(arm), C(riscv64), C(ppc64le), C(s390x).
      type: str
    endianness:
      description: C(little) or C(big).
      type: str
    type:
      description: ELF file type (C(EXEC) or C(DYN)).
      type: str
    static:
      description: Same as RV(static).
      type: bool
    interpreter:
      description: The program interpreter (C(PT_INTERP)), for example C(/lib64/ld-linux-x86-64.so.2) or
        C(/lib/ld-musl-x86_64.so.1); V(null) when there is none.
      type: str
    libc:
      description: C(glibc) or C(musl) when the interpreter or the needed libraries tell; else V(null).
      type: str
    needed:
      description: The needed shared libraries (C(DT_NEEDED)), in load order.
      type: list
      elements: str
    rpath:
      description: C(DT_RPATH) directories.
      type: list
      elements: str
    runpath:
      description: C(DT_RUNPATH) directories.
      type: list
      elements: str
    version_needs:
      description: For each library, the symbol versions needed from it (C(.gnu.version_r)), oldest first;
        weak references are left out.
      type: dict
    needs_glibc:
      description: Same as RV(needs_glibc).
      type: str
    go:
      description: C(version), C(goos), C(goarch) and C(cgo_enabled) from the build information.
      type: dict
  sample: {"schema": 1, "class": "ELF64", "bits": 64, "machine": "EM_X86_64", "arch": "x86_64",
           "endianness": "little", "type": "EXEC", "static": false,
           "interpreter": "/lib64/ld-linux-x86-64.so.2", "libc": "glibc", "needed": ["libc.so.6"],
           "rpath": [], "runpath": [],
           "version_needs": {"libc.so.6": ["GLIBC_2.2.5", "GLIBC_2.3.2", "GLIBC_2.32", "GLIBC_2.34"]},
           "needs_glibc": "2.34",
           "go": {"version": "go1.19.8", "goos": "linux", "goarch": "amd64", "cgo_enabled": true}}
runnable_problems:
  description: Every reason the target host cannot run the binary; empty when it can.
  returned: when O(require_runnable=true)
  type: list
  elements: str
  sample: ["/usr/local/bin/myservice needs GLIBC_2.32 and GLIBC_2.34; this host has glibc 2.31: build it with
           CGO_ENABLED=0 or for an older glibc (glibc 2.31 or older)"]
violations:
  description: Every policy violation; empty when the binary complies or no policy option is set.
  returned: always
  type: list
  elements: str
  sample: ["require_trimpath: built without -trimpath (no '-trimpath=true' build setting)"]
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._goelf import (
    ARGUMENT_SPEC,
    POLICY_KEYS,
    build_result,
    parse_min_go_version,
    with_verdict,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._runnable import read_host_runtime, runnable_problems


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]

    if params["min_go_version"] is not None:
        try:
            parse_min_go_version(params["min_go_version"])
        except ValueError as exc:
            module.fail_json(msg=f"Invalid option: {exc}")
    if params["max_build_path_examples"] < 0:
        module.fail_json(
            msg=f"Invalid option: max_build_path_examples is {params['max_build_path_examples']}; use 0 or more"
        )

    policy = {key: params[key] for key in POLICY_KEYS}
    scan = dict(scan_paths=params["scan_build_paths"], max_examples=params["max_build_path_examples"])
    info = build_result(path, policy, **scan)
    if "not_go_reason" in info and not params["fail_on_not_go"]:
        info = {key: value for key, value in info.items() if key not in ("failed", "msg")}
        module.exit_json(changed=False, **info)
    if params["require_runnable"] and info["is_go"]:
        host = read_host_runtime(info["requirements"], origin=os.path.dirname(os.path.abspath(path)))
        info["runnable_problems"] = runnable_problems(info["requirements"], host, name=path)
        info["violations"] += [f"require_runnable: {problem}" for problem in info["runnable_problems"]]
        with_verdict(path, info)
    if info["failed"]:
        module.fail_json(**info)
    del info["failed"]
    module.exit_json(changed=False, **info)


if __name__ == "__main__":
    main()
