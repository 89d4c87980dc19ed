# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""More rules of plugins/module_utils/_artifact.py, each pinned by what a user sees.

Same set-up as test_artifact.py (whose release, server and helpers are reused): a real
release directory around /bin/true, and real servers on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import socketserver
import stat
from pathlib import Path

import pytest
from support import LocalServer
from test_artifact import (
    BARE,
    MIB,
    Redirector,
    _bare_args,
    _refusal,
    elf_bytes,
    params,
    pytestmark,
    release,
    server,
    sha256sum,
)

from ansible_collections.gosvc.hardening.plugins.module_utils._artifact import ArtifactError, resolve_artifact

# Fixtures of test_artifact.py, used here by name, and its skip marker (needs /bin/true and sha256sum).
__all__ = ["elf_bytes", "pytestmark", "release", "server"]


@pytest.fixture
def no_proxy(monkeypatch):
    """Requests to 127.0.0.1 go straight to the test's servers, whatever proxy the environment names."""
    for name in ("http_proxy", "HTTP_PROXY", "ftp_proxy", "FTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


# --------------------------------------------------------------------------
# Inputs: each refusal names the option it is about
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "file:///srv/myapp",
            "url 'file:///srv/myapp' is not an http:// or https:// URL; give a release download URL, "
            "or use src for a file on the controller",
        ),
        ("https:///myapp", "url 'https:///myapp' has no host; give a full URL such as https://example.com/app.tar.gz"),
    ],
)
def test_a_url_that_cannot_be_downloaded_is_refused_naming_url(release, tmp_path, url, message):
    """resolve_artifact refuses such a url naming the url option (and src as the way for a local file)."""
    assert _refusal(_bare_args(release, tmp_path, src=None, url=url)) == message


def test_binary_name_dot_is_not_a_plain_file_name(release, tmp_path):
    """binary_name '.' is refused as not a plain file name, like '..' and names with '/'."""
    assert _refusal(_bare_args(release, tmp_path, binary_name=".")) == (
        "binary_name '.' is not a plain file name (no '/', '.' or '..'); "
        "give the file name the binary gets, e.g. binary_name: myapp"
    )


def test_max_artifact_bytes_of_one_is_a_limit_not_a_refusal(release, tmp_path):
    """1 is the smallest valid max_artifact_bytes: it is applied to the copy, not refused as an option."""
    artifact = release / BARE
    message = _refusal(_bare_args(release, tmp_path, max_artifact_bytes=1))
    assert message.startswith(f"src {artifact} is larger than the 1 byte limit; the partial copy was discarded; ")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"not a checksum line\n",
            "{source} line 1: 'not a checksum line' is not a checksum line (expected '<hex>  name' or "
            "'SHA256 (name) = <hex>'); check that this is a checksums file",
        ),
        (
            b"\xff\xfe\x00binary",
            "{source} is not UTF-8 text (bad byte at offset 0); point at the checksums file itself, not at an "
            "archive or a signature",
        ),
    ],
)
def test_an_unreadable_checksums_src_is_named_in_the_error(release, tmp_path, content, message):
    """A checksums_src that is not text, or not a checksums file, is named with its path in the error."""
    sums = tmp_path / "SHA256SUMS"
    sums.write_bytes(content)
    args = _bare_args(release, tmp_path, checksum=None, checksums_src=str(sums))
    assert _refusal(args) == message.format(source=f"checksums_src {sums}")


def test_a_cache_dir_of_another_user_is_refused_with_the_fix(release, tmp_path):
    """A cache_dir owned by someone else is refused, saying the cache is per user and what to do."""
    if os.geteuid() == 0:
        cache = tmp_path / "cache"
        cache.mkdir(mode=0o700)
        os.chown(cache, 65534, 65534)
    else:
        cache = Path("/")  # root's own directory
    owner = os.stat(cache).st_uid
    assert _refusal(_bare_args(release, tmp_path, cache_dir=str(cache))) == (
        f"cache_dir {cache} belongs to uid {owner}, not to the user running the task (uid {os.geteuid()}); "
        "the cache is per user: run the task without become, or give a cache_dir of your own"
    )


# --------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------


def test_a_cached_download_that_changed_is_downloaded_again_with_a_warning(release, tmp_path, server):
    """A cached url artifact that no longer matches is fetched again, and the warning says so."""
    args = params(tmp_path / "cache", url=f"{server.base}/{BARE}", checksum=sha256sum(release / BARE))
    first = resolve_artifact(args)
    with open(first["artifact_path"], "ab") as handle:
        handle.write(b"\0")
    again = resolve_artifact(args)
    assert (again["changed"], again["cached"]) == (True, False)
    assert len(again["warnings"]) == 1
    assert again["warnings"][0].startswith("discarded the cached artifact, ")
    assert again["warnings"][0].endswith("; it is downloaded again")
    assert server.hits[f"/{BARE}"] == 2
    assert sha256sum(first["artifact_path"]) == sha256sum(release / BARE)


def test_stale_temporary_files_are_removed_from_the_checksums_copy_directory(release, tmp_path, monkeypatch):
    """A '.tmp-' file an interrupted run left next to the kept checksums file is removed; nothing outside the
    cache is touched, not even '.tmp-' files in the working directory."""
    args = _bare_args(release, tmp_path, checksum=None, checksums_src=str(release / "checksums.txt"))
    first = resolve_artifact(args)
    kept = os.path.dirname(first["checksums_path"])
    with open(os.path.join(kept, ".tmp-interrupted"), "wb") as handle:
        handle.write(b"partial")
    work = tmp_path / "work"
    work.mkdir()
    (work / ".tmp-mine").write_text("not the cache's")
    monkeypatch.chdir(work)
    second = resolve_artifact(args)
    assert (second["changed"], second["cached"]) == (False, True)
    assert os.listdir(kept) == ["checksums.txt"]
    assert (work / ".tmp-mine").read_text() == "not the cache's"


def test_an_offline_run_leaves_the_kept_checksums_copy_as_it_is(release, tmp_path, server):
    """Offline, the kept copy of a checksums_url file is only read: not rewritten, not given another mode."""
    url = f"{server.base}/checksums.txt"
    args = params(tmp_path / "cache", url=f"{server.base}/{BARE}", checksums_url=url)
    resolve_artifact(args)
    kept = tmp_path / "cache" / "checksums" / hashlib.sha256(url.encode()).hexdigest() / "checksums.txt"
    kept.chmod(0o444)
    before = kept.stat()
    offline = resolve_artifact(dict(args, offline=True))
    assert (offline["changed"], offline["cached"]) == (False, True)
    after = kept.stat()
    assert (after.st_ino, stat.S_IMODE(after.st_mode)) == (before.st_ino, 0o444)
    assert server.hits == {"/checksums.txt": 1, f"/{BARE}": 1}


def test_a_kept_checksums_copy_over_the_limit_is_refused_offline(tmp_path):
    """Offline, a kept checksums copy larger than 1 MiB is refused, naming checksums_url, before anything else."""
    url = "https://h.example/checksums.txt"
    kept = tmp_path / "cache" / "checksums" / hashlib.sha256(url.encode()).hexdigest() / "checksums.txt"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(f"{'0' * 64}  myapp\n".encode() * (MIB // 70 + 1))
    assert kept.stat().st_size > MIB
    args = params(tmp_path / "cache", url="https://h.example/myapp", checksums_url=url, offline=True)
    assert _refusal(args) == (
        f"checksums_url {url} is larger than the {MIB} byte limit; check that it is a checksums file, "
        "or raise the limit"
    )


def test_a_download_is_cached_with_fixed_modes_under_a_private_umask(release, tmp_path, server):
    """With umask 077 a downloaded artifact and its kept checksums file are still 0644, the binary 0755."""
    old = os.umask(0o077)
    try:
        result = resolve_artifact(
            params(tmp_path / "cache", url=f"{server.base}/{BARE}", checksums_url=f"{server.base}/checksums.txt")
        )
    finally:
        os.umask(old)
    modes = {
        key: stat.S_IMODE(os.stat(result[key]).st_mode) for key in ("artifact_path", "binary_path", "checksums_path")
    }
    assert modes == {"artifact_path": 0o644, "binary_path": 0o755, "checksums_path": 0o644}


# --------------------------------------------------------------------------
# Download errors do not show the URL's secrets
# --------------------------------------------------------------------------


class BrokenChunks(LocalServer):
    """A real HTTP server on 127.0.0.1 whose chunked body stops inside its one chunk, past the first MiB."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(f"{MIB + 64:x}\r\n".encode() + b"\x7fELF" + b"\0" * (MIB + 6))
                self.close_connection = True

        self.serve(Handler)


def test_a_download_broken_off_mid_body_says_how_far_it_got_without_the_secrets(tmp_path, no_proxy):
    """A response whose body breaks off fails naming the url (query masked), the bytes that arrived and why."""
    broken = BrokenChunks()
    try:
        with pytest.raises(ArtifactError) as caught:
            resolve_artifact(params(tmp_path / "cache", url=f"{broken.base}/myapp?sig=s3cr3t-q", checksum="0" * 64))
    finally:
        broken.close()
    assert str(caught.value).startswith(
        f"downloading url {broken.base}/myapp?******** failed after {MIB} bytes: IncompleteRead("
    )
    assert os.listdir(tmp_path / "cache" / ("0" * 64) / "artifact") == []


class FtpServer(LocalServer):
    """A real FTP control connection on 127.0.0.1 that logs anyone in and, like common FTP servers, answers
    RETR and CWD of an unknown file with ``550 <the name asked for>: No such file or directory``."""

    def __init__(self):
        self.data = socket.create_server(("127.0.0.1", 0))  # the passive data port (never used)
        data_port = self.data.getsockname()[1]
        answers = {
            "USER": "331 password please",
            "PASS": "230 logged in",
            "TYPE": "200 type set",
            "PWD": '257 "/"',
            "PASV": f"227 Entering Passive Mode (127,0,0,1,{data_port // 256},{data_port % 256})",
            "QUIT": "221 bye",
        }

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 ready\r\n")
                for raw in self.rfile:
                    verb, _sep, arg = raw.decode().strip().partition(" ")
                    if verb == "CWD" and arg in (".", "/"):
                        answer = "250 ok"
                    else:
                        answer = answers.get(verb, f"550 {arg}: No such file or directory")
                    self.wfile.write(answer.encode() + b"\r\n")
                    if verb == "QUIT":
                        return

        self.serve(Handler, daemon_threads=True)
        self.port = self.httpd.server_address[1]

    def close(self):
        super().close()
        self.data.close()


def test_an_ftp_error_after_a_redirect_does_not_show_the_query(tmp_path, no_proxy):
    """A release host redirecting to ftp:// (which urllib follows) with the URL's query: the FTP server's error
    repeats the file name it was asked for, query and all; the message masks that query."""
    ftp = FtpServer()
    redirector = Redirector(f"ftp://127.0.0.1:{ftp.port}/myapp?sig=s3cr3t-q")
    try:
        with pytest.raises(ArtifactError) as caught:
            resolve_artifact(params(tmp_path / "cache", url=f"{redirector.base}/myapp?sig=s3cr3t-q", checksum="0" * 64))
    finally:
        redirector.close()
        ftp.close()
    assert "s3cr3t" not in str(caught.value)
    assert str(caught.value) == (
        f"downloading url {redirector.base}/myapp?******** failed: <urlopen error ftp error: "
        "error_perm('550 myapp?********: No such file or directory')>; check the host name, the network or proxy "
        "settings (validate_certs for a private CA)"
    )
