# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/_artifact.py.

The archives are real: built here with tarfile, zipfile and the Info-ZIP ``zip`` tool
around a real ELF executable (/bin/true); expected digests come from ``sha256sum``.
Downloads go to a real http.server on 127.0.0.1 that counts the requests it serves.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import http.server
import io
import multiprocessing
import os
import shutil
import ssl
import stat
import subprocess
import tarfile
import tempfile
import threading
import time
import zipfile
from collections import Counter

import pytest
from support import LocalServer, write_self_signed

from ansible_collections.gosvc.hardening.plugins.module_utils import _artifact
from ansible_collections.gosvc.hardening.plugins.module_utils._artifact import (
    ARGUMENT_SPEC,
    ArtifactError,
    archive_format_from_name,
    cache_key,
    check_member_names,
    executable_candidates,
    list_members,
    mask_url,
    normalize_member,
    open_archive,
    resolve_artifact,
    select_member,
    sniff_format,
    url_file_name,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._digests import ExpectedDigest

ELF = "/bin/true"

pytestmark = pytest.mark.skipif(
    not os.path.exists(ELF) or shutil.which("sha256sum") is None, reason="needs /bin/true and sha256sum"
)


def sha256sum(path):
    return subprocess.run(["sha256sum", "--", str(path)], check=True, capture_output=True, text=True).stdout.split()[0]


def add_file(archive, arcname, data, mode=0o644):
    info = tarfile.TarInfo(arcname)
    info.size = len(data)
    info.mode = mode
    info.mtime = 1700000000
    archive.addfile(info, io.BytesIO(data))


@pytest.fixture
def elf_bytes():
    with open(ELF, "rb") as handle:
        return handle.read()


@pytest.fixture
def release(tmp_path, elf_bytes):
    """A goreleaser-like release directory: tar.gz, zip, bare binary and a checksums.txt from sha256sum."""
    dist = tmp_path / "dist"
    dist.mkdir()
    with tarfile.open(dist / "myapp_1.2.3_linux_amd64.tar.gz", "w:gz") as archive:
        add_file(archive, "LICENSE", b"license text\n")
        add_file(archive, "README.md", b"# myapp\n")
        add_file(archive, "myapp", elf_bytes, 0o755)
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "myapp").write_bytes(elf_bytes)
    (staged / "myapp").chmod(0o755)
    (staged / "LICENSE").write_text("license text\n")
    with zipfile.ZipFile(dist / "myapp_1.2.3_linux_arm64.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(staged / "LICENSE", "myapp_1.2.3_linux_arm64/LICENSE")
        archive.write(staged / "myapp", "myapp_1.2.3_linux_arm64/myapp")
    shutil.copy(ELF, dist / "myapp_1.2.3_linux_riscv64")
    names = sorted(p.name for p in dist.iterdir())
    checksums = subprocess.run(["sha256sum", *names], cwd=dist, check=True, capture_output=True, text=True).stdout
    (dist / "checksums.txt").write_text(checksums)
    return dist


class Server(LocalServer):
    """A real HTTP server on 127.0.0.1 serving a directory; counts GETs per path, can delay paths."""

    def __init__(self, root):
        self.root = root
        self.hits = Counter()
        self.headers = []
        self.delay = {}
        self.gzip_encoded = set()
        self.cut_short = set()
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def end_headers(self):
                # Like Apache's "AddEncoding x-gzip .gz": a .tar.gz sent as gzip-encoded content.
                if self.path in server.gzip_encoded:
                    self.send_header("Content-Encoding", "gzip")
                super().end_headers()

            def do_GET(self):
                server.hits[self.path] += 1
                server.headers.append((self.path, dict(self.headers)))
                time.sleep(server.delay.get(self.path, 0))
                if self.path in server.cut_short:
                    data = (root / self.path.lstrip("/")).read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.close_connection = True
                    return
                super().do_GET()

        self.serve(functools.partial(Handler, directory=str(root)))


@pytest.fixture
def server(release, monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    srv = Server(release)
    yield srv
    srv.close()


def params(cache_dir, **kwargs):
    base = {
        "url": None,
        "src": None,
        "validate_certs": True,
        "timeout": 10,
        "url_headers": None,
        "offline": False,
        "checksum": None,
        "checksums_url": None,
        "checksums_src": None,
        "checksums_entry": None,
        "archive_member": None,
        "binary_name": "myapp",
        "cache_dir": str(cache_dir),
    }
    base.update(kwargs)
    return base


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "normalised"),
    [("myapp", "myapp"), ("./myapp", "myapp"), ("dir//myapp", "dir/myapp"), ("./dir/./myapp", "dir/myapp")],
)
def test_normalize_member(given, normalised):
    assert normalize_member(given) == normalised


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("../myapp", "'..' component"),
        ("dir/../../myapp", "'..' component"),
        ("..\\myapp", "'..' component"),
        ("/usr/bin/myapp", "absolute path"),
        ("C:\\myapp.exe", "absolute path"),
        ("", "empty"),
        ("./", "names no file"),
    ],
)
def test_normalize_member_refuses(given, message):
    with pytest.raises(ArtifactError, match=message):
        normalize_member(given)


def test_url_file_name_of_a_github_release_asset():
    url = "https://github.com/example/myapp/releases/download/v1.2.3/myapp_1.2.3_linux_amd64.tar.gz"
    assert url_file_name(url, "url") == "myapp_1.2.3_linux_amd64.tar.gz"
    assert url_file_name("https://h.example/dl/my%20app.zip?x=1#frag", "url") == "my app.zip"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://h.example/releases/", "not a plain file name|is empty"),
        ("file:///srv/myapp.tar.gz", "use src for a file on the controller"),
        ("ftp://h.example/myapp", "not an http:// or https:// URL"),
        ("https:///myapp", "has no host"),
        ("https://h.example/.hidden", "starts with '.'"),
    ],
)
def test_url_file_name_refuses(url, message):
    with pytest.raises(ArtifactError, match=message):
        url_file_name(url, "url")


def test_mask_url_hides_credentials_and_query():
    assert (
        mask_url("https://user:s3cret@h.example:8443/a/b.tgz?token=abc")
        == "https://********@h.example:8443/a/b.tgz?********"
    )
    assert mask_url("https://h.example/a/b.tgz") == "https://h.example/a/b.tgz"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("a.tar.gz", "tar.gz"), ("A.TGZ", "tar.gz"), ("a.zip", "zip"), ("a", None), ("a.gz", None), ("a.tar.xz", None)],
)
def test_archive_format_from_name(name, kind):
    assert archive_format_from_name(name) == kind


def test_cache_key_is_the_sha256_hex_or_prefixed():
    assert cache_key(ExpectedDigest("sha256", "ab" * 32)) == "ab" * 32
    assert cache_key(ExpectedDigest("sha512", "cd" * 64)) == "sha512-" + "cd" * 64


# --------------------------------------------------------------------------
# Format and archives
# --------------------------------------------------------------------------


def test_sniff_format_of_real_files(release):
    assert sniff_format(release / "myapp_1.2.3_linux_amd64.tar.gz", "myapp_1.2.3_linux_amd64.tar.gz") == "tar.gz"
    assert sniff_format(release / "myapp_1.2.3_linux_arm64.zip", "myapp_1.2.3_linux_arm64.zip") == "zip"
    assert sniff_format(release / "myapp_1.2.3_linux_riscv64", "myapp_1.2.3_linux_riscv64") == "none"
    # Content decides even when the name says nothing.
    assert sniff_format(release / "myapp_1.2.3_linux_amd64.tar.gz", "download") == "tar.gz"


def test_sniff_format_refuses_a_name_that_lies(release):
    with pytest.raises(ArtifactError, match=r"named like a tar.gz archive but its content is a bare ELF binary"):
        sniff_format(release / "myapp_1.2.3_linux_riscv64", "myapp.tar.gz")
    with pytest.raises(ArtifactError, match=r"named like a zip archive but its content is a tar.gz file"):
        sniff_format(release / "myapp_1.2.3_linux_amd64.tar.gz", "myapp.zip")


def test_sniff_format_refuses_other_content(release):
    with pytest.raises(ArtifactError, match=r"neither a gzip-compressed tar, a zip archive nor an ELF binary"):
        sniff_format(release / "checksums.txt", "myapp")


def test_tar_with_dotdot_member_is_refused(tmp_path, elf_bytes):
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "myapp", elf_bytes, 0o755)
        add_file(archive, "../evil", b"#!/bin/sh\n", 0o755)
    with open_archive(path, "tar.gz", path.name) as handle:
        members = list_members(handle, "tar.gz", path.name)
    with pytest.raises(ArtifactError, match=r"member '../evil' with a '..' component; .* refused as hostile"):
        check_member_names(members, path.name)


def test_tar_with_absolute_member_is_refused(tmp_path, elf_bytes):
    path = tmp_path / "abs.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "/etc/cron.d/evil", b"* * * * * root id\n")
    with open_archive(path, "tar.gz", path.name) as handle:
        members = list_members(handle, "tar.gz", path.name)
    with pytest.raises(ArtifactError, match=r"member '/etc/cron.d/evil' with an absolute path"):
        check_member_names(members, path.name)


def test_tar_symlink_and_hardlink_members_are_not_extracted(tmp_path, elf_bytes):
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "real").write_bytes(elf_bytes)
    (staged / "myapp").symlink_to("/etc/passwd")
    os.link(staged / "real", staged / "hard")
    path = tmp_path / "links.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name in ("real", "myapp", "hard"):
            archive.add(staged / name, arcname=name)
    with open_archive(path, "tar.gz", path.name) as handle:
        members = list_members(handle, "tar.gz", path.name)
    kinds = {m.name: m.kind for m in members}
    assert kinds == {"real": "file", "myapp": "symlink", "hard": "hardlink"}
    with pytest.raises(ArtifactError, match=r"member 'myapp' is a symbolic link; only a regular file is extracted"):
        select_member(members, "myapp", path.name)
    with pytest.raises(ArtifactError, match=r"member 'hard' is a hard link"):
        select_member(members, "hard", path.name)


@pytest.mark.skipif(shutil.which("zip") is None, reason="the Info-ZIP zip tool is required")
def test_zip_symlink_member_made_by_zip_y_is_refused(tmp_path, elf_bytes):
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "myapp").symlink_to("/etc/passwd")
    (staged / "tool").write_bytes(elf_bytes)
    (staged / "tool").chmod(0o755)
    path = tmp_path / "links.zip"
    subprocess.run(["zip", "-q", "-y", str(path), "myapp", "tool"], cwd=staged, check=True)
    with open_archive(path, "zip", path.name) as handle:
        members = list_members(handle, "zip", path.name)
    assert {m.name: m.kind for m in members} == {"myapp": "symlink", "tool": "file"}
    with pytest.raises(ArtifactError, match=r"member 'myapp' is a symbolic link") as caught:
        select_member(members, "myapp", path.name)
    assert caught.value.details["candidates"] == ["tool"]


def test_missing_member_lists_executables_only(release):
    path = release / "myapp_1.2.3_linux_arm64.zip"
    with open_archive(path, "zip", path.name) as handle:
        members = list_members(handle, "zip", path.name)
    assert executable_candidates(members) == ["myapp_1.2.3_linux_arm64/myapp"]
    with pytest.raises(ArtifactError, match=r"did you mean 'myapp_1.2.3_linux_arm64/myapp'") as caught:
        select_member(members, "myapp", path.name)
    assert caught.value.details["candidates"] == ["myapp_1.2.3_linux_arm64/myapp"]


def test_candidates_are_capped_at_twenty(tmp_path, elf_bytes):
    path = tmp_path / "many.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for index in range(25):
            add_file(archive, f"bin/tool{index:02d}", elf_bytes[:64], 0o755)
    with open_archive(path, "tar.gz", path.name) as handle:
        members = list_members(handle, "tar.gz", path.name)
    with pytest.raises(ArtifactError, match=r"'bin/tool19' and 5 more\)") as caught:
        select_member(members, "myapp", path.name)
    assert len(caught.value.details["candidates"]) == 20


def test_duplicate_member_is_ambiguous(tmp_path, elf_bytes):
    path = tmp_path / "dup.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "myapp", elf_bytes, 0o755)
        add_file(archive, "./myapp", b"\x7fELF other", 0o755)
    with open_archive(path, "tar.gz", path.name) as handle:
        members = list_members(handle, "tar.gz", path.name)
    with pytest.raises(ArtifactError, match=r"holds 'myapp' 2 times"):
        select_member(members, "myapp", path.name)


def test_gzip_that_is_not_a_tar_is_reported(tmp_path):
    path = tmp_path / "myapp.tar.gz"
    path.write_bytes(subprocess.run(["gzip", "-c", ELF], check=True, capture_output=True).stdout)
    with pytest.raises(ArtifactError, match=r"as a gzip-compressed tar archive failed"):  # noqa: SIM117
        with open_archive(path, "tar.gz", path.name) as handle:
            list_members(handle, "tar.gz", path.name)


# --------------------------------------------------------------------------
# resolve_artifact
# --------------------------------------------------------------------------


def test_extracted_size_is_capped(release, tmp_path):
    args = params(
        tmp_path / "cache",
        src=str(release / "myapp_1.2.3_linux_amd64.tar.gz"),
        checksums_src=str(release / "checksums.txt"),
        archive_member="myapp",
    )
    size = os.path.getsize(ELF)
    with pytest.raises(ArtifactError, match=rf"member 'myapp' is {size} bytes, more than the 1000 byte limit"):
        resolve_artifact(args, max_binary_bytes=1000)
    assert os.listdir(tmp_path / "cache" / sha256sum(release / "myapp_1.2.3_linux_amd64.tar.gz") / "bin") == []
    assert resolve_artifact(args, max_binary_bytes=size)["binary_size"] == size


def test_extracted_member_must_be_elf(release, tmp_path):
    args = params(
        tmp_path / "cache",
        src=str(release / "myapp_1.2.3_linux_amd64.tar.gz"),
        checksums_src=str(release / "checksums.txt"),
        archive_member="README.md",
    )
    with pytest.raises(
        ArtifactError, match=r"member 'README.md' .* is not an ELF executable \(it starts with b'# my'\)"
    ) as caught:
        resolve_artifact(args)
    assert str(caught.value).endswith("; point archive_member at the Linux binary")


def test_sha512_pin_uses_a_prefixed_key_and_reports_the_sha256(release, tmp_path):
    artifact = release / "myapp_1.2.3_linux_riscv64"
    sha512 = subprocess.run(["sha512sum", str(artifact)], check=True, capture_output=True, text=True).stdout.split()[0]
    result = resolve_artifact(params(tmp_path / "cache", src=str(artifact), checksum=f"sha512:{sha512}"))
    assert result["cache_path"] == str(tmp_path / "cache" / f"sha512-{sha512}")
    assert result["artifact_sha256"] == result["binary_sha256"] == sha256sum(artifact)
    assert result["expected"] == f"sha512:{sha512}"


def test_cache_dir_writable_by_others_is_refused(release, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o775)
    cache.chmod(0o775)
    artifact = release / "myapp_1.2.3_linux_riscv64"
    with pytest.raises(ArtifactError, match=r"writable by other users \(mode 0775\); .* chmod 0700"):
        resolve_artifact(params(cache, src=str(artifact), checksum=sha256sum(artifact)))


def test_relative_cache_dir_is_refused(release):
    artifact = release / "myapp_1.2.3_linux_riscv64"
    with pytest.raises(ArtifactError, match=r"cache_dir 'cache' is not an absolute path"):
        resolve_artifact(params("cache", src=str(artifact), checksum=sha256sum(artifact)))


def test_stale_temporary_files_are_removed(release, tmp_path):
    artifact = release / "myapp_1.2.3_linux_riscv64"
    args = params(tmp_path / "cache", src=str(artifact), checksum=sha256sum(artifact))
    first = resolve_artifact(args)
    leftover = os.path.join(os.path.dirname(first["artifact_path"]), ".tmp-interrupted")
    with open(leftover, "wb") as handle:
        handle.write(b"partial download")
    second = resolve_artifact(args)
    assert not os.path.exists(leftover)
    assert (second["changed"], second["cached"]) == (False, True)


def test_offline_uses_the_stored_checksums_copy(release, tmp_path, server):
    cache = tmp_path / "cache"
    args = params(
        cache,
        url=f"{server.base}/myapp_1.2.3_linux_amd64.tar.gz",
        checksums_url=f"{server.base}/checksums.txt",
        archive_member="myapp",
    )
    online = resolve_artifact(args)
    assert server.hits == {"/checksums.txt": 1, "/myapp_1.2.3_linux_amd64.tar.gz": 1}
    offline = resolve_artifact(dict(args, offline=True))
    assert server.hits == {"/checksums.txt": 1, "/myapp_1.2.3_linux_amd64.tar.gz": 1}
    assert (offline["changed"], offline["cached"]) == (False, True)
    assert offline["binary_sha256"] == online["binary_sha256"]
    with pytest.raises(ArtifactError, match=r"offline is true and checksums_url .* was never fetched"):
        resolve_artifact(dict(args, offline=True, cache_dir=str(tmp_path / "other")))


def test_content_encoding_gzip_is_not_undone(release, tmp_path, server):
    """The digest applies to the bytes the publisher uploaded, even when the server labels them gzip-encoded."""
    name = "myapp_1.2.3_linux_amd64.tar.gz"
    server.gzip_encoded.add(f"/{name}")
    result = resolve_artifact(
        params(
            tmp_path / "cache",
            url=f"{server.base}/{name}",
            checksums_url=f"{server.base}/checksums.txt",
            archive_member="myapp",
        )
    )
    assert result["artifact_sha256"] == sha256sum(release / name)
    assert result["binary_sha256"] == sha256sum(ELF)


def test_cut_short_download_is_reported_and_not_cached(release, tmp_path, server):
    name = "myapp_1.2.3_linux_riscv64"
    server.cut_short.add(f"/{name}")
    size = (release / name).stat().st_size
    args = params(tmp_path / "cache", url=f"{server.base}/{name}", checksum=sha256sum(release / name))
    with pytest.raises(ArtifactError, match=rf"was cut short: {size // 2} of {size} bytes arrived"):
        resolve_artifact(args)
    assert os.listdir(tmp_path / "cache" / sha256sum(release / name) / "artifact") == []


def test_checksums_url_failure_points_at_offline_when_a_copy_exists(release, tmp_path, server):
    args = params(
        tmp_path / "cache", url=f"{server.base}/myapp_1.2.3_linux_riscv64", checksums_url=f"{server.base}/checksums.txt"
    )
    resolve_artifact(args)
    (release / "checksums.txt").unlink()  # the release host loses the file, or the network is gone
    with pytest.raises(ArtifactError, match=r"HTTP status 404.*set offline: true to use it"):
        resolve_artifact(args)
    assert resolve_artifact(dict(args, offline=True))["cached"] is True


def _resolve_in_child(args, barrier):
    """Run in a spawned process: wait for the sibling, then resolve; return the result or the error."""
    barrier.wait(30)
    try:
        return resolve_artifact(args)
    except ArtifactError as exc:  # pragma: no cover - reported by the assertion in the parent
        return {"error": str(exc)}


def test_two_processes_resolve_the_same_artifact_with_one_download(release, tmp_path, server):
    name = "myapp_1.2.3_linux_amd64.tar.gz"
    server.delay[f"/{name}"] = 1.0  # both processes reach the cache before the first download ends
    args = params(
        tmp_path / "cache",
        url=f"{server.base}/{name}",
        checksum=f"sha256:{sha256sum(release / name)}",
        archive_member="myapp",
    )
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(2)
    with context.Pool(2) as pool:
        results = pool.starmap(_resolve_in_child, [(args, barrier), (args, barrier)])
    assert all("error" not in result for result in results), results
    assert server.hits[f"/{name}"] == 1
    assert sorted(result["cached"] for result in results) == [False, True]
    assert sorted(result["changed"] for result in results) == [False, True]
    assert results[0]["binary_sha256"] == results[1]["binary_sha256"] == sha256sum(ELF)


def test_lock_file_is_per_key(release, tmp_path):
    artifact = release / "myapp_1.2.3_linux_riscv64"
    digest = sha256sum(artifact)
    resolve_artifact(params(tmp_path / "cache", src=str(artifact), checksum=digest))
    assert sorted(os.listdir(tmp_path / "cache")) == [f".lock-{digest}", digest]


# --------------------------------------------------------------------------
# Download size cap (max_artifact_bytes)
# --------------------------------------------------------------------------


class Streamer(LocalServer):
    """A real HTTP server on 127.0.0.1 that streams ``total`` bytes, with or without Content-Length.

    Without it the response is HTTP/1.0, delimited by closing the connection: the client cannot know
    the size in advance. ``sent`` counts the bytes the server managed to write before the client hung up.
    """

    def __init__(self, total, declare_length):
        self.sent = 0
        streamer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                if declare_length:
                    self.send_header("Content-Length", str(total))
                self.end_headers()
                chunk = b"\x7fELF" + b"\0" * (64 * 1024 - 4)
                try:
                    while streamer.sent < total:
                        self.wfile.write(chunk)
                        streamer.sent += len(chunk)
                except OSError:  # the client stopped reading and closed the connection
                    pass

        self.serve(Handler, daemon_threads=True)


@pytest.fixture
def streamer(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    started = []

    def _start(total, declare_length=False):
        started.append(Streamer(total, declare_length))
        return started[-1]

    yield _start
    for item in started:
        item.close()


MIB = 1024 * 1024


def test_a_download_without_content_length_stops_at_max_artifact_bytes(tmp_path, streamer):
    server = streamer(64 * MIB)
    url = f"{server.base}/myapp_linux_amd64?X-Amz-Signature=abc123"
    args = params(tmp_path / "cache", url=url, checksum="0" * 64, max_artifact_bytes=MIB)
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(args)
    message = str(caught.value)
    assert message.startswith(f"url {server.base}/myapp_linux_amd64?******** is larger than the {MIB} byte limit")
    assert message.endswith(
        "the download stopped there and what arrived was discarded; if the release file really is that large, "
        "raise max_artifact_bytes"
    )
    assert os.listdir(tmp_path / "cache" / ("0" * 64) / "artifact") == []  # no partial file left
    server.close()
    assert server.sent < 32 * MIB  # the client stopped reading long before the end


def test_a_declared_content_length_over_max_artifact_bytes_is_not_read(tmp_path, streamer):
    server = streamer(8 * MIB, declare_length=True)
    args = params(tmp_path / "cache", url=f"{server.base}/myapp", checksum="0" * 64, max_artifact_bytes=MIB)
    with pytest.raises(
        ArtifactError,
        match=rf"is larger than the {MIB} byte limit \(Content-Length {8 * MIB}\); nothing was downloaded; if the",
    ):
        resolve_artifact(args)
    assert os.listdir(tmp_path / "cache" / ("0" * 64) / "artifact") == []


def test_the_default_cap_is_2_gib_and_a_response_within_it_is_read(tmp_path, streamer):
    assert ARGUMENT_SPEC["max_artifact_bytes"] == {"type": "int", "default": 2 * 1024 * MIB}
    server = streamer(MIB)
    args = params(tmp_path / "cache", url=f"{server.base}/myapp", checksum="0" * 64)
    with pytest.raises(ArtifactError, match=r"does not match the expected digest.*\(1048576 bytes\)"):
        resolve_artifact(args)  # read in full (no cap reached); then the digest decides


def test_a_src_copy_over_max_artifact_bytes_is_refused(release, tmp_path):
    artifact = release / "myapp_1.2.3_linux_riscv64"
    size = artifact.stat().st_size
    args = params(tmp_path / "cache", src=str(artifact), checksum=sha256sum(artifact), max_artifact_bytes=size - 1)
    with pytest.raises(
        ArtifactError,
        match=rf"src {artifact} is larger than the {size - 1} byte limit; the partial copy was discarded; ",
    ):
        resolve_artifact(args)
    assert os.listdir(tmp_path / "cache" / sha256sum(artifact) / "artifact") == []
    assert resolve_artifact(dict(args, max_artifact_bytes=size))["artifact_size"] == size


@pytest.mark.parametrize("limit", [0, -1])
def test_max_artifact_bytes_must_be_positive(tmp_path, limit):
    with pytest.raises(ArtifactError, match=rf"max_artifact_bytes must be a positive number of bytes, got {limit}"):
        resolve_artifact(params(tmp_path / "cache", src="/bin/true", checksum="0" * 64, max_artifact_bytes=limit))


# --------------------------------------------------------------------------
# Odd member names
# --------------------------------------------------------------------------


def _checksummed(path):
    (path.parent / "checksums.txt").write_text(f"{sha256sum(path)}  {path.name}\n")
    return str(path.parent / "checksums.txt")


def test_a_tar_regular_file_named_with_a_trailing_slash_is_refused_clearly(tmp_path, elf_bytes):
    path = tmp_path / "slash.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "app/", elf_bytes, 0o755)  # a regular file (type '0') whose name ends in '/'
        add_file(archive, "tool", elf_bytes, 0o755)
    args = params(tmp_path / "cache", src=str(path), checksums_src=_checksummed(path), archive_member="app/")
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(args)
    assert str(caught.value).startswith(
        "artifact slash.tar.gz: member 'app/' is a regular file whose name ends in '/', which extraction tools "
        "treat as a directory; it is not extracted."
    )
    assert str(caught.value).endswith(
        "The archive is malformed: ask the publisher for one that names the binary without a trailing '/', "
        "or use the bare binary with url or src"
    )
    assert caught.value.details["candidates"] == ["tool"]
    with pytest.raises(ArtifactError, match=r"member 'app/' is a regular file whose name ends in '/'"):
        resolve_artifact(dict(args, archive_member="app"))
    assert resolve_artifact(dict(args, archive_member="tool"))["binary_sha256"] == sha256sum(ELF)


def test_a_zip_regular_file_named_with_a_trailing_slash_is_refused_clearly(tmp_path, elf_bytes):
    path = tmp_path / "slash.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("app/")
        info.create_system = 3
        info.external_attr = 0o100755 << 16  # a regular file in its Unix mode, a directory by its name
        archive.writestr(info, elf_bytes)
    args = params(tmp_path / "cache", src=str(path), checksums_src=_checksummed(path), archive_member="app")
    with pytest.raises(ArtifactError, match=r"member 'app/' is a regular file whose name ends in '/'"):
        resolve_artifact(args)


@pytest.mark.parametrize("odd", ["", ".", "./"])
def test_a_member_named_empty_or_dot_is_never_a_candidate(tmp_path, elf_bytes, odd):
    path = tmp_path / "odd.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, odd, elf_bytes, 0o755)
        add_file(archive, "bin/myapp", elf_bytes, 0o755)
    with open_archive(path, "tar.gz", path.name) as handle:
        members = list_members(handle, "tar.gz", path.name)
    assert executable_candidates(members) == ["bin/myapp"]
    args = params(tmp_path / "cache", src=str(path), checksums_src=_checksummed(path), archive_member="myapp")
    with pytest.raises(ArtifactError, match=r"did you mean 'bin/myapp'\? \(executables in it: 'bin/myapp'\)"):
        resolve_artifact(args)
    with pytest.raises(ArtifactError, match=r"archive_member '\.' names no file"):
        resolve_artifact(dict(args, archive_member="."))
    assert resolve_artifact(dict(args, archive_member="bin/myapp"))["binary_sha256"] == sha256sum(ELF)


# --------------------------------------------------------------------------
# Member kinds, candidates and the errors that name them
# --------------------------------------------------------------------------


def zip_add(archive, name, data, create_system, mode):
    """Add ``name`` as written on Unix (create_system 3, ``mode`` in the high bits) or elsewhere (0)."""
    info = zipfile.ZipInfo(name)
    info.create_system = create_system
    info.external_attr = mode << 16
    archive.writestr(info, data)


def members_of(path, fmt):
    with open_archive(path, fmt, path.name) as handle:
        return list_members(handle, fmt, path.name)


@pytest.fixture
def mixed_zip(tmp_path, elf_bytes):
    """A zip whose members were written by Unix and non-Unix tools: files, directories and a device."""
    path = tmp_path / "mixed.zip"
    with zipfile.ZipFile(path, "w") as archive:
        zip_add(archive, "unix/tool", elf_bytes, 3, 0o755)  # permission bits only, no file type bits
        zip_add(archive, "unix/data", b"data", 3, 0o644)
        zip_add(archive, "win/helper", b"MZ", 0, 0o755)  # bits from a non-Unix tool mean nothing
        zip_add(archive, "typed/app", elf_bytes, 3, stat.S_IFREG | 0o755)
        zip_add(archive, "bin/", b"", 3, stat.S_IFDIR | 0o755)
        zip_add(archive, "windir/", b"", 0, 0)
        zip_add(archive, "dev", b"", 3, stat.S_IFCHR | 0o644)
    return path


def test_zip_execute_bits_count_only_from_unix_tools(mixed_zip):
    """Only members a Unix tool marked executable (with or without file type bits) are candidates."""
    members = members_of(mixed_zip, "zip")
    assert executable_candidates(members) == ["typed/app", "unix/tool"]
    assert select_member(members, "unix/tool", mixed_zip.name).raw_name == "unix/tool"
    assert select_member(members, "win/helper", mixed_zip.name).raw_name == "win/helper"


@pytest.mark.parametrize(
    ("wanted", "shown", "kind"),
    [("bin", "bin/", "a directory"), ("windir", "windir/", "a directory"), ("dev", "dev", "a device")],
)
def test_zip_member_that_is_not_a_file_is_named_for_what_it_is(mixed_zip, wanted, shown, kind):
    """Selecting a zip directory or device says which it is and lists the executables instead."""
    with pytest.raises(ArtifactError) as caught:
        select_member(members_of(mixed_zip, "zip"), wanted, mixed_zip.name)
    assert str(caught.value) == (
        f"artifact mixed.zip: member {shown!r} is {kind}; only a regular file is extracted "
        "(executables in it: 'typed/app', 'unix/tool')"
    )


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        (tarfile.DIRTYPE, "a directory"),
        (tarfile.CHRTYPE, "a device"),
        (tarfile.BLKTYPE, "a device"),
        (tarfile.FIFOTYPE, "a device"),
        (b"Z", "not a regular file"),
    ],
)
def test_tar_member_that_is_not_a_file_is_named_for_what_it_is(tmp_path, elf_bytes, kind, shown):
    """Selecting a tar directory, device, fifo or unknown entry type names it and extracts nothing."""
    path = tmp_path / "kinds.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("target")
        info.type = kind
        archive.addfile(info)
        add_file(archive, "tool", elf_bytes, 0o755)
    with pytest.raises(ArtifactError) as caught:
        select_member(members_of(path, "tar.gz"), "target", path.name)
    assert str(caught.value) == (
        f"artifact kinds.tar.gz: member 'target' is {shown}; only a regular file is extracted "
        "(executables in it: 'tool')"
    )


def test_without_execute_bits_candidates_are_files_without_an_extension_except_docs(tmp_path):
    """With no execute bit anywhere, extension-less files are candidates, but never licence or readme files."""
    path = tmp_path / "plain.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name in ("LICENSE", "Licence", "README", "CHANGELOG", "NOTICE", "COPYING", "AUTHORS", "app.txt", "myapp"):
            add_file(archive, f"dist/{name}", b"x")
    assert executable_candidates(members_of(path, "tar.gz")) == ["dist/myapp"]


def test_execute_bits_win_over_extension_less_names(tmp_path):
    """When some member has an execute bit, only such members are candidates."""
    path = tmp_path / "bits.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "data", b"x")
        add_file(archive, "tool", b"x", 0o755)
    assert executable_candidates(members_of(path, "tar.gz")) == ["tool"]


def test_missing_member_without_a_similar_name_gives_the_fix_and_no_hint(tmp_path, elf_bytes):
    """A missing member with no same-named file elsewhere gets no 'did you mean', and the fix."""
    path = tmp_path / "one.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "tool", elf_bytes, 0o755)
    with pytest.raises(ArtifactError) as caught:
        select_member(members_of(path, "tar.gz"), "myapp", path.name)
    assert str(caught.value) == (
        "artifact one.tar.gz has no member 'myapp' (executables in it: 'tool'); "
        "set archive_member to the path of the binary inside the archive"
    )


def test_missing_member_lists_every_similar_path(tmp_path, elf_bytes):
    """Every member with the wanted base name is suggested, and every candidate is listed."""
    path = tmp_path / "two.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "a/myapp", elf_bytes, 0o755)
        add_file(archive, "b/myapp", elf_bytes, 0o755)
    with pytest.raises(ArtifactError, match=r"did you mean 'a/myapp', 'b/myapp'\? \(executables in it: 'a/myapp', "):
        select_member(members_of(path, "tar.gz"), "myapp", path.name)


def test_an_archive_without_executables_says_so(tmp_path):
    """An archive with no candidate says it has none, instead of an empty list."""
    path = tmp_path / "docs.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "README.md", b"x")
    with pytest.raises(ArtifactError, match=r"\(it has no member that looks like an executable\); set archive_member"):
        select_member(members_of(path, "tar.gz"), "myapp", path.name)


def test_exactly_twenty_candidates_are_all_listed_with_no_more(tmp_path):
    """Twenty candidates fit the list: no 'and 0 more'."""
    path = tmp_path / "twenty.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for index in range(20):
            add_file(archive, f"bin/tool{index:02d}", b"x", 0o755)
    with pytest.raises(ArtifactError) as caught:
        select_member(members_of(path, "tar.gz"), "myapp", path.name)
    assert "'bin/tool18', 'bin/tool19'); set archive_member" in str(caught.value)


def test_duplicate_member_message_says_it_is_refused(tmp_path, elf_bytes):
    """An archive holding the wanted name twice is refused as ambiguous."""
    path = tmp_path / "dup.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "myapp", elf_bytes, 0o755)
        add_file(archive, "./myapp", elf_bytes, 0o755)
    with pytest.raises(ArtifactError, match=r"an archive with duplicate names is ambiguous and is refused$"):
        select_member(members_of(path, "tar.gz"), "myapp", path.name)


def test_an_unreadable_zip_is_reported_as_a_zip(tmp_path):
    """A zip that cannot be read is named as a zip, and the message says the publisher's file is at fault."""
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 64)
    with pytest.raises(ArtifactError) as caught:  # noqa: SIM117
        with open_archive(path, "zip", path.name) as handle:
            list_members(handle, "zip", path.name)
    message = str(caught.value)
    assert message.startswith("reading artifact broken.zip as a zip archive failed: ")
    assert message.endswith(
        "the file matched its digest, so the publisher's archive itself is unreadable "
        "(a plain .gz binary, for example, is not supported)"
    )


# --------------------------------------------------------------------------
# src copies
# --------------------------------------------------------------------------


def _copy_args(tmp_path, src, digest="0" * 64):
    return params(tmp_path / "cache", src=str(src), checksum=digest)


def test_src_that_is_a_device_is_refused(tmp_path):
    """A src that is not a regular file is refused with the fix."""
    with pytest.raises(
        ArtifactError, match=r"^src /dev/null is not a regular file; give the path of the release file$"
    ):
        resolve_artifact(_copy_args(tmp_path, "/dev/null"))


def test_src_that_is_a_directory_is_refused(tmp_path):
    """A src that is a directory is refused with the fix."""
    folder = tmp_path / "myapp"
    folder.mkdir()
    with pytest.raises(ArtifactError, match=rf"^src {folder} is a directory; give the path of the release file$"):
        resolve_artifact(_copy_args(tmp_path, folder))


def _unreadable(tmp_path):
    if os.geteuid() != 0:
        path = tmp_path / "myapp"
        path.write_bytes(b"\x7fELF")
        path.chmod(0)
        return path
    if os.path.exists("/proc/sys/vm/compact_memory"):  # write-only, even for root
        return "/proc/sys/vm/compact_memory"
    pytest.skip("no file here that root cannot read")


def test_src_that_cannot_be_read_is_named(tmp_path):
    """A src the user may not read is named, with the reason."""
    src = _unreadable(tmp_path)
    with pytest.raises(ArtifactError, match=rf"^src {src} is not readable \(permission denied\)$"):
        resolve_artifact(_copy_args(tmp_path, src))


def test_the_src_size_cap_names_the_option_to_raise(release, tmp_path):
    """A src over max_artifact_bytes names max_artifact_bytes as the fix."""
    artifact = release / "myapp_1.2.3_linux_riscv64"
    with pytest.raises(ArtifactError, match=r"if the release file really is that large, raise max_artifact_bytes$"):
        resolve_artifact(dict(_copy_args(tmp_path, artifact, sha256sum(artifact)), max_artifact_bytes=10))


def test_cached_files_have_fixed_modes(release, tmp_path, server):
    """The cached artifact is 0644 and the binary 0755, whatever the umask, copied or downloaded."""
    artifact = release / "myapp_1.2.3_linux_riscv64"
    copied = resolve_artifact(_copy_args(tmp_path, artifact, sha256sum(artifact)))
    fetched = resolve_artifact(
        params(tmp_path / "fetched", url=f"{server.base}/{artifact.name}", checksum=sha256sum(artifact))
    )
    for result in (copied, fetched):
        assert stat.S_IMODE(os.stat(result["artifact_path"]).st_mode) == 0o644
        assert stat.S_IMODE(os.stat(result["binary_path"]).st_mode) == 0o755


def test_copies_and_downloads_are_staged_in_the_cache_not_the_system_temp_dir(release, tmp_path, server, monkeypatch):
    """Temporary files live next to their final path: an unusable system temp dir does not matter."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-tmp"))
    artifact = release / "myapp_1.2.3_linux_riscv64"
    copied = resolve_artifact(_copy_args(tmp_path, artifact, sha256sum(artifact)))
    assert copied["artifact_sha256"] == sha256sum(artifact)
    fetched = resolve_artifact(
        params(tmp_path / "other", url=f"{server.base}/{artifact.name}", checksums_url=f"{server.base}/checksums.txt")
    )
    assert fetched["binary_sha256"] == sha256sum(artifact)
    archive = release / "myapp_1.2.3_linux_amd64.tar.gz"
    extracted = resolve_artifact(
        params(tmp_path / "third", src=str(archive), checksum=sha256sum(archive), archive_member="myapp")
    )
    assert extracted["binary_sha256"] == sha256sum(ELF)


# --------------------------------------------------------------------------
# Secrets in download errors
# --------------------------------------------------------------------------


class Redirector(LocalServer):
    """A real HTTP server on 127.0.0.1 that answers every GET with a 302 to ``location``."""

    def __init__(self, location):
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.serve(Handler)


def test_credentials_a_redirect_repeats_are_masked_in_the_error(tmp_path, monkeypatch):
    """A refused redirect that repeats the URL's user:password and query shows neither."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = Redirector("gopher://deploy:pa55-r3d1r@mirror.invalid/myapp?sig=s3cr3t-q")
    try:
        url = f"http://deploy:pa55-r3d1r@{server.base[len('http://') :]}/myapp?sig=s3cr3t-q"
        with pytest.raises(ArtifactError) as caught:
            resolve_artifact(params(tmp_path / "cache", url=url, checksum="0" * 64))
    finally:
        server.close()
    assert str(caught.value) == (
        f"downloading url http://********@{server.base[len('http://') :]}/myapp?******** failed: HTTP status 302: "
        "Found - Redirection to url 'gopher://********@mirror.invalid/myapp?********' is not allowed; try again later"
    )


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("\\evil", "an absolute path"),
        ("C:", "an absolute path"),
        ("C:\\evil", "an absolute path"),
        ("..\\evil", "a '..' component"),
        ("bin/../../evil", "a '..' component"),
    ],
)
def test_archive_members_that_climb_out_are_refused(tmp_path, elf_bytes, raw, why):
    """Windows-style absolute names and '..' components in any member refuse the whole archive."""
    path = tmp_path / "hostile.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        add_file(archive, "myapp", elf_bytes, 0o755)
        add_file(archive, raw, b"x")
    with pytest.raises(ArtifactError) as caught:
        check_member_names(members_of(path, "tar.gz"), path.name)
    assert str(caught.value) == (
        f"artifact hostile.tar.gz has a member {raw!r} with {why}; an archive whose members climb out of their "
        "directory is refused as hostile, nothing was extracted (report it to the publisher)"
    )


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_an_archive_with_more_members_than_the_limit_is_refused(tmp_path, monkeypatch, fmt):
    """An archive of exactly MAX_MEMBERS members is read; one more member refuses it, naming the limit."""
    monkeypatch.setattr(_artifact, "MAX_MEMBERS", 3)

    def build(count):
        path = tmp_path / f"a{count}.{fmt}"
        if fmt == "zip":
            with zipfile.ZipFile(path, "w") as archive:
                for index in range(count):
                    zip_add(archive, f"f{index}", b"x", 3, 0o644)
        else:
            with tarfile.open(path, "w:gz") as archive:
                for index in range(count):
                    add_file(archive, f"f{index}", b"x")
        return path

    assert len(members_of(build(3), fmt)) == 3
    with pytest.raises(
        ArtifactError, match=rf"^artifact a4\.{fmt} has more than 3 members; it is not a release archive$"
    ):
        members_of(build(4), fmt)


def test_an_encrypted_zip_member_is_refused(tmp_path, elf_bytes):
    """A zip with an encrypted member (general purpose flag bit 0) is refused, naming the member."""
    path = tmp_path / "locked.zip"
    with zipfile.ZipFile(path, "w") as archive:
        zip_add(archive, "myapp", elf_bytes, 3, 0o755)
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1  # the member's flags in the central directory: encrypted
    path.write_bytes(bytes(data))
    with pytest.raises(
        ArtifactError, match=r"^artifact locked\.zip: member 'myapp' is encrypted; encrypted zips are refused$"
    ):
        members_of(path, "zip")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "\\myapp",
            "archive_member '\\\\myapp' is an absolute path; archive members are relative, "
            "e.g. myapp or myapp_1.2.3_linux_amd64/myapp",
        ),
        (
            "C:",
            "archive_member 'C:' is an absolute path; archive members are relative, "
            "e.g. myapp or myapp_1.2.3_linux_amd64/myapp",
        ),
        ("my\x00app", "archive_member 'my\\x00app' contains a NUL byte; it is not a file name"),
    ],
)
def test_normalize_member_refusals_name_the_input_and_the_fix(given, message):
    """A Windows-absolute or NUL-carrying archive_member is refused, quoting it and saying what is expected."""
    with pytest.raises(ArtifactError) as caught:
        normalize_member(given)
    assert str(caught.value) == message


def test_a_checksums_url_that_fails_is_named_as_checksums_url(tmp_path, server):
    """A failed checksums download names the checksums_url option and its URL."""
    args = params(
        tmp_path / "cache", url=f"{server.base}/myapp_1.2.3_linux_riscv64", checksums_url=f"{server.base}/nope"
    )
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(args)
    assert str(caught.value) == (
        f"downloading checksums_url {server.base}/nope failed: HTTP status 404: File not found; "
        "check the URL and url_headers"
    )


class Silent(LocalServer):
    """A real HTTP server on 127.0.0.1 that reads each request and never answers (until closed)."""

    def __init__(self):
        self.stop = threading.Event()
        silent = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                silent.stop.wait(30)

        self.serve(Handler, daemon_threads=True)

    def close(self):
        self.stop.set()
        super().close()


@pytest.mark.parametrize("option", ["url", "checksums_url"])
def test_a_server_that_never_answers_fails_after_timeout(tmp_path, monkeypatch, option):
    """timeout bounds both downloads: a server that never answers fails the task, naming the option."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    silent = Silent()
    try:
        target = f"{silent.base}/myapp"
        args = params(tmp_path / "cache", url=target, checksum="0" * 64, timeout=0.2)
        if option == "checksums_url":
            args = dict(args, checksum=None, checksums_url=f"{silent.base}/checksums.txt")
            target = f"{silent.base}/checksums.txt"
        started = time.monotonic()
        with pytest.raises(ArtifactError) as caught:
            resolve_artifact(args)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert str(caught.value) == f"downloading {option} {target} failed: timed out"
    assert elapsed < 5  # the 0.2 s given, not the library's default of 10 s


def test_a_checksums_url_over_the_checksums_limit_stops_the_download(tmp_path, streamer):
    """A checksums_url response over 1 MiB is cut off, naming checksums_url, the limit and the fix."""
    server = streamer(4 * MIB)
    args = params(tmp_path / "cache", url=f"{server.base}/myapp", checksums_url=f"{server.base}/checksums.txt")
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(args)
    assert str(caught.value) == (
        f"checksums_url {server.base}/checksums.txt is larger than the {MIB} byte limit; the download stopped "
        "there and what arrived was discarded; check that it is a checksums file"
    )


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    """A certificate and key for 127.0.0.1 that no CA vouches for."""
    return write_self_signed(
        str(tmp_path_factory.mktemp("tls")), "127.0.0.1", datetime.timedelta(days=1), ip="127.0.0.1"
    )


@pytest.fixture
def tls_server(server, self_signed):
    """The release directory served over https with the self-signed certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    server.base = server.base.replace("http://", "https://")
    return server


@pytest.mark.parametrize("option", ["url", "checksums_url"])
def test_validate_certs_refuses_an_untrusted_server_and_can_be_turned_off(release, tmp_path, tls_server, option):
    """Both downloads verify the server's certificate unless validate_certs is false."""
    name = "myapp_1.2.3_linux_riscv64"
    args = params(tmp_path / "cache", url=f"{tls_server.base}/{name}", checksum=sha256sum(release / name))
    if option == "checksums_url":
        args = dict(args, checksum=None, checksums_url=f"{tls_server.base}/checksums.txt")
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(args)
    message = str(caught.value)
    assert message.startswith(f"downloading {option} {tls_server.base}/")
    assert "CERTIFICATE_VERIFY_FAILED" in message
    assert message.endswith("check the host name, the network or proxy settings (validate_certs for a private CA)")
    assert resolve_artifact(dict(args, validate_certs=False))["binary_sha256"] == sha256sum(release / name)


def test_a_checksums_url_copy_is_kept_under_the_hash_of_its_url(release, tmp_path, server):
    """The last checksums file fetched from a URL is kept at <cache_dir>/checksums/<sha256 of URL>/<name>."""
    url = f"{server.base}/checksums.txt"
    args = params(tmp_path / "cache", url=f"{server.base}/myapp_1.2.3_linux_riscv64", checksums_url=url)
    resolve_artifact(args)
    kept = tmp_path / "cache" / "checksums" / hashlib.sha256(url.encode()).hexdigest() / "checksums.txt"
    assert kept.read_bytes() == (release / "checksums.txt").read_bytes()


# --------------------------------------------------------------------------
# resolve_artifact and run: refusals name the input and the fix
# --------------------------------------------------------------------------

BARE = "myapp_1.2.3_linux_riscv64"


def _bare_args(release, tmp_path, **overrides):
    artifact = release / BARE
    return dict(params(tmp_path / "cache", src=str(artifact), checksum=sha256sum(artifact)), **overrides)


def _refusal(args):
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(args)
    return str(caught.value)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "binary_name is empty; give the file name the binary gets, e.g. binary_name: myapp"),
        ("  ", "binary_name is empty; give the file name the binary gets, e.g. binary_name: myapp"),
        (
            "bin/myapp",
            "binary_name 'bin/myapp' is not a plain file name (no '/', '.' or '..'); "
            "give the file name the binary gets, e.g. binary_name: myapp",
        ),
        (
            "my\x00app",
            "binary_name 'my\\x00app' is not a plain file name (no '/', '.' or '..'); "
            "give the file name the binary gets, e.g. binary_name: myapp",
        ),
        (
            "..",
            "binary_name '..' is not a plain file name (no '/', '.' or '..'); "
            "give the file name the binary gets, e.g. binary_name: myapp",
        ),
        (
            ".myapp",
            "binary_name '.myapp' starts with '.', which the cache keeps for its own temporary files; "
            "give the file name the binary gets, e.g. binary_name: myapp",
        ),
    ],
)
def test_binary_name_refusals(release, tmp_path, name, message):
    """A binary_name that is not one visible file name is refused, quoted, with the fix."""
    assert _refusal(_bare_args(release, tmp_path, binary_name=name)) == message


def test_exactly_one_of_url_and_src(release, tmp_path):
    """Giving both url and src, or neither, is refused."""
    both = _bare_args(release, tmp_path, url="https://h.example/myapp")
    assert _refusal(both) == "give exactly one of url and src"
    assert _refusal(dict(both, url=None, src=None)) == "give exactly one of url and src"


def test_src_named_like_a_hidden_file_is_refused(tmp_path, elf_bytes):
    """A src whose file name starts with '.' is refused, naming src."""
    hidden = tmp_path / ".myapp"
    hidden.write_bytes(elf_bytes)
    assert _refusal(params(tmp_path / "cache", src=str(hidden), checksum="0" * 64)) == (
        f"the file name of src {hidden} '.myapp' starts with '.', which the cache keeps for its own temporary "
        "files; give the path of the release file"
    )


@pytest.mark.parametrize(
    ("url", "option", "message"),
    [
        (
            "file:///srv/myapp",
            "url",
            "url 'file:///srv/myapp' is not an http:// or https:// URL; give a release download URL, "
            "or use src for a file on the controller",
        ),
        (
            "file:///srv/checksums.txt",
            "checksums_url",
            "checksums_url 'file:///srv/checksums.txt' is not an http:// or https:// URL; give a release download "
            "URL, or use checksums_src for a file on the controller",
        ),
        (
            "https:///myapp",
            "url",
            "url 'https:///myapp' has no host; give a full URL such as https://example.com/app.tar.gz",
        ),
        (
            "https://h.example/releases/",
            "url",
            "the file name at the end of url 'https://h.example/releases/' is empty; "
            "use a URL whose path ends with the release file name",
        ),
    ],
)
def test_url_refusals(url, option, message):
    """A URL that cannot be a release download is refused, naming the option and the fix."""
    with pytest.raises(ArtifactError) as caught:
        url_file_name(url, option)
    assert str(caught.value) == message


def test_url_scheme_is_case_insensitive():
    """HTTPS:// is as good as https://."""
    assert url_file_name("HTTPS://h.example/dl/myapp", "url") == "myapp"


def test_sniff_format_messages_name_the_artifact_and_what_it_starts_with(tmp_path, release):
    """A file of unknown content, or content that contradicts its name, is refused with its first bytes."""
    text = tmp_path / "notes"
    text.write_bytes(b"hello world")
    with pytest.raises(ArtifactError) as caught:
        sniff_format(text, "myapp")
    assert str(caught.value) == (
        "artifact myapp is neither a gzip-compressed tar, a zip archive nor an ELF binary (it starts with b'hell'); "
        "supported release files are .tar.gz/.tgz, .zip and bare Linux binaries"
    )
    with pytest.raises(ArtifactError) as caught:
        sniff_format(release / "myapp_1.2.3_linux_arm64.zip", "myapp.tgz")
    assert str(caught.value) == (
        "artifact myapp.tgz is named like a tar.gz archive but its content is a zip file (it starts with "
        "b'PK\\x03\\x04'); check that the URL or path points at the release file"
    )


def test_archive_name_without_archive_member_is_refused_with_an_example(release, tmp_path):
    """An archive named as such needs archive_member; the message gives both usual forms."""
    args = params(tmp_path / "cache", src=str(release / "myapp_1.2.3_linux_amd64.tar.gz"), checksum="0" * 64)
    assert _refusal(args) == (
        "artifact myapp_1.2.3_linux_amd64.tar.gz is a tar.gz archive; set archive_member to the path of the binary "
        "inside it (e.g. myapp, or myapp_1.2.3_linux_amd64/myapp when the archive has a top directory)"
    )


def test_archive_content_under_a_plain_name_lists_the_candidates(release, tmp_path):
    """An archive found by content, with no archive_member, is refused listing its executables."""
    download = tmp_path / "download"
    shutil.copy(release / "myapp_1.2.3_linux_amd64.tar.gz", download)
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(params(tmp_path / "cache", src=str(download), checksum=sha256sum(download)))
    assert str(caught.value) == (
        "artifact download is a tar.gz archive; set archive_member to the path of the binary inside it "
        "(executables in it: 'myapp')"
    )
    assert caught.value.details == {"candidates": ["myapp"]}


def test_archive_member_for_a_bare_binary_is_refused(release, tmp_path):
    """archive_member on a bare binary is refused, quoting it."""
    assert _refusal(_bare_args(release, tmp_path, archive_member="myapp")) == (
        f"artifact {BARE} is a bare ELF binary, not an archive; remove archive_member ('myapp')"
    )


def test_a_src_that_does_not_match_names_the_digests_and_removes_the_copy(release, tmp_path):
    """A src copy with the wrong digest names both digests, the size and the fix, and leaves no file."""
    artifact = release / BARE
    wrong = "ab" * 32
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(dict(_bare_args(release, tmp_path), checksum=wrong))
    size = artifact.stat().st_size
    actual = f"sha256:{sha256sum(artifact)}"
    assert str(caught.value) == (
        f"src {artifact} does not match the expected digest: expected sha256:{wrong}, actual {actual} ({size} bytes); "
        f"{artifact} was not used and is left where it is (nothing was cached): it is not the release that was"
        " pinned, or the pinned digest is wrong; put the pinned release there, or correct checksum"
    )
    assert artifact.exists()
    assert caught.value.details == {"expected": f"sha256:{wrong}", "actual": actual, "size": size}
    assert os.listdir(tmp_path / "cache" / wrong / "artifact") == []


def test_offline_with_url_and_nothing_cached_names_the_cache_path(release, tmp_path):
    """offline with a url that was never downloaded fails before any request, naming the cache path."""
    args = _bare_args(release, tmp_path, src=None, url="https://h.example/dl/myapp", offline=True)
    digest = sha256sum(release / BARE)
    assert _refusal(args) == (
        f"offline is true and artifact myapp is not in the cache ({tmp_path / 'cache' / digest / 'artifact' / 'myapp'}"
        "); run once with network access, or use src"
    )


def test_cache_dir_that_is_a_file_or_cannot_be_made(release, tmp_path):
    """A cache_dir that is a file, or under a file, is refused, naming it."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert _refusal(_bare_args(release, tmp_path, cache_dir=str(blocker))) == (
        f"cache_dir {blocker} exists but is not a directory; remove it or choose another"
    )
    assert _refusal(_bare_args(release, tmp_path, cache_dir=str(blocker / "cache"))) == (
        f"cannot create cache_dir {blocker / 'cache'}: Not a directory"
    )


@pytest.mark.parametrize(
    ("mode", "refused"), [(0o700, False), (0o755, False), (0o711, False), (0o720, True), (0o702, True)]
)
def test_cache_dir_group_or_other_write_is_refused(release, tmp_path, mode, refused):
    """Only group or other write permission makes a cache_dir unsafe; a new cache_dir is made 0700."""
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(mode)
    args = _bare_args(release, tmp_path)
    if refused:
        assert _refusal(args) == (
            f"cache_dir {cache} is writable by other users (mode {mode:04o}); they could replace verified files: "
            f"run chmod 0700 {cache}"
        )
    else:
        assert resolve_artifact(args)["cached"] is False
    fresh = tmp_path / "fresh" / "cache"
    resolve_artifact(dict(args, cache_dir=str(fresh)))
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700


def test_a_cache_entry_that_is_a_symlink_is_refused(release, tmp_path):
    """A cache entry directory replaced by a symbolic link is refused, not followed."""
    args = _bare_args(release, tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    entry = cache / sha256sum(release / BARE)
    entry.symlink_to(elsewhere)
    assert _refusal(args) == f"cache path {entry} exists but is not a directory; remove it"


def test_a_cached_artifact_that_is_a_directory_is_refused(release, tmp_path):
    """A directory where the cached artifact belongs is reported, not removed."""
    args = _bare_args(release, tmp_path)
    first = resolve_artifact(args)
    os.unlink(first["artifact_path"])
    os.mkdir(first["artifact_path"])
    assert _refusal(args) == f"cache path {first['artifact_path']} is a directory; remove it"


def test_a_cached_artifact_that_changed_or_is_a_symlink_is_replaced_with_a_warning(release, tmp_path):
    """A cached artifact that no longer matches, or is not a regular file, is replaced and the run warns."""
    args = _bare_args(release, tmp_path)
    first = resolve_artifact(args)
    path = first["artifact_path"]
    with open(path, "ab") as handle:
        handle.write(b"\0")
    again = resolve_artifact(args)
    assert (again["changed"], again["cached"]) == (True, False)
    assert len(again["warnings"]) == 1
    assert again["warnings"][0].startswith("discarded the cached artifact, ")
    assert again["warnings"][0].endswith("; it is copied again from src")
    os.unlink(path)
    os.symlink(release / BARE, path)
    third = resolve_artifact(args)
    assert third["warnings"] == [
        f"discarded the cached artifact, {path} is not a regular file; it is copied again from src"
    ]
    assert not os.path.islink(path) and sha256sum(path) == sha256sum(release / BARE)


def test_run_reports_an_os_error_with_its_file(release, tmp_path):
    """An operating system error fails the task naming the file, without a traceback."""
    args = _bare_args(release, tmp_path, cache_dir="/proc/self")
    result = _artifact.run(args)
    digest = sha256sum(release / BARE)
    assert result == {
        "failed": True,
        "msg": f"Resolving the Go release artifact {release / BARE}: /proc/self/.lock-{digest}: "
        "No such file or directory",
        "changed": False,
        "source": str(release / BARE),
        "warnings": [],
    }


def test_run_masks_the_url_in_its_message_and_keeps_the_details(tmp_path, server):
    """A failed run names the url without its secrets and returns the error's details."""
    url = f"{server.base.replace('http://', 'http://u:pa55@')}/missing?sig=s3cret"
    result = _artifact.run(params(tmp_path / "cache", url=url, checksum="0" * 64))
    shown = f"{server.base.replace('http://', 'http://********@')}/missing?********"
    assert result == {
        "failed": True,
        "msg": f"Resolving the Go release artifact {shown}: downloading url {shown} failed: HTTP status 404: "
        "File not found; check the URL and url_headers",
        "changed": False,
        "source": shown,
        "warnings": [],
        "status": 404,
    }


def test_checksums_copies_are_0644_and_a_changed_checksums_file_is_a_change(release, tmp_path, server):
    """Both kept copies of a checksums file are 0644; a re-published checksums file alone makes the run changed."""
    url = f"{server.base}/checksums.txt"
    args = params(tmp_path / "cache", url=f"{server.base}/{BARE}", checksums_url=url)
    first = resolve_artifact(args)
    kept = tmp_path / "cache" / "checksums" / hashlib.sha256(url.encode()).hexdigest() / "checksums.txt"
    for path in (first["checksums_path"], kept):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    with open(release / "checksums.txt", "a") as handle:
        handle.write(f"{'0' * 64}  myapp_1.2.4_linux_riscv64\n")  # the publisher adds a line
    again = resolve_artifact(args)
    assert (again["changed"], again["cached"]) == (True, True)
    assert sha256sum(again["checksums_path"]) == sha256sum(release / "checksums.txt")
    assert resolve_artifact(args)["changed"] is False


class StatusServer(LocalServer):
    """A real HTTP server on 127.0.0.1 answering every GET with ``status`` and a short body."""

    def __init__(self, status):
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_error(status)

        self.serve(Handler)


@pytest.mark.parametrize(
    ("status", "reason", "hint"),
    [
        (401, "Unauthorized", "check the URL and url_headers"),
        (403, "Forbidden", "check the URL and url_headers"),
        (500, "Internal Server Error", "try again later"),
        (503, "Service Unavailable", "try again later"),
    ],
)
def test_http_errors_say_whether_to_fix_the_request_or_wait(tmp_path, monkeypatch, status, reason, hint):
    """4xx access errors point at the URL and headers, server errors at trying later; the status is returned."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = StatusServer(status)
    try:
        with pytest.raises(ArtifactError) as caught:
            resolve_artifact(params(tmp_path / "cache", url=f"{server.base}/myapp", checksum="0" * 64))
    finally:
        server.close()
    assert str(caught.value) == f"downloading url {server.base}/myapp failed: HTTP status {status}: {reason}; {hint}"
    assert caught.value.details == {"status": status}


def test_a_refused_connection_names_the_url_and_what_to_check(tmp_path, monkeypatch):
    """A download that cannot connect names the URL and points at host, network, proxy and validate_certs."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = StatusServer(500)
    base = server.base
    server.close()  # nothing listens there any more
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(params(tmp_path / "cache", url=f"{base}/myapp", checksum="0" * 64))
    assert str(caught.value) == (
        f"downloading url {base}/myapp failed: [Errno 111] Connection refused; check the host name, the network or "
        "proxy settings (validate_certs for a private CA)"
    )


def test_a_failed_checksums_url_with_a_cached_copy_keeps_the_error_and_its_status(release, tmp_path, server):
    """When checksums_url fails but an earlier copy exists, the error says so and keeps the HTTP status."""
    args = params(tmp_path / "cache", url=f"{server.base}/{BARE}", checksums_url=f"{server.base}/checksums.txt")
    resolve_artifact(args)
    (release / "checksums.txt").unlink()
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(args)
    assert str(caught.value) == (
        f"downloading checksums_url {server.base}/checksums.txt failed: HTTP status 404: File not found; check the URL "
        "and url_headers; a copy fetched by an earlier run is in the cache, set offline: true to use it"
    )
    assert caught.value.details == {"status": 404}


def test_offline_checksums_copy_is_named_in_a_digest_mismatch(release, tmp_path, server, elf_bytes):
    """Offline, the expected digest comes from the cached checksums copy, and a mismatch names that copy and line."""
    url = f"{server.base}/checksums.txt"
    first = resolve_artifact(params(tmp_path / "cache", url=f"{server.base}/{BARE}", checksums_url=url))
    os.unlink(first["artifact_path"])
    impostor = tmp_path / "staging" / BARE
    impostor.parent.mkdir()
    impostor.write_bytes(elf_bytes + b"\0")
    args = params(tmp_path / "cache", src=str(impostor), checksums_url=url, offline=True)
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(args)
    stored = tmp_path / "cache" / "checksums" / hashlib.sha256(url.encode()).hexdigest() / "checksums.txt"
    line = next(
        number
        for number, text in enumerate((release / "checksums.txt").read_text().splitlines(), 1)
        if text.endswith(f"  {BARE}")
    )
    assert (
        f"(expected digest from checksums_url {url} (cached copy {stored}, offline) line {line}); {impostor} was not"
        " used and is left where it is (nothing was cached): it is not the release that was pinned, or the pinned"
        " digest is wrong; put the pinned release there, or correct checksums_entry or the checksums file"
        in str(caught.value)
    )
    assert impostor.read_bytes() == elf_bytes + b"\0"


def test_a_hidden_checksums_src_name_is_refused(release, tmp_path):
    """A checksums_src whose file name starts with '.' is refused, naming checksums_src."""
    hidden = tmp_path / ".sums"
    shutil.copy(release / "checksums.txt", hidden)
    args = dict(_bare_args(release, tmp_path), checksum=None, checksums_src=str(hidden))
    assert _refusal(args) == (
        f"the file name of checksums_src {hidden} '.sums' starts with '.', which the cache keeps for its own "
        "temporary files; give the checksums file path"
    )


def test_a_download_of_exactly_max_artifact_bytes_is_read(tmp_path, streamer):
    """A response without Content-Length of exactly max_artifact_bytes is read in full (then the digest decides)."""
    server = streamer(MIB)
    args = params(tmp_path / "cache", url=f"{server.base}/myapp", checksum="0" * 64, max_artifact_bytes=MIB)
    with pytest.raises(ArtifactError, match=rf"does not match the expected digest.*\({MIB} bytes\)"):
        resolve_artifact(args)


def test_run_reports_an_os_error_without_a_file_name(tmp_path):
    """An operating system error that names no file (a read that fails) still fails the task cleanly."""
    if not os.path.exists("/proc/self/mem"):
        pytest.skip("needs /proc/self/mem")
    result = _artifact.run(params(tmp_path / "cache", src="/proc/self/mem", checksum="0" * 64))
    assert result == {
        "failed": True,
        "msg": "Resolving the Go release artifact /proc/self/mem: Input/output error",
        "changed": False,
        "source": "/proc/self/mem",
        "warnings": [],
    }


def test_a_cached_binary_with_other_permissions_or_as_a_symlink_is_put_back(release, tmp_path):
    """The cached binary is rewritten when it is not a 0755 regular file, even when its bytes are right."""
    args = _bare_args(release, tmp_path)
    first = resolve_artifact(args)
    binary = first["binary_path"]
    os.chmod(binary, 0o700)
    again = resolve_artifact(args)
    assert (again["changed"], again["cached"]) == (True, True)
    assert stat.S_IMODE(os.stat(binary).st_mode) == 0o755
    os.unlink(binary)
    os.symlink(release / BARE, binary)
    third = resolve_artifact(args)
    assert third["changed"] is True and not os.path.islink(binary)
    assert resolve_artifact(args)["changed"] is False


def test_the_lock_file_is_private_and_never_a_symlink(release, tmp_path):
    """The per-key lock file is created 0600, and a symbolic link in its place fails the run instead of being used."""
    args = _bare_args(release, tmp_path)
    digest = sha256sum(release / BARE)
    resolve_artifact(args)
    lock = tmp_path / "cache" / f".lock-{digest}"
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    lock.unlink()
    lock.symlink_to(tmp_path / "elsewhere")
    result = _artifact.run(args)
    assert result["failed"] is True
    assert result["msg"] == (
        f"Resolving the Go release artifact {release / BARE}: {lock}: Too many levels of symbolic links"
    )
    assert not (tmp_path / "elsewhere").exists()


def test_only_temporary_files_are_cleaned_from_the_cache(release, tmp_path):
    """Cleaning an entry removes leftover .tmp- files and nothing else."""
    args = _bare_args(release, tmp_path)
    first = resolve_artifact(args)
    directory = os.path.dirname(first["artifact_path"])
    for name in (".tmp-left", "notes.txt"):
        with open(os.path.join(directory, name), "w") as handle:
            handle.write("x")
    resolve_artifact(args)
    assert sorted(os.listdir(directory)) == sorted([BARE, "notes.txt"])


def test_a_binary_over_one_read_chunk_is_counted_whole(tmp_path, elf_bytes):
    """binary_size counts every byte of a binary larger than one 1 MiB read."""
    big = tmp_path / "myapp"
    big.write_bytes(elf_bytes + b"\0" * (3 * MIB))
    result = resolve_artifact(params(tmp_path / "cache", src=str(big), checksum=sha256sum(big)))
    assert result["binary_size"] == result["artifact_size"] == big.stat().st_size
    assert result["binary_sha256"] == sha256sum(big)


@pytest.mark.parametrize("problem", ["climbs", "unreadable", "encrypted"])
def test_archive_refusals_name_the_artifact(tmp_path, elf_bytes, problem):
    """Refusing a hostile, unreadable or encrypted archive names the artifact file."""
    if problem == "climbs":
        path = tmp_path / "evil.tar.gz"
        with tarfile.open(path, "w:gz") as archive:
            add_file(archive, "myapp", elf_bytes, 0o755)
            add_file(archive, "../evil", b"x")
        expected = "artifact evil.tar.gz has a member '../evil' with a '..' component"
    elif problem == "unreadable":
        path = tmp_path / "broken.zip"
        path.write_bytes(b"PK\x03\x04" + b"\0" * 64)
        expected = "reading artifact broken.zip as a zip archive failed: "
    else:
        path = tmp_path / "locked.zip"
        with zipfile.ZipFile(path, "w") as archive:
            zip_add(archive, "myapp", elf_bytes, 3, 0o755)
        data = bytearray(path.read_bytes())
        data[data.index(b"PK\x01\x02") + 8] |= 0x1
        path.write_bytes(bytes(data))
        expected = "artifact locked.zip: member 'myapp' is encrypted"
    args = params(tmp_path / "cache", src=str(path), checksum=sha256sum(path), archive_member="myapp")
    assert _refusal(args).startswith(expected)


def test_a_url_the_http_client_refuses_is_named_without_its_secrets(tmp_path, monkeypatch):
    """A URL http.client refuses (a space in its query) fails with the client's reason, the query still masked."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    url = "http://u:pa55@127.0.0.1:1/myapp?sig=s3 cret"
    with pytest.raises(ArtifactError) as caught:
        resolve_artifact(params(tmp_path / "cache", url=url, checksum="0" * 64))
    assert str(caught.value) == (
        "downloading url http://********@127.0.0.1:1/myapp?******** failed: URL can't contain control characters. "
        "'/myapp?********' (found at least ' ')"
    )


def test_a_download_in_progress_is_a_tmp_file_that_cleanup_recognises(tmp_path, monkeypatch):
    """While a download runs, its partial file is a '.tmp-' file in the entry (what an interrupted run leaves)."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    requested, release = threading.Event(), threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            requested.set()
            release.wait(10)
            self.send_error(404)

    server = LocalServer()
    server.serve(Handler)
    errors = []

    def download():
        try:
            resolve_artifact(params(tmp_path / "cache", url=f"{server.base}/myapp", checksum="0" * 64))
        except ArtifactError as exc:
            errors.append(str(exc))

    worker = threading.Thread(target=download)
    worker.start()
    try:
        assert requested.wait(10)
        partial = os.listdir(tmp_path / "cache" / ("0" * 64) / "artifact")
    finally:
        release.set()
        worker.join(10)
        server.close()
    assert len(partial) == 1 and partial[0].startswith(".tmp-")
    assert errors and "HTTP status 404" in errors[0]
    assert os.listdir(tmp_path / "cache" / ("0" * 64) / "artifact") == []


def test_the_discard_warning_says_why(release, tmp_path):
    """The warning for a replaced cached artifact carries the digest check's own reason."""
    args = _bare_args(release, tmp_path)
    first = resolve_artifact(args)
    with open(first["artifact_path"], "ab") as handle:
        handle.write(b"\0")
    warning = resolve_artifact(args)["warnings"][0]
    assert "sha256" in warning and first["artifact_path"] in warning


def test_cache_entry_directories_are_private(release, tmp_path):
    """Every directory of a cache entry is created 0700."""
    result = resolve_artifact(_bare_args(release, tmp_path))
    for path in (
        result["cache_path"],
        os.path.dirname(result["artifact_path"]),
        os.path.dirname(result["binary_path"]),
    ):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


def test_a_download_that_does_not_match_says_the_download_was_removed(release, tmp_path, server):
    """A url whose bytes do not match says the download (not a copy) was discarded."""
    args = params(tmp_path / "cache", url=f"{server.base}/{BARE}", checksum="ab" * 32)
    assert ("; the download was discarded: it is corrupt, truncated or not the release that was pinned") in _refusal(
        args
    )


def test_checksums_option_refusals_in_full(release, tmp_path):
    """checksums_entry with checksum, a checksums_url without a file name, and offline without a copy are refused."""
    base = _bare_args(release, tmp_path)
    assert _refusal(dict(base, checksums_entry=BARE)) == (
        "checksums_entry is only used with checksums_url or checksums_src; remove it when checksum pins the digest"
    )
    assert _refusal(dict(base, checksum=None, checksums_url="https://h.example/sums/")) == (
        "the file name at the end of checksums_url 'https://h.example/sums/' is empty; "
        "use a URL whose path ends with the release file name"
    )
    url = "https://h.example/checksums.txt"
    message = _refusal(dict(base, checksum=None, checksums_url=url, offline=True))
    assert message.startswith(f"offline is true and checksums_url {url} was never fetched into the cache (")
    assert message.endswith("); run once with network access, or pin the digest with checksum")
