# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/_digests.py.

Every expected digest here comes from running the real coreutils tools
(sha256sum, sha384sum, sha512sum, their --tag BSD form, md5sum, sha1sum) or
openssl on real files made in the test; nothing is hard-coded.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _digests
from ansible_collections.gosvc.hardening.plugins.module_utils._digests import (
    ALGORITHMS,
    DigestError,
    ExpectedDigest,
    decode_checksums,
    digests_equal,
    file_digest,
    file_digests,
    find_entry,
    normalize_name,
    parse_checksums_text,
    parse_expected,
    read_capped,
    read_checksums_path,
    verify_file,
)

TOOLS = ["sha256sum", "sha384sum", "sha512sum", "md5sum", "sha1sum"]
pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in TOOLS), reason="GNU coreutils sha*sum tools are required"
)


def tool(args, cwd):
    """Run a real checksum tool and return its stdout."""
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


def tool_digest(algorithm, path):
    """The digest of ``path`` according to coreutils (``sha256sum`` ...)."""
    out = tool([f"{algorithm}sum", "--", str(path)], cwd=None)
    return out.split()[0].lstrip("\\")


@pytest.fixture
def release(tmp_path):
    """A small release directory with real files of several shapes."""
    (tmp_path / "app").write_bytes(os.urandom(70_000))
    (tmp_path / "README.md").write_text("# app\n\nA release.\n")
    (tmp_path / "with space.txt").write_text("name with a space\n")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app").write_bytes(os.urandom(5_000))
    (tmp_path / "empty").write_bytes(b"")
    return tmp_path


# --------------------------------------------------------------------------- parse_expected


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_parse_expected_prefixed_digest_from_the_real_tool(release, algorithm):
    digest = tool_digest(algorithm, release / "app")
    assert parse_expected(f"{algorithm}:{digest}") == ExpectedDigest(algorithm, digest)


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_parse_expected_bare_hex_length_decides_the_algorithm(release, algorithm):
    digest = tool_digest(algorithm, release / "app")
    assert parse_expected(digest) == ExpectedDigest(algorithm, digest)


def test_parse_expected_accepts_uppercase_hex_prefix_and_blanks(release):
    digest = tool_digest("sha512", release / "app")
    assert parse_expected(f"  SHA512:{digest.upper()}\n") == ExpectedDigest("sha512", digest)


def test_parse_expected_algorithm_option_that_agrees(release):
    digest = tool_digest("sha384", release / "app")
    assert parse_expected(digest, "sha384").digest == digest
    assert parse_expected(f"sha384:{digest}", "sha384").algorithm == "sha384"


def test_parse_expected_prefix_conflicting_with_algorithm_is_an_error(release):
    digest = tool_digest("sha256", release / "app")
    with pytest.raises(DigestError, match="says sha256 but algorithm is sha512"):
        parse_expected(f"sha256:{digest}", "sha512")


def test_parse_expected_bare_hex_of_another_algorithm_length_is_an_error(release):
    digest = tool_digest("sha512", release / "app")
    with pytest.raises(DigestError, match=r"a sha256 digest has 64 hex digits, this one has 128 .*sha512"):
        parse_expected(digest, "sha256")


def test_parse_expected_wrong_length_is_an_error(release):
    truncated = tool_digest("sha256", release / "app")[:-1]
    with pytest.raises(DigestError, match="a sha256 digest has 64 hex digits, this one has 63"):
        parse_expected(f"sha256:{truncated}")
    with pytest.raises(DigestError, match="63 hex digits is not sha256"):
        parse_expected(truncated)


def test_parse_expected_unknown_algorithm_prefix_is_an_error(release):
    md5 = tool_digest("md5", release / "app")
    with pytest.raises(DigestError, match="algorithm prefix 'md5' is not supported"):
        parse_expected(f"md5:{md5}")


def test_parse_expected_md5_length_bare_hex_is_an_error(release):
    md5 = tool_digest("md5", release / "app")
    with pytest.raises(DigestError, match="32 hex digits is not sha256"):
        parse_expected(md5)


def test_parse_expected_non_hex_characters_is_an_error(release):
    digest = tool_digest("sha256", release / "app")
    bad = digest[:10] + "g" + digest[11:]
    with pytest.raises(DigestError, match=r"not a hexadecimal digest \(bad characters: 'g'\)"):
        parse_expected(f"sha256:{bad}")


def test_parse_expected_empty_is_an_error():
    with pytest.raises(DigestError, match="checksum is empty"):
        parse_expected("   ")
    with pytest.raises(DigestError, match="digest is empty"):
        parse_expected("sha256:")


def test_parse_expected_unsupported_algorithm_option():
    with pytest.raises(DigestError, match="algorithm 'md5' is not supported"):
        parse_expected("00", "md5")


# --------------------------------------------------------------------------- parse_checksums_text


def test_gnu_sha256sum_output(release):
    names = ["app", "README.md", "with space.txt", "dist/app", "empty"]
    text = tool(["sha256sum", *names], cwd=release)
    entries = parse_checksums_text(text, "SHA256SUMS")
    assert [entry.name for entry in entries] == names
    assert [entry.line for entry in entries] == [1, 2, 3, 4, 5]
    assert {entry.format for entry in entries} == {"gnu"}
    for entry in entries:
        assert entry.algorithm == "sha256"
        assert entry.digest == tool_digest("sha256", release / entry.name)
        assert entry.binary is False


@pytest.mark.parametrize("algorithm", ["sha384", "sha512"])
def test_gnu_sha384sum_and_sha512sum_output(release, algorithm):
    text = tool([f"{algorithm}sum", "app", "dist/app"], cwd=release)
    entry = find_entry(parse_checksums_text(text), "dist/app")
    assert entry.algorithm == algorithm
    assert entry.digest == tool_digest(algorithm, release / "dist" / "app")


def test_gnu_binary_mode_marker_is_matched_without_the_star(release):
    text = tool(["sha256sum", "--binary", "app"], cwd=release)
    assert " *app" in text
    entry = find_entry(parse_checksums_text(text), "app")
    assert entry.name == "app"
    assert entry.binary is True
    assert entry.digest == tool_digest("sha256", release / "app")


def test_gnu_dot_slash_entries_match_plain_names(release):
    text = tool(["sha256sum", "./app", "./dist/app"], cwd=release)
    entries = parse_checksums_text(text)
    assert entries[0].name == "./app"
    assert find_entry(entries, "app").digest == tool_digest("sha256", release / "app")
    assert find_entry(entries, "dist/app").digest == tool_digest("sha256", release / "dist" / "app")
    assert find_entry(entries, "./dist//app").line == 2


def test_gnu_escaped_name_with_backslash(release):
    (release / "back\\slash").write_bytes(b"odd name\n")
    text = tool(["sha256sum", "back\\slash"], cwd=release)
    assert text.startswith("\\")  # coreutils escapes such names
    entry = find_entry(parse_checksums_text(text), "back\\slash")
    assert entry.digest == tool_digest("sha256", release / "back\\slash")


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_bsd_tag_output(release, algorithm):
    text = tool([f"{algorithm}sum", "--tag", "app", "with space.txt", "dist/app"], cwd=release)
    assert text.startswith(f"{algorithm.upper()} (app) = ")
    entries = parse_checksums_text(text, "SUMS")
    assert [(entry.name, entry.format, entry.algorithm) for entry in entries] == [
        ("app", "bsd", algorithm),
        ("with space.txt", "bsd", algorithm),
        ("dist/app", "bsd", algorithm),
    ]
    assert find_entry(entries, "with space.txt", algorithm).digest == tool_digest(algorithm, release / "with space.txt")


def test_bsd_name_with_parentheses(release):
    (release / "app (copy) = x").write_bytes(b"tricky\n")
    text = tool(["sha256sum", "--tag", "app (copy) = x"], cwd=release)
    entry = find_entry(parse_checksums_text(text), "app (copy) = x")
    assert entry.digest == tool_digest("sha256", release / "app (copy) = x")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_dgst_output(release):
    text = tool(["openssl", "dgst", "-sha512", "app"], cwd=release)
    entry = find_entry(parse_checksums_text(text), "app")
    assert (entry.format, entry.algorithm) == ("bsd", "sha512")
    assert entry.digest == tool_digest("sha512", release / "app")


def test_goreleaser_checksums_txt(tmp_path):
    """goreleaser writes '<sha256>  <artifact name>' lines sorted by name, for archives and packages."""
    dist = tmp_path / "dist"
    dist.mkdir()
    binary = tmp_path / "myservice"
    binary.write_bytes(os.urandom(40_000))
    names = []
    for goos, goarch in [("linux", "amd64"), ("linux", "arm64"), ("darwin", "arm64")]:
        name = f"myservice_1.4.2_{goos}_{goarch}.tar.gz"
        with tarfile.open(dist / name, "w:gz") as archive:
            archive.add(binary, arcname="myservice")
        names.append(name)
    with zipfile.ZipFile(dist / "myservice_1.4.2_windows_amd64.zip", "w") as archive:
        archive.write(binary, "myservice.exe")
    names.append("myservice_1.4.2_windows_amd64.zip")
    names.sort()
    checksums = tool(["sha256sum", *names], cwd=dist)
    (dist / "checksums.txt").write_text(checksums)

    entries = parse_checksums_text((dist / "checksums.txt").read_bytes(), "checksums.txt")
    assert [entry.name for entry in entries] == names
    wanted = "myservice_1.4.2_linux_arm64.tar.gz"
    entry = find_entry(entries, wanted)
    assert entry.line == names.index(wanted) + 1
    assert entry.digest == tool_digest("sha256", dist / wanted)
    verify_file(dist / wanted, entry)


def test_single_bare_digest_file_like_goreleaser_split_mode(release):
    digest = tool(["sha256sum", "app"], cwd=release).split()[0]
    entries = parse_checksums_text(digest + "\n", "app.sha256")
    assert len(entries) == 1
    assert (entries[0].name, entries[0].format, entries[0].line) == (None, "bare", 1)
    assert find_entry(entries, "whatever-the-file-is-called").digest == digest
    with pytest.raises(DigestError, match=r"holds a sha256 digest .* but algorithm is sha512"):
        find_entry(entries, "app", "sha512")


def test_uppercase_hex_is_accepted(release):
    text = tool(["sha256sum", "app"], cwd=release)
    digest, rest = text.split(" ", 1)
    entry = find_entry(parse_checksums_text(digest.upper() + " " + rest), "app")
    assert entry.digest == digest
    bsd = tool(["sha512sum", "--tag", "app"], cwd=release)
    head, hexpart = bsd.rsplit("= ", 1)
    assert find_entry(parse_checksums_text(head + "= " + hexpart.upper()), "app").digest == hexpart.strip()


def test_crlf_line_ends_are_accepted(release):
    text = tool(["sha256sum", "app", "dist/app"], cwd=release).replace("\n", "\r\n")
    entries = parse_checksums_text(text.encode())
    assert [entry.name for entry in entries] == ["app", "dist/app"]
    assert find_entry(entries, "dist/app").digest == tool_digest("sha256", release / "dist" / "app")
    bsd = tool(["sha256sum", "--tag", "app"], cwd=release).replace("\n", "\r\n")
    assert find_entry(parse_checksums_text(bsd), "app").digest == tool_digest("sha256", release / "app")


def test_utf8_bom_blank_lines_and_comments_are_skipped(release):
    text = tool(["sha256sum", "app", "README.md"], cwd=release)
    document = ("\ufeff# checksums for release 1.0\n\n" + text.replace("\n", "\n\n")).encode("utf-8")
    entries = parse_checksums_text(document)
    assert [(entry.name, entry.line) for entry in entries] == [("app", 3), ("README.md", 5)]


def test_malformed_line_is_an_error_with_its_line_number(release):
    text = tool(["sha256sum", "app"], cwd=release) + "this is not a checksum line\n"
    with pytest.raises(DigestError, match="SUMS line 2: 'this is not a checksum line' is not a checksum line"):
        parse_checksums_text(text, "SUMS")


def test_pgp_clearsigned_wrapper_is_an_error(release):
    text = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + tool(["sha256sum", "app"], cwd=release)
    with pytest.raises(DigestError, match=r"line 1: .* is not a checksum line"):
        parse_checksums_text(text, "SUMS")


def test_gnu_md5sum_file_is_a_wrong_length_error(release):
    text = tool(["md5sum", "app"], cwd=release)
    with pytest.raises(DigestError, match=r"md5sum.txt line 1: a digest of 32 hex digits is not sha256"):
        parse_checksums_text(text, "md5sum.txt")


def test_wrong_length_hash_in_checksums_file_is_an_error(release):
    lines = tool(["sha256sum", "app", "README.md"], cwd=release).splitlines()
    digest, rest = lines[1].split(" ", 1)
    lines[1] = digest[:-2] + " " + rest
    with pytest.raises(DigestError, match="line 2: a digest of 62 hex digits"):
        parse_checksums_text("\n".join(lines) + "\n")


def test_wrong_length_hash_in_bsd_line_is_an_error(release):
    text = tool(["sha512sum", "--tag", "app"], cwd=release).rstrip("\n")[:-1]
    with pytest.raises(DigestError, match="a sha512 digest has 128 hex digits, this one has 127"):
        parse_checksums_text(text)


@pytest.mark.parametrize("legacy", ["md5", "sha1"])
def test_bsd_line_of_unsupported_algorithm_is_an_error(release, legacy):
    text = tool([f"{legacy}sum", "--tag", "app"], cwd=release)
    with pytest.raises(DigestError, match=f"algorithm '{legacy.upper()}' is not supported"):
        parse_checksums_text(text)


def test_non_hex_characters_in_checksums_file_is_an_error(release):
    text = tool(["sha256sum", "app"], cwd=release)
    with pytest.raises(DigestError, match="is not a checksum line"):
        parse_checksums_text("z" + text[1:])
    bsd = tool(["sha256sum", "--tag", "app"], cwd=release).rstrip("\n")
    with pytest.raises(DigestError, match=r"not a hexadecimal digest \(bad characters: 'x'\)"):
        parse_checksums_text(bsd[:-1] + "x")


def test_empty_checksums_file_is_an_error(tmp_path):
    empty = tmp_path / "SHA256SUMS"
    empty.write_bytes(b"")
    with pytest.raises(DigestError, match="is empty"):
        parse_checksums_text(read_checksums_path(empty, 1024, "SHA256SUMS"), "SHA256SUMS")


def test_checksums_file_with_only_comments_and_blank_lines_is_an_error():
    with pytest.raises(DigestError, match="is empty"):
        parse_checksums_text("# nothing here\r\n\r\n   \n", "SUMS")


def test_binary_data_is_not_a_checksums_file(release):
    data = gzip.compress(tool(["sha256sum", "app"], cwd=release).encode())
    with pytest.raises(DigestError, match=r"SUMS.gz is not UTF-8 text"):
        parse_checksums_text(data, "SUMS.gz")


def test_invalid_escape_in_escaped_name_is_an_error(release):
    text = tool(["sha256sum", "app"], cwd=release)
    with pytest.raises(DigestError, match="invalid escape"):
        parse_checksums_text("\\" + text.replace("app", "a\\qpp"))


# --------------------------------------------------------------------------- find_entry


def test_missing_entry_is_an_error(release):
    entries = parse_checksums_text(tool(["sha256sum", "app", "README.md"], cwd=release), "SUMS")
    with pytest.raises(DigestError, match=r"SUMS has no entry for 'other' \(it lists 'README.md', 'app'\)"):
        find_entry(entries, "other", source="SUMS")


def test_name_in_a_subdirectory_is_not_matched_by_base_name(release):
    entries = parse_checksums_text(tool(["sha256sum", "dist/app"], cwd=release))
    with pytest.raises(DigestError, match="no entry for 'app'; it lists 'dist/app', set entry to that name"):
        find_entry(entries, "app")
    assert find_entry(entries, "dist/app").digest == tool_digest("sha256", release / "dist" / "app")


def test_conflicting_duplicate_entries_are_an_error(release):
    first = tool(["sha256sum", "app"], cwd=release)
    (release / "app").write_bytes(b"a different build\n")
    second = tool(["sha256sum", "app"], cwd=release)
    entries = parse_checksums_text(first + second, "SUMS")
    with pytest.raises(DigestError, match=r"lists 'app' more than once with different digests \(line 1: .*; line 2: "):
        find_entry(entries, "app", source="SUMS")


def test_conflicting_duplicate_entries_via_dot_slash_spelling_are_an_error(release):
    first = tool(["sha256sum", "./app"], cwd=release)
    (release / "app").write_bytes(b"a different build\n")
    second = tool(["sha256sum", "--binary", "app"], cwd=release)
    with pytest.raises(DigestError, match="more than once with different digests"):
        find_entry(parse_checksums_text(first + second), "app")


def test_same_entry_twice_with_the_same_digest_is_fine(release):
    text = tool(["sha256sum", "app", "README.md"], cwd=release) + tool(["sha256sum", "./app"], cwd=release)
    entry = find_entry(parse_checksums_text(text), "app")
    assert entry.line == 1
    assert entry.digest == tool_digest("sha256", release / "app")


def test_requested_dotdot_entry_is_an_error(release):
    entries = parse_checksums_text(tool(["sha256sum", "app"], cwd=release))
    with pytest.raises(DigestError, match=r"entry '../x' has a '\.\.' component"):
        find_entry(entries, "../x")


def test_dotdot_entry_in_checksums_file_is_an_error(release):
    (release / "x").write_bytes(b"outside\n")
    text = tool(["sha256sum", "app", "../" + release.name + "/x"], cwd=release)
    with pytest.raises(DigestError, match=r"SUMS line 2: entry '\.\./.*/x' has a '\.\.' component"):
        find_entry(parse_checksums_text(text, "SUMS"), "app", source="SUMS")


def test_dotdot_inside_a_name_is_an_error(release):
    text = tool(["sha256sum", "dist/../app"], cwd=release)
    with pytest.raises(DigestError, match=r"'dist/\.\./app' has a '\.\.' component"):
        find_entry(parse_checksums_text(text), "app")


def test_absolute_path_entry_in_checksums_file_is_an_error(release):
    text = tool(["sha256sum", str(release / "app")], cwd=release)
    with pytest.raises(DigestError, match="is an absolute path; checksums entries are relative names such as 'app'"):
        find_entry(parse_checksums_text(text), "app")


def test_requested_absolute_entry_is_an_error(release):
    entries = parse_checksums_text(tool(["sha256sum", "app"], cwd=release))
    with pytest.raises(DigestError, match="entry '/etc/passwd' is an absolute path"):
        find_entry(entries, "/etc/passwd")


def test_empty_requested_entry_is_an_error(release):
    entries = parse_checksums_text(tool(["sha256sum", "app"], cwd=release))
    with pytest.raises(DigestError, match="entry is empty"):
        find_entry(entries, "")
    with pytest.raises(DigestError, match="names no file"):
        find_entry(entries, "./")


def test_bsd_algorithm_must_match_the_requested_algorithm(release):
    entries = parse_checksums_text(tool(["sha512sum", "--tag", "app"], cwd=release))
    with pytest.raises(DigestError, match=r"lists 'app' only as sha512 .* but algorithm is sha256"):
        find_entry(entries, "app", "sha256")


def test_gnu_digest_length_must_match_the_requested_algorithm(release):
    entries = parse_checksums_text(tool(["sha384sum", "app"], cwd=release))
    with pytest.raises(DigestError, match=r"only as sha384 .* but algorithm is sha512"):
        find_entry(entries, "app", "sha512")


def test_several_algorithms_for_one_name(release):
    text = tool(["sha256sum", "--tag", "app"], cwd=release) + tool(["sha512sum", "--tag", "app"], cwd=release)
    entries = parse_checksums_text(text)
    with pytest.raises(DigestError, match=r"with several algorithms .*set algorithm"):
        find_entry(entries, "app")
    assert find_entry(entries, "app", "sha512").digest == tool_digest("sha512", release / "app")
    assert find_entry(entries, "app", "sha256").line == 1


def test_normalize_name():
    assert normalize_name("./dist//app") == "dist/app"
    assert normalize_name("app") == "app"
    with pytest.raises(DigestError, match="NUL"):
        normalize_name("a\x00b")


# --------------------------------------------------------------------------- file_digest / verify_file


@pytest.mark.parametrize("use_hashlib", [True, False])
@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_file_digest_matches_coreutils_on_a_multi_chunk_file(tmp_path, algorithm, use_hashlib):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 123))
    result = file_digest(path, algorithm, use_hashlib_file_digest=use_hashlib)
    assert result.digest == tool_digest(algorithm, path)
    assert result.size == path.stat().st_size
    assert result.algorithm == algorithm


def test_file_digest_readinto_loop_with_small_odd_chunks(release):
    result = file_digest(release / "app", "sha256", chunk_size=4093, use_hashlib_file_digest=False)
    assert result.digest == tool_digest("sha256", release / "app")
    assert result.size == 70_000


@pytest.mark.parametrize("use_hashlib", [True, False])
def test_file_digest_streams_instead_of_loading_the_file(tmp_path, use_hashlib):
    path = tmp_path / "large.bin"
    with open(path, "wb") as handle:
        for _i in range(32):
            handle.write(os.urandom(1024 * 1024))
    tracemalloc.start()
    try:
        result = file_digest(path, "sha256", use_hashlib_file_digest=use_hashlib)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.size == 32 * 1024 * 1024
    assert peak < 4 * 1024 * 1024, f"peak Python allocation {peak} bytes: the file was not streamed"
    assert result.digest == tool_digest("sha256", path)


@pytest.mark.parametrize("use_hashlib", [True, False])
def test_empty_target_file_is_allowed_and_has_the_tools_empty_digest(release, use_hashlib):
    for algorithm in sorted(ALGORITHMS):
        result = file_digest(release / "empty", algorithm, use_hashlib_file_digest=use_hashlib)
        assert result.digest == tool_digest(algorithm, release / "empty")
        assert result.size == 0


def test_file_digests_reads_the_file_once_for_every_algorithm(tmp_path, monkeypatch):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(2 * 1024 * 1024 + 77))
    opened = []
    real = _digests._open_regular
    monkeypatch.setattr(_digests, "_open_regular", lambda p: opened.append(p) or real(p))
    digests, size = file_digests(path, ["sha512", "sha256", "sha384", "sha256"], chunk_size=65521)
    assert digests == {a: tool_digest(a, path) for a in ("sha512", "sha256", "sha384")}
    assert size == path.stat().st_size
    assert opened == [path]
    single, size = file_digests(path, ["sha256"])
    assert single == {"sha256": tool_digest("sha256", path)} and size == path.stat().st_size


def test_file_digests_refuses_a_weak_algorithm_and_a_missing_file(tmp_path):
    with pytest.raises(DigestError, match="md5"):
        file_digests(tmp_path / "x", ["sha256", "md5"])
    with pytest.raises(DigestError, match=r"file to verify .*/missing does not exist; check path"):
        file_digests(tmp_path / "missing", ["sha256", "sha512"])


def test_file_digest_follows_symlinks(release):
    (release / "link").symlink_to(release / "app")
    assert file_digest(release / "link").digest == tool_digest("sha256", release / "app")


def test_nonexistent_path_is_an_error(tmp_path):
    with pytest.raises(DigestError, match=r"file to verify .*/missing does not exist; check path"):
        file_digest(tmp_path / "missing")


def test_path_below_a_regular_file_is_an_error(release):
    with pytest.raises(DigestError, match="a parent is not a directory"):
        file_digest(release / "app" / "child")


def test_directory_as_path_is_an_error(release):
    with pytest.raises(DigestError, match="is a directory; path must name a regular file"):
        file_digest(release / "dist")


def test_fifo_as_path_is_an_error_and_does_not_block(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    outcome = {}

    def attempt():
        try:
            file_digest(fifo)
        except DigestError as exc:
            outcome["error"] = str(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock the reader so the thread can end, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("file_digest blocked on a FIFO")
    assert time.monotonic() - started < 10
    assert "is not a regular file" in outcome["error"]


@contextlib.contextmanager
def _unprivileged():
    """Drop the effective uid to nobody while root (root reads any file), else do nothing."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_unreadable_file_is_an_error():
    # A world-traversable directory, so that only the file's own mode forbids the read.
    base = Path(tempfile.mkdtemp(prefix="gosvc-digests-"))
    try:
        base.chmod(0o755)
        secret = base / "secret"
        secret.write_bytes(b"not for you\n")
        secret.chmod(0)
        with _unprivileged(), pytest.raises(DigestError, match="is not readable \\(permission denied\\)"):
            file_digest(secret)
    finally:
        shutil.rmtree(base)


def test_unsupported_algorithm_for_file_digest(release):
    with pytest.raises(DigestError, match="algorithm 'md5' is not supported"):
        file_digest(release / "app", "md5")


def test_verify_file_passes_with_the_tools_digest(release):
    expected = parse_expected("sha384:" + tool_digest("sha384", release / "app"))
    result = verify_file(release / "app", expected)
    assert (result.algorithm, result.digest, result.size) == ("sha384", expected.digest, 70_000)


def test_verify_file_mismatch_names_file_expected_and_actual(release):
    expected = parse_expected(tool_digest("sha256", release / "README.md"))
    actual = tool_digest("sha256", release / "app")
    with pytest.raises(DigestError) as caught:
        verify_file(release / "app", expected)
    message = str(caught.value)
    assert str(release / "app") in message
    assert f"expected sha256:{expected.digest}" in message
    assert f"actual sha256:{actual}" in message
    assert caught.value.details == {
        "path": release / "app",
        "algorithm": "sha256",
        "expected": expected.digest,
        "digest": actual,
        "size": 70_000,
    }


def test_digests_equal_is_case_insensitive(release):
    digest = tool_digest("sha256", release / "app")
    assert digests_equal(digest, digest.upper())
    assert not digests_equal(digest, tool_digest("sha256", release / "README.md"))


def test_digests_equal_uses_hmac_compare_digest(monkeypatch):
    calls = []
    real = _digests.hmac.compare_digest
    monkeypatch.setattr(_digests.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert digests_equal("ab", "AB")
    assert calls == [(b"ab", b"ab")]


# --------------------------------------------------------------------------- reading with a cap


def test_read_capped_accepts_exactly_the_limit_and_refuses_one_more(release):
    data = tool(["sha256sum", "app"], cwd=release).encode()
    path = release / "SUMS"
    path.write_bytes(data)
    assert read_checksums_path(path, len(data)) == data.decode()
    with pytest.raises(DigestError, match=f"is larger than the {len(data) - 1} byte limit"):
        read_checksums_path(path, len(data) - 1)
    with open(path, "rb") as handle, pytest.raises(DigestError, match="limit for SUMS must be a positive"):
        read_capped(handle, 0, "SUMS")


def test_read_checksums_path_errors(release):
    with pytest.raises(DigestError, match="does not exist"):
        read_checksums_path(release / "missing", 1024)
    with pytest.raises(DigestError, match="is a directory"):
        read_checksums_path(release / "dist", 1024)


def test_decode_checksums_drops_bom():
    assert decode_checksums("\ufeffabc".encode(), "x") == "abc"
