"""Mutation testing of the safety-critical Python: mutmut over tests/mutation/targets.toml.

    scripts/mutate.sh                       every target (make mutate)
    scripts/mutate.sh _digests _http        targets whose path contains these words
    scripts/mutate.sh --no-record _release  run and print; record nothing, leave the docs alone
    scripts/mutate.sh --resume _http        go on from the last run of _http (see stage())

mutmut names a mutant after the module the file is imported as, and the tests
import the collection as ``ansible_collections.gosvc.hardening``. So each
target runs in a staging directory, ``.cache/mutate/<target>/``, holding a copy
of the checkout at ``ansible_collections/gosvc/hardening`` and a pyproject.toml
made here; mutmut copies that into ``mutants/``, mutates the target there, and
the tests' conftest makes the mutated copy the collection they import.

A survivor counts as explained when tests/mutation/equivalent/<target>.toml
lists it (the function and the changed lines, with the reason no test can tell
it from the original). Each run of a target is recorded in
tests/mutation/results/<target>.json (with the commit it measured), and
docs/reliability.md's table is rendered from all those records, between the
mutation markers. Exit status: 1 when a file run now is under the goal or has
a survivor nobody explained.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "mutation" / "targets.toml"
EQUIVALENT = ROOT / "tests" / "mutation" / "equivalent"
RESULTS = ROOT / "tests" / "mutation" / "results"
DOC = ROOT / "docs" / "reliability.md"
STAGE = ROOT / ".cache" / "mutate"
PREFIX = Path("ansible_collections/gosvc/hardening")
MODULE_PREFIX = "ansible_collections.gosvc.hardening."
BEGIN = "<!-- mutation:begin (scripts/mutate.py writes this part) -->"
END = "<!-- mutation:end -->"

# mutmut's exit codes per mutant (mutmut/stats.py), folded into what we report.
KILLED = {1, 3}
TIMEOUT = {36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


@dataclass
class Survivor:
    name: str
    function: str
    change: str
    reason: str = ""


@dataclass
class Result:
    target: str
    seconds: float
    total: int = 0
    killed: int = 0
    timeout: int = 0
    no_tests: int = 0
    other: int = 0
    survivors: list[Survivor] = field(default_factory=list)
    commit: str = ""
    date: str = ""
    resumed: bool = False

    @property
    def score(self) -> float:
        return 100.0 * (self.killed + self.timeout) / self.total if self.total else 0.0

    @property
    def explained(self) -> list[Survivor]:
        return [s for s in self.survivors if s.reason]

    @property
    def unexplained(self) -> list[Survivor]:
        return [s for s in self.survivors if not s.reason]


def slug(target: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", target).strip("-")


def checkout_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    return [f for f in out.decode().split("\0") if f and (ROOT / f).is_file()]


def stage(target: str, tests: list[str], resume: bool = False) -> Path:
    """The staging directory for one target.

    Fresh (the default): the previous run's results are dropped. With ``resume``
    the directory is brought up to date instead: only files whose content
    changed are copied (with a new mtime, which is how mutmut notices a changed
    source and re-mutates exactly the functions whose code changed), files gone
    from the checkout are removed, and every survivor's verdict is cleared so it
    meets the current tests again. Killed verdicts of unchanged functions stand.
    mutmut's record of which tests call which function is dropped too: it only
    adds tests it has not seen, so a test that changed would keep its old links.
    """
    base = STAGE / slug(target)
    resume = resume and (base / "mutants").is_dir()
    if not resume:
        shutil.rmtree(base, ignore_errors=True)
    copy = base / PREFIX
    wanted = set(checkout_files())
    for rel in sorted(wanted):
        dest = copy / rel
        if resume and dest.is_file() and filecmp.cmp(ROOT / rel, dest, shallow=False):
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copy if resume else shutil.copy2)(ROOT / rel, dest)
    if resume:
        for path in [p for p in copy.rglob("*") if p.is_file()]:
            if str(path.relative_to(copy)) not in wanted:
                path.unlink()
        forget_survivors(base / "mutants" / PREFIX / (target + ".meta"))
        (base / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pytest_ini = pyproject["tool"]["pytest"]["ini_options"]
    lines = [
        "[tool.mutmut]",
        f"source_paths = [{json.dumps(str(PREFIX / target))}]",
        'also_copy = ["ansible_collections"]',
        f"pytest_add_cli_args_test_selection = {json.dumps([str(PREFIX / t) for t in tests])}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider"]',
        "",
        "[tool.pytest.ini_options]",
        f"addopts = {json.dumps(pytest_ini.get('addopts', ''))}",
        f"markers = {json.dumps(pytest_ini.get('markers', []))}",
        "",
    ]
    (base / "pyproject.toml").write_text("\n".join(lines))
    return base


def forget_survivors(meta: Path) -> int:
    """Clear the verdict of every mutant that survived or had no test, so mutmut tests it again."""
    if not meta.exists():
        return 0
    data = json.loads(meta.read_text())
    codes = data["exit_code_by_key"]
    again = [name for name, code in codes.items() if code in SURVIVED | NO_TESTS]
    for name in again:
        codes[name] = None
    meta.write_text(json.dumps(data))
    return len(again)


def function_of(mutant: str) -> str:
    """``x_parse__mutmut_3`` -> ``parse``; ``xǁCacheǁget__mutmut_1`` -> ``Cache.get``."""
    name = mutant.rpartition(".")[2].partition("__mutmut_")[0]
    if name.startswith("xǁ"):
        return ".".join(part for part in name[2:].split("ǁ") if part)
    return name[2:] if name.startswith("x_") else name


def changed_lines(diff: str) -> str:
    """The removed and added lines of a mutant's diff, stripped: what equivalent.toml matches."""
    keep = []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith(("-", "+")):
            keep.append(line[0] + " " + line[1:].strip())
    return "\n".join(keep)


def load_equivalents(target: str) -> list[dict]:
    path = EQUIVALENT / f"{slug(target)}.toml"
    if not path.exists():
        return []
    return tomllib.loads(path.read_text()).get("equivalent", [])


def explain(survivor: Survivor, equivalents: list[dict]) -> str:
    for entry in equivalents:
        if entry.get("function") != survivor.function:
            continue
        if changed_lines(entry.get("change", "")) == survivor.change:
            return entry.get("reason", "").strip()
    return ""


def collect(base: Path, target: str, seconds: float) -> Result:
    meta = base / "mutants" / PREFIX / (target + ".meta")
    result = Result(target=target, seconds=seconds)
    if not meta.exists():
        return result
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    equivalents = load_equivalents(target)
    for name, code in sorted(codes.items()):
        result.total += 1
        if code in KILLED:
            result.killed += 1
        elif code in TIMEOUT:
            result.timeout += 1
        elif code in NO_TESTS:
            result.no_tests += 1
            result.survivors.append(Survivor(name, function_of(name), ""))
        elif code in SURVIVED:
            result.survivors.append(Survivor(name, function_of(name), ""))
        else:
            result.other += 1
    changes = diffs(base, target, [s.name for s in result.survivors])
    for survivor in result.survivors:
        survivor.change = changes[survivor.name]
        survivor.reason = explain(survivor, equivalents)
    return result


def diffs(base: Path, target: str, names: list[str]) -> dict[str, str]:
    """Each survivor's changed lines, from mutmut's own diff (in-process: one `mutmut show` each is slow)."""
    if not names:
        return {}
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    path = PREFIX / target
    here = Path.cwd()
    os.chdir(base)
    try:
        return {name: changed_lines(get_diff_for_mutant(name, path=path)) for name in names}
    finally:
        os.chdir(here)


def expand(patterns: list[str]) -> list[str]:
    """Test paths from targets.toml, globs expanded; a pattern that matches nothing is an error."""
    paths = []
    for pattern in patterns:
        found = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(pattern))
        if not found:
            raise SystemExit(f"tests/mutation/targets.toml: {pattern!r} matches no test file; fix the path")
        paths += [p for p in found if p not in paths]
    return paths


def run_target(target: str, tests: list[str], children: int, mutmut: str, resume: bool = False) -> Result:
    base = stage(target, tests, resume)
    start = time.monotonic()
    print(f"==> mutmut on {target} ({len(tests)} test paths)", flush=True)
    env = dict(os.environ, PY_COLORS="0")
    with open(base / "mutmut.log", "w") as log:
        proc = subprocess.run(
            [mutmut, "run", "--max-children", str(children)],
            cwd=base,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        tail = (base / "mutmut.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"mutmut failed on {target} (exit {proc.returncode}); log {base / 'mutmut.log'}:\n{tail}")
    result = collect(base, target, seconds)
    result.resumed = resume
    print(
        f"<== {target}: {result.score:.1f}% of {result.total} killed"
        f" ({len(result.explained)} equivalent, {len(result.unexplained)} unexplained) in {seconds:.0f}s",
        flush=True,
    )
    return result


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    porcelain = ["git", "status", "--porcelain", "--untracked-files=no"]
    dirty = subprocess.run(porcelain, cwd=ROOT, capture_output=True, check=True)
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def record(result: Result) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {
        "target": result.target,
        "commit": commit(),
        "date": time.strftime("%Y-%m-%d"),
        "seconds": round(result.seconds),
        "resumed": result.resumed,
        "total": result.total,
        "killed": result.killed,
        "timeout": result.timeout,
        "no_tests": result.no_tests,
        "other": result.other,
        "survivors": [{"function": s.function, "change": s.change, "reason": s.reason} for s in result.survivors],
    }
    (RESULTS / f"{slug(result.target)}.json").write_text(json.dumps(data, indent=1) + "\n")


def recorded(targets: list[str]) -> list[Result]:
    """Every target's last recorded run, in targets.toml order (unrun targets left out)."""
    out = []
    for target in targets:
        path = RESULTS / f"{slug(target)}.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        r = Result(target=target, seconds=data["seconds"], total=data["total"], killed=data["killed"])
        r.timeout, r.no_tests, r.other = data["timeout"], data["no_tests"], data["other"]
        r.survivors = [Survivor("", s["function"], s["change"], s["reason"]) for s in data["survivors"]]
        r.commit, r.date = data["commit"], data["date"]
        r.resumed = data.get("resumed", False)
        out.append(r)
    return out


def table(results: list[Result], goal: float, pending: tuple = ()) -> str:
    rows = [
        "| File | Mutants | Killed | Timeout | Equivalent | Unexplained | No tests | Score | Time | Measured at |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        rows.append(
            f"| `{r.target}` | {r.total} | {r.killed} | {r.timeout} | {len(r.explained)} | {len(r.unexplained)}"
            f" | {r.no_tests} | {r.score:.1f}% | {r.seconds / 60:.1f} min{' (resumed)' if r.resumed else ''}"
            f" | {r.commit or 'now'} {r.date} |"
        )
    total = sum(r.total for r in results)
    caught = sum(r.killed + r.timeout for r in results)
    for target in pending:
        rows.append(f"| `{target}` | not recorded yet | | | | | | | | |")
    rows.append(
        f"| all | {total} | {sum(r.killed for r in results)} | {sum(r.timeout for r in results)}"
        f" | {sum(len(r.explained) for r in results)} | {sum(len(r.unexplained) for r in results)}"
        f" | {sum(r.no_tests for r in results)} | {100.0 * caught / total if total else 0:.1f}%"
        f" | {sum(r.seconds for r in results) / 60:.1f} min | |"
    )
    parts = [
        f"Goal: at least {goal:.0f}% of each file's mutants killed (a timeout counts as killed).",
        "",
        "\n".join(rows),
        "",
    ]
    for r in results:
        if not r.survivors:
            continue
        parts.append(f"### Survivors in `{r.target}`")
        parts.append("")
        for s in r.survivors:
            change = s.change.replace("\n", " / ")
            why = s.reason.replace("\n", " ") if s.reason else "**not explained yet**"
            parts.append(f"- `{s.function}`: `{change}`: {why}")
        parts.append("")
    return "\n".join(parts)


def render(targets: dict, goal: float) -> str:
    """The table of every target's last recorded run; targets never recorded are listed as such."""
    results = recorded(list(targets))
    done = {r.target for r in results}
    return table(results, goal, tuple(t for t in targets if t not in done))


def write_doc(text: str) -> None:
    doc = DOC.read_text()
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    DOC.write_text(doc[:start] + "\n" + text + "\n" + doc[end:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("only", nargs="*", help="run only targets whose path contains one of these")
    parser.add_argument("--no-record", action="store_true", help="record nothing and leave docs/reliability.md alone")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the last run's verdicts for functions whose code is unchanged; survivors are tested again",
    )
    parser.add_argument("--render", action="store_true", help="render docs/reliability.md from the records")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 1, help="mutants tested at once")
    parser.add_argument("--mutmut", default=shutil.which("mutmut") or "mutmut")
    args = parser.parse_args()

    config = tomllib.loads(CONFIG.read_text())
    goal = float(config["goal"])
    targets = {t: spec["tests"] for t, spec in config["targets"].items()}
    if args.render:
        write_doc(render(targets, goal))
        print(f"rendered {DOC.relative_to(ROOT)} from {RESULTS.relative_to(ROOT)}/")
        return 0
    chosen = [t for t in targets if not args.only or any(word in t for word in args.only)]
    if not chosen:
        raise SystemExit(f"no target matches {args.only}; targets: {', '.join(targets)}")

    results = []
    for t in chosen:
        tests = expand(targets[t])
        result = run_target(t, tests, args.children, args.mutmut, args.resume)
        results.append(result)
        if not args.no_record:
            record(result)
    print("\n" + table(results, goal))
    if not args.no_record:
        write_doc(render(targets, goal))
        print(f"recorded in {RESULTS.relative_to(ROOT)}/ and {DOC.relative_to(ROOT)}")
    bad = [r for r in results if r.score < goal or r.unexplained]
    for r in bad:
        print(f"{r.target}: {r.score:.1f}% killed, {len(r.unexplained)} survivor(s) not explained", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
