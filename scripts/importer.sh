#!/usr/bin/env bash
# Run galaxy-importer, the check Ansible Galaxy and Automation Hub run on every
# uploaded collection, on the tarball `ansible-galaxy collection build` makes
# from the checkout, offline: no container, no ansible-test (sanity is a stage
# of its own), ansible-lint on. Fails on any error and on any warning.
#   scripts/importer.sh [gosvc-hardening-<version>.tar.gz]   (default: build one)
# galaxy-importer runs from a virtualenv of its own, .cache/venv-importer, made
# from tests/importer-requirements.txt and rebuilt only when that file or the
# Python version changes (the stamp holds a hash of both).
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ $# -gt 0 ]; then
  [ -f "$1" ] || die "no such tarball: $1"
  tarball="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
  # Built as a release is: by the main virtualenv's ansible-galaxy.
  [ -x "$GOSVC_VENV/bin/ansible-galaxy" ] || die "no $GOSVC_VENV/bin/ansible-galaxy: run scripts/bootstrap.sh venv first"
fi
cd "$GOSVC_ROOT"

req="$GOSVC_ROOT/tests/importer-requirements.txt"
venv="$GOSVC_CACHE/venv-importer"
stamp="$venv/.gosvc-requirements.sha256"
want="$( (cat "$req"; python3 --version) | sha256sum | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "virtualenv $venv is up to date"
else
  log "virtualenv $venv from $(basename "$req")"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q --no-compile -r "$req"  # as scripts/bootstrap.sh does
  echo "$want" > "$stamp"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/gosvc-importer.XXXXXX")"
trap 'rm -rf "$work"' EXIT
if [ $# -eq 0 ]; then
  "$GOSVC_VENV/bin/ansible-galaxy" collection build --output-path "$work/dist" .
  tarballs=("$work"/dist/gosvc-hardening-*.tar.gz)
  tarball="${tarballs[0]}"
fi

# Every key of galaxy_importer/config.py (0.4.44), set on purpose: ansible-doc
# and ansible-lint (--offline) on; ansible-test, its containers and flake8 off;
# the rule that a tag names a category on; the rule "version >= 1.0.0" off (0.x).
mkdir -p "$work/ansible-tmp" "$work/tmp"
cat > "$work/galaxy-importer.cfg" <<EOF
[galaxy-importer]
LOG_LEVEL_MAIN = INFO
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_ANSIBLE_TEST = False
ANSIBLE_TEST_LOCAL_IMAGE = False
LOCAL_IMAGE_DOCKER = False
INFRA_OSD = False
RUN_FLAKE8 = False
CHECK_CHANGELOG = True
CHECK_REQUIRED_TAGS = True
REQUIRE_V1_OR_GREATER = False
ANSIBLE_LOCAL_TMP = $work/ansible-tmp
TMP_ROOT_DIR = $work/tmp
EOF
# GALAXY_IMPORTER_<KEY> variables would override the file.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^GALAXY_IMPORTER_' || true)
export GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg"
unset ANSIBLE_CONFIG
export PATH="$venv/bin:$PATH"

# Without a network when the kernel lets us make a namespace without one:
# the import must not need one (ansible-lint runs with --offline).
isolate=()
if unshare --net --map-root-user true 2>/dev/null; then
  isolate=(unshare --net --map-root-user)
  echo "network: none (unshare --net)"
else
  echo "network: not isolated (unshare --net is not permitted here)"
fi

echo "galaxy-importer $("$venv/bin/python" -c 'import galaxy_importer; print(galaxy_importer.__version__)') on $(basename "$tarball")"
rc=0
(cd "$work" && "${isolate[@]}" "$venv/bin/python" -m galaxy_importer.main "$tarball") > "$work/importer.log" 2>&1 || rc=$?
cat "$work/importer.log"

# The importer logs INFO lines bare and everything else as "LEVEL: message";
# ansible-lint's findings come out as WARNING lines. Also catch what a tool
# may print on its own: Ansible's [WARNING]/[ERROR], Python warnings, tracebacks.
problems="$(grep -E '^(WARNING|ERROR|CRITICAL)[: ]|\[(WARNING|ERROR|DEPRECATION WARNING)\]|[A-Za-z]Warning: |Traceback \(most recent call last\)' "$work/importer.log" || true)"
if [ -n "$problems" ]; then
  printf '\ngalaxy-importer reported %s problem line(s):\n%s\n' "$(printf '%s\n' "$problems" | wc -l)" "$problems" >&2
  die "galaxy-importer: the collection would not import cleanly (errors and warnings both fail this check)"
fi
[ "$rc" -eq 0 ] || die "galaxy-importer exited with $rc"
grep -qx 'Importer processing completed successfully' "$work/importer.log" || die "galaxy-importer did not report success"
[ -s "$work/importer_result.json" ] || die "galaxy-importer wrote no importer_result.json"
"$venv/bin/python" - "$work/importer_result.json" <<'PY'
import json
import sys

result = json.load(open(sys.argv[1]))
meta = result["metadata"]
kinds = {}
for item in result["contents"]:
    kinds.setdefault(item["content_type"], set()).add(item["name"])
summary = ", ".join(f"{len(names)} {kind}" for kind, names in sorted(kinds.items()))
print(f"imported {meta['namespace']}.{meta['name']} {meta['version']}: 0 errors, 0 warnings ({summary})")
PY
