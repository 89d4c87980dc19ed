# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for module_utils._goelf against real Go binaries.

Every expected value comes from a real tool run during the session:

* Go binaries are built here with the installed ``go`` from the sources in
  tests/unit/data/go (default, -trimpath -s -w, -ldflags -X, in a dirty git
  checkout, with a local replace, cross-built for 386/arm64/mips, and one with
  its section headers removed), and ``go version -m`` is the oracle for the
  build information.
* Go programs nobody in this project wrote are fetched with the ordinary
  package clients: esbuild from the npm registry (built by Go 1.14, 1.15 and
  1.17 -- the pre-1.18 pointer format -- for amd64, 386 and big-endian s390x,
  and a current release whose build information was removed), lefthook from
  PyPI (a current Go release) and shfmt/gron from Debian (Go 1.19, GOPATH
  mode). Each is skipped with its reason when its registry cannot be reached.
  Downloads are kept in $GOSVC_TEST_CACHE (default ~/.cache/gosvc-hardening-tests)
  so later runs do not fetch them again.
* ``readelf`` (binutils) is the oracle for the ELF header, .symtab and DWARF
  sections, and a small Go program using debug/gosym (data/go/pclnfiles) is
  the oracle for the absolute source paths in .gopclntab.
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import re
import shutil
import struct
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from support import GO, go_env, needs_go, run, skip_no_go

from ansible_collections.gosvc.hardening.plugins.module_utils import _goelf

DATA = Path(__file__).resolve().parents[2] / "data" / "go"
READELF = shutil.which("readelf")


# -- helpers -------------------------------------------------------------------


def go_version_m(binary):
    """Parse ``go version -m BINARY`` into the shape _goelf returns (the oracle)."""
    proc = run([GO, "version", "-m", str(binary)], env=go_env())
    assert proc.returncode == 0 and proc.stdout, f"go version -m {binary} failed: {proc.stderr}"
    lines = proc.stdout.splitlines()
    head = f"{binary}: "
    assert lines[0].startswith(head), lines[0]
    out = {"go_version": lines[0][len(head) :], "path": "", "main": None, "deps": [], "settings": {}}
    last = None
    for line in lines[1:]:
        assert line.startswith("\t"), line
        fields = line[1:].split("\t")
        kind = fields[0]
        if kind == "":
            continue  # go version -m prints an empty line after a => line
        if kind == "path":
            out["path"] = fields[1]
        elif kind in ("mod", "dep"):
            last = {
                "path": fields[1],
                "version": fields[2],
                "sum": fields[3] if len(fields) > 3 else "",
                "replace": None,
            }
            if kind == "mod":
                out["main"] = last
            else:
                out["deps"].append(last)
        elif kind == "=>":
            last["replace"] = {"path": fields[1], "version": fields[2], "sum": fields[3] if len(fields) > 3 else ""}
        elif kind == "build":
            key, _sep, value = fields[1].partition("=")
            if value.startswith('"'):
                value = json.loads(value)  # strconv.Quote output of printable text is a JSON string
            out["settings"][key] = value
        else:
            raise AssertionError(f"unexpected go version -m line {line!r}")
    return out


def readelf_facts(binary):
    """ELF class, endianness, type, machine text and section names according to readelf."""
    header = run([READELF, "-hW", str(binary)]).stdout
    fields = {}
    for line in header.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    sections = run([READELF, "-SW", str(binary)]).stdout
    names = []
    for line in sections.splitlines():
        line = line.strip()
        if line.startswith("[") and "]" in line:
            rest = line.split("]", 1)[1].split()
            if rest and rest[0] != "Name":
                names.append(rest[0] if rest[0] != "NULL" else "")
    return fields, [n for n in names if n]


# readelf's "Machine:" text for the machines these tests meet.
READELF_MACHINES = {
    "Advanced Micro Devices X86-64": "EM_X86_64",
    "Intel 80386": "EM_386",
    "AArch64": "EM_AARCH64",
    "IBM S/390": "EM_S390",
    "MIPS R3000": "EM_MIPS",
}


def strip_section_headers(src, dst):
    """Write ``src`` to ``dst`` with the ELF header's section header fields zeroed (as sstrip does)."""
    data = bytearray(Path(src).read_bytes())
    endian = "<" if data[5] == 1 else ">"
    if data[4] == 2:
        struct.pack_into(endian + "Q", data, 0x28, 0)  # e_shoff
        struct.pack_into(endian + "HH", data, 0x3C, 0, 0)  # e_shnum, e_shstrndx
    else:
        struct.pack_into(endian + "I", data, 0x20, 0)
        struct.pack_into(endian + "HH", data, 0x30, 0, 0)
    Path(dst).write_bytes(bytes(data))
    os.chmod(dst, 0o755)


def inspect(path, **kwargs):
    return _goelf.inspect_file(str(path), **kwargs)


# -- locally built binaries ----------------------------------------------------------

LDFLAGS_QUOTED_VALUE = '1.2.3 "rc"\té'

BUILDS = {
    "default": {"env": {"CGO_ENABLED": "1"}, "args": []},
    "trimpath_stripped": {"env": {"CGO_ENABLED": "0"}, "args": ["-trimpath", "-ldflags=-s -w"]},
    "ldflags_x": {"env": {}, "args": ["-ldflags=-X main.version=1.2.3"]},
    "ldflags_quoted": {"env": {}, "args": ["-ldflags=-X 'main.version=" + LDFLAGS_QUOTED_VALUE + "'"]},
    "vcs_dirty": {"env": {}, "args": [], "git": True},
    "replace": {"env": {}, "args": [], "src": "app"},
    "cross_386": {"env": {"GOARCH": "386"}, "args": []},
    "cross_arm64": {"env": {"GOARCH": "arm64"}, "args": []},
    "cross_mips": {"env": {"GOARCH": "mips"}, "args": []},
}


class Builder:
    """Builds each variant once per session, on first use."""

    def __init__(self, root):
        self.root = root
        self.cache = {}

    def source_dir(self, name):
        spec = BUILDS[name]
        work = self.root / name
        src = spec.get("src", "hello")
        shutil.copytree(DATA / src, work / src)
        if src == "app":
            shutil.copytree(DATA / "greet", work / "greet")
        srcdir = work / src
        if spec.get("git"):
            git = shutil.which("git")
            if git is None:
                pytest.skip("git is not installed")
            env = dict(os.environ, GIT_AUTHOR_DATE="2024-01-02T03:04:05Z", GIT_COMMITTER_DATE="2024-01-02T03:04:05Z")
            for cmd in (
                ["init", "-q"],
                ["config", "user.name", "gosvc test"],
                ["config", "user.email", "gosvc-test@example.invalid"],
                ["add", "-A"],
                ["-c", "commit.gpgsign=false", "commit", "-q", "-m", "initial"],
            ):
                proc = run([git, *cmd], cwd=srcdir, env=env)
                assert proc.returncode == 0, proc.stderr
            with open(srcdir / "main.go", "a") as fh:
                fh.write("\n// uncommitted change\n")
        return srcdir

    def get(self, name):
        if name not in self.cache:
            if name == "no_section_headers":
                out = self.root / "no_section_headers"
                strip_section_headers(self.get("default"), out)
            else:
                spec = BUILDS[name]
                srcdir = self.source_dir(name)
                out = self.root / f"{name}.bin"
                proc = run([GO, "build", "-o", str(out), *spec["args"], "."], cwd=srcdir, env=go_env(**spec["env"]))
                assert proc.returncode == 0, f"go build {name} failed: {proc.stderr}"
            self.cache[name] = out
        return self.cache[name]


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    if GO is None:
        pytest.skip("the go tool is not installed")
    return Builder(tmp_path_factory.mktemp("gobuild"))


@pytest.fixture(scope="session")
def pclnfiles(tmp_path_factory):
    """The debug/gosym oracle: prints the file names in a binary's .gopclntab."""
    if GO is None:
        pytest.skip("the go tool is not installed")
    work = tmp_path_factory.mktemp("pclnfiles")
    shutil.copytree(DATA / "pclnfiles", work / "src")
    out = work / "pclnfiles"
    proc = run([GO, "build", "-o", str(out), "."], cwd=work / "src", env=go_env(CGO_ENABLED="0"))
    assert proc.returncode == 0, proc.stderr

    def files(binary):
        proc = run([str(out), str(binary)])
        if proc.returncode != 0:
            return None, proc.stderr.strip()
        if not proc.stdout.strip():
            # Every Go program has files; none means this pc-line table
            # version is newer than the installed debug/gosym knows.
            return None, "debug/gosym found no files"
        return proc.stdout.splitlines(), ""

    return files


# -- third-party binaries ----------------------------------------------------------------

# name: (client, what to ask for, path of the Go binary inside the package)
THIRD_PARTY = {
    "npm_esbuild_0.2.12_amd64": ("npm", "esbuild-linux-64@0.2.12", "package/bin/esbuild"),
    "npm_esbuild_0.7.22_amd64": ("npm", "esbuild-linux-64@0.7.22", "package/bin/esbuild"),
    "npm_esbuild_0.14.10_s390x": ("npm", "esbuild-linux-s390x@0.14.10", "package/bin/esbuild"),
    "npm_esbuild_0.14.10_386": ("npm", "esbuild-linux-32@0.14.10", "package/bin/esbuild"),
    "npm_esbuild_0.28.2_amd64": ("npm", "@esbuild/linux-x64@0.28.2", "package/bin/esbuild"),
    "pypi_lefthook_2.2.2": ("pypi", "lefthook==2.2.2", "lefthook/bin/lefthook-linux-x86_64/lefthook"),
    "debian_shfmt": ("apt", "shfmt", "usr/bin/shfmt"),
    "debian_gron": ("apt", "gron", "usr/bin/gron"),
}
WITH_BUILDINFO = [n for n in THIRD_PARTY if n != "npm_esbuild_0.28.2_amd64"]


def _tail(text):
    """The first error line of a client's output, for a one-line skip reason."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and "WARNING" not in line]
    errors = [line for line in lines if "error" in line.lower()]
    return ((errors or lines or [""])[0])[:200]


def _fetch(kind, spec, member, work):
    """Download one package with its registry's own client and return the Go binary's bytes."""
    work.mkdir(parents=True, exist_ok=True)
    if kind == "npm":
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed")
        proc = run(
            [
                *(npm, "pack", spec, "--pack-destination", str(work), "--loglevel=error"),
                *("--fetch-retries=1", "--fetch-retry-mintimeout=1000", "--fetch-retry-maxtimeout=5000"),
            ],
            cwd=work,
            timeout=180,
        )
        tgzs = sorted(work.glob("*.tgz"))
        if proc.returncode != 0 or not tgzs:
            raise RuntimeError(f"npm pack {spec} failed: {_tail(proc.stderr)}")
        with tarfile.open(tgzs[0]) as tar:
            return tar.extractfile(member).read()
    if kind == "pypi":
        proc = run(
            [
                *(sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"),
                *("--retries", "1", "--timeout", "30"),
                *("--platform", "manylinux_2_17_x86_64", "--python-version", "3.11", "-d", str(work), spec),
            ],
            timeout=180,
        )
        wheels = sorted(work.glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise RuntimeError(f"pip download {spec} failed: {_tail(proc.stderr)}")
        with zipfile.ZipFile(wheels[0]) as whl:
            return whl.read(member)
    if kind == "apt":
        apt, dpkg = shutil.which("apt-get"), shutil.which("dpkg-deb")
        if apt is None or dpkg is None:
            raise RuntimeError("apt-get/dpkg-deb are not installed")
        proc = run([apt, "download", spec], cwd=work, timeout=180)
        debs = sorted(work.glob("*.deb"))
        if proc.returncode != 0 or not debs:
            raise RuntimeError(f"apt-get download {spec} failed (run apt-get update first): {_tail(proc.stderr)}")
        proc = run([dpkg, "-x", str(debs[0]), str(work / "x")])
        if proc.returncode != 0:
            raise RuntimeError(f"dpkg-deb -x failed: {proc.stderr.strip()}")
        return (work / "x" / member).read_bytes()
    raise ValueError(kind)


@pytest.fixture(scope="session")
def third_party(tmp_path_factory):
    """name -> (path or None, reason). Fetched in parallel, cached between sessions."""
    cache = Path(os.environ.get("GOSVC_TEST_CACHE") or Path.home() / ".cache" / "gosvc-hardening-tests")
    work = tmp_path_factory.mktemp("third_party")

    def one(name):
        kind, spec, member = THIRD_PARTY[name]
        cached = cache / "go-binaries" / name
        if not cached.is_file():
            data = _fetch(kind, spec, member, work / name)
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.parent / f"{cached.name}.{os.getpid()}.part"
            tmp.write_bytes(data)
            os.replace(tmp, cached)
        target = work / name / "bin"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, target)
        os.chmod(target, 0o755)
        return target

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(one, name) for name in THIRD_PARTY}
        for name, fut in futures.items():
            try:
                results[name] = (fut.result(), "")
            except Exception as exc:  # any failure to fetch means skip, with the reason
                results[name] = (None, f"{THIRD_PARTY[name][1]} could not be fetched: {exc}")
    return results


def third_party_binary(third_party, name):
    path, reason = third_party[name]
    if path is None:
        pytest.skip(reason)
    return path


# -- comparisons -----------------------------------------------------------------------


def assert_matches_go(binary, info):
    expected = go_version_m(binary)
    assert info["is_go"] is True
    assert info["go_version"] == expected["go_version"]
    assert info["path"] == expected["path"]
    assert info["main"] == expected["main"]
    assert info["deps"] == expected["deps"]
    assert info["settings"] == expected["settings"]
    assert list(info["settings"]) == list(expected["settings"])  # same order
    settings = expected["settings"]
    flags = info["flags"]
    if settings:
        assert flags["trimpath"] is (settings.get("-trimpath") == "true")
    else:
        assert flags["trimpath"] is None
    assert flags["cgo_enabled"] == {"1": True, "0": False}.get(settings.get("CGO_ENABLED"))
    assert flags["ldflags"] == settings.get("-ldflags")
    assert flags["goos"] == settings.get("GOOS")
    assert flags["goarch"] == settings.get("GOARCH")
    assert flags["vcs"]["revision"] == settings.get("vcs.revision")
    assert flags["vcs"]["time"] == settings.get("vcs.time")
    assert flags["vcs"]["modified"] == {"true": True, "false": False}.get(settings.get("vcs.modified"))
    # Go 1.18 moved to the inline format; older releases use pointers.
    minor = int(re.match(r"go1\.(\d+)", expected["go_version"]).group(1))
    assert info["buildinfo"]["format"] == ("inline" if minor >= 18 else "pointer")
    return expected


def assert_elf_matches_readelf(binary, info):
    if READELF is None:
        pytest.skip("readelf (binutils) is not installed")
    header, names = readelf_facts(binary)
    assert info["elf"]["class"] == header["Class"]
    assert info["elf"]["endianness"] == ("little" if "little endian" in header["Data"] else "big")
    assert info["elf"]["type"] == header["Type"].split()[0]
    assert info["elf"]["machine"] == READELF_MACHINES[header["Machine"]]
    assert info["stripped"] is (".symtab" not in names)
    assert info["dwarf_sections"] == [n for n in names if n.startswith((".debug_", ".zdebug_"))]
    assert info["has_dwarf"] is bool(info["dwarf_sections"])


def assert_paths_match_gosym(binary, info, pclnfiles, allow_skip=True):
    files, error = pclnfiles(binary)
    if files is None:
        if allow_skip:
            pytest.skip(f"debug/gosym of this Go cannot read the pc-line table: {error}")
        raise AssertionError(error)
    with open(binary, "rb") as fh:
        paths, _where, truncated = _goelf.scan_build_paths(_goelf.ELFFile(fh))
    assert not truncated
    assert paths == sorted(f for f in files if f.startswith("/"))
    assert info["build_paths_leaked"] is bool(paths)
    assert info["build_path_scan"]["distinct_paths"] == len(paths)
    return paths


# -- tests: locally built binaries -----------------------------------------------------

LOCAL = [*BUILDS, "no_section_headers"]


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", LOCAL)
def test_local_build_matches_go_version_m(built, name):
    binary = built.get(name)
    assert_matches_go(binary, inspect(binary))


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", LOCAL)
def test_local_build_elf_facts_match_readelf(built, name):
    binary = built.get(name)
    assert_elf_matches_readelf(binary, inspect(binary))


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", [n for n in LOCAL if n != "no_section_headers"])
def test_local_build_paths_match_gosym(built, pclnfiles, name):
    binary = built.get(name)
    assert_paths_match_gosym(binary, inspect(binary), pclnfiles, allow_skip=False)


@needs_go
@skip_no_go
def test_default_build_leaks_its_build_directory_first(built):
    binary = built.get("default")
    info = inspect(binary, max_examples=3)
    main_go = str(built.root / "default" / "hello" / "main.go")
    goroot = run([GO, "env", "GOROOT"], env=go_env()).stdout.strip()
    assert info["build_paths_leaked"] is True
    assert info["build_path_examples"][0] == main_go
    assert len(info["build_path_examples"]) == 3
    assert all(p.startswith(goroot + "/src/") for p in info["build_path_examples"][1:])
    assert info["build_path_scan"]["goroots"] == [goroot]
    assert info["build_path_scan"]["scanned"] == "section .gopclntab"


@needs_go
@skip_no_go
def test_trimpath_build_leaks_no_path_and_is_stripped(built):
    info = inspect(built.get("trimpath_stripped"))
    assert info["build_paths_leaked"] is False
    assert info["build_path_examples"] == []
    assert info["flags"]["trimpath"] is True
    assert info["flags"]["cgo_enabled"] is False
    # cmd/go does not record -ldflags for a -trimpath build (they may hold paths).
    assert info["flags"]["ldflags"] is None
    assert info["stripped"] is True
    assert info["has_dwarf"] is False


@needs_go
@skip_no_go
def test_default_build_has_symbols_and_dwarf(built):
    info = inspect(built.get("default"))
    assert info["stripped"] is False
    assert info["has_dwarf"] is True


@needs_go
@skip_no_go
def test_ldflags_with_quotes_tab_and_unicode_round_trip(built):
    binary = built.get("ldflags_quoted")
    info = inspect(binary)
    assert info["settings"]["-ldflags"] == "-X 'main.version=" + LDFLAGS_QUOTED_VALUE + "'"
    # The program itself prints the value the linker stored.
    assert run([str(binary)]).stdout == "hello " + LDFLAGS_QUOTED_VALUE + "\n"


@needs_go
@skip_no_go
def test_vcs_settings_of_dirty_checkout(built):
    binary = built.get("vcs_dirty")
    info = inspect(binary)
    head = run(["git", "rev-parse", "HEAD"], cwd=built.root / "vcs_dirty" / "hello").stdout.strip()
    assert info["flags"]["vcs"] == {
        "system": "git",
        "revision": head,
        "time": "2024-01-02T03:04:05Z",
        "modified": True,
    }


@needs_go
@skip_no_go
def test_replace_dependency(built):
    info = inspect(built.get("replace"))
    assert info["main"]["path"] == "example.com/app"
    assert [d["path"] for d in info["deps"]] == ["example.com/greet"]
    assert info["deps"][0]["replace"]["path"] == "../greet"


@needs_go
@skip_no_go
@pytest.mark.parametrize(
    ("name", "elf_class", "machine", "endianness", "ptr_size"),
    [
        ("cross_386", "ELF32", "EM_386", "little", 4),
        ("cross_arm64", "ELF64", "EM_AARCH64", "little", 8),
        ("cross_mips", "ELF32", "EM_MIPS", "big", 4),
    ],
)
def test_cross_builds(built, name, elf_class, machine, endianness, ptr_size):
    info = inspect(built.get(name))
    assert (info["elf"]["class"], info["elf"]["machine"], info["elf"]["endianness"]) == (
        elf_class,
        machine,
        endianness,
    )
    assert info["buildinfo"]["ptr_size"] == ptr_size
    assert info["flags"]["goarch"] == BUILDS[name]["env"]["GOARCH"]


@needs_go
@skip_no_go
def test_no_section_headers_found_through_segments(built):
    binary = built.get("no_section_headers")
    # Still a working program.
    assert run([str(binary)]).stdout == "hello dev\n"
    info = inspect(binary)
    assert info["elf"]["has_section_headers"] is False
    assert info["buildinfo"]["found_in"].startswith("writable PT_LOAD segment")
    assert info["stripped"] is True and info["dwarf_sections"] == []
    assert info["go_markers"] == ["PT_NOTE Go build ID"]
    # The segment scan finds exactly the paths the section scan finds in the original.
    original = inspect(built.get("default"), max_examples=10**6)
    assert info["build_path_scan"]["scanned"] == "read-only PT_LOAD segments"
    assert info["build_path_scan"]["distinct_paths"] == original["build_path_scan"]["distinct_paths"]
    assert inspect(binary, max_examples=10**6)["build_path_examples"] == original["build_path_examples"]


# -- tests: third-party binaries ---------------------------------------------------------


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", WITH_BUILDINFO)
def test_third_party_matches_go_version_m(third_party, name):
    binary = third_party_binary(third_party, name)
    expected = assert_matches_go(binary, inspect(binary))
    assert expected["path"]  # a real program path was read


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", WITH_BUILDINFO)
def test_third_party_elf_facts_match_readelf(third_party, name):
    binary = third_party_binary(third_party, name)
    assert_elf_matches_readelf(binary, inspect(binary))


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", WITH_BUILDINFO)
def test_third_party_build_paths_match_gosym(third_party, pclnfiles, name):
    binary = third_party_binary(third_party, name)
    info = inspect(binary)
    if info["flags"]["trimpath"]:
        assert info["build_paths_leaked"] is False
    assert_paths_match_gosym(binary, info, pclnfiles)


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["npm_esbuild_0.2.12_amd64", "npm_esbuild_0.14.10_s390x"])
def test_third_party_pointer_format_without_section_headers(third_party, tmp_path, name):
    """Go 1.14 / big-endian Go 1.17 pointer format, found by segment scan."""
    binary = third_party_binary(third_party, name)
    stripped = tmp_path / "nosh"
    strip_section_headers(binary, stripped)
    info = inspect(stripped)
    assert info["buildinfo"]["format"] == "pointer"
    assert info["buildinfo"]["found_in"].startswith("writable PT_LOAD segment")
    assert_matches_go(stripped, info)


@needs_go
@skip_no_go
def test_go_binary_with_build_info_removed_is_reported_as_such(third_party):
    binary = third_party_binary(third_party, "npm_esbuild_0.28.2_amd64")
    proc = run([GO, "version", "-m", str(binary)], env=go_env())
    assert "not a Go executable" in proc.stdout + proc.stderr
    with pytest.raises(_goelf.NotGoError) as err:
        inspect(binary)
    assert "build information was removed" in str(err.value)
    assert ".gopclntab" in err.value.facts["go_markers"]


# -- tests: files that are not Go binaries ------------------------------------------


def test_non_go_elf():
    ls = shutil.which("ls")
    with pytest.raises(_goelf.NotGoError) as err:
        inspect(ls)
    assert str(err.value).startswith("not a Go binary")
    assert err.value.facts["go_markers"] == []
    if GO is not None:
        proc = run([GO, "version", "-m", ls], env=go_env())
        assert "not a Go executable" in proc.stdout + proc.stderr


def test_non_elf_file():
    with pytest.raises(_goelf.NotELFError) as err:
        inspect(DATA / "hello" / "main.go")
    assert "not an ELF file" in str(err.value)


def test_empty_file(tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(_goelf.NotELFError, match="the file is empty"):
        inspect(empty)


def test_directory_is_not_a_regular_file(tmp_path):
    with pytest.raises(IsADirectoryError):
        inspect(tmp_path)


@needs_go
@skip_no_go
@pytest.mark.parametrize("cut", ["10", "40", "300", "1000", "quarter", "half", "minus1"])
def test_truncated_go_binary(built, tmp_path, cut):
    data = built.get("default").read_bytes()
    size = {"quarter": len(data) // 4, "half": len(data) // 2, "minus1": len(data) - 1}.get(cut) or int(cut)
    short = tmp_path / "short"
    short.write_bytes(data[:size])
    with pytest.raises(_goelf.CorruptError, match="truncated"):
        inspect(short)


# -- tests: modinfo text, quoting, versions ------------------------------------------


@needs_go
@skip_no_go
def test_modinfo_parse_errors_name_the_line(built):
    with open(built.get("replace"), "rb") as fh:
        _version, modinfo, _details = _goelf.read_raw_buildinfo(_goelf.ELFFile(fh))
    lines = modinfo.split("\n")
    dep = next(i for i, line in enumerate(lines) if line.startswith("dep\t"))
    assert lines[dep + 1].startswith("=>\t")
    # A second => line: it has no module line right before it.
    broken = "\n".join([*lines[: dep + 2], lines[dep + 1], *lines[dep + 2 :]])
    with pytest.raises(_goelf.CorruptError, match=rf"line {dep + 3}: replacement with no module"):
        _goelf.parse_modinfo(broken)
    # A dep line with too many columns.
    broken = "\n".join([*lines[:dep], lines[dep] + "\tx\ty", *lines[dep + 1 :]])
    with pytest.raises(_goelf.CorruptError, match="expected 2 or 3 columns"):
        _goelf.parse_modinfo(broken)
    # A build line whose value needs quoting but is not quoted.
    with pytest.raises(_goelf.CorruptError, match="must be quoted"):
        _goelf.parse_modinfo(modinfo + "build\t-ldflags=-s -w\n")


@pytest.mark.parametrize(
    "literal",
    ['"abc', '"a"b"', '"\\q"', '"\\x4"', '"\\400"', '"\\ud800"', "`a`b`", '"a\nb"', "abc"],
)
def test_go_unquote_rejects_bad_literals(literal):
    with pytest.raises(ValueError):
        _goelf.go_unquote(literal)


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("go1.13", "go1.13.1"),
        ("go1.17.13", "go1.18"),
        ("go1.21rc2", "go1.21.0"),
        ("go1.21beta1", "go1.21rc1"),
        ("devel go1.22-8a7f6d4 Tue Oct 3 10:00:00 2023 +0000", "go1.22rc1"),
        ("go1.19.8", "go1.20"),
        ("go1.9.7", "go1.10"),
    ],
)
def test_go_version_ordering(older, newer):
    assert _goelf.parse_go_version(older) < _goelf.parse_go_version(newer)


def test_go_version_suffixes_and_unknown():
    assert _goelf.parse_go_version("go1.21.0 X:boringcrypto") == _goelf.parse_go_version("go1.21.0")
    assert _goelf.parse_go_version("go1.21.0-bigcorp") == _goelf.parse_go_version("go1.21.0")
    assert _goelf.parse_go_version("go1.20") == _goelf.parse_min_go_version("1.20.0")
    assert _goelf.parse_go_version("devel +8a7f6d4 Tue Oct 3") is None
    for bad in ("", "1.x", "devel", "go1.21 extra", "latest"):
        with pytest.raises(ValueError, match="min_go_version"):
            _goelf.parse_min_go_version(bad)


def test_elf_header_only_is_corrupt():
    """A real ELF header of /bin/ls, cut right after e_ident: not a crash, a clear error."""
    data = Path(shutil.which("ls")).read_bytes()[:20]
    with pytest.raises(_goelf.CorruptError, match="truncated"):
        _goelf.ELFFile(io.BytesIO(data))
