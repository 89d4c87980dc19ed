# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The input rules of the go_service and verify roles, each written once.

Standard library only; Python 3.9+. The roles call them on the controller through the
``go_service_input_problems`` and ``verify_input_problems`` filters, before any host is asked;
modules may call them too. A rule that a module already applies is called here, not restated:
release directory and binary names are ``_release.check_name`` (go_release), URLs
``_http.parse_url`` (health_check, service_wait, service_probe, the ``probe_url_problem``
filter), environment variable names what ``_service_config`` reads as an assignment, the keys
and forbidden-URL mappings of the verify role ``_service_probe``'s own.

The values are the roles' variables as given (strings with line feeds, booleans, None, lists);
each check sees them as the role's Jinja checks did: ``text`` is Jinja's ``string`` filter,
``jinja_int``/``jinja_float`` its ``int``/``float``, ``ansible_bool`` Ansible's ``bool``.

Public API
----------

``go_service_problems(inputs, paths_only=False) -> list``
    Every problem with go_service's inputs (a mapping of the ``go_service_*`` variables by
    name), each a sentence naming the variable and its fix; ``[]`` when there is none.
``verify_problems(inputs, checks) -> list``
    The same for the verify role's ``verify_*`` variables; ``checks`` are the report's check names.
``exec_arg_problem(value) -> str``
    Why ``value`` cannot be one argument of an ``Exec*=`` line ("" when it can); the rule of
    the ``systemd_exec_arg`` filter.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping

from ansible_collections.gosvc.hardening.plugins.module_utils._http import HealthCheckError, parse_url
from ansible_collections.gosvc.hardening.plugins.module_utils._release import ReleaseError, check_name
from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import (
    _ASSIGNMENT,
    ConfigError,
    config_dest_problem,
    config_mode_problem,
    validate_argv,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._service_probe import (
    GO_BUILD_KEYS,
    PROBE_OPTION_KEYS,
    ProbeInputError,
    check_forbidden_entries,
)

# Every pattern ends in \Z, not $: $ would let a trailing line feed through.
#: A unit, user, directory and file name: what systemd, useradd and a path component all accept.
SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")
#: A system user or group name that useradd/groupadd and systemd's User= take.
ACCOUNT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}\Z")
#: An absolute directory without . or .. components (a trailing / is fine), of characters that
#: need no quoting in a unit file (no space, % or $).
DIRECTORY = re.compile(r"^(/(?!\.\.?(/|\Z))[A-Za-z0-9._+~-]+)+/?\Z")
#: A number written into a unit or handed to a module as given: digits only (the argument
#: spec's int check takes "5\n", and "5\nExecStartPre=..." would add a directive).
COUNT = re.compile(r"^[0-9]+\Z")
#: A tmpfs size: a whole number, with k/m/g/... or %.
GOCACHE_SIZE = re.compile(r"^[0-9]+([kKmMgGtTpPeE]|%)?\Z")
#: CPUQuota=, in percent.
CPU_QUOTA = re.compile(r"^[0-9]+([.][0-9]+)?%\Z")
#: The part of MemoryMax= that GOMEMLIMIT is derived from (roles/go_service/vars/main.yml holds
#: the same pattern for that derivation; a unit test keeps the two equal).
MEMORY_BYTES = re.compile(r"^[0-9]+([.][0-9]+)?[KMGTPE]?\Z")
#: MemoryMax=: bytes with a base-1024 suffix, percent, or infinity.
MEMORY_MAX = re.compile(r"^([0-9]+([.][0-9]+)?[KMGTPE]?|[0-9]+([.][0-9]+)?%|infinity)\Z")
#: A sha256 digest, bare or with its algorithm.
SHA256 = re.compile(r"^(sha256:)?[0-9a-fA-F]{64}\Z")
#: A socket address family as RestrictAddressFamilies= names it.
ADDRESS_FAMILY = re.compile(r"^AF_[A-Z0-9]+\Z")
#: A unit section go_service_unit_overrides may name, and a directive name.
SECTION = re.compile(r"^(Unit|Service|Install|X-[A-Za-z0-9-]+)\Z")
DIRECTIVE = re.compile(r"^([A-Z][A-Za-z0-9]*|X-[A-Za-z0-9-]+)\Z")
#: verify_report_name: a file name without directories.
REPORT_NAME = re.compile(r"^[A-Za-z0-9_.@-]+\Z")

SEVERITIES = ("blocking", "warning", "audit")
SIGNER_SETTINGS = (
    "go_service_cosign_public_key",
    "go_service_cosign_certificate_identity",
    "go_service_cosign_certificate_identity_regexp",
    "go_service_cosign_certificate_oidc_issuer",
    "go_service_cosign_trusted_root",
)
# Settings only the controller's artifact phase reads, which go_service_binary_remote_src skips.
CONTROLLER_ONLY_SETTINGS = (
    "go_service_checksums_url",
    "go_service_checksums_src",
    "go_service_checksums_entry",
    "go_service_archive_member",
    "go_service_cosign_bundle",
    "go_service_cosign_signature",
)
_TRUE = ("yes", "on", "true", "1")
# The health watchdog's numbers, checked only when go_service_health_watchdog is on.
WATCHDOG_COUNTS = (
    "go_service_health_watchdog_interval_sec",
    "go_service_health_watchdog_failures",
    "go_service_health_watchdog_timeout_sec",
)


# -- values as the roles' Jinja saw them ---------------------------------------------------------


def text(value):
    """``value | string``: a string as it is, anything else as ``str()`` writes it."""
    return value if isinstance(value, str) else str(value)


def to_json(value):
    """``value | to_json``."""
    return json.dumps(value, default=str)


def is_sequence(value):
    """Jinja's ``sequence`` test: anything with a length and items (strings and mappings too)."""
    try:
        len(value)
    except TypeError:
        return False
    return hasattr(value, "__getitem__")


def jinja_int(value):
    """``value | int``: 0 for what is not a number; "42.23" gives 42."""
    try:
        return int(value, 10) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return 0


def jinja_float(value):
    """``value | float``: 0.0 for what is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def ansible_bool(value):
    """``value | bool``: yes/on/true/1 in any case, True and 1 are true; everything else false."""
    if isinstance(value, str):
        value = value.lower()
    elif isinstance(value, int):
        value = str(value).lower()
    try:
        return value in _TRUE or value == 1
    except TypeError:
        return False


def size(value):
    """``value | length``, with None as empty."""
    if value is None:
        return 0
    try:
        return len(value)
    except TypeError:
        return len(text(value))


def mapping(value):
    """``value`` if it is a mapping, else an empty one (the Jinja checks found no entries in it)."""
    return value if isinstance(value, Mapping) else {}


def items(value):
    """The items of ``value`` as a Jinja loop sees them: none when it cannot be iterated."""
    try:
        return list(value)
    except TypeError:
        return []


def _it(names, one="it", many="them"):
    return one if len(names) == 1 else many


# -- single rules --------------------------------------------------------------------------------


def file_name_ok(value):
    """A release directory or binary file name go_release takes (``_release.check_name``)."""
    try:
        check_name(text(value), "name", "1.0.0")
    except ReleaseError:
        return False
    return True


def env_name_ok(name):
    """An environment variable name: what service_config reads as an assignment's name, alone.

    systemd skips an EnvironmentFile= line whose name is not a variable name. ``_ASSIGNMENT``
    (``_service_config``) also takes blanks around the name and an ``export`` before it, which
    are not part of a name.
    """
    name = text(name)
    if " " in name or "\t" in name:
        return False
    found = _ASSIGNMENT.match(name + "=")
    return found is not None and found.group("value") == ""


def env_value_ok(value):
    """A value an environment file can carry: one systemd reads back unchanged.

    Not null, a list or a mapping, and no carriage return (systemd reads it as a line feed) or
    NUL character.
    """
    if value is None or isinstance(value, Mapping) or (is_sequence(value) and not isinstance(value, str)):
        return False
    return not re.search("[\r\x00]", text(value))


def exec_arg_problem(value):
    """Why ``value`` cannot be one argument of an ``Exec*=`` line, or "" when it can."""
    if (
        value is None
        or isinstance(value, (Mapping, set, frozenset))
        or (is_sequence(value) and not isinstance(value, (str, bytes)))
    ):
        return f"an argument must be a string, number or boolean, got {type(value).__name__}"
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    if "\0" in text(value):
        return "an argument cannot hold a NUL character"
    return ""


def url_problem(url):
    """Why the probes cannot use ``url`` (``_http.parse_url``), or "" when they can."""
    if not isinstance(url, str):
        return f"url must be a string, got {type(url).__name__}"
    try:
        parse_url(url)
    except HealthCheckError as exc:
        return str(exc)
    return ""


def _url_option_problems(v, options):
    """``<option>: <why>.`` for each of ``options`` set to a URL the probes cannot use."""
    problems = []
    for option in options:
        problem = url_problem(v[option]) if size(text(v[option])) > 0 else ""
        if problem:
            problems.append(f"{option}: {problem}.")
    return problems


def one_line(value):
    """``value | string`` holds neither a line feed nor a carriage return."""
    return not re.search("[\r\n]", text(value))


# -- go_service ----------------------------------------------------------------------------------


class _Inputs:
    """The role's variables by name; a missing one is a KeyError naming it."""

    def __init__(self, inputs):
        self.inputs = inputs

    def __getitem__(self, name):
        return self.inputs[name]

    def given(self, names):
        """The names among ``names`` whose value is set (truthy), in that order."""
        return [name for name in names if self.inputs[name]]


def _path_problems(v):
    problems = []
    name = text(v["go_service_name"])
    if not SERVICE_NAME.match(name) or re.search("[.]service$", name):
        problems.append(
            f"go_service_name {to_json(name)} names the unit (<name>.service), the account (by default) and the"
            " directories <base_dir>/<name>, <config_dir>/<name> and /var/lib/<name>: use letters, digits and"
            " . _ - only, starting with a letter or a digit, at most 128 characters, without .service (for"
            " example myapp)."
        )
    for option, example in (("go_service_base_dir", "/opt"), ("go_service_config_dir", "/etc")):
        value = text(v[option])
        if not DIRECTORY.match(value):
            problems.append(
                f"{option} {to_json(value)} must be an absolute directory of letters, digits and . _ + ~ -,"
                f" without . or .. components (for example {example})."
            )
    return problems


def _replaces_problems(v):
    """go_service_replaces: names of other services of this role, each built into paths an uninstall removes."""
    replaces = v["go_service_replaces"]
    if not is_sequence(replaces) or isinstance(replaces, (str, Mapping)):
        return [
            f"go_service_replaces {to_json(replaces)} must be a list of the names the services this one replaces"
            " were deployed with (their go_service_name), e.g. [myapp-old]."
        ]
    name = text(v["go_service_name"])
    bad = [text(old) for old in replaces if not SERVICE_NAME.match(text(old)) or re.search("[.]service$", text(old))]
    problems = []
    if bad:
        problems.append(
            f"go_service_replaces names {', '.join(to_json(old) for old in bad)}: each entry is the"
            " go_service_name a replaced service was deployed with (letters, digits and . _ - only, without"
            " .service), e.g. [myapp-old]."
        )
    if name in (text(old) for old in replaces):
        problems.append(
            f"go_service_replaces names {to_json(name)}, the service itself: list only the old names it replaces."
        )
    twice = sorted({text(old) for old in replaces if [text(o) for o in replaces].count(text(old)) > 1})
    if twice:
        problems.append(f"go_service_replaces names {', '.join(twice)} more than once: list each once.")
    return problems


#: What ListenStream= takes here: a port, an IPv4 address and port, [IPv6] and port, or a unix socket path.
SOCKET_LISTEN = re.compile(
    r"^(?:(?P<port>[0-9]{1,5})|(?:[0-9]{1,3}(?:[.][0-9]{1,3}){3}|\[[0-9A-Fa-f:.]+\]):(?P<hostport>[0-9]{1,5})"
    r"|/[A-Za-z0-9_./@+-]{1,107})\Z"
)
#: systemd's FileDescriptorName=: printable ASCII without a colon (no space here), at most 255 characters.
FD_NAME = re.compile(r"^[!-9;-~]{1,255}\Z")


#: The signals go_service_reload_signal may name: those services conventionally take as "re-read your
#: configuration". SIGTERM and SIGINT stop a service, SIGKILL and SIGSTOP cannot be handled.
RELOAD_SIGNALS = ("SIGHUP", "SIGUSR1", "SIGUSR2")


def _reload_problems(v):
    """go_service_reload_signal: the signal ExecReload= sends, written into the unit."""
    signal = text(v["go_service_reload_signal"])
    if signal == "" or signal.upper() in RELOAD_SIGNALS:
        return []
    return [
        f"go_service_reload_signal {to_json(signal)} is the signal that makes the service re-read its config files"
        f" (ExecReload=): use one of {', '.join(RELOAD_SIGNALS)}, the one the service handles, or leave it empty"
        " when the service cannot reload (every change then restarts it)."
    ]


def _socket_problems(v):
    """Socket activation: what systemd would refuse in the socket unit, before anything is written."""
    if not ansible_bool(v["go_service_socket_activation"]):
        if ansible_bool(v["go_service_private_network"]):
            return [
                "go_service_private_network needs go_service_socket_activation: in a network of its own the"
                " service can only be reached through the socket systemd hands it. Turn socket activation on"
                " (and have the service take its listener from systemd), or leave go_service_private_network off."
            ]
        return []
    problems = []
    listen = text(v["go_service_socket_listen"]) or text(v["go_service_listen_port"])
    found = SOCKET_LISTEN.match(listen) if listen not in ("", "0") else None
    port = found and (found.group("port") or found.group("hostport"))
    if not found or (port and not 0 < int(port) <= 65535):
        problems.append(
            f"go_service_socket_listen {to_json(listen)} (by default go_service_listen_port) is what the service's"
            " socket listens on (ListenStream=): give a port (8080), an address and port (127.0.0.1:8080,"
            " [::1]:8080) or the path of a unix socket (/run/myapp/api.sock)."
        )
    if not _count_ok(v["go_service_socket_backlog"]) or jinja_int(v["go_service_socket_backlog"]) < 1:
        problems.append(
            "go_service_socket_backlog must be a whole number of 1 or more, written with digits only (the"
            " connections the kernel queues while the service restarts; got"
            f" {to_json(v['go_service_socket_backlog'])})."
        )
    if not FD_NAME.match(text(v["go_service_socket_fdname"])):
        problems.append(
            f"go_service_socket_fdname {to_json(text(v['go_service_socket_fdname']))} (by default go_service_name)"
            " names the socket for the service (FileDescriptorName=, LISTEN_FDNAMES): use 1 to 255 printable"
            " characters without spaces or a colon."
        )
    return problems


def _count_ok(value):
    return not isinstance(value, bool) and COUNT.match(text(value)) is not None


def _number_problems(v):
    """Counts written into the unit or handed to a module, and the start limit's reach."""
    limits = [
        "go_service_start_limit_interval_sec",
        "go_service_start_limit_burst",
        "go_service_timeout_start_sec",
        "go_service_drain_sec",
    ]
    if ansible_bool(v["go_service_notify"]):
        limits.append("go_service_watchdog_sec")
    counts = [
        *limits,
        "go_service_restart_sec",
        "go_service_log_rate_limit_interval_sec",
        "go_service_log_rate_limit_burst",
        "go_service_health_timeout",
        "go_service_keep_releases",
        "go_service_start_settle_sec",
        "go_service_listen_port",
    ]
    if ansible_bool(v["go_service_health_watchdog"]):
        counts += WATCHDOG_COUNTS
    problems = [
        f"{option} must be a whole number of 0 or more, written with digits only (got {to_json(v[option])})."
        for option in counts
        if not _count_ok(v[option])
    ]
    problems += [
        f"{option} must be 1 or more (got {text(v[option])}): systemd reads 0 as no limit at all (set the"
        " directive in go_service_unit_overrides if that is what you want)."
        for option in limits
        if _count_ok(v[option]) and jinja_int(v[option]) < 1
    ]
    burst = jinja_int(v["go_service_start_limit_burst"])
    spacing = jinja_int(v["go_service_restart_sec"])
    interval = jinja_int(v["go_service_start_limit_interval_sec"])
    if not problems and burst * spacing >= interval:
        problems.append(
            f"{burst} restarts (go_service_start_limit_burst) {spacing} s apart (go_service_restart_sec) take"
            f" {burst * spacing} s, not less than the {interval} s of go_service_start_limit_interval_sec:"
            " systemd would restart a service that crashes at start for ever. Raise the interval above"
            f" {burst * spacing} s or lower the burst or the restart delay."
        )
    return problems


def _probe_problems(v):
    """Values the modules would refuse only after the restart, or that would defeat their purpose."""
    problems = _url_option_problems(v, ("go_service_health_url", "go_service_ready_url"))
    at_least_one = ["go_service_health_timeout", "go_service_keep_releases"]
    if ansible_bool(v["go_service_health_watchdog"]):
        at_least_one += WATCHDOG_COUNTS
    problems += [
        f"{option} must be 1 or more (got {text(v[option])})."
        for option in at_least_one
        if _count_ok(v[option]) and jinja_int(v[option]) < 1
    ]
    port = v["go_service_listen_port"]
    if jinja_int(port) > 65535:
        problems.append(f"go_service_listen_port must be a port from 1 to 65535, or 0 for none (got {text(port)}).")
    exposure = v["go_service_max_exposure"]
    if jinja_float(exposure) < 0 or jinja_float(exposure) > 10:
        problems.append(
            "go_service_max_exposure must be from 0.0 to 10.0, the scale of systemd-analyze security"
            f" (got {text(exposure)})."
        )
    ratio = v["go_service_gomemlimit_ratio"]
    if jinja_float(ratio) <= 0 or jinja_float(ratio) > 1:
        problems.append(
            f"go_service_gomemlimit_ratio must be above 0 and at most 1 (got {text(ratio)}): GOMEMLIMIT above"
            " MemoryMax lets the kernel kill the service before the Go runtime collects its garbage (0.9 leaves"
            " room for memory Go does not manage)."
        )
    return problems


def _signature_problems(v, signers, signed):
    """A signer setting without a signature, or a required signature that is missing."""
    if signed:
        return []
    problems = []
    if ansible_bool(v["go_service_cosign_required"]):
        problems.append(
            "go_service_cosign_required is true, but neither go_service_cosign_bundle nor"
            " go_service_cosign_signature is set: give the release's Sigstore bundle (or signature) with the"
            " signer settings it must match, and deliver it with go_service_binary_url or"
            " go_service_binary_src (the controller checks the signature)."
        )
    if signers:
        problems.append(
            f"set go_service_cosign_bundle or go_service_cosign_signature: {', '.join(signers)}"
            f" {_it(signers, 'says', 'say')} who must have signed the release, but without a signature nothing"
            f" would be checked and the release would be installed unsigned (or unset {_it(signers)})."
        )
    return problems


def _env_problems(v):
    """Environment names systemd would skip and values an environment file cannot carry."""
    problems = []
    for source in ("go_service_env", "go_service_env_secret"):
        env = mapping(v[source])
        names = [text(key) for key in env if not env_name_ok(key)]
        if names:
            problems.append(
                f"{source} has {', '.join(to_json(name) for name in names)}: not an environment variable name,"
                " so systemd would skip that line of the environment file and start the service without it;"
                " use letters, digits and underscores, not starting with a digit."
            )
        values = [text(key) for key, value in env.items() if not env_value_ok(value)]
        if values:
            problems.append(
                f"{source} {', '.join(values)}: a value that is null, a list or a mapping, or that holds a"
                " carriage return or NUL character, cannot be written to an environment file; give a string"
                ' ("" for an empty one), a number or a boolean.'
            )
    return problems


def _override_problems(overrides):
    """Section and directive names, and one-line values, of go_service_unit_overrides."""
    problems = []
    for section, directives in overrides.items():
        if not SECTION.match(text(section)):
            problems.append(
                f"section {to_json(text(section))} is not a section of a service unit: use Unit, Service or"
                " Install (X-<name> for your own)."
            )
        elif not isinstance(directives, Mapping):
            problems.append(f"section {section} must map directive names to values, not hold {to_json(directives)}.")
        else:
            for key, value in directives.items():
                if not DIRECTIVE.match(text(key)):
                    problems.append(
                        f"key {section}.{to_json(text(key))} is not a systemd directive name: write the name alone"
                        " in systemd's CamelCase letters and digits, e.g. LimitNOFILE: 65536"
                        ' (not "LimitNOFILE=65536" or "limit_nofile"); X-<name> for your own.'
                    )
                    continue
                several = is_sequence(value) and not isinstance(value, (str, Mapping))
                for item in value if several else [value]:
                    if (
                        item is None
                        or isinstance(item, Mapping)
                        or (is_sequence(item) and not isinstance(item, str))
                        or not one_line(item)
                    ):
                        problems.append(
                            f"value of {section}.{key} ({to_json(item)}) must be one line: a string, number or"
                            " boolean, or a list of them for a directive given several times"
                            ' ("" resets a list directive).'
                        )
    return problems


#: The keys an entry of go_service_config_files may have.
CONFIG_FILE_KEYS = ("dest", "content", "src", "secret", "mode", "validate")


def _config_file_problems(entries, env_name):
    """Entries of go_service_config_files: the rules service_config applies on the host, checked here first."""
    if not is_sequence(entries) or isinstance(entries, (str, Mapping)):
        return [f"go_service_config_files must be a list of files, not {to_json(entries)}."]
    problems = []
    for index, entry in enumerate(entries):
        where = f"go_service_config_files[{index}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where} must be a mapping with dest and content (or src), not {to_json(entry)}.")
            continue
        unknown = [text(key) for key in entry if key not in CONFIG_FILE_KEYS]
        if unknown:
            problems.append(
                f"{where} has {', '.join(unknown)}: not a key of a config file ({', '.join(CONFIG_FILE_KEYS)})."
            )
        problem = config_dest_problem(entry.get("dest"), env_name) or config_mode_problem(entry.get("mode", "0640"))
        if problem:
            problems.append(f"{where}: {problem}.")
        if ("content" in entry) == ("src" in entry):
            problems.append(f"{where} needs exactly one of content (the text) and src (a file on the controller).")
        elif "content" in entry and not isinstance(entry["content"], str):
            problems.append(f"{where} content must be text; quote it, or give it as a YAML block (|).")
        if entry.get("validate") is not None:
            try:
                validate_argv(text(entry["validate"]), "/dev/null")
            except ConfigError as exc:
                problems.append(f"{where}: {exc}.")
    dests = [entry.get("dest") for entry in entries if isinstance(entry, Mapping)]
    twice = sorted({text(dest) for dest in dests if dests.count(dest) > 1})
    if twice:
        problems.append(f"go_service_config_files names {', '.join(twice)} more than once; give each file once.")
    return problems


def _install_problems(v):
    """The inputs only an install reads."""
    problems = []
    for option, names, example in (
        ("go_service_version", "names the release directory <base_dir>/<name>/releases/<version>", "1.4.2"),
        ("go_service_binary_name", "(by default go_service_name) names the binary in the release directory", "myapp"),
    ):
        if not file_name_ok(v[option]):
            problems.append(
                f"{option} {to_json(text(v[option]))} {names}: use letters, digits and . _ + ~ - only, starting"
                f" with a letter or a digit, at most 128 characters (for example {example})."
            )
    for option, by_default, what in (
        ("go_service_user", "go_service_name", "system user name"),
        ("go_service_group", "go_service_user", "group name"),
    ):
        if not ACCOUNT_NAME.match(text(v[option])):
            problems.append(
                f"{option} {to_json(text(v[option]))} (by default {by_default}) is not a {what}: use letters,"
                " digits and . _ - only, starting with a letter or _, at most 32 characters (for example myapp)."
            )
    bad_args = [str(index) for index, arg in enumerate(items(v["go_service_args"])) if exec_arg_problem(arg)]
    if bad_args:
        problems.append(
            f"go_service_args {', '.join(bad_args)} (counting from 0): an argument is a string, number or boolean"
            " without a NUL character; give a list of those, one item per argument."
        )
    problems += _number_problems(v)
    problems += _probe_problems(v)
    problems += _socket_problems(v)
    problems += _reload_problems(v)
    if not one_line(v["go_service_description"]):
        problems.append(
            "go_service_description must be one line: systemd would read what follows a line break as directives."
        )
    if not all(one_line(item) for item in items(v["go_service_exec_start_pre"])):
        problems.append(
            "go_service_exec_start_pre items must be one line each: systemd would read what follows a line break"
            " as directives (give one item per command)."
        )
    gocache = text(v["go_service_gocache_size"])
    if not GOCACHE_SIZE.match(gocache):
        problems.append(
            f"go_service_gocache_size {to_json(gocache)} is not a tmpfs size: give a whole number with k, m or g"
            " (for example 64m), or a share of the memory such as 10%; the kernel refuses anything else and the"
            " service would not start."
        )
    quota = text(v["go_service_cpu_quota"])
    if quota and not CPU_QUOTA.match(quota):
        problems.append(
            f"go_service_cpu_quota {to_json(quota)} is not a CPU quota: give a share of one CPU in percent such"
            ' as 150% (1.5 CPUs), or "" for none.'
        )
    memory = text(v["go_service_memory_max"])
    if memory and not MEMORY_MAX.match(memory):
        problems.append(
            f"go_service_memory_max {to_json(memory)} is not a memory limit: give bytes with an optional K, M, G,"
            ' T, P or E suffix (base 1024) such as 512M or 1.5G, a share such as 50%, infinity, or "" for none.'
        )
    all_env = {**mapping(v["go_service_env"]), **mapping(v["go_service_env_secret"])}
    if re.search("%$", memory) and "GOMEMLIMIT" not in all_env:
        problems.append(
            f"go_service_memory_max {to_json(memory)} is a share of each host's memory, which the role cannot"
            " turn into the matching GOMEMLIMIT; give an absolute size such as 512M or 1.5G, or set GOMEMLIMIT in"
            " go_service_env yourself."
        )
    sources = v.given(("go_service_binary_url", "go_service_binary_src", "go_service_binary_remote_src"))
    if len(sources) != 1:
        problems.append(
            "set exactly one of go_service_binary_url, go_service_binary_src or go_service_binary_remote_src"
            f" (got {len(sources)})."
        )
    checksums = v.given(("go_service_checksums_url", "go_service_checksums_src"))
    remote = size(v["go_service_binary_remote_src"]) > 0
    checksum = v["go_service_checksum"]
    if not (SHA256.match(text(checksum)) or (size(checksum) == 0 and not remote and len(checksums) == 1)):
        problems.append(
            "set go_service_checksum as 'sha256:<64 hex digits>' (`sha256sum <file>` prints it; required with"
            " go_service_binary_remote_src) or one of go_service_checksums_url / go_service_checksums_src (a"
            " checksums.txt holding the artifact's entry)."
        )
    target = v["go_service_cosign_target"]
    if target not in ("artifact", "checksums") or (target == "checksums" and len(checksums) != 1):
        problems.append(
            "go_service_cosign_target must be artifact or checksums; checksums needs go_service_checksums_url or"
            " go_service_checksums_src."
        )
    signers = v.given(SIGNER_SETTINGS)
    signed = size(text(v["go_service_cosign_bundle"]) + text(v["go_service_cosign_signature"])) > 0
    signature = _signature_problems(v, signers, signed)
    if signature:
        problems.append(" ".join(signature))
    ignored = v.given(CONTROLLER_ONLY_SETTINGS) + (signers if signed else [])
    if remote and ignored:
        problems.append(
            "go_service_binary_remote_src installs the file already on the host as it is: the controller never"
            f" sees it, so {', '.join(ignored)} would be ignored. Unset {_it(ignored)}, or deliver the release"
            " with go_service_binary_url or go_service_binary_src (the archive is unpacked and the signature"
            " checked on the controller)."
        )
    present = [key for key, value in all_env.items() if value != ""]
    missing = [name for name in items(v["go_service_env_required"]) if name not in present]
    if missing:
        problems.append(
            f"go_service_env_required lists {', '.join(text(name) for name in missing)}, but"
            f" {_it(missing, 'it is', 'they are')} missing or empty in go_service_env and go_service_env_secret;"
            f" set {_it(missing)} there (secrets in go_service_env_secret)."
        )
    bad_names = [text(name) for name in items(v["go_service_env_required"]) if not env_name_ok(name)]
    if bad_names:
        problems.append(
            "go_service_env_required names must be shell variable names ([A-Za-z_][A-Za-z0-9_]*):"
            f" {', '.join(bad_names)}."
        )
    env = _env_problems(v)
    if env:
        problems.append(" ".join(env))
    problems += _config_file_problems(v["go_service_config_files"], f"{text(v['go_service_name'])}.env")
    families = v["go_service_address_families"]
    if (
        not is_sequence(families)
        or isinstance(families, (str, Mapping))
        or not families
        or not all(isinstance(name, str) and ADDRESS_FAMILY.match(name) for name in families)
    ):
        problems.append(
            f"go_service_address_families {to_json(families)} must be a non-empty list of socket address family names"
            " as systemd's RestrictAddressFamilies= takes them, e.g. [AF_INET, AF_INET6, AF_UNIX, AF_NETLINK]."
        )
    elif "AF_UNIX" not in families:
        problems.append(
            "go_service_address_families must keep AF_UNIX: systemd's notification socket and journald's stream"
            " are unix sockets, so without it the service could not log or report that it is ready."
        )
    overrides = _override_problems(mapping(v["go_service_unit_overrides"]))
    if overrides:
        problems.append(
            "go_service_unit_overrides maps a section to directives and their values, like"
            " {Service: {LimitNOFILE: 65536}}; " + " ".join(overrides)
        )
    if v["go_service_health_watchdog"] and size(v["go_service_health_url"]) == 0:
        problems.append(
            "go_service_health_watchdog needs go_service_health_url (the URL it probes, e.g."
            " http://127.0.0.1:8080/healthz)."
        )
    return problems


def go_service_problems(inputs, paths_only=False):
    """Every problem with go_service's inputs, as sentences naming the variable and the fix.

    ``inputs`` maps each ``go_service_*`` variable the rules read to its value (a missing one
    raises KeyError). The names and directories the host's paths are built from are checked for
    every ``go_service_state`` (an uninstall removes ``<base_dir>/<name>``); the rest only for
    ``present``, or never with ``paths_only``.
    """
    v = _Inputs(inputs)
    problems = _path_problems(v)
    if v["go_service_state"] == "present":
        # The names of the services an install replaces build the paths it removes.
        problems += _replaces_problems(v)
    if not paths_only and v["go_service_state"] == "present":
        problems += _install_problems(v)
    return problems


# -- verify --------------------------------------------------------------------------------------


def forbidden_entry_problem(entry):
    """Why service_probe would refuse one ``verify_forbidden_urls`` entry, or "" when it takes it."""
    if isinstance(entry, str):
        return url_problem(entry)
    if isinstance(entry, Mapping):
        try:
            check_forbidden_entries([dict(entry)])
        except ProbeInputError:
            return f"a mapping takes port (1-65535), path and scheme (http or https); got {to_json(entry)}"
        return ""
    return "give a full http(s):// URL, or a mapping such as {port: 8080, path: /debug/pprof/}"


def verify_problems(inputs, checks):
    """Every unusable ``verify_*`` setting, as sentences naming the variable and the fix.

    ``checks`` are the report's check names (the keys ``verify_severity`` may use). The allowed
    keys of ``verify_go_build`` and ``verify_probe_options`` are service_probe's own.
    """
    v = _Inputs(inputs)
    probe = _url_option_problems(v, ("verify_health_url", "verify_ready_url"))
    for index, entry in enumerate(items(v["verify_forbidden_urls"])):
        problem = forbidden_entry_problem(entry)
        if problem:
            probe.append(f"verify_forbidden_urls[{index}]: {problem}.")
    for option, known in (("verify_go_build", GO_BUILD_KEYS), ("verify_probe_options", PROBE_OPTION_KEYS)):
        unknown = sorted({text(key) for key in mapping(v[option])} - set(known))
        if unknown:
            probe.append(f"{option} has unknown keys {', '.join(unknown)}; use {', '.join(known)}.")
    exposure = v["verify_max_exposure"]
    if jinja_float(exposure) < 0 or jinja_float(exposure) > 10:
        probe.append(
            "verify_max_exposure (by default go_service_max_exposure) must be from 0.0 to 10.0, the scale of"
            f" systemd-analyze security (got {text(exposure)})."
        )
    for option in ("verify_health_timeout", "verify_ready_success_threshold", "verify_log_lines"):
        if jinja_float(v[option]) < 1:
            probe.append(f"{option} must be 1 or more (got {text(v[option])}).")
    if not COUNT.match(text(v["verify_tls_min_days"])):
        probe.append(f"verify_tls_min_days must be a whole number of 0 or more (got {text(v['verify_tls_min_days'])}).")
    problems = [" ".join(probe)] if probe else []
    if size(v["verify_service_name"]) == 0:
        problems.append(
            "set verify_service_name (or go_service_name) to the service to verify, e.g. verify_service_name=demo."
        )
    severity = mapping(v["verify_severity"])
    if [key for key in severity if key not in checks] or [
        value for value in severity.values() if value not in SEVERITIES
    ]:
        problems.append(
            f"verify_severity maps check names ({', '.join(checks)}) to blocking, warning or audit; got"
            f" {to_json(severity)}."
        )
    if jinja_float(v["verify_soak_seconds"]) < 0:
        problems.append(f"verify_soak_seconds must be 0 or more (got {text(v['verify_soak_seconds'])}).")
    if not REPORT_NAME.match(text(v["verify_report_name"])):
        problems.append(
            "verify_report_name (a file name without directories) must use letters, digits and . _ @ - only (got"
            f" {to_json(v['verify_report_name'])})."
        )
    return problems


#: Variables the roles set themselves for the play to read (documented in their docs pages), not options.
ROLE_OUTPUTS = ("go_service_result", "go_service_rollback_result", "go_service_binary_sha256", "verify_result")


def unknown_variable_problems(given, known, role):
    """One sentence per name in ``given`` that is neither in ``known`` (the role's options, from its
    argument specs) nor one of ROLE_OUTPUTS, with the closest known name when one is close: a misspelled
    variable is otherwise silently ignored and its default used instead."""
    known = sorted(set(known) | set(ROLE_OUTPUTS))
    problems = []
    for name in sorted(set(given) - set(known)):
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hint = f"did you mean {close[0]}?" if close else f"the options are listed in {role}'s argument_specs."
        problems.append(
            f"{name} is not a variable of gosvc.hardening.{role} (a misspelled name would be ignored and its"
            f" default used): {hint}"
        )
    return problems
