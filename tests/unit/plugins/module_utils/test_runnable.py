# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the ELF dynamic-linking readers (_goelf) and the runnability rule (_runnable).

What is real here, and what stands in for what:

* Go binaries are built during the session with the installed ``go`` from tests/unit/data/go
  (cgohello: os/user and net, so CGO_ENABLED=1 links it against this machine's glibc; hello:
  stdlib only): static, CGO-linked, stripped, with a $ORIGIN run path, cross-built for 386,
  arm64 (also as PIE, which has an interpreter but no DT_NEEDED) and every other Linux GOARCH
  this Go supports, and with musl-gcc when it is installed.
* tests/unit/data/go/runnable holds a musl-linked and a 32-bit glibc C program and two libc.so.6
  *stand-ins* (see its README): shared objects with the exact version definitions of Debian 11's
  amd64 libc.so.6 (glibc 2.31) and Debian 12's i386 libc.so.6, built from lists captured from the
  real files. They are what a fake root uses to be an older or a 32-bit host; tests that use them
  say "standin" in their names.
* Oracles: ``readelf`` (binutils) for every field read from ELF files; this machine's own program
  loader for what is missing (``ld-linux-x86-64.so.2 --library-path DIR BINARY`` prints "version
  `GLIBC_2.34' not found" exactly as a Debian 11 host does, see the README) and for where a library
  resolves (``--list``); ``ldconfig -r`` writes a real /etc/ld.so.cache into a fake root and
  ``ldconfig -p`` reads it back; ``os.confstr("CS_GNU_LIBC_VERSION")`` is the running glibc.
* Fake roots are directories of files copied from this machine (its loader and libc.so.6) or the
  stand-ins, laid out like Debian 12 (merged /usr, an absolute /lib64 link), passed as ``root``.
  Only the rule's own tests (at the end) use hand-written dicts, and say so.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import struct
from pathlib import Path

import pytest
from support import GO, go_env, needs_go, run, skip_no_go

from ansible_collections.gosvc.hardening.plugins.module_utils import _goelf, _runnable

DATA = Path(__file__).resolve().parents[2] / "data" / "go"
RUNNABLE = DATA / "runnable"
STANDIN_DEBIAN11 = RUNNABLE / "libc-standin" / "debian11-amd64" / "libc.so.6"
STANDIN_I386 = RUNNABLE / "libc-standin" / "debian12-i386" / "libc.so.6"
MUSL_C = RUNNABLE / "hello-musl-x86_64"
I386_C = RUNNABLE / "hello-glibc-i386"
READELF = shutil.which("readelf")
GCC = shutil.which("gcc")
MUSL_GCC = shutil.which("musl-gcc")
LDCONFIG = shutil.which("ldconfig") or ("/sbin/ldconfig" if os.path.exists("/sbin/ldconfig") else None)
HOST_LOADER = "/lib64/ld-linux-x86-64.so.2"
HOST_I386_LOADER = "/lib/ld-linux.so.2"
X86_64 = os.uname().machine == "x86_64" and os.path.exists(HOST_LOADER)

needs_readelf = pytest.mark.skipif(READELF is None, reason="readelf (binutils) is not installed")
needs_x86_64 = pytest.mark.skipif(
    not X86_64, reason=f"the fake roots and the loader oracle use x86_64 files; this machine is {os.uname().machine}"
)
UNIX_X86_64 = {"machine": "x86_64", "byteorder": "little", "system": "Linux"}


# -- helpers -------------------------------------------------------------------------------


def requirements(path):
    return _goelf.read_requirements(str(path))


def read_dynamic(path):
    with _goelf.open_elf(str(path)) as elf:
        return _goelf.read_dynamic(elf)


def readelf(path):
    """Interpreter, DT_NEEDED, SONAME, run paths, version needs and definitions according to readelf."""
    out = {
        "interpreter": None,
        "needed": [],
        "soname": None,
        "rpath": [],
        "runpath": [],
        "needs": {},
        "weak": {},
        "defs": [],
    }
    for line in run([READELF, "-lW", str(path)]).stdout.splitlines():
        m = re.search(r"\[Requesting program interpreter: (.*)\]", line)
        if m:
            out["interpreter"] = m.group(1)
    for line in run([READELF, "-dW", str(path)]).stdout.splitlines():
        m = re.search(r"\((NEEDED|SONAME|RPATH|RUNPATH)\)\s+.*: \[(.*)\]", line)
        if not m:
            continue
        kind, value = m.groups()
        if kind == "NEEDED":
            out["needed"].append(value)
        elif kind == "SONAME":
            out["soname"] = value
        else:
            out[kind.lower()] += [d for d in value.split(":") if d]
    section = None
    current = None
    for line in run([READELF, "-VW", str(path)]).stdout.splitlines():
        if line.startswith("Version definition section"):
            section = "defs"
        elif line.startswith("Version needs section"):
            section = "needs"
        elif line.startswith("Version symbols section"):
            section = None
        elif section == "needs":
            m = re.search(r"File: (\S+)", line)
            if m:
                current = m.group(1)
                continue
            m = re.search(r"Name: (\S+)\s+Flags: (\S+)", line)
            if m:
                key = "weak" if "WEAK" in m.group(2) else "needs"
                out[key].setdefault(current, []).append(m.group(1))
        elif section == "defs":
            m = re.search(r"Flags: (\S+)\s+Index: \d+\s+Cnt: \d+\s+Name: (\S+)", line)
            if m and m.group(1) != "BASE":
                out["defs"].append(m.group(2))
    return out


def loader_missing_versions(loader, library_dir, binary):
    """Run ``binary`` through a real program loader with ``library_dir`` first; the versions it says are missing."""
    proc = run([loader, "--library-path", str(library_dir), str(binary)], timeout=60)
    found = re.findall(r"(?<!weak )version `([^']+)' not found", proc.stderr)
    return sorted(set(found), key=_goelf.version_sort_key), proc


def put(root, path, source):
    """Copy ``source`` to ``path`` inside ``root`` (parents created; links in root followed as a chroot would)."""
    target = Path(_runnable.in_root(str(root), path))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def link(root, path, target):
    where = Path(str(root) + path)
    where.parent.mkdir(parents=True, exist_ok=True)
    where.symlink_to(target)


def debian_root(tmp_path, libc=None, loader=True, name="root"):
    """A fake Debian 12 root: merged /usr, /lib64/ld-linux-x86-64.so.2 as an absolute link, ld.so.conf.d.

    ``libc`` is the file copied to /lib/x86_64-linux-gnu/libc.so.6 (None: none); ``loader`` copies this
    machine's real x86_64 loader.
    """
    root = tmp_path / name
    (root / "usr" / "lib" / "x86_64-linux-gnu").mkdir(parents=True)
    (root / "usr" / "lib64").mkdir(parents=True)
    link(root, "/lib", "usr/lib")
    link(root, "/lib64", "usr/lib64")
    link(root, "/usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    if loader:
        put(root, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", os.path.realpath(HOST_LOADER))
    if libc is not None:
        put(root, "/lib/x86_64-linux-gnu/libc.so.6", libc)
    (root / "etc" / "ld.so.conf.d").mkdir(parents=True)
    (root / "etc" / "ld.so.conf").write_text("include /etc/ld.so.conf.d/*.conf\n\n")
    (root / "etc" / "ld.so.conf.d" / "x86_64-linux-gnu.conf").write_text(
        "# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n"
    )
    return root


def host_libc():
    """This machine's libc.so.6 as the reader resolves it for its own python."""
    req = requirements(os.path.realpath("/proc/self/exe"))
    host = _runnable.read_host_runtime(req)
    return host["libraries"]["libc.so.6"]["path"]


def check(binary, root, name, **host_args):
    req = requirements(binary)
    args = dict(UNIX_X86_64)
    args.update(host_args)
    host = _runnable.read_host_runtime(req, root=str(root), **args)
    # What goes over the wire is JSON: the rule must give the same answer after a round trip.
    problems = _runnable.runnable_problems(json.loads(json.dumps(req)), json.loads(json.dumps(host)), name=name)
    assert problems == _runnable.runnable_problems(req, host, name=name)
    return req, host, problems


# -- Go builds ---------------------------------------------------------------------------

BUILDS = {
    "go_static": ("cgohello", {"CGO_ENABLED": "0"}, []),
    "go_static_stripped": ("hello", {"CGO_ENABLED": "0"}, ["-trimpath", "-ldflags=-s -w"]),
    "go_cgo": ("cgohello", {"CGO_ENABLED": "1"}, []),
    "go_cgo_stripped": ("cgohello", {"CGO_ENABLED": "1"}, ["-trimpath", "-ldflags=-s -w"]),
    "go_cgo_runpath": ("cgohello", {"CGO_ENABLED": "1"}, ["-ldflags=-r $ORIGIN/../lib"]),
    "go_386": ("hello", {"GOARCH": "386", "CGO_ENABLED": "0"}, []),
    "go_arm64": ("hello", {"GOARCH": "arm64", "CGO_ENABLED": "0"}, []),
    "go_pie_arm64": ("hello", {"GOARCH": "arm64", "CGO_ENABLED": "0"}, ["-buildmode=pie"]),
    "go_musl": ("cgohello", {"CGO_ENABLED": "1", "CC": "musl-gcc"}, []),
}
# GOARCH -> (the arch name _goelf gives, readelf's Machine text): every Linux GOARCH of Go 1.19.
GOARCHES = {
    "amd64": ("x86_64", "Advanced Micro Devices X86-64"),
    "386": ("i386", "Intel 80386"),
    "arm64": ("aarch64", "AArch64"),
    "arm": ("arm", "ARM"),
    "riscv64": ("riscv64", "RISC-V"),
    "ppc64le": ("ppc64le", "PowerPC64"),
    "ppc64": ("ppc64", "PowerPC64"),
    "s390x": ("s390x", "IBM S/390"),
    "mips": ("mips", "MIPS R3000"),
    "mipsle": ("mipsel", "MIPS R3000"),
    "mips64": ("mips64", "MIPS R3000"),
    "mips64le": ("mips64el", "MIPS R3000"),
    "loong64": ("loongarch64", "LoongArch"),
}


class Builder:
    def __init__(self, root):
        self.root = root
        self.cache = {}

    def get(self, name):
        if name not in self.cache:
            if name.startswith("goarch_"):
                src, env, args = "hello", {"GOARCH": name[len("goarch_") :], "CGO_ENABLED": "0"}, []
            else:
                src, env, args = BUILDS[name]
            if env.get("CGO_ENABLED") == "1" and GCC is None:
                pytest.skip("a CGO build needs a C compiler and gcc is not installed")
            if env.get("CC") == "musl-gcc" and MUSL_GCC is None:
                pytest.skip(
                    "musl-gcc (Debian: musl-tools) is not installed; the committed hello-musl-x86_64 covers musl"
                )
            work = self.root / name
            shutil.copytree(DATA / src, work)
            out = self.root / f"{name}.bin"
            proc = run([GO, "build", "-o", str(out), *args, "."], cwd=work, env=go_env(**env))
            if proc.returncode != 0 and name.startswith("goarch_") and "unsupported GOOS/GOARCH" in proc.stderr:
                pytest.skip(f"this Go cannot build linux/{env['GOARCH']}")
            assert proc.returncode == 0, f"go build {name} failed: {proc.stderr}"
            self.cache[name] = out
        return self.cache[name]


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    if GO is None:
        pytest.skip("the go tool is not installed")
    return Builder(tmp_path_factory.mktemp("runnable"))


def binary(built, name):
    """A Go build (by BUILDS name) or a committed C binary."""
    return {"c_musl": MUSL_C, "c_i386": I386_C}.get(name) or built.get(name)


# -- ELF readers against readelf ------------------------------------------------------------

SHAPES = [*BUILDS, "c_musl", "c_i386"]


@needs_go
@skip_no_go
@needs_readelf
@pytest.mark.parametrize("name", SHAPES)
def test_dynamic_reader_matches_readelf(built, name):
    path = binary(built, name)
    dyn = read_dynamic(path)
    expected = readelf(path)
    assert dyn["interpreter"] == expected["interpreter"]
    assert dyn["needed"] == expected["needed"]
    assert dyn["soname"] == expected["soname"]
    assert (dyn["rpath"], dyn["runpath"]) == (expected["rpath"], expected["runpath"])
    assert {k: sorted(v) for k, v in dyn["version_needs"].items()} == {
        k: sorted(v) for k, v in expected["needs"].items()
    }
    assert dyn["weak_version_needs"] == {}
    assert dyn["version_defs"] == []


@needs_readelf
@pytest.mark.parametrize(
    "path",
    [pytest.param(STANDIN_DEBIAN11, id="standin_debian11"), pytest.param(STANDIN_I386, id="standin_i386")]
    + [pytest.param(p, id=p) for p in ("/lib/x86_64-linux-gnu/libc.so.6", "/bin/ls") if os.path.exists(p)],
)
def test_version_definitions_match_readelf(path):
    """Real libraries (this machine's libc.so.6, /bin/ls) and the stand-ins."""
    dyn = read_dynamic(path)
    expected = readelf(path)
    assert sorted(dyn["version_defs"]) == sorted(expected["defs"])
    assert dyn["soname"] == expected["soname"]
    assert dyn["needed"] == expected["needed"]
    assert {k: sorted(v) for k, v in dyn["version_needs"].items()} == {
        k: sorted(v) for k, v in expected["needs"].items()
    }


@pytest.mark.parametrize(
    ("standin", "versions"), [(STANDIN_DEBIAN11, "debian11-amd64"), (STANDIN_I386, "debian12-i386")]
)
def test_standin_defines_exactly_the_captured_versions(standin, versions):
    lines = (RUNNABLE / f"{versions}.versions").read_text().splitlines()
    listed = [v for v in lines if v and not v.startswith(("#", "release "))]
    release = next(v for v in lines if v.startswith("release ")).split()[1]
    assert read_dynamic(standin)["version_defs"] == sorted(listed, key=_goelf.version_sort_key)
    with _goelf.open_elf(str(standin)) as elf:
        assert _goelf.read_glibc_release(elf) == release
    assert read_dynamic(standin)["soname"] == "libc.so.6"


def test_glibc_release_of_this_machine_matches_the_running_libc():
    """The banner read from libc.so.6 is the glibc this Python runs on (os.confstr)."""
    try:
        running = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):
        running = None
    if not running or not running.startswith("glibc "):
        pytest.skip(f"this Python does not run on glibc ({running!r})")
    path = host_libc()
    with _goelf.open_elf(path) as elf:
        assert _goelf.read_glibc_release(elf) == running.split()[1]
        # The highest GLIBC_x.y it defines is not always the release (Debian 11: GLIBC_2.30 in 2.31).
        assert _goelf.glibc_version_of(_goelf.read_dynamic(elf)["version_defs"]) is not None


@needs_go
@skip_no_go
@pytest.mark.parametrize(
    ("name", "static", "libc", "needs_glibc"),
    [
        ("go_static", True, None, None),
        ("go_static_stripped", True, None, None),
        ("go_386", True, None, None),
        ("go_arm64", True, None, None),
        ("go_pie_arm64", False, "glibc", None),  # an interpreter, no DT_NEEDED
        ("go_cgo", False, "glibc", "newest"),
        ("go_cgo_stripped", False, "glibc", "newest"),
        ("go_musl", False, "musl", None),
        ("c_musl", False, "musl", None),
        ("c_i386", False, "glibc", "2.34"),
    ],
)
def test_requirements_of_each_shape(built, name, static, libc, needs_glibc):
    path = binary(built, name)
    req = requirements(path)
    assert req["static"] is static
    assert req["libc"] == libc
    assert json.loads(json.dumps(req)) == req
    assert set(req) == {
        *("schema", "class", "bits", "machine", "arch", "endianness", "type", "static", "interpreter", "libc"),
        *("needed", "rpath", "runpath", "version_needs", "needs_glibc", "go"),
    }
    if needs_glibc == "newest":
        # Built here: the newest GLIBC_x.y the binary needs, which this machine's libc defines.
        expected = _goelf.glibc_version_of(readelf(path)["needs"].get("libc.so.6", [])) if READELF else None
        assert req["needs_glibc"] is not None
        if expected:
            assert req["needs_glibc"] == expected
    else:
        assert req["needs_glibc"] == needs_glibc
    if name.startswith("go_"):
        assert req["go"]["goos"] == "linux"
        assert req["go"]["goarch"] == BUILDS[name][1].get(
            "GOARCH", run([GO, "env", "GOARCH"], env=go_env()).stdout.strip()
        )
        assert req["go"]["cgo_enabled"] is (BUILDS[name][1]["CGO_ENABLED"] == "1")
    else:
        assert req["go"] is None


@needs_go
@skip_no_go
@needs_readelf
@pytest.mark.parametrize("goarch", list(GOARCHES))
def test_arch_names_of_every_goarch(built, goarch):
    path = built.get(f"goarch_{goarch}")
    arch, readelf_machine = GOARCHES[goarch]
    req = requirements(path)
    header = run([READELF, "-hW", str(path)]).stdout
    assert re.search(r"Machine:\s+" + re.escape(readelf_machine), header)
    endian = "little" if "little endian" in header else "big"
    assert (req["arch"], req["endianness"]) == (arch, endian)
    assert req["go"]["goarch"] == goarch
    # The name maps back to the GOARCH the rule suggests for a host of that architecture.
    assert _goelf.GOARCH_BY_ARCH[arch] == goarch


# -- garbage never gives a traceback ------------------------------------------------------


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["go_cgo", "c_musl", "c_i386"])
def test_truncated_binaries_raise_clear_errors(built, tmp_path, name):
    data = binary(built, name).read_bytes()
    cuts = sorted({0, 3, 16, 40, 64, 200, 500, 1000, 4096, len(data) // 3, len(data) // 2, len(data) - 1})
    for cut in cuts:
        short = tmp_path / f"cut{cut}"
        short.write_bytes(data[:cut])
        with pytest.raises(_goelf.GoBinaryError) as err:
            requirements(short)
        assert str(err.value)


def _dynamic_region(path):
    """File offsets of what the dynamic reader reads: PT_INTERP, PT_DYNAMIC, and the version tables."""
    with _goelf.open_elf(str(path)) as elf:
        regions = [(s.offset, s.filesz) for s in elf.segments if s.type in (_goelf.PT_INTERP, _goelf.PT_DYNAMIC)]
        for name in (".gnu.version_r", ".dynstr", ".gnu.version_d"):
            sec = elf.section(name)
            if sec is not None:
                regions.append((sec.offset, sec.size))
    return regions


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["go_cgo", "c_i386", "standin_debian11"])
def test_corrupted_dynamic_information_never_raises_anything_else(built, tmp_path, name):
    """2000 seeded single- and multi-byte corruptions of the bytes the reader uses."""
    path = STANDIN_DEBIAN11 if name == "standin_debian11" else binary(built, name)
    original = path.read_bytes()
    regions = _dynamic_region(path)
    rng = random.Random(f"gosvc-{name}")
    outcomes = {"read": 0, "error": 0}
    for _round in range(2000):
        data = bytearray(original)
        for _byte in range(rng.choice((1, 1, 2, 4))):
            offset, size = rng.choice(regions)
            pos = offset + rng.randrange(max(size, 1))
            data[pos] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)))
        try:
            elf = _goelf.ELFFile(io.BytesIO(bytes(data)))
            req = _goelf.binary_requirements(elf)
            _goelf.read_dynamic(elf)
            json.dumps(req)
            outcomes["read"] += 1
        except _goelf.GoBinaryError as exc:
            assert str(exc)
            outcomes["error"] += 1
    assert outcomes["error"] > 0 and outcomes["read"] > 0


def _patch(path, out, offset, fmt, value, endian="<"):
    data = bytearray(Path(path).read_bytes())
    struct.pack_into(endian + fmt, data, offset, value)
    Path(out).write_bytes(bytes(data))
    return out


def _verneed_offset(path):
    with _goelf.open_elf(str(path)) as elf:
        return elf.section(".gnu.version_r").offset


@needs_go
@skip_no_go
@pytest.mark.parametrize(
    ("field", "fmt", "value", "message"),
    [
        ("vn_version", "H", 7, "unknown revision 7"),
        ("vn_file", "I", 0xFFFFFF, "outside the dynamic string table"),
        ("vn_aux", "I", 0x7FFFFFF0, "not in any loaded part of the file"),
        ("vna_name", "I", 0xFFFFFF, "outside the dynamic string table"),
    ],
)
def test_damaged_version_needs_name_the_problem(built, tmp_path, field, fmt, value, message):
    """Real CGO binary with one field of .gnu.version_r overwritten."""
    path = built.get("go_cgo")
    offset = _verneed_offset(path) + {"vn_version": 0, "vn_file": 4, "vn_aux": 8, "vna_name": 16 + 8}[field]
    bad = _patch(path, tmp_path / "bad", offset, fmt, value)
    with pytest.raises(_goelf.CorruptError, match=re.escape(message)):
        requirements(bad)


@needs_go
@skip_no_go
def test_damaged_interpreter_and_dynamic_table(built, tmp_path):
    path = built.get("go_cgo")
    with _goelf.open_elf(str(path)) as elf:
        interp = next(s for s in elf.segments if s.type == _goelf.PT_INTERP)
        dynamic = next(s for s in elf.segments if s.type == _goelf.PT_DYNAMIC)
        strtab_entry = next(i for i, (tag, _value) in enumerate(_goelf._dynamic_entries(elf)) if tag == _goelf.DT_STRSZ)
    # An interpreter path that is all NULs.
    data = bytearray(path.read_bytes())
    data[interp.offset : interp.offset + interp.filesz] = bytes(interp.filesz)
    (tmp_path / "nointerp").write_bytes(bytes(data))
    with pytest.raises(_goelf.CorruptError, match=r"program interpreter path \(PT_INTERP\) is empty"):
        requirements(tmp_path / "nointerp")
    # A string table "size" of 1 GiB.
    bad = _patch(path, tmp_path / "bigstr", dynamic.offset + strtab_entry * 16 + 8, "Q", 1 << 30)
    with pytest.raises(_goelf.CorruptError, match="dynamic string table of 1073741824 bytes is implausible"):
        requirements(bad)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x7fELF", b"\x7fELF\x02\x01\x01" + bytes(9), b"\x7fELF" + bytes(60), b"MZ\x90\x00" * 100, os.urandom(4096)],
    ids=["empty", "magic", "ident", "zeros", "pe", "random"],
)
def test_garbage_is_a_clear_error(tmp_path, data):
    garbage = tmp_path / "garbage"
    garbage.write_bytes(data)
    with pytest.raises(_goelf.GoBinaryError):
        requirements(garbage)


# -- the host reader on this machine -----------------------------------------------------------


@needs_x86_64
@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["go_cgo", "ls"])
def test_libraries_resolve_where_this_machines_loader_finds_them(built, name):
    path = shutil.which("ls") if name == "ls" else built.get(name)
    req = requirements(path)
    host = _runnable.read_host_runtime(req)
    listed = run([HOST_LOADER, "--list", str(path)]).stdout
    for lib in req["needed"]:
        m = re.search(rf"^\s*{re.escape(lib)} => (\S+)", listed, re.M)
        assert m, listed
        assert os.path.realpath(host["libraries"][lib]["path"]) == os.path.realpath(m.group(1))
    assert host["interpreter"] == {"path": req["interpreter"], "exists": True}
    assert host["glibc"]["release"] == os.confstr("CS_GNU_LIBC_VERSION").split()[1]
    assert _runnable.runnable_problems(req, host, name=name) == []


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["go_static", "go_static_stripped", "go_386"])
def test_static_binary_passes_without_reading_the_host(built, tmp_path, name):
    req = requirements(built.get(name))
    missing_root = tmp_path / "does-not-exist"
    host = _runnable.read_host_runtime(req, root=str(missing_root), **UNIX_X86_64)
    assert host["interpreter"] is None and host["libraries"] == {} and host["glibc"] is None
    assert _runnable.runnable_problems(req, host, name=name) == []


# -- fake roots: the rule on real files --------------------------------------------------------


@needs_x86_64
@needs_go
@skip_no_go
def test_cgo_binary_runs_on_a_fake_root_with_this_machines_libc(built, tmp_path):
    root = debian_root(tmp_path, libc=host_libc())
    req, host, problems = check(built.get("go_cgo"), root, "cgohello")
    assert problems == []
    lib = host["libraries"]["libc.so.6"]
    assert (lib["path"], lib["found_via"]) == ("/lib/x86_64-linux-gnu/libc.so.6", "ld.so.conf")
    # /lib64/ld-linux-x86-64.so.2 is an absolute link, followed inside the root.
    assert host["interpreter"] == {"path": "/lib64/ld-linux-x86-64.so.2", "exists": True}
    assert set(req["version_needs"]["libc.so.6"]) <= set(lib["versions"])


@needs_x86_64
@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["go_cgo", "go_cgo_stripped"])
def test_cgo_binary_refused_on_fake_debian11_root_with_libc_standin(built, tmp_path, name):
    """The issue: a CGO build made on this (Debian 12) machine against Debian 11's libc version set."""
    path = built.get(name)
    root = debian_root(tmp_path, libc=STANDIN_DEBIAN11)
    req, host, problems = check(path, root, "node_exporter")
    oracle, proc = loader_missing_versions(HOST_LOADER, root / "usr" / "lib" / "x86_64-linux-gnu", path)
    assert oracle, f"the real loader found nothing missing: {proc.stderr}"
    missing = [v for v in req["version_needs"]["libc.so.6"] if v not in host["libraries"]["libc.so.6"]["versions"]]
    assert missing == oracle  # e.g. GLIBC_2.32 and GLIBC_2.34 for a Go 1.19 build on glibc 2.36
    assert host["glibc"] == {
        "release": "2.31",
        "max_version": "GLIBC_2.30",
        "path": "/lib/x86_64-linux-gnu/libc.so.6",
    }
    versions = " and ".join([", ".join(oracle[:-1]), oracle[-1]] if len(oracle) > 1 else oracle)
    assert problems == [
        f"node_exporter needs {versions}; this host has glibc 2.31: build it with CGO_ENABLED=0 or for an "
        "older glibc (glibc 2.31 or older)"
    ]


@needs_x86_64
@needs_go
@skip_no_go
def test_rule_with_this_machines_libc_versions_minus_the_newest(built):
    """Real requirements, real version list of this machine's libc.so.6 with every version the binary's newest
    need and above removed (host facts edited, so the named file is real but its list is not)."""
    req = requirements(built.get("go_cgo"))
    host = _runnable.read_host_runtime(req)
    newest = max(req["version_needs"]["libc.so.6"], key=_goelf.version_sort_key)
    lib = host["libraries"]["libc.so.6"]
    key = _goelf.version_sort_key(newest)
    lib["versions"] = [
        v for v in lib["versions"] if not (v.startswith("GLIBC_2") and _goelf.version_sort_key(v) >= key)
    ]
    host["glibc"] = {
        "release": None,
        "max_version": "GLIBC_" + _goelf.glibc_version_of(lib["versions"]),
        "path": lib["path"],
    }
    problems = _runnable.runnable_problems(req, host, name="svc")
    assert len(problems) == 1
    assert problems[0].startswith(f"svc needs {newest}; this host's libc.so.6 defines up to GLIBC_2.")
    assert "build it with CGO_ENABLED=0 or for an older glibc" in problems[0]


@needs_x86_64
@needs_go
@skip_no_go
def test_weak_version_need_is_not_required(built, tmp_path):
    """The CGO build with its first libc.so.6 version need marked weak (one flag set, readelf agrees):
    the loader does not insist on it, and neither does the rule."""
    path = built.get("go_cgo")
    offset = _verneed_offset(path) + 16 + 4  # first Vernaux, vna_flags
    weak = _patch(path, tmp_path / "weak", offset, "H", _goelf.VER_FLG_WEAK)
    first = readelf(weak)["weak"]["libc.so.6"] if READELF else None
    dyn = read_dynamic(weak)
    assert len(dyn["weak_version_needs"]["libc.so.6"]) == 1
    if first is not None:
        assert dyn["weak_version_needs"]["libc.so.6"] == first
    name = dyn["weak_version_needs"]["libc.so.6"][0]
    assert name not in dyn["version_needs"]["libc.so.6"]
    root = debian_root(tmp_path, libc=STANDIN_DEBIAN11)
    _req, _host, problems = check(weak, root, "svc")
    oracle, _proc = loader_missing_versions(HOST_LOADER, root / "usr" / "lib" / "x86_64-linux-gnu", weak)
    assert name not in oracle  # the loader says "weak version `GLIBC_2.32' not found" but goes on
    assert all(name not in p for p in problems)
    assert problems == [
        f"svc needs {oracle[0]}; this host has glibc 2.31: build it with CGO_ENABLED=0 or for an older glibc "
        "(glibc 2.31 or older)"
    ]


@needs_x86_64
@needs_go
@skip_no_go
def test_missing_libc_is_an_unresolved_library(built, tmp_path):
    root = debian_root(tmp_path, libc=None)
    _req, host, problems = check(built.get("go_cgo"), root, "cgohello")
    assert host["libraries"]["libc.so.6"]["path"] is None
    assert problems == ["cgohello needs the shared library libc.so.6, which this host does not have"]


@needs_x86_64
@needs_go
@skip_no_go
def test_garbage_and_truncated_libraries_are_skipped_with_the_reason(built, tmp_path):
    root = debian_root(tmp_path, libc=None)
    (root / "usr" / "lib" / "x86_64-linux-gnu" / "libc.so.6").write_bytes(b"/* GNU ld script */\n")
    (root / "usr" / "lib" / "libc.so.6").write_bytes(Path(host_libc()).read_bytes()[:5000])
    _req, host, problems = check(built.get("go_cgo"), root, "cgohello")
    skipped = host["libraries"]["libc.so.6"]["skipped"]
    assert skipped[0] == {"path": "/lib/x86_64-linux-gnu/libc.so.6", "reason": "not an ELF file"}
    assert skipped[1]["path"] == "/lib/libc.so.6"
    assert skipped[1]["reason"].startswith("damaged (truncated or corrupt ELF file: ")
    assert problems[0].startswith(
        "cgohello needs the shared library libc.so.6, which this host does not have "
        "(/lib/x86_64-linux-gnu/libc.so.6 is not an ELF file; /lib/libc.so.6 is damaged (truncated"
    )


@needs_x86_64
@needs_go
@skip_no_go
def test_missing_interpreter(built, tmp_path):
    root = debian_root(tmp_path, libc=host_libc(), loader=False)
    _req, host, problems = check(built.get("go_cgo"), root, "cgohello")
    assert host["interpreter"] == {"path": "/lib64/ld-linux-x86-64.so.2", "exists": False}
    assert problems == [
        "cgohello needs the program interpreter /lib64/ld-linux-x86-64.so.2 (it is linked against glibc), which "
        "this host does not have: build it with CGO_ENABLED=0 (a static binary needs no interpreter) or against "
        "this host's C library"
    ]


@needs_x86_64
@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["c_musl", "go_musl"])
def test_musl_binary_refused_on_a_glibc_root(built, tmp_path, name):
    root = debian_root(tmp_path, libc=host_libc())
    req, host, problems = check(binary(built, name), root, "svc")
    assert req["needed"] == ["libc.so"]  # answered by musl's loader itself, not looked up
    assert host["libraries"] == {}
    hint = (
        "build it with CGO_ENABLED=0 (a static binary needs no interpreter) or against this host's C library"
        if name == "go_musl"
        else "install that C library or use a statically linked build"
    )
    assert problems == [
        "svc needs the program interpreter /lib/ld-musl-x86_64.so.1 (it is linked against musl), which this host "
        f"does not have: {hint}"
    ]


@needs_x86_64
@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["c_musl", "go_musl"])
def test_musl_binary_needs_only_the_interpreter_file(built, tmp_path, name):
    """The rule checks that the interpreter file exists, not what is in it: an empty file stands for musl's."""
    root = debian_root(tmp_path, libc=None)
    (root / "usr" / "lib" / "ld-musl-x86_64.so.1").write_bytes(b"")
    _req, host, problems = check(binary(built, name), root, "svc")
    assert host["interpreter"] == {"path": "/lib/ld-musl-x86_64.so.1", "exists": True}
    assert problems == []


def test_32bit_binary_on_a_64bit_root_without_the_32bit_loader(tmp_path):
    root = debian_root(tmp_path, libc=STANDIN_DEBIAN11, loader=False)
    _req, _host, problems = check(I386_C, root, "hello-i386")
    assert problems == [
        "hello-i386 is a 32-bit i386 binary and needs the 32-bit program interpreter /lib/ld-linux.so.2, which "
        "this x86_64 host does not have: install the 32-bit C library (i386) or build it for x86_64"
    ]


def test_32bit_binary_skips_the_64bit_libc(tmp_path):
    """With the 32-bit loader (an empty placeholder: only its presence counts) but only a 64-bit libc.so.6."""
    root = debian_root(tmp_path, libc=STANDIN_DEBIAN11, loader=False)
    (root / "usr" / "lib" / "ld-linux.so.2").write_bytes(b"")
    _req, host, problems = check(I386_C, root, "hello-i386")
    assert host["libraries"]["libc.so.6"]["skipped"] == [
        {"path": "/lib/x86_64-linux-gnu/libc.so.6", "reason": "ELF64 x86_64, not ELF32 i386"}
    ]
    assert problems == [
        "hello-i386 needs the shared library libc.so.6, which this host does not have "
        "(/lib/x86_64-linux-gnu/libc.so.6 is ELF64 x86_64, not ELF32 i386)"
    ]


def test_32bit_binary_runs_with_the_i386_libc_standin(tmp_path):
    root = debian_root(tmp_path, libc=STANDIN_DEBIAN11, loader=False)
    (root / "usr" / "lib" / "ld-linux.so.2").write_bytes(b"")
    put(root, "/usr/lib/i386-linux-gnu/libc.so.6", STANDIN_I386)
    _req, host, problems = check(I386_C, root, "hello-i386")
    lib = host["libraries"]["libc.so.6"]
    assert (lib["path"], lib["found_via"]) == ("/lib/i386-linux-gnu/libc.so.6", "default")
    assert host["glibc"]["release"] == "2.36"
    assert problems == []


@pytest.mark.skipif(not os.path.exists(HOST_I386_LOADER), reason="this machine has no 32-bit loader (libc6-i386)")
def test_32bit_loader_finds_every_version_in_the_i386_standin():
    """Oracle for the previous test: this machine's real 32-bit loader reports no missing version."""
    missing, proc = loader_missing_versions(HOST_I386_LOADER, STANDIN_I386.parent, I386_C)
    assert missing == [], proc.stderr
    assert "version" not in proc.stderr


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["go_arm64", "go_pie_arm64"])
def test_arm64_binary_on_an_x86_64_host(built, tmp_path, name):
    req = requirements(built.get(name))
    host = _runnable.read_host_runtime(req, root=str(tmp_path / "nothing"), **UNIX_X86_64)
    assert host["libraries"] == {} and host["interpreter"] is None  # nothing read
    assert _runnable.runnable_problems(req, host, name="hello") == [
        "hello is a linux/arm64 (aarch64) binary; this host is x86_64: build it with GOOS=linux GOARCH=amd64"
    ]


@needs_go
@skip_no_go
def test_arm64_pie_on_an_arm64_host_needs_its_interpreter(built, tmp_path):
    """An aarch64 host simulated by its uname; the root is empty, so the interpreter is missing."""
    req = requirements(built.get("go_pie_arm64"))
    host = _runnable.read_host_runtime(req, root=str(tmp_path), machine="aarch64", byteorder="little", system="Linux")
    assert _runnable.runnable_problems(req, host, name="hello") == [
        "hello needs the program interpreter /lib/ld-linux-aarch64.so.1 (it is linked against glibc), which this "
        "host does not have: build it with CGO_ENABLED=0 (a static binary needs no interpreter) or against this "
        "host's C library"
    ]
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "ld-linux-aarch64.so.1").write_bytes(b"")
    host = _runnable.read_host_runtime(req, root=str(tmp_path), machine="aarch64", byteorder="little", system="Linux")
    assert _runnable.runnable_problems(req, host, name="hello") == []


@needs_go
@skip_no_go
def test_go_386_static_binary_runs_on_x86_64_and_not_on_aarch64(built):
    req = requirements(built.get("go_386"))
    host = _runnable.read_host_runtime(req, **UNIX_X86_64)
    assert _runnable.runnable_problems(req, host, name="hello") == []
    host = _runnable.read_host_runtime(req, machine="aarch64", byteorder="little", system="Linux")
    assert _runnable.runnable_problems(req, host, name="hello") == [
        "hello is a linux/386 (i386) binary; this host is aarch64: build it with GOOS=linux GOARCH=arm64"
    ]


# -- library search: ld.so.cache, ld.so.conf, run paths --------------------------------------


@needs_x86_64
@needs_go
@skip_no_go
def test_library_found_only_through_a_real_ld_so_cache(built, tmp_path):
    """ldconfig -r writes the cache of a fake root with libc.so.6 in /opt/weird/lib; then the conf that named that
    directory is removed, so only the cache knows it."""
    if LDCONFIG is None:
        pytest.skip("ldconfig is not installed")
    root = debian_root(tmp_path, libc=None)
    put(root, "/opt/weird/lib/libc.so.6", STANDIN_DEBIAN11)
    conf = root / "etc" / "ld.so.conf.d" / "weird.conf"
    conf.write_text("/opt/weird/lib\n")
    proc = run([LDCONFIG, "-r", str(root)])
    if proc.returncode != 0:
        pytest.skip(f"ldconfig -r failed here: {proc.stderr.strip()}")
    conf.unlink()
    printed = run([LDCONFIG, "-p", "-C", str(root / "etc" / "ld.so.cache")]).stdout
    oracle = {}
    for m in re.finditer(r"^\s+(\S+) \(([^)]*)\) => (\S+)$", printed, re.M):
        oracle.setdefault(m.group(1), []).append(m.group(3))
    assert _runnable.read_ld_so_cache(str(root)) == oracle
    assert oracle["libc.so.6"] == ["/opt/weird/lib/libc.so.6"]
    _req, host, problems = check(built.get("go_cgo"), root, "svc")
    lib = host["libraries"]["libc.so.6"]
    assert (lib["path"], lib["found_via"]) == ("/opt/weird/lib/libc.so.6", "ld.so.cache")
    assert problems and "this host has glibc 2.31" in problems[0]


def test_this_machines_ld_so_cache_matches_ldconfig_p():
    if LDCONFIG is None or not os.path.exists(_runnable.LD_SO_CACHE):
        pytest.skip("no ldconfig or no /etc/ld.so.cache on this machine")
    printed = run([LDCONFIG, "-p"]).stdout
    oracle = {}
    for m in re.finditer(r"^\s+(\S+) \(([^)]*)\) => (\S+)$", printed, re.M):
        oracle.setdefault(m.group(1), []).append(m.group(3))
    assert _runnable.read_ld_so_cache("/") == oracle


def test_ld_so_conf_includes_comments_and_relative_globs(tmp_path):
    root = tmp_path
    (root / "etc" / "ld.so.conf.d").mkdir(parents=True)
    (root / "etc" / "ld.so.conf").write_text(
        "# comment\n/opt/a/lib\ninclude ld.so.conf.d/*.conf\nhwcap 0 nosegneg\n/opt/b/lib:/opt/c/lib, /opt/d/lib=FOO\n"
    )
    (root / "etc" / "ld.so.conf.d" / "1.conf").write_text("/opt/e/lib/ # trailing comment\ninclude /etc/loop.conf\n")
    (root / "etc" / "ld.so.conf.d" / "2.txt").write_text("/opt/not/me\n")
    (root / "etc" / "loop.conf").write_text("include /etc/ld.so.conf\n/opt/f/lib\n")
    assert _runnable.ld_so_conf_dirs(str(root)) == [
        "/opt/a/lib",
        "/opt/e/lib",
        "/opt/f/lib",
        "/opt/b/lib",
        "/opt/c/lib",
        "/opt/d/lib",
    ]


@needs_x86_64
@needs_go
@skip_no_go
def test_origin_run_path_resolves_next_to_the_install_directory(built, tmp_path):
    path = built.get("go_cgo_runpath")
    req = requirements(path)
    assert req["runpath"] == ["$ORIGIN/../lib"]
    root = debian_root(tmp_path, libc=None)
    put(root, "/opt/svc/lib/libc.so.6", host_libc())
    host = _runnable.read_host_runtime(req, root=str(root), origin="/opt/svc/bin", **UNIX_X86_64)
    lib = host["libraries"]["libc.so.6"]
    assert (lib["path"], lib["found_via"]) == ("/opt/svc/lib/libc.so.6", "DT_RUNPATH")
    assert _runnable.runnable_problems(req, host, name="svc") == []
    # Without the install directory, $ORIGIN cannot be expanded and the entry is skipped.
    host = _runnable.read_host_runtime(req, root=str(root), **UNIX_X86_64)
    assert host["libraries"]["libc.so.6"]["path"] is None


def test_in_root_follows_links_inside_the_root_only(tmp_path):
    (tmp_path / "usr" / "lib").mkdir(parents=True)
    (tmp_path / "usr" / "lib" / "x").write_text("inside")
    link(tmp_path, "/lib", "usr/lib")
    link(tmp_path, "/abs", "/usr/lib/x")
    link(tmp_path, "/up", "../../../../usr/lib/x")
    link(tmp_path, "/loop1", "/loop2")
    link(tmp_path, "/loop2", "/loop1")
    assert _runnable.in_root(str(tmp_path), "/lib/x") == str(tmp_path / "usr" / "lib" / "x")
    assert _runnable.in_root(str(tmp_path), "/abs") == str(tmp_path / "usr" / "lib" / "x")
    assert _runnable.in_root(str(tmp_path), "/up") == str(tmp_path / "usr" / "lib" / "x")
    assert _runnable.in_root(str(tmp_path), "/loop1/x") is None
    assert _runnable.in_root("/", "/etc/passwd") == "/etc/passwd"


# -- the rule on hand-written facts (dicts, not files) ---------------------------------------------


def _req(**changes):
    req = {
        "schema": 1,
        "class": "ELF64",
        "bits": 64,
        "machine": "EM_X86_64",
        "arch": "x86_64",
        "endianness": "little",
        "type": "EXEC",
        "static": False,
        "interpreter": "/lib64/ld-linux-x86-64.so.2",
        "libc": "glibc",
        "needed": ["libstdc++.so.6", "libc.so.6"],
        "rpath": [],
        "runpath": [],
        "version_needs": {"libstdc++.so.6": ["GLIBCXX_3.4", "GLIBCXX_3.4.30"], "libc.so.6": ["GLIBC_2.2.5"]},
        "needs_glibc": "2.2.5",
        "go": None,
    }
    req.update(changes)
    return req


def _host(**libraries):
    return {
        "schema": 1,
        "system": "Linux",
        "arch": "x86_64",
        "interpreter": {"path": "/lib64/ld-linux-x86-64.so.2", "exists": True},
        "libraries": libraries,
        "glibc": None,
    }


def test_dict_rule_names_a_non_glibc_version_and_what_the_host_has():
    host = _host(
        **{
            "libstdc++.so.6": {
                "path": "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
                "versions": ["GLIBCXX_3.4", "GLIBCXX_3.4.28"],
            },
            "libc.so.6": {"path": "/lib/x86_64-linux-gnu/libc.so.6", "versions": ["GLIBC_2.2.5"]},
        }
    )
    assert _runnable.runnable_problems(_req(), host, name="app") == [
        "app needs GLIBCXX_3.4.30 of libstdc++.so.6; this host's /usr/lib/x86_64-linux-gnu/libstdc++.so.6 defines "
        "up to GLIBCXX_3.4.28"
    ]


def test_dict_rule_library_without_version_definitions_satisfies_any_version():
    host = _host(
        **{
            "libstdc++.so.6": {"path": "/opt/libstdc++.so.6", "versions": []},
            "libc.so.6": {"path": "/lib/x86_64-linux-gnu/libc.so.6", "versions": ["GLIBC_2.2.5"]},
        }
    )
    assert _runnable.runnable_problems(_req(), host) == []


def test_dict_rule_go_binary_for_another_os():
    req = _req(static=True, go={"version": "go1.22.0", "goos": "freebsd", "goarch": "amd64", "cgo_enabled": False})
    assert _runnable.runnable_problems(req, _host(), name="svc") == [
        "svc is a freebsd/amd64 binary; this host runs Linux: build it with GOOS=linux"
    ]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (None, "must be a dict"),
        ({"schema": 2}, "schema 2"),
        (_req(arch=3), "arch must be a string"),
        (_req(bits=16), "bits must be 32 or 64"),
        (_req(static="no"), "static must be true or false"),
        (_req(needed="libc.so.6"), "needed must be a list of strings"),
        (_req(version_needs={"libc.so.6": "GLIBC_2.34"}), "version_needs must map"),
        (_req(interpreter=["/lib"]), "interpreter must be a string or null"),
        (_req(go="linux"), "go must be a dict or null"),
    ],
)
def test_malformed_requirements_are_refused_clearly(bad, message):
    with pytest.raises(_runnable.RequirementsError, match=re.escape(message)):
        _runnable.read_host_runtime(bad)
    with pytest.raises(_runnable.RequirementsError, match=re.escape(message)):
        _runnable.runnable_problems(bad, _host())


@pytest.mark.parametrize(
    ("machine", "byteorder", "arch"),
    [
        ("x86_64", "little", "x86_64"),
        ("amd64", "little", "x86_64"),
        ("i686", "little", "i386"),
        ("aarch64", "little", "aarch64"),
        ("arm64", "little", "aarch64"),
        ("armv7l", "little", "arm"),
        ("armv8l", "little", "arm"),
        ("riscv64", "little", "riscv64"),
        ("ppc64le", "little", "ppc64le"),
        ("ppc64", "big", "ppc64"),
        ("s390x", "big", "s390x"),
        ("mips", "big", "mips"),
        ("mips", "little", "mipsel"),
        ("mips64", "little", "mips64el"),
        ("loongarch64", "little", "loongarch64"),
    ],
)
def test_host_arch_names(machine, byteorder, arch):
    assert _runnable.host_arch(machine, byteorder) == arch


def test_version_ordering():
    names = ["GLIBC_PRIVATE", "GLIBC_2.34", "GLIBC_2.3", "GLIBC_2.2.5", "GLIBC_2.10", "GLIBC_ABI_DT_RELR"]
    assert sorted(names, key=_goelf.version_sort_key) == [
        "GLIBC_2.2.5",
        "GLIBC_2.3",
        "GLIBC_2.10",
        "GLIBC_2.34",
        "GLIBC_ABI_DT_RELR",
        "GLIBC_PRIVATE",
    ]
    assert _goelf.glibc_version_of(names) == "2.34"
    assert _goelf.glibc_version_of(["GLIBC_PRIVATE", "GLIBC_2.3.4" + "9" * 20]) is None  # absurd number: ignored


def test_reader_works_on_an_in_memory_copy():
    """ELFFile over an in-memory copy of a real file reads the same dynamic facts (used by the fuzz test)."""
    data = I386_C.read_bytes()
    elf = _goelf.ELFFile(io.BytesIO(data))
    assert _goelf.read_dynamic(elf) == read_dynamic(I386_C)


def _without_section_headers(src, dst):
    """``src`` with e_shoff, e_shnum and e_shstrndx zeroed (what sstrip does): only program headers remain."""
    data = bytearray(Path(src).read_bytes())
    endian = "<" if data[5] == 1 else ">"
    if data[4] == 2:
        struct.pack_into(endian + "Q", data, 0x28, 0)
        struct.pack_into(endian + "HH", data, 0x3C, 0, 0)
    else:
        struct.pack_into(endian + "I", data, 0x20, 0)
        struct.pack_into(endian + "HH", data, 0x30, 0, 0)
    Path(dst).write_bytes(bytes(data))
    return dst


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["go_cgo", "go_pie_arm64", "c_musl", "c_i386", "standin_debian11", "standin_i386"])
def test_readers_need_no_section_headers(built, tmp_path, name):
    """The loader reads only program headers; so does the reader (same facts after the section headers are gone)."""
    path = {"standin_debian11": STANDIN_DEBIAN11, "standin_i386": STANDIN_I386}.get(name) or binary(built, name)
    bare = _without_section_headers(path, tmp_path / "bare")
    with _goelf.open_elf(str(bare)) as elf:
        assert elf.sections == []
    assert read_dynamic(bare) == read_dynamic(path)
    assert requirements(bare) == requirements(path)
    if name.startswith("standin"):
        with _goelf.open_elf(str(bare)) as elf:
            assert _goelf.read_glibc_release(elf) == ("2.31" if name == "standin_debian11" else "2.36")


@needs_x86_64
@needs_go
@skip_no_go
def test_fifo_directory_and_empty_file_are_skipped_without_blocking(built, tmp_path):
    """A FIFO named libc.so.6 would block a reader that opened it; it is refused before opening."""
    root = debian_root(tmp_path, libc=None)
    os.mkfifo(root / "usr" / "lib" / "x86_64-linux-gnu" / "libc.so.6")
    (root / "usr" / "lib" / "libc.so.6").mkdir()
    (root / "usr" / "lib64" / "libc.so.6").write_bytes(b"")
    _req, host, problems = check(built.get("go_cgo"), root, "svc")
    assert host["libraries"]["libc.so.6"]["skipped"] == [
        {"path": "/lib/x86_64-linux-gnu/libc.so.6", "reason": "not a regular file"},
        {"path": "/lib64/libc.so.6", "reason": "empty"},
        {"path": "/lib/libc.so.6", "reason": "unreadable (Is a directory)"},
    ]
    assert len(problems) == 1
