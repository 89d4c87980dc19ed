# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for module_utils/_service_probe.py without a host.

The host is a FakeSystem: commands answer from what systemctl, systemd-analyze and journalctl
really printed for demo.service on Debian 11 and 12 (tests/unit/data/service_probe/, see its
README), /proc files come from the same captures, and the probes go to local HTTP(S) servers.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support import write_self_signed

from ansible_collections.gosvc.hardening.plugins.module_utils import _service_probe as sp

DATA = Path(__file__).resolve().parents[2] / "data" / "service_probe"
RELEASES = ("debian11", "debian12")
DEMO = Path(__file__).resolve().parents[4] / ".cache" / "demo" / "dist" / "1.0.0" / "gosvc-demo"
BINS = {name: f"/usr/bin/{name}" for name in ("systemctl", "systemd-analyze", "journalctl")}


class FakeSystem(sp.System):
    """A host that answers from one release's captures; the unit reads follow ``unit_reads``."""

    def __init__(
        self, release, unit_reads=("unit.running.txt", "unit.running.txt"), bins=None, files=None, main_started=None
    ):
        self.manifest = json.loads((DATA / release / "manifest.json").read_text())
        self.release = release
        self.by_argv = {tuple(c["argv"]): c for c in self.manifest["captures"]}
        self.by_name = {c["name"]: c for c in self.manifest["captures"]}
        self.unit_reads = list(unit_reads)
        self.bins = dict(BINS if bins is None else bins)
        self.files = {path: (DATA / release / name).read_text() for path, name in self.manifest["files"].items()}
        self.files.update(files or {})
        self.calls, self.slept, self.now = [], [], 1000.0
        self.links = {}
        # ExecMainStartTimestampMonotonic on the fake clock (seconds); None: systemd reports 0 (unknown).
        self.main_started = main_started
        # StateChangeTimestampMonotonic (a reload moves it); None: reported 0.
        self.state_changed = None
        super().__init__(
            run=None, bin_path=None, clock=self._clock, wall=lambda: 1795000000.0 + self.now, sleep=self._sleep
        )

    def _clock(self):
        self.now += 0.25  # every look at the clock costs a quarter second
        return self.now

    def _sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def run(self, argv, extra_env=None):
        names = {path: name for name, path in self.bins.items()}
        key = (names.get(argv[0], argv[0]), *argv[1:])
        if key[1:6] == ("show", "-p", "ExecMainStartTimestampMonotonic", "-p", "StateChangeTimestampMonotonic"):
            self.calls.append("main-start")
            started = int((self.main_started or 0) * 1e6)
            changed = int((self.state_changed or 0) * 1e6)
            return 0, f"ExecMainStartTimestampMonotonic={started}\nStateChangeTimestampMonotonic={changed}\n", ""
        entry = self.by_argv.get(key)
        assert entry is not None, f"not captured on {self.release}: {key}"
        if entry["name"].startswith("unit."):
            entry = self.by_name[self.unit_reads.pop(0)]
        env = dict(sp.COMMAND_ENV, **(extra_env or {}))
        assert env == entry["env"], f"{key} ran with {env}, captured with {entry['env']}"
        self.calls.append(entry["name"])
        out = (DATA / self.release / entry["stdout_file"]).read_text() if "stdout_file" in entry else ""
        return entry["rc"], out, entry["stderr"]

    def bin_path(self, name):
        return self.bins.get(name)

    def read_text(self, path):
        if path in self.files:
            return self.files[path]
        return super().read_text(path)

    def passwd(self, name):
        return (
            ["x", "997", "997", "demo service account", "/nonexistent", "/usr/sbin/nologin"] if name == "demo" else None
        )


def unit_text(release, name="unit.running.txt"):
    return sp.parse_show((DATA / release / name).read_text())


def params(**overrides):
    values = {
        "unit": "demo.service",
        "binary_path": "/opt/demo/current/demo",
        "user": "demo",
        "checksum": "",
        "release_record": None,
        "go_build": None,
        "max_exposure": 1.5,
        "health_url": "",
        "ready_url": "",
        "health_timeout": 10.0,
        "ready_success_threshold": 2,
        # The tests' HTTP servers run in the test process, not in demo.service (test_service_wait.py and
        # test_listeners.py check the owner).
        "check_owner": False,
        "probe_options": None,
        "forbidden_urls": [],
        "forbidden_addresses": [],
        "log_required_fields": [],
        "log_lines": 20,
        "soak_seconds": 5.0,
    }
    values.update(overrides)
    return values


@pytest.fixture
def release_root(tmp_path):
    """A release layout like go_release leaves: releases/1.0.0/demo, current -> releases/1.0.0, the record."""
    version = tmp_path / "releases" / "1.0.0"
    version.mkdir(parents=True)
    binary = version / "demo"
    binary.write_bytes(b"not really a Go binary\n")
    os.symlink("releases/1.0.0", tmp_path / "current")
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()
    releases = [{"version": "0.9.0", "sha256": "0" * 64}, {"version": "1.0.0", "sha256": digest}]
    record = {"format": 1, "releases": [dict(r, binary_name="demo") for r in releases]}
    (tmp_path / ".releases.json").write_text(json.dumps(record))
    return {"root": tmp_path, "binary": str(tmp_path / "current" / "demo"), "digest": digest}


# --- HTTP(S) servers ------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    routes = {}

    def do_GET(self):
        status = self.routes.get(self.path, 404)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    started = []

    def start(routes, context=None):
        handler = type("Handler", (_Handler,), {"routes": routes})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if context is not None:
            server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        scheme = "https" if context is not None else "http"
        return f"{scheme}://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    """A server context with a self-signed certificate valid for 30 days and 12 hours."""
    cert, key = write_self_signed(
        str(tmp_path_factory.mktemp("tls")), "localhost", datetime.timedelta(days=30, hours=12)
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


# --- addresses and forbidden URLs -----------------------------------------------------------


@pytest.mark.parametrize("release", RELEASES)
def test_local_addresses_of_the_captured_containers(release):
    system = FakeSystem(release)
    found = sp.local_addresses(system.files["/proc/net/fib_trie"], system.files.get("/proc/net/if_inet6", ""))
    # Docker's default bridge, IPv4 only; loopback and broadcast entries are not addresses of the host.
    assert len(found) == 1
    assert re.match(r"^172\.17\.\d+\.\d+$", found[0])


def test_local_addresses_take_global_ipv6_only():
    if_inet6 = (
        "00000000000000000000000000000001 01 80 10 80       lo\n"
        "fe800000000000000000000000000002 02 40 20 80     eth0\n"
        "fd000000000000000000000000000002 02 40 00 00     eth0\n"
    )
    assert sp.local_addresses("", if_inet6) == ["fd00::2"]


@pytest.mark.skipif(not shutil.which("ip") or not Path("/proc/net/fib_trie").exists(), reason="needs ip and /proc")
def test_local_addresses_match_ip_addr():
    inet6 = Path("/proc/net/if_inet6").read_text() if Path("/proc/net/if_inet6").exists() else ""
    found = sp.local_addresses(Path("/proc/net/fib_trie").read_text(), inet6)
    listed = subprocess.run(["ip", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    expected = [
        m.group(2)
        for m in re.finditer(r"^\d+: \S+\s+(inet6?) ([0-9a-f.:]+)/\d+ .*scope global", listed, re.MULTILINE)
        if not m.group(2).startswith("127.")
    ]
    assert sorted(found) == sorted(expected)


def test_forbidden_targets_expand_mappings_on_every_address():
    urls = sp.forbidden_targets(
        [
            "https://api.example.net/debug/vars",
            {"port": 6060, "path": "debug/pprof/"},
            {"port": 9090, "scheme": "https"},
        ],
        ["192.0.2.2", "fd00::2"],
    )
    assert urls == [
        "https://api.example.net/debug/vars",
        "http://192.0.2.2:6060/debug/pprof/",
        "http://[fd00::2]:6060/debug/pprof/",
        "https://192.0.2.2:9090/",
        "https://[fd00::2]:9090/",
    ]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"port": 6060}, "must be a list"),
        (["/debug/pprof/"], r"forbidden_urls\[0\] '/debug/pprof/': a string entry must be a full http\(s\):// URL"),
        ([{"path": "/metrics"}], r"forbidden_urls\[0\]: expected a URL or a mapping with port and path"),
        ([{"port": 70000, "path": "/"}], "port .1-65535."),
        ([{"port": 6060, "scheme": "ftp"}], r"scheme \(http, https\)"),
        ([{"port": 6060, "host": "10.0.0.1"}], r"unknown keys \['host'\]"),
    ],
    ids=["not-a-list", "path-only-string", "no-port", "port-out-of-range", "bad-scheme", "unknown-key"],
)
def test_bad_forbidden_entries_are_refused(entries, message):
    with pytest.raises(sp.ProbeInputError, match=message):
        sp.forbidden_targets(entries, ["192.0.2.2"])


# --- expected digest, checksum, build -------------------------------------------------------


def test_recorded_digest_of_the_current_release(release_root):
    root = release_root["root"]
    link = sp.System(None, None).link(str(root / "current"))
    assert link["islnk"] and link["lnk_target"] == "releases/1.0.0"
    assert sp.current_version(link) == "1.0.0"
    record = str(root / ".releases.json")
    assert sp.recorded_digest(record, str(root)) == "sha256:" + release_root["digest"]
    assert sp.recorded_digest(str(root / "no-such-record.json"), str(root)) == ""  # installed by other means
    assert sp.current_version({"islnk": False}) == ""


def test_a_current_release_the_record_does_not_hold_is_refused(release_root):
    root = release_root["root"]
    (root / "releases" / "2.0.0").mkdir()
    (root / "releases" / "2.0.0" / "demo").write_bytes(b"placed by hand\n")
    os.unlink(root / "current")
    os.symlink("releases/2.0.0", root / "current")
    with pytest.raises(sp.ProbeInputError, match=r"has no installed release that .*/current points to \(no current"):
        sp.recorded_digest(str(root / ".releases.json"), str(root))


@pytest.mark.parametrize(
    "record",
    [
        "[" * 100000,
        '{"format": 1, "releases": ' + "[" * 100000,
        '{"format": 1, "releases": 5}',
        '{"format": 1, "releases": "1.0.0"}',
        '{"releases": [{"version": "1.0.0", "sha256": "%s"}]}' % ("0" * 64),
        "[]",
        "null",
        "not json",
    ],
    ids=["nested-too-deeply", "releases-nested-too-deeply", "number", "string", "no-format", "array", "null", "text"],
)
def test_a_record_go_release_would_refuse_is_refused_not_taken_as_no_record(release_root, record):
    (release_root["root"] / ".releases.json").write_text(record)
    with pytest.raises(sp.ProbeInputError, match=r"the state file .*\.releases\.json is not valid"):
        sp.recorded_digest(str(release_root["root"] / ".releases.json"), str(release_root["root"]))


def test_probe_of_a_deeply_nested_health_body_fails_the_probe(release_root):
    """One attempt whose body Python's json cannot parse (RecursionError): the probe fails, nothing raises."""

    class Deep(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"[" * 60000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Deep)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/healthz"
        result = sp.probe_result(sp._probe_config("health_url", url, {}, 0.5, 1))
    finally:
        server.shutdown()
        server.server_close()
    assert result["failed"] is True and result["json"] is None
    assert "response body is not JSON the probe can read (nested too deeply" in result["msg"]


def test_binary_digests_for_a_signature_check(release_root, monkeypatch):
    binary = release_root["binary"]
    data = Path(binary).read_bytes()
    ok = sp.checksum_result(binary, "sha256:" + release_root["digest"])
    hashed = []
    real = sp.file_digests
    monkeypatch.setattr(
        sp, "file_digests", lambda path, algorithms: hashed.append(algorithms) or real(path, algorithms)
    )
    # The checksum check's SHA-256 is reused; only SHA-384 is hashed again.
    assert sp.binary_digests(binary, ["sha256", "sha384"], ok) == {
        "sha256": release_root["digest"],
        "sha384": hashlib.sha384(data).hexdigest(),
    }
    assert hashed == [["sha384"]]
    # A failed or skipped checksum check gives nothing to reuse: the file is hashed.
    bad = sp.checksum_result(binary, "sha256:" + "0" * 64)
    assert sp.binary_digests(binary, ["sha256"], bad) == {"sha256": hashlib.sha256(data).hexdigest()}
    assert sp.binary_digests(binary, ["sha256"], {"skipped": True}) == {"sha256": release_root["digest"]}
    assert sp.binary_digests(binary, [], ok) == {}
    # A file that cannot be hashed gives none (the checksum check, when it ran, says why).
    assert sp.binary_digests(binary + ".missing", ["sha256"], {"skipped": True}) == {}


def test_checksum_result_match_and_mismatch(release_root):
    ok = sp.checksum_result(release_root["binary"], "sha256:" + release_root["digest"])
    assert ok["failed"] is False
    assert ok["digest"] == release_root["digest"]
    assert ok["path"] == str(release_root["root"] / "releases" / "1.0.0" / "demo")
    bad = sp.checksum_result(release_root["binary"], "sha256:" + "0" * 64)
    assert bad["failed"] is True
    assert bad["msg"].startswith("Verifying the file's sha256 digest: " + release_root["binary"] + " does not match")
    assert bad["digest"] == release_root["digest"]
    garbage = sp.checksum_result(release_root["binary"], "sha256:xyz")
    assert garbage["failed"] is True
    assert garbage["msg"].startswith("Choosing the expected digest for")


def test_go_build_result_of_a_file_that_is_not_go(release_root):
    result = sp.build_result(release_root["binary"], {"require_trimpath": True})
    assert result["failed"] is True
    assert result["is_go"] is False
    assert result["msg"].startswith(f"Reading Go build information from {release_root['binary']}: ")


@pytest.mark.skipif(not DEMO.exists(), reason="demo binary not built (scripts/setup.sh builds .cache/demo)")
def test_go_build_result_of_the_demo_binary():
    policy = dict.fromkeys(
        ("require_trimpath", "require_cgo_disabled", "require_stripped", "forbid_vcs_modified"), True
    )
    passed = sp.build_result(str(DEMO), dict(policy, require_stripped=False, min_go_version="1.19"))
    assert passed["failed"] is False, passed.get("msg")
    failed = sp.build_result(str(DEMO), dict(policy, min_go_version="1.99"))
    assert failed["failed"] is True
    assert "min_go_version: built with go1." in failed["msg"]


# --- exposure -------------------------------------------------------------------------------


@pytest.mark.parametrize(("release", "source"), [("debian11", "table"), ("debian12", "json")])
def test_exposure_from_the_captured_analysis(release, source):
    table = (DATA / release / "security.txt").read_text()
    overall = re.search(r"Overall exposure level for demo.service: (\d+\.\d) (\w+)", table)
    result = sp.exposure_result(FakeSystem(release), "demo.service", 1.5)
    assert result["failed"] is False, result.get("msg")
    assert (result["exposure"], result["level"], result["source"]) == (float(overall[1]), overall[2], source)
    assert "checks" not in result
    too_strict = sp.exposure_result(FakeSystem(release), "demo.service", 0.5)
    assert too_strict["failed"] is True
    assert too_strict["msg"].startswith("Checking the security of demo.service: exposure ")


def test_exposure_without_systemd_analyze():
    result = sp.exposure_result(FakeSystem("debian12", bins={"systemctl": "/usr/bin/systemctl"}), "demo.service", 1.0)
    assert result == {
        "failed": True,
        "msg": "Checking the security of demo.service: systemd-analyze not found on the host",
    }


# --- the whole probe ------------------------------------------------------------------------


def test_an_answer_from_another_process_fails_liveness_and_skips_readiness(release_root, http_server):
    """The test's server stands for another service on the probed port: this process is not demo.service."""
    base = http_server({"/healthz": 200, "/readyz": 200})
    settings = sp.validate(
        params(
            binary_path=release_root["binary"],
            health_url=base + "/healthz",
            ready_url=base + "/readyz",
            check_owner=True,
        )
    )
    result = sp.probe_service(settings, FakeSystem(RELEASES[0]))
    assert result["liveness"]["stop_reason"] == "success" and result["liveness"]["failed"] is True
    assert result["liveness"]["msg"].startswith(f"{base}/healthz is answered by pid {os.getpid()} (")
    assert "not demo.service" in result["liveness"]["msg"]
    assert result["readiness"] == {"skipped": True, "skip_reason": "liveness failed"}


@pytest.mark.parametrize("release", RELEASES)
def test_probe_of_a_running_service(release, release_root, http_server):
    base = http_server({"/healthz": 200, "/readyz": 200, "/debug/pprof/": 404})
    settings = sp.validate(
        params(
            binary_path=release_root["binary"],
            health_url=base + "/healthz",
            ready_url=base + "/readyz",
            forbidden_urls=[base + "/debug/pprof/", {"port": 9, "path": "/metrics"}],
            forbidden_addresses=["127.0.0.1"],
            log_required_fields=["time", "level"],
        )
    )
    system = FakeSystem(release)
    result = sp.probe_service(settings, system)
    running = unit_text(release)
    assert result["unit_before"] == result["unit_after"] == {k: running[k] for k in sp.UNIT_KEYS}
    assert result["main_pid"] == int(running["MainPID"])
    assert "Uid:\t997\t997\t997\t997" in result["proc_status"]
    assert result["user_entry"][1] == "997"
    assert result["version"] == "1.0.0"
    assert result["expected_checksum"] == "sha256:" + release_root["digest"]
    assert result["checksum_source"].endswith(".releases.json (digest recorded at install)")
    assert result["checksum"]["failed"] is False
    assert result["go_build"] == {"skipped": True, "skip_reason": "go_build is empty"}
    assert result["exposure"]["failed"] is False
    assert result["liveness"]["stop_reason"] == "success"
    assert result["readiness"]["stop_reason"] == "success"
    assert len(result["readiness"]["attempts"]) == 2  # ready_success_threshold
    assert [(f["url"], f["status"]) for f in result["forbidden"]] == [
        (base + "/debug/pprof/", 404),
        ("http://127.0.0.1:9/metrics", None),
    ]
    assert result["journal"]["rc"] == 0
    assert result["journal"]["stdout_lines"] == (DATA / release / "journal.txt").read_text().splitlines()
    # The window: the probes took their time, the sleep only what was left of the 5 seconds.
    assert len(system.slept) == 1 and 0 < system.slept[0] < 5
    assert result["window_seconds"] >= 5 and result["window_from"] == "probe start"
    assert system.calls[0] == system.calls[-1] == "unit.running.txt"


def test_probe_of_a_stopped_service_skips_what_needs_a_process(release_root):
    settings = sp.validate(
        params(
            binary_path=release_root["binary"],
            checksum="sha256:" + release_root["digest"],
            health_url="http://127.0.0.1:9/healthz",
            ready_url="http://127.0.0.1:9/readyz",
            health_timeout=0.5,
            ready_success_threshold=1,
            log_required_fields=["time"],
            soak_seconds=0,
        )
    )
    system = FakeSystem("debian12", unit_reads=("unit.stopped.txt", "unit.stopped.txt"))
    result = sp.probe_service(settings, system)
    assert result["main_pid"] == 0
    assert result["proc_status"] == ""
    assert result["checksum_source"] == "checksum"
    assert result["liveness"]["failed"] is True
    assert result["liveness"]["msg"].startswith("health check of http://127.0.0.1:9/healthz failed")
    assert result["readiness"] == {"skipped": True, "skip_reason": "liveness failed"}
    # The stopped unit keeps its last InvocationID: its journal is still read.
    assert result["journal"]["rc"] == 0
    assert system.slept == []


def test_probe_sees_a_restart_inside_the_window(release_root):
    settings = sp.validate(params(binary_path=release_root["binary"]))
    result = sp.probe_service(settings, FakeSystem("debian11", unit_reads=("unit.running.txt", "unit.stopped.txt")))
    assert result["unit_before"]["ActiveState"] == "active"
    assert result["unit_after"]["ActiveState"] == "inactive"


def test_probe_of_a_unit_systemd_does_not_know(release_root):
    settings = sp.validate(params(binary_path=release_root["binary"], log_required_fields=["time"]))
    system = FakeSystem("debian12", unit_reads=("unit.missing.txt", "unit.missing.txt"))
    system.by_argv[("systemctl", "show", "-p", ",".join(sp.UNIT_KEYS), "demo.service")] = system.by_name[
        "unit.missing.txt"
    ]
    system.by_argv[("systemctl", "show", "-p", "FragmentPath,DropInPaths,LoadState,ActiveState", "demo.service")] = {
        "name": "show.missing",
        "argv": [],
        "env": dict(sp.COMMAND_ENV),
        "rc": 0,
        "stderr": "",
        "stdout_file": "unit.missing.txt",
    }
    result = sp.probe_service(settings, system)
    assert result["unit_before"]["LoadState"] == "not-found"
    assert result["exposure"]["failed"] is True
    assert "not known to systemd" in result["exposure"]["msg"]
    assert result["journal"]["skipped"] is True


def test_probe_without_systemctl_is_refused(release_root):
    settings = sp.validate(params(binary_path=release_root["binary"]))
    with pytest.raises(sp.ProbeInputError, match="systemctl not found on the host"):
        sp.probe_service(settings, FakeSystem("debian12", bins={}))


def test_https_probe_reports_the_days_left(release_root, http_server, tls_context):
    base = http_server({"/healthz": 200}, tls_context)
    settings = sp.validate(
        params(
            binary_path=release_root["binary"],
            health_url=base + "/healthz",
            probe_options={"validate_certs": False, "ca_path": None, "headers": {"X-Probe": "1"}},
            soak_seconds=0,
        )
    )
    result = sp.probe_service(settings, FakeSystem("debian12"))
    assert result["liveness"]["stop_reason"] == "success"
    assert result["liveness"]["tls"]["days_remaining"] == 30


def test_forbidden_mappings_use_the_host_addresses(release_root):
    settings = sp.validate(params(binary_path=release_root["binary"], forbidden_urls=[{"port": 9, "path": "/x"}]))
    system = FakeSystem("debian12")
    result = sp.probe_service(settings, system)
    assert result["forbidden_addresses"] == sp.local_addresses(system.files["/proc/net/fib_trie"])
    assert [f["url"] for f in result["forbidden"]] == [f"http://{a}:9/x" for a in result["forbidden_addresses"]]


# --- options --------------------------------------------------------------------------------


def test_release_record_defaults_to_the_release_root():
    assert sp.validate(params()).release_record == "/opt/demo/.releases.json"
    assert sp.validate(params(release_record="/srv/x.json")).release_record == "/srv/x.json"


def test_tls_options_are_dropped_for_http_urls():
    settings = sp.validate(params(health_url="http://127.0.0.1:8080/healthz", probe_options={"ca_path": "/nope"}))
    assert settings.liveness.ssl_context is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"unit": "demo"}, "unit is 'demo'; give the full name of a service unit"),
        ({"max_exposure": 11.0}, "max_exposure is 11.0; use a value from 0.0 to 10.0"),
        ({"checksum": "md5:abc"}, "checksum: .*; give sha256:<64 hex digits> or leave it empty"),
        ({"digest_algorithms": ["md5"]}, r"digest_algorithms has \['md5'\]; use sha256, sha384, sha512"),
        ({"go_build": {"min_go_version": "one"}}, "go_build.min_go_version: "),
        ({"go_build": {"require_pie": True}}, r"go_build has unknown keys \['require_pie'\]"),
        ({"health_timeout": 0}, "health_timeout is 0; give the seconds"),
        ({"ready_success_threshold": 0}, "ready_success_threshold is 0; use 1 or more"),
        ({"probe_options": {"proxy": "x"}}, r"probe_options has unknown keys \['proxy'\]"),
        ({"health_url": "ftp://example.net/"}, "health_url 'ftp://example.net/' with probe_options: "),
        (
            {"ready_url": "http://127.0.0.1/", "ready_success_threshold": 20},
            "ready_url 'http://127.0.0.1/' with probe_options: success_threshold=20",
        ),
        ({"forbidden_urls": ["http://"]}, r"forbidden_urls\[0\] 'http://': "),
        ({"soak_seconds": -1}, "soak_seconds is -1; use 0 or more"),
        ({"log_lines": 0}, "log_lines is 0; use 1 or more"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_options_are_refused_naming_the_option(overrides, message):
    with pytest.raises(sp.ProbeInputError, match=message):
        sp.validate(params(**overrides))


def test_the_window_counts_from_the_start_of_the_running_process(release_root):
    # Started 3.5 s before the probe (a deploy restarted it): 1.5 s more make the 5 s.
    system = FakeSystem("debian12", main_started=1000.0 - 3.5)
    result = sp.probe_service(sp.validate(params(binary_path=release_root["binary"])), system)
    assert result["window_from"] == "process start"
    assert 5 <= result["window_seconds"] < 6
    assert len(system.slept) == 1 and system.slept[0] < 1.5
    assert system.calls.count("main-start") == 1


def test_a_process_up_for_long_only_waits_out_the_settle_time(release_root):
    system = FakeSystem("debian12", main_started=1000.0 - 900)
    result = sp.probe_service(sp.validate(params(binary_path=release_root["binary"])), system)
    assert result["window_from"] == "process start" and result["window_seconds"] > 900
    # The clock costs 0.25 s per look, so the settle after the last probe is (almost) spent already.
    assert all(s <= sp.PROBE_SETTLE_SECONDS for s in system.slept)


def test_a_reload_restarts_the_window_of_a_process_up_for_long(release_root):
    # Up for 900 s, reloaded (systemctl reload: reloading, then active again) 2 s before the probe: the
    # reloaded configuration has been watched for 2 s only, so the probe waits for the rest of the 5 s.
    system = FakeSystem("debian12", main_started=1000.0 - 900)
    system.state_changed = 1000.0 - 2
    result = sp.probe_service(sp.validate(params(binary_path=release_root["binary"])), system)
    assert result["window_from"] == "process start"
    assert 5 <= result["window_seconds"] < 6
    assert len(system.slept) == 1 and system.slept[0] > 1


def test_an_unknown_process_start_is_not_replaced_by_a_state_change(release_root):
    # systemd reports no start (0): a state change alone does not date the process.
    system = FakeSystem("debian12", main_started=None)
    system.state_changed = 1000.0 - 900
    result = sp.probe_service(sp.validate(params(binary_path=release_root["binary"])), system)
    assert result["window_from"] == "probe start" and result["window_seconds"] >= 5


def test_a_process_that_started_after_the_first_read_gets_the_full_window(release_root):
    # The main process changed between the two reads: its start says nothing about the window.
    system = FakeSystem("debian12", main_started=1000.0 + 0.5)
    result = sp.probe_service(sp.validate(params(binary_path=release_root["binary"])), system)
    assert result["window_from"] == "probe start" and result["window_seconds"] >= 5


def test_without_a_window_the_process_start_is_not_read(release_root):
    system = FakeSystem("debian12", main_started=1.0)
    result = sp.probe_service(sp.validate(params(binary_path=release_root["binary"], soak_seconds=0)), system)
    assert "main-start" not in system.calls and system.slept == []
    assert result["window_from"] == "probe start"
