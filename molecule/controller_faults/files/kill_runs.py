# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kill runs of the go_service role at random moments and read the hosts after each (fault matrix, case 1).

    kill_runs.py --inventory INV --playbook converge.yml --dist .cache/demo/dist --host H1 --host H2 ...
                 [--kills 20] [--drops 5] [--seed N]

Each run upgrades one host, and each host gets the demo's releases in turn, each twice (3.0.0, 3.0.0, 1.0.0,
1.0.0, 2.0.0, ...): the run after a killed one deploys either the same release again, as an operator re-runs an
interrupted deploy (the switch may be done and the restart not), or the next one (an upload, a switch and a restart
to be caught in). The faults go to the hosts in turn, and each host's runs go one after the other in a lane of its
own, the lanes at once (a host's runs, lease and files are its own). Three faults:

- kill: SIGKILL to the ansible-playbook process and every process below it (its workers, which detach into
  sessions of their own, and their `docker exec` connections) at a random moment of the run;
- kill-main: SIGKILL to the ansible-playbook process only (a third of the kills): its workers finish the task
  they were at, orphaned;
- drop: SIGKILL to one `docker exec` connection only (the connection lost mid-module), at a random moment;
  the run goes on and fails or rolls back as it can.

After each, the host is read (``docker exec <host> python3``): ``current`` must point to a whole release whose
binary has the digest of that release's checksums.txt; the unit, its drop-in and the environment file must each be
exactly as a complete run of some release wrote them; no temporary file of the collection may be left. At the
end one run of each host's last release, without a fault, must converge (every host running its release), and
the run after it must change nothing.
Prints one JSON object (what the scenario asserts on and docs/reliability.md shows).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RELEASES = ("1.0.0", "2.0.0", "3.0.0")
NAME = "demo"

# Runs in each container with its python3: what a killed run left. argv[1]: JSON {pinned, good}.
HOST_CHECK = r"""
import hashlib, json, os, re, subprocess, sys
args = json.loads(sys.argv[1])
root, name = "/opt/demo", "demo"
files = {
    "unit": "/etc/systemd/system/demo.service",
    "dropin": "/etc/systemd/system/demo.service.d/50-gosvc-overrides.conf",
    "env": "/etc/demo/demo.env",
}
dirs = [root, root + "/releases", "/etc/demo", "/etc/systemd/system", "/etc/systemd/system/demo.service.d",
        "/run/gosvc-hardening"]
problems, out = [], {"files": {}, "temporary": [], "backups": []}

def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

try:
    target = os.readlink(root + "/current")
except OSError as exc:
    target = None
    problems.append("current: " + (exc.strerror or str(exc)))
version = os.path.basename(target.rstrip("/")) if target else None
out["current"] = version
if version:
    binary = os.path.join(root, "releases", version, name)
    if version not in args["pinned"]:
        problems.append("current points to %r, not a release of the demo" % target)
    elif not os.path.isfile(binary):
        problems.append("current -> %s has no binary %s" % (target, binary))
    elif sha(binary) != args["pinned"][version]:
        problems.append("current -> %s: %s is not the pinned digest of %s" % (target, binary, version))
for key, path in files.items():
    # "absent": a file no complete run writes (the demo has no unit overrides, so no drop-in).
    digest = sha(path) if os.path.exists(path) else "absent"
    out["files"][key] = digest
    if digest not in args["good"].get(key, []):
        problems.append("%s is missing (every complete run writes it)" % path if digest == "absent"
                        else "%s is not as any complete run wrote it (half written?)" % path)
for d in dirs:
    try:
        names = os.listdir(d)
    except OSError:
        continue
    for n in names:
        p = os.path.join(d, n)
        # mkstemp's names: the collection's ".tmp-*", or ".<file>.<8 random characters>" beside <file>.
        beside = re.match(r"^\.(.+)\.[A-Za-z0-9_]{8}$", n)
        if n.startswith(".tmp-") or (beside and beside.group(1) in names):
            out["temporary"].append(p)
        elif n.endswith("~"):
            out["backups"].append(p)
if out["temporary"]:
    problems.append("temporary files left: " + ", ".join(sorted(out["temporary"])))
show = subprocess.run(["systemctl", "show", name, "-p", "ActiveState", "-p", "MainPID", "--value"],
                      capture_output=True, text=True).stdout.split()
out["active"] = show[1] if len(show) > 1 else None
# The release the service says it is (its root page): /proc/<pid>/exe of another user needs CAP_SYS_PTRACE.
out["running"] = None
try:
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:8080/", timeout=5) as answer:
        out["running"] = json.loads(answer.read(65536)).get("version")
except Exception:
    pass
lease = "/run/gosvc-hardening/%s.lease" % name
out["lease"] = json.load(open(lease))["run_id"] if os.path.exists(lease) else None
out["problems"] = problems
print(json.dumps(out))
"""


def pinned_digests(dist):
    """The digest of each release's binary, as its checksums.txt says (what go_service_checksum pins)."""
    pinned = {}
    for version in RELEASES:
        for line in (Path(dist) / version / "checksums.txt").read_text().splitlines():
            digest, _sep, file_name = line.partition("  ")
            if file_name == "gosvc-demo":
                pinned[version] = digest
    return pinned


def read_host(host, pinned, good):
    argv = ["docker", "exec", "-i", host, "python3", "-", json.dumps({"pinned": pinned, "good": good})]
    done = subprocess.run(argv, input=HOST_CHECK, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        return {"problems": [f"reading {host} failed: {done.stderr.strip()[-500:]}"]}
    return json.loads(done.stdout)


class Run:
    """One ansible-playbook run of the role, in a session of its own, its output in a log file."""

    def __init__(self, args, versions, log):
        """`versions`: the release for each host of the run (the others are left out of it); one release per
        run, as the role resolves one artifact for the hosts of a run."""
        self.log = log
        self.handle = open(log, "w")  # noqa: SIM115 - closed in wait()
        argv = ["ansible-playbook", "-i", args.inventory, "--limit", ",".join(versions),
                "-e", json.dumps({"demo_version_by_host": versions}), args.playbook]  # fmt: skip
        self.proc = subprocess.Popen(argv, stdout=self.handle, stderr=subprocess.STDOUT, start_new_session=True)
        self.start = time.monotonic()

    def task(self):
        """The task the run was at: the last task header in its output."""
        tasks = re.findall(r"^TASK \[(.*?)\] \*", Path(self.log).read_text(errors="replace"), re.M)
        return tasks[-1] if tasks else "(before the first task)"

    def tree(self):
        """The run's processes below its main one: its workers (each in a session of its own, so not in the
        run's process group) and their `docker exec` connections."""
        children = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
        found, todo = [], [self.proc.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    def connections(self):
        """The run's `docker exec` processes (its connections to the hosts)."""
        found = []
        for pid in self.tree():
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if len(argv) > 1 and os.path.basename(argv[0]) == b"docker" and argv[1] == b"exec":
                found.append(pid)
        return found

    def kill(self, workers=True):
        """SIGKILL the run: its main process, and with `workers` every process below it. The main process is
        stopped first, so that it starts no worker between the look at its tree and the kill."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGSTOP)
            for pid in self.tree() if workers else []:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            os.kill(self.proc.pid, signal.SIGKILL)

    def wait(self, orphans=()):
        """The run's exit status, once it and `orphans` (workers left running by a kill of the main process
        only, which finish the task they were at) are gone."""
        rc = self.proc.wait()
        deadline = time.monotonic() + 120
        for pid in orphans:
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                time.sleep(0.05)
        self.handle.close()
        return rc


def recap_changed(log):
    """changed=N of each host in a run's PLAY RECAP."""
    return {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", Path(log).read_text(errors="replace"), re.M)
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--playbook", required=True)
    parser.add_argument("--dist", required=True)
    parser.add_argument("--host", action="append", required=True)
    parser.add_argument("--logs", required=True)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--drops", type=int, default=5)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    rng = random.Random(seed)
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*.log"):
        old.unlink()
    pinned = pinned_digests(args.dist)
    out = {"seed": seed, "faults": [], "problems": []}
    count = 0

    numbering = threading.Lock()  # the whole runs that measure the window run at once

    def run_whole(versions, label):
        nonlocal count
        with numbering:
            count += 1
            log = logs / f"{count:02d}-{label}.log"
        run = Run(args, versions, log)
        rc = run.wait()
        return rc, time.monotonic() - run.start, log

    # Each release once on every host, whole: the files each writes are the "good" ones. The converge
    # installed 1.0.0.
    good = {host: {"unit": set(), "dropin": set(), "env": set()} for host in args.host}
    for version in ("2.0.0", "3.0.0", "1.0.0"):
        rc, _took, log = run_whole(dict.fromkeys(args.host, version), f"whole-{version}")
        if rc != 0:
            out["problems"].append(f"the whole run to {version} failed (rc {rc}, {log})")
            print(json.dumps(out))
            return 1
        for host in args.host:
            for key, digest in read_host(host, pinned, {}).get("files", {}).items():
                good[host][key].add(digest)
    good = {host: {k: sorted(v) for k, v in files.items()} for host, files in good.items()}
    # The faults run in one lane per host, the lanes at once (each host's runs, leases and files are its
    # own; a kill or a drop reaches only the run it was drawn for). The moments to kill at: within what an
    # upgrade of one host takes, whole, while the other lanes run theirs (every host upgraded to 2.0.0 at once).
    current = dict.fromkeys(args.host, "2.0.0")
    with ThreadPoolExecutor(max_workers=len(args.host)) as pool:
        took = list(pool.map(lambda host: run_whole({host: "2.0.0"}, f"whole-{host}-2.0.0")[1], args.host))
    window = min(took)
    out["whole_run_seconds"] = round(window, 1)

    # A third of the kills hit the main process only, as `kill -9 <its PID>` or the OOM killer would: its
    # workers (sessions of their own) finish the task they were at, orphaned.
    plan = ["kill-main"] * (args.kills // 3) + ["kill"] * (args.kills - args.kills // 3) + ["drop"] * args.drops
    rng.shuffle(plan)
    # Fault i goes to host i mod n (Debian 11, 12, 13 in turn), each with its moment drawn now, so that a seed
    # repeats the draw whatever order the lanes end in. Each host gets each release twice in a row, from 3.0.0
    # on: the run after a killed one deploys either the same release again (what an operator does after an
    # interrupted run: the switch may be done and the restart not) or the next one.
    # Within the first three quarters of a whole upgrade: a run of a release already installed (the second of
    # a pair whose first was not killed) is shorter, and a moment after its end kills nothing.
    runs_on = dict.fromkeys(args.host, 2)
    faults = []
    for index, fault in enumerate(plan):
        host = args.host[index % len(args.host)]
        version = RELEASES[(runs_on[host] // 2 + 1) % len(RELEASES)]
        runs_on[host] += 1
        current[host] = version
        faults.append({"index": index, "fault": fault, "host": host, "version": version,
                       "at": round(rng.uniform(0.5, 0.75 * window), 2)})  # fmt: skip
    first_log = count + 1
    count += len(faults)

    def inject(item):
        """Run the item's upgrade, inject its fault at its moment, and read the host once the run is over."""
        index, fault, host, version, at = (item[k] for k in ("index", "fault", "host", "version", "at"))
        log = logs / f"{first_log + index:02d}-{fault}-{host}-{version}.log"
        run = Run(args, {host: version}, log)
        time.sleep(max(0.0, at - (time.monotonic() - run.start)))
        record = {"fault": fault, "host": host, "version": version, "at": at}
        orphans = []
        if fault in ("kill", "kill-main"):
            record["task"] = run.task()
            if run.proc.poll() is None:
                orphans = [] if fault == "kill" else run.tree()
                run.kill(workers=fault == "kill")
            else:
                record["ended_before"] = True
        else:
            # The next connection this run opens (or the one open now), killed mid-module.
            deadline = time.monotonic() + window
            victims = []
            while not victims and run.proc.poll() is None and time.monotonic() < deadline:
                victims = run.connections()
                if not victims:
                    time.sleep(0.02)
            record["task"] = run.task()
            for pid in victims[:1]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            record["dropped"] = bool(victims)
        record["rc"] = run.wait(orphans)
        state = read_host(host, pinned, good[host])
        record["state"] = {k: state.get(k) for k in ("current", "active", "running", "lease", "backups")}
        return index, record, [f"after {fault} {index + 1} ({record['task']}): {host}: {p}" for p in state["problems"]]

    def lane(host):
        return [inject(item) for item in faults if item["host"] == host]

    with ThreadPoolExecutor(max_workers=len(args.host)) as pool:
        done = sorted((entry for entries in pool.map(lane, args.host) for entry in entries), key=lambda e: e[0])
    for _index, record, problems in done:
        out["problems"] += problems
        out["faults"].append(record)

    # The faults are gone: the last run of each host again converges it (running its release), and the run
    # after it changes nothing. One run per release (the role resolves one artifact for a run's hosts), the
    # releases at once: their hosts differ.
    def settle(version):
        hosts = {host: v for host, v in current.items() if v == version}
        return run_whole(hosts, f"converge-{version}"), run_whole(hosts, f"again-{version}")

    out["converge"] = {"versions": current, "rc": 0, "failed": []}
    out["again"] = {"rc": 0, "changed": {}}
    versions = sorted(set(current.values()))
    with ThreadPoolExecutor(max_workers=len(versions)) as pool:
        settled = list(pool.map(settle, versions))
    for (rc, _took, log), (rc2, _took2, log2) in settled:
        if rc != 0:
            out["converge"]["rc"] = out["converge"]["rc"] or rc
            out["converge"]["failed"] += re.findall(r"^fatal: .{0,800}", log.read_text(errors="replace"), re.M)
        out["again"]["rc"] = out["again"]["rc"] or rc2
        out["again"]["changed"].update(recap_changed(log2))
    # A killed run's lease never held a later run back: it was taken over, never refused.
    texts = [log.read_text(errors="replace") for log in sorted(logs.glob("*.log"))]
    out["leases_left"] = sum(1 for f in out["faults"] if f["state"].get("lease"))
    out["took_over"] = sum(text.count("took over the lease of run") for text in texts)
    out["refused_by_lease"] = sum(1 for text in texts if "another run is deploying this service" in text)
    out["final"] = {}
    for host in args.host:
        state = read_host(host, pinned, good[host])
        state["version"] = current[host]
        out["final"][host] = state
        for problem in state["problems"]:
            out["problems"].append(f"after the converging run: {host}: {problem}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
