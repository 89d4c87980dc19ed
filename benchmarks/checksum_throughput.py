# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Throughput of plugins/module_utils/_digests.file_digest against coreutils.

Hashes one large file (1 GiB by default) with the collection's ``file_digest``
(both code paths: ``hashlib.file_digest`` where Python has it, and the ``readinto``
loop used on Python < 3.11), with ``sha256sum`` (or ``sha384sum``/``sha512sum``) and,
for reference, with ``openssl dgst`` when it is installed. Each runs several times
with a warm page cache, interleaved; the table shows median, min and max seconds,
throughput and the ratio to coreutils. The goal is to be no more than 5% slower
than coreutils (ratio <= 1.05). Benchmarks never gate: the exit status is 0
whatever the figures.

    python3 benchmarks/checksum_throughput.py                 # temporary 1 GiB file, removed after
    python3 benchmarks/checksum_throughput.py --path /var/tmp/bench.bin   # created once, reused
    python3 benchmarks/checksum_throughput.py --size-mib 256 --runs 3 --algorithm sha512

The module_utils file is imported from this checkout by its file path, so no
installed collection is needed (and none is measured by mistake).
"""

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIGESTS_PATH = ROOT / "plugins" / "module_utils" / "_digests.py"
GOAL = 1.05  # at most 5% slower than coreutils
MIB = 1024 * 1024


def load_digests():
    spec = importlib.util.spec_from_file_location("gosvc_hardening_digests", DIGESTS_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_file(path, size):
    """Create ``path`` with ``size`` random bytes unless it already has that size."""
    if path.exists() and path.stat().st_size == size:
        print(f"reusing {path} ({size // MIB} MiB)")
        return
    print(f"writing {size // MIB} MiB of random data to {path} ...", flush=True)
    with open(path, "wb") as handle:
        remaining = size
        while remaining:
            block = os.urandom(min(MIB, remaining))
            handle.write(block)
            remaining -= len(block)
        handle.flush()
        os.fsync(handle.fileno())


def warm(path):
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(4 * MIB)
        while handle.readinto(buffer):
            pass


def time_call(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def coreutils_digest(tool, path):
    out = subprocess.run([tool, "--", str(path)], check=True, capture_output=True, text=True).stdout
    return out.split()[0].lstrip("\\")


def openssl_digest(openssl, algorithm, path):
    out = subprocess.run(
        [openssl, "dgst", f"-{algorithm}", "-r", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return out.split()[0]


def run(args, emit=print):
    """Measure and print; returns {"text": the table, "ratios": {method: median / coreutils median}}."""
    digests = load_digests()
    lines = []

    def out(text=""):
        lines.append(text)
        emit(text)

    summary = {"ratios": {}}
    size = args.size_mib * MIB
    tool = shutil.which(f"{args.algorithm}sum")
    created = None
    if args.path:
        path = Path(args.path)
        ensure_file(path, size)
    else:
        fd, name = tempfile.mkstemp(prefix="gosvc-checksum-bench-", suffix=".bin")
        os.close(fd)
        path = created = Path(name)
        ensure_file(path, size)
    try:
        methods = []
        if hasattr(__import__("hashlib"), "file_digest"):
            methods.append(
                ("file_digest: hashlib.file_digest", lambda: digests.file_digest(path, args.algorithm).digest)
            )
        methods.append(
            (
                "file_digest: readinto loop, 1 MiB",
                lambda: digests.file_digest(path, args.algorithm, use_hashlib_file_digest=False).digest,
            )
        )
        openssl = shutil.which("openssl")
        if openssl:
            methods.append(("openssl dgst (for reference)", lambda: openssl_digest(openssl, args.algorithm, path)))
        if tool:
            methods.append((f"{Path(tool).name} (coreutils)", lambda: coreutils_digest(tool, path)))
        else:
            print(f"{args.algorithm}sum not found: no coreutils baseline")

        print(f"warming the page cache ({path}) ...", flush=True)
        warm(path)
        times = {name: [] for name, _fn in methods}
        results = {}
        for _run in range(args.runs):
            # Interleaved so that a slow period of the machine hits every method alike.
            for name, function in methods:
                seconds, value = time_call(function)
                times[name].append(seconds)
                results.setdefault(name, set()).add(value)

        out()
        out(
            f"{args.algorithm}, {args.size_mib} MiB, {args.runs} runs each, warm cache, "
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
        )
        baseline = statistics.median(times[methods[-1][0]]) if tool else None
        header = (
            f"{'method':<36} {'median s':>9} {'min s':>8} {'max s':>8} {'MiB/s':>8} {'ratio':>7}  goal <= {GOAL:.2f}"
        )
        out(header)
        out("-" * len(header))
        for name, _function in methods:
            median = statistics.median(times[name])
            ratio = median / baseline if baseline else float("nan")
            verdict = "" if not baseline else ("meets" if ratio <= GOAL else "misses")
            if tool and name == methods[-1][0]:
                verdict = "baseline"
            elif name.startswith("openssl"):
                verdict = "reference"
            if baseline and verdict in ("meets", "misses"):
                summary["ratios"][name.split(": ", 1)[-1]] = ratio
            out(
                f"{name:<36} {median:>9.3f} {min(times[name]):>8.3f} {max(times[name]):>8.3f} "
                f"{args.size_mib / median:>8.0f} {ratio:>7.3f}  {verdict}"
            )
        if openssl and tool:
            reference = statistics.median(times["openssl dgst (for reference)"])
            for name, _function in methods[: 2 if len(methods) == 4 else 1]:
                out(f"{name} / openssl dgst: {statistics.median(times[name]) / reference:.3f}")
        agreed = {value for values in results.values() for value in values}
        if len(agreed) == 1:
            out(f"all methods agree: {args.algorithm}:{agreed.pop()}")
        else:
            out(f"WARNING: the methods disagree on the digest: {results}")
        summary["text"] = "\n".join(lines)
        return summary
    finally:
        if created is not None:
            created.unlink()


def measure(size_mib=1024, runs=5, algorithm="sha256", path=None):
    """Entry point for benchmarks/run.py: the same measurement, quietly."""
    args = argparse.Namespace(size_mib=size_mib, runs=runs, algorithm=algorithm, path=path)
    try:
        return run(args, emit=lambda _text="": None)
    except Exception as exc:  # a benchmark reports, it never gates
        return {"text": f"checksum benchmark failed: {exc!r}", "ratios": {}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument(
        "--path", help="file to hash; created with random data if missing, reused (and kept) if present"
    )
    parser.add_argument("--size-mib", type=int, default=1024, help="file size in MiB (default 1024)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per method (default 5)")
    parser.add_argument("--algorithm", choices=("sha256", "sha384", "sha512"), default="sha256")
    args = parser.parse_args(argv)
    try:
        run(args)
    except Exception as exc:  # a benchmark reports, it never gates
        print(f"benchmark failed: {exc!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
