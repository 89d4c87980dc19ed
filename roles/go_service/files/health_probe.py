# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health watchdog probe for services that cannot speak sd_notify.

Run by <name>-health.service (a oneshot started by <name>-health.timer):
probes the health URL once, counts consecutive failures in a state file, and
restarts the service when the count reaches the limit. Standard library only.

Usage: health_probe.py <unit> <url> <max-failures> <timeout-sec> <state-file>
"""

import subprocess
import sys
import urllib.error
import urllib.request


def probe(url: str, timeout: float) -> str:
    """Return '' when the URL answers 2xx/3xx, else why it did not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            if 200 <= resp.status < 400:
                return ""
            return f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except Exception as exc:  # any failure to get an answer counts as one failed probe
        return str(exc) or exc.__class__.__name__


def main() -> int:
    unit, url, max_failures, timeout, state = sys.argv[1:6]
    try:
        with open(state, encoding="ascii") as fh:
            failures = int(fh.read().strip() or 0)
    except (OSError, ValueError):
        failures = 0
    active = subprocess.run(["systemctl", "is-active", "--quiet", unit], check=False).returncode == 0
    if not active:
        # Not running (stopped, or restarting already): nothing to supervise now.
        failures = 0
        error = ""
    else:
        error = probe(url, float(timeout))
        failures = failures + 1 if error else 0
    if error:
        print(f"{unit}: health probe {url} failed ({error}); {failures}/{max_failures} consecutive failures")
    if failures >= int(max_failures):
        print(f"{unit}: restarting after {failures} consecutive failed health probes")
        subprocess.run(["systemctl", "restart", "--no-block", unit], check=True)
        failures = 0
    with open(state, "w", encoding="ascii") as fh:
        fh.write(f"{failures}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
