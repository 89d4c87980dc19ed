"""Write the parts of the docs that are derived from code (make docs).

    .venv/bin/python scripts/docs.py          rewrite them
    .venv/bin/python scripts/docs.py --check  exit 1 when one is stale (the unit tests run this check)

Two kinds of parts:
- the table of the verify role's checks in docs/verify.md, rendered from their declarations
  (``DECLARED`` in plugins/filter/verify_report.py), between the checks markers;
- the inventories in docs/recipes.md, each copied from the file a Molecule scenario runs, between
  ``<!-- recipe:begin <path> -->`` and ``<!-- recipe:end -->``.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERIFY_DOC = ROOT / "docs" / "verify.md"
BEGIN = "<!-- checks:begin (scripts/docs.py writes this table from plugins/filter/verify_report.py) -->\n"
END = "<!-- checks:end -->\n"
RECIPES_DOC = ROOT / "docs" / "recipes.md"
RECIPE = re.compile(r"(<!-- recipe:begin (?P<path>\S+) -->\n).*?(<!-- recipe:end -->\n)", re.DOTALL)


def _verify_report():
    spec = importlib.util.spec_from_file_location("verify_report", ROOT / "plugins" / "filter" / "verify_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rendered(text):
    """``text`` (docs/verify.md) with the checks table rendered anew."""
    head, begin, rest = text.partition(BEGIN)
    _old, end, tail = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"{VERIFY_DOC}: the markers {BEGIN.strip()} and {END.strip()} are missing")
    return head + BEGIN + _verify_report().checks_table() + END + tail


def recipes(text):
    """``text`` (docs/recipes.md) with each recipe block copied anew from the file it names."""

    def block(found):
        source = (ROOT / found.group("path")).read_text(encoding="utf-8")
        return f"{found.group(1)}```yaml\n{source}```\n{found.group(3)}"

    return RECIPE.sub(block, text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the docs are up to date")
    args = parser.parse_args(argv)
    status = 0
    for doc, render in ((VERIFY_DOC, rendered), (RECIPES_DOC, recipes)):
        text = doc.read_text(encoding="utf-8")
        new = render(text)
        if new == text:
            continue
        if args.check:
            print(f"{doc.relative_to(ROOT)} is stale: run make docs", file=sys.stderr)
            status = 1
            continue
        doc.write_text(new, encoding="utf-8")
        print(f"wrote {doc.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
