# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_sigstore_material.py: what a refusal of bad material names, and how log times are read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _sigstore_material as s


@pytest.mark.parametrize(("document", "kind"), [([1], "list"), (7, "int"), (None, "NoneType")])
def test_material_that_is_neither_text_nor_a_mapping_is_named_with_its_type(document, kind):
    with pytest.raises(s.MaterialError, match=f"^bundle_path /b.json must be JSON text or a mapping, got {kind}$"):
        s.load_json(document, "bundle_path /b.json")


@pytest.mark.parametrize(
    ("parse", "source"),
    [(s.parse_bundle, "bundle_path /srv/app.sigstore.json"), (s.parse_trusted_root, "trusted_root_path /r.json")],
)
def test_material_that_is_not_json_is_named_by_the_option_it_came_from(parse, source):
    with pytest.raises(s.MaterialError, match=f"^{source} is not valid JSON"):
        parse("{not json", source)
    with pytest.raises(s.MaterialError, match=f"^{source} is not UTF-8 text"):
        parse(b"\xff\xfe", source)


@pytest.mark.parametrize(
    ("text", "microsecond"),
    [
        ("2024-05-01T10:00:00Z", 0),
        ("2024-05-01T10:00:00.5Z", 500000),
        ("2024-05-01T10:00:00.000042Z", 42),
        # protobuf JSON writes nanoseconds: the seventh digit on is dropped, never rounded into the second.
        ("2024-05-01T10:00:00.999999999Z", 999999),
        ("2024-05-01T10:00:00.123456789Z", 123456),
    ],
)
def test_fractions_of_a_second_are_read_as_microseconds(text, microsecond):
    when = s.parse_rfc3339(text)
    assert (when.second, when.microsecond) == (0, microsecond)
    assert when.utcoffset() == timedelta(0)


def test_an_offset_is_kept_and_z_is_utc():
    assert s.parse_rfc3339("2024-05-01T12:00:00+02:00") == s.parse_rfc3339("2024-05-01T10:00:00Z")
    assert s.parse_rfc3339("2024-05-01T12:00:00+02:00").utcoffset() == timedelta(hours=2)
