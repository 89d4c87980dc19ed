# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The configuration files of a service, compared, written and backed up in one pass.

Used by gosvc.hardening.service_config. A ``FileSpec`` is one file as the run wants it (content,
owner, group, mode) or wants it gone (``content`` None). ``plan`` compares it with the host without
touching anything; ``apply`` writes what the plan says: the old file is copied to a backup first
when asked, the new content goes to a temporary file in the same directory that is renamed over the
old one, so a reader (systemd, the service) never sees half a file.

``layout`` turns the module's parameters into the files and directories it manages. ``observe``
(run on the host by gosvc.hardening.service_facts, in the role's preflight) describes a path: type,
owner, group, mode and an HMAC of a file's content under a key the controller holds, never the
content or a plain digest of it (the environment file holds secrets). ``unchanged`` (run on the
controller by the service_config action plugin) tells from those descriptions, without another
round trip, that ``plan`` would find nothing to change. ``diff_of`` describes a planned change for
``--diff``, every assignment of a secret key in the environment file replaced by one masked line
(``mask_env``).

Pure file-system logic: the unit tests run it on a temporary directory, with the current user as
owner.
"""

from __future__ import annotations

import bisect
import difflib
import grp
import hashlib
import hmac
import os
import pwd
import re
import shlex
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, field

from ansible_collections.gosvc.hardening.plugins.module_utils._files import make_dirs, owner_names

#: What a masked secret value shows as in a diff.
MASK = "********"


class ConfigError(Exception):
    """A file could not be read or written; the message names the path."""


@dataclass
class FileSpec:
    key: str
    path: str
    content: bytes | None  # None: the file must not exist
    owner: str = "root"
    group: str = "root"
    mode: int = 0o644
    secret_keys: frozenset = field(default_factory=frozenset)  # environment keys masked in diffs
    secret: bool = False  # the whole content is never shown (a diff says only that it changed)
    validate: str | None = None  # a command run on a copy of the new content before anything is written


@dataclass
class Plan:
    spec: FileSpec
    exists: bool
    before: bytes | None
    content_changed: bool
    attrs_changed: bool

    @property
    def changed(self) -> bool:
        return self.content_changed or self.attrs_changed


#: The parameters of gosvc.hardening.service_config: the module and its action plugin (which applies the
#: defaults before it decides on the controller) read the same spec.
ARGUMENT_SPEC = dict(
    unit_name=dict(type="str", required=True),
    unit_dir=dict(type="path", default="/etc/systemd/system"),
    unit=dict(type="str", required=True),
    overrides=dict(type="str", default=""),
    overrides_name=dict(type="str", default="50-gosvc-overrides.conf"),
    socket=dict(type="str", default=""),
    env_file=dict(type="path", required=True),
    env=dict(type="str", required=True, no_log=True),
    env_secret_keys=dict(type="list", elements="str", default=[], no_log=False),
    group=dict(type="str", required=True),
    backup=dict(type="bool", default=False),
    verify=dict(type="str", choices=["strict", "syntax", "none"], default="strict"),
    known_files=dict(type="dict", default={}),
    digest_key=dict(type="str", default="", no_log=True),
    config_dir=dict(type="path"),
    config_files=dict(
        type="list",
        elements="dict",
        default=[],
        options=dict(
            dest=dict(type="str", required=True),
            content=dict(type="str"),
            secret_content=dict(type="str", no_log=True),
            src=dict(type="path"),
            secret=dict(type="bool", default=False),
            mode=dict(type="str", default="0640"),
            validate=dict(type="str"),
        ),
        mutually_exclusive=[("content", "secret_content", "src")],
        required_one_of=[("content", "secret_content", "src")],
    ),
)

#: Parameters the action plugin uses on the controller and does not send to the host.
CONTROLLER_ONLY = ("known_files", "digest_key")

#: The configuration files are small; a larger file is described without an HMAC (compared on the host).
OBSERVE_MAX_BYTES = 1 << 20


#: What a config file's ``dest`` may be: a relative path of plain names (no ``.`` or ``..`` part, no
#: leading ``/``), each name starting with a letter, digit or underscore.
CONFIG_DEST = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+@-]*(/[A-Za-z0-9_][A-Za-z0-9._+@-]*)*\Z")
#: The mode of a config file: octal, no setuid, setgid or sticky bit, and nothing for others to write.
CONFIG_MODE = re.compile(r"^0?[0-7][0-7][0-5]\Z")


def config_dest_problem(dest, env_name: str = "") -> str:
    """Why ``dest`` cannot name a config file (empty when it can); ``env_name`` is the environment file's name."""
    if not isinstance(dest, str) or not CONFIG_DEST.match(dest) or len(dest) > 255:
        return (
            f"dest {dest!r} must be a path relative to the service's config directory, of plain names (letters,"
            " digits and . _ + @ -, not starting with a dot), without .. or a leading /; for example config.yml"
            " or rules/alerts.yml"
        )
    if env_name and dest == env_name:
        return f"dest {dest!r} is the environment file, which go_service writes itself; choose another name"
    return ""


def config_mode_problem(mode) -> str:
    """Why ``mode`` cannot be a config file's mode (empty when it can)."""
    if not isinstance(mode, str) or not CONFIG_MODE.match(mode):
        return (
            f"mode {mode!r} must be an octal string such as '0640' or '0644', without setuid, setgid or sticky"
            " bits and not writable by others"
        )
    return ""


def host_entries(entries: list, read_src) -> list:
    """The ``config_files`` entries as the module on the host takes them: ``content`` or ``secret_content``.

    Run on the controller by the action plugin: ``read_src(path)`` returns a ``src`` file's bytes (from the
    role's or playbook's files/ search path); an entry with ``secret`` true sends its content as
    ``secret_content`` (never logged). Raises ConfigError naming an entry whose file is not UTF-8 text.
    """
    converted = []
    for index, entry in enumerate(entries or []):
        entry = dict(entry)
        src = entry.pop("src", None)
        secret = entry.pop("secret", False)
        if src is not None:
            try:
                entry["content"] = read_src(src).decode("utf-8")
            except UnicodeDecodeError:
                raise ConfigError(f"config_files[{index}]: src {src} is not UTF-8 text") from None
        if secret and entry.get("content") is not None:
            entry["secret_content"] = entry.pop("content")
        converted.append({key: value for key, value in entry.items() if value is not None})
    return converted


def config_specs(params: dict) -> tuple:
    """``(files, dirs)`` of the ``config_files`` under ``config_dir`` (default: the environment file's directory).

    Files are ``root:<group>``; a subdirectory a ``dest`` names is ``root:<group>`` 0750. Raises ConfigError
    naming the entry when a ``dest`` or ``mode`` cannot be used, or when two entries name the same file.
    """
    base = params.get("config_dir") or os.path.dirname(params["env_file"])
    env_name = os.path.basename(params["env_file"]) if base == os.path.dirname(params["env_file"]) else ""
    files, dirs, seen = [], [], set()
    for index, entry in enumerate(params.get("config_files") or []):
        dest = entry.get("dest")
        problem = config_dest_problem(dest, env_name) or config_mode_problem(entry.get("mode", "0640"))
        if not problem and dest in seen:
            problem = f"dest {dest!r} is given twice; give each file once"
        if problem:
            raise ConfigError(f"config_files[{index}]: {problem}")
        seen.add(dest)
        if entry.get("src") is not None:
            raise ConfigError(f"config_files[{index}] ({dest}): src is read on the controller by the action plugin")
        secret = entry.get("secret_content") is not None or bool(entry.get("secret"))
        content = entry["secret_content"] if secret else entry.get("content")
        if content is None:
            raise ConfigError(f"config_files[{index}] ({dest}): give content or secret_content")
        files.append(
            FileSpec(
                f"config:{dest}",
                os.path.join(base, dest),
                content.encode(),
                "root",
                params["group"],
                int(entry.get("mode", "0640"), 8),
                secret=secret,
                validate=entry.get("validate") or None,
            )
        )
        parts = dest.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            path = os.path.join(base, *parts[:depth])
            if (path, "root", params["group"], 0o750) not in dirs:
                dirs.append((path, "root", params["group"], 0o750))
    return files, dirs


def socket_path(params: dict) -> str:
    """The socket unit beside the service unit: ``<name>.socket``."""
    name = params["unit_name"]
    stem = name[: -len(".service")] if name.endswith(".service") else name
    return os.path.join(params["unit_dir"], stem + ".socket")


def layout(params: dict) -> tuple:
    """``(files, dirs)`` that service_config manages for its parameters (defaults applied).

    ``files``: the environment file, the unit, the drop-in and the socket unit (content None: must not
    exist), then the config files, as FileSpecs; ``dirs``: ``(path, owner, group, mode)`` of the
    directories it creates or corrects. Raises ConfigError when a name that must be a file name holds a
    directory, or a config file entry cannot be used.
    """
    if "/" in params["unit_name"] or "/" in params["overrides_name"]:
        raise ConfigError("unit_name and overrides_name are file names, without a directory")
    unit_path = os.path.join(params["unit_dir"], params["unit_name"])
    dropin_path = os.path.join(unit_path + ".d", params["overrides_name"])
    files = [
        FileSpec(
            "env",
            params["env_file"],
            params["env"].encode(),
            "root",
            params["group"],
            0o640,
            frozenset(params["env_secret_keys"]),
        ),
        FileSpec("unit", unit_path, params["unit"].encode()),
        FileSpec("overrides", dropin_path, params["overrides"].encode() if params["overrides"] else None),
        # The socket unit of a socket-activated service (none otherwise: removed when there).
        FileSpec("socket", socket_path(params), params["socket"].encode() if params["socket"] else None),
    ]
    dirs = [(os.path.dirname(params["env_file"]), "root", params["group"], 0o750)]
    if params["overrides"]:
        dirs.append((os.path.dirname(dropin_path), "root", "root", 0o755))
    config_files, config_dirs = config_specs(params)
    if params.get("config_dir") and params["config_files"]:
        dirs.append((params["config_dir"], "root", params["group"], 0o750))
    return files + config_files, dirs + [entry for entry in config_dirs if entry not in dirs]


def content_mac(key: str, content: bytes) -> str:
    """HMAC-SHA256 of ``content`` under ``key`` (hex)."""
    return hmac.new(key.encode(), content, hashlib.sha256).hexdigest()


def observe(path: str, key: str = "") -> dict:
    """How ``path`` is on this host: ``{exists, type, owner, group, mode, hmac}``; never raises.

    ``type`` is file, directory or other (a symbolic link is not followed). ``hmac`` (files up to
    OBSERVE_MAX_BYTES, when a ``key`` is given) is content_mac of the content. An unreadable path
    reads ``{"exists": None, "error": ...}``: unknown, so ``unchanged`` says no.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return {"exists": False}
    except OSError as exc:
        return {"exists": None, "error": exc.strerror}
    owner, group, mode = owner_names(st)
    kind = "file" if stat.S_ISREG(st.st_mode) else "directory" if stat.S_ISDIR(st.st_mode) else "other"
    facts = {
        "exists": True,
        "type": kind,
        "owner": owner,
        "group": group,
        "mode": f"{mode:04o}",
    }
    if kind == "file" and key and st.st_size <= OBSERVE_MAX_BYTES:
        # Opened without following a link and without blocking (a FIFO put there since the lstat), and
        # checked to be the file lstat saw: otherwise the path reads as unknown.
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            fd = os.open(path, flags)
            with os.fdopen(fd, "rb") as handle:
                same = os.fstat(handle.fileno())
                # The inode number of a file removed since the lstat can be reused at once: the type counts too.
                if (same.st_dev, same.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(same.st_mode):
                    return {"exists": None, "error": "changed while it was read"}
                facts["hmac"] = content_mac(key, handle.read(OBSERVE_MAX_BYTES + 1))
        except OSError as exc:
            return {"exists": None, "error": exc.strerror}
    return facts


def _same_attrs(seen: dict, kind: str, owner: str, group: str, mode: int) -> bool:
    return (
        seen.get("exists") is True
        and seen.get("type") == kind
        and (seen.get("owner"), seen.get("group"), seen.get("mode")) == (owner, group, f"{mode:04o}")
    )


def unchanged(files: list, dirs: list, observed: dict, key: str) -> bool:
    """Whether, by ``observed`` (``{path: observe(path, key)}``), plan and ensure_dir would change nothing.

    False whenever it cannot tell: a path not observed, unreadable, or without an HMAC.
    """
    if not key:
        return False
    for spec in files:
        seen = observed.get(spec.path)
        if not isinstance(seen, dict) or seen.get("exists") is None:
            return False
        if spec.content is None:
            if seen["exists"]:
                return False
            continue
        if not _same_attrs(seen, "file", spec.owner, spec.group, spec.mode):
            return False
        if not hmac.compare_digest(str(seen.get("hmac") or ""), content_mac(key, spec.content)):
            return False
    for path, owner, group, mode in dirs:
        seen = observed.get(path)
        if not isinstance(seen, dict) or not _same_attrs(seen, "directory", owner, group, mode):
            return False
    return True


def unchanged_result(files: list) -> dict:
    """The result service_config returns when nothing changed (without backups, creations or a verify)."""
    return {
        "changed": False,
        "content_changed": False,
        "files": {
            spec.key: {
                "path": spec.path,
                "changed": False,
                "content_changed": False,
                "created": False,
                "removed": False,
            }
            for spec in files
        },
        "backups": [],
        "created": [],
        "validated": [],
        "verify": None,
    }


def ids(owner: str, group: str) -> tuple:
    try:
        uid = pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise ConfigError(f"user {owner!r} does not exist") from None
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise ConfigError(f"group {group!r} does not exist") from None
    return uid, gid


def plan(spec: FileSpec, check_mode: bool = False) -> Plan:
    """Compare ``spec`` with the file on the host; reads only.

    In check mode an owner or group that does not exist yet counts as a change of attributes.
    """
    try:
        st = os.lstat(spec.path)
    except FileNotFoundError:
        return Plan(spec, False, None, spec.content is not None, False)
    except OSError as exc:
        raise ConfigError(f"cannot read {spec.path}: {exc.strerror}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{spec.path} exists but is not a regular file; remove it or choose another path")
    try:
        with open(spec.path, "rb") as handle:
            before = handle.read()
    except OSError as exc:
        raise ConfigError(f"cannot read {spec.path}: {exc.strerror}") from exc
    if spec.content is None:
        return Plan(spec, True, before, True, False)
    try:
        uid, gid = ids(spec.owner, spec.group)
    except ConfigError:
        if not check_mode:
            raise
        return Plan(spec, True, before, before != spec.content, True)
    attrs = (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) != (uid, gid, spec.mode)
    return Plan(spec, True, before, before != spec.content, attrs)


# -- masking the environment file's secrets in a diff ------------------------------------------
#
# systemd reads an EnvironmentFile= assignment as KEY=value, where the value may run over several
# lines: inside double quotes (a backslash escapes the next character, a line feed included),
# inside single quotes (no escapes), or unquoted after a backslash at the end of a line. A value
# whose quote is never closed runs to the end of the file. The mask covers every line of such an
# assignment, not just the line that names the key.

#: The characters systemd ends a line with (Python's str.splitlines also breaks at these).
_NEWLINES = "\n\r"
#: The blanks systemd skips before a value and trims after an unquoted one.
_BLANKS = " \t"
#: Inside double quotes, a backslash before one of these gives the character alone; before any
#: other character but a line feed it is kept.
_DOUBLE_QUOTE_ESCAPES = '"\\`$'
#: A line that reads as a well-formed assignment of a variable: ends a run of stray lines.
_ASSIGNMENT = re.compile(r"[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*[ \t]*=(?P<value>.*)", re.DOTALL)


def read_value(text: str, pos: int) -> tuple:
    """``(value, end)``: the value systemd reads from ``text[pos:]``, just past an assignment's ``=``.

    ``end`` is the index just past the line feed or carriage return that ends the assignment, or
    ``len(text)``: a quote that is never closed takes the rest of the text, as systemd takes it.
    """
    value = []
    state = "before"  # before the value, or between its quoted parts
    trim = None  # where the trailing blanks of an unquoted part begin
    end = len(text)
    index = pos
    while index < len(text):
        char = text[index]
        index += 1
        if state in ("before", "plain"):
            if char in _NEWLINES:
                end = index
                break
            if char == "\\":
                state, trim = "plain escape", None
            elif state == "before" and char in "'\"":
                state = "single" if char == "'" else "double"
            elif state == "plain" or char not in _BLANKS:
                if char not in _BLANKS:
                    trim = None
                elif trim is None:
                    trim = len(value)
                state = "plain"
                value.append(char)
        elif state == "plain escape":
            state = "plain"
            if char not in _NEWLINES:  # a backslash before a line end continues the value
                value.append(char)
        elif state == "single":
            if char == "'":
                state = "before"
            else:
                value.append(char)
        elif state == "double":
            if char == '"':
                state = "before"
            elif char == "\\":
                state = "double escape"
            else:
                value.append(char)
        else:  # "double escape"
            state = "double"
            if char in _DOUBLE_QUOTE_ESCAPES:
                value.append(char)
            elif char != "\n":
                value.extend(("\\", char))
    if state == "plain" and trim is not None:
        del value[trim:]
    return "".join(value), end


def _secret_start(line: str, secret_keys) -> tuple | None:
    """``(key, commented, offset past the '=')`` when ``line`` may start an assignment of a secret.

    Looser than systemd, so that no form of a secret's assignment is missed: the text before the
    line's first ``=`` ends with the key (blanks or quotes around it, an ``export``, a comment mark,
    even stray characters before it are allowed), counting a key only where a name's characters do
    not continue it on the left.
    """
    head, equals, _rest = line.partition("=")
    if not equals:
        return None
    name = head.rstrip().rstrip("\"'").rstrip()
    for key in secret_keys:
        if key and name.endswith(key):
            left = name[: len(name) - len(key)]
            if not left or not (left[-1].isascii() and (left[-1].isalnum() or left[-1] == "_")):
                return key, left.lstrip()[:1] in ("#", ";"), len(head) + 1
    return None


def _stray(line: str) -> bool:
    """Whether ``line``, after a secret, is more of it rather than a line of its own.

    A blank line, a comment or an assignment of a variable is a line of its own. Anything else is
    a line systemd would skip, as the body of a multi-line value left unquoted reads (a PEM body
    line), and so is ``NAME=`` or ``NAME==`` (the last line of a base64 body, with its padding).
    """
    stripped = line.strip()
    if not stripped or stripped[0] in "#;":
        return False
    found = _ASSIGNMENT.match(line)
    return found is None or not found.group("value").strip().strip("=")


def _secret_regions(text: str, secret_keys) -> list:
    """``[(keys, commented, first, last)]``: the runs of ``text.splitlines()`` that hold secrets.

    A run starts at a line where a secret's assignment may start and takes every line systemd
    reads as that value (a quote never closed: to the end), then any stray lines after it. A
    secret that starts inside the run extends it and is listed in ``keys``.
    """
    lines = text.splitlines(keepends=True)
    offsets = []
    total = 0
    for line in lines:
        offsets.append(total)
        total += len(line)
    starts = {}
    for number, line in enumerate(lines):
        found = _secret_start(line, secret_keys)
        if found:
            starts[number] = found
    regions = []
    number = 0
    while number < len(lines):
        if number not in starts:
            number += 1
            continue
        keys, last, current = [], number, number
        while current <= last:
            # Once the run reaches the end of the text, nothing can extend it: no more reading.
            if current in starts:
                key, _commented, at = starts[current]
                keys.append(key)
                if last < len(lines) - 1:
                    _value, end = read_value(text, offsets[current] + at)
                    # The line holding the value's last character (the line end that closes it).
                    last = max(last, bisect.bisect_right(offsets, end - 1) - 1)
                    while last + 1 < len(lines) and _stray(lines[last + 1]):
                        last += 1
            current += 1
        regions.append((keys, starts[number][1], number, last))
        number = last + 1
    return regions


def _secret_texts(text: str, secret_keys) -> dict:
    """``{key: [text of each run that holds it]}``, to tell whether a secret changed."""
    lines = text.splitlines(keepends=True)
    texts = {}
    for keys, _commented, first, last in _secret_regions(text, secret_keys):
        for key in keys:
            texts.setdefault(key, []).append("".join(lines[first : last + 1]))
    return texts


def mask_env(text: str, secret_keys, changed_keys=()) -> str:
    """An environment file's text with every line of a secret's assignment replaced by one MASK line.

    A run of lines holding ``secret_keys`` (see ``_secret_regions``) reads ``KEY=********``, or
    ``# KEY=********`` for one that is commented out; with a key in ``changed_keys``
    ``KEY=******** (changed)``, so that a diff still shows that a secret changed without showing
    either value. Other lines are kept as they are.
    """
    lines = text.splitlines(keepends=True)
    out = []
    done = 0
    for keys, commented, first, last in _secret_regions(text, secret_keys):
        out.extend(lines[done:first])
        ending = "\n" if lines[last].splitlines()[0] != lines[last] else ""
        note = " (changed)" if any(key in changed_keys for key in keys) else ""
        out.append(f"{'# ' if commented else ''}{keys[0]}={MASK}{note}{ending}")
        done = last + 1
    out.extend(lines[done:])
    return "".join(out)


def diff_of(result: Plan) -> dict:
    """An Ansible diff record (before/after text) for a planned change, secrets masked."""
    spec = result.spec
    before = "" if result.before is None else result.before.decode("utf-8", errors="replace")
    after = "" if spec.content is None else spec.content.decode("utf-8", errors="replace")
    if spec.secret:
        before = f"{MASK} (secret content)\n" if result.before is not None else ""
        after = f"{MASK} (secret content, changed)\n" if spec.content is not None else ""
    elif spec.secret_keys:
        old, new = _secret_texts(before, spec.secret_keys), _secret_texts(after, spec.secret_keys)
        changed = {key for key in new if key in old and old[key] != new[key]}
        before, after = mask_env(before, spec.secret_keys), mask_env(after, spec.secret_keys, changed)
    return {
        "before_header": spec.path if result.exists else "(absent)",
        "after_header": spec.path if spec.content is not None else "(absent)",
        "before": before,
        "after": after,
    }


def unified(diff: dict) -> str:
    """The diff record as unified diff text (for messages and tests)."""
    return "".join(
        difflib.unified_diff(
            diff["before"].splitlines(keepends=True),
            diff["after"].splitlines(keepends=True),
            diff["before_header"],
            diff["after_header"],
        )
    )


#: How many of a failed validation's last output lines its message carries.
VALIDATE_TAIL_LINES = 10


def validate_argv(command: str, path: str) -> list:
    """The argv of a ``validate`` command for ``path``: split like a shell would, ``%s`` replaced by the path.

    Raises ConfigError when the command does not hold ``%s`` (it would not read the new content).
    """
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(f"validate {command!r} cannot be split into words: {exc}") from None
    if not words or not any("%s" in word for word in words):
        raise ConfigError(f"validate {command!r} must hold %s, where the path of the new content goes")
    return [word.replace("%s", path) for word in words]


def validate_plans(plans: list, run) -> list:
    """Run each changed config file's ``validate`` command on a copy of its new content; nothing is written.

    ``run(argv)`` returns ``(rc, stdout, stderr)`` (AnsibleModule.run_command). The copy keeps the file's
    name, in a scratch directory only root can read. Returns ``[{dest, command, rc}]``; raises ConfigError
    for the first failure, naming the file, the command, its exit status and its last output lines (not
    for a secret file, whose validator may echo it).
    """
    done = []
    for item in plans:
        spec = item.spec
        if not spec.validate or spec.content is None or not item.content_changed:
            continue
        with tempfile.TemporaryDirectory(prefix="gosvc-validate-") as scratch:
            candidate = os.path.join(scratch, os.path.basename(spec.path))
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(spec.content)
            argv = validate_argv(spec.validate, candidate)
            rc, out, err = run(argv)
        if rc != 0:
            lines = (str(err or "") + str(out or "")).strip().splitlines()[-VALIDATE_TAIL_LINES:]
            shown = "its output is not shown (secret file)" if spec.secret else "output: " + " | ".join(lines)
            raise ConfigError(
                f"{spec.path} failed validation: `{spec.validate}` exited {rc} on the new content; {shown}."
                " Correct the file's content (or its validate command)"
            )
        done.append({"dest": spec.path, "command": spec.validate, "rc": rc})
    return done


def backup_path(path: str, now=None) -> str:
    """Where a backup of ``path`` goes: the name ansible.builtin.template's backup=true uses."""
    stamp = time.strftime("%Y-%m-%d@%H:%M:%S", time.localtime(now))
    return f"{path}.{os.getpid()}.{stamp}~"


#: The name backup_path gives a backup, after the file's own name: ``.<pid>.<YYYY-MM-DD@HH:MM:SS>~``.
_BACKUP_SUFFIX = re.compile(r"\.[0-9]+\.[0-9]{4}-[0-9]{2}-[0-9]{2}@[0-9]{2}:[0-9]{2}:[0-9]{2}~")


def backups_of(paths) -> list:
    """The backups (named by backup_path) of any of ``paths`` that lie beside them, sorted.

    A run removes its own backups once its configuration is proven, or puts them back on a failure; any found
    before a run starts were left by a run that never got there (killed, or failed with its rollback off).
    """
    wanted = {}
    for path in paths:
        wanted.setdefault(os.path.dirname(path), set()).add(os.path.basename(path))
    found = []
    for directory, names in wanted.items():
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            if any(entry.startswith(name + ".") and _BACKUP_SUFFIX.fullmatch(entry[len(name) :]) for name in names):
                found.append(os.path.join(directory, entry))
    return sorted(found)


def ensure_dir(path: str, owner: str, group: str, mode: int, check_mode: bool) -> bool:
    """Create ``path`` (parents root-owned 0755) or fix its owner and mode; return whether it changed.

    In check mode an owner or group that does not exist yet (the account phase would create it)
    counts as a change, not as an error.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if not check_mode:
            uid, gid = ids(owner, group)
            make_dirs(os.path.dirname(path))
            os.mkdir(path, mode)
            os.chown(path, uid, gid)
            os.chmod(path, mode)
        return True
    if not stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{path} exists but is not a directory; remove it or choose another path")
    try:
        uid, gid = ids(owner, group)
    except ConfigError:
        if check_mode:
            return True
        raise
    if (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (uid, gid, mode):
        return False
    if not check_mode:
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    return True


def apply(result: Plan, backup: bool) -> dict:
    """Carry out a plan; return ``{path, changed, content_changed, created, removed, backup_file?}``."""
    spec = result.spec
    record = {
        "path": spec.path,
        "changed": result.changed,
        "content_changed": result.content_changed,
        "created": False,
        "removed": False,
    }
    if not result.changed:
        return record
    try:
        if result.exists and result.content_changed and backup:
            record["backup_file"] = backup_path(spec.path)
            shutil.copy2(spec.path, record["backup_file"])
            st = os.lstat(spec.path)
            os.chown(record["backup_file"], st.st_uid, st.st_gid)
        if spec.content is None:
            os.unlink(spec.path)
            record["removed"] = True
            return record
        uid, gid = ids(spec.owner, spec.group)
        if not result.content_changed:
            os.chown(spec.path, uid, gid)
            os.chmod(spec.path, spec.mode)
            return record
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(spec.path)}.", dir=os.path.dirname(spec.path))
        try:
            os.fchown(fd, uid, gid)
            os.fchmod(fd, spec.mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(spec.content)
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(tmp, spec.path)
        except BaseException:
            if os.path.lexists(tmp):
                os.unlink(tmp)
            raise
        record["created"] = not result.exists
    except OSError as exc:
        # The file itself is as it was (the new content goes in by rename): a backup of it made here would
        # only be left behind, unreported, so it goes too.
        if record.get("backup_file") and os.path.lexists(record["backup_file"]):
            os.unlink(record["backup_file"])
        raise ConfigError(f"cannot write {spec.path}: {exc.strerror or exc}") from exc
    return record


def backup_entry(record: dict, spec: FileSpec, before_mode: int, before_owner: str, before_group: str) -> dict:
    """What a rollback needs to put a replaced file back (the shape ansible.builtin.copy takes)."""
    return {
        "dest": spec.path,
        "backup_file": record["backup_file"],
        "owner": before_owner,
        "group": before_group,
        "mode": f"{before_mode:04o}",
    }


def owner_of(path: str) -> tuple:
    """(owner name, group name, mode) of an existing file, names falling back to numbers."""
    return owner_names(os.lstat(path))
