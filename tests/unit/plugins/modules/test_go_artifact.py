# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the go_artifact module, run through the real AnsibleModule.

The release is built here the way goreleaser lays it out: archives made with tarfile and
zipfile around a real ELF executable (/bin/true), a bare binary, and a checksums.txt
written by ``sha256sum``. URLs are served by a real http.server on 127.0.0.1 that counts
the requests, which proves when the cache is used without network access.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import shutil
import stat
import subprocess
import tarfile
import threading
import zipfile
from collections import Counter

import pytest

from ansible_collections.gosvc.hardening.plugins.modules import go_artifact

ELF = "/bin/true"
TGZ = "myapp_1.2.3_linux_amd64.tar.gz"
ZIP = "myapp_1.2.3_linux_arm64.zip"
BARE = "myapp_1.2.3_linux_riscv64"

pytestmark = pytest.mark.skipif(
    not os.path.exists(ELF) or shutil.which("sha256sum") is None, reason="needs /bin/true and sha256sum"
)


def sha256sum(path):
    return subprocess.run(["sha256sum", "--", str(path)], check=True, capture_output=True, text=True).stdout.split()[0]


def tar_add(archive, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    archive.addfile(info, io.BytesIO(data))


def line_of(directory, name):
    """The line of ``name`` in the checksums.txt that sha256sum wrote."""
    lines = (directory / "checksums.txt").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.split("  ", 1)[1] == name)


def write_checksums(directory):
    names = sorted(p.name for p in directory.iterdir() if p.name != "checksums.txt")
    out = subprocess.run(["sha256sum", *names], cwd=directory, check=True, capture_output=True, text=True).stdout
    (directory / "checksums.txt").write_text(out)


@pytest.fixture
def release(tmp_path):
    """goreleaser-shaped release: tar.gz (files at the top), zip (wrapped in a directory), bare binary."""
    dist = tmp_path / "dist"
    dist.mkdir()
    with open(ELF, "rb") as handle:
        elf = handle.read()
    with tarfile.open(dist / TGZ, "w:gz") as archive:
        tar_add(archive, "LICENSE", b"MIT\n")
        tar_add(archive, "README.md", b"# myapp\n")
        tar_add(archive, "myapp", elf, 0o755)
    with zipfile.ZipFile(dist / ZIP, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("myapp_1.2.3_linux_arm64/myapp")
        info.create_system = 3
        info.external_attr = (stat.S_IFREG | 0o755) << 16
        archive.writestr(info, elf)
        archive.writestr("myapp_1.2.3_linux_arm64/LICENSE", b"MIT\n")
    shutil.copy(ELF, dist / BARE)
    write_checksums(dist)
    return dist


@pytest.fixture
def server(release, monkeypatch):
    """Serve the release directory on 127.0.0.1.

    ``hits`` counts GETs per path, ``seen_headers`` records (path, headers), ``redirects`` maps a path to a
    Location answered with 302.
    """
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    hits = Counter()
    headers = []
    redirects = {}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            hits[self.path] += 1
            headers.append((self.path, dict(self.headers)))
            if self.path in redirects:
                self.send_response(302)
                self.send_header("Location", redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(release)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    httpd.hits = hits
    httpd.seen_headers = headers
    httpd.redirects = redirects
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def ok(result):
    assert result.get("failed") is not True, result
    return result


def test_goreleaser_tar_gz_with_checksums_url_then_cache_hit(run_module, release, server, cache):
    args = {
        "url": f"{server.base}/{TGZ}",
        "checksums_url": f"{server.base}/checksums.txt",
        "archive_member": "myapp",
        "binary_name": "myapp",
        "cache_dir": str(cache),
    }
    first = ok(run_module(go_artifact, args))
    digest = sha256sum(release / TGZ)
    entry = cache / digest
    assert first["changed"] is True
    assert first["cached"] is False
    assert first["source"] == f"{server.base}/{TGZ}"
    assert first["artifact_path"] == str(entry / "artifact" / TGZ)
    assert first["artifact_sha256"] == digest
    assert first["artifact_size"] == (release / TGZ).stat().st_size
    assert first["binary_path"] == str(entry / "bin" / "myapp")
    assert first["binary_sha256"] == sha256sum(ELF) == sha256sum(entry / "bin" / "myapp")
    assert first["binary_size"] == os.path.getsize(ELF)
    assert stat.S_IMODE(os.stat(first["binary_path"]).st_mode) == 0o755
    assert (first["archive_format"], first["archive_member"]) == ("tar.gz", "myapp")
    assert first["checksums_path"] == str(entry / "checksums" / "checksums.txt")
    assert (entry / "checksums" / "checksums.txt").read_bytes() == (release / "checksums.txt").read_bytes()
    assert first["checksums_entry"] == {"name": TGZ, "line": line_of(release, TGZ), "format": "gnu"}
    assert server.hits == {"/checksums.txt": 1, f"/{TGZ}": 1}

    second = ok(run_module(go_artifact, args))
    assert (second["changed"], second["cached"]) == (False, True)
    assert second["binary_sha256"] == first["binary_sha256"]
    # The checksums file is fetched again (re-published releases are noticed); the artifact is not.
    assert server.hits == {"/checksums.txt": 2, f"/{TGZ}": 1}


def test_pinned_digest_cache_hit_needs_no_network(run_module, release, server, cache):
    args = {
        "url": f"{server.base}/{TGZ}",
        "checksum": f"sha256:{sha256sum(release / TGZ)}",
        "archive_member": "./myapp",
        "binary_name": "myapp",
        "cache_dir": str(cache),
    }
    ok(run_module(go_artifact, args))
    assert sum(server.hits.values()) == 1
    again = ok(run_module(go_artifact, args))
    assert sum(server.hits.values()) == 1
    assert (again["changed"], again["cached"], again["checksums_path"], again["checksums_entry"]) == (
        False,
        True,
        None,
        None,
    )


def test_offline_after_a_first_fetch_makes_no_request(run_module, release, server, cache):
    args = {
        "url": f"{server.base}/{TGZ}",
        "checksums_url": f"{server.base}/checksums.txt",
        "archive_member": "myapp",
        "binary_name": "myapp",
        "cache_dir": str(cache),
    }
    ok(run_module(go_artifact, args))
    before = sum(server.hits.values())
    offline = ok(run_module(go_artifact, dict(args, offline=True)))
    assert sum(server.hits.values()) == before
    assert (offline["changed"], offline["cached"]) == (False, True)
    assert offline["checksums_entry"] == {"name": TGZ, "line": line_of(release, TGZ), "format": "gnu"}


def test_offline_without_cached_artifact_fails(run_module, release, server, cache):
    args = {
        "url": f"{server.base}/{BARE}",
        "checksum": sha256sum(release / BARE),
        "binary_name": "myapp",
        "cache_dir": str(cache),
        "offline": True,
    }
    result = run_module(go_artifact, args)
    assert result["failed"] is True
    assert "offline is true and artifact myapp_1.2.3_linux_riscv64 is not in the cache" in result["msg"]
    assert sum(server.hits.values()) == 0


def test_src_zip_with_checksums_src_works_without_network(run_module, release, cache):
    result = ok(
        run_module(
            go_artifact,
            {
                "src": str(release / ZIP),
                "checksums_src": str(release / "checksums.txt"),
                "archive_member": "myapp_1.2.3_linux_arm64/myapp",
                "binary_name": "myapp",
                "cache_dir": str(cache),
            },
        )
    )
    assert (result["changed"], result["cached"], result["archive_format"]) == (True, False, "zip")
    assert result["source"] == str(release / ZIP)
    assert result["artifact_sha256"] == sha256sum(release / ZIP)
    assert result["binary_sha256"] == sha256sum(ELF)
    assert result["checksums_entry"] == {"name": ZIP, "line": line_of(release, ZIP), "format": "gnu"}


def test_bare_binary_over_http(run_module, release, server, cache):
    result = ok(
        run_module(
            go_artifact,
            {
                "url": f"{server.base}/{BARE}",
                "checksums_url": f"{server.base}/checksums.txt",
                "binary_name": "myapp",
                "cache_dir": str(cache),
            },
        )
    )
    assert (result["archive_format"], result["archive_member"]) == ("none", None)
    assert result["artifact_sha256"] == result["binary_sha256"] == sha256sum(release / BARE)
    assert result["checksums_entry"] == {"name": BARE, "line": line_of(release, BARE), "format": "gnu"}
    assert stat.S_IMODE(os.stat(result["binary_path"]).st_mode) == 0o755


def test_wrong_digest_fails_and_leaves_nothing_in_the_cache(run_module, release, server, cache):
    expected = sha256sum(release / ZIP)
    actual = sha256sum(release / TGZ)
    result = run_module(
        go_artifact,
        {
            "url": f"{server.base}/{TGZ}",
            "checksum": f"sha256:{expected}",
            "archive_member": "myapp",
            "binary_name": "myapp",
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert f"url {server.base}/{TGZ} does not match the expected digest" in result["msg"]
    assert f"expected sha256:{expected}, actual sha256:{actual}" in result["msg"]
    assert (result["expected"], result["actual"]) == (f"sha256:{expected}", f"sha256:{actual}")
    assert os.listdir(cache / expected / "artifact") == []


def test_wrong_digest_from_checksums_file_names_the_line(run_module, release, server, cache):
    good = (release / TGZ).read_bytes()
    (release / TGZ).write_bytes(good[:-10])  # a truncated upload on the release host
    result = run_module(
        go_artifact,
        {
            "url": f"{server.base}/{TGZ}",
            "checksums_url": f"{server.base}/checksums.txt",
            "archive_member": "myapp",
            "binary_name": "myapp",
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert f"actual sha256:{sha256sum(release / TGZ)}" in result["msg"]
    line = line_of(release, TGZ)
    assert f"expected digest from checksums_url {server.base}/checksums.txt line {line}" in result["msg"]


def test_missing_checksums_entry(run_module, release, server, cache):
    result = run_module(
        go_artifact,
        {
            "url": f"{server.base}/{BARE}",
            "checksums_url": f"{server.base}/checksums.txt",
            "checksums_entry": "myapp_1.2.3_linux_s390x",
            "binary_name": "myapp",
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert f"checksums_url {server.base}/checksums.txt has no entry for 'myapp_1.2.3_linux_s390x'" in result["msg"]
    assert server.hits == {"/checksums.txt": 1}


def test_archive_with_dotdot_member_is_refused(run_module, tmp_path, cache):
    path = tmp_path / "evil_1.0.0_linux_amd64.tar.gz"
    with open(ELF, "rb") as handle:
        elf = handle.read()
    with tarfile.open(path, "w:gz") as archive:
        tar_add(archive, "myapp", elf, 0o755)
        tar_add(archive, "../evil", b"#!/bin/sh\nid\n", 0o755)
    result = run_module(
        go_artifact,
        {
            "src": str(path),
            "checksum": sha256sum(path),
            "archive_member": "myapp",
            "binary_name": "myapp",
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert "has a member '../evil' with a '..' component" in result["msg"]
    assert os.listdir(cache / sha256sum(path) / "bin") == []
    assert not (cache / sha256sum(path) / "evil").exists()


def test_symlink_member_is_refused(run_module, tmp_path, cache):
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "myapp").symlink_to("/etc/shadow")
    path = tmp_path / "myapp_1.0.0_linux_amd64.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(staged / "myapp", arcname="myapp")
    result = run_module(
        go_artifact,
        {
            "src": str(path),
            "checksum": sha256sum(path),
            "archive_member": "myapp",
            "binary_name": "myapp",
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert "member 'myapp' is a symbolic link; only a regular file is extracted" in result["msg"]


def test_archive_name_without_archive_member_fails_before_any_download(run_module, release, server, cache):
    result = run_module(
        go_artifact,
        {
            "url": f"{server.base}/{TGZ}",
            "checksums_url": f"{server.base}/checksums.txt",
            "binary_name": "myapp",
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert "is a tar.gz archive; set archive_member" in result["msg"]
    assert sum(server.hits.values()) == 0


def test_wrong_archive_member_lists_candidates(run_module, release, cache):
    result = run_module(
        go_artifact,
        {
            "src": str(release / ZIP),
            "checksums_src": str(release / "checksums.txt"),
            "archive_member": "myapp",
            "binary_name": "myapp",
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert "has no member 'myapp'; did you mean 'myapp_1.2.3_linux_arm64/myapp'?" in result["msg"]
    assert result["candidates"] == ["myapp_1.2.3_linux_arm64/myapp"]


def test_archive_content_under_another_name_needs_archive_member(run_module, release, tmp_path, cache):
    download = tmp_path / "download"  # e.g. a GitHub API asset URL ends in a number, not a file name
    shutil.copy(release / TGZ, download)
    result = run_module(
        go_artifact,
        {"src": str(download), "checksum": sha256sum(download), "binary_name": "myapp", "cache_dir": str(cache)},
    )
    assert result["failed"] is True
    assert "is a tar.gz archive; set archive_member to the path of the binary inside it" in result["msg"]
    assert "executables in it: 'myapp'" in result["msg"]


def test_archive_member_with_a_bare_binary_fails(run_module, release, cache):
    result = run_module(
        go_artifact,
        {
            "src": str(release / BARE),
            "checksum": sha256sum(release / BARE),
            "archive_member": "myapp",
            "binary_name": "myapp",
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert "is a bare ELF binary, not an archive; remove archive_member" in result["msg"]


def test_corrupted_cache_entry_is_fetched_again(run_module, release, server, cache):
    args = {
        "url": f"{server.base}/{TGZ}",
        "checksums_url": f"{server.base}/checksums.txt",
        "archive_member": "myapp",
        "binary_name": "myapp",
        "cache_dir": str(cache),
    }
    first = ok(run_module(go_artifact, args))
    with open(first["artifact_path"], "r+b") as handle:  # bit rot in the cache
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    again = ok(run_module(go_artifact, args))
    assert (again["changed"], again["cached"]) == (True, False)
    assert server.hits[f"/{TGZ}"] == 2
    assert sha256sum(again["artifact_path"]) == sha256sum(release / TGZ)
    # ansible-core 2.19 returns warnings as structured events, older versions as strings.
    assert "discarded the cached artifact" in json.dumps(again["warnings"])


def test_corrupted_cache_entry_for_src_is_copied_again(run_module, release, cache):
    args = {
        "src": str(release / BARE),
        "checksum": sha256sum(release / BARE),
        "binary_name": "app",
        "cache_dir": str(cache),
    }
    first = ok(run_module(go_artifact, args))
    with open(first["artifact_path"], "ab") as handle:
        handle.write(b"\0")
    again = ok(run_module(go_artifact, args))
    assert (again["changed"], again["cached"]) == (True, False)
    assert sha256sum(again["artifact_path"]) == sha256sum(release / BARE)


def test_tampered_binary_in_the_cache_is_put_back(run_module, release, cache):
    args = {
        "src": str(release / TGZ),
        "checksums_src": str(release / "checksums.txt"),
        "archive_member": "myapp",
        "binary_name": "myapp",
        "cache_dir": str(cache),
    }
    first = ok(run_module(go_artifact, args))
    os.chmod(first["binary_path"], 0o755)
    with open(first["binary_path"], "ab") as handle:
        handle.write(b"backdoor")
    again = ok(run_module(go_artifact, args))
    assert (again["changed"], again["cached"]) == (True, True)
    assert sha256sum(again["binary_path"]) == sha256sum(ELF)


def test_check_mode_resolves_the_same_way(run_module, release, cache):
    args = {
        "src": str(release / TGZ),
        "checksums_src": str(release / "checksums.txt"),
        "archive_member": "myapp",
        "binary_name": "myapp",
        "cache_dir": str(cache),
    }
    checked = ok(run_module(go_artifact, args, check_mode=True))
    assert (checked["changed"], checked["cached"]) == (True, False)
    assert os.path.isfile(checked["binary_path"])
    normal = ok(run_module(go_artifact, args))
    assert (normal["changed"], normal["cached"]) == (False, True)
    assert normal["binary_sha256"] == checked["binary_sha256"]


def test_url_headers_are_sent_not_redirected_and_not_returned(run_module, release, server, cache):
    token = "Bearer gho_s3cr3tTokenValue"
    server.redirects[f"/download/{BARE}"] = f"{server.base}/{BARE}"
    result = ok(
        run_module(
            go_artifact,
            {
                "url": f"{server.base}/download/{BARE}",
                "checksum": sha256sum(release / BARE),
                "url_headers": {"Authorization": token, "X-Release-Token": "t0ken-value"},
                "binary_name": "myapp",
                "cache_dir": str(cache),
            },
        )
    )
    (first_path, first), (second_path, second) = server.seen_headers
    assert (first_path, second_path) == (f"/download/{BARE}", f"/{BARE}")
    assert (first["Authorization"], first["X-Release-Token"]) == (token, "t0ken-value")
    assert first["User-Agent"] == "gosvc.hardening-go_artifact"
    assert "Authorization" not in second
    assert "X-Release-Token" not in second
    assert result["artifact_path"].endswith(f"/artifact/{BARE}")
    assert token not in json.dumps(result)
    assert "t0ken-value" not in json.dumps(result)


def test_http_404_names_the_url(run_module, server, cache):
    result = run_module(
        go_artifact,
        {
            "url": f"{server.base}/missing_linux_amd64",
            "checksum": "ab" * 32,
            "binary_name": "x",
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert f"downloading url {server.base}/missing_linux_amd64 failed: HTTP status 404" in result["msg"]


def test_checksums_entry_with_pinned_checksum_is_refused(run_module, release, cache):
    result = run_module(
        go_artifact,
        {
            "src": str(release / BARE),
            "checksum": sha256sum(release / BARE),
            "checksums_entry": BARE,
            "binary_name": "myapp",
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert "checksums_entry is only used with checksums_url or checksums_src" in result["msg"]


def test_exactly_one_source_and_one_digest(run_module, release, cache):
    both = run_module(
        go_artifact,
        {
            "url": "https://h.example/a",
            "src": str(release / BARE),
            "checksum": "ab" * 32,
            "binary_name": "a",
            "cache_dir": str(cache),
        },
    )
    assert both["failed"] is True
    assert "mutually exclusive: url|src" in both["msg"]
    none = run_module(go_artifact, {"src": str(release / BARE), "binary_name": "a", "cache_dir": str(cache)})
    assert none["failed"] is True
    assert "one of the following is required: checksum, checksums_url, checksums_src" in none["msg"]


@pytest.mark.parametrize("name", ["../myapp", "bin/myapp", ".myapp", ""])
def test_bad_binary_name(run_module, release, cache, name):
    result = run_module(
        go_artifact,
        {
            "src": str(release / BARE),
            "checksum": sha256sum(release / BARE),
            "binary_name": name,
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert "binary_name" in result["msg"]


def test_timeout_must_be_positive(run_module, release, cache):
    args = {
        "src": str(release / BARE),
        "checksum": sha256sum(release / BARE),
        "binary_name": "a",
        "cache_dir": str(cache),
    }
    result = run_module(go_artifact, dict(args, timeout=0))
    assert result["failed"] is True
    assert "timeout must be a positive number of seconds, got 0" in result["msg"]


def test_md5_checksum_is_refused(run_module, release, cache):
    md5 = subprocess.run(["md5sum", str(release / BARE)], check=True, capture_output=True, text=True).stdout.split()[0]
    result = run_module(
        go_artifact, {"src": str(release / BARE), "checksum": f"md5:{md5}", "binary_name": "a", "cache_dir": str(cache)}
    )
    assert result["failed"] is True
    assert "algorithm prefix 'md5' is not supported" in result["msg"]


def test_missing_src_and_missing_checksums_src(run_module, release, cache):
    missing = run_module(
        go_artifact,
        {"src": str(release / "nope"), "checksum": "ab" * 32, "binary_name": "a", "cache_dir": str(cache)},
    )
    assert missing["failed"] is True
    assert f"src {release / 'nope'} does not exist on the controller" in missing["msg"]
    no_sums = run_module(
        go_artifact,
        {
            "src": str(release / BARE),
            "checksums_src": str(release / "SHA256SUMS"),
            "binary_name": "a",
            "cache_dir": str(cache),
        },
    )
    assert no_sums["failed"] is True
    assert f"checksums_src {release / 'SHA256SUMS'} does not exist on the controller" in no_sums["msg"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the cache directory to another user")
def test_cache_dir_of_another_user_is_refused(run_module, release, cache):
    cache.mkdir(mode=0o700)
    os.chown(cache, 65534, 65534)
    result = run_module(
        go_artifact,
        {
            "src": str(release / BARE),
            "checksum": sha256sum(release / BARE),
            "binary_name": "a",
            "cache_dir": str(cache),
        },
    )
    assert result["failed"] is True
    assert f"cache_dir {cache} belongs to uid 65534, not to the user running the task (uid 0)" in result["msg"]


PASSWORD = "ga-pa55-93e7"
SIGNATURE = "X-Amz-Signature=ga-sig-5d2a"
TOKEN = "ga-token-118f"


def _with_credentials(base, path):
    return f"{base.replace('http://', f'http://deploy:{PASSWORD}@')}/{path}?{SIGNATURE}"


@pytest.mark.parametrize("good", [True, False], ids=["resolved", "digest-mismatch"])
def test_url_credentials_query_and_headers_are_not_in_the_result(run_module, release, server, cache, good):
    if not good:
        (release / BARE).write_bytes(b"\x7fELF tampered on the release host\n")  # checksums.txt keeps the old digest
    args = {
        "url": _with_credentials(server.base, BARE),
        "checksums_url": _with_credentials(server.base, "checksums.txt"),
        "url_headers": {"PRIVATE-TOKEN": TOKEN},
        "binary_name": "myapp",
        "cache_dir": str(cache),
    }
    result = run_module(go_artifact, args)
    assert result.get("failed", False) is (not good), result
    assert server.hits[f"/{BARE}?{SIGNATURE}"] == 1
    sent = [{name.lower(): value for name, value in seen.items()} for _path, seen in server.seen_headers]
    assert [headers.get("private-token") for headers in sent] == [TOKEN, TOKEN]
    text = json.dumps(result)
    for secret in (PASSWORD, "ga-sig-5d2a", TOKEN):
        assert secret not in text, secret
    shown = result["invocation"]["module_args"]
    assert shown["url"] == f"http:********{server.base[len('http://') :]}/{BARE}********"
    assert shown["url_headers"] == {"PRIVATE-TOKEN": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}


def test_urls_are_masked_whole_when_ansible_module_itself_fails(run_module, server, cache):
    args = {
        "url": _with_credentials(server.base, BARE),
        "checksum": "0" * 64,
        "binary_name": "myapp",
        "cache_dir": str(cache),
        "timeout": "soon",
    }
    result = run_module(go_artifact, args)
    assert result["failed"] is True
    assert PASSWORD not in json.dumps(result) and "ga-sig-5d2a" not in json.dumps(result)


def test_max_artifact_bytes_stops_the_download(run_module, release, server, cache):
    size = (release / BARE).stat().st_size
    args = {
        "url": f"{server.base}/{BARE}",
        "checksums_url": f"{server.base}/checksums.txt",
        "binary_name": "myapp",
        "cache_dir": str(cache),
        "max_artifact_bytes": size - 1,
    }
    result = run_module(go_artifact, args)
    assert result["failed"] is True
    assert f"url {server.base}/{BARE} is larger than the {size - 1} byte limit" in result["msg"]
    assert "raise max_artifact_bytes" in result["msg"]
    assert os.listdir(cache / sha256sum(release / BARE) / "artifact") == []
    assert ok(run_module(go_artifact, dict(args, max_artifact_bytes=size)))["artifact_size"] == size
    assert run_module(go_artifact, dict(args, max_artifact_bytes=0))["msg"].endswith(
        "max_artifact_bytes must be a positive number of bytes, got 0; the default is 2147483648 (2 GiB)"
    )
