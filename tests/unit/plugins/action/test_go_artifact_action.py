# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The go_artifact action plugin resolves in the controller process: same result as the module, no connection."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest

from ansible_collections.gosvc.hardening.plugins.action import go_artifact as action_plugin
from ansible_collections.gosvc.hardening.plugins.modules import go_artifact


@pytest.fixture
def resolve():
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.play_context import PlayContext
    from ansible.playbook.task import Task

    def _run(**args):
        task = Task()
        task.action = "gosvc.hardening.go_artifact"
        task.args = args

        def no_connection(*_a, **_k):
            raise AssertionError("go_artifact must not use the connection or run a module")

        connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir=None), exec_command=no_connection)
        action = action_plugin.ActionModule(task, connection, PlayContext(), DataLoader(), None, None)
        action._load_name = "gosvc.hardening.go_artifact"
        action._execute_module = no_connection
        return action.run(task_vars={})

    return _run


@pytest.fixture
def binary(tmp_path):
    path = tmp_path / "dist" / "myapp"
    path.parent.mkdir()
    path.write_bytes(b"\x7fELF not really, but bytes with a digest\n")
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_result_as_the_module_and_a_cache_hit_the_second_time(resolve, run_module, binary, tmp_path):
    path, digest = binary
    args = {"src": str(path), "checksum": f"sha256:{digest}", "binary_name": "myapp", "cache_dir": str(tmp_path / "c")}
    first = resolve(**args)
    assert not first.get("failed"), first
    assert first["changed"] is True and first["binary_sha256"] == digest
    again = resolve(**args)
    assert again["changed"] is False and again["binary_path"] == first["binary_path"]
    module = run_module(go_artifact, args)
    assert {k: module[k] for k in ("binary_path", "binary_sha256", "artifact_sha256", "changed")} == {
        k: again[k] for k in ("binary_path", "binary_sha256", "artifact_sha256", "changed")
    }


def test_a_wrong_digest_fails_with_the_modules_message(resolve, binary, tmp_path):
    path, _digest = binary
    result = resolve(src=str(path), checksum="sha256:" + "0" * 64, binary_name="myapp", cache_dir=str(tmp_path / "c"))
    assert result["failed"] and result["msg"].startswith(f"Resolving the Go release artifact {path}: ")
    assert "0" * 64 in result["msg"]


def test_the_options_are_validated_like_the_modules(resolve, binary, tmp_path):
    from ansible.errors import AnsibleActionFail

    path, digest = binary
    with pytest.raises(AnsibleActionFail, match=r"mutually exclusive: url\|src"):
        resolve(
            src=str(path),
            url="https://example.invalid/x",
            checksum=f"sha256:{digest}",
            binary_name="myapp",
            cache_dir=str(tmp_path / "c"),
        )


PASSWORD = "act-pa55-2f6b"
SIGNATURE = "sig=act-sig-70aa"
TOKEN = "act-token-c3d9"


@pytest.fixture
def refusing_server(monkeypatch):
    """A 127.0.0.1 server that answers 404 to everything: the download fails after the request was made."""
    import http.server
    import threading

    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("failing", ["url", "checksums_url"])
def test_the_action_result_carries_no_credential(resolve, refusing_server, tmp_path, failing):
    secret_url = f"http://deploy:{PASSWORD}@{refusing_server}/myapp?{SIGNATURE}"
    args = {"url": secret_url, "binary_name": "myapp", "cache_dir": str(tmp_path / "c")}
    if failing == "url":
        args["checksum"] = "sha256:" + "0" * 64
    else:
        args["checksums_url"] = secret_url.replace("/myapp?", "/checksums.txt?")
    args["url_headers"] = {"Authorization": f"token {TOKEN}"}
    result = resolve(**args)
    assert result["failed"] is True and "HTTP status 404" in result["msg"]
    text = repr(result)
    for secret in (PASSWORD, "act-sig-70aa", TOKEN):
        assert secret not in text, secret
