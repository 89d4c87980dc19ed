# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by several test files (importable because tests/unit is on sys.path via conftest)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import pytest

# -- the go tool -----------------------------------------------------------------------------

GO = shutil.which("go")

needs_go = pytest.mark.needs_go
skip_no_go = pytest.mark.skipif(GO is None, reason="the go tool is not installed")


def go_env(**extra):
    """An environment for the go tool: offline, local toolchain, none of the caller's GO*/CGO_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GO", "CGO_"))}
    for keep in ("GOPATH", "GOCACHE", "GOROOT", "GOMODCACHE"):
        if keep in os.environ:
            env[keep] = os.environ[keep]
    env.update(GOFLAGS="-mod=mod", GOPROXY="off", GOSUMDB="off", GOWORK="off", GO111MODULE="on", GOTOOLCHAIN="local")
    env.update(extra)
    return env


def run(cmd, **kwargs):
    """subprocess.run with text output captured, no check, and a 300 s timeout (each overridable)."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 300)
    return subprocess.run(cmd, check=False, **kwargs)


# -- an independent RFC 9162 Merkle tree reference (recursive MTH and PATH) ---------------------


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def merkle_root(leaves):
    """MTH(D[n]) of RFC 9162, section 2.1.1."""
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:])).digest()


def inclusion_path(m, leaves):
    """PATH(m, D[n]) of RFC 9162, section 2.1.3.1."""
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*inclusion_path(m, leaves[:k]), merkle_root(leaves[k:])]
    return [*inclusion_path(m - k, leaves[k:]), merkle_root(leaves[:k])]


# -- a role's variables, templated as Ansible templates them ----------------------------------


class RoleVars:
    """A role's defaults and vars loaded as Ansible loads them; ``render`` templates text with them.

    Works on ansible-core 2.19 to 2.21 (and older): 2.19 templates only strings trusted as templates, so the
    role files are loaded trusted (as Ansible loads a role's own files) and so is the rendered text.
    """

    def __init__(self, role_dir):
        from ansible.parsing.dataloader import DataLoader

        self.loader = DataLoader()
        self.variables = {}
        for name in ("defaults", "vars"):
            path = str(role_dir / name / "main.yml")
            try:
                self.variables.update(self.loader.load_from_file(path, trusted_as_template=True))
            except TypeError:  # ansible-core < 2.19
                self.variables.update(self.loader.load_from_file(path))

    def render(self, text, escape_backslashes=True, **variables):
        """``text`` templated with the role's variables, overridden by ``variables``."""
        from ansible.template import Templar

        try:
            from ansible.template import trust_as_template
        except ImportError:  # ansible-core < 2.19 templates every string
            trust_as_template = str
        templar = Templar(loader=self.loader, variables={**self.variables, **variables})
        return templar.template(trust_as_template(text), escape_backslashes=escape_backslashes)


# -- a release tree as gosvc.hardening.go_release installs it ---------------------------------------


def install_release_tree(root, version, content, tmp_path, binary_name="demo"):
    """Install ``content`` as release ``version`` under ``root`` with go_release's own code; its sha256 hex."""
    import hashlib
    import os

    from ansible_collections.gosvc.hardening.plugins.module_utils._release import install_release

    src = tmp_path / f"staged-{version}"
    src.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    params = {
        "root": str(root),
        "version": version,
        "src": str(src),
        "checksum": "sha256:" + digest,
        "binary_name": binary_name,
        "owner": str(os.getuid()),
        "group": str(os.getgid()),
        "mode": "0755",
        "keep": 3,
        "switch": True,
        "lock_timeout": 5,
    }
    install_release(params, check_mode=False)
    return digest
