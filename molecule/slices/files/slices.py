# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one playbook as N slices at once, the way AWX job slicing does, and say how each went.

    slices.py --slices 3 --log-dir DIR --host H1 --host H2 ... -- ansible-playbook -i INV PLAYBOOK [ARGS]

Slice k (0-based) gets the hosts whose position in the given order is k modulo N, as AWX assigns an
inventory's hosts to the jobs of a sliced job template; each slice runs the command with ``--limit``
set to its hosts, and ``{slice}`` in an argument replaced by k (a report directory of its own, as each
job of AWX has). All slices start together and run at the same time. Prints one JSON object:
``{"slices": [{"index", "hosts", "rc", "started", "ended", "log"}]}`` (times in seconds since the
first start), each slice's whole output in ``DIR/slice-<k>.log``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--slices", type=int, required=True)
    parser.add_argument("--host", action="append", required=True, dest="hosts")
    parser.add_argument("--log-dir", type=Path, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command or args.slices < 1:
        parser.error("give --slices of at least 1 and the command after --")
    args.log_dir.mkdir(parents=True, exist_ok=True)

    slices = []
    origin = time.monotonic()
    for index in range(args.slices):
        hosts = args.hosts[index :: args.slices]
        log = args.log_dir / f"slice-{index}.log"
        handle = log.open("w")
        process = subprocess.Popen(
            [*(arg.replace("{slice}", str(index)) for arg in command), "--limit", ",".join(hosts)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
        )
        slices.append(
            {
                "index": index,
                "hosts": hosts,
                "log": str(log),
                "started": round(time.monotonic() - origin, 2),
                "_process": process,
                "_handle": handle,
            }
        )
    pending = list(slices)
    while pending:
        for item in list(pending):
            rc = item["_process"].poll()
            if rc is not None:
                item["rc"], item["ended"] = rc, round(time.monotonic() - origin, 2)
                item.pop("_handle").close()
                item.pop("_process")
                pending.remove(item)
        time.sleep(0.1)
    json.dump({"slices": slices}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
