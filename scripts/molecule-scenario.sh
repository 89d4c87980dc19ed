#!/usr/bin/env bash
# Run one Molecule scenario with its whole output in reports/molecule/<scenario>.log
# and its exit status and time in reports/molecule/<scenario>.rc. Output goes to
# the terminal as it comes (GOSVC_MOLECULE_LIVE=1, one scenario at a time) or in
# one piece when the scenario ends: interleaved lines of two scenarios that
# scripts/test.sh runs at once could not be read.
#   scripts/molecule-scenario.sh fleet
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GOSVC_ROOT"

scenario="${1:?usage: molecule-scenario.sh <scenario>}"
# "example" is the users' Molecule example (docs/examples/molecule), run from a copy as a user runs it.
cmd=(molecule test -s "$scenario")
if [ "$scenario" = example ]; then
  cmd=(scripts/example-molecule.sh)
else
  [ -f "molecule/$scenario/molecule.yml" ] || die "no Molecule scenario '$scenario' (molecule/$scenario/molecule.yml)"
fi
mkdir -p reports/molecule
logfile="reports/molecule/$scenario.log"
start=$SECONDS
rc=0
live="${GOSVC_MOLECULE_LIVE:-0}"
if [ "$live" = 1 ]; then
  log "${cmd[*]} (also in $logfile)"
  "${cmd[@]}" 2>&1 | tee "$logfile" || rc=$?
else
  "${cmd[@]}" >"$logfile" 2>&1 || rc=$?
fi
took=$((SECONDS - start))
echo "$rc $took" >"reports/molecule/$scenario.rc"
# One scenario's log at a time on the terminal.
{
  flock 9
  if [ "$live" != 1 ]; then
    log "${cmd[*]} ($logfile)"
    cat "$logfile"
  fi
  printf '<== %s: %s after %ss\n' "${cmd[*]}" "$([ "$rc" -eq 0 ] && echo passed || echo "FAILED (rc $rc)")" "$took"
} 9>>reports/molecule/.print.lock
# xargs stops everything on 255; any failure here is a plain 1.
[ "$rc" -eq 0 ] || exit 1
