# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Can this host run that program? Decided from ELF files alone, before anything on the host changes.

Three steps, each usable on its own:

1. ``requirements = _goelf.read_requirements(path)`` (or ``binary_requirements(elf)``), wherever the
   binary is (the controller reads the artifact): architecture, program interpreter, DT_NEEDED
   libraries and the symbol versions needed from each. A dict of strings, lists and dicts, so it
   travels as JSON to the target.
2. ``host = read_host_runtime(requirements)`` on the target: the host's architecture, whether the
   interpreter exists, where each needed library resolves and which versions it defines, and the
   glibc release. Only what the binary needs is read; a static binary makes it read nothing.
   ``root`` points it at another tree (a fake root in tests, a mounted image), in which symbolic
   links are followed as inside a chroot.
3. ``runnable_problems(requirements, host, name=...)``: a list of sentences, empty when the program
   can run, one for each reason the program loader would refuse it.

Library resolution follows the glibc loader: DT_RPATH (without DT_RUNPATH), DT_RUNPATH, the entries of
/etc/ld.so.cache, then the directories of /etc/ld.so.conf (with its ``include`` files) and the
default directories (the multiarch directories such as /lib/x86_64-linux-gnu, then /lib64 and
/usr/lib64 or /lib32 and /usr/lib32, then /lib and /usr/lib). Like the loader, a candidate of another
class, machine or byte order is skipped and the search goes on. ``$ORIGIN`` in a run path needs the
directory the binary will be installed in (``origin``); without it such entries are skipped.
LD_LIBRARY_PATH is not consulted (a systemd service does not inherit one), nor are the needed
libraries' own dependencies (the host's libraries are taken to be consistent with each other).
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
import struct
import sys

from ansible_collections.gosvc.hardening.plugins.module_utils._goelf import (
    GOARCH_BY_ARCH,
    REQUIREMENTS_SCHEMA,
    CorruptError,
    GoBinaryError,
    NotELFError,
    open_elf,
    read_dynamic,
    read_glibc_release,
    read_requirements,
    requirements_or_error,
    version_sort_key,
)

HOST_SCHEMA = 1

# Architectures a 64-bit kernel also runs, as 32-bit (or x32) code: (host arch) -> binary arches.
COMPAT_ARCHES = {
    "x86_64": ("i386", "x32"),
    "aarch64": ("arm",),
    "ppc64": ("ppc",),
    "s390x": ("s390",),
    "mips64": ("mips",),
    "mips64el": ("mipsel",),
    "sparc64": ("sparc",),
}

# Debian multiarch tuples by architecture name (where the loader looks first on Debian and Ubuntu).
MULTIARCH = {
    "x86_64": ("x86_64-linux-gnu",),
    "i386": ("i386-linux-gnu",),
    "x32": ("x86_64-linux-gnux32",),
    "aarch64": ("aarch64-linux-gnu",),
    "arm": ("arm-linux-gnueabihf", "arm-linux-gnueabi"),
    "riscv64": ("riscv64-linux-gnu",),
    "ppc64le": ("powerpc64le-linux-gnu",),
    "ppc64": ("powerpc64-linux-gnu",),
    "ppc": ("powerpc-linux-gnu",),
    "s390x": ("s390x-linux-gnu",),
    "mips64el": ("mips64el-linux-gnuabi64",),
    "mipsel": ("mipsel-linux-gnu",),
    "mips": ("mips-linux-gnu",),
    "loongarch64": ("loongarch64-linux-gnu",),
    "sparc64": ("sparc64-linux-gnu",),
}

LD_SO_CACHE = "/etc/ld.so.cache"
LD_SO_CONF = "/etc/ld.so.conf"
_CACHE_MAGIC_NEW = b"glibc-ld.so.cache1.1"
_CACHE_MAGIC_OLD = b"ld.so-1.7.0"
# After the 20-byte magic and version: nlibs, len_strings, flags (2 little, 3 big endian), padding,
# extension offset, unused. Then nlibs entries: flags, key, value, osversion, hwcap.
_CACHE_HEADER_SIZE = 48
_CACHE_ENTRY = "iIIIQ"
_CACHE_ENTRY_SIZE = 24
MAX_CACHE_BYTES = 16 * 1024 * 1024
MAX_CONF_FILES = 256
MAX_SYMLINK_HOPS = 40


class RequirementsError(ValueError):
    """The requirements given to read_host_runtime / runnable_problems are not what read_requirements returns."""


# -- host architecture ---------------------------------------------------------------


def host_arch(machine, byteorder=None):
    """Map ``os.uname().machine`` (and the host byte order) to the names _goelf.elf_arch uses."""
    m = (machine or "").strip().lower()
    little = (byteorder or sys.byteorder) == "little"
    if m in ("x86_64", "amd64"):
        return "x86_64"
    if re.fullmatch(r"i[3-6]86|x86|i86pc", m):
        return "i386"
    if m in ("aarch64", "arm64"):
        return "aarch64"
    if m == "aarch64_be":
        return m
    if m.startswith("arm"):  # armv7l, armv6l, armv8l (32-bit userland on a 64-bit CPU), armv7b
        return "armeb" if m.endswith("b") else "arm"
    if m.startswith("mips"):
        base = "mips64" if "64" in m else "mips"
        return base + ("el" if little else "")
    if m in ("ppc64", "ppc64le", "ppc", "ppcle"):
        return m
    if m == "powerpc":
        return "ppc"
    return m


def _arch_label(requirements):
    """'linux/arm64 (aarch64)' for a Go binary that records its platform, else 'aarch64'."""
    go = requirements.get("go") or {}
    if go.get("goos") and go.get("goarch"):
        return f"{go['goos']}/{go['goarch']} ({requirements['arch']})"
    return requirements["arch"]


def _article(word):
    """'an' before a vowel sound: an aarch64, an i386, an x86_64, an s390x; a linux/arm64, a riscv64."""
    return "an" if word[:1].lower() in "aeiou" or word[:2].lower() in ("x8", "x3", "s3") else "a"


# -- paths inside a root ----------------------------------------------------------------


def in_root(root, path):
    """The real path of ``path`` as seen inside ``root``, following symbolic links as a chroot would.

    An absolute link target starts again at ``root``; ``..`` never leaves it. Returns None for a
    link loop. With root "/" this is the path itself.
    """
    if not root or root == "/":
        return path if path.startswith("/") else "/" + path
    parts = [p for p in path.split("/") if p and p != "."]
    done = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        candidate = os.path.join(root, *done, part)
        if os.path.islink(candidate):
            hops += 1
            if hops > MAX_SYMLINK_HOPS:
                return None
            try:
                target = os.readlink(candidate)
            except OSError:
                return None
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p and p != "."] + parts
            continue
        done.append(part)
    return os.path.join(root, *done)


def _is_file(root, path):
    real = in_root(root, path)
    return real is not None and os.path.isfile(real)


# -- ld.so.conf and ld.so.cache ----------------------------------------------------------


def ld_so_conf_dirs(root="/", conf=LD_SO_CONF):
    """The directories listed in /etc/ld.so.conf and the files it includes, in order, without duplicates."""
    dirs = []
    seen_files = set()

    def read(path, depth):
        if depth > 10 or len(seen_files) >= MAX_CONF_FILES or path in seen_files:
            return
        seen_files.add(path)
        real = in_root(root, path)
        try:
            with open(real, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except (OSError, TypeError):
            return
        for line in lines:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split()
            if words[0] == "include":
                for pattern in words[1:]:
                    if not pattern.startswith("/"):
                        pattern = posixpath.join(posixpath.dirname(path), pattern)
                    for included in _glob_in_root(root, pattern):
                        read(included, depth + 1)
            elif words[0] == "hwcap":
                continue
            else:
                for word in re.split(r"[\s:,]+", line):
                    word = word.split("=", 1)[0].rstrip("/") or "/"
                    if word.startswith("/") and word not in dirs:
                        dirs.append(word)

    read(conf, 0)
    return dirs


def _glob_in_root(root, pattern):
    """Files matching ``pattern`` (wildcards in the last component only, like ldconfig's usual use)."""
    directory, base = posixpath.split(posixpath.normpath(pattern))
    real = in_root(root, directory)
    try:
        names = sorted(os.listdir(real))
    except (OSError, TypeError):
        return []
    return [posixpath.join(directory, n) for n in names if fnmatch.fnmatchcase(n, base)]


def read_ld_so_cache(root="/", cache=LD_SO_CACHE):
    """{library name: [paths]} from /etc/ld.so.cache (glibc's "glibc-ld.so.cache1.1" format), or None.

    None when the file is missing or not in that format. Entries for every architecture the cache
    holds are returned; the caller checks each candidate's ELF header anyway.
    """
    real = in_root(root, cache)
    try:
        with open(real, "rb") as handle:
            data = handle.read(MAX_CACHE_BYTES + 1)
    except (OSError, TypeError):
        return None
    if len(data) > MAX_CACHE_BYTES:
        return None
    start = 0
    if data.startswith(_CACHE_MAGIC_OLD):
        # The old format comes first when both are written: {magic[11], nlibs} then 12-byte entries.
        if len(data) < 16:
            return None
        (nlibs,) = struct.unpack_from("<I", data, 12)
        start = 16 + nlibs * 12
        start = (start + 7) & ~7
    if data[start : start + len(_CACHE_MAGIC_NEW)] != _CACHE_MAGIC_NEW:
        return None
    if len(data) < start + _CACHE_HEADER_SIZE:
        return None
    flags = data[start + 28]
    endian = {2: "<", 3: ">"}.get(flags, "=")
    (nlibs,) = struct.unpack_from(endian + "I", data, start + 20)
    entries = start + _CACHE_HEADER_SIZE
    if entries + nlibs * _CACHE_ENTRY_SIZE > len(data):
        return None
    result = {}

    def string(offset):
        pos = start + offset
        end = data.find(b"\x00", pos)
        if pos >= len(data) or end < 0:
            return None
        return data[pos:end].decode("utf-8", "replace")

    for i in range(nlibs):
        _flags, key, value, _osv, _hwcap = struct.unpack_from(endian + _CACHE_ENTRY, data, entries + i * 24)
        name, path = string(key), string(value)
        if name and path and path.startswith("/"):
            paths = result.setdefault(name, [])
            if path not in paths:
                paths.append(path)
    return result


def default_dirs(arch, bits, host):
    """The loader's built-in directories for code of ``arch`` on a ``host`` architecture."""
    dirs = []
    for tuple_ in MULTIARCH.get(arch, ()):
        dirs += [f"/lib/{tuple_}", f"/usr/lib/{tuple_}"]
    if arch == "x32":
        dirs += ["/libx32", "/usr/libx32"]
    elif bits == 64:
        dirs += ["/lib64", "/usr/lib64"]
    elif arch != host:
        dirs += ["/lib32", "/usr/lib32"]
    dirs += ["/lib", "/usr/lib"]
    return dirs


# -- reading libraries ---------------------------------------------------------------------


def _describe(platform):
    return f"{platform['class']} {platform['arch']}"


def read_library(root, path, want=None):
    """ELF facts of one shared library on the host: ``{"path", "soname", "class", "arch", ..., "versions"}``.

    ``versions`` is the library's version definitions (DT_VERDEF), sorted by version; an empty list for
    a library without symbol versioning. ``want`` (a requirements dict) makes a library of another
    class, machine or byte order raise GoBinaryError saying so, as the loader would skip it.
    Raises OSError or GoBinaryError.
    """
    real = in_root(root, path)
    if real is None:
        raise OSError(f"{path}: too many levels of symbolic links")
    with open_elf(real) as elf:
        facts = {
            "path": path,
            "class": elf.elf_class,
            "bits": 64 if elf.is64 else 32,
            "machine": elf.machine,
            "arch": elf.arch,
            "endianness": elf.endianness,
        }
        if want is not None and (
            facts["class"] != want["class"]
            or facts["machine"] != want["machine"]
            or facts["endianness"] != want["endianness"]
        ):
            raise GoBinaryError(f"{_describe(facts)}, not {_describe(want)}")
        dynamic = read_dynamic(elf)
        facts["soname"] = dynamic["soname"]
        facts["versions"] = dynamic["version_defs"]
        if dynamic["soname"] == "libc.so.6" or posixpath.basename(path) == "libc.so.6":
            facts["glibc_release"] = read_glibc_release(elf)
    return facts


def _expand_origin(directory, origin):
    for token in ("$ORIGIN", "${ORIGIN}"):
        if token in directory:
            if origin is None:
                return None
            directory = directory.replace(token, origin.rstrip("/") or "/")
    return posixpath.normpath(directory) if directory.startswith("/") else None


def _skip_reason(exc):
    if isinstance(exc, NotELFError):
        text = str(exc)
        return "empty" if "empty" in text else "not a regular file" if "regular" in text else "not an ELF file"
    if isinstance(exc, OSError):
        return f"unreadable ({exc.strerror or exc})"
    if isinstance(exc, CorruptError):
        return f"damaged ({exc})"
    return str(exc)


def resolve_library(name, requirements, root="/", search=None):
    """Find the library the loader would load for DT_NEEDED ``name``.

    ``search`` is :func:`search_plan`'s list (computed here when None). Returns ``{"path": str|None,
    "found_via": str|None, "versions": [..]|None, "soname", "glibc_release", "skipped": [{"path",
    "reason"}]}``; ``skipped`` lists the files of that name passed over (another class, machine or byte
    order, not ELF, unreadable). A name with a slash is used as a path, as the loader does.
    """
    skipped = []
    if "/" in name:
        plan = [("path", None, [name])]
    else:
        plan = _plan_for(search if search is not None else search_plan(requirements, root), name)
    tried = set()
    for how, directory, candidates in plan:
        for path in candidates if directory is None else [posixpath.join(directory, name)]:
            real = in_root(root, path)
            if real is None or not os.path.exists(real):
                continue
            key = os.path.realpath(real)
            if key in tried:
                continue
            tried.add(key)
            try:
                facts = read_library(root, path, want=requirements)
            except (OSError, GoBinaryError) as exc:
                skipped.append({"path": path, "reason": _skip_reason(exc)})
                continue
            return {
                "path": path,
                "found_via": how,
                "versions": facts["versions"],
                "soname": facts["soname"],
                "glibc_release": facts.get("glibc_release"),
                "skipped": skipped,
            }
    return {
        "path": None,
        "found_via": None,
        "versions": None,
        "soname": None,
        "glibc_release": None,
        "skipped": skipped,
    }


def musl_path_dirs(root, interpreter):
    """The directories of musl's /etc/ld-musl-ARCH.path for this interpreter, or musl's defaults."""
    base = posixpath.basename(interpreter or "")
    if base.startswith("ld-musl-") and base.endswith(".so.1"):
        conf = f"/etc/{base[: -len('.so.1')]}.path"
        real = in_root(root, conf)
        try:
            with open(real, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except (OSError, TypeError):
            pass
        else:
            return [d.rstrip("/") or "/" for d in re.split(r"[\s:]+", text) if d.startswith("/")]
    return ["/lib", "/usr/local/lib", "/usr/lib"]


def search_plan(requirements, root="/", origin=None, host=None):
    """Where the loader looks for a library of this binary: [(how, directory or None, candidates)].

    ``how`` is "DT_RPATH" or "DT_RUNPATH" (a directory), "ld.so.cache" (candidates: the cache's
    {name: [paths]}), "ld.so.conf" or "default" (a directory). For a musl binary, after the run
    paths: "musl path" (/etc/ld-musl-ARCH.path, else /lib, /usr/local/lib, /usr/lib).
    """
    plan = []
    rpath = [] if requirements.get("runpath") else requirements.get("rpath") or []
    for how, dirs in (("DT_RPATH", rpath), ("DT_RUNPATH", requirements.get("runpath") or [])):
        for d in dirs:
            expanded = _expand_origin(d, origin)
            if expanded:
                plan.append((how, expanded, None))
    if requirements.get("libc") == "musl":
        steps = [("musl path", musl_path_dirs(root, requirements.get("interpreter")))]
    else:
        cache = read_ld_so_cache(root)
        if cache:
            plan.append(("ld.so.cache", None, cache))
        steps = [
            ("ld.so.conf", ld_so_conf_dirs(root)),
            ("default", default_dirs(requirements["arch"], requirements["bits"], host or requirements["arch"])),
        ]
    seen = set()
    for how, dirs in steps:
        for d in dirs:
            if d not in seen:
                seen.add(d)
                plan.append((how, d, None))
    return plan


def _plan_for(plan, name):
    """``plan`` with the ld.so.cache step narrowed to ``name``'s entries."""
    out = []
    for how, directory, candidates in plan:
        if how == "ld.so.cache":
            out.append((how, None, candidates.get(name, [])))
        else:
            out.append((how, directory, candidates))
    return out


# musl's dynamic linker is its C library: these names are answered by the interpreter itself.
_MUSL_BUILTIN = re.compile(r"^lib(?:c|pthread|rt|m|dl|util|xnet)\.so(?:\.\d+)*$")


def provided_by_interpreter(requirements, name):
    """Whether DT_NEEDED ``name`` is satisfied by the program interpreter (musl's libc.so, libpthread.so...)."""
    return requirements.get("libc") == "musl" and bool(_MUSL_BUILTIN.match(name))


# -- the host, as the binary needs it ----------------------------------------------------------


def check_requirements(requirements):
    """Raise RequirementsError unless ``requirements`` has the shape read_requirements gives."""
    if not isinstance(requirements, dict):
        raise RequirementsError(f"the binary's requirements must be a dict, not {type(requirements).__name__}")
    if requirements.get("schema") != REQUIREMENTS_SCHEMA:
        raise RequirementsError(
            f"the binary's requirements have schema {requirements.get('schema')!r}; this collection reads schema "
            f"{REQUIREMENTS_SCHEMA} (read them again with the same collection version)"
        )
    for key in ("class", "machine", "arch", "endianness"):
        if not isinstance(requirements.get(key), str):
            raise RequirementsError(f"the binary's requirements: {key} must be a string")
    if requirements.get("bits") not in (32, 64):
        raise RequirementsError("the binary's requirements: bits must be 32 or 64")
    if not isinstance(requirements.get("static"), bool):
        raise RequirementsError("the binary's requirements: static must be true or false")
    if requirements.get("interpreter") is not None and not isinstance(requirements["interpreter"], str):
        raise RequirementsError("the binary's requirements: interpreter must be a string or null")
    for key in ("needed", "rpath", "runpath"):
        value = requirements.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RequirementsError(f"the binary's requirements: {key} must be a list of strings")
    needs = requirements.get("version_needs")
    if not isinstance(needs, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(n, str) for n in v) for k, v in needs.items()
    ):
        raise RequirementsError("the binary's requirements: version_needs must map file names to lists of strings")
    go = requirements.get("go")
    if go is not None and not isinstance(go, dict):
        raise RequirementsError("the binary's requirements: go must be a dict or null")


def read_host_runtime(requirements, root="/", machine=None, byteorder=None, system=None, origin=None):
    """What this host offers the binary described by ``requirements`` (JSON-ready dict).

    ``machine``, ``byteorder`` and ``system`` default to ``os.uname().machine``, ``sys.byteorder``
    and ``os.uname().sysname``; ``origin`` is the directory the binary is (to be) installed in, for
    ``$ORIGIN`` run paths. Reads nothing from the file system for a static binary or one of a foreign
    architecture. Returns::

        {"schema": 1, "root": "/", "system": "Linux", "machine": "x86_64", "arch": "x86_64",
         "endianness": "little",
         "interpreter": {"path": "/lib64/ld-linux-x86-64.so.2", "exists": True} or None,
         "libraries": {"libc.so.6": {"path": "/lib/x86_64-linux-gnu/libc.so.6", "found_via": "ld.so.cache",
                                     "versions": ["GLIBC_2.2.5", ...], "soname": "libc.so.6",
                                     "glibc_release": "2.36", "skipped": []}},
         "glibc": {"release": "2.36", "max_version": "GLIBC_2.36", "path": "/lib/x86_64-linux-gnu/libc.so.6"}
                  or None}

    An unresolved library has ``path`` None (and ``skipped`` says which files were passed over and
    why). Raises RequirementsError for malformed requirements, nothing else.
    """
    check_requirements(requirements)
    if machine is None or system is None:
        uname = os.uname()
        machine = uname.machine if machine is None else machine
        system = uname.sysname if system is None else system
    arch = host_arch(machine, byteorder)
    host = {
        "schema": HOST_SCHEMA,
        "root": root,
        "system": system,
        "machine": machine,
        "arch": arch,
        "endianness": byteorder or sys.byteorder,
        "interpreter": None,
        "libraries": {},
        "glibc": None,
    }
    if requirements["static"] or not _arch_runs(requirements["arch"], arch):
        return host
    interpreter = requirements.get("interpreter")
    if interpreter:
        host["interpreter"] = {"path": interpreter, "exists": _is_file(root, interpreter)}
    names = [n for n in _library_names(requirements) if not provided_by_interpreter(requirements, n)]
    plan = search_plan(requirements, root, origin=origin, host=arch) if names else []
    for name in names:
        host["libraries"][name] = resolve_library(name, requirements, root, plan)
    libc = host["libraries"].get("libc.so.6")
    if libc and libc["path"]:
        max_version = max(
            (v for v in libc["versions"] or [] if re.match(r"GLIBC_\d", v)), key=version_sort_key, default=None
        )
        host["glibc"] = {"release": libc["glibc_release"], "max_version": max_version, "path": libc["path"]}
    return host


def _library_names(requirements):
    names = list(requirements["needed"])
    return names + [n for n in requirements["version_needs"] if n not in names]


def _arch_runs(binary_arch, host_arch_name):
    return binary_arch == host_arch_name or binary_arch in COMPAT_ARCHES.get(host_arch_name, ())


# -- the rule -----------------------------------------------------------------------------


def _join(items):
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _rebuild_hint(requirements, host):
    """How to get a binary for this host's architecture."""
    goarch = GOARCH_BY_ARCH.get(host["arch"])
    if requirements.get("go") and goarch:
        return f": build it with GOOS=linux GOARCH={goarch}"
    return f": use a build for {host['arch']}"


def runnable_problems(requirements, host, name="the binary"):
    """Every reason the program loader of ``host`` would refuse the binary; an empty list when it can run.

    ``requirements`` comes from _goelf.read_requirements (or binary_requirements), ``host`` from
    :func:`read_host_runtime` for those requirements. Each problem is one sentence that names what
    is missing and what the host has. Raises RequirementsError for malformed requirements.
    """
    check_requirements(requirements)
    problems = []
    go = requirements.get("go") or {}
    label = _arch_label(requirements)
    system = (host.get("system") or "").lower()
    goos = go.get("goos")
    if goos and system and goos != system:
        return [
            f"{name} is a {goos}/{go.get('goarch') or requirements['arch']} binary; this host runs "
            f"{host.get('system')}: build it with GOOS={system}"
        ]
    binary_arch, arch = requirements["arch"], host["arch"]
    if not _arch_runs(binary_arch, arch):
        return [f"{name} is {_article(label)} {label} binary; this host is {arch}{_rebuild_hint(requirements, host)}"]
    if requirements["static"]:
        return []
    is_go = bool(go)
    interpreter = host.get("interpreter") or {}
    if requirements.get("interpreter") and not interpreter.get("exists"):
        path = requirements["interpreter"]
        if binary_arch != arch:
            hint = f"build it for {arch}" if not is_go else f"build it with GOARCH={GOARCH_BY_ARCH.get(arch, arch)}"
            # Without its loader the host has no runtime for that class at all: one sentence says it.
            return [
                f"{name} is a {requirements['bits']}-bit {label} binary and needs the {requirements['bits']}-bit "
                f"program interpreter {path}, which this {arch} host does not have: install the "
                f"{requirements['bits']}-bit C library ({binary_arch}) or {hint}"
            ]
        libc = requirements.get("libc")
        linked = f" (it is linked against {'musl' if libc == 'musl' else 'glibc'})" if libc else ""
        hint = (
            "build it with CGO_ENABLED=0 (a static binary needs no interpreter) or against this host's C library"
            if is_go
            else "install that C library or use a statically linked build"
        )
        problems.append(f"{name} needs the program interpreter {path}{linked}, which this host does not have: {hint}")
    libraries = host.get("libraries") or {}
    for lib in _library_names(requirements):
        found = libraries.get(lib) or {}
        if found.get("path") or provided_by_interpreter(requirements, lib):
            continue
        sentence = f"{name} needs the shared library {lib}, which this host does not have"
        skipped = found.get("skipped") or []
        if skipped:
            sentence += " (" + "; ".join(f"{s['path']} is {s['reason']}" for s in skipped[:3]) + ")"
        problems.append(sentence)
    glibc = host.get("glibc") or {}
    for lib, wanted in requirements["version_needs"].items():
        found = libraries.get(lib) or {}
        if not found.get("path"):
            continue  # reported above
        defined = found.get("versions")
        if not defined:
            continue  # a library without version definitions satisfies any version (the loader only warns)
        missing = sorted(set(wanted) - set(defined), key=version_sort_key)
        if not missing:
            continue
        newest = max(defined, key=version_sort_key)
        if all(re.match(r"GLIBC_\d", v) for v in missing) and (glibc.get("release") or glibc.get("max_version")):
            if glibc.get("release"):
                have = f"this host has glibc {glibc['release']}"
                older = f"glibc {glibc['release']} or older"
            else:
                have = f"this host's libc.so.6 defines up to {glibc['max_version']}"
                older = f"up to {glibc['max_version']}"
            source = "" if lib == "libc.so.6" else f" of {lib}"
            hint = "build it with CGO_ENABLED=0 or for an older glibc" if is_go else "build it for an older glibc"
            problems.append(f"{name} needs {_join(missing)}{source}; {have}: {hint} ({older})")
        else:
            problems.append(
                f"{name} needs {_join(missing)} of {lib}; this host's {found['path']} defines up to {newest}"
            )
    return problems


def runnable_facts(requirements=None, error=None, path=None, name="the binary", origin=None, root="/"):
    """What service_facts reports as ``runnable``: ``{"requirements", "host", "problems"}``.

    The binary is described either by ``requirements`` read elsewhere (the controller reads the
    artifact before anything is sent), with ``error`` saying why they could not be read, or by the
    ``path`` of a file already on this host. ``problems`` is empty when this host can run it; a file
    that is not a readable ELF executable is one problem, since no host can.
    """
    if path is not None:
        requirements, error = requirements_or_error(path)
        if origin is None:
            origin = posixpath.dirname(path)
    if requirements is None:
        why = error or "nothing describes it (give its requirements or its path)"
        return {"requirements": None, "host": None, "problems": [f"{name} cannot run on this host: {why}"]}
    host = read_host_runtime(requirements, root=root, origin=origin)
    return {"requirements": requirements, "host": host, "problems": runnable_problems(requirements, host, name=name)}


def check_file(path, root="/", name=None, origin=None, **host_args):
    """Read ``path``'s requirements and this host's runtime: (requirements, host, problems).

    For a module that has the binary on the target already. Raises OSError or GoBinaryError when the
    binary cannot be read.
    """
    requirements = read_requirements(path)
    if origin is None:
        origin = posixpath.dirname(path)
    host = read_host_runtime(requirements, root=root, origin=origin, **host_args)
    return requirements, host, runnable_problems(requirements, host, name=name or path)
