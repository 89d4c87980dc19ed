# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_digests at its edges: what each error names, limits at their boundary, odd but real file names.

As in test_digests.py, checksums documents come from the real coreutils tools (and openssl) run on
files made in the test; where a test needs a bad document, one real line is altered.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import warnings

import pytest
from test_digests import _unprivileged, tool, tool_digest

from ansible_collections.gosvc.hardening.plugins.module_utils._digests import (
    DigestError,
    ExpectedDigest,
    file_digest,
    file_digests,
    find_entry,
    mask_url,
    normalize_name,
    parse_checksums_text,
    parse_expected,
    read_capped,
    read_checksums_bytes,
    read_checksums_path,
    verify_file,
)

pytestmark = pytest.mark.skipif(
    any(shutil.which(f"{a}sum") is None for a in ("sha256", "sha384", "sha512")),
    reason="GNU coreutils sha*sum tools are required",
)
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")


@pytest.fixture
def app(tmp_path):
    """A small release file ``app`` in its own directory."""
    path = tmp_path / "app"
    path.write_bytes(os.urandom(20_000))
    return path


def sums(cwd, *names, algorithm="sha256", tag=False):
    """The real ``<algorithm>sum`` output for ``names`` (BSD form with ``tag``)."""
    return tool([f"{algorithm}sum", *(["--tag"] if tag else []), "--", *names], cwd=cwd)


def message(call, *args, **kwargs):
    """The DigestError message of ``call(*args, **kwargs)``."""
    with pytest.raises(DigestError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# --- parse_expected --------------------------------------------------------------------------


def test_expected_digest_that_is_not_a_string_names_its_type():
    """A checksum that is not a string is refused, naming the type it had and the form to use."""
    assert message(parse_expected, 123) == "checksum must be a string such as sha256:<64 hex digits>, got int"


def test_expected_digest_errors_name_the_checksum(app):
    """Every parse_expected error starts with the checksum it refuses."""
    digest = tool_digest("sha256", app)
    assert message(parse_expected, "   ").startswith("checksum is empty; give sha256:<hex>")
    assert message(parse_expected, digest[:-1]).startswith(f"checksum {digest[:-1]!r}: a digest of 63 hex digits")
    assert message(parse_expected, f"sha256:{digest[:-1]}").startswith(
        f"checksum 'sha256:{digest[:-1]}': a sha256 digest has 64 hex digits"
    )


def test_empty_prefixed_digest_says_how_many_digits_to_give():
    """sha384: with nothing after it is refused, saying how many hex digits a sha384 digest has."""
    assert message(parse_expected, "sha384:") == "checksum 'sha384:': the digest is empty; give 96 hex digits"


def test_a_stray_colon_in_the_digest_is_a_bad_character(app):
    """Only the first ':' separates the algorithm: a second one is a bad character of the digest."""
    digest = tool_digest("sha256", app)
    text = message(parse_expected, f"sha256:{digest[:32]}:{digest[33:]}")
    assert "is not a hexadecimal digest (bad characters: ':')" in text


def test_bad_characters_are_all_listed_and_uppercase_hex_is_not_one(app):
    """The bad-character list names every non-hex character (sorted, blank-separated) and no A-F."""
    digest = tool_digest("sha256", app).upper()
    bad = digest[:10] + "g" + digest[11:20] + "X" + digest[21:]
    text = message(parse_expected, bad)
    assert "(bad characters: 'X' 'g'); copy the digest again, it has digits 0-9 and a-f only" in text


def test_weak_prefix_and_weak_length_errors_say_why(app):
    """md5 and sha1 are refused with the reason: too weak to pin a release."""
    md5 = tool(["md5sum", str(app)], cwd=None).split()[0]
    assert message(parse_expected, f"md5:{md5}").endswith("(md5 and sha1 are too weak to pin a release)")
    assert message(parse_expected, md5).endswith("md5, sha1 and truncated digests are not accepted")


def test_truncated_digest_for_a_named_algorithm_is_called_truncated(app):
    """A digest of a length no SHA-2 has is called truncated, not another algorithm's digest."""
    digest = tool_digest("sha256", app)
    assert message(parse_expected, f"sha256:{digest[:-1]}").endswith(
        "a sha256 digest has 64 hex digits, this one has 63 (it is truncated or not SHA-2)"
    )


def test_unsupported_algorithm_lists_the_supported_ones():
    """An unsupported algorithm option is refused with the list of algorithms to use."""
    expected = "algorithm 'sha1' is not supported; use one of sha256, sha384, sha512"
    assert message(parse_expected, "00", "sha1") == expected


# --- parse_checksums_text ------------------------------------------------------------------


def test_errors_of_an_unnamed_document_say_checksums_file(app):
    """Without a source, errors name the document 'checksums file' and the line."""
    assert message(parse_checksums_text, "not a checksum line\n").startswith("checksums file line 1: ")


def test_a_single_bare_digest_of_a_wrong_length_names_its_line(app):
    """A document of one bare digest of a wrong length is refused, naming the document and line."""
    digest = tool_digest("sha256", app)
    assert message(parse_checksums_text, f"\n{digest[:40]}\n", "app.sha256").startswith(
        "app.sha256 line 2: a digest of 40 hex digits is not sha256 (64)"
    )


def test_not_a_checksum_line_error_says_what_a_line_looks_like(app):
    """A line that is no checksum line is refused, showing both accepted forms and the fix."""
    text = sums(app.parent, "app") + "garbage\n"
    assert message(parse_checksums_text, text, "SUMS") == (
        "SUMS line 2: 'garbage' is not a checksum line (expected '<hex>  name' or "
        "'SHA256 (name) = <hex>'); check that this is a checksums file"
    )


@pytest.mark.parametrize(("length", "quoted"), [(80, 80), (81, 80)])
def test_a_long_bad_line_is_quoted_up_to_80_characters(length, quoted):
    """A bad line is quoted whole up to 80 characters, longer ones cut at 80 with '...'."""
    line = ("not a checksum line " * 5)[:length]
    text = message(parse_checksums_text, line + "\n" + line + "\n", "SUMS")
    shown = line[:quoted] + ("..." if length > quoted else "")
    assert text.startswith(f"SUMS line 1: {shown!r} is not a checksum line")


@pytest.mark.parametrize("legacy", ["md5", "sha1"])
def test_bsd_line_of_a_weak_algorithm_says_which_tools_to_use(app, legacy):
    """A BSD line of md5 or sha1 is refused, naming the tools that make a usable file."""
    text = tool([f"{legacy}sum", "--tag", "app"], cwd=app.parent)
    assert message(parse_checksums_text, text, "SUMS") == (
        f"SUMS line 1: algorithm '{legacy.upper()}' is not supported; "
        "use a checksums file made with sha256sum, sha384sum or sha512sum"
    )


def test_bsd_line_with_a_bad_digest_names_its_line(app):
    """A BSD line whose digest ends in a stray 'X' is refused, naming the line and the bad character."""
    text = sums(app.parent, "app", tag=True).rstrip("\n")[:-1] + "X\n"
    assert message(parse_checksums_text, text, "SUMS").startswith("SUMS line 1: ")
    assert "(bad characters: 'X')" in message(parse_checksums_text, text, "SUMS")


def test_bsd_line_with_trailing_blanks_is_accepted(app):
    """Blanks after a BSD line's digest are ignored."""
    text = sums(app.parent, "app", tag=True).rstrip("\n") + " \t\n"
    assert find_entry(parse_checksums_text(text), "app").digest == tool_digest("sha256", app)


def test_gnu_lines_indented_with_blanks_are_accepted_as_sha256sum_accepts_them(app):
    """Leading blanks (spaces, tabs) before a GNU line are skipped, as sha256sum -c skips them."""
    text = "".join("  \t" + line + "\n" for line in sums(app.parent, "app").splitlines())
    (app.parent / "SUMS").write_text(text)
    assert "app: OK" in tool(["sha256sum", "-c", "SUMS"], cwd=app.parent)
    assert find_entry(parse_checksums_text(text), "app").digest == tool_digest("sha256", app)


@pytest.mark.parametrize("lead", ["\f", "X"])
def test_a_line_starting_with_another_character_is_refused(app, lead):
    """Only spaces and tabs may lead a line: a form feed or a stray letter makes it a bad line."""
    text = lead + sums(app.parent, "app")
    with pytest.raises(DigestError, match=r"^SUMS line 1: .* is not a checksum line"):
        parse_checksums_text(text, "SUMS")


def test_bsd_line_ending_in_a_form_feed_is_refused_as_sha256sum_refuses_it(app):
    """Only blanks may follow a BSD line's digest: a form feed makes it a bad line, for sha256sum -c too."""
    text = sums(app.parent, "app", tag=True).rstrip("\n") + "\f\n"
    (app.parent / "SUMS").write_text(text)
    checked = subprocess.run(["sha256sum", "-c", "SUMS"], cwd=app.parent, capture_output=True, text=True, check=False)
    assert "no properly formatted checksum lines found" in checked.stderr
    with pytest.raises(DigestError, match=r"^SUMS line 1: .* is not a checksum line"):
        parse_checksums_text(text, "SUMS")


@pytest.mark.parametrize("name", ["back\\slash", "new\nline", "carriage\rreturn"])
@pytest.mark.parametrize("tag", [False, True])
def test_names_coreutils_escapes_are_read_back(app, name, tag):
    """Names holding a backslash, a newline or a carriage return, escaped by coreutils, match the real name."""
    (app.parent / name).write_bytes(b"odd name\n")
    text = sums(app.parent, name, tag=tag)
    assert text.startswith("\\")
    entry = find_entry(parse_checksums_text(text), name)
    assert entry.name == name
    assert entry.digest == tool_digest("sha256", app.parent / name)


@pytest.mark.parametrize("tag", [False, True])
def test_an_invalid_escape_names_the_line_and_the_escape(app, tag):
    """An escaped name (GNU or BSD line) with an undefined escape is refused, naming the line and the valid escapes."""
    (app.parent / "a\\pp").write_bytes(b"odd name\n")
    text = sums(app.parent, "a\\pp", tag=tag).replace("a\\\\pp", "a\\qpp")
    assert text.startswith("\\") and "a\\qpp" in text
    assert message(parse_checksums_text, text, "SUMS") == (
        "SUMS line 1: invalid escape '\\\\q' in a file name; only \\\\, \\n and \\r are defined"
    )


@needs_openssl
@pytest.mark.parametrize("flags", [[], ["-r"]])
def test_openssl_names_are_taken_verbatim(app, flags):
    """openssl does not escape names: a backslash in its output is part of the name (BSD and -r forms)."""
    name = "back\\slash"
    (app.parent / name).write_bytes(b"odd name\n")
    text = tool(["openssl", "dgst", "-sha256", *flags, name], cwd=app.parent)
    assert not text.startswith("\\")
    entry = find_entry(parse_checksums_text(text), name)
    assert (entry.name, entry.digest) == (name, tool_digest("sha256", app.parent / name))


def test_not_utf8_error_says_to_point_at_the_checksums_file():
    """Binary data is refused as not UTF-8, saying what to point at instead."""
    assert message(parse_checksums_text, b"\xff\xfe", "SUMS") == (
        "SUMS is not UTF-8 text (bad byte at offset 0); point at the checksums file itself, "
        "not at an archive or a signature"
    )


# --- find_entry ------------------------------------------------------------------------------


def test_find_entry_without_a_source_names_the_checksums_file(app):
    """Without a source, find_entry's errors name the document 'checksums file'."""
    entries = parse_checksums_text(sums(app.parent, "app"))
    assert message(find_entry, entries, "other").startswith("checksums file has no entry for 'other'")


def test_no_entries_at_all_is_refused():
    """An empty entry list is refused with the fix: check the file."""
    assert message(find_entry, [], "app", source="SUMS") == "SUMS has no entries; check that it is the right file"


def test_a_bare_digest_among_named_entries_is_refused(app):
    """Named entries and a bare digest together are refused, naming the bare digest's line."""
    entries = parse_checksums_text(sums(app.parent, "app")) + parse_checksums_text(tool_digest("sha256", app))
    assert message(find_entry, entries, "app", source="SUMS") == (
        "SUMS line 1 is a bare digest among named entries; fix the file"
    )


def test_entry_of_other_algorithms_only_lists_them_and_their_lines(app):
    """An entry listed only in other algorithms is refused, naming them, their lines and the fix."""
    text = sums(app.parent, "app", algorithm="sha384", tag=True) + sums(
        app.parent, "./app", algorithm="sha512", tag=True
    )
    assert message(find_entry, parse_checksums_text(text), "app", "sha256", "SUMS") == (
        "SUMS lists 'app' only as sha384/sha512 (line 1, 2) but algorithm is sha256; "
        "set algorithm to sha512 or use a sha256 checksums file"
    )


def test_entry_with_several_algorithms_lists_each_with_its_line(app):
    """An entry listed with several algorithms is refused, listing each algorithm and line."""
    text = sums(app.parent, "app", tag=True) + sums(app.parent, "app", algorithm="sha512", tag=True)
    assert message(find_entry, parse_checksums_text(text), "app", source="SUMS") == (
        "SUMS lists 'app' with several algorithms (sha256 on line 1, sha512 on line 2); set algorithm to choose one"
    )


def test_conflicting_entries_say_to_get_a_correct_copy(app):
    """Two different digests for one name are refused, telling the user to get a correct copy."""
    first = sums(app.parent, "app")
    app.write_bytes(b"another build\n")
    text = message(find_entry, parse_checksums_text(first + sums(app.parent, "app")), "app")
    assert text.endswith("the file is inconsistent, get a correct copy from the publisher")


@pytest.mark.parametrize(
    ("wanted", "listed", "hint"),
    [
        ("linux/amd64/app", ["app", "dist/app"], "'app', 'dist/app'"),
        ("app", ["linux/amd64/app"], "'linux/amd64/app'"),
        ("sub/with space.txt", ["with space.txt"], "'with space.txt'"),
    ],
)
def test_missing_entry_suggests_entries_with_the_same_base_name(tmp_path, wanted, listed, hint):
    """A missing entry suggests every listed name with the same last component."""
    for name in listed:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(name.encode())
    entries = parse_checksums_text(sums(tmp_path, *listed))
    assert message(find_entry, entries, wanted, source="SUMS") == (
        f"SUMS has no entry for {wanted!r}; it lists {hint}, set entry to that name"
    )


@pytest.mark.parametrize(("count", "more"), [(10, ""), (11, " and 1 more")])
def test_missing_entry_lists_at_most_ten_names(tmp_path, count, more):
    """A missing entry without a similar name lists the first ten names and counts the rest."""
    names = [f"file{index:02d}" for index in range(count)]
    for name in names:
        (tmp_path / name).write_bytes(name.encode())
    entries = parse_checksums_text(sums(tmp_path, *names))
    shown = ", ".join(repr(name) for name in names[:10])
    assert message(find_entry, entries, "other", source="SUMS") == (
        f"SUMS has no entry for 'other' (it lists {shown}{more}); set entry to the name the file uses"
    )


# --- normalize_name --------------------------------------------------------------------------


def test_normalize_name_errors_name_an_entry_by_default():
    """normalize_name's errors call the name 'entry' unless told otherwise."""
    assert message(normalize_name, "").startswith("entry is empty; give the file name")


@pytest.mark.parametrize(("name", "example"), [("/opt/demo/", "demo"), ("/srv/BOX/", "BOX"), ("/", "app")])
def test_absolute_entry_error_suggests_the_relative_name(app, name, example):
    """An absolute entry is refused with its base name as the example, and the fix."""
    entries = parse_checksums_text(sums(app.parent, "app"))
    assert message(find_entry, entries, name) == (
        f"entry {name!r} is an absolute path; checksums entries are relative names such as {example!r} "
        "(make the checksums file from inside the release directory)"
    )


def test_dotdot_entry_error_says_to_use_the_relative_name(app):
    """A name with a '..' component is refused, saying to use the name relative to the checksums file."""
    entries = parse_checksums_text(sums(app.parent, "app"))
    assert message(find_entry, entries, "../app").endswith(
        "names that climb out of the release directory are refused, use the name relative to the checksums file"
    )


# --- reading files ---------------------------------------------------------------------------


def test_symlink_loop_is_reported_with_the_os_reason(tmp_path):
    """A path the OS cannot open for another reason is refused, naming the path and the OS reason."""
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    reason = os.strerror(errno.ELOOP)
    assert message(file_digest, loop) == f"cannot open file to verify {loop}: {reason}"
    assert message(read_checksums_bytes, loop, 1024) == f"cannot read checksums file {loop}: {reason}"


@pytest.mark.parametrize("algorithms", [["sha256"], ["sha256", "sha512"]])
def test_a_read_error_is_reported_with_the_os_reason(algorithms):
    """A read that fails (EIO reading /proc/self/mem at offset 0) is refused, naming the file and the reason."""
    assert message(file_digests, "/proc/self/mem", algorithms) == (
        f"reading file to verify /proc/self/mem failed: {os.strerror(errno.EIO)}"
    )


@pytest.mark.parametrize("use_hashlib", [True, False])
def test_a_read_error_is_reported_on_both_hashing_paths(use_hashlib):
    """file_digest reports a failing read the same way with and without hashlib.file_digest."""
    assert message(file_digest, "/proc/self/mem", use_hashlib_file_digest=use_hashlib) == (
        f"reading file to verify /proc/self/mem failed: {os.strerror(errno.EIO)}"
    )


@pytest.mark.parametrize("chunk_size", [0, -1, "1024"])
@pytest.mark.parametrize("algorithms", [["sha256"], ["sha256", "sha512"]])
def test_a_chunk_size_that_is_not_a_positive_integer_is_refused(app, chunk_size, algorithms):
    """chunk_size must be a positive number of bytes, for one algorithm or several, and for verify_file."""
    expected = f"chunk_size must be a positive number of bytes, got {chunk_size!r}"
    assert message(file_digests, app, algorithms, chunk_size) == expected
    assert message(verify_file, app, ExpectedDigest("sha256", tool_digest("sha256", app)), chunk_size) == expected


def test_a_chunk_size_of_one_byte_works(app):
    """The smallest chunk size, one byte, hashes the file correctly."""
    result = file_digest(app, "sha256", chunk_size=1, use_hashlib_file_digest=False)
    assert (result.digest, result.size) == (tool_digest("sha256", app), 20_000)


def test_two_algorithms_give_two_digests(app):
    """file_digests with two algorithms returns both digests."""
    digests, size = file_digests(app, ["sha384", "sha512"])
    assert digests == {"sha384": tool_digest("sha384", app), "sha512": tool_digest("sha512", app)}
    assert size == 20_000


def test_hashing_a_file_emits_no_warning(app):
    """Hashing a file is silent: no Python warning (a module's stderr stays clean)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for use_hashlib in (True, False):
            assert file_digest(app, use_hashlib_file_digest=use_hashlib).digest == tool_digest("sha256", app)


def test_mismatch_says_what_the_file_may_be(app):
    """A mismatch says the file is corrupt, truncated or not the pinned release."""
    expected = ExpectedDigest("sha256", "0" * 64)
    assert message(verify_file, app, expected).endswith(
        "the file is corrupt, truncated or not the release that was pinned"
    )


# --- reading checksums documents with a cap ----------------------------------------------------


def test_a_document_larger_than_the_limit_in_several_chunks_is_refused(tmp_path):
    """The limit counts every byte read, not just the last chunk."""
    path = tmp_path / "SUMS"
    path.write_bytes(b"#" * 200_000)
    assert message(read_checksums_bytes, path, 100_000) == (
        f"checksums file {path} is larger than the 100000 byte limit; check that it is a checksums file, "
        "or raise the limit"
    )


def test_a_document_read_in_several_chunks_is_returned_byte_for_byte(tmp_path):
    """A document larger than one read chunk comes back exactly as it is on disk."""
    data = os.urandom(150_000)
    path = tmp_path / "SUMS"
    path.write_bytes(data)
    assert read_checksums_bytes(path, 200_000) == data


def test_an_endless_stream_is_cut_at_the_limit():
    """An endless stream (/dev/zero) is refused once it passes the limit, never read whole."""
    with open("/dev/zero", "rb") as stream:
        assert message(read_capped, stream, 1000, "zero") == (
            "zero is larger than the 1000 byte limit; check that it is a checksums file, or raise the limit"
        )


def test_a_limit_of_one_byte_is_valid(tmp_path):
    """A limit of 1 byte is a valid limit: a 1-byte document is read."""
    path = tmp_path / "one"
    path.write_bytes(b"x")
    with open(path, "rb") as stream:
        assert read_capped(stream, 1, "one") == b"x"


def test_read_errors_name_the_source_when_given(tmp_path):
    """read_checksums_path names the caller's source in every error, the path otherwise."""
    missing = tmp_path / "missing"
    assert message(read_checksums_path, missing, 1024, "SUMS") == "SUMS does not exist; check the path"
    assert message(read_checksums_path, missing, 1024) == f"checksums file {missing} does not exist; check the path"
    binary = tmp_path / "SUMS.gz"
    binary.write_bytes(b"\xff\xfe")
    assert message(read_checksums_path, binary, 1024, "SUMS").startswith("SUMS is not UTF-8 text")
    assert message(read_checksums_path, binary, 1024).startswith(f"checksums file {binary} is not UTF-8 text")
    big = tmp_path / "big"
    big.write_bytes(b"#" * 10)
    assert message(read_checksums_path, big, 5, "SUMS").startswith("SUMS is larger than the 5 byte limit")


def test_a_device_is_not_a_checksums_file():
    """A device (/dev/null) is refused as not a regular file, with the fix."""
    assert message(read_checksums_bytes, "/dev/null", 1024) == (
        "checksums file /dev/null is not a regular file; give the path of the checksums file"
    )


def test_unreadable_checksums_file_says_to_use_become(tmp_path):
    """A checksums file the user may not read is refused, saying to use become or fix its mode."""
    tmp_path.chmod(0o755)
    path = tmp_path / "SUMS"
    path.write_text("x\n")
    path.chmod(0)
    with _unprivileged():
        text = message(read_checksums_bytes, path, 1024)
    assert text == f"checksums file {path} is not readable (permission denied); use become or fix its mode"


# --- mask_url --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://token@example.com/SHA256SUMS", "https://********@example.com/SHA256SUMS"),
        ("https://user:p@ss@example.com/SHA256SUMS", "https://********@example.com/SHA256SUMS"),
    ],
)
def test_mask_url_hides_a_lone_user_and_a_password_holding_at(url, masked):
    """A token given as the user, and a password holding '@', are hidden whole."""
    assert mask_url(url) == masked


def test_checksum_verify_and_the_verify_probe_return_one_shape(tmp_path):
    """_digests.check_file is the one shaping of a file check; service_probe's checksum is that result."""
    from ansible_collections.gosvc.hardening.plugins.module_utils import _digests, _service_probe

    path = tmp_path / "app"
    path.write_bytes(b"release 1\n")
    good = hashlib.sha256(b"release 1\n").hexdigest()
    for digest in (good, good[:-1] + ("0" if good[-1] != "0" else "1")):
        shaped = _digests.check_file(str(path), _digests.ExpectedDigest("sha256", digest))
        assert _service_probe.checksum_result(str(path), f"sha256:{digest}") == shaped
        assert shaped["failed"] is (digest != good) and shaped["expected"] == digest
    assert _digests.check_file(str(path), _digests.ExpectedDigest("sha256", good))["size"] == 10


def test_a_mismatch_reports_the_resolved_file_both_digests_and_the_algorithm(tmp_path):
    from ansible_collections.gosvc.hardening.plugins.module_utils._digests import check_file

    real = tmp_path / "app"
    real.write_bytes(b"release 2\n")
    (tmp_path / "current").symlink_to(real)
    out = check_file(str(tmp_path / "current"), ExpectedDigest("sha256", "0" * 64))
    assert out["failed"] is True and out["path"] == str(real)
    assert (out["algorithm"], out["expected"]) == ("sha256", "0" * 64)
    assert out["digest"] == hashlib.sha256(b"release 2\n").hexdigest() and out["matched_entry"] is None
    # A pinned digest has no checksums entry to name: the message ends with the verdict.
    assert out["msg"].endswith("or not the release that was pinned")


def test_a_file_that_cannot_be_read_is_reported_under_the_path_given(tmp_path):
    from ansible_collections.gosvc.hardening.plugins.module_utils._digests import check_file

    missing = tmp_path / "gone"
    out = check_file(str(missing), ExpectedDigest("sha512", "0" * 128))
    assert out["failed"] is True and out["path"] == str(missing) and out["changed"] is False
    assert (out["algorithm"], out["expected"]) == ("sha512", "0" * 128)
    assert out["msg"].startswith("Verifying the file's sha512 digest: ")
