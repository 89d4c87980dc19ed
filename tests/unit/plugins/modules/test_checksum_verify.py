# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the checksum_verify module, run through the real AnsibleModule.

Expected digests come from the real coreutils tools run on files made in the
test; the URL source is served by a real http.server on 127.0.0.1.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import tarfile
import threading

import pytest

from ansible_collections.gosvc.hardening.plugins.modules import checksum_verify

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("sha256sum", "sha384sum", "sha512sum")),
    reason="GNU coreutils sha*sum tools are required",
)


def tool(args, cwd):
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


def tool_digest(algorithm, path):
    return tool([f"{algorithm}sum", "--", str(path)], cwd=None).split()[0]


@pytest.fixture
def release(tmp_path):
    """A goreleaser-like release: archives of a real binary and a sorted checksums.txt."""
    dist = tmp_path / "dist"
    dist.mkdir()
    binary = tmp_path / "myservice"
    binary.write_bytes(os.urandom(50_000))
    names = []
    for arch in ("amd64", "arm64"):
        name = f"myservice_1.4.2_linux_{arch}.tar.gz"
        with tarfile.open(dist / name, "w:gz") as archive:
            archive.add(binary, arcname="myservice")
        names.append(name)
    (dist / "checksums.txt").write_text(tool(["sha256sum", *sorted(names)], cwd=dist))
    return dist


@pytest.fixture
def direct(monkeypatch):
    """Keep proxy settings of the environment away from requests to 127.0.0.1."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def http_root(tmp_path, direct):
    """Serve a directory over HTTP on 127.0.0.1; yields (directory, base URL)."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_pinned_digest_passes(run_module, release):
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    digest = tool_digest("sha256", target)
    result = run_module(checksum_verify, {"path": str(target), "checksum": f"sha256:{digest}"})
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert result["algorithm"] == "sha256"
    assert result["digest"] == result["expected"] == digest
    assert result["size"] == target.stat().st_size
    assert result["path"] == str(target)
    assert result["matched_entry"] is None


def test_pinned_bare_sha512_uppercase_passes(run_module, release):
    target = release / "myservice_1.4.2_linux_arm64.tar.gz"
    digest = tool_digest("sha512", target)
    result = run_module(checksum_verify, {"path": str(target), "checksum": digest.upper()})
    assert (result["changed"], result["algorithm"], result["digest"]) == (False, "sha512", digest)


def test_pinned_digest_mismatch_names_file_expected_and_actual(run_module, release):
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    other = tool_digest("sha256", release / "myservice_1.4.2_linux_arm64.tar.gz")
    actual = tool_digest("sha256", target)
    result = run_module(checksum_verify, {"path": str(target), "checksum": other})
    assert result["failed"] is True
    assert result["changed"] is False
    assert str(target) in result["msg"]
    assert f"expected sha256:{other}" in result["msg"]
    assert f"actual sha256:{actual}" in result["msg"]
    assert (result["expected"], result["digest"], result["size"]) == (other, actual, target.stat().st_size)
    assert result["matched_entry"] is None


def test_symlink_path_reports_the_resolved_file_and_its_size(run_module, release, tmp_path):
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    link = tmp_path / "current.tar.gz"
    link.symlink_to(target)
    result = run_module(checksum_verify, {"path": str(link), "checksum": tool_digest("sha256", target)})
    assert result.get("failed") is not True, result
    assert result["path"] == str(target)
    assert result["size"] == target.stat().st_size
    assert result["state"] == "file"


def test_checksums_path_goreleaser_default_entry_is_the_base_name(run_module, release):
    target = release / "myservice_1.4.2_linux_arm64.tar.gz"
    result = run_module(checksum_verify, {"path": str(target), "checksums_path": str(release / "checksums.txt")})
    assert result.get("failed") is not True, result
    assert result["digest"] == tool_digest("sha256", target)
    assert result["matched_entry"] == {"name": target.name, "line": 2, "format": "gnu"}


def test_checksums_content_bsd_sha512_with_relative_entry(run_module, tmp_path):
    (tmp_path / "dist").mkdir()
    target = tmp_path / "dist" / "app"
    target.write_bytes(os.urandom(9_000))
    (tmp_path / "README").write_text("readme\n")
    content = tool(["sha512sum", "--tag", "README", "dist/app"], cwd=tmp_path)
    args = {"path": str(target), "checksums_content": content, "entry": "dist/app"}
    result = run_module(checksum_verify, args)
    assert result.get("failed") is not True, result
    assert (result["algorithm"], result["digest"]) == ("sha512", tool_digest("sha512", target))
    assert result["matched_entry"] == {"name": "dist/app", "line": 2, "format": "bsd"}
    with_algorithm = run_module(checksum_verify, dict(args, algorithm="sha256"))
    assert with_algorithm["failed"] is True
    assert "only as sha512" in with_algorithm["msg"]


def test_mismatch_from_checksums_file_names_the_entry_line(run_module, release):
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    expected = tool_digest("sha256", target)
    with open(target, "ab") as handle:  # a corrupted download
        handle.write(b"\0")
    actual = tool_digest("sha256", target)
    checksums = release / "checksums.txt"
    result = run_module(checksum_verify, {"path": str(target), "checksums_path": str(checksums)})
    assert result["failed"] is True
    assert f"expected sha256:{expected}" in result["msg"]
    assert f"actual sha256:{actual}" in result["msg"]
    assert str(target) in result["msg"]
    assert f"from checksums_path {checksums} line 1" in result["msg"]
    assert result["matched_entry"] == {"name": target.name, "line": 1, "format": "gnu"}


def test_check_mode_verifies_and_reports_no_change(run_module, release):
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    args = {"path": str(target), "checksums_path": str(release / "checksums.txt")}
    normal = run_module(checksum_verify, args)
    checked = run_module(checksum_verify, args, check_mode=True)
    assert checked == normal
    assert checked["changed"] is False
    bad = run_module(checksum_verify, {"path": str(target), "checksum": "sha256:" + "0" * 64}, check_mode=True)
    assert bad["failed"] is True
    assert "does not match" in bad["msg"]


def test_checksums_url_goreleaser_over_http(run_module, release, http_root):
    root, base = http_root
    shutil.copy(release / "checksums.txt", root / "checksums.txt")
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    result = run_module(checksum_verify, {"path": str(target), "checksums_url": f"{base}/checksums.txt"})
    assert result.get("failed") is not True, result
    assert result["digest"] == tool_digest("sha256", target)
    assert result["matched_entry"] == {"name": target.name, "line": 1, "format": "gnu"}


def test_checksums_url_not_found_fails(run_module, release, http_root):
    _root, base = http_root
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    result = run_module(checksum_verify, {"path": str(target), "checksums_url": f"{base}/missing.txt"})
    assert result["failed"] is True
    assert "HTTP status 404" in result["msg"]
    assert f"{base}/missing.txt" in result["msg"]
    assert result["msg"].endswith("; check the URL")  # checksum_verify has no url_headers to suggest


def test_checksums_url_over_the_size_cap_fails(run_module, release, http_root):
    root, base = http_root
    shutil.copy(release / "checksums.txt", root / "checksums.txt")
    size = (root / "checksums.txt").stat().st_size
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    args = {"path": str(target), "checksums_url": f"{base}/checksums.txt", "checksums_max_bytes": size - 1}
    result = run_module(checksum_verify, args)
    assert result["failed"] is True
    assert f"larger than the {size - 1} byte limit" in result["msg"]
    assert run_module(checksum_verify, dict(args, checksums_max_bytes=size)).get("failed") is not True


def test_checksums_url_refuses_other_schemes(run_module, release):
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    url = (release / "checksums.txt").as_uri()
    result = run_module(checksum_verify, {"path": str(target), "checksums_url": url})
    assert result["failed"] is True
    assert "is not an http:// or https:// URL; use checksums_path" in result["msg"]


def test_checksums_url_connection_refused_fails(run_module, release, direct):
    # A port that was free a moment ago: bind, note it, close; nothing listens there now.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    url = f"http://127.0.0.1:{port}/checksums.txt"
    result = run_module(checksum_verify, {"path": str(target), "checksums_url": url, "checksums_url_timeout": 5})
    assert result["failed"] is True
    assert f"downloading checksums_url {url} failed: " in result["msg"]
    assert "Connection refused" in result["msg"]
    assert result["msg"].endswith("the network or proxy settings (validate_certs for a private CA)")


def test_missing_entry_fails(run_module, release):
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    args = {"path": str(target), "checksums_path": str(release / "checksums.txt"), "entry": "other.tar.gz"}
    result = run_module(checksum_verify, args)
    assert result["failed"] is True
    assert "has no entry for 'other.tar.gz'" in result["msg"]
    assert "digest" not in result


def test_dotdot_entry_fails(run_module, release):
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    args = {"path": str(target), "checksums_path": str(release / "checksums.txt"), "entry": "../x"}
    result = run_module(checksum_verify, args)
    assert result["failed"] is True
    assert "has a '..' component" in result["msg"]


def test_nonexistent_path_fails(run_module, release):
    digest = tool_digest("sha256", release / "checksums.txt")
    result = run_module(checksum_verify, {"path": str(release / "nope"), "checksum": digest})
    assert result["failed"] is True
    assert "does not exist; check path" in result["msg"]


def test_directory_path_fails(run_module, release):
    digest = tool_digest("sha256", release / "checksums.txt")
    result = run_module(checksum_verify, {"path": str(release), "checksum": digest})
    assert result["failed"] is True
    assert "is a directory" in result["msg"]


def test_entry_with_pinned_checksum_is_refused(run_module, release):
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    result = run_module(checksum_verify, {"path": str(target), "checksum": tool_digest("sha256", target), "entry": "x"})
    assert result["failed"] is True
    assert "entry is only used with checksums_content" in result["msg"]


def test_two_sources_are_mutually_exclusive(run_module, release):
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    args = {
        "path": str(target),
        "checksum": tool_digest("sha256", target),
        "checksums_path": str(release / "checksums.txt"),
    }
    result = run_module(checksum_verify, args)
    assert result["failed"] is True
    assert "mutually exclusive" in result["msg"]


def test_a_source_is_required(run_module, release):
    result = run_module(checksum_verify, {"path": str(release / "checksums.txt")})
    assert result["failed"] is True
    assert "one of the following is required" in result["msg"]


def test_empty_checksums_content_fails(run_module, release):
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    result = run_module(checksum_verify, {"path": str(target), "checksums_content": "\n"})
    assert result["failed"] is True
    assert "checksums_content is empty" in result["msg"]


def test_mask_url_hides_credentials_and_keeps_the_rest():
    # Query strings may carry presigned tokens: hidden too.
    masked = checksum_verify.mask_url("https://user:s3cret@example.org:8443/a/checksums.txt?token=abc")
    assert masked == "https://********@example.org:8443/a/checksums.txt?********"
    assert checksum_verify.mask_url("http://example.org/c.txt") == "http://example.org/c.txt"


PASSWORD = "cv-pa55-51d0"
TOKEN = "X-Amz-Signature=cv-sig-0c4e"


@pytest.mark.parametrize("name", ["checksums.txt", "missing.txt"], ids=["found", "not-found"])
def test_checksums_url_credentials_and_query_are_not_in_the_result(run_module, release, http_root, name):
    root, base = http_root
    shutil.copy(release / "checksums.txt", root / "checksums.txt")
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    url = f"{base.replace('http://', f'http://deploy:{PASSWORD}@')}/{name}?{TOKEN}"
    result = run_module(checksum_verify, {"path": str(target), "checksums_url": url})
    assert result.get("failed", False) is (name == "missing.txt"), result
    text = json.dumps(result)
    assert PASSWORD not in text and "cv-sig-0c4e" not in text
    shown = result["invocation"]["module_args"]["checksums_url"]
    assert shown == f"http:********{base[len('http://') :]}/{name}********"


def test_checksums_url_is_masked_whole_when_ansible_module_itself_fails(run_module, release):
    url = f"https://deploy:{PASSWORD}@127.0.0.1:1/checksums.txt?{TOKEN}"
    target = release / "myservice_1.4.2_linux_amd64.tar.gz"
    result = run_module(checksum_verify, {"path": str(target), "checksums_url": url, "checksums_max_bytes": "lots"})
    assert result["failed"] is True
    assert PASSWORD not in json.dumps(result) and "cv-sig-0c4e" not in json.dumps(result)
