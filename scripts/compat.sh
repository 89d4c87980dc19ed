#!/usr/bin/env bash
# Prove one more ansible-core release claimed in meta/runtime.yml: in a
# virtualenv of its own, run the unit tests, ansible-test sanity, and a real
# deploy + verify of the demo into fresh systemd containers, then a second
# run that must change nothing.
#   scripts/compat.sh 2.21.5
# The controller Python: ansible-core 2.19 and older run on this machine's
# python3 (Python 3.11 on Debian 12); ansible-core 2.20 and later need Python
# 3.12+, so they run in a Debian 13 container with its Python 3.13
# (scripts/compat-container.sh). GOSVC_COMPAT_CONTROLLER=here runs any release
# on this machine's python3 (or GOSVC_COMPAT_PYTHON) instead.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GOSVC_ROOT"

core="${1:?usage: compat.sh <ansible-core version>}"
[[ "$core" =~ ^([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "not an ansible-core release: '$core' (e.g. 2.21.5)"
major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"

if [ -z "${GOSVC_COMPAT_CONTROLLER:-}" ]; then
  # The main venv, the images and the demo binaries (a no-op when up to date).
  "$GOSVC_ROOT/scripts/bootstrap.sh"
  if [ "$major" -gt 2 ] || [ "$minor" -ge 20 ]; then
    exec "$GOSVC_ROOT/scripts/compat-container.sh" "$core"
  fi
fi

py="${GOSVC_COMPAT_PYTHON:-python3}"
pyver="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
venv="$GOSVC_CACHE/venv-core-$core-py$pyver"
main_site="${GOSVC_COMPAT_COLLECTIONS:-$("$GOSVC_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')}"
# The unit tests' own needs, as tests/requirements.txt lists them.
reqs=("ansible-core==$core")
for pkg in pytest pytest-xdist sigstore jsonschema; do
  line="$(grep -E "^$pkg([=<>~!]|\$)" tests/requirements.txt)" || die "$pkg is not in tests/requirements.txt"
  reqs+=("$line")
done
want="$( (printf '%s\n' "${reqs[@]}"; "$py" -c 'import sys; print(sys.executable, sys.version)') | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$venv/.gosvc-requirements.sha256" 2>/dev/null)" != "$want" ]; then
  log "virtualenv $venv: ${reqs[*]}"
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q --no-compile "${reqs[@]}"  # as scripts/bootstrap.sh does
  echo "$want" > "$venv/.gosvc-requirements.sha256"
fi
# Scripts that source lib.sh (scripts/sanity.sh) put $GOSVC_VENV/bin first on
# PATH: make that this venv, or they would run the main venv's ansible-core.
export GOSVC_VENV="$venv"
export PATH="$venv/bin:$PATH"
# community.docker (the demo's connection plugin) comes from the main venv's
# pinned `ansible` package; the collection under test from the checkout.
export ANSIBLE_COLLECTIONS_PATH="$GOSVC_CACHE/collections:$main_site"
version_line="$(ansible --version)"
version_line="${version_line%%$'\n'*}"
echo "$version_line on Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())')"
[[ "$version_line" == *"core $core]"* ]] || die "expected ansible-core $core, found: $version_line"
test_version="$(bash -c '. scripts/lib.sh && ansible-test --version')"
[ "$test_version" = "ansible-test version $core" ] || die "scripts/sanity.sh would run '$test_version', not $core"

# The unit tests that reach ansible-core: module_utils' tests run the standard
# library only (Molecule runs the same code on each target's Python) and the
# demo's build Go, so here only those of them that import ansible run; the
# main unit stage runs them all.
ignore=(--ignore=tests/unit/demo)
for f in tests/unit/plugins/module_utils/test_*.py; do
  grep -qE '^[[:space:]]*(from|import) ansible([.[:space:]]|$)' "$f" || ignore+=("--ignore=$f")
done
# Upper bounds on wall-clock time are the main unit stage's: this stage may run
# beside Molecule with a small CPU share (scripts/test.sh).
step "unit tests on ansible-core $core" python -m pytest -q -p no:cacheprovider -n auto -m "not timing" "${ignore[@]}"
step "sanity on ansible-core $core" scripts/sanity.sh --test validate-modules --test import --test compile \
  --test action-plugin-docs --test ansible-doc --test runtime-metadata --test yamllint

# The demo's containers, fresh for this run and removed after it (scripts/test.sh
# may run this stage beside Molecule: idle systemd containers would take its CPU).
remove_demo() { docker rm -f gosvc-demo-debian11 gosvc-demo-debian12 gosvc-demo-debian13 >/dev/null 2>&1 || true; }
remove_demo
trap remove_demo EXIT
step "deploy + verify on ansible-core $core" ansible-playbook -i demo/inventory demo/site.yml
out="$(mktemp)"
step "no-change re-run on ansible-core $core" ansible-playbook -i demo/inventory demo/site.yml | tee "$out"
if grep -E '^gosvc-demo-[^ ]+ +: .*changed=[1-9]' "$out"; then
  die "the second run on ansible-core $core changed something (see above)"
fi
