# shellcheck shell=bash
# Shared helpers for the set-up, demo and test scripts. Sourced, not run.
set -euo pipefail

GOSVC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GOSVC_VENV="${GOSVC_VENV:-$GOSVC_ROOT/.venv}"
GOSVC_CACHE="$GOSVC_ROOT/.cache"
export PATH="$GOSVC_VENV/bin:$PATH"
# The checkout is the collection: make it importable as gosvc.hardening.
export ANSIBLE_COLLECTIONS_PATH="$GOSVC_CACHE/collections${ANSIBLE_COLLECTIONS_PATH:+:$ANSIBLE_COLLECTIONS_PATH}"
export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-0}"
# One round trip per task instead of three (no module file copy): what we
# recommend for fleets, and what the demo and the compat runs use.
export ANSIBLE_PIPELINING="${ANSIBLE_PIPELINING:-True}"
export PY_COLORS="${PY_COLORS:-0}"
# Python keeps each module it compiles (bytecode) and reuses it on the next
# import. With PYTHONDONTWRITEBYTECODE set, as some images and CI machines
# set it, every ansible-playbook, molecule, pytest and ansible-test process
# compiles ansible-core and its plugins from source again: a few hundred
# processes in a whole run (docs/development.md has the figures). The
# bytecode goes under .cache/pycache, not beside the sources: the checkout
# and the virtualenv stay as they are, and `rm -rf .cache` removes it.
unset PYTHONDONTWRITEBYTECODE
GOSVC_PYCACHE="$GOSVC_CACHE/pycache"
export PYTHONPYCACHEPREFIX="${PYTHONPYCACHEPREFIX:-$GOSVC_PYCACHE}"
# GOSVC_DOCKER_CGROUP_PARENT: the cgroup with a small CPU share that
# scripts/test.sh gives the stages it runs beside Molecule. The containers and
# image builds those stages start go there too (docker --cgroup-parent).
GOSVC_DOCKER_CGROUP_OPTS=()
if [ -n "${GOSVC_DOCKER_CGROUP_PARENT:-}" ]; then
  GOSVC_DOCKER_CGROUP_OPTS=(--cgroup-parent "$GOSVC_DOCKER_CGROUP_PARENT")
fi

log() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a named step and print how long it took.
step() {
  local name="$1"; shift
  local start=$SECONDS
  log "$name"
  "$@"
  printf '<== %s: %ss\n' "$name" "$((SECONDS - start))"
}
