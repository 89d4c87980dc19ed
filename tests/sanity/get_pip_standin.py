"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test (``sanity --local``/``--venv``) bootstraps pip in fresh virtual
environments with a ``get-pip`` script fetched from a host that CI cannot
reach; it looks in ``~/.ansible/test/cache/get_pip_<version>.py`` first.
scripts/sanity.sh installs this file there. It is run with the options
get-pip would receive (``pip==X``, ``--no-setuptools``, ...): it bootstraps
pip with ``ensurepip`` in a child process (ensurepip resets pip's
configuration in its own process, which would drop the machine's index and
CA settings) and then installs the requested pip version with that pip.
"""

import subprocess
import sys


def main() -> None:
    args = sys.argv[1:]
    packages = [a for a in args if not a.startswith("-")]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    if packages:
        subprocess.check_call(
            [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", *packages]
        )


if __name__ == "__main__":
    main()
