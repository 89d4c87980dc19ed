# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzz the collection's parsers with hypothesis (fault matrix, case 8).

Whatever the input, a parser returns a result of its documented shape or raises the clean error its
callers catch; never IndexError, KeyError, TypeError, UnicodeDecodeError, struct.error,
RecursionError, OverflowError or a bare ValueError. The clean error of each parser is the one its
callers catch:

* checksums files (_digests, _artifact): DigestError; ArtifactError from _artifact.expected_digest;
* Sigstore material (_sigstore_material): MaterialError; what action/cosign_verify.py catches around
  ``Verification(...)`` (MaterialError, VerifyError, MissingLibrary) for the parsing that
  _sigstore_verify does while it plans a verification (no signature is verified here);
* ELF / Go build information (_goelf): GoBinaryError (NotELFError, NotGoError, CorruptError);
  ``build_result`` never raises; go_unquote, go_quoted_prefix and parse_min_go_version raise
  ValueError (their callers catch ValueError); parse_go_version returns None for no version;
* systemd output (_systemd_analyze): AnalyzeError; parse_show and classify_verify never raise.

Inputs: random bytes and text with odd unicode (NUL, lone surrogates, line and paragraph separators,
byte order marks, non-ASCII digits), very long runs, missing fields; mutated real material (the
captures in tests/unit/data, a small ELF file built here with struct). Each test is derandomized so
CI runs the same examples every time; every input that once broke a parser is kept as an
``@example`` with a comment naming what it broke.
"""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import io
import json
import struct

import pytest
from conftest import ROOT
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.gosvc.hardening.plugins.module_utils import _artifact, _digests, _goelf
from ansible_collections.gosvc.hardening.plugins.module_utils import _sigstore_material as sm
from ansible_collections.gosvc.hardening.plugins.module_utils import _systemd_analyze as sa
from ansible_collections.gosvc.hardening.plugins.plugin_utils import _sigstore_verify as sv

DATA = ROOT / "tests" / "unit" / "data"

#: Bounded, reproducible runs: the whole file stays well under 30 s on two cores.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FUZZ_MORE = settings(FUZZ, max_examples=300)


# -- text strategies ---------------------------------------------------------------------------

ODD_CHARS = [
    "\x00",
    "\t",
    "\r",
    "\n",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x1c",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ud800",  # lone surrogates: JSON "\ud800" escapes decode to them
    "\udfff",
    "\u200b",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: \d matches it, int() accepts it
    "\uff11",  # FULLWIDTH DIGIT ONE
    "\u2014",
    "é",
    "\U0001d7d8",
    "\U0010ffff",
    "\\",
    "*",
    "(",
    ")",
    "=",
    " ",
    ":",
    "/",
]
odd_char = st.one_of(st.characters(), st.sampled_from(ODD_CHARS))
#: Very long runs: long lines, long numbers (int() refuses more than 4300 digits), long names.
long_run = st.builds(
    lambda c, n: c * n,
    st.sampled_from(["1", "9", "a", "f", " ", "\x00", "é", "=", "\t", "/", "\u0663"]),
    st.integers(500, 6000),
)
#: Decimal numbers around int()'s 4300-digit limit for str -> int conversion.
long_digits = st.integers(4290, 4310).map(lambda n: "1" * n)


def odd_text(*tokens, max_pieces=10):
    """Text made of random odd characters, long runs and the parser's own tokens, in any order."""
    pieces = [st.text(odd_char, max_size=30), long_run]
    if tokens:
        pieces.append(st.sampled_from(tokens))
    return st.lists(st.one_of(*pieces), max_size=max_pieces).map("".join)


def odd_lines(*tokens, max_lines=8):
    """Lines of odd_text joined with LF or CRLF."""
    return st.builds(
        lambda lines, end: end.join(lines),
        st.lists(odd_text(*tokens, max_pieces=6), max_size=max_lines),
        st.sampled_from(["\n", "\r\n"]),
    )


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(odd_char, max_size=20),
    long_digits,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(odd_char, max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def dumps(value):
    """JSON text of ``value`` (a lone surrogate stays an escape, as other producers write it)."""
    return json.dumps(value, ensure_ascii=True)


# -- JSON tree mutation ------------------------------------------------------------------------


def _paths(node, prefix=()):
    """Every path (tuple of keys / indexes) in a JSON tree, the root included."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _get(node, path):
    for key in path:
        node = node[key]
    return node


def _set(doc, path, value):
    if not path:
        return value
    parent = _get(doc, path[:-1])
    parent[path[-1]] = value
    return doc


def _with(doc, path, value):
    """A copy of ``doc`` with the value at ``path`` replaced (for regression examples)."""
    return _set(copy.deepcopy(doc), path, value)


def _b64_or_none(value):
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return None


@st.composite
def mutate_bytes(draw, data, max_flips=6):
    """``data`` with a few bytes changed, inserted or removed, and maybe truncated."""
    out = bytearray(data)
    for _flip in range(draw(st.integers(0, max_flips))):
        if not out:
            break
        pos = draw(st.integers(0, len(out) - 1))
        action = draw(st.sampled_from(["set", "xor", "insert", "delete"]))
        if action == "set":
            out[pos] = draw(st.integers(0, 255))
        elif action == "xor":
            out[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            out[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        else:
            del out[pos : pos + draw(st.integers(1, 8))]
    if draw(st.booleans()) and out:
        del out[draw(st.integers(0, len(out))) :]
    return bytes(out)


@st.composite
def mutate_json(draw, doc, rounds=3):
    """A copy of the JSON tree ``doc`` with one to ``rounds`` mutations.

    A mutation replaces a value by any JSON value, deletes a key or list item, or changes the
    bytes inside a base64 string (a certificate, a signature, a log entry body); a base64 string
    that holds JSON (canonicalizedBody, Payload.body) may have that JSON mutated instead.
    """
    doc = copy.deepcopy(doc)
    for _round in range(draw(st.integers(1, rounds))):
        paths = _paths(doc)
        path = paths[draw(st.integers(0, len(paths) - 1))]
        node = _get(doc, path)
        actions = ["replace", "delete"] if path else ["replace"]
        raw = _b64_or_none(node)
        if raw is not None:
            actions += ["bytes", "bytes"]
            try:
                inner = json.loads(raw)
            except ValueError:
                inner = None
            if isinstance(inner, dict):
                actions += ["inner", "inner"]
        action = draw(st.sampled_from(actions))
        if action == "replace":
            doc = _set(doc, path, draw(json_values))
        elif action == "delete":
            del _get(doc, path[:-1])[path[-1]]
        elif action == "bytes":
            doc = _set(doc, path, base64.b64encode(draw(mutate_bytes(raw))).decode())
        else:
            changed = draw(mutate_json(inner, rounds=2))
            doc = _set(doc, path, base64.b64encode(dumps(changed).encode()).decode())
    return doc


def as_document(doc_strategy):
    """A JSON tree as a mapping, JSON text or UTF-8 bytes (how the action passes bundles on)."""
    return st.one_of(
        doc_strategy,
        doc_strategy.map(dumps),
        doc_strategy.map(lambda d: json.dumps(d, ensure_ascii=False, indent=2).encode("utf-8", "surrogatepass")),
    )


# ==============================================================================================
# Checksums files: _digests.parse_checksums_text, find_entry, parse_expected; _artifact
# ==============================================================================================

HEX_LENGTHS = [0, 1, 32, 40, 63, 64, 65, 95, 96, 127, 128, 129]


def _hex(length, seed, upper):
    text = (hashlib.sha512(str(seed).encode()).hexdigest() * 3)[:length]
    return text.upper() if upper else text


hex_digests = st.builds(_hex, st.sampled_from(HEX_LENGTHS), st.integers(0, 999), st.booleans())
valid_hex = st.builds(_hex, st.sampled_from([64, 96, 128]), st.integers(0, 999), st.booleans())
entry_names = odd_text("app", "./", "../", "/", "dist/", "a b", "\\n", "\\\\", "\\r", "\\q", "(x)", "*", max_pieces=4)
CHECKSUM_TOKENS = ("SHA256 (", "SHA2-256(", ") = ", ")= ", "  ", " *", "\\", "#", "./app", "../app", "/abs")
gnu_lines = st.builds(
    lambda escaped, digest, sep, name: ("\\" if escaped else "") + digest + sep + name,
    st.booleans(),
    hex_digests,
    st.sampled_from([" ", "  ", " *", "\t", "\t*", " \t"]),
    entry_names,
)
bsd_lines = st.builds(
    lambda escaped, alg, space, name, digest: f"{chr(92) if escaped else ''}{alg}{space}({name}){space}= {digest}",
    st.booleans(),
    st.sampled_from(["SHA256", "SHA384", "SHA512", "SHA2-256", "SHA2-512", "sha256", "MD5", "SHA1", "BLAKE2b"]),
    st.sampled_from([" ", ""]),
    entry_names,
    hex_digests,
)
checksum_lines = st.one_of(
    gnu_lines, bsd_lines, hex_digests, st.just(""), st.just("# comment"), odd_text(*CHECKSUM_TOKENS, max_pieces=5)
)
checksum_texts = st.builds(
    lambda bom, lines, end: ("\ufeff" if bom else "") + end.join(lines),
    st.booleans(),
    st.lists(checksum_lines, max_size=8),
    st.sampled_from(["\n", "\r\n"]),
)
#: A document as str, as UTF-8 bytes, as other encodings' bytes, or as random bytes.
checksum_documents = st.one_of(
    checksum_texts,
    checksum_texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
    checksum_texts.map(lambda t: t.encode("utf-16")),
    st.binary(max_size=300),
)


def assert_entry_shape(entry, number_of_lines):
    assert isinstance(entry, _digests.ChecksumEntry)
    assert entry.algorithm in _digests.ALGORITHMS
    assert len(entry.digest) == _digests.ALGORITHMS[entry.algorithm]
    assert set(entry.digest) <= set("0123456789abcdef")
    assert 1 <= entry.line <= number_of_lines
    assert entry.format in ("gnu", "bsd", "bare")
    assert (entry.name is None) == (entry.format == "bare")
    assert entry.name is None or (isinstance(entry.name, str) and entry.name)
    assert isinstance(entry.binary, bool)


@pytest.mark.fault(
    case="8",
    name="checksums.txt parser",
    injected="hypothesis, 300 inputs: GNU and BSD lines, escapes, BOM, CRLF, UTF-16, random bytes",
    expected="entries, or DigestError naming the line",
)
@FUZZ_MORE
@given(document=checksum_documents, wanted=st.one_of(st.none(), entry_names))
@example(document=b"\xff\xfe", wanted=None)  # never broke: random bytes that are not UTF-8
@example(document="\\" + "a" * 64 + "  name\\", wanted="name")  # never broke: a dangling escape
def test_checksums_text_gives_entries_or_digest_error(document, wanted):
    try:
        entries = _digests.parse_checksums_text(document, "fuzz")
    except _digests.DigestError as exc:
        assert str(exc)
        return
    text = _digests.decode_checksums(document, "fuzz")
    assert entries
    for entry in entries:
        assert_entry_shape(entry, text.count("\n") + 1)
    names = [entry.name for entry in entries]
    for name in [*names, wanted]:
        if name is None:
            continue
        try:
            found = _digests.find_entry(entries, name, None, "fuzz")
        except _digests.DigestError as exc:
            assert str(exc)
            continue
        assert found in entries
        if found.format != "bare":
            assert _digests.normalize_name(found.name) == _digests.normalize_name(name)


safe_names = st.text(st.characters(categories=["L", "N"], include_characters="._-/é"), min_size=1, max_size=20).filter(
    lambda n: n.strip("./") and ".." not in n.split("/")
)


@FUZZ
@given(
    rows=st.lists(st.tuples(valid_hex, st.sampled_from([" ", "*"]), safe_names), min_size=1, max_size=6),
    end=st.sampled_from(["\n", "\r\n"]),
)
def test_checksums_text_reads_back_what_sha256sum_writes(rows, end):
    """Well-formed GNU lines parse to exactly their digests and names (the parser is not just quiet)."""
    text = end.join(f"{digest} {mode}{name}" for digest, mode, name in rows) + end
    entries = _digests.parse_checksums_text(text, "fuzz")
    assert [(e.digest, e.name, e.binary, e.format, e.line) for e in entries] == [
        (digest.lower(), name, mode == "*", "gnu", number) for number, (digest, mode, name) in enumerate(rows, 1)
    ]


@FUZZ
@given(
    value=st.one_of(
        odd_text("sha256:", "SHA512:", "md5:", ":", "0" * 64, "f" * 96, "A" * 128, max_pieces=5),
        hex_digests,
        st.builds(lambda p, d: p + d, st.sampled_from(["sha256:", "sha384:", "SHA512: ", "sha1:", ":"]), hex_digests),
        st.integers(),
        st.none(),
        st.lists(st.text(max_size=3), max_size=2),
    ),
    algorithm=st.sampled_from([None, "sha256", "sha384", "sha512"]),
)
def test_parse_expected_gives_digest_or_digest_error(value, algorithm):
    try:
        expected = _digests.parse_expected(value, algorithm)
    except _digests.DigestError as exc:
        assert str(exc)
        return
    assert isinstance(expected, _digests.ExpectedDigest)
    assert algorithm in (None, expected.algorithm)
    assert len(expected.digest) == _digests.ALGORITHMS[expected.algorithm]
    assert expected.digest == expected.digest.lower()
    assert expected.digest in value.lower()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(document=checksum_documents, entry=st.one_of(st.none(), entry_names))
def test_artifact_expected_digest_from_checksums_src(scratch, document, entry):
    """go_artifact reads checksums_src through _artifact.expected_digest: a result or ArtifactError."""
    path = scratch / "checksums.txt"
    path.write_bytes(document if isinstance(document, bytes) else document.encode("utf-8", "surrogatepass"))
    params = {"checksum": None, "checksums_src": str(path), "checksums_entry": entry}
    try:
        expected = _artifact.expected_digest(params, "app")
    except _artifact.ArtifactError as exc:
        assert str(exc)
        return
    assert isinstance(expected.digest, _digests.ExpectedDigest)
    assert_entry_shape(expected.entry, path.read_bytes().count(b"\n") + 1)
    assert expected.digest == (expected.entry.algorithm, expected.entry.digest)
    assert expected.checksums_data == path.read_bytes() and expected.checksums_name == "checksums.txt"


# ==============================================================================================
# Sigstore material: _sigstore_material parsers, and what _sigstore_verify parses while planning
# ==============================================================================================

SIGSTORE = DATA / "sigstore"
CONFORMANCE = SIGSTORE / "conformance"


def _load_json(path):
    return json.loads(path.read_text(encoding="utf-8"))


BUNDLES = {
    name: _load_json(CONFORMANCE / name / "bundle.sigstore.json")
    for name in ("happy-path-v0.1", "happy-path-v0.2", "happy-path-v0.3", "managed-key-happy-path")
}
BUNDLES["sigstore-python-v0.1"] = _load_json(SIGSTORE / "sigstore-python" / "bundle.txt.sigstore")
TRUSTED_ROOT_DOC = _load_json(SIGSTORE / "trust" / "production.trusted_root.json")
TRUSTED_ROOT = sm.parse_trusted_root(TRUSTED_ROOT_DOC, "production trusted root")
MANAGED_KEY_PEM = (CONFORMANCE / "managed-key-happy-path" / "key.pub").read_bytes()
_V01 = BUNDLES["happy-path-v0.1"]
_V01_ENTRY = _V01["verificationMaterial"]["tlogEntries"][0]
CERT_DER = base64.b64decode(_V01["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"])
CERT_PEM = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(CERT_DER) + b"-----END CERTIFICATE-----\n"
#: The old cosign --bundle layout of the happy-path-v0.1 entry (as test_sigstore_inputs.legacy_doc builds it).
LEGACY_BUNDLE = {
    "base64Signature": _V01["messageSignature"]["signature"],
    "cert": base64.b64encode(CERT_PEM).decode(),
    "rekorBundle": {
        "SignedEntryTimestamp": _V01_ENTRY["inclusionPromise"]["signedEntryTimestamp"],
        "Payload": {
            "body": _V01_ENTRY["canonicalizedBody"],
            "integratedTime": int(_V01_ENTRY["integratedTime"]),
            "logIndex": int(_V01_ENTRY["logIndex"]),
            "logID": base64.b64decode(_V01_ENTRY["logId"]["keyId"]).hex(),
        },
    },
}
BUNDLES["legacy"] = LEGACY_BUNDLE
REAL_BUNDLES = list(BUNDLES.values())
CHECKPOINT = BUNDLES["happy-path-v0.2"]["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"][
    "envelope"
]
HASHEDREKORD_BODY = json.loads(base64.b64decode(_V01_ENTRY["canonicalizedBody"]))
KEYLESS = sv.Options(identity="someone@example.com", issuer="https://issuer.example", trusted_root=TRUSTED_ROOT)
KEY_BASED = sv.Options(public_key_pem=MANAGED_KEY_PEM, trusted_root=TRUSTED_ROOT)

bundle_documents = st.one_of(
    st.sampled_from(REAL_BUNDLES).flatmap(mutate_json),
    json_values,
    st.dictionaries(
        st.sampled_from(["mediaType", "base64Signature", "verificationMaterial", "messageSignature", "cert"]),
        json_values,
    ),
)


def assert_material_shape(material):
    assert isinstance(material, sm.Material)
    assert material.form in ("bundle", "legacy_bundle")
    assert isinstance(material.signature, bytes) and material.signature
    assert material.bundle_version in (*sm.BUNDLE_MEDIA_TYPES.values(), sm.LEGACY_BUNDLE_VERSION)
    assert material.certificate_der is None or (
        isinstance(material.certificate_der, bytes) and material.certificate_der
    )
    if material.message_digest is not None:
        algorithm, digest = material.message_digest
        assert len(digest) == hashlib.new(algorithm).digest_size
    assert isinstance(material.timestamps, int) and material.timestamps >= 0
    for entry in material.tlog_entries:
        assert isinstance(entry, sm.TlogEntry)
        assert isinstance(entry.log_index, int) and entry.log_index >= 0
        assert entry.integrated_time is None or entry.integrated_time > 0
        assert isinstance(entry.body, bytes)
        facts = entry.facts()
        assert facts["log_id"] == entry.log_id.hex()
        if entry.inclusion_proof is not None:
            assert all(isinstance(h, bytes) for h in entry.inclusion_proof.hashes)


@pytest.mark.fault(
    case="8",
    name="Sigstore bundle reader",
    injected="hypothesis, 300 inputs: real bundles mutated (nested JSON, base64 fields), legacy bundles, any JSON",
    expected="bundle material, or MaterialError naming the field",
)
@FUZZ_MORE
@given(document=as_document(bundle_documents))
@example(document=BUNDLES["happy-path-v0.3"])  # never broke: the unmutated bundle parses
@example(document={"mediaType": []})  # broke parse_bundle: TypeError (unhashable list as media type)
@example(  # broke parse_bundle: TypeError (unhashable list as messageDigest algorithm)
    document=_with(BUNDLES["happy-path-v0.3"], ("messageSignature", "messageDigest", "algorithm"), ["SHA2_256"])
)
@example(  # broke parse_bundle: ValueError from int() (a logIndex string of more than 4300 digits)
    document=_with(BUNDLES["happy-path-v0.3"], ("verificationMaterial", "tlogEntries", 0, "logIndex"), "1" * 4301)
)
def test_parse_bundle_gives_material_or_material_error(document):
    try:
        material = sm.parse_bundle(document, "fuzz bundle")
    except sm.MaterialError as exc:
        assert str(exc)
        return
    assert_material_shape(material)
    # What cosign_verify's action does next, before it touches the target: plan the verification.
    # It parses the certificate, the public key and the log entry body; it verifies nothing yet.
    options = KEYLESS if material.certificate_der is not None else KEY_BASED
    try:
        check = sv.Verification(material, options)
    except (sm.MaterialError, sv.VerifyError, sv.MissingLibrary) as exc:
        assert str(exc)
        return
    assert check.method in ("key", "keyless")
    assert set(check.algorithms) <= set(sm.DIGEST_ALGORITHMS) and "sha256" in check.algorithms


@pytest.mark.fault(
    case="8",
    name="Sigstore trusted root reader",
    injected="hypothesis, 200 inputs: the real trusted root mutated, any JSON",
    expected="a trusted root, or MaterialError",
)
@FUZZ
@given(document=as_document(st.one_of(mutate_json(TRUSTED_ROOT_DOC), json_values)))
def test_parse_trusted_root_gives_root_or_material_error(document):
    try:
        root = sm.parse_trusted_root(document, "fuzz trusted root")
    except sm.MaterialError as exc:
        assert str(exc)
        return
    assert isinstance(root, sm.TrustedRoot)
    now = datetime.datetime.now(datetime.timezone.utc)
    for log in [*root.tlogs, *root.ctlogs]:
        assert isinstance(log.key_id, bytes) and isinstance(log.raw_bytes, bytes)
        assert isinstance(sm.within(now, log.valid_from, log.valid_until), bool)
    for ca in root.certificate_authorities:
        assert ca.certificates and all(isinstance(c, bytes) for c in ca.certificates)


def _checkpoint_text(origin, size, root, stamp, signatures):
    head = [origin, size, root] + ([f"Timestamp: {stamp}"] if stamp is not None else [])
    return "\n".join(head) + "\n\n" + "".join(f"\u2014 {name} {sig}\n" for name, sig in signatures)


checkpoint_texts = st.one_of(
    st.just(CHECKPOINT),
    mutate_bytes(CHECKPOINT.encode()).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.builds(
        _checkpoint_text,
        odd_text("rekor.sigstore.dev - 1193050959916656506", max_pieces=3),
        st.one_of(st.integers(0, 2**64).map(str), long_digits, odd_text("1", max_pieces=3)),
        st.one_of(st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()), odd_text(max_pieces=2)),
        st.one_of(st.none(), st.integers(0, 2**80).map(str), long_digits, odd_text("1", max_pieces=3)),
        st.lists(
            st.tuples(
                odd_text("rekor.sigstore.dev", max_pieces=2),
                st.one_of(st.binary(max_size=80).map(lambda b: base64.b64encode(b).decode()), odd_text()),
            ),
            max_size=3,
        ),
    ),
    odd_lines("\u2014 ", "Timestamp: ", "\n\n", max_lines=6),
)


@pytest.mark.fault(
    case="8",
    name="transparency-log checkpoint reader",
    injected="hypothesis, 300 inputs: checkpoint notes with odd numbers, lines and unicode",
    expected="a checkpoint, or MaterialError",
)
@FUZZ_MORE
@given(text=checkpoint_texts)
@example(text="\udc80\n1\nAAAA\n\n\u2014 a AAAAAAAA\n")  # broke parse_checkpoint: UnicodeEncodeError (surrogate)
@example(text=f"o\n{'1' * 4301}\nAAAA\n\n\u2014 a AAAAAAAA\n")  # broke parse_checkpoint: ValueError from int()
@example(text=f"o\n1\nAAAA\nTimestamp: {'1' * 4301}\n\n\u2014 a AAAAAAAA\n")  # the same, in the Timestamp
def test_parse_checkpoint_gives_checkpoint_or_material_error(text):
    """The checkpoint envelope comes from bundle JSON (any str, lone surrogates included)."""
    try:
        checkpoint = sm.parse_checkpoint(text)
    except sm.MaterialError as exc:
        assert str(exc)
        return
    assert isinstance(checkpoint, sm.Checkpoint)
    assert isinstance(checkpoint.tree_size, int) and checkpoint.tree_size >= 0
    assert isinstance(checkpoint.signed_text, bytes) and checkpoint.signed_text.endswith(b"\n")
    for _name, hint, signature in checkpoint.signatures:
        assert len(hint) == 4 and signature
    assert checkpoint.timestamp_ns is None or checkpoint.timestamp_ns >= 0


@FUZZ
@given(
    body=st.one_of(
        mutate_json(HASHEDREKORD_BODY).map(lambda d: dumps(d).encode()),
        json_values.map(lambda d: dumps(d).encode()),
        mutate_bytes(dumps(HASHEDREKORD_BODY).encode()),
        st.binary(max_size=100),
    )
)
def test_parse_hashedrekord_gives_record_or_material_error(body):
    try:
        record = sm.parse_hashedrekord(body)
    except sm.MaterialError as exc:
        assert str(exc)
        return
    assert record.algorithm in sm.DIGEST_ALGORITHMS
    assert len(record.digest) == 2 * hashlib.new(record.algorithm).digest_size
    assert isinstance(record.signature, bytes) and isinstance(record.verifier_pem, bytes)


@FUZZ
@given(
    text=st.one_of(
        st.binary(max_size=100),
        st.binary(min_size=1, max_size=80).map(lambda b: base64.encodebytes(b).decode()),
        odd_text("MEUCIQ", "==", "=", " ", "\n", max_pieces=6),
        st.integers(),
        st.none(),
    )
)
def test_parse_signature_gives_bytes_or_material_error(text):
    try:
        signature = sm.parse_signature(text, "fuzz signature")
    except sm.MaterialError as exc:
        assert str(exc)
        return
    assert isinstance(signature, bytes) and signature


PEM_TOKENS = (
    "-----BEGIN PUBLIC KEY-----",
    "-----END PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----",
    "-----END CERTIFICATE-----",
    "-----BEGIN EC PRIVATE KEY-----",
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
    "\n",
)
pem_documents = st.one_of(
    mutate_bytes(MANAGED_KEY_PEM),
    mutate_bytes(CERT_PEM),
    odd_text(*PEM_TOKENS).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@FUZZ
@given(pem=pem_documents)
def test_public_key_and_certificate_loaders(pem):
    """_sigstore_verify's loaders of public_key / certificate material: an object or VerifyError/MaterialError."""
    try:
        blocks = sm.pem_blocks(pem)
    except sm.MaterialError:
        blocks = None
    assert blocks is None or all(isinstance(label, str) and isinstance(der, bytes) for label, der in blocks)
    try:
        key = sv.load_public_key(pem, "fuzz public_key")
    except (sv.VerifyError, sm.MaterialError) as exc:
        assert str(exc)
    else:
        assert isinstance(sv.key_type(key), str)
    # A bare signature with a certificate: planning loads the certificate and asks for its key.
    material = sm.Material(form="signature", source="fuzz signature", signature=b"\x30\x00")
    try:
        check = sv.Verification(material, KEYLESS._replace(certificate_pem=pem))
    except (sv.VerifyError, sm.MaterialError, sv.MissingLibrary) as exc:
        assert str(exc)
    else:
        assert check.method == "keyless"


@pytest.mark.fault(
    case="8",
    name="certificate (DER) reader",
    injected="hypothesis, 200 inputs: a real certificate with flipped bytes, random bytes",
    expected="a certificate, or VerifyError",
)
@FUZZ
@given(der=st.one_of(mutate_bytes(CERT_DER, max_flips=3), st.binary(max_size=64)))
def test_certificate_der_loader(der):
    material = sm.Material(form="bundle", source="fuzz", signature=b"\x30\x00", certificate_der=der or b"\x00")
    try:
        check = sv.Verification(material, KEYLESS)
    except (sv.VerifyError, sm.MaterialError, sv.MissingLibrary) as exc:
        assert str(exc)
        return
    assert check.method == "keyless"


_SIGNER_KEY = ec.generate_private_key(ec.SECP256R1())
_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz")])


def _der_utf8_string(raw):
    """A DER UTF8String of ``raw`` (short or long form length)."""
    if len(raw) < 128:
        return bytes([0x0C, len(raw)]) + raw
    size = len(raw).to_bytes((len(raw).bit_length() + 7) // 8, "big")
    return bytes([0x0C, 0x80 | len(size)]) + size + raw


@FUZZ
@given(
    v1=st.one_of(st.none(), st.binary(max_size=40), st.text(max_size=20).map(str.encode)),
    v2=st.one_of(
        st.none(),
        st.binary(max_size=40),
        st.binary(max_size=40).map(_der_utf8_string),
        st.text(max_size=20).map(lambda t: _der_utf8_string(t.encode())),
    ),
)
@example(v1=None, v2=b"\x0c\x01\xff")  # broke certificate_signer: UnicodeDecodeError from _der_utf8
@example(v1=b"\xff", v2=None)  # broke certificate_signer: UnicodeDecodeError from the v1 issuer extension
def test_certificate_signer_reads_fulcio_extensions(v1, v2):
    """The OIDC issuer extensions of a signing certificate: a signer dict or VerifyError."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(_NAME)
        .issuer_name(_NAME)
        .public_key(_SIGNER_KEY.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2024, 1, 1))
        .not_valid_after(datetime.datetime(2024, 1, 2))
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier("https://x.example")]), False)
    )
    for oid, raw in ((sv.OID_ISSUER_V1, v1), (sv.OID_ISSUER_V2, v2)):
        if raw is not None:
            builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), raw), False)
    cert = builder.sign(_SIGNER_KEY, hashes.SHA256())
    try:
        signer = sv.certificate_signer(cert)
    except sv.VerifyError as exc:
        assert str(exc)
        return
    assert signer["identities"] == ["https://x.example"]
    assert signer["issuer"] is None or isinstance(signer["issuer"], str)
    if v1 is None and v2 is None:
        assert signer["issuer"] is None


@FUZZ
@given(value=st.one_of(st.binary(max_size=40), st.binary(max_size=300).map(_der_utf8_string)))
@example(value=b"\x0c\x02\xc3\x28")  # broke _der_utf8: UnicodeDecodeError (invalid UTF-8 continuation byte)
@example(value=b"\x0c\x80")  # never broke: long form with no length bytes
def test_der_utf8_gives_text_or_verify_error(value):
    try:
        text = sv._der_utf8(value)
    except sv.VerifyError as exc:
        assert str(exc)
        return
    assert isinstance(text, str)
    assert text.encode("utf-8") == value[len(value) - len(text.encode("utf-8")) :]


# ==============================================================================================
# ELF / Go build information: _goelf
# ==============================================================================================

SENTINEL_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
SENTINEL_END = bytes.fromhex("f932433186182072008242104116d8f2")
GO_VERSION = "go1.22.1"
MODINFO = (
    "path\texample.com/app\n"
    "mod\texample.com/app\tv1.2.3\th1:abc=\n"
    "dep\tgolang.org/x/sys\tv0.1.0\th1:def=\n"
    "=>\t../sys\t\t\n"
    "build\t-compiler=gc\n"
    'build\t-ldflags="-s -w"\n'
    "build\tCGO_ENABLED=0\n"
    "build\tGOOS=linux\n"
    "build\tvcs.modified=true\n"
)
GLIBC_BANNER = b"GNU C Library (Debian GLIBC 2.36-9) stable release version 2.36.\x00"
PCLNTAB = b"\x00\x00runtime/proc.go\x00/home/user/src/app/main.go\x00example.com/app/x.go\x00\x00"
INTERP = b"/lib64/ld-linux-x86-64.so.2\x00"
DYNSTR = b"\x00libc.so.6\x00GLIBC_2.34\x00GLIBC_2.2.5\x00/opt/lib:$ORIGIN\x00"
MACHINES = {(True, True): 62, (True, False): 22, (False, True): 3, (False, False): 8}
BASE = 0x10000
SECTION_NAMES = [
    "",
    ".interp",
    ".note.go.buildid",
    ".rodata",
    ".gopclntab",
    ".go.buildinfo",
    ".dynstr",
    ".gnu.version_r",
    ".dynamic",
    ".shstrtab",
]


def _uvarint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _align(buf, n):
    buf.extend(b"\x00" * (-len(buf) % n))
    return len(buf)


def build_elf(is64=True, little=True, inline=True, section_headers=True):
    """A small ELF file of a Go program: (bytes, {field name: (offset, struct code)}).

    Program headers PT_INTERP, PT_LOAD (read-only: note, glibc banner, pc-line table), PT_LOAD
    (writable: Go build information, dynamic string table, version needs, dynamic section),
    PT_DYNAMIC and PT_NOTE; section headers for each part (unless ``section_headers`` is false).
    The build information is in the inline format (Go >= 1.18) or the pointer format (Go 1.13-1.17).
    Virtual address = BASE + file offset everywhere. ``fields`` names every size, offset, count and
    pointer, for the mutations that set one of them to an extreme value.
    """
    e = "<" if little else ">"
    word = "Q" if is64 else "I"
    ptr_size = 8 if is64 else 4
    fields = {}
    ehdr = struct.Struct(e + ("HHIQQQIHHHHHH" if is64 else "HHIIIIIHHHHHH"))
    phdr = struct.Struct(e + ("IIQQQQQQ" if is64 else "IIIIIIII"))
    shdr = struct.Struct(e + ("IIQQQQIIQQ" if is64 else "IIIIIIIIII"))
    dyn = struct.Struct(e + ("qQ" if is64 else "iI"))
    nphdr = 5
    buf = bytearray(16 + ehdr.size)
    phoff = _align(buf, 8)
    buf.extend(b"\x00" * (nphdr * phdr.size))
    regions = {}

    def region(name, data, align=1):
        start = _align(buf, align)
        buf.extend(data)
        regions[name] = (start, len(data))
        return start

    region(".interp", INTERP)
    note = struct.pack(e + "III", 4, 4, 4) + b"Go\x00\x00" + b"abcd"
    note_off = region(".note.go.buildid", note, 4)
    fields["note.namesz"] = (note_off, e + "I")
    fields["note.descsz"] = (note_off + 4, e + "I")
    region(".rodata", GLIBC_BANNER + PCLNTAB)
    regions[".gopclntab"] = (regions[".rodata"][0] + len(GLIBC_BANNER), len(PCLNTAB))
    ro_end = len(buf)

    data_start = _align(buf, 16)
    modinfo = SENTINEL_START + MODINFO.encode() + SENTINEL_END
    version = GO_VERSION.encode()
    head = b"\xff Go buildinf:" + bytes([ptr_size, (0x2 if inline else 0) | (0 if little else 0x1)])
    if inline:
        blob = head + b"\x00" * 16 + _uvarint(len(version)) + version + _uvarint(len(modinfo)) + modinfo
        fields["buildinfo.version_len"] = (data_start + 32, "B")
        fields["buildinfo.modinfo_len"] = (data_start + 33 + len(version), "B")
    else:
        # header (32) | version string header | modinfo string header | version | modinfo
        hdr_v = data_start + 32
        hdr_m = hdr_v + 2 * ptr_size
        str_v = hdr_m + 2 * ptr_size
        str_m = str_v + len(version)
        ptrs = struct.pack(e + word * 2, BASE + hdr_v, BASE + hdr_m).ljust(16, b"\x00")
        blob = (
            head
            + ptrs
            + struct.pack(e + word * 2, BASE + str_v, len(version))
            + struct.pack(e + word * 2, BASE + str_m, len(modinfo))
            + version
            + modinfo
        )
        fields["buildinfo.version_ptr"] = (data_start + 16, e + word)
        fields["buildinfo.modinfo_ptr"] = (data_start + 16 + ptr_size, e + word)
        fields["buildinfo.version_data"] = (hdr_v, e + word)
        fields["buildinfo.version_size"] = (hdr_v + ptr_size, e + word)
        fields["buildinfo.modinfo_data"] = (hdr_m, e + word)
        fields["buildinfo.modinfo_size"] = (hdr_m + ptr_size, e + word)
    fields["buildinfo.ptr_size"] = (data_start + 14, "B")
    fields["buildinfo.flags"] = (data_start + 15, "B")
    region(".go.buildinfo", blob)
    dynstr_off = region(".dynstr", DYNSTR)
    libc, v234, v225, runpath = (DYNSTR.index(s) for s in (b"libc.so.6", b"GLIBC_2.34", b"GLIBC_2.2.5", b"/opt/"))
    verneed = struct.pack(e + "HHIII", 1, 2, libc, 16, 0)
    verneed += struct.pack(e + "IHHII", 0x0D696914, 0, 3, v234, 16)
    verneed += struct.pack(e + "IHHII", 0x09691A75, 0, 2, v225, 0)
    verneed_off = region(".gnu.version_r", verneed, 4)
    fields["verneed.cnt"] = (verneed_off + 2, e + "H")
    fields["verneed.file"] = (verneed_off + 4, e + "I")
    fields["verneed.aux"] = (verneed_off + 8, e + "I")
    fields["verneed.next"] = (verneed_off + 12, e + "I")
    fields["vernaux.name"] = (verneed_off + 16 + 8, e + "I")
    fields["vernaux.next"] = (verneed_off + 16 + 12, e + "I")
    entries = [
        (_goelf.DT_NEEDED, libc),
        (_goelf.DT_RUNPATH, runpath),
        (_goelf.DT_STRTAB, BASE + dynstr_off),
        (_goelf.DT_STRSZ, len(DYNSTR)),
        (_goelf.DT_VERNEED, BASE + verneed_off),
        (_goelf.DT_VERNEEDNUM, 1),
        (_goelf.DT_NULL, 0),
    ]
    dyn_off = region(".dynamic", b"".join(dyn.pack(*entry) for entry in entries), 8)
    for index, (tag, _value) in enumerate(entries[:-1]):
        fields[f"dynamic.{tag}"] = (dyn_off + index * dyn.size + dyn.size // 2, e + word)
    data_end = len(buf)

    shstrtab = b"\x00".join(name.encode() for name in SECTION_NAMES) + b"\x00"
    region(".shstrtab", shstrtab)
    name_offsets = [shstrtab.index(name.encode() + b"\x00") if name else 0 for name in SECTION_NAMES]
    types = {".note.go.buildid": 7, ".dynstr": 3, ".gnu.version_r": 0x6FFFFFFE, ".dynamic": 6, ".shstrtab": 3}
    shoff = _align(buf, 8)
    for index, name in enumerate(SECTION_NAMES):
        if not name:
            buf.extend(shdr.pack(*[0] * 10))
            continue
        offset, size = regions[name]
        addr = BASE + offset if name != ".shstrtab" else 0
        fields[f"section.{name}.offset"] = (len(buf) + (16 if is64 else 12) + (8 if is64 else 4), e + word)
        fields[f"section.{name}.size"] = (len(buf) + (16 if is64 else 12) + (16 if is64 else 8), e + word)
        fields[f"section.{name}.name"] = (len(buf), e + "I")
        fields[f"section.{name}.type"] = (len(buf) + 4, e + "I")
        buf.extend(shdr.pack(name_offsets[index], types.get(name, 1), 2, addr, offset, size, 0, 0, 1, 0))
    if not section_headers:
        del buf[shoff:]
        fields = {k: v for k, v in fields.items() if not k.startswith("section.")}

    segments = [
        (_goelf.PT_INTERP, 4, *regions[".interp"]),
        (_goelf.PT_LOAD, 4, 0, ro_end),
        (_goelf.PT_LOAD, 6, data_start, data_end - data_start),
        (_goelf.PT_DYNAMIC, 6, *regions[".dynamic"]),
        (_goelf.PT_NOTE, 4, *regions[".note.go.buildid"]),
    ]
    for index, (p_type, flags, offset, size) in enumerate(segments):
        at = phoff + index * phdr.size
        if is64:
            phdr.pack_into(buf, at, p_type, flags, offset, BASE + offset, BASE + offset, size, size, 0x1000)
            fields[f"segment.{index}.offset"] = (at + 8, e + "Q")
            fields[f"segment.{index}.vaddr"] = (at + 16, e + "Q")
            fields[f"segment.{index}.filesz"] = (at + 32, e + "Q")
        else:
            phdr.pack_into(buf, at, p_type, offset, BASE + offset, BASE + offset, size, size, flags, 0x1000)
            fields[f"segment.{index}.offset"] = (at + 4, e + "I")
            fields[f"segment.{index}.vaddr"] = (at + 8, e + "I")
            fields[f"segment.{index}.filesz"] = (at + 16, e + "I")
        fields[f"segment.{index}.type"] = (at, e + "I")
    buf[:16] = b"\x7fELF" + bytes([2 if is64 else 1, 1 if little else 2, 1]) + b"\x00" * 9
    ehdr.pack_into(
        buf,
        16,
        2,
        MACHINES[(is64, little)],
        1,
        BASE,
        phoff,
        shoff if section_headers else 0,
        0,
        16 + ehdr.size,
        phdr.size,
        nphdr,
        shdr.size,
        len(SECTION_NAMES) if section_headers else 0,
        len(SECTION_NAMES) - 1 if section_headers else 0,
    )
    # e_type, e_machine, e_version, e_entry, then e_phoff, e_shoff, e_flags, e_ehsize, e_phentsize ...
    phoff_at = 16 + struct.calcsize(e + "HHI" + word)
    after_offsets = phoff_at + 2 * ptr_size + 4 + 2
    header_fields = {
        "e_phoff": (phoff_at, e + word),
        "e_shoff": (phoff_at + ptr_size, e + word),
        "e_phentsize": (after_offsets, e + "H"),
        "e_phnum": (after_offsets + 2, e + "H"),
        "e_shentsize": (after_offsets + 4, e + "H"),
        "e_shnum": (after_offsets + 6, e + "H"),
        "e_shstrndx": (after_offsets + 8, e + "H"),
    }
    fields.update(header_fields)
    return bytes(buf), fields


ELF_VARIANTS = [
    dict(is64=is64, little=little, inline=inline, section_headers=sections)
    for is64 in (True, False)
    for little in (True, False)
    for inline in (True, False)
    for sections in (True, False)
]
ELVES = {tuple(sorted(v.items())): build_elf(**v) for v in ELF_VARIANTS}


def _extreme_values(code, size):
    bits = 8 * struct.calcsize(code)
    top = (1 << bits) - 1
    return st.one_of(
        st.sampled_from([0, 1, 2, 15, 16, 127, 128, size - 1, size, size + 1, 2 * size, 0xFFFF, 2**31, top]),
        st.integers(0, top),
    ).map(lambda v: v & top)


@st.composite
def mutated_elves(draw):
    """A built ELF file with extreme header fields, flipped bytes and maybe a truncation."""
    blob, fields = ELVES[tuple(sorted(draw(st.sampled_from(ELF_VARIANTS)).items()))]
    out = bytearray(blob)
    for name in draw(st.lists(st.sampled_from(sorted(fields)), max_size=3)):
        offset, code = fields[name]
        struct.pack_into(code, out, offset, draw(_extreme_values(code, len(blob))))
    return draw(mutate_bytes(bytes(out), max_flips=4))


class CountingReader(io.BytesIO):
    """A file object that records every read, so no parser asks for more than the file holds."""

    def __init__(self, data):
        super().__init__(data)
        self.calls = 0
        self.requested = 0
        self.largest = 0

    def read(self, size=-1):
        self.calls += 1
        self.requested += max(size, 0)
        self.largest = max(self.largest, size)
        return super().read(size)


def _inspect_in_memory(blob):
    """Everything go_binary_info and _runnable read from an ELF file; (result or error, reader)."""
    reader = CountingReader(blob)
    try:
        elf = _goelf.ELFFile(reader, len(blob))
    except _goelf.GoBinaryError as exc:
        return exc, reader
    try:
        info = _goelf.inspect_elf(elf)
    except _goelf.NotGoError as exc:
        assert isinstance(exc.facts, dict)
        info = exc
    except _goelf.GoBinaryError as exc:
        info = exc
    for read in (_goelf.binary_requirements, _goelf.read_glibc_release, _goelf.read_dynamic, _goelf.elf_facts):
        try:
            read(elf)
        except _goelf.GoBinaryError as exc:
            assert str(exc)
    return info, reader


def assert_elf_info_shape(info):
    assert info["is_go"] is True
    assert isinstance(info["go_version"], str) and info["go_version"]
    assert isinstance(info["path"], str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in info["settings"].items())
    assert info["flags"]["cgo_enabled"] in (True, False, None)
    assert info["elf"]["class"] in ("ELF32", "ELF64")
    assert isinstance(info["stripped"], bool) and isinstance(info["has_dwarf"], bool)
    requirements = info["requirements"]
    assert requirements["schema"] == _goelf.REQUIREMENTS_SCHEMA
    assert all(isinstance(name, str) for name in requirements["needed"])
    assert requirements["needs_glibc"] is None or isinstance(requirements["needs_glibc"], str)
    assert isinstance(info["build_paths_leaked"], bool)
    assert all(p.startswith("/") for p in info["build_path_examples"])


@pytest.mark.parametrize("variant", ELF_VARIANTS, ids=lambda v: "-".join(f"{k}={int(x)}" for k, x in v.items()))
def test_built_elf_reads_back(variant):
    """The unmutated file is what the mutations start from: every part of it must read back."""
    blob, _fields = build_elf(**variant)
    info, reader = _inspect_in_memory(blob)
    assert not isinstance(info, Exception), info
    assert_elf_info_shape(info)
    assert info["go_version"] == GO_VERSION
    assert info["path"] == "example.com/app"
    assert info["main"] == {"path": "example.com/app", "version": "v1.2.3", "sum": "h1:abc=", "replace": None}
    assert info["deps"][0]["replace"] == {"path": "../sys", "version": "", "sum": ""}
    assert info["settings"]["-ldflags"] == "-s -w"
    assert info["flags"]["cgo_enabled"] is False and info["flags"]["vcs"]["modified"] is True
    assert info["buildinfo"]["format"] == ("inline" if variant["inline"] else "pointer")
    assert info["requirements"]["needed"] == ["libc.so.6"]
    assert info["requirements"]["runpath"] == ["/opt/lib", "$ORIGIN"]
    assert info["requirements"]["needs_glibc"] == "2.34"
    assert info["requirements"]["libc"] == "glibc"
    assert info["build_path_examples"] == ["/home/user/src/app/main.go"]
    elf = _goelf.ELFFile(io.BytesIO(blob))
    assert _goelf.read_glibc_release(elf) == "2.36"
    assert elf.go_markers() == (
        [".go.buildinfo", ".gopclntab", ".note.go.buildid"] if variant["section_headers"] else ["PT_NOTE Go build ID"]
    )
    assert reader.largest <= len(blob)


#: Measured over 3000 mutated files: at most 3.3 times the size of a file is read (plus the 16-byte
#: identification of a shorter one), in at most 42 reads and 5 ms. A parser that trusted a declared
#: size or looped on a corrupt chain would read far more.
MAX_READ_FACTOR = 16


@pytest.mark.fault(
    case="8",
    name="ELF and Go build info reader",
    injected=(
        "hypothesis, 300 inputs: 16 shapes of Go ELF files with extreme header fields, flipped bytes, truncation;"
        " random bytes"
    ),
    expected="build info or a clean error; reads bounded by the file size",
)
@FUZZ_MORE
@given(blob=st.one_of(mutated_elves(), st.binary(max_size=200), st.binary(max_size=120).map(b"\x7fELF".__add__)))
def test_elf_reader_never_crashes_on_mutated_files(scratch, blob):
    info, reader = _inspect_in_memory(blob)
    if isinstance(info, Exception):
        assert isinstance(info, _goelf.GoBinaryError) and str(info)
    else:
        assert_elf_info_shape(info)
    # Bounded work: no read larger than the file, no re-reading it over and over.
    assert reader.largest <= max(len(blob), 16)
    assert reader.requested <= MAX_READ_FACTOR * len(blob) + 4096
    # The module's own entry point on a real file: a result dict, never an exception.
    path = scratch / "binary"
    path.write_bytes(blob)
    result = _goelf.build_result(str(path), {"min_go_version": "1.21", "require_trimpath": True})
    assert isinstance(result["failed"], bool) and isinstance(result["violations"], list)
    assert result["failed"] == bool(result["violations"]) or not result["is_go"]
    if result["failed"]:
        assert result["msg"]


GO_VERSION_TOKENS = ("go", "1", ".", "21", "rc", "beta", "devel ", " ", "+", "-", "X:boringcrypto")
go_versions = st.one_of(
    odd_text(*GO_VERSION_TOKENS, max_pieces=8),
    st.builds(
        lambda p, n, s: p + "1" * n + s,
        st.sampled_from(["go", "", "go1.", "devel go1."]),
        st.integers(1, 6000),
        st.sampled_from(["", ".1", "rc1", ".2.3"]),
    ),
)


@pytest.mark.fault(
    case="8",
    name="Go version strings",
    injected="hypothesis, 200 inputs: release, pre-release and devel forms, huge numbers",
    expected="a version, or unknown (None)",
)
@FUZZ
@given(text=go_versions)
@example(text="go" + "1" * 4301)  # broke parse_go_version: ValueError from int() (more than 4300 digits)
@example(text="go1." + "1" * 4301)  # the same, in the minor version
@example(text="devel go1." + "1" * 4301)  # the same, in a development version
@example(text="1.21")  # never broke: a plain minimum
def test_go_version_parsers(text):
    """parse_go_version: a 5-tuple or None; parse_min_go_version: the same tuple or ValueError."""
    have = _goelf.parse_go_version(text)
    assert have is None or (len(have) == 5 and all(isinstance(n, int) for n in have) and have[3] in (-1, 0, 1, 2))
    try:
        wanted = _goelf.parse_min_go_version(text)
    except ValueError as exc:
        assert "min_go_version" in str(exc)
        return
    assert wanted == have and wanted is not None
    # check_policy compares both; it must report, not crash.
    info = {"flags": {"trimpath": None, "cgo_enabled": None, "vcs": {"modified": None}}, "settings": {}}
    info.update(go_version=text, stripped=True, has_dwarf=False, dwarf_sections=[])
    assert isinstance(_goelf.check_policy(info, min_go_version=text), list)


MODINFO_TOKENS = ("path\t", "mod\t", "dep\t", "=>\t", "build\t", "\t", "\n", "=", '"', "`", "\\x", "\\u", "\\377")


@FUZZ
@given(
    text=st.one_of(
        odd_text(*MODINFO_TOKENS, max_pieces=12),
        mutate_bytes(MODINFO.encode()).map(lambda b: b.decode("utf-8", "replace")),
    )
)
def test_parse_modinfo_gives_dict_or_corrupt_error(text):
    try:
        parsed = _goelf.parse_modinfo(text)
    except _goelf.CorruptError as exc:
        assert str(exc).startswith("could not parse Go module information: line ")
        return
    assert set(parsed) == {"path", "main", "deps", "settings"}
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in parsed["settings"])
    for module in [parsed["main"], *parsed["deps"]]:
        assert module is None or set(module) == {"path", "version", "sum", "replace"}


@FUZZ
@given(text=odd_text('"', "`", "\\", "\\x4", "\\u12", "\\U0010ffff", "\\777", "\\n", max_pieces=8))
def test_go_string_literals_give_text_or_value_error(text):
    for parse in (_goelf.go_unquote, _goelf.go_quoted_prefix):
        try:
            value = parse(text)
        except ValueError as exc:
            assert str(exc)
            continue
        assert isinstance(value, str)


# ==============================================================================================
# systemd output: _systemd_analyze
# ==============================================================================================

SYSTEMD = DATA / "systemd"
SECURITY_TABLES = sorted(p.read_text(encoding="utf-8") for p in SYSTEMD.glob("debian1*/security.us-*.txt"))
SECURITY_JSONS = sorted(p.read_text(encoding="utf-8") for p in SYSTEMD.glob("debian1*/security.*.json"))
SHOW_OUTPUTS = sorted(p.read_text(encoding="utf-8") for p in SYSTEMD.glob("debian1*/show.*.txt"))
VERSION_OUTPUTS = sorted(p.read_text(encoding="utf-8") for p in SYSTEMD.glob("debian1*/version.txt"))
SCAN_OUTPUTS = sorted(p.read_text(encoding="utf-8") for p in SYSTEMD.glob("debian1*/scan.*.txt"))
LEVEL_NAMES = {name for _minimum, name in sa.LEVELS}


def mutated_text(texts):
    """A real capture with some lines dropped, duplicated or cut, and odd text spliced in."""

    @st.composite
    def strategy(draw):
        lines = draw(st.sampled_from(texts)).split("\n")
        for _edit in range(draw(st.integers(0, 4))):
            if not lines:
                break
            index = draw(st.integers(0, len(lines) - 1))
            action = draw(st.sampled_from(["drop", "dup", "cut", "splice", "replace"]))
            if action == "drop":
                del lines[index]
            elif action == "dup":
                lines.insert(index, lines[index])
            elif action == "cut":
                lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
            elif action == "splice":
                at = draw(st.integers(0, len(lines[index])))
                lines[index] = lines[index][:at] + draw(odd_text(max_pieces=2)) + lines[index][at:]
            else:
                lines[index] = draw(odd_text(max_pieces=3))
        return "\n".join(lines)

    return strategy()


SECURITY_TOKENS = (
    "NAME",
    "DESCRIPTION",
    "EXPOSURE",
    "WEIGHT",
    "BADNESS",
    "RANGE",
    "  ",
    "\u2713 ",
    "\u2717 ",
    "+ ",
    "- ",
    "0.2",
    "\n",
    "Overall exposure level for demo.service: 9.6 UNSAFE",
    "\x1b[0;1;31m",
    "\x1b]8;;file://x\x07",
)


@pytest.mark.fault(
    case="8",
    name="systemd-analyze security (table)",
    injected="hypothesis, 200 inputs: real outputs of systemd 247/252/257 mutated, odd lines",
    expected="an assessment, or AnalyzeError",
)
@FUZZ
@given(text=st.one_of(mutated_text(SECURITY_TABLES), odd_lines(*SECURITY_TOKENS, max_lines=8)))
def test_parse_security_table_gives_assessment_or_analyze_error(text):
    try:
        parsed = sa.parse_security_table(text)
    except sa.AnalyzeError as exc:
        assert str(exc)
        return
    assert isinstance(parsed["unit"], str) and parsed["unit"]
    assert isinstance(parsed["exposure"], float) and isinstance(parsed["level"], str)
    assert parsed["checks"]
    for check in parsed["checks"]:
        assert isinstance(check["name"], str) and check["name"]
        assert check["exposure"] is None or isinstance(check["exposure"], float)
        assert check["applicable"] or check["ok"]
    assert sa.worst_checks(parsed["checks"], 5) == sorted(
        sa.worst_checks(parsed["checks"], 5), key=lambda c: (-c["exposure"], c["name"])
    )


security_json_documents = st.one_of(
    st.sampled_from(SECURITY_JSONS).map(json.loads).flatmap(mutate_json).map(dumps),
    json_values.map(dumps),
    st.lists(
        st.fixed_dictionaries(
            {"name": st.text(odd_char, max_size=10), "set": st.sampled_from([True, False, None])},
            optional={
                "exposure": st.one_of(st.none(), st.sampled_from(["0.2", "1.0", "x"]), st.floats()),
                "weight": st.integers(-5, 2**70),
                "badness": st.one_of(st.integers(-5, 2**70), st.just(sa.NOT_APPLICABLE)),
                "range": st.integers(-5, 2**70),
                "description": json_values,
                "json_field": json_values,
            },
        ),
        max_size=5,
    ).map(dumps),
    mutate_bytes(SECURITY_JSONS[0].encode()).map(lambda b: b.decode("utf-8", "replace")),
    odd_text("[", "]", "{", "}", '"name"', ":", ",", "[" * 2000),
)


@pytest.mark.fault(
    case="8",
    name="systemd-analyze security --json",
    injected="hypothesis, 300 inputs: JSON documents with odd fields and values",
    expected="an assessment, or AnalyzeError",
)
@FUZZ_MORE
@given(text=security_json_documents)
def test_parse_security_json_gives_assessment_or_analyze_error(text):
    try:
        parsed = sa.parse_security_json(text)
    except sa.AnalyzeError as exc:
        assert str(exc)
        return
    assert parsed["unit"] is None and parsed["checks"]
    assert (parsed["exposure"] is None) == (parsed["level"] is None)
    if parsed["level"] is not None:
        assert parsed["level"] in LEVEL_NAMES and parsed["exposure"] >= 0
    for check in parsed["checks"]:
        assert isinstance(check["name"], str)
        assert check["exposure"] is None or isinstance(check["exposure"], float)


SHOW_TOKENS = ("LoadState=", "ActiveState=", "FragmentPath=", "DropInPaths=", "=", "loaded", "active", " ")


@pytest.mark.fault(
    case="8",
    name="systemctl show",
    injected="hypothesis, 200 inputs: real outputs mutated, odd lines, NULs, long lines",
    expected="a mapping of strings",
)
@FUZZ
@given(text=st.one_of(mutated_text(SHOW_OUTPUTS), odd_lines(*SHOW_TOKENS, max_lines=10)))
def test_parse_show_gives_string_dict(text):
    shown = sa.parse_show(text)
    assert isinstance(shown, dict)
    for key, value in shown.items():
        assert isinstance(key, str) and isinstance(value, str)
        assert "=" not in key and key == key.strip() and value == value.strip()
        assert not any(c in key + value for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


show_keys = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12)
show_values = st.text(st.characters(exclude_categories=["Cs", "Zl", "Zp", "Cc"]), max_size=30).map(str.strip)


@FUZZ
@given(props=st.dictionaries(show_keys, show_values, max_size=6))
def test_parse_show_reads_back_what_systemctl_writes(props):
    text = "".join(f"{key}={value}\n" for key, value in props.items())
    assert sa.parse_show(text) == props


@pytest.mark.fault(
    case="8",
    name="systemctl --version",
    injected="hypothesis, 200 inputs: odd first lines, huge numbers",
    expected="a version number, or AnalyzeError",
)
@FUZZ
@given(
    text=st.one_of(
        mutated_text(VERSION_OUTPUTS),
        odd_lines("systemd ", "252", " (252.39-1~deb12u2)", "+PAM", max_lines=4),
        st.builds(lambda n: f"systemd {'1' * n} (x)\n", st.integers(1, 6000)),
    )
)
@example(text="systemd " + "1" * 4301)  # broke parse_version: ValueError from int() (more than 4300 digits)
def test_parse_version_gives_number_or_analyze_error(text):
    try:
        version = sa.parse_version(text)
    except sa.AnalyzeError as exc:
        assert str(exc)
        return
    assert isinstance(version, int) and version >= 0
    assert any(line.strip().startswith("systemd ") for line in text.splitlines())


@FUZZ
@given(version=st.integers(0, 10**9 - 1), suffix=st.sampled_from(["", " (252.39-1~deb12u2)", "\n+PAM +AUDIT"]))
def test_parse_version_reads_back(version, suffix):
    assert sa.parse_version(f"systemd {version}{suffix}\n") == version


VERIFY_TOKENS = (
    "/etc/systemd/system/demo.service:",
    "12: ",
    "demo.service: ",
    "Unit demo.service not found.",
    "Unknown key 'Foo' in section [Service]",
    "Command sleep is not executable: No such file or directory",
    ":",
    "1" * 5000,
)


verify_file_lines = st.builds(
    lambda path, number, message: f"{path}:{number}: {message}",
    st.sampled_from(["/etc/systemd/system/demo.service", "/etc/systemd/system/demo.service.d/x.conf", "/x"]),
    st.one_of(st.integers(0, 10**12).map(str), long_digits, odd_text("1", max_pieces=2)),
    odd_text(*VERIFY_TOKENS, max_pieces=3),
)


@pytest.mark.fault(
    case="8",
    name="systemd-analyze verify output",
    injected="hypothesis, 200 inputs: odd lines, huge line numbers",
    expected="every line classified",
)
@FUZZ
@given(
    text=st.one_of(
        mutated_text(SCAN_OUTPUTS),
        odd_lines(*VERIFY_TOKENS, max_lines=8),
        st.lists(verify_file_lines, max_size=4).map("\n".join),
    )
)
@example(  # broke classify_verify: ValueError from int() (a line number of more than 4300 digits)
    text="/etc/systemd/system/demo.service:" + "1" * 4301 + ": Unknown key 'X' in section [Service]"
)
def test_classify_verify_splits_every_line(text):
    unit = "demo.service"
    problems, ignored = sa.classify_verify(text, unit, ["/etc/systemd/system/demo.service"], resolves=lambda _n: True)
    kinds = {name for name, _pattern in sa._VERIFY_KINDS} | {"other"}
    for problem in problems:
        assert problem["kind"] in kinds and isinstance(problem["text"], str) and problem["text"]
        assert problem["line"] is None or isinstance(problem["line"], int)
    for item in ignored:
        assert item["reason"] and item["text"]
    assert len(problems) + len(ignored) <= len(sa.strip_ansi(text).splitlines())
