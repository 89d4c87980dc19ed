# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a Go program's build information from its ELF file, in pure Python.

Nothing here runs the ``go`` tool: the ELF headers are parsed with
:mod:`struct`, the build information blob written by the Go linker is located
and decoded, and the module information text (``path``/``mod``/``dep``/``=>``/
``build`` lines) is parsed the way the Go runtime parses it.

Only headers and the few regions that are needed are read (by seek + read), so
a 100 MB binary is never loaded into memory. Everything that can go wrong with
the file raises a :class:`GoBinaryError` subclass with a message that says what
was found; nothing raises a bare ``struct.error`` or ``IndexError``.

Layout of the build information blob (Go 1.13 and later)::

    offset 0   14 bytes  magic "\\xff Go buildinf:"
    offset 14  1 byte    pointer size of the target (4 or 8)
    offset 15  1 byte    flags: bit 0 = big endian target (pointer format),
                                bit 1 = strings follow inline (Go >= 1.18)
    offset 16  pointer format (Go 1.13-1.17): two target pointers, each to a
               Go string header {data pointer, length}: runtime.buildVersion
               and runtime.modinfo. Inline format (Go >= 1.18): unused.
    offset 32  inline format only: two strings, each an unsigned LEB128
               length followed by that many bytes: version, then modinfo.

The blob lives at the start of the ``.go.buildinfo`` section, aligned to 16
bytes; when section headers are missing it is found by scanning the start of
the writable, non-executable ``PT_LOAD`` segments. The modinfo string carries a
16-byte sentinel at each end, which is removed before parsing.

The same file also tells what a program needs from the host that runs it
(:func:`read_dynamic`, :func:`binary_requirements`, :func:`read_requirements`):
the program interpreter (``PT_INTERP``), the shared libraries (``DT_NEEDED``),
the symbol versions needed from each (``DT_VERNEED``) and, for a shared
library, the versions it defines (``DT_VERDEF``). _runnable compares these
with a host.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import struct

BUILDINFO_MAGIC = b"\xff Go buildinf:"
BUILDINFO_ALIGN = 16
BUILDINFO_HEADER_SIZE = 32

# How far into a writable PT_LOAD segment the blob is searched for when the
# file has no section headers. The Go linker puts it first in the data
# segment; the Go tool itself looks at the first 64 KiB.
SEGMENT_SCAN_BYTES = 1024 * 1024
# Upper bound for one string (version or modinfo) and for a section/string
# table we read whole. Real modinfo strings are a few KiB to ~100 KiB.
MAX_STRING_BYTES = 16 * 1024 * 1024
MAX_TABLE_BYTES = 16 * 1024 * 1024
# Build path scan: read in chunks, never more than this many bytes in all.
SCAN_CHUNK_BYTES = 1024 * 1024
SCAN_OVERLAP_BYTES = 4096
MAX_SCAN_BYTES = 512 * 1024 * 1024
MAX_DISTINCT_PATHS = 100000

ELFCLASS32 = 1
ELFCLASS64 = 2
ELFDATA2LSB = 1
ELFDATA2MSB = 2

SHT_NULL = 0
SHT_NOBITS = 8
SHN_XINDEX = 0xFFFF
PN_XNUM = 0xFFFF
PT_LOAD = 1
PT_DYNAMIC = 2
PT_INTERP = 3
PT_NOTE = 4
PF_X = 0x1
PF_W = 0x2

ELF_TYPES = {0: "NONE", 1: "REL", 2: "EXEC", 3: "DYN", 4: "CORE"}
ELF_MACHINES = {
    2: "EM_SPARC",
    3: "EM_386",
    8: "EM_MIPS",
    20: "EM_PPC",
    21: "EM_PPC64",
    22: "EM_S390",
    40: "EM_ARM",
    43: "EM_SPARCV9",
    62: "EM_X86_64",
    183: "EM_AARCH64",
    243: "EM_RISCV",
    258: "EM_LOONGARCH",
}

# Dynamic section tags (ELF gABI and the GNU symbol versioning extension).
DT_NULL = 0
DT_NEEDED = 1
DT_STRTAB = 5
DT_STRSZ = 10
DT_SONAME = 14
DT_RPATH = 15
DT_RUNPATH = 29
DT_VERDEF = 0x6FFFFFFC
DT_VERDEFNUM = 0x6FFFFFFD
DT_VERNEED = 0x6FFFFFFE
DT_VERNEEDNUM = 0x6FFFFFFF
# Elf_Verdef.vd_flags / Elf_Vernaux.vna_flags
VER_FLG_BASE = 0x1
VER_FLG_WEAK = 0x2
# Bounds for the dynamic linking information (real files have tens of entries).
MAX_INTERP_BYTES = 4096
MAX_DYNAMIC_ENTRIES = 65536
MAX_VERSION_ENTRIES = 65536
# How much of a C library is scanned for its release string.
MAX_RELEASE_SCAN_BYTES = 8 * 1024 * 1024

# The architecture names ``uname -m`` uses (and Debian's multiarch tuples
# start with), by ELF machine; see elf_arch for class/endianness variants.
_ARCH_NAMES = {
    2: "sparc",
    3: "i386",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390",
    40: "arm",
    43: "sparc64",
    62: "x86_64",
    183: "aarch64",
    243: "riscv",
    258: "loongarch64",
}
# GOARCH for each architecture name, for messages that tell how to rebuild.
GOARCH_BY_ARCH = {
    "x86_64": "amd64",
    "i386": "386",
    "aarch64": "arm64",
    "arm": "arm",
    "riscv64": "riscv64",
    "ppc64le": "ppc64le",
    "ppc64": "ppc64",
    "s390x": "s390x",
    "mips": "mips",
    "mipsel": "mipsle",
    "mips64": "mips64",
    "mips64el": "mips64le",
    "loongarch64": "loong64",
}

# Sections that only the Go linker writes. A file with some of these but no
# build information is a Go binary whose build information was removed.
GO_MARKER_SECTIONS = (".go.buildinfo", ".gopclntab", ".gosymtab", ".go.module", ".note.go.buildid", ".go.fipsinfo")

# An absolute source path recorded in the pc-line table: a NUL-terminated
# string that starts right after a NUL, begins with "/" and ends in ".go" or
# ".s". The leading NUL matters: without it, the tail of a relative path such
# as "errors/errors.go" would match as "/errors.go".
_ABS_SOURCE_PATH = re.compile(rb"\x00(/[^\x00-\x1f]{1,1024}?\.(?:go|s))(?=\x00)")


class GoBinaryError(Exception):
    """Base class: the file could not be read as a Go binary."""

    kind = "error"


class NotELFError(GoBinaryError):
    """The file is not an ELF file at all (empty, too short, other magic)."""

    kind = "not_elf"


class NotGoError(GoBinaryError):
    """The file is a valid ELF file but carries no Go build information."""

    kind = "not_go"

    def __init__(self, message, facts=None):
        super().__init__(message)
        # ELF facts of the file (see elf_facts), for reporting.
        self.facts = dict(facts or {})


class CorruptError(GoBinaryError):
    """The file looks like ELF (or Go) but is truncated or inconsistent."""

    kind = "corrupt"


class Section:
    __slots__ = ("addr", "flags", "info", "link", "name", "name_offset", "offset", "size", "type")

    def __init__(self, name_offset, type_, flags, addr, offset, size, link, info):
        self.name = ""
        self.name_offset = name_offset
        self.type = type_
        self.flags = flags
        self.addr = addr
        self.offset = offset
        self.size = size
        self.link = link
        self.info = info


class Segment:
    __slots__ = ("filesz", "flags", "memsz", "offset", "type", "vaddr")

    def __init__(self, type_, flags, offset, vaddr, filesz, memsz):
        self.type = type_
        self.flags = flags
        self.offset = offset
        self.vaddr = vaddr
        self.filesz = filesz
        self.memsz = memsz


class ELFFile:
    """Headers of an ELF file, read from a seekable binary file object."""

    def __init__(self, fileobj, size=None):
        self._f = fileobj
        if size is None:
            fileobj.seek(0, os.SEEK_END)
            size = fileobj.tell()
        self.size = size
        self.sections = []
        self.segments = []
        self._parse()

    # -- low-level reading -------------------------------------------------

    def read_at(self, offset, length, what):
        """Read exactly ``length`` bytes at ``offset`` or raise CorruptError."""
        if length < 0 or offset < 0 or offset + length > self.size:
            raise CorruptError(
                f"truncated or corrupt ELF file: {what} (offset {offset}, {length} bytes) extends past the end "
                f"of the file ({self.size} bytes)"
            )
        self._f.seek(offset)
        data = self._f.read(length)
        if len(data) != length:
            raise CorruptError(f"truncated ELF file: short read of {what} at offset {offset}")
        return data

    # -- header parsing ----------------------------------------------------

    def _parse(self):
        if self.size == 0:
            raise NotELFError("the file is empty")
        self._f.seek(0)
        ident = self._f.read(16)
        if not ident.startswith(b"\x7fELF"):
            raise NotELFError(f"not an ELF file (first bytes are {ident[:4]!r}, ELF files start with b'\\x7fELF')")
        if len(ident) < 16:
            raise CorruptError(f"truncated ELF file: {self.size} bytes, shorter than the 16-byte ELF identification")
        elf_class, elf_data = ident[4], ident[5]
        if elf_class not in (ELFCLASS32, ELFCLASS64):
            raise CorruptError(f"corrupt ELF file: unknown ELF class {elf_class} (expected 1 or 2)")
        if elf_data not in (ELFDATA2LSB, ELFDATA2MSB):
            raise CorruptError(f"corrupt ELF file: unknown ELF data encoding {elf_data} (expected 1 or 2)")
        self.is64 = elf_class == ELFCLASS64
        self.little = elf_data == ELFDATA2LSB
        self.endian = "<" if self.little else ">"
        self.ptr_size = 8 if self.is64 else 4

        if self.is64:
            ehdr_fmt, shdr_fmt, phdr_fmt = "HHIQQQIHHHHHH", "IIQQQQIIQQ", "IIQQQQQQ"
        else:
            ehdr_fmt, shdr_fmt, phdr_fmt = "HHIIIIIHHHHHH", "IIIIIIIIII", "IIIIIIII"
        ehdr_size = struct.calcsize(self.endian + ehdr_fmt)
        raw = self.read_at(16, ehdr_size, "ELF header")
        (
            self.e_type,
            self.e_machine,
            _version,
            _entry,
            phoff,
            shoff,
            _flags,
            _ehsize,
            phentsize,
            phnum,
            shentsize,
            shnum,
            shstrndx,
        ) = struct.unpack(self.endian + ehdr_fmt, raw)

        shdr = struct.Struct(self.endian + shdr_fmt)
        phdr = struct.Struct(self.endian + phdr_fmt)

        # Section 0 holds the real counts when they overflow the header fields.
        section0 = None
        if shoff:
            if shentsize < shdr.size:
                raise CorruptError(f"corrupt ELF file: section header entry size {shentsize} < {shdr.size}")
            section0 = self._section_header(shdr, shoff)
            if shnum == 0:
                shnum = section0.size
            if shstrndx == SHN_XINDEX:
                shstrndx = section0.link
        if phnum == PN_XNUM and section0 is not None:
            phnum = section0.info

        if phnum:
            if phentsize < phdr.size:
                raise CorruptError(f"corrupt ELF file: program header entry size {phentsize} < {phdr.size}")
            table = self.read_at(phoff, phnum * phentsize, f"program header table ({phnum} entries)")
            for i in range(phnum):
                fields = phdr.unpack_from(table, i * phentsize)
                if self.is64:
                    p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, _align = fields
                else:
                    p_type, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, p_flags, _align = fields
                self.segments.append(Segment(p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz))

        if shoff and shnum:
            if shnum * shentsize > MAX_TABLE_BYTES:
                raise CorruptError(f"corrupt ELF file: {shnum} section headers is implausible")
            table = self.read_at(shoff, shnum * shentsize, f"section header table ({shnum} entries)")
            for i in range(shnum):
                fields = shdr.unpack_from(table, i * shentsize)
                name, s_type, s_flags, addr, offset, size, link, info = fields[:8]
                self.sections.append(Section(name, s_type, s_flags, addr, offset, size, link, info))
            if shstrndx:
                if shstrndx >= len(self.sections):
                    raise CorruptError(
                        f"corrupt ELF file: section name table index {shstrndx} is out of range "
                        f"({len(self.sections)} sections)"
                    )
                strtab = self.sections[shstrndx]
                if strtab.size > MAX_TABLE_BYTES:
                    raise CorruptError(f"corrupt ELF file: section name table of {strtab.size} bytes is implausible")
                names = self.read_at(strtab.offset, strtab.size, "section name table")
                for sec in self.sections:
                    if sec.name_offset < len(names):
                        end = names.find(b"\x00", sec.name_offset)
                        sec.name = names[sec.name_offset : end if end >= 0 else len(names)].decode("latin-1")
        self._check_extents()

    def _check_extents(self):
        """Every file-backed section and segment must lie inside the file; else it was truncated."""
        for index, sec in enumerate(self.sections):
            if sec.type not in (SHT_NULL, SHT_NOBITS) and sec.size and sec.offset + sec.size > self.size:
                raise CorruptError(
                    f"truncated or corrupt ELF file: section {sec.name or index} (offset {sec.offset}, "
                    f"{sec.size} bytes) extends past the end of the file ({self.size} bytes)"
                )
        for seg in self.segments:
            if seg.filesz and seg.offset + seg.filesz > self.size:
                raise CorruptError(
                    f"truncated or corrupt ELF file: segment at 0x{seg.vaddr:x} (offset {seg.offset}, "
                    f"{seg.filesz} bytes) extends past the end of the file ({self.size} bytes)"
                )

    def _section_header(self, shdr, offset):
        fields = shdr.unpack(self.read_at(offset, shdr.size, "section header 0"))
        name, s_type, s_flags, addr, off, size, link, info = fields[:8]
        return Section(name, s_type, s_flags, addr, off, size, link, info)

    # -- queries -------------------------------------------------------------

    @property
    def elf_class(self):
        return "ELF64" if self.is64 else "ELF32"

    @property
    def machine(self):
        return ELF_MACHINES.get(self.e_machine, f"EM_{self.e_machine}")

    @property
    def endianness(self):
        return "little" if self.little else "big"

    @property
    def file_type(self):
        return ELF_TYPES.get(self.e_type, str(self.e_type))

    @property
    def arch(self):
        """The architecture as ``uname -m`` names it (x86_64, aarch64, i386, arm, riscv64, ppc64le, ...)."""
        return elf_arch(self.e_machine, self.is64, self.little)

    def describe(self):
        return {
            "class": self.elf_class,
            "machine": self.machine,
            "endianness": self.endianness,
            "type": self.file_type,
            "has_section_headers": bool(self.sections),
        }

    def section(self, name):
        for sec in self.sections:
            if sec.name == name:
                return sec
        return None

    def section_names(self):
        return [sec.name for sec in self.sections if sec.name]

    def load_segments(self):
        return [seg for seg in self.segments if seg.type == PT_LOAD]

    def vaddr_offset(self, addr, length, what):
        """File offset of ``length`` bytes at virtual address ``addr`` (inside one PT_LOAD segment), or raise."""
        for seg in self.load_segments():
            if seg.filesz and seg.vaddr <= addr < seg.vaddr + seg.filesz:
                if length < 0 or addr + length > seg.vaddr + seg.filesz:
                    raise CorruptError(
                        f"corrupt ELF file: {what} at 0x{addr:x} ({length} bytes) runs past the end of its segment"
                    )
                return seg.offset + (addr - seg.vaddr)
        raise CorruptError(f"corrupt ELF file: {what} at address 0x{addr:x} is not in any loaded part of the file")

    def read_vaddr(self, addr, length, what):
        """Read ``length`` bytes at virtual address ``addr`` via the PT_LOAD segments."""
        for seg in self.load_segments():
            if seg.filesz and seg.vaddr <= addr < seg.vaddr + seg.filesz:
                if addr + length > seg.vaddr + seg.filesz:
                    raise CorruptError(
                        f"corrupt Go build information: {what} at 0x{addr:x} ({length} bytes) runs past the end "
                        "of its segment"
                    )
                return self.read_at(seg.offset + (addr - seg.vaddr), length, what)
        raise CorruptError(
            f"corrupt Go build information: {what} at address 0x{addr:x} is not in any loaded part of the file"
        )

    def go_markers(self):
        """Names of Go-only sections and notes present, for telling Go binaries apart."""
        found = [name for name in GO_MARKER_SECTIONS if self.section(name) is not None]
        if not found:
            for seg in self.segments:
                if seg.type == PT_NOTE and 0 < seg.filesz <= 65536 and self._has_go_note(seg):
                    found.append("PT_NOTE Go build ID")
                    break
        return found

    def _has_go_note(self, seg):
        try:
            data = self.read_at(seg.offset, seg.filesz, "note segment")
        except CorruptError:
            return False
        pos = 0
        while pos + 12 <= len(data):
            namesz, descsz, ntype = struct.unpack_from(self.endian + "III", data, pos)
            name = data[pos + 12 : pos + 12 + namesz]
            if name.rstrip(b"\x00") == b"Go" and ntype == 4:
                return True
            pos += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
        return False


# -- dynamic linking ----------------------------------------------------------------
#
# What the program loader needs before the program's first instruction runs:
# the program interpreter named by PT_INTERP (ld-linux-x86-64.so.2 for glibc,
# ld-musl-x86_64.so.1 for musl), the shared libraries named by DT_NEEDED in the
# PT_DYNAMIC segment, and the symbol versions that each of those must define
# (DT_VERNEED, the .gnu.version_r section). A shared library's own version
# definitions (DT_VERDEF, .gnu.version_d) say what it provides: glibc's
# libc.so.6 defines GLIBC_2.2.5 ... GLIBC_2.36 on Debian 12. Everything is read
# through the program headers, as the loader reads it, so files without section
# headers work too.

_VERSION_NAME = re.compile(r"^(.+?)_(\d{1,9}(?:\.\d{1,9}){0,5})$")
_GLIBC_VERSION = re.compile(r"^GLIBC_(\d{1,9}(?:\.\d{1,9}){1,5})$")
# glibc's banner, "GNU C Library (Debian GLIBC 2.31-13+deb11u11) stable release version 2.31."
_GLIBC_RELEASE = re.compile(rb"GNU C Library [^\x00\n]{0,200}? release version (\d{1,4}\.\d{1,4}(?:\.\d{1,4})?)")
_GLIBC_INTERPRETERS = ("ld-linux", "ld64.so.", "ld.so.")


def elf_arch(machine, is64, little):
    """The architecture name ``uname -m`` would print for code of this ELF machine, class and byte order."""
    name = _ARCH_NAMES.get(machine)
    if name is None:
        return f"EM_{machine}"
    if name == "x86_64" and not is64:
        return "x32"
    if name == "riscv":
        return "riscv64" if is64 else "riscv32"
    if name in ("ppc64", "ppc"):
        return name + ("le" if little else "")
    if name == "s390":
        return "s390x" if is64 else "s390"
    if name == "mips":
        name = "mips64" if is64 else "mips"
        return name + ("el" if little else "")
    if name in ("aarch64", "arm") and not little:
        return "aarch64_be" if name == "aarch64" else "armeb"
    return name


def version_sort_key(name):
    """Order symbol version names the way their numbers go: GLIBC_2.2.5 < GLIBC_2.3 < GLIBC_2.34 < GLIBC_PRIVATE."""
    m = _VERSION_NAME.match(name)
    if m:
        return (m.group(1), 0, tuple(int(part) for part in m.group(2).split(".")), name)
    return (name, 1, (), name)


def glibc_version_of(names):
    """The highest ``GLIBC_x.y[.z]`` among version names, as "x.y[.z]"; None when there is none."""
    numbers = [m.group(1) for m in (_GLIBC_VERSION.match(n) for n in names) if m]
    if not numbers:
        return None
    return max(numbers, key=lambda v: tuple(int(part) for part in v.split(".")))


class _StringTable:
    """The dynamic string table (DT_STRTAB, DT_STRSZ)."""

    def __init__(self, data):
        self.data = data

    def get(self, offset, what):
        if self.data is None:
            raise CorruptError(f"corrupt ELF file: {what} names a string but the file has no dynamic string table")
        if offset >= len(self.data):
            raise CorruptError(
                f"corrupt ELF file: {what}: string offset {offset} is outside the dynamic string table "
                f"({len(self.data)} bytes)"
            )
        end = self.data.find(b"\x00", offset)
        if end < 0:
            raise CorruptError(f"corrupt ELF file: {what}: unterminated string in the dynamic string table")
        return self.data[offset:end].decode("utf-8", "replace")


def read_interpreter(elf):
    """The program interpreter path from PT_INTERP, or None when the file names none."""
    for seg in elf.segments:
        if seg.type != PT_INTERP:
            continue
        if not 0 < seg.filesz <= MAX_INTERP_BYTES:
            raise CorruptError(f"corrupt ELF file: program interpreter (PT_INTERP) of {seg.filesz} bytes")
        raw = elf.read_at(seg.offset, seg.filesz, "program interpreter (PT_INTERP)")
        path = raw.split(b"\x00", 1)[0]
        if not path:
            raise CorruptError("corrupt ELF file: the program interpreter path (PT_INTERP) is empty")
        return path.decode("utf-8", "replace")
    return None


def _dynamic_entries(elf):
    """(tag, value) pairs of the PT_DYNAMIC segment up to DT_NULL; None when there is no such segment."""
    for seg in elf.segments:
        if seg.type != PT_DYNAMIC:
            continue
        entry = struct.Struct(elf.endian + ("qQ" if elf.is64 else "iI"))
        count = min(seg.filesz // entry.size, MAX_DYNAMIC_ENTRIES)
        data = elf.read_at(seg.offset, count * entry.size, "dynamic section (PT_DYNAMIC)")
        entries = []
        for i in range(count):
            tag, value = entry.unpack_from(data, i * entry.size)
            if tag == DT_NULL:
                break
            entries.append((tag, value))
        return entries
    return None


def _read_version_needs(elf, addr, count, strings):
    """Walk the Elf_Verneed chain: [(file, [(version name, flags)])]."""
    verneed = struct.Struct(elf.endian + "HHIII")  # vn_version, vn_cnt, vn_file, vn_aux, vn_next
    vernaux = struct.Struct(elf.endian + "IHHII")  # vna_hash, vna_flags, vna_other, vna_name, vna_next
    what = "version needs (DT_VERNEED)"
    needs = []
    seen = 0
    pos = addr
    for _index in range(min(count, MAX_VERSION_ENTRIES) if count else MAX_VERSION_ENTRIES):
        raw = elf.read_at(elf.vaddr_offset(pos, verneed.size, what), verneed.size, what)
        revision, cnt, file_name, aux, next_ = verneed.unpack(raw)
        if revision != 1:
            raise CorruptError(f"corrupt ELF file: {what} entry at 0x{pos:x} has unknown revision {revision}")
        names = []
        apos = pos + aux
        for _aux_index in range(cnt):
            seen += 1
            if seen > MAX_VERSION_ENTRIES:
                raise CorruptError(f"corrupt ELF file: {what} has more than {MAX_VERSION_ENTRIES} entries")
            raw = elf.read_at(elf.vaddr_offset(apos, vernaux.size, what), vernaux.size, what)
            _hash, flags, _other, name, anext = vernaux.unpack(raw)
            names.append((strings.get(name, what), flags))
            if not anext:
                break
            apos += anext
        needs.append((strings.get(file_name, what), names))
        if not next_:
            break
        pos += next_
    return needs


def _read_version_defs(elf, addr, count, strings):
    """Walk the Elf_Verdef chain: (base name or None, [version names]) -- the first Verdaux names each version."""
    verdef = struct.Struct(elf.endian + "HHHHIII")  # vd_version, vd_flags, vd_ndx, vd_cnt, vd_hash, vd_aux, vd_next
    verdaux = struct.Struct(elf.endian + "II")  # vda_name, vda_next
    what = "version definitions (DT_VERDEF)"
    base = None
    names = []
    pos = addr
    for _index in range(min(count, MAX_VERSION_ENTRIES) if count else MAX_VERSION_ENTRIES):
        raw = elf.read_at(elf.vaddr_offset(pos, verdef.size, what), verdef.size, what)
        revision, flags, _ndx, cnt, _hash, aux, next_ = verdef.unpack(raw)
        if revision != 1:
            raise CorruptError(f"corrupt ELF file: {what} entry at 0x{pos:x} has unknown revision {revision}")
        if cnt:
            apos = pos + aux
            raw = elf.read_at(elf.vaddr_offset(apos, verdaux.size, what), verdaux.size, what)
            name = strings.get(verdaux.unpack(raw)[0], what)
            if flags & VER_FLG_BASE:
                base = name
            elif name not in names:
                names.append(name)
        if not next_:
            break
        pos += next_
    return base, names


def read_dynamic(elf):
    """Dynamic linking facts of an ELF file, read as the program loader reads them.

    Returns a dict:

    - ``interpreter``: the PT_INTERP path, or None;
    - ``has_dynamic``: whether there is a PT_DYNAMIC segment;
    - ``needed``: DT_NEEDED names, in load order;
    - ``soname``: DT_SONAME (shared libraries), or None;
    - ``rpath``, ``runpath``: the DT_RPATH and DT_RUNPATH directories;
    - ``version_needs``: {file: [version names]} from DT_VERNEED, each list sorted by version
      (``{"libc.so.6": ["GLIBC_2.2.5", "GLIBC_2.32", "GLIBC_2.34"]}``), weak references left out;
    - ``weak_version_needs``: the same for weak references, which the loader does not insist on;
    - ``version_defs``: the version names defined by DT_VERDEF (what a shared library provides),
      sorted by version, without the base entry (the library's own name).

    Raises CorruptError when these structures are damaged.
    """
    result = {
        "interpreter": read_interpreter(elf),
        "has_dynamic": False,
        "needed": [],
        "soname": None,
        "rpath": [],
        "runpath": [],
        "version_needs": {},
        "weak_version_needs": {},
        "version_defs": [],
    }
    entries = _dynamic_entries(elf)
    if entries is None:
        return result
    result["has_dynamic"] = True
    tags = {}
    for tag, value in entries:
        tags.setdefault(tag, value)
    strings = _StringTable(None)
    if DT_STRTAB in tags:
        size = tags.get(DT_STRSZ, 0)
        if size > MAX_TABLE_BYTES:
            raise CorruptError(f"corrupt ELF file: dynamic string table of {size} bytes is implausible")
        what = "dynamic string table (DT_STRTAB)"
        strings = _StringTable(elf.read_at(elf.vaddr_offset(tags[DT_STRTAB], size, what), size, what))
    for tag, value in entries:
        if tag == DT_NEEDED:
            result["needed"].append(strings.get(value, "DT_NEEDED"))
        elif tag == DT_SONAME and result["soname"] is None:
            result["soname"] = strings.get(value, "DT_SONAME")
        elif tag in (DT_RPATH, DT_RUNPATH):
            key = "rpath" if tag == DT_RPATH else "runpath"
            what = "DT_RPATH" if tag == DT_RPATH else "DT_RUNPATH"
            result[key].extend(d for d in strings.get(value, what).split(":") if d)
    if DT_VERNEED in tags:
        for file_name, names in _read_version_needs(elf, tags[DT_VERNEED], tags.get(DT_VERNEEDNUM, 0), strings):
            for name, flags in names:
                key = "weak_version_needs" if flags & VER_FLG_WEAK else "version_needs"
                versions = result[key].setdefault(file_name, [])
                if name not in versions:
                    versions.append(name)
        for key in ("version_needs", "weak_version_needs"):
            for versions in result[key].values():
                versions.sort(key=version_sort_key)
    if DT_VERDEF in tags:
        _base, names = _read_version_defs(elf, tags[DT_VERDEF], tags.get(DT_VERDEFNUM, 0), strings)
        result["version_defs"] = sorted(names, key=version_sort_key)
    return result


def read_glibc_release(elf):
    """The release in glibc's banner ("... stable release version 2.31."), or None.

    The version definitions of libc.so.6 only say which symbol versions exist:
    glibc 2.31 adds none, so Debian 11's libc.so.6 defines up to GLIBC_2.30.
    The banner in its read-only data gives the release. Reads the .rodata
    section, or without section headers the read-only, non-executable PT_LOAD
    segments, at most MAX_RELEASE_SCAN_BYTES in all.
    """
    regions = []
    sec = elf.section(".rodata")
    if sec is not None and sec.type != SHT_NOBITS:
        regions.append((sec.offset, sec.size))
    else:
        regions.extend((seg.offset, seg.filesz) for seg in elf.load_segments() if not seg.flags & (PF_W | PF_X))
    budget = MAX_RELEASE_SCAN_BYTES
    for offset, size in regions:
        length = min(size, budget)
        if length <= 0:
            break
        budget -= length
        m = _GLIBC_RELEASE.search(elf.read_at(offset, length, "read-only data"))
        if m:
            return m.group(1).decode("ascii")
    return None


def elf_platform(elf):
    """Class, machine, architecture name and byte order of an ELF file."""
    return {
        "class": elf.elf_class,
        "bits": 64 if elf.is64 else 32,
        "machine": elf.machine,
        "arch": elf.arch,
        "endianness": elf.endianness,
        "type": elf.file_type,
    }


def _go_platform(elf):
    """The Go facts the runnability rule uses, or None for a file without Go build information."""
    try:
        version, modinfo, _details = read_raw_buildinfo(elf)
        settings = dict(parse_modinfo(modinfo)["settings"])
    except GoBinaryError:
        return None
    return go_platform(version, settings)


def go_platform(go_version, settings):
    """``{"version", "goos", "goarch", "cgo_enabled"}`` from a Go version and its build settings dict."""
    return {
        "version": go_version,
        "goos": settings.get("GOOS"),
        "goarch": settings.get("GOARCH"),
        "cgo_enabled": {"1": True, "0": False}.get(settings.get("CGO_ENABLED")),
    }


REQUIREMENTS_SCHEMA = 1


def binary_requirements(elf, go=None):
    """What a program needs from the host that runs it: a dict of strings, lists and dicts (JSON as it is).

    ``go`` is :func:`go_platform`'s dict when the caller already read the build
    information; otherwise it is read here (None for a program that is not Go).
    Keys: ``schema`` (REQUIREMENTS_SCHEMA), ``class``, ``bits``, ``machine``,
    ``arch``, ``endianness``, ``type`` (see :func:`elf_platform`); ``static``
    (no program interpreter and no DT_NEEDED: nothing is needed from the host
    but a kernel for its architecture); ``interpreter``; ``libc`` ("glibc",
    "musl" or None, from the interpreter's name and DT_NEEDED); ``needed``,
    ``rpath``, ``runpath``, ``version_needs`` (see :func:`read_dynamic`);
    ``needs_glibc``, the highest GLIBC_x.y needed ("2.34"), or None; ``go``.
    Raises CorruptError when the dynamic linking information is damaged.
    """
    dynamic = read_dynamic(elf)
    if go is None:
        go = _go_platform(elf)
    interpreter = dynamic["interpreter"]
    libc = None
    base = interpreter.rsplit("/", 1)[-1] if interpreter else ""
    if base.startswith("ld-musl-"):
        libc = "musl"
    elif "libc.so.6" in dynamic["needed"] or base.startswith(_GLIBC_INTERPRETERS):
        libc = "glibc"
    needs_glibc = glibc_version_of([name for names in dynamic["version_needs"].values() for name in names])
    requirements = {"schema": REQUIREMENTS_SCHEMA}
    requirements.update(elf_platform(elf))
    requirements.update(
        {
            "static": interpreter is None and not dynamic["needed"],
            "interpreter": interpreter,
            "libc": libc,
            "needed": dynamic["needed"],
            "rpath": dynamic["rpath"],
            "runpath": dynamic["runpath"],
            "version_needs": dynamic["version_needs"],
            "needs_glibc": needs_glibc,
            "go": go,
        }
    )
    return requirements


@contextlib.contextmanager
def open_elf(path):
    """``with open_elf(path) as elf:`` -- the file at ``path`` opened as an :class:`ELFFile`.

    Raises OSError for I/O problems, NotELFError for a file that is not a regular ELF file,
    CorruptError for a damaged one.
    """
    # A FIFO or a device would block or never end: refuse it before opening. (A directory fails to open.)
    if not stat.S_ISREG(os.stat(path).st_mode) and not os.path.isdir(path):
        raise NotELFError("not a regular file")
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise NotELFError("not a regular file")
        yield ELFFile(fh, st.st_size)


def read_requirements(path):
    """:func:`binary_requirements` of the file at ``path`` (raises OSError or GoBinaryError)."""
    with open_elf(path) as elf:
        return binary_requirements(elf)


def requirements_or_error(path):
    """``(requirements, None)`` for a readable ELF file, ``(None, why)`` for anything else (never raises).

    For a result that must carry either: go_artifact reports both for the binary it resolved.
    """
    try:
        return read_requirements(path), None
    except NotELFError as exc:
        return None, f"it is {exc}"
    except GoBinaryError as exc:
        return None, f"its ELF headers cannot be read ({exc})"
    except OSError as exc:
        return None, f"it cannot be read ({exc.strerror or exc})"


def add_binary_requirements(result):
    """Add ``binary_requirements`` and ``binary_requirements_error`` to a go_artifact result that has a binary.

    ``_artifact.run`` calls it, for the module and its action plugin alike.
    """
    if not result.get("failed") and result.get("binary_path"):
        result["binary_requirements"], result["binary_requirements_error"] = requirements_or_error(
            result["binary_path"]
        )
    return result


# -- build information ------------------------------------------------------


def _read_uvarint(elf, offset, what):
    value = 0
    shift = 0
    for i in range(10):
        byte = elf.read_at(offset + i, 1, what)[0]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset + i + 1
        shift += 7
    raise CorruptError(f"corrupt Go build information: {what} has an over-long length prefix")


def _find_blob(elf):
    """Return (file offset, where) of the build info header, or None."""
    regions = []
    sec = elf.section(".go.buildinfo")
    if sec is not None and sec.type != SHT_NOBITS:
        regions.append((sec.offset, sec.size, "section .go.buildinfo"))
    else:
        # Like the Go tool: without a .go.buildinfo section (section headers
        # stripped, or an unusual linker), look at the data segment(s).
        for seg in elf.load_segments():
            if seg.flags & (PF_X | PF_W) == PF_W and seg.filesz:
                regions.append((seg.offset, seg.filesz, f"writable PT_LOAD segment at 0x{seg.vaddr:x}"))
    for offset, size, where in regions:
        length = min(size, SEGMENT_SCAN_BYTES)
        data = elf.read_at(offset, length, where)
        pos = 0
        while True:
            i = data.find(BUILDINFO_MAGIC, pos)
            if i < 0 or len(data) - i < BUILDINFO_HEADER_SIZE:
                break
            if i % BUILDINFO_ALIGN == 0:
                return offset + i, where
            pos = i + 1
    return None


def read_raw_buildinfo(elf):
    """Return (version, modinfo, details) from an ELF file, or raise.

    ``details`` is a dict: ``format`` ("inline" for Go >= 1.18, "pointer" for
    Go 1.13-1.17), ``found_in`` (where the header was found), ``ptr_size``.
    """
    found = _find_blob(elf)
    if found is None:
        markers = elf.go_markers()
        if markers:
            reason = (
                f"no Go build information: the file has Go sections ({', '.join(markers)}) but no "
                "'\\xff Go buildinf:' header, so its build information was removed after linking"
            )
        elif elf.sections:
            reason = (
                "not a Go binary: no .go.buildinfo section, no Go build information header and no Go sections "
                f"({elf.elf_class}, {elf.machine})"
            )
        else:
            reason = (
                "not a Go binary: the file has no section headers and no '\\xff Go buildinf:' header "
                "at the start of a writable segment"
            )
        raise NotGoError(reason, facts=elf_facts(elf))
    offset, where = found
    header = elf.read_at(offset, BUILDINFO_HEADER_SIZE, "Go build information header")
    ptr_size = header[14]
    flags = header[15]
    if flags & 0x2:
        fmt = "inline"
        vlen, pos = _read_uvarint(elf, offset + BUILDINFO_HEADER_SIZE, "Go version string")
        if vlen > MAX_STRING_BYTES:
            raise CorruptError(f"corrupt Go build information: version string length {vlen} is implausible")
        version = elf.read_at(pos, vlen, "Go version string")
        mlen, pos = _read_uvarint(elf, pos + vlen, "Go module information")
        if mlen > MAX_STRING_BYTES:
            raise CorruptError(f"corrupt Go build information: module information length {mlen} is implausible")
        modinfo = elf.read_at(pos, mlen, "Go module information")
    else:
        fmt = "pointer"
        if ptr_size not in (4, 8):
            raise CorruptError(f"corrupt Go build information: pointer size {ptr_size} (expected 4 or 8)")
        order = ">" if flags & 0x1 else "<"
        code = order + ("Q" if ptr_size == 8 else "I")
        version = _read_go_string(elf, code, ptr_size, struct.unpack_from(code, header, 16)[0], "Go version string")
        modinfo = _read_go_string(
            elf, code, ptr_size, struct.unpack_from(code, header, 16 + ptr_size)[0], "Go module information"
        )
    if not version:
        raise NotGoError(
            "no Go build information: the build information header has an empty Go version",
            facts=elf_facts(elf),
        )
    # The module information is framed by two 16-byte sentinels.
    modinfo = modinfo[16:-16] if len(modinfo) >= 33 and modinfo[-17:-16] == b"\n" else b""
    details = {"format": fmt, "found_in": where, "ptr_size": ptr_size}
    return version.decode("utf-8", "replace"), modinfo.decode("utf-8", "replace"), details


def _read_go_string(elf, code, ptr_size, addr, what):
    hdr = elf.read_vaddr(addr, 2 * ptr_size, what + " header")
    data_addr = struct.unpack_from(code, hdr, 0)[0]
    length = struct.unpack_from(code, hdr, ptr_size)[0]
    if length == 0:
        return b""
    if length > MAX_STRING_BYTES:
        raise CorruptError(f"corrupt Go build information: {what} length {length} is implausible")
    return elf.read_vaddr(data_addr, length, what)


# -- module information text -------------------------------------------------

_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34}


def go_quoted_prefix(text):
    """Return the Go quoted string literal at the start of ``text`` (like strconv.QuotedPrefix)."""
    if not text or text[0] not in '"`':
        raise ValueError("not a quoted string")
    quote = text[0]
    if quote == "`":
        end = text.find("`", 1)
        if end < 0:
            raise ValueError("unterminated raw string")
        return text[: end + 1]
    i = 1
    while i < len(text):
        c = text[i]
        if c == "\n":
            break
        if c == "\\":
            i += 2
            continue
        if c == '"':
            prefix = text[: i + 1]
            go_unquote(prefix)
            return prefix
        i += 1
    raise ValueError("unterminated quoted string")


def go_unquote(text):
    """Decode a Go string literal ("..." with Go escapes, or `raw`) like strconv.Unquote."""
    if len(text) < 2 or text[0] != text[-1] or text[0] not in '"`':
        raise ValueError(f"not a quoted string: {text!r}")
    body = text[1:-1]
    if text[0] == "`":
        if "`" in body:
            raise ValueError("backquote inside raw string")
        return body.replace("\r", "")
    if "\n" in body:
        raise ValueError("newline inside quoted string")
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c == '"':
            raise ValueError("unescaped quote inside quoted string")
        if c != "\\":
            out += c.encode("utf-8", "surrogatepass")
            i += 1
            continue
        if i + 1 >= len(body):
            raise ValueError("trailing backslash")
        e = body[i + 1]
        i += 2
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i : i + width]
            if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise ValueError(f"bad \\{e} escape")
            value = int(digits, 16)
            i += width
            if e == "x":
                out.append(value)
            else:
                if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                    raise ValueError(f"invalid code point in \\{e} escape")
                out += chr(value).encode("utf-8")
        elif e in "01234567":
            digits = body[i - 1 : i + 2]
            if len(digits) != 3 or any(d not in "01234567" for d in digits):
                raise ValueError("bad octal escape")
            value = int(digits, 8)
            if value > 255:
                raise ValueError("octal escape out of range")
            out.append(value)
            i += 2
        else:
            raise ValueError(f"unknown escape \\{e}")
    return out.decode("utf-8", "replace")


def _needs_quote_key(key):
    return key == "" or any(c in key for c in '= \t\r\n"`')


def _needs_quote_value(value):
    return any(c in value for c in ' \t\r\n"`')


def _module_line(cols, line_no):
    if len(cols) not in (2, 3):
        raise CorruptError(
            f"could not parse Go module information: line {line_no}: expected 2 or 3 columns, got {len(cols)}"
        )
    return {"path": cols[0], "version": cols[1], "sum": cols[2] if len(cols) == 3 else "", "replace": None}


def parse_modinfo(text):
    """Parse module information text into a dict.

    Returns ``{"path": str, "main": dict|None, "deps": [dict], "settings": [(key, value)]}``.
    Follows the Go runtime's parser: lines with an unknown prefix are ignored,
    a final line without a newline is ignored, errors name the line.
    """
    result = {"path": "", "main": None, "deps": [], "settings": []}
    last = None
    line_no = 1
    rest = text
    while rest:
        line, sep, rest = rest.partition("\n")
        if not sep:
            break
        if line.startswith("path\t"):
            result["path"] = line[5:]
        elif line.startswith("mod\t"):
            last = _module_line(line[4:].split("\t"), line_no)
            result["main"] = last
        elif line.startswith("dep\t"):
            last = _module_line(line[4:].split("\t"), line_no)
            result["deps"].append(last)
        elif line.startswith("=>\t"):
            cols = line[3:].split("\t")
            if len(cols) != 3:
                raise CorruptError(
                    f"could not parse Go module information: line {line_no}: expected 3 columns for replacement, "
                    f"got {len(cols)}"
                )
            if last is None:
                raise CorruptError(
                    f"could not parse Go module information: line {line_no}: replacement with no module on the "
                    "previous line"
                )
            last["replace"] = {"path": cols[0], "version": cols[1], "sum": cols[2]}
            last = None
        elif line.startswith("build\t"):
            result["settings"].append(_build_line(line[6:], line_no))
        line_no += 1
    return result


def _build_line(kv, line_no):
    def bad(why):
        return CorruptError(f"could not parse Go module information: line {line_no}: {why}")

    if not kv:
        raise bad("build line missing '='")
    if kv[0] == "=":
        raise bad("build line with missing key")
    if kv[0] in '"`':
        try:
            raw_key = go_quoted_prefix(kv)
            key = go_unquote(raw_key)
        except ValueError:
            raise bad("invalid quoted key in build line") from None
        if len(kv) == len(raw_key):
            raise bad("build line missing '=' after quoted key")
        if kv[len(raw_key)] != "=":
            raise bad(f"unexpected character after quoted key: {kv[len(raw_key)]!r}")
        raw_value = kv[len(raw_key) + 1 :]
    else:
        key, sep, raw_value = kv.partition("=")
        if not sep:
            raise bad("build line missing '=' after key")
        if _needs_quote_key(key):
            raise bad(f"unquoted key {key!r} must be quoted")
    value = ""
    if raw_value:
        if raw_value[0] in '"`':
            try:
                value = go_unquote(raw_value)
            except ValueError:
                raise bad("invalid quoted value in build line") from None
        else:
            value = raw_value
            if _needs_quote_value(value):
                raise bad(f"unquoted value {value!r} must be quoted")
    return key, value


def summarize_flags(settings):
    """Convenience view of the build settings that matter for hardening.

    ``settings`` is the dict of build settings. Values are None when the
    setting is not recorded (always the case for Go < 1.18, which records no
    build settings at all).
    """
    recorded = bool(settings)

    def tri(key, true_value, false_value):
        value = settings.get(key)
        if value == true_value:
            return True
        if value == false_value:
            return False
        return None

    trimpath = settings.get("-trimpath") == "true" if recorded else None
    tags = settings.get("-tags")
    vcs = {
        "system": settings.get("vcs"),
        "revision": settings.get("vcs.revision"),
        "time": settings.get("vcs.time"),
        "modified": tri("vcs.modified", "true", "false"),
    }
    return {
        "trimpath": trimpath,
        "cgo_enabled": tri("CGO_ENABLED", "1", "0"),
        "ldflags": settings.get("-ldflags"),
        "goos": settings.get("GOOS"),
        "goarch": settings.get("GOARCH"),
        "buildmode": settings.get("-buildmode"),
        "compiler": settings.get("-compiler"),
        "tags": tags.split(",") if tags else [],
        "vcs": vcs,
    }


# -- Go versions ---------------------------------------------------------------

_RELEASE_RE = re.compile(r"^(?:go)?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc)(\d+))?(?=$|[\s+\-])")
_DEVEL_RE = re.compile(r"\bgo(\d+)\.(\d+)")
_STAGES = {"beta": 0, "rc": 1}


def parse_go_version(text):
    """Turn a Go version into a comparable tuple, or None if it has no version number.

    ``(major, minor, patch, stage, n)`` where stage is -1 for a development
    build, 0 for betaN, 1 for rcN and 2 for a release. "go1.20" is the release
    1.20.0 (Go's own naming before 1.21); "go1.21rc2" sorts below "go1.21.0";
    "devel go1.22-abc" is a development build before 1.22.0; suffixes such as
    " X:boringcrypto" or "-bigcorp" are ignored. "devel +abc" (no base
    version) gives None.
    """
    if not isinstance(text, str):
        return None
    text = text.strip()
    try:
        if text.startswith("devel"):
            m = _DEVEL_RE.search(text)
            if not m:
                return None
            return (int(m.group(1)), int(m.group(2)), 0, -1, 0)
        m = _RELEASE_RE.match(text)
        if not m:
            return None
        major = int(m.group(1))
        minor = int(m.group(2) or 0)
        patch = int(m.group(3) or 0)
        if m.group(4):
            return (major, minor, patch, _STAGES[m.group(4)], int(m.group(5)))
        return (major, minor, patch, 2, 0)
    except ValueError:
        # int() refuses numbers of more than 4300 digits: no Go version has them.
        return None


def parse_min_go_version(text):
    """Parse a user-supplied minimum ("1.21", "go1.21.3", "1.22rc1"); raise ValueError if malformed."""
    cleaned = (text or "").strip()
    m = _RELEASE_RE.match(cleaned)
    version = parse_go_version(cleaned) if m and m.end() == len(cleaned) else None
    if version is None:
        raise ValueError(
            f"min_go_version {text!r} is not a Go version: use a form like '1.21', '1.21.3', 'go1.21.3' or '1.22rc1'"
        )
    return version


# -- build paths -----------------------------------------------------------------


def scan_build_paths(elf, max_paths=MAX_DISTINCT_PATHS):
    """Find absolute source paths (``/....go`` and ``/....s``) in the pc-line table.

    What is read: the ``.gopclntab`` section when the file has one; otherwise
    (no section headers) every non-writable PT_LOAD segment, which holds the
    read-only data and the pc-line table. At most MAX_SCAN_BYTES are read, in
    chunks. A path counts when it is a NUL-terminated string that follows a
    NUL, starts with "/" and ends in ".go" or ".s" -- exactly the shape of the
    file table entries the Go linker writes; with -trimpath they are relative
    ("runtime/proc.go", "example.com/m/main.go") and do not match.

    Returns (sorted distinct paths, scanned_region_description, truncated).
    """
    regions = []
    sec = elf.section(".gopclntab")
    if sec is not None and sec.type != SHT_NOBITS:
        regions.append((sec.offset, sec.size))
        where = "section .gopclntab"
    else:
        for seg in elf.load_segments():
            if not seg.flags & PF_W and seg.filesz:
                regions.append((seg.offset, seg.filesz))
        where = "read-only PT_LOAD segments"
    found = set()
    budget = MAX_SCAN_BYTES
    truncated = False
    for offset, size in regions:
        end = offset + min(size, budget)
        if offset + size > elf.size:
            raise CorruptError(
                f"truncated or corrupt ELF file: {where} (offset {offset}, {size} bytes) extends past the end of the "
                f"file ({elf.size} bytes)"
            )
        budget -= end - offset
        if end < offset + size:
            truncated = True
        pos = offset
        while pos < end:
            # Include one byte before the chunk so a path right at its start
            # still has its leading NUL.
            start = max(offset, pos - 1)
            length = min(SCAN_CHUNK_BYTES + SCAN_OVERLAP_BYTES, end - start)
            chunk = elf.read_at(start, length, where)
            for m in _ABS_SOURCE_PATH.finditer(chunk):
                if len(found) >= max_paths:
                    truncated = True
                    break
                found.add(m.group(1).decode("utf-8", "replace"))
            pos += SCAN_CHUNK_BYTES
        if budget <= 0:
            break
    return sorted(found), where, truncated


def goroot_prefixes(paths):
    """GOROOT directories seen in ``paths`` (the part before "/src/runtime/")."""
    roots = set()
    for p in paths:
        i = p.find("/src/runtime/")
        if i > 0:
            roots.add(p[:i])
    return sorted(roots)


def pick_path_examples(paths, limit):
    """Up to ``limit`` paths, those outside the Go toolchain's GOROOT first."""
    roots = tuple(r + "/src/" for r in goroot_prefixes(paths))
    outside = [p for p in paths if not (roots and p.startswith(roots))]
    inside = [p for p in paths if roots and p.startswith(roots)]
    return (outside + inside)[: max(limit, 0)]


# -- everything together ---------------------------------------------------------


def elf_facts(elf):
    """Facts about any ELF file: header, symbol table, DWARF, Go marker sections."""
    names = elf.section_names()
    dwarf = [n for n in names if n.startswith((".debug_", ".zdebug_"))]
    return {
        "elf": elf.describe(),
        "stripped": ".symtab" not in names,
        "has_dwarf": bool(dwarf),
        "dwarf_sections": dwarf,
        "go_markers": elf.go_markers(),
    }


def inspect_elf(elf, scan_paths=True, max_examples=5):
    """Build the full result dict for an opened ELF file (raises GoBinaryError)."""
    version, modinfo, details = read_raw_buildinfo(elf)
    parsed = parse_modinfo(modinfo)
    settings = {}
    for key, value in parsed["settings"]:
        settings[key] = value
    result = {
        "is_go": True,
        "go_version": version,
        "path": parsed["path"],
        "main": parsed["main"],
        "deps": parsed["deps"],
        "settings": settings,
        "flags": summarize_flags(settings),
        "buildinfo": details,
        "build_paths_leaked": None,
        "build_path_examples": [],
        "build_path_scan": None,
    }
    result.update(elf_facts(elf))
    requirements = binary_requirements(elf, go=go_platform(version, settings))
    result["requirements"] = requirements
    result["static"] = requirements["static"]
    result["needs_glibc"] = requirements["needs_glibc"]
    if scan_paths:
        paths, where, truncated = scan_build_paths(elf)
        result["build_paths_leaked"] = bool(paths)
        result["build_path_examples"] = pick_path_examples(paths, max_examples)
        result["build_path_scan"] = {
            "scanned": where,
            "distinct_paths": len(paths),
            "goroots": goroot_prefixes(paths),
            "truncated": truncated,
        }
    return result


def inspect_file(path, scan_paths=True, max_examples=5):
    """Open ``path`` and return :func:`inspect_elf`'s dict.

    Raises OSError for I/O problems, GoBinaryError for file content problems.
    """
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise NotELFError("not a regular file")
        elf = ELFFile(fh, st.st_size)
        return inspect_elf(elf, scan_paths=scan_paths, max_examples=max_examples)


# -- policy ------------------------------------------------------------------------


#: The keyword arguments of check_policy: the build policy go_binary_info and service_probe take.
POLICY_KEYS = ("require_trimpath", "require_cgo_disabled", "require_stripped", "min_go_version", "forbid_vcs_modified")


def check_policy(
    info,
    require_trimpath=False,
    require_cgo_disabled=False,
    require_stripped=False,
    min_go_version=None,
    forbid_vcs_modified=False,
):
    """Return the list of every policy violation (empty when the binary complies).

    ``min_go_version`` must already be validated with :func:`parse_min_go_version`.
    """
    violations = []
    flags = info["flags"]
    settings = info["settings"]
    go_version = info["go_version"]
    if require_trimpath and flags["trimpath"] is not True:
        if not settings:
            violations.append(
                f"require_trimpath: {go_version} records no build settings (Go < 1.18 does not), so -trimpath "
                "cannot be confirmed"
            )
        else:
            violations.append("require_trimpath: built without -trimpath (no '-trimpath=true' build setting)")
    if require_cgo_disabled and flags["cgo_enabled"] is not False:
        if flags["cgo_enabled"] is None:
            violations.append("require_cgo_disabled: CGO_ENABLED is not recorded in the build settings")
        else:
            violations.append(f"require_cgo_disabled: built with CGO_ENABLED={settings.get('CGO_ENABLED')}")
    if require_stripped:
        if not info["stripped"]:
            violations.append("require_stripped: the file has a symbol table (.symtab section)")
        if info["has_dwarf"]:
            sections = ", ".join(info["dwarf_sections"])
            violations.append(f"require_stripped: the file carries DWARF debug information ({sections})")
    if min_go_version:
        wanted = parse_min_go_version(min_go_version)
        have = parse_go_version(go_version)
        if have is None:
            violations.append(f"min_go_version: Go version {go_version!r} cannot be compared with {min_go_version}")
        elif have < wanted:
            violations.append(f"min_go_version: built with {go_version}, older than {min_go_version}")
    if forbid_vcs_modified and flags["vcs"]["modified"] is True:
        revision = flags["vcs"]["revision"]
        violations.append(
            f"forbid_vcs_modified: built from a modified working tree (vcs.modified=true, vcs.revision={revision})"
        )
    return violations


def with_verdict(path, info):
    """``info`` with ``failed``, and ``msg`` naming every violation when there is one."""
    info["failed"] = bool(info["violations"])
    if info["failed"]:
        count = len(info["violations"])
        info["msg"] = (
            f"Checking the Go build policy of {path}: {count} violation{'' if count == 1 else 's'}: "
            + "; ".join(info["violations"])
        )
    return info


def build_result(path, policy, scan_paths=True, max_examples=5):
    """What go_binary_info returns for ``path`` under ``policy`` (check_policy's keyword arguments), as a
    dict: the build facts with ``violations``, ``failed`` and, when failed, ``msg``. A file that cannot
    be read, or is corrupt, is ``failed`` with ``is_go=False``; one that is not a Go binary also carries
    ``not_go_reason`` (and the ELF facts of NotGoError), so that a caller may accept it."""
    what = f"Reading Go build information from {path}"
    try:
        info = inspect_file(path, scan_paths=scan_paths, max_examples=max_examples)
    except OSError as exc:
        return {"failed": True, "msg": f"{what}: {exc.strerror or exc}", "is_go": False, "violations": []}
    except CorruptError as exc:
        return {"failed": True, "msg": f"{what}: {exc}", "is_go": False, "violations": []}
    except GoBinaryError as exc:
        facts = {"failed": True, "msg": f"{what}: {exc}", "is_go": False, "not_go_reason": str(exc), "violations": []}
        if isinstance(exc, NotGoError):
            facts.update(exc.facts)
        return facts
    info["violations"] = check_policy(info, **policy)
    return with_verdict(path, info)


#: The options of gosvc.hardening.go_binary_info (its DOCUMENTATION describes them; one place for every module:
#: the module_utils file that implements it, see docs/architecture.md).
ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    fail_on_not_go=dict(type="bool", default=True),
    require_trimpath=dict(type="bool", default=False),
    require_cgo_disabled=dict(type="bool", default=False),
    require_stripped=dict(type="bool", default=False),
    min_go_version=dict(type="str"),
    forbid_vcs_modified=dict(type="bool", default=False),
    require_runnable=dict(type="bool", default=False),
    scan_build_paths=dict(type="bool", default=True),
    max_build_path_examples=dict(type="int", default=5),
)
