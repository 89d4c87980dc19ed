# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by several test files (importable because tests/unit is on sys.path via conftest)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys

import pytest
import yaml

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


def playbook_env(tmp_path):
    """ansible-playbook's environment for a test run: this checkout as gosvc.hardening (linked under tmp_path),
    no colour, Ansible's temporary directories under tmp_path, no ansible.cfg of the caller's."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    collections = os.path.join(tmp_path, "collections")
    link = os.path.join(collections, "ansible_collections", "gosvc", "hardening")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(root, link, target_is_directory=True)
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=collections,
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=os.path.join(tmp_path, "ansible-local"),
        ANSIBLE_REMOTE_TEMP=os.path.join(tmp_path, "ansible-remote"),
    )
    env.pop("ANSIBLE_CONFIG", None)
    return env


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

        self.role_dir = role_dir
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


def render_env_file(role_vars, env, secret, group="demo"):
    """The environment file go_service's env.j2 writes for ``env`` and ``secret`` (service demo 1.0.0).

    ``role_vars`` is a RoleVars of roles/go_service; rendered as the template lookup renders a template
    file (backslashes not escaped), with ``ansible_managed`` set to ``managed``.
    """
    return role_vars.render(
        (role_vars.role_dir / "templates" / "env.j2").read_text(),
        escape_backslashes=False,
        ansible_managed="managed",
        go_service_name="demo",
        go_service_version="1.0.0",
        go_service_group=group,
        go_service_env=env,
        go_service_env_secret=secret,
    )


# -- an HTTP server on 127.0.0.1 that answers the status code its path ends in ---------------------


@contextlib.contextmanager
def status_code_server():
    """Yield the base URL of a server on 127.0.0.1 where ``GET .../<code>`` answers ``<code>``.

    A 204 has no body; other codes carry a small JSON body with its Content-Length.
    """
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            code = int(self.path.rsplit("/", 1)[-1])
            self.send_response(code)
            if code == 204:
                self.end_headers()
                return
            body = b'{"status":"ok"}' if code < 400 else b'{"status":"down"}'
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- local servers and certificates ----------------------------------------------------------


class LocalServer:
    """An HTTP server on 127.0.0.1 in a thread: ``serve(handler)`` starts it, ``close()`` stops it."""

    def serve(self, handler, daemon_threads=False):
        import http.server
        import threading

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = daemon_threads
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def write_self_signed(directory, common_name, valid_for, ip=None):
    """A self-signed EC certificate and its key as PEM files in ``directory``: (cert path, key path).

    Valid from an hour ago for ``valid_for`` (a timedelta) from now; ``ip`` adds it as the subject
    alternative name. No CA vouches for it.
    """
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + valid_for)
    )
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), False)
    cert = builder.sign(key, hashes.SHA256())
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return cert_path, key_path


# -- a fleet of the controller itself ----------------------------------------------------------


def write_local_fleet(tmp_path, **service_vars):
    """An inventory of three hosts, canary, web2 and web3, that are the controller itself (ansible_connection
    local), with every path a deploy could read or write (artifact cache, base and configuration directories,
    reports) under ``tmp_path``; ``service_vars`` adds the service's variables. Returns the inventory file."""
    base = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "gosvc_become": False,
        "go_service_artifact_cache_dir": str(tmp_path / "cache"),
        "go_service_base_dir": str(tmp_path / "opt"),
        "go_service_config_dir": str(tmp_path / "etc"),
        "verify_report_dir": str(tmp_path / "reports"),
    }
    inventory = {"go_services": {"hosts": {"canary": None, "web2": None, "web3": None}, "vars": base | service_vars}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path
