# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capture real ``systemd-analyze`` output inside a running systemd container.

Not a test: this is the recipe that produced the fixtures next to it (see
README.md). It runs INSIDE the container, with the container's own python3
(3.9 on Debian 11). Copy into /root, not /tmp: Debian 13 boots with /tmp on
a tmpfs that hides whatever `docker cp` put there.

    docker cp tests/unit/data/systemd/units us-d12:/root/us-units
    docker cp tests/unit/data/systemd/capture.py us-d12:/root/capture.py
    docker exec us-d12 python3 /root/capture.py debian12 /root/us-out /root/us-units
    docker cp us-d12:/root/us-out/debian12 tests/unit/data/systemd/

Every command's stdout, when it printed any, is written verbatim to its own
file; argv, the environment it ran with, the exit code and stderr go to
manifest.json.
The default environment is the one the unit_security module uses.
"""

import json
import os
import shutil
import subprocess
import sys

UNITS = [
    "us-bare.service",
    "us-typical.service",
    "us-hardened.service",
    "us-unknownkey.service",
    "us-wrongsection.service",
    "us-unknownsection.service",
    "us-badexec.service",
    "us-relexec.service",
    "us-dropin.service",
    "us-deps.service",
    "us-deprecated.service",
    "us-missingdep.service",
]
# What plugins/modules/unit_security.py sets for every systemd-analyze call.
MODULE_ENV = {"SYSTEMD_COLORS": "0", "SYSTEMD_LOG_COLOR": "0", "LC_ALL": "C.UTF-8"}
SECURITY_UNITS = ["us-bare.service", "us-typical.service", "us-hardened.service", "us-dropin.service"]
REPLAY_UNITS = ["us-unknownkey.service", "us-wrongsection.service", "us-relexec.service", "us-badexec.service"]
SA = ["systemd-analyze"]
SHOW = ["systemctl", "show", "-p", "FragmentPath,DropInPaths,LoadState,ActiveState"]
SECURITY = [*SA, "security", "--no-pager"]
VERIFY = [*SA, "verify", "--man=no"]


def main():
    release, outroot, units_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    out = os.path.join(outroot, release)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    manifest = {"release": release, "module_env": MODULE_ENV, "captures": []}

    def run(name, argv, env=None, keep_stdout=True):
        """Run argv with MODULE_ENV updated by env (a None value removes the variable).

        keep_stdout: True writes stdout to the file `name`, False keeps it in the
        manifest, "tail" keeps only its last line there.
        """
        delta = dict(MODULE_ENV, **(env or {}))
        full_env = dict(os.environ)
        for key, value in delta.items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
        proc = subprocess.run(argv, env=full_env, capture_output=True, check=False)
        stdout = proc.stdout.decode("utf-8", "surrogateescape")
        entry = {
            "name": name,
            "argv": argv,
            "env": {k: v for k, v in delta.items() if v is not None},
            "rc": proc.returncode,
            "stderr": proc.stderr.decode("utf-8", "surrogateescape"),
        }
        if keep_stdout == "tail":
            entry["stdout_tail"] = (stdout.strip().splitlines() or [""])[-1]
        elif keep_stdout and stdout:
            entry["stdout_file"] = name
            with open(os.path.join(out, name), "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(stdout)
        elif stdout:
            entry["stdout"] = stdout
        manifest["captures"].append(entry)

    # Install the fixture units the way a role would: files under /etc/systemd/system.
    for name in sorted(os.listdir(units_dir)):
        src = os.path.join(units_dir, name)
        dst = os.path.join("/etc/systemd/system", name)
        if os.path.isdir(src):
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)
    run("daemon-reload", ["systemctl", "daemon-reload"], keep_stdout=False)
    run("version.txt", [*SA, "--version"])
    run("help.txt", [*SA, "--help"])
    for unit in UNITS:
        run("start." + unit, ["systemctl", "start", unit], keep_stdout=False)

    for unit in UNITS:
        stem = unit[: -len(".service")]
        run("show." + stem + ".txt", [*SHOW, unit])
        run("verify." + stem + ".txt", [*VERIFY, "/etc/systemd/system/" + unit])
    # The other fixture units differ from us-bare only in ways the security review does not see.
    for unit in SECURITY_UNITS:
        stem = unit[: -len(".service")]
        run("security." + stem + ".txt", [*SECURITY, unit])
        run("security." + stem + ".short.json", [*SECURITY, "--json=short", unit])
        run("security." + stem + ".debug.json", [*SECURITY, "--json=short", unit], env={"SYSTEMD_ANALYZE_DEBUG": "1"})
    # For replaying the module's own command sequence on units whose verify output fails the task.
    for unit in REPLAY_UNITS:
        stem = unit[: -len(".service")]
        run("security." + stem + ".txt", [*SECURITY, unit])
        run("security." + stem + ".debug.json", [*SECURITY, "--json=short", unit], env={"SYSTEMD_ANALYZE_DEBUG": "1"})
    run("security.us-typical.pretty.json", [*SECURITY, "--json=pretty", "us-typical.service"])
    run("show.missing.txt", [*SHOW, "gosvc-no-such-unit.service"])

    # Output variants the parsers must survive.
    typical = "us-typical.service"
    run("security.us-typical.ascii.txt", [*SECURITY, typical], env={"LC_ALL": "C"})
    run("security.us-typical.color.txt", [*SECURITY, typical], env={"SYSTEMD_COLORS": "1"})
    run("security.us-typical.debug.txt", [*SECURITY, typical], env={"SYSTEMD_ANALYZE_DEBUG": "1"})
    run("security.us-typical.narrow.txt", [*SECURITY, typical], env={"COLUMNS": "80"})
    run("security.multi.txt", [*SECURITY, "us-bare.service", "us-hardened.service"])
    run("security.missing.txt", [*SECURITY, "gosvc-no-such-unit.service"])
    run("security.missing.short.json", [*SECURITY, "--json=short", "gosvc-no-such-unit.service"])
    # verify as systemd runs it by default: man page check on, log colours as the tool decides.
    run("verify.us-deps.man.txt", [*SA, "verify", "/etc/systemd/system/us-deps.service"])
    run(
        "verify.us-unknownkey.logcolor.txt",
        [*VERIFY, "/etc/systemd/system/us-unknownkey.service"],
        env={"SYSTEMD_LOG_COLOR": None},
    )
    run("verify.missing-file.txt", [*VERIFY, "/etc/systemd/system/gosvc-no-such-unit.service"])

    # Options that only newer versions have.
    run("opt.threshold.txt", [*SECURITY, "--threshold=50", "us-bare.service"], keep_stdout="tail")
    run("opt.offline.txt", [*SECURITY, "--offline=true", "/etc/systemd/system/us-typical.service"], keep_stdout="tail")
    run("opt.root.txt", [*SECURITY, "--offline=true", "--root=/", typical], keep_stdout="tail")
    run(
        "opt.recursive-errors.txt",
        [*VERIFY, "--recursive-errors=no", "/etc/systemd/system/us-bare.service"],
        keep_stdout="tail",
    )

    # What verify says about the units the image itself ships (templates skipped):
    # the noise a dependency could bring in. One line per unit that printed anything.
    lines = []
    unit_dir = "/usr/lib/systemd/system"  # all three images have a merged /usr
    for name in sorted(os.listdir(unit_dir)):
        path = os.path.join(unit_dir, name)
        if "@" in name or os.path.isdir(path) or name.endswith((".wants", ".requires", ".d")):
            continue
        env = dict(os.environ, **MODULE_ENV)
        proc = subprocess.run([*VERIFY, path], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        text = proc.stdout.decode("utf-8", "surrogateescape").strip()
        if text or proc.returncode:
            lines.append("# " + path + " rc=" + str(proc.returncode))
            lines.extend(text.splitlines())
    with open(os.path.join(out, "scan.verify-shipped-units.txt"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")

    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1, ensure_ascii=False, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main()
