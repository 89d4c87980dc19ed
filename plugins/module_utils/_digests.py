# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""File digests and checksums files, for code that runs on targets and on the controller.

Standard library only; Python 3.9+. Bad input and digest mismatches raise
:class:`DigestError` (and nothing else), with a message that names the input and the fix.

Public API
----------

``parse_expected(value, algorithm=None) -> ExpectedDigest``
    A pinned digest: ``sha256:<hex>``, ``sha384:<hex>``, ``sha512:<hex>`` or bare hex
    whose length decides the algorithm (64, 96 or 128 hex digits).

``parse_checksums_text(text, source) -> list[ChecksumEntry]``
    Every entry of a checksums document with its 1-based line number. Understands
    GNU coreutils lines (``<hex>  name``, ``<hex> *name``, and the form that starts
    with a backslash for names holding a backslash or a newline; goreleaser's
    ``checksums.txt`` is this format), BSD / ``--tag`` lines (``SHA256 (name) = <hex>``,
    and OpenSSL's ``SHA2-256(name)= <hex>``), and a document that holds one bare
    digest and nothing else (goreleaser ``split`` mode, many ``*.sha256`` files).
    Blank lines and ``#`` comment lines are skipped; CRLF line ends, a UTF-8 byte
    order mark and uppercase hex are accepted. Any other line is an error: a
    checksums file that cannot be read completely is not trusted.

``find_entry(entries, name, algorithm=None, source) -> ChecksumEntry``
    The one entry for ``name``. Names match exactly after normalisation (``*`` binary
    marker dropped, leading ``./`` and repeated ``/`` removed), so ``dist/app`` matches
    ``./dist/app`` but ``app`` does not match ``dist/app``. Errors: ``name`` is absolute
    or has a ``..`` component; ANY entry of the document is absolute or has a ``..``
    component; no entry; entries of another algorithm only; entries of several
    algorithms when none was asked for; two entries with different digests (the same
    digest twice is fine).

``file_digest(path, algorithm) -> FileDigest``
    Streams a regular file (never the whole file in memory) and returns the digest
    and the number of bytes hashed.

``file_digests(path, algorithms) -> (dict, size)``
    Several digests of one file in one read (``file_digest`` for a single algorithm).

``verify_file(path, expected) -> FileDigest``
    ``file_digest`` plus a constant-time comparison; a mismatch raises DigestError
    naming the file, the expected and the actual digest (``details`` holds them too).

``read_capped(stream, max_bytes, source)``, ``read_checksums_bytes(path, max_bytes)``,
``read_checksums_path(path, max_bytes)``,
``decode_checksums(data, source)``
    Read a checksums document with a size cap and decode it as UTF-8.
"""

import contextlib
import errno
import hashlib
import hmac
import os
import re
import stat
from typing import List, NamedTuple, Optional
from urllib.parse import urlsplit, urlunsplit

#: Supported algorithms and the length of their hex digest.
ALGORITHMS = {"sha256": 64, "sha384": 96, "sha512": 128}
_BY_LENGTH = {length: name for name, length in ALGORITHMS.items()}

#: Read size of the streaming loop.
CHUNK_SIZE = 1024 * 1024

#: How BSD and OpenSSL style lines spell the algorithms (compared upper-cased).
_BSD_ALGORITHMS = {
    "SHA256": "sha256",
    "SHA384": "sha384",
    "SHA512": "sha512",
    "SHA2-256": "sha256",
    "SHA2-384": "sha384",
    "SHA2-512": "sha512",
}

_HEX = re.compile(r"[0-9a-fA-F]+\Z")
# BSD: "SHA256 (name) = hex"; OpenSSL 3: "SHA2-256(name)= hex". The name may hold ")".
_BSD_LINE = re.compile(r"(?P<alg>[A-Za-z0-9-]+) ?\((?P<name>.*)\) ?= ?(?P<digest>\S*)\Z", re.DOTALL)
# GNU: digest, one blank, an optional mode character (" " text, "*" binary), the name.
_GNU_LINE = re.compile(r"(?P<digest>[^\s(]+)[ \t](?P<mode>[ *]?)(?P<name>.+)\Z", re.DOTALL)


class DigestError(Exception):
    """Bad input or a digest mismatch.

    ``str(error)`` is a complete message for a person. ``details`` holds facts for a
    machine-readable result; for a mismatch: path, algorithm, expected, digest, size.
    """

    def __init__(self, message, details=None):
        super().__init__(message)
        self.details = dict(details or {})


class ExpectedDigest(NamedTuple):
    """A digest to compare against: algorithm name and lowercase hex."""

    algorithm: str
    digest: str

    def __str__(self):
        return f"{self.algorithm}:{self.digest}"


class ChecksumEntry(NamedTuple):
    """One entry of a checksums document.

    ``name`` is the file name as written (escapes decoded, ``*`` marker removed), or
    ``None`` for a bare digest. ``format`` is ``gnu``, ``bsd`` or ``bare``. ``binary``
    is true when a GNU line carries the ``*`` marker (it does not change the digest).
    """

    name: Optional[str]
    digest: str
    algorithm: str
    line: int
    format: str
    binary: bool = False

    def as_dict(self):
        """The entry as modules return it (``matched_entry``)."""
        return {"name": self.name, "line": self.line, "format": self.format}


class FileDigest(NamedTuple):
    """The digest of a file and the number of bytes hashed."""

    algorithm: str
    digest: str
    size: int

    def __str__(self):
        return f"{self.algorithm}:{self.digest}"


def _check_algorithm(algorithm):
    if algorithm not in ALGORITHMS:
        raise DigestError(f"algorithm {algorithm!r} is not supported; use one of {', '.join(sorted(ALGORITHMS))}")
    return algorithm


def _shorten(value, limit=80):
    return value if len(value) <= limit else value[:limit] + "..."


def _hex_digest(value, where, algorithm=None):
    """Validate a hex digest; return (algorithm, lowercase hex). ``algorithm`` None: decide by length."""
    if not value:
        # Only a prefixed or BSD digest can be empty, and those name their algorithm.
        raise DigestError(f"{where}: the digest is empty; give {ALGORITHMS[algorithm]} hex digits")
    if not _HEX.match(value):
        bad = " ".join(repr(c) for c in sorted({c for c in value if c not in "0123456789abcdefABCDEF"}))
        raise DigestError(
            f"{where}: {_shorten(value)!r} is not a hexadecimal digest (bad characters: {bad}); "
            "copy the digest again, it has digits 0-9 and a-f only"
        )
    length = len(value)
    if algorithm is None:
        algorithm = _BY_LENGTH.get(length)
        if algorithm is None:
            raise DigestError(
                f"{where}: a digest of {length} hex digits is not sha256 (64), sha384 (96) or sha512 (128); "
                "md5, sha1 and truncated digests are not accepted"
            )
    elif length != ALGORITHMS[algorithm]:
        other = _BY_LENGTH.get(length)
        hint = f"that is a {other} digest, set the algorithm to {other}" if other else "it is truncated or not SHA-2"
        raise DigestError(
            f"{where}: a {algorithm} digest has {ALGORITHMS[algorithm]} hex digits, this one has {length} ({hint})"
        )
    return algorithm, value.lower()


def parse_expected(value, algorithm=None):
    """Parse a pinned digest: ``sha256:<hex>``, ``sha384:<hex>``, ``sha512:<hex>`` or bare hex.

    The prefix is case-insensitive and the hex may be uppercase; surrounding blanks are
    ignored. For bare hex the length decides the algorithm unless ``algorithm`` is given;
    when a prefix and ``algorithm`` are both given they must agree.
    Returns an :class:`ExpectedDigest`.
    """
    if algorithm is not None:
        _check_algorithm(algorithm)
    if not isinstance(value, str):
        raise DigestError(f"checksum must be a string such as sha256:<64 hex digits>, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise DigestError("checksum is empty; give sha256:<hex>, sha384:<hex>, sha512:<hex> or bare hex")
    where = f"checksum {_shorten(text)!r}"
    if ":" not in text:
        found, digest = _hex_digest(text, where, algorithm)
        return ExpectedDigest(found, digest)
    prefix, _sep, rest = text.partition(":")
    declared = prefix.strip().lower()
    if declared not in ALGORITHMS:
        raise DigestError(
            f"{where}: algorithm prefix {prefix!r} is not supported; use sha256:, sha384: or sha512: "
            "(md5 and sha1 are too weak to pin a release)"
        )
    if algorithm is not None and algorithm != declared:
        raise DigestError(
            f"{where} says {declared} but algorithm is {algorithm}; drop the algorithm option or make them agree"
        )
    found, digest = _hex_digest(rest.strip(), where, declared)
    return ExpectedDigest(found, digest)


def decode_checksums(data, source):
    """Decode a checksums document (bytes) as UTF-8 and drop a byte order mark."""
    if isinstance(data, str):
        text = data
    else:
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DigestError(
                f"{source} is not UTF-8 text (bad byte at offset {exc.start}); point at the checksums file "
                "itself, not at an archive or a signature"
            ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def read_capped(stream, max_bytes, source):
    """Read a binary file object to EOF; raise once more than ``max_bytes`` bytes arrive."""
    if not isinstance(max_bytes, int) or max_bytes <= 0:
        raise DigestError(f"the size limit for {source} must be a positive number of bytes, got {max_bytes!r}")
    chunks = []
    total = 0
    while True:
        chunk = stream.read(min(65536, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise DigestError(
                f"{source} is larger than the {max_bytes} byte limit; check that it is a checksums file, "
                "or raise the limit"
            )
    return b"".join(chunks)


def read_checksums_bytes(path, max_bytes, source=None, where=""):
    """Read the checksums file at ``path`` as bytes (at most ``max_bytes``), byte-exact (a signature may cover it).

    ``where`` (e.g. ``" on the controller"``) is added to the message for a missing file.
    """
    what = source or f"checksums file {path}"
    try:
        with open(path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise DigestError(f"{what} is not a regular file; give the path of the checksums file")
            return read_capped(handle, max_bytes, what)
    except IsADirectoryError:
        raise DigestError(f"{what} is a directory; give the path of the checksums file") from None
    except FileNotFoundError:
        raise DigestError(f"{what} does not exist{where}; check the path") from None
    except PermissionError:
        raise DigestError(f"{what} is not readable (permission denied); use become or fix its mode") from None
    except OSError as exc:
        raise DigestError(f"cannot read {what}: {exc.strerror or exc}") from None


def read_checksums_path(path, max_bytes, source=None):
    """Read and decode the checksums file at ``path`` (at most ``max_bytes`` bytes)."""
    return decode_checksums(read_checksums_bytes(path, max_bytes, source), source or f"checksums file {path}")


def parse_checksums_text(text, source="checksums file"):
    """Parse a checksums document (str or bytes) into a list of :class:`ChecksumEntry`.

    ``source`` names the document in error messages (a path, a URL, ``checksums_content``).
    """
    text = decode_checksums(text, source)
    content = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            content.append((number, line))
    if not content:
        raise DigestError(
            f"{source} is empty (no checksum lines); check that it is the right file and that it was fully downloaded"
        )
    if len(content) == 1 and _HEX.match(content[0][1].strip()):
        number, line = content[0]
        algorithm, digest = _hex_digest(line.strip(), f"{source} line {number}")
        return [ChecksumEntry(None, digest, algorithm, number, "bare")]
    return [_parse_line(line, number, source) for number, line in content]


def _parse_line(line, number, source):
    where = f"{source} line {number}"
    line = line.lstrip(" \t")
    escaped = line.startswith("\\")
    body = line[1:] if escaped else line
    bsd = _BSD_LINE.match(body.rstrip(" \t"))
    if bsd and bsd.group("alg").upper() in _BSD_ALGORITHMS:
        algorithm = _BSD_ALGORITHMS[bsd.group("alg").upper()]
        _found, digest = _hex_digest(bsd.group("digest"), where, algorithm)
        name = _unescape_name(bsd.group("name"), where) if escaped else bsd.group("name")
        return ChecksumEntry(name, digest, algorithm, number, "bsd")
    if bsd and _HEX.match(bsd.group("digest")):
        raise DigestError(
            f"{where}: algorithm {bsd.group('alg')!r} is not supported; "
            "use a checksums file made with sha256sum, sha384sum or sha512sum"
        )
    gnu = _GNU_LINE.match(body)
    if not gnu or not _HEX.match(gnu.group("digest")):
        raise DigestError(
            f"{where}: {_shorten(line)!r} is not a checksum line (expected '<hex>  name' or "
            "'SHA256 (name) = <hex>'); check that this is a checksums file"
        )
    algorithm, digest = _hex_digest(gnu.group("digest"), where)
    name = _unescape_name(gnu.group("name"), where) if escaped else gnu.group("name")
    return ChecksumEntry(name, digest, algorithm, number, "gnu", gnu.group("mode") == "*")


def _unescape_name(name, where):
    """Undo GNU coreutils name escaping (the line starts with a backslash): \\\\, \\n, \\r."""
    replacements = {"\\": "\\", "n": "\n", "r": "\r"}
    out = []
    index = 0
    while index < len(name):
        char = name[index]
        if char == "\\":
            code = name[index + 1 : index + 2]
            if code not in replacements:
                raise DigestError(
                    f"{where}: invalid escape {name[index : index + 2]!r} in a file name; "
                    "only \\\\, \\n and \\r are defined"
                )
            out.append(replacements[code])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def normalize_name(name, what="entry"):
    """Normalise a file name for matching; raise for absolute names and ``..`` components.

    ``./a``, ``a`` and ``.//a`` are the same name; ``dist/app`` keeps its directory.
    ``what`` says where the name comes from, for the error message.
    """
    if not isinstance(name, str) or not name:
        raise DigestError(f"{what} is empty; give the file name as the checksums file lists it")
    if "\x00" in name:
        raise DigestError(f"{what} {name!r} contains a NUL byte; it is not a file name")
    if name.startswith("/"):
        example = name.rstrip("/").rsplit("/", 1)[-1] or "app"
        raise DigestError(
            f"{what} {name!r} is an absolute path; checksums entries are relative names such as {example!r} "
            "(make the checksums file from inside the release directory)"
        )
    parts = name.split("/")
    if ".." in parts:
        raise DigestError(
            f"{what} {name!r} has a '..' component; names that climb out of the release directory are "
            "refused, use the name relative to the checksums file"
        )
    parts = [part for part in parts if part not in ("", ".")]
    if not parts:
        raise DigestError(f"{what} {name!r} names no file; give the file name as the checksums file lists it")
    return "/".join(parts)


def find_entry(entries, name, algorithm=None, source="checksums file"):
    """Return the single :class:`ChecksumEntry` for ``name`` (rules in the module docstring).

    ``algorithm`` None accepts the algorithm the document uses for ``name``.
    """
    if algorithm is not None:
        _check_algorithm(algorithm)
    wanted = normalize_name(name)
    if not entries:
        raise DigestError(f"{source} has no entries; check that it is the right file")
    if len(entries) == 1 and entries[0].format == "bare":
        entry = entries[0]
        if algorithm is not None and entry.algorithm != algorithm:
            raise DigestError(
                f"{source} holds a {entry.algorithm} digest ({len(entry.digest)} hex digits) but algorithm is "
                f"{algorithm}; set algorithm to {entry.algorithm}"
            )
        return entry
    by_name = {}
    for entry in entries:
        if entry.name is None:
            raise DigestError(f"{source} line {entry.line} is a bare digest among named entries; fix the file")
        key = normalize_name(entry.name, f"{source} line {entry.line}: entry")
        by_name.setdefault(key, []).append(entry)
    candidates = by_name.get(wanted)
    if not candidates:
        raise DigestError(_missing_message(wanted, by_name, source))
    found = sorted({entry.algorithm for entry in candidates})
    if algorithm is not None:
        matching = [entry for entry in candidates if entry.algorithm == algorithm]
        if not matching:
            lines = ", ".join(str(entry.line) for entry in candidates)
            raise DigestError(
                f"{source} lists {wanted!r} only as {'/'.join(found)} (line {lines}) but algorithm is {algorithm}; "
                f"set algorithm to {found[-1]} or use a {algorithm} checksums file"
            )
    elif len(found) > 1:
        listed = ", ".join(f"{entry.algorithm} on line {entry.line}" for entry in candidates)
        raise DigestError(f"{source} lists {wanted!r} with several algorithms ({listed}); set algorithm to choose one")
    else:
        matching = candidates
    if len({entry.digest for entry in matching}) > 1:
        listed = "; ".join(f"line {entry.line}: {entry.algorithm}:{entry.digest}" for entry in matching)
        raise DigestError(
            f"{source} lists {wanted!r} more than once with different digests ({listed}); "
            "the file is inconsistent, get a correct copy from the publisher"
        )
    return matching[0]


def _missing_message(wanted, by_name, source):
    names = sorted(by_name)
    base = wanted.rsplit("/", 1)[-1]
    similar = [key for key in names if key.rsplit("/", 1)[-1] == base]
    message = f"{source} has no entry for {wanted!r}"
    if similar:
        return message + f"; it lists {', '.join(repr(key) for key in similar)}, set entry to that name"
    shown = ", ".join(repr(key) for key in names[:10])
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    return message + f" (it lists {shown}{more}); set entry to the name the file uses"


def _open_regular(path):
    """Open ``path`` unbuffered for reading; refuse anything but a regular file.

    O_NONBLOCK keeps a FIFO from blocking the open; it is cleared again for the read.
    os.open makes the descriptor non-inheritable (close-on-exec) itself.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise DigestError(f"file to verify {path} does not exist; check path") from None
    except PermissionError:
        raise DigestError(
            f"file to verify {path} is not readable (permission denied); run the task with become or fix its mode"
        ) from None
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            raise DigestError(
                f"file to verify {path} does not exist (a parent is not a directory); check path"
            ) from None
        raise DigestError(f"cannot open file to verify {path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise DigestError(f"file to verify {path} is a directory; path must name a regular file")
        if not stat.S_ISREG(mode):
            raise DigestError(f"file to verify {path} is not a regular file (a device, FIFO or socket)")
        os.set_blocking(fd, True)
        if hasattr(os, "posix_fadvise"):
            # Advisory only (coreutils does the same); a refusal changes nothing.
            with contextlib.suppress(OSError):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def readinto_digests(handle, algorithms, chunk_size):
    """``({algorithm: hex}, size)``: one ``readinto`` pass over one reused buffer, every hasher fed."""
    hashers = {algorithm: hashlib.new(algorithm) for algorithm in algorithms}
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    size = 0
    while True:
        count = handle.readinto(buffer)
        if not count:
            break
        for hasher in hashers.values():
            hasher.update(view[:count])
        size += count
    return {algorithm: hasher.hexdigest() for algorithm, hasher in hashers.items()}, size


def _check_chunk_size(chunk_size):
    if not isinstance(chunk_size, int) or chunk_size <= 0:
        raise DigestError(f"chunk_size must be a positive number of bytes, got {chunk_size!r}")


def file_digest(path, algorithm="sha256", chunk_size=CHUNK_SIZE, use_hashlib_file_digest=True):
    """Hash the regular file at ``path`` without loading it whole; return a :class:`FileDigest`.

    Uses ``hashlib.file_digest`` where it exists (Python 3.11+) unless
    ``use_hashlib_file_digest`` is false, else a ``readinto`` loop over one reused
    ``chunk_size`` buffer. Symbolic links are followed. ``size`` is the number of
    bytes hashed.
    """
    _check_algorithm(algorithm)
    _check_chunk_size(chunk_size)
    handle = _open_regular(path)
    try:
        with handle:
            if use_hashlib_file_digest and hasattr(hashlib, "file_digest"):
                digest = hashlib.file_digest(handle, algorithm).hexdigest()
                size = handle.tell()
            else:
                digests, size = readinto_digests(handle, [algorithm], chunk_size)
                digest = digests[algorithm]
    except OSError as exc:
        raise DigestError(f"reading file to verify {path} failed: {exc.strerror or exc}") from None
    return FileDigest(algorithm, digest, size)


def file_digests(path, algorithms, chunk_size=CHUNK_SIZE):
    """``({algorithm: hex}, size)`` of the regular file at ``path``: one read however many algorithms."""
    algorithms = list(dict.fromkeys(algorithms))
    for algorithm in algorithms:
        _check_algorithm(algorithm)
    if len(algorithms) == 1:
        found = file_digest(path, algorithms[0], chunk_size)
        return {found.algorithm: found.digest}, found.size
    _check_chunk_size(chunk_size)
    handle = _open_regular(path)
    try:
        with handle:
            return readinto_digests(handle, algorithms, chunk_size)
    except OSError as exc:
        raise DigestError(f"reading file to verify {path} failed: {exc.strerror or exc}") from None


def digests_equal(left, right):
    """Compare two hex digests in constant time, ignoring case."""
    return hmac.compare_digest(left.lower().encode("ascii"), right.lower().encode("ascii"))


def verify_file(path, expected, chunk_size=CHUNK_SIZE):
    """Hash ``path`` with ``expected.algorithm`` and compare; return the :class:`FileDigest`.

    ``expected`` is an :class:`ExpectedDigest` (or a :class:`ChecksumEntry`). On a
    mismatch raise :class:`DigestError` whose message names the file, the expected and
    the actual digest, and whose ``details`` hold path, algorithm, expected, digest, size.
    """
    actual = file_digest(path, expected.algorithm, chunk_size)
    if not digests_equal(actual.digest, expected.digest):
        raise DigestError(
            f"{path} does not match the expected digest: expected {expected.algorithm}:{expected.digest}, "
            f"actual {actual.algorithm}:{actual.digest} ({actual.size} bytes); the file is corrupt, truncated "
            "or not the release that was pinned",
            details={
                "path": path,
                "algorithm": actual.algorithm,
                "expected": expected.digest,
                "digest": actual.digest,
                "size": actual.size,
            },
        )
    return actual


def check_file(path, expected, matched=None, source=None):
    """checksum_verify's result for ``path`` against ``expected`` (an :class:`ExpectedDigest`).

    The one shape both checksum_verify and the verify role's service_probe return: ``failed`` and
    ``msg`` on a mismatch or an unreadable file, else the resolved path, algorithm, digest, expected
    digest and size. ``matched`` is the checksums entry the expected digest came from (a
    :class:`ChecksumEntry`, named in the message with ``source``), or None for a pinned digest.
    """
    result = {"changed": False, "path": path, "matched_entry": matched.as_dict() if matched else None}
    try:
        actual = verify_file(path, expected)
    except DigestError as exc:
        facts = dict(result, **exc.details)
        if exc.details:
            facts["path"] = os.path.realpath(path)
        facts.update(expected=expected.digest, algorithm=expected.algorithm, failed=True)
        origin = f" (expected digest from {source} line {matched.line}, entry {matched.name!r})" if matched else ""
        facts["msg"] = f"Verifying the file's {expected.algorithm} digest: {exc}{origin}"
        return facts
    # A resolved path: AnsibleModule adds lstat() facts (size among them) for a result's path, and
    # they must describe the bytes hashed when ``path`` is a symbolic link.
    return dict(
        result,
        failed=False,
        path=os.path.realpath(path),
        algorithm=actual.algorithm,
        digest=actual.digest,
        expected=expected.digest,
        size=actual.size,
    )


__all__: List[str] = [
    "ALGORITHMS",
    "CHUNK_SIZE",
    "ChecksumEntry",
    "DigestError",
    "ExpectedDigest",
    "FileDigest",
    "check_file",
    "decode_checksums",
    "digests_equal",
    "file_digest",
    "find_entry",
    "normalize_name",
    "parse_checksums_text",
    "parse_expected",
    "read_capped",
    "read_checksums_bytes",
    "read_checksums_path",
    "readinto_digests",
    "verify_file",
]


def mask_url(url):
    """``url`` without a user:password part and with any query hidden, for messages and results."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.username is not None or parts.password is not None:
        netloc = "********@" + netloc.rpartition("@")[2]
    query = "********" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


#: The options of gosvc.hardening.checksum_verify (its DOCUMENTATION describes them; one place for every module:
#: the module_utils file that implements it, see docs/architecture.md).
ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    checksum=dict(type="str"),
    checksums_content=dict(type="str"),
    checksums_path=dict(type="path"),
    checksums_url=dict(type="str", no_log=True),
    entry=dict(type="str"),
    algorithm=dict(type="str", choices=["sha256", "sha384", "sha512"]),
    checksums_max_bytes=dict(type="int", default=1048576),
    checksums_url_timeout=dict(type="int", default=30),
    validate_certs=dict(type="bool", default=True),
)
