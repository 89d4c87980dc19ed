# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capture what gosvc.hardening.service_probe reads on a host running the demo service.

Not a test: the recipe that produced the fixtures next to it (see README.md). It runs INSIDE a
systemd container where gosvc.hardening.go_service deployed the demo (demo.service), with the
container's own python3, and records the commands the module runs (argv, environment, exit code,
stdout, stderr) and the /proc files it reads. Copy it into /root:

    docker cp tests/unit/data/service_probe/capture.py gosvc-probe-12:/root/capture.py
    docker exec gosvc-probe-12 python3 /root/capture.py debian12 /root/sp-out
    docker cp gosvc-probe-12:/root/sp-out/debian12 tests/unit/data/service_probe/
"""

import json
import os
import shutil
import subprocess
import sys

UNIT = "demo.service"
UNIT_KEYS = "LoadState,ActiveState,SubState,Result,MainPID,NRestarts,User,InvocationID,ExecMainStartTimestamp"
ENV = {"SYSTEMD_COLORS": "0", "SYSTEMD_LOG_COLOR": "0", "LC_ALL": "C.UTF-8"}


def main(release, out_root):
    out = os.path.join(out_root, release)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    captures, files = [], {}

    def run(name, argv, extra_env=None):
        env = dict(ENV, **(extra_env or {}))
        done = subprocess.run(argv, env=dict(os.environ, **env), capture_output=True, text=True, check=False)
        entry = {"name": name, "argv": argv, "env": env, "rc": done.returncode, "stderr": done.stderr}
        if done.stdout:
            entry["stdout_file"] = name
            with open(os.path.join(out, name), "w", encoding="utf-8") as handle:
                handle.write(done.stdout)
        captures.append(entry)
        return done.stdout

    def read(name, path):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            return
        files[path] = name
        with open(os.path.join(out, name), "w", encoding="utf-8") as handle:
            handle.write(text)

    show = run("unit.running.txt", ["systemctl", "show", "-p", UNIT_KEYS, UNIT])
    props = dict(line.split("=", 1) for line in show.splitlines() if "=" in line)
    run("version.txt", ["systemd-analyze", "--version"])
    run("show.security.txt", ["systemctl", "show", "-p", "FragmentPath,DropInPaths,LoadState,ActiveState", UNIT])
    run(
        "security.json",
        ["systemd-analyze", "security", "--no-pager", "--json=short", UNIT],
        {"SYSTEMD_ANALYZE_DEBUG": "1"},
    )
    run("security.txt", ["systemd-analyze", "security", "--no-pager", UNIT])
    run("verify.txt", ["systemd-analyze", "verify", "--man=no", "/etc/systemd/system/" + UNIT])
    run(
        "journal.txt",
        ["journalctl", "_SYSTEMD_INVOCATION_ID=" + props["InvocationID"], "--lines=20", "--output=cat", "--no-pager"],
    )
    read("proc.status.txt", f"/proc/{props['MainPID']}/status")
    read("fib_trie.txt", "/proc/net/fib_trie")
    read("if_inet6.txt", "/proc/net/if_inet6")
    run("unit.missing.txt", ["systemctl", "show", "-p", UNIT_KEYS, "no-such-unit.service"])
    run("stop", ["systemctl", "stop", UNIT])
    run("unit.stopped.txt", ["systemctl", "show", "-p", UNIT_KEYS, UNIT])
    run("start", ["systemctl", "start", UNIT])
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump({"captures": captures, "files": files}, handle, indent=1, sort_keys=True)
        handle.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
