# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resolve a Go release artifact into a local cache, verify it and extract its binary.

Used by the gosvc.hardening.go_artifact module, which normally runs on the controller
(``delegate_to: localhost``, ``run_once: true``). Standard library plus Ansible's own
``module_utils.urls``; Python 3.9+. Every failure raises :class:`ArtifactError` with a
message that names the input and the fix; ``details`` holds facts for the result.

Digests and checksums files are handled by ``_digests`` (parsing, entry lookup, streaming
hashes); this file adds the download, the cache, the lock and the archive handling.

Cache layout (``key`` is the artifact's sha256 hex, or ``<algorithm>-<hex>`` when the
expected digest is sha384/sha512)::

    <cache_dir>/.lock-<key>                      flock(2) lock, one per key
    <cache_dir>/<key>/artifact/<file name>       what was downloaded or copied (verified)
    <cache_dir>/<key>/bin/<binary_name>          the bare binary or the archive member, 0755
    <cache_dir>/<key>/checksums/<file name>      the checksums file used, byte for byte
    <cache_dir>/checksums/<sha256 of URL>/<name> last copy fetched from a checksums URL (offline use)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import io
import os
import posixpath
import stat
import tarfile
import urllib.error
import zipfile
import zlib
from typing import List, NamedTuple, Optional
from urllib.parse import unquote, urlsplit

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

from ansible_collections.gosvc.hardening.plugins.module_utils._digests import (
    ChecksumEntry,
    DigestError,
    ExpectedDigest,
    decode_checksums,
    digests_equal,
    file_digest,
    find_entry,
    mask_url,
    parse_checksums_text,
    parse_expected,
    read_capped,
    read_checksums_bytes,
    verify_file,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._files import (
    TMP_PREFIX,
    TempFile,
    same_file,
    unlink_if_there,
    write_bytes,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._goelf import add_binary_requirements
from ansible_collections.gosvc.hardening.plugins.module_utils._http import url_secrets

#: Largest checksums file read from a URL or a path.
MAX_CHECKSUMS_BYTES = 1024 * 1024
#: Largest binary extracted from an archive.
MAX_BINARY_BYTES = 2 * 1024 * 1024 * 1024
#: Default largest artifact downloaded from url or copied from src (option max_artifact_bytes).
MAX_ARTIFACT_BYTES = 2 * 1024 * 1024 * 1024
#: Most members an archive may have (the listing is held in memory).
MAX_MEMBERS = 100000
#: How many candidate executables a "no such member" error lists.
MAX_CANDIDATES = 20

FORMAT_NONE = "none"
FORMAT_TAR_GZ = "tar.gz"
FORMAT_ZIP = "zip"

USER_AGENT = "gosvc.hardening-go_artifact"
_CHUNK = 1024 * 1024
_ELF = b"\x7fELF"
_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"
_KIND_BY_SUFFIX = ((".tar.gz", FORMAT_TAR_GZ), (".tgz", FORMAT_TAR_GZ), (".zip", FORMAT_ZIP))


class ArtifactError(Exception):
    """A bad input, a failed download, a digest mismatch or a refused archive.

    ``str(error)`` is a complete message for a person; ``details`` holds facts for the
    module result (for a digest mismatch: expected, actual, algorithm, size).
    """

    def __init__(self, message, details=None):
        super().__init__(message)
        self.details = dict(details or {})


class Member(NamedTuple):
    """One archive member: normalised and raw name, kind, size, permission bits, and the archive's own
    entry (``tarfile.TarInfo`` or ``zipfile.ZipInfo``), which is what is opened: never a lookup by name."""

    name: str
    raw_name: str
    kind: str  # file, dir, symlink, hardlink, device, other
    size: int
    mode: int
    entry: object = None

    @property
    def executable(self):
        return self.kind == "file" and bool(self.mode & 0o111)


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


def check_file_name(name, what, fix):
    """Refuse a name that is not a single, visible file name; return it."""
    if not isinstance(name, str) or not name.strip():
        raise ArtifactError(f"{what} is empty; {fix}")
    if "/" in name or "\x00" in name or name in (".", ".."):
        raise ArtifactError(f"{what} {name!r} is not a plain file name (no '/', '.' or '..'); {fix}")
    if name.startswith("."):
        raise ArtifactError(
            f"{what} {name!r} starts with '.', which the cache keeps for its own temporary files; {fix}"
        )
    return name


def url_file_name(url, option):
    """The file name at the end of an http(s) URL's path (percent-decoded)."""
    parts = urlsplit(url)
    shown = mask_url(url)
    if parts.scheme.lower() not in ("http", "https"):
        local = "src" if option == "url" else "checksums_src"
        raise ArtifactError(
            f"{option} {shown!r} is not an http:// or https:// URL; give a release download URL, "
            f"or use {local} for a file on the controller"
        )
    if not parts.hostname:
        raise ArtifactError(f"{option} {shown!r} has no host; give a full URL such as https://example.com/app.tar.gz")
    name = posixpath.basename(unquote(parts.path))
    return check_file_name(
        name,
        f"the file name at the end of {option} {shown!r}",
        "use a URL whose path ends with the release file name",
    )


def archive_format_from_name(name):
    """``tar.gz`` or ``zip`` when the file name says it is an archive, else ``None``."""
    lower = name.lower()
    for suffix, kind in _KIND_BY_SUFFIX:
        if lower.endswith(suffix):
            return kind
    return None


def normalize_member(name, what="archive_member"):
    """Normalise an archive member name (``./a//b`` -> ``a/b``); refuse absolute and ``..`` names."""
    if not isinstance(name, str) or not name.strip():
        raise ArtifactError(f"{what} is empty; give the path of the binary inside the archive, e.g. myapp")
    if "\x00" in name:
        raise ArtifactError(f"{what} {name!r} contains a NUL byte; it is not a file name")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        raise ArtifactError(
            f"{what} {name!r} is an absolute path; archive members are relative, "
            "e.g. myapp or myapp_1.2.3_linux_amd64/myapp"
        )
    if ".." in name.replace("\\", "/").split("/"):
        raise ArtifactError(f"{what} {name!r} has a '..' component; archive members never climb out of the archive")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts:
        raise ArtifactError(f"{what} {name!r} names no file; give the path of the binary inside the archive")
    return "/".join(parts)


def cache_key(expected):
    """The cache directory name for an expected digest: sha256 hex, or ``<algorithm>-<hex>``."""
    if expected.algorithm == "sha256":
        return expected.digest
    return f"{expected.algorithm}-{expected.digest}"


# --------------------------------------------------------------------------
# Format detection
# --------------------------------------------------------------------------


def read_head(path, count=4):
    with open(path, "rb") as handle:
        return handle.read(count)


def sniff_format(path, name):
    """Decide the artifact format from its first bytes, cross-checked with its file name.

    Returns ``tar.gz``, ``zip`` or ``none`` (a bare ELF binary). A name ending in
    ``.tar.gz``/``.tgz``/``.zip`` whose content is something else, and content that is
    neither gzip, zip nor ELF, are errors.
    """
    head = read_head(path)
    if head.startswith(_GZIP):
        found = FORMAT_TAR_GZ
    elif head == _ZIP:
        found = FORMAT_ZIP
    elif head == _ELF:
        found = FORMAT_NONE
    else:
        raise ArtifactError(
            f"artifact {name} is neither a gzip-compressed tar, a zip archive nor an ELF binary (it starts with "
            f"{head!r}); supported release files are .tar.gz/.tgz, .zip and bare Linux binaries"
        )
    by_name = archive_format_from_name(name)
    if by_name is not None and by_name != found:
        shown = "a bare ELF binary" if found == FORMAT_NONE else f"a {found} file"
        raise ArtifactError(
            f"artifact {name} is named like a {by_name} archive but its content is {shown} (it starts with {head!r}); "
            "check that the URL or path points at the release file"
        )
    return found


# --------------------------------------------------------------------------
# Archives
# --------------------------------------------------------------------------


def _tar_kind(info):
    if info.isreg():
        return "file"
    if info.isdir():
        return "dir"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    if info.ischr() or info.isblk() or info.isfifo():
        return "device"
    return "other"


def _zip_kind(info):
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_IFMT(mode):
        if stat.S_ISREG(mode):
            return "file", mode
        if stat.S_ISDIR(mode):
            return "dir", mode
        if stat.S_ISLNK(mode):
            return "symlink", mode
        return "device", mode
    if info.filename.endswith("/"):
        return "dir", 0o755
    return "file", mode if info.create_system == 3 else 0o644


def _archive_error(name, fmt, exc):
    what = "gzip-compressed tar" if fmt == FORMAT_TAR_GZ else "zip"
    return ArtifactError(
        f"reading artifact {name} as a {what} archive failed: {exc}; the file matched its digest, so the "
        "publisher's archive itself is unreadable (a plain .gz binary, for example, is not supported)"
    )


@contextlib.contextmanager
def open_archive(path, fmt, name):
    """Open a tar.gz (``tarfile``) or zip (``zipfile``) archive; map read errors to ArtifactError."""
    try:
        handle = tarfile.open(path, mode="r:gz") if fmt == FORMAT_TAR_GZ else zipfile.ZipFile(path)  # noqa: SIM115
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
        raise _archive_error(name, fmt, exc) from None
    try:
        yield handle
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as exc:
        raise _archive_error(name, fmt, exc) from None
    finally:
        handle.close()


def list_members(archive, fmt, name):
    """Every member of an open archive as :class:`Member` (at most :data:`MAX_MEMBERS`)."""
    members = []
    if fmt == FORMAT_TAR_GZ:
        for info in archive:
            if len(members) >= MAX_MEMBERS:
                raise ArtifactError(f"artifact {name} has more than {MAX_MEMBERS} members; it is not a release archive")
            members.append(Member(_clean(info.name), info.name, _tar_kind(info), info.size, info.mode, info))
    else:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ArtifactError(f"artifact {name} has more than {MAX_MEMBERS} members; it is not a release archive")
        for info in infos:
            if info.flag_bits & 0x1:
                raise ArtifactError(
                    f"artifact {name}: member {info.filename!r} is encrypted; encrypted zips are refused"
                )
            kind, mode = _zip_kind(info)
            members.append(Member(_clean(info.filename), info.filename, kind, info.file_size, mode, info))
    return members


def _clean(raw):
    return "/".join(part for part in raw.split("/") if part not in ("", "."))


def check_member_names(members, name):
    """Refuse the whole archive when any member is absolute or has a ``..`` component."""
    for member in members:
        raw = member.raw_name
        absolute = raw.startswith(("/", "\\")) or (len(raw) > 1 and raw[1] == ":" and raw[0].isalpha())
        if absolute or ".." in raw.replace("\\", "/").split("/"):
            why = "an absolute path" if absolute else "a '..' component"
            raise ArtifactError(
                f"artifact {name} has a member {raw!r} with {why}; an archive whose members climb out of their "
                "directory is refused as hostile, nothing was extracted (report it to the publisher)"
            )


def executable_candidates(members):
    """Regular files that look like executables: an execute bit, else no extension and not a doc file."""
    files = [m for m in members if m.kind == "file" and m.name and not m.raw_name.endswith("/")]
    found = [m.name for m in files if m.executable]
    if not found:
        docs = ("license", "licence", "readme", "changelog", "notice", "copying", "authors")
        found = [
            m.name
            for m in files
            if "." not in posixpath.basename(m.name) and posixpath.basename(m.name).lower() not in docs
        ]
    return sorted(found)


def _describe_candidates(names):
    if not names:
        return "it has no member that looks like an executable"
    shown = ", ".join(repr(n) for n in names[:MAX_CANDIDATES])
    more = f" and {len(names) - MAX_CANDIDATES} more" if len(names) > MAX_CANDIDATES else ""
    return f"executables in it: {shown}{more}"


def select_member(members, wanted, name):
    """The one regular file member named ``wanted`` (already normalised)."""
    matches = [m for m in members if m.name == wanted]
    candidates = executable_candidates(members)
    if not matches:
        base = posixpath.basename(wanted)
        similar = sorted({m.name for m in members if m.kind == "file" and posixpath.basename(m.name) == base})
        hint = f"; did you mean {', '.join(repr(s) for s in similar)}?" if similar else ""
        raise ArtifactError(
            f"artifact {name} has no member {wanted!r}{hint} ({_describe_candidates(candidates)}); "
            "set archive_member to the path of the binary inside the archive",
            details={"candidates": candidates[:MAX_CANDIDATES]},
        )
    if len(matches) > 1:
        raise ArtifactError(
            f"artifact {name} holds {wanted!r} {len(matches)} times; an archive with duplicate names is ambiguous "
            "and is refused"
        )
    member = matches[0]
    if member.kind == "file" and member.raw_name.endswith("/"):
        raise ArtifactError(
            f"artifact {name}: member {member.raw_name!r} is a regular file whose name ends in '/', which "
            "extraction tools treat as a directory; it is not extracted. The archive is malformed: ask the "
            "publisher for one that names the binary without a trailing '/', or use the bare binary with url or src",
            details={"candidates": candidates[:MAX_CANDIDATES]},
        )
    if member.kind != "file":
        kinds = {"dir": "a directory", "symlink": "a symbolic link", "hardlink": "a hard link", "device": "a device"}
        raise ArtifactError(
            f"artifact {name}: member {member.raw_name!r} is {kinds.get(member.kind, 'not a regular file')}; "
            f"only a regular file is extracted ({_describe_candidates(candidates)})",
            details={"candidates": candidates[:MAX_CANDIDATES]},
        )
    return member


def _member_stream(archive, fmt, member):
    # The entry itself, not its name: a name lookup strips a trailing '/' (tarfile) or finds another
    # member of the same name. select_member lets only regular files through, and for those tarfile
    # always returns a stream.
    if fmt == FORMAT_TAR_GZ:
        return archive.extractfile(member.entry)
    return archive.open(member.entry)


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


def _make_dir(path):
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    if not os.path.isdir(path) or os.path.islink(path):
        raise ArtifactError(f"cache path {path} exists but is not a directory; remove it")


def _copy_stream(source, out, limit, what, fix="it is not a release binary"):
    """Copy ``source`` into ``out`` (at most ``limit`` bytes); return (sha256 hex, size)."""
    hasher = hashlib.sha256()
    size = 0
    while True:
        chunk = source.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if limit is not None and size > limit:
            raise ArtifactError(f"{what} is larger than the {limit} byte limit; {fix}")
        hasher.update(chunk)
        out.write(chunk)
    return hasher.hexdigest(), size


def remove_stale_temps(directory):
    """Remove temporary files an interrupted run left in ``directory`` (call with the key's lock held)."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return
    for name in names:
        if name.startswith(TMP_PREFIX):
            unlink_if_there(os.path.join(directory, name))


@contextlib.contextmanager
def cache_lock(cache_dir, key):
    """Hold an exclusive flock(2) on ``<cache_dir>/.lock-<key>`` (waits for another run holding it)."""
    path = os.path.join(cache_dir, f".lock-{key}")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)  # not inherited (PEP 446)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        os.close(fd)


def prepare_cache_dir(cache_dir):
    """Create ``cache_dir`` (0700) and refuse one that another user could write to."""
    if not os.path.isabs(cache_dir):
        raise ArtifactError(
            f"cache_dir {cache_dir!r} is not an absolute path; give e.g. ~/.cache/gosvc-hardening/artifacts"
        )
    try:
        os.makedirs(cache_dir, 0o700, exist_ok=True)
        st = os.stat(cache_dir)
    except FileExistsError:
        raise ArtifactError(
            f"cache_dir {cache_dir} exists but is not a directory; remove it or choose another"
        ) from None
    except OSError as exc:
        raise ArtifactError(f"cannot create cache_dir {cache_dir}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise ArtifactError(f"cache_dir {cache_dir} exists but is not a directory; remove it or choose another")
    if st.st_uid != os.geteuid():
        raise ArtifactError(
            f"cache_dir {cache_dir} belongs to uid {st.st_uid}, not to the user running the task (uid {os.geteuid()}); "
            "the cache is per user: run the task without become, or give a cache_dir of your own"
        )
    if st.st_mode & 0o022:
        raise ArtifactError(
            f"cache_dir {cache_dir} is writable by other users (mode {stat.S_IMODE(st.st_mode):04o}); "
            f"they could replace verified files: run chmod 0700 {cache_dir}"
        )


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------


def _scrub(text, url):
    """``text`` (an exception's message) without the user:password part or the query string of ``url``."""
    for secret in url_secrets(url, query=True):
        text = text.replace(secret, "//********@" if secret.startswith("//") else "?********")
    return text


def _open(url, option, headers, timeout, validate_certs, headers_option="url_headers"):
    """The response to a GET of ``url``; ArtifactError naming ``option`` (and ``headers_option``, the
    caller's option for request headers, if it has one) when there is none."""
    shown = mask_url(url)
    try:
        return open_url(
            url,
            headers=headers,
            timeout=timeout,
            validate_certs=validate_certs,
            http_agent=USER_AGENT,
            follow_redirects="urllib2",
            # The exact bytes the digest applies to: no transparent gunzip of .tar.gz files.
            decompress=False,
            # Credentials for the release host are not repeated on a redirect (release hosts
            # redirect to presigned storage URLs, which need none and must not see them).
            unredirected_headers=list(headers),
        )
    except urllib.error.HTTPError as exc:
        hint = "try again later"
        if exc.code in (401, 403, 404):
            hint = f"check the URL and {headers_option}" if headers_option else "check the URL"
        raise ArtifactError(
            f"downloading {option} {shown} failed: HTTP status {exc.code}: {_scrub(str(exc.reason), url)}; {hint}",
            details={"status": exc.code},
        ) from None
    except urllib.error.URLError as exc:
        raise ArtifactError(
            f"downloading {option} {shown} failed: {_scrub(str(exc.reason), url)}; check the host name, the network "
            "or proxy settings (validate_certs for a private CA)"
        ) from None
    except (UrlsConnectionError, http.client.HTTPException, OSError, ValueError) as exc:
        raise ArtifactError(f"downloading {option} {shown} failed: {_scrub(str(exc), url)}") from None


def _read_response(response, out, option, url, limit, fix):
    """Stream ``response`` into ``out``; stop past ``limit`` bytes; check Content-Length; return the byte count.

    ``fix`` ends the message when the response is larger than ``limit``.
    """
    shown = mask_url(url)
    declared = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
    total = 0
    try:
        if limit is not None and declared is not None and declared.strip().isdigit() and int(declared) > limit:
            raise ArtifactError(
                f"{option} {shown} is larger than the {limit} byte limit (Content-Length {int(declared)}); nothing "
                f"was downloaded; {fix}"
            )
        while True:
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if limit is not None and total > limit:
                raise ArtifactError(
                    f"{option} {shown} is larger than the {limit} byte limit; the download stopped there and what "
                    f"arrived was discarded; {fix}"
                )
            out.write(chunk)
    except (http.client.HTTPException, OSError) as exc:
        raise ArtifactError(
            f"downloading {option} {shown} failed after {total} bytes: {_scrub(str(exc), url)}"
        ) from None
    finally:
        response.close()
    if declared is not None and declared.strip().isdigit() and int(declared) != total:
        raise ArtifactError(
            f"downloading {option} {shown} was cut short: {total} of {declared} bytes arrived; try again"
        )
    return total


def fetch_bytes(
    url,
    option,
    headers,
    timeout,
    validate_certs,
    limit,
    too_large="check that it is a checksums file",
    headers_option="url_headers",
):
    """Download a small document (a checksums file) and return its bytes: go_artifact's and
    checksum_verify's one fetch of a checksums file. ``too_large`` ends the message past ``limit``."""
    sink = io.BytesIO()
    response = _open(url, option, headers, timeout, validate_certs, headers_option)
    _read_response(response, sink, option, url, limit, too_large)
    return sink.getvalue()


def fetch_to_temp(url, directory, headers, timeout, validate_certs, limit):
    """Download ``url`` into a temporary file in ``directory``; the caller verifies and installs it.

    More than ``limit`` bytes fail the download, and the partial file is removed.
    """
    temp = TempFile(directory)
    try:
        response = _open(url, "url", headers, timeout, validate_certs)
        _read_response(
            response,
            temp.handle,
            "url",
            url,
            limit,
            "if the release file really is that large, raise max_artifact_bytes",
        )
        temp.finish(0o644)
    except BaseException:
        temp.discard()
        raise
    return temp


def copy_to_temp(src, directory, limit):
    """Copy the controller file ``src`` into a temporary file in ``directory`` (at most ``limit`` bytes)."""
    temp = TempFile(directory)
    try:
        try:
            with open(src, "rb") as source:
                if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
                    raise ArtifactError(f"src {src} is not a regular file; give the path of the release file")
                _copy_stream(
                    source,
                    temp.handle,
                    limit,
                    f"src {src}",
                    "the partial copy was discarded; if the release file really is that large, raise "
                    "max_artifact_bytes",
                )
        except IsADirectoryError:
            raise ArtifactError(f"src {src} is a directory; give the path of the release file") from None
        except FileNotFoundError:
            raise ArtifactError(f"src {src} does not exist on the controller; check the path") from None
        except PermissionError:
            raise ArtifactError(f"src {src} is not readable (permission denied)") from None
        temp.finish(0o644)
    except BaseException:
        temp.discard()
        raise
    return temp


# --------------------------------------------------------------------------
# Resolving
# --------------------------------------------------------------------------


class Expected(NamedTuple):
    digest: ExpectedDigest
    entry: Optional[ChecksumEntry]
    checksums_name: Optional[str]
    checksums_data: Optional[bytes]
    source: Optional[str]


def _headers(params):
    return {str(name): str(value) for name, value in (params.get("url_headers") or {}).items()}


def _checksums_store(cache_dir, url):
    return os.path.join(cache_dir, "checksums", hashlib.sha256(url.encode()).hexdigest())


def expected_digest(params, artifact_name):
    """Work out the expected digest of the artifact from checksum, checksums_src or checksums_url."""
    entry_name = params.get("checksums_entry")
    if params.get("checksum") is not None:
        if entry_name is not None:
            raise ArtifactError(
                "checksums_entry is only used with checksums_url or checksums_src; remove it when checksum pins "
                "the digest"
            )
        try:
            return Expected(parse_expected(params["checksum"]), None, None, None, None)
        except DigestError as exc:
            raise ArtifactError(str(exc)) from None
    if params.get("checksums_src") is not None:
        path = params["checksums_src"]
        source = f"checksums_src {path}"
        name = check_file_name(os.path.basename(path), f"the file name of {source}", "give the checksums file path")
        try:
            data = read_checksums_bytes(path, MAX_CHECKSUMS_BYTES, source, where=" on the controller")
        except DigestError as exc:
            raise ArtifactError(str(exc)) from None
    else:
        url = params["checksums_url"]
        source = f"checksums_url {mask_url(url)}"
        name = url_file_name(url, "checksums_url")
        store = _checksums_store(params["cache_dir"], url)
        stored = os.path.join(store, name)
        if params.get("offline"):
            try:
                with open(stored, "rb") as handle:
                    data = read_capped(handle, MAX_CHECKSUMS_BYTES, source)
            except FileNotFoundError:
                raise ArtifactError(
                    f"offline is true and {source} was never fetched into the cache ({stored}); run once with "
                    "network access, or pin the digest with checksum"
                ) from None
            except DigestError as exc:
                raise ArtifactError(str(exc)) from None
            source = f"{source} (cached copy {stored}, offline)"
        else:
            try:
                data = fetch_bytes(
                    url,
                    "checksums_url",
                    _headers(params),
                    params["timeout"],
                    params["validate_certs"],
                    MAX_CHECKSUMS_BYTES,
                )
            except ArtifactError as exc:
                if not os.path.isfile(stored):
                    raise
                raise ArtifactError(
                    f"{exc}; a copy fetched by an earlier run is in the cache, set offline: true to use it",
                    exc.details,
                ) from None
    try:
        entries = parse_checksums_text(decode_checksums(data, source), source)
        entry = find_entry(entries, entry_name if entry_name is not None else artifact_name, None, source)
    except DigestError as exc:
        raise ArtifactError(str(exc)) from None
    return Expected(ExpectedDigest(entry.algorithm, entry.digest), entry, name, data, source)


def _install_binary(stream, bin_dir, final, limit, what):
    """Write ``stream`` to ``final`` (0755) unless it already holds the same bytes; return (sha256, size, wrote)."""
    with TempFile(bin_dir) as temp:
        sha256, size = _copy_stream(stream, temp.handle, limit, what)
        temp.finish(0o755)
        if read_head(temp.path) != _ELF:
            raise ArtifactError(
                f"{what} is not an ELF executable (it starts with {read_head(temp.path)!r}); "
                "point archive_member at the Linux binary"
            )
        if same_file(final, sha256, 0o755):
            return sha256, size, False
        temp.install(final)
    return sha256, size, True


class _Layout:
    """The paths of one cache entry."""

    def __init__(self, cache_dir, key, artifact_name, binary_name):
        self.cache_dir = cache_dir
        self.key = key
        self.entry = os.path.join(cache_dir, key)
        self.artifact_dir = os.path.join(self.entry, "artifact")
        self.bin_dir = os.path.join(self.entry, "bin")
        self.checksums_dir = os.path.join(self.entry, "checksums")
        self.artifact = os.path.join(self.artifact_dir, artifact_name)
        self.binary = os.path.join(self.bin_dir, binary_name)


def _cached_artifact_ok(path, expected, again, warnings):
    """Whether the cached artifact still matches; a file that does not is removed (with a warning)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISREG(st.st_mode):
        try:
            verify_file(path, expected)
            return True
        except DigestError as exc:
            why = str(exc)
    else:
        why = f"{path} is not a regular file"
    warnings.append(f"discarded the cached artifact, {why}; it is {again}")
    if stat.S_ISDIR(st.st_mode):
        raise ArtifactError(f"cache path {path} is a directory; remove it")
    unlink_if_there(path)
    return False


def _obtain_artifact(params, layout, expected, name, source):
    """Download (url) or copy (src) the artifact into a temporary file, verify it, and move it into place."""
    url = params.get("url")
    if url is not None and params.get("offline"):
        raise ArtifactError(
            f"offline is true and artifact {name} is not in the cache ({layout.artifact}); run once with network "
            "access, or use src"
        )
    limit = _max_artifact_bytes(params)
    if url is not None:
        temp = fetch_to_temp(
            url, layout.artifact_dir, _headers(params), params["timeout"], params["validate_certs"], limit
        )
    else:
        temp = copy_to_temp(params["src"], layout.artifact_dir, limit)
    with temp:
        try:
            verify_file(temp.path, expected.digest)
        except DigestError as exc:
            algorithm = expected.digest.algorithm
            actual = f"{algorithm}:{exc.details.get('digest')}"
            origin = ""
            if expected.entry is not None:
                origin = f" (expected digest from {expected.source} line {expected.entry.line})"
            if url is not None:
                option, outcome = "url", "the download was discarded: it is corrupt, truncated or not the release "
                outcome += "that was pinned"
            else:
                # The user's own file was only read: it was never copied into the cache, and stays where it is.
                pin = "checksum" if expected.entry is None else "checksums_entry or the checksums file"
                option = "src"
                outcome = f"{source} was not used and is left where it is (nothing was cached): it is not the release "
                outcome += (
                    f"that was pinned, or the pinned digest is wrong; put the pinned release there, or correct {pin}"
                )
            raise ArtifactError(
                f"{option} {source} does not match the expected digest: expected {expected.digest}, actual {actual} "
                f"({exc.details.get('size')} bytes){origin}; {outcome}",
                details={"expected": str(expected.digest), "actual": actual, "size": exc.details.get("size")},
            ) from None
        temp.install(layout.artifact)


def _max_artifact_bytes(params):
    limit = params.get("max_artifact_bytes")
    return MAX_ARTIFACT_BYTES if limit is None else limit


def _produce_binary(layout, fmt, name, wanted, member_option, artifact_sha256, max_binary_bytes):
    """Copy the bare binary, or extract the archive member, into ``bin/``; return (sha256, size, wrote)."""
    if fmt == FORMAT_NONE:
        if wanted is not None:
            raise ArtifactError(
                f"artifact {name} is a bare ELF binary, not an archive; remove archive_member ({member_option!r})"
            )
        with open(layout.artifact, "rb") as stream:
            sha256, size, wrote = _install_binary(stream, layout.bin_dir, layout.binary, None, f"artifact {name}")
        if not digests_equal(sha256, artifact_sha256):
            raise ArtifactError(f"artifact {layout.artifact} changed while it was copied to {layout.binary}; run again")
        return sha256, size, wrote
    with open_archive(layout.artifact, fmt, name) as archive:
        members = list_members(archive, fmt, name)
        check_member_names(members, name)
        if wanted is None:
            candidates = executable_candidates(members)
            raise ArtifactError(
                f"artifact {name} is a {fmt} archive; set archive_member to the path of the binary inside it "
                f"({_describe_candidates(candidates)})",
                details={"candidates": candidates[:MAX_CANDIDATES]},
            )
        member = select_member(members, wanted, name)
        if member.size > max_binary_bytes:
            raise ArtifactError(
                f"artifact {name}: member {member.raw_name!r} is {member.size} bytes, more than the "
                f"{max_binary_bytes} byte limit for a binary; it is not a release binary"
            )
        with _member_stream(archive, fmt, member) as stream:
            return _install_binary(
                stream,
                layout.bin_dir,
                layout.binary,
                max_binary_bytes,
                f"member {member.raw_name!r} of artifact {name}",
            )


def resolve_artifact(params, max_binary_bytes=MAX_BINARY_BYTES):
    """Resolve, verify and extract; return the module result plus ``warnings`` (a list of strings).

    ``params`` holds the module options. There is no separate check mode: the cache is controller-local
    scratch space, so filling it changes nothing the play manages.
    """
    url = params.get("url")
    src = params.get("src")
    if (url is None) == (src is None):
        raise ArtifactError("give exactly one of url and src")
    binary_name = check_file_name(
        params.get("binary_name"), "binary_name", "give the file name the binary gets, e.g. binary_name: myapp"
    )
    member_option = params.get("archive_member")
    wanted = normalize_member(member_option) if member_option is not None else None
    if params.get("timeout") is not None and params["timeout"] <= 0:
        raise ArtifactError(f"timeout must be a positive number of seconds, got {params['timeout']}")
    if _max_artifact_bytes(params) <= 0:
        raise ArtifactError(
            f"max_artifact_bytes must be a positive number of bytes, got {params['max_artifact_bytes']}; "
            f"the default is {MAX_ARTIFACT_BYTES} (2 GiB)"
        )
    if url is not None:
        name = url_file_name(url, "url")
        source = mask_url(url)
    else:
        name = check_file_name(
            os.path.basename(src), f"the file name of src {src}", "give the path of the release file"
        )
        source = src
    by_name = archive_format_from_name(name)
    if by_name is not None and wanted is None:
        raise ArtifactError(
            f"artifact {name} is a {by_name} archive; set archive_member to the path of the binary inside it "
            "(e.g. myapp, or myapp_1.2.3_linux_amd64/myapp when the archive has a top directory)"
        )

    cache_dir = params["cache_dir"]
    prepare_cache_dir(cache_dir)
    expected = expected_digest(params, name)
    if expected.checksums_data is not None and params.get("checksums_url") is not None and not params.get("offline"):
        store = _checksums_store(cache_dir, params["checksums_url"])
        _make_dir(os.path.join(cache_dir, "checksums"))
        _make_dir(store)
        write_bytes(os.path.join(store, expected.checksums_name), expected.checksums_data)

    layout = _Layout(cache_dir, cache_key(expected.digest), name, binary_name)
    warnings = []
    checksums_path = None
    with cache_lock(cache_dir, layout.key):
        for directory in (layout.entry, layout.artifact_dir, layout.bin_dir):
            _make_dir(directory)
            remove_stale_temps(directory)
        again = "downloaded again" if url is not None else "copied again from src"
        cached = _cached_artifact_ok(layout.artifact, expected.digest, again, warnings)
        if not cached:
            _obtain_artifact(params, layout, expected, name, source)
        changed = not cached

        if expected.digest.algorithm == "sha256":
            artifact_sha256 = expected.digest.digest
        else:
            artifact_sha256 = file_digest(layout.artifact, "sha256").digest
        artifact_size = os.stat(layout.artifact).st_size
        fmt = sniff_format(layout.artifact, name)
        binary_sha256, binary_size, wrote = _produce_binary(
            layout, fmt, name, wanted, member_option, artifact_sha256, max_binary_bytes
        )
        changed = changed or wrote

        if expected.checksums_data is not None:
            _make_dir(layout.checksums_dir)
            remove_stale_temps(layout.checksums_dir)
            checksums_path = os.path.join(layout.checksums_dir, expected.checksums_name)
            changed = write_bytes(checksums_path, expected.checksums_data) or changed

    return {
        "changed": changed,
        "cached": cached,
        "source": source,
        "cache_path": layout.entry,
        "artifact_path": layout.artifact,
        "artifact_sha256": artifact_sha256,
        "artifact_size": artifact_size,
        "expected": str(expected.digest),
        "binary_path": layout.binary,
        "binary_sha256": binary_sha256,
        "binary_size": binary_size,
        "archive_format": fmt,
        "archive_member": wanted if fmt != FORMAT_NONE else None,
        "checksums_path": checksums_path,
        "checksums_entry": expected.entry.as_dict() if expected.entry else None,
        "warnings": warnings,
    }


__all__: List[str] = [
    "FORMAT_NONE",
    "FORMAT_TAR_GZ",
    "FORMAT_ZIP",
    "MAX_ARTIFACT_BYTES",
    "MAX_BINARY_BYTES",
    "MAX_CHECKSUMS_BYTES",
    "ArtifactError",
    "Member",
    "archive_format_from_name",
    "cache_key",
    "check_member_names",
    "executable_candidates",
    "expected_digest",
    "list_members",
    "mask_url",
    "normalize_member",
    "resolve_artifact",
    "select_member",
    "sniff_format",
    "url_file_name",
]


# --- the go_artifact task: options and result, shared by the module and its action plugin ---------

SOURCES = ["url", "src"]
DIGESTS = ["checksum", "checksums_url", "checksums_src"]
ARGUMENT_SPEC = dict(
    url=dict(type="str", no_log=True),
    src=dict(type="path"),
    validate_certs=dict(type="bool", default=True),
    timeout=dict(type="int", default=60),
    url_headers=dict(type="dict", no_log=True),
    offline=dict(type="bool", default=False),
    checksum=dict(type="str"),
    checksums_url=dict(type="str", no_log=True),
    checksums_src=dict(type="path"),
    checksums_entry=dict(type="str"),
    archive_member=dict(type="str"),
    binary_name=dict(type="str", required=True),
    cache_dir=dict(type="path", required=True),
    max_artifact_bytes=dict(type="int", default=MAX_ARTIFACT_BYTES),
)
#: Options that are URLs: declared no_log above so that a failure inside AnsibleModule shows none of
#: them; the module then masks only their user:password part and query string (_http.hide_url_secrets).
URL_OPTIONS = ("url", "checksums_url")


def run(params):
    """The go_artifact result for validated ``params``: resolve_artifact's, or ``failed`` with ``msg``.

    Always has ``warnings`` (a list of strings) for the caller to report its own way.
    """
    source = mask_url(params["url"]) if params.get("url") is not None else params.get("src")
    prefix = f"Resolving the Go release artifact {source}"
    try:
        return add_binary_requirements(resolve_artifact(params))
    except ArtifactError as exc:
        return dict(failed=True, msg=f"{prefix}: {exc}", changed=False, source=source, warnings=[], **exc.details)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return dict(
            failed=True, msg=f"{prefix}: {where}{exc.strerror or exc}", changed=False, source=source, warnings=[]
        )
