# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/_artifact.py.

The archives are real: built here with tarfile, zipfile and the Info-ZIP ``zip`` tool
around a real ELF executable (/bin/true); expected digests come from ``sha256sum``.
Downloads go to a real http.server on 127.0.0.1 that counts the requests it serves.
"""

from __future__ import annotations

import functools
import http.server
import io
import multiprocessing
import os
import shutil
import subprocess
import tarfile
import threading
import time
import zipfile
from collections import Counter

import pytest

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


class LocalServer:
    """An HTTP server on 127.0.0.1 in a thread: ``serve(handler)`` starts it, ``close()`` stops it."""

    def serve(self, handler, daemon_threads=False):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = daemon_threads
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


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
    ):
        resolve_artifact(args)


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
