#!/usr/bin/env bash
# Mutation testing of the safety-critical Python (docs/reliability.md):
#   scripts/mutate.sh [--no-docs] [--children N] [target words...]   (make mutate)
# mutmut runs from a virtualenv of its own, .cache/venv-mutate, made from
# tests/mutate-requirements.txt and rebuilt only when that file, the unit test
# requirements or the Python version change. Not a CI stage: a full run takes
# the time docs/reliability.md records.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GOSVC_ROOT"

venv="$GOSVC_CACHE/venv-mutate"
stamp="$venv/.gosvc-requirements.sha256"
want="$( (cat tests/mutate-requirements.txt tests/requirements.txt; python3 --version) | sha256sum | cut -d' ' -f1)"
if [ -x "$venv/bin/mutmut" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "virtualenv $venv is up to date"
else
  log "virtualenv $venv from tests/mutate-requirements.txt"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r tests/mutate-requirements.txt
  echo "$want" > "$stamp"
fi

export PATH="$venv/bin:$PATH"
exec "$venv/bin/python" scripts/mutate.py --mutmut "$venv/bin/mutmut" "$@"
