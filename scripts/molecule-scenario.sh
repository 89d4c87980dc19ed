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
[ -f "molecule/$scenario/molecule.yml" ] || die "no Molecule scenario '$scenario' (molecule/$scenario/molecule.yml)"
mkdir -p reports/molecule
logfile="reports/molecule/$scenario.log"
start=$SECONDS
rc=0
live="${GOSVC_MOLECULE_LIVE:-0}"
if [ "$live" = 1 ]; then
  log "molecule test -s $scenario (also in $logfile)"
  molecule test -s "$scenario" 2>&1 | tee "$logfile" || rc=$?
else
  molecule test -s "$scenario" >"$logfile" 2>&1 || rc=$?
fi
took=$((SECONDS - start))
echo "$rc $took" >"reports/molecule/$scenario.rc"
# One scenario's log at a time on the terminal.
{
  flock 9
  if [ "$live" != 1 ]; then
    log "molecule test -s $scenario ($logfile)"
    cat "$logfile"
  fi
  printf '<== molecule test -s %s: %s after %ss\n' "$scenario" "$([ "$rc" -eq 0 ] && echo passed || echo "FAILED (rc $rc)")" "$took"
} 9>>reports/molecule/.print.lock
# xargs stops everything on 255; any failure here is a plain 1.
[ "$rc" -eq 0 ] || exit 1
