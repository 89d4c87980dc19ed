#!/usr/bin/env bash
# The whole test suite, with all set-up done here (see scripts/bootstrap.sh).
#   scripts/test.sh                 every stage
#   scripts/test.sh lint unit       only these stages
#   MOLECULE_SCENARIOS="default" scripts/test.sh molecule
# Stages: setup lint unit sanity build importer molecule compat ee
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GOSVC_ROOT"

# ansible-core releases claimed in meta/runtime.yml besides the one in the
# main virtualenv (tests/requirements.txt): each gets unit, sanity and a real
# deploy + verify run. 2.20 and later need Python 3.12+: scripts/compat.sh
# runs them with Debian 13's Python in a container.
read -r -a COMPAT_CORE_VERSIONS <<< "${GOSVC_COMPAT_CORE_VERSIONS:-2.20.10 2.21.5}"

stage_setup() { "$GOSVC_ROOT/scripts/bootstrap.sh"; }

stage_lint() {
  step "yamllint" yamllint --strict .
  step "ansible-lint (profile production)" ansible-lint --offline
  step "ruff check" ruff check .
  step "ruff format --check" ruff format --check .
  step "changelog lint" antsibull-changelog lint
  step "execution environment definition" ansible-builder create \
    --file execution-environment.yml --context "$(mktemp -d)/context" --output-filename Containerfile
}

# The fault tests leave their records; docs/reliability.md must say what they observed.
# One pytest-xdist worker per CPU: many tests wait on sockets and processes.
stage_unit() {
  mkdir -p reports
  step "pytest (unit)" env GOSVC_FAULT_REPORT="$PWD/reports/unit-faults.json" python -m pytest -q -p no:cacheprovider -n auto
  step "docs/reliability.md matches the fault tests" python scripts/reliability.py --check reports/unit-faults.json
}

stage_sanity() { step "ansible-test sanity" scripts/sanity.sh; }

stage_build() { step "collection build, install and ansible-doc" scripts/build-check.sh; }

# What Galaxy and Automation Hub run on an upload; any error or warning fails.
stage_importer() { step "galaxy-importer on the built tarball" scripts/importer.sh; }

# Scenarios run one at a time, each printed as it goes (scripts/molecule-scenario.sh
# keeps its log and exit status in reports/molecule/). GOSVC_MOLECULE_JOBS=N runs N
# at once, each printed whole when it ends: their containers (gosvc-<scenario>-*)
# and Molecule state are their own. On this 2-CPU machine that is slower, not
# faster (the controller's CPU is what the scenarios wait on; docs/development.md
# has the figures); on a larger one it is not. The longest start first, so that
# the lanes end close together; a scenario not in the list starts last.
# "example" is the users' Molecule example (docs/examples/molecule, scripts/example-molecule.sh).
MOLECULE_LONGEST_FIRST=(fleet zero_downtime slices realworld edges controller_faults faults service_faults host_faults default thirdparty example)
# One at a time, the scenarios that the stages run in the background cgroup
# slow least go first, beside them; those they slow most (zero_downtime's
# load, slices' twelve hosts, realworld) come after, when those stages are
# done. docs/development.md has the figures, with and without them beside.
MOLECULE_SERIAL_ORDER=(example service_faults thirdparty host_faults default faults controller_faults edges realworld slices zero_downtime fleet)

# How busy the machine's CPUs were between two "cpu" lines of /proc/stat:
# what tells whether the stages beside Molecule had idle CPU to take.
cpu_busy() {
  awk -v a="$1" -v b="$2" -v n="$(nproc)" 'BEGIN {
    split(a, x); split(b, y); total = 0
    for (i = 2; i <= 9; i++) total += y[i] - x[i]
    idle = (y[5] - x[5]) + (y[6] - x[6])
    if (total > 0) printf "CPUs busy %.0f%% (idle %.0f%%, %d CPUs)", 100 * (total - idle) / total, 100 * idle / total, n
  }'
}

stage_molecule() {
  local jobs="${GOSVC_MOLECULE_JOBS:-1}" s rc took before failed=() all=() ordered=()
  local -A busy=()
  [[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "GOSVC_MOLECULE_JOBS must be a whole number of at least 1, not '$jobs'"
  read -r -a all <<< "${MOLECULE_SCENARIOS:-$(cd molecule && for d in */molecule.yml; do printf '%s ' "${d%/molecule.yml}"; done) example}"
  local order=("${MOLECULE_LONGEST_FIRST[@]}")
  [ "$jobs" -gt 1 ] || order=("${MOLECULE_SERIAL_ORDER[@]}")
  for s in "${order[@]}"; do
    [[ " ${all[*]} " == *" $s "* ]] && ordered+=("$s")
  done
  for s in "${all[@]}"; do
    [[ " ${ordered[*]} " == *" $s "* ]] || ordered+=("$s")
  done
  # What an earlier run of these scenarios left; other scenarios' records stay for the check below.
  mkdir -p reports/molecule
  for s in "${ordered[@]}"; do rm -f "reports/molecule/$s.rc" "reports/molecule/$s-faults.json"; done
  log "molecule: ${ordered[*]} ($jobs at a time)"
  local start=$SECONDS cpu_before
  cpu_before="$(head -n 1 /proc/stat)"
  if [ "$jobs" -eq 1 ]; then
    for s in "${ordered[@]}"; do
      before="$(head -n 1 /proc/stat)"
      GOSVC_MOLECULE_LIVE=1 scripts/molecule-scenario.sh "$s" || true
      busy[$s]="; $(cpu_busy "$before" "$(head -n 1 /proc/stat)")"
    done
  else
    printf '%s\n' "${ordered[@]}" | xargs -P "$jobs" -n 1 scripts/molecule-scenario.sh || true
  fi
  for s in "${ordered[@]}"; do
    read -r rc took < "reports/molecule/$s.rc" 2>/dev/null || { rc=missing took=-; }
    printf '    %-16s %s%s\n' "$s" "$([ "$rc" = 0 ] && echo "passed in ${took}s" || echo "FAILED (rc $rc)")" "${busy[$s]:-}"
    [ "$rc" = 0 ] || failed+=("$s")
  done
  printf '<== molecule: %ss; %s\n' "$((SECONDS - start))" "$(cpu_busy "$cpu_before" "$(head -n 1 /proc/stat)")"
  # The end of the output is what a CI system keeps: say there what failed.
  for s in "${failed[@]}"; do python scripts/molecule-failures.py "reports/molecule/$s.log"; done
  [ ${#failed[@]} -eq 0 ] || die "molecule scenarios failed: ${failed[*]} (logs in reports/molecule/)"
  # The scenarios that inject faults leave their records; docs/reliability.md must say what they observed.
  local records=()
  for s in "${ordered[@]}"; do
    [ ! -e "reports/molecule/$s-faults.json" ] || records+=("reports/molecule/$s-faults.json")
  done
  if [ ${#records[@]} -gt 0 ]; then
    step "docs/reliability.md matches the scenarios' fault records" python scripts/reliability.py --check "${records[@]}"
  fi
}

# The execution environment built from this checkout (execution-environment.yml),
# and deploy + verify of three SSH hosts run in it under ansible-runner, as AWX
# runs a job (docs/execution-environment.md).
stage_ee() { step "execution environment: build, deploy + verify under ansible-runner" scripts/ee.sh; }

stage_compat() {
  local v
  for v in "${COMPAT_CORE_VERSIONS[@]}"; do
    step "ansible-core $v: unit, sanity, deploy + verify" scripts/compat.sh "$v"
  done
}

# Stages that run beside Molecule when both are asked for, one after the
# other. The scenarios leave much of the CPU idle (observation windows,
# restarts, load that runs for a set time); these stages take that time from
# a cgroup whose CPU share is a quarter of one process's
# (GOSVC_BACKGROUND_SHARES of 1024). GOSVC_BACKGROUND_IDLE=1 makes it a
# cgroup the kernel runs only when nothing else wants the CPU (cpu.idle,
# Linux 5.15 and later): not yet proven through a whole run.
# None of them asserts wall-clock bounds: the unit tests that do (marked
# `timing`) run in the unit stage, before Molecule at full share, and compat
# leaves them out. Their output is printed whole when Molecule ends.
# GOSVC_BACKGROUND=0, or a machine where the cgroup cannot be made (no
# writable cpu controller, or a Docker engine that does not place containers
# by cgroupfs path), runs them after Molecule instead.
BACKGROUND_STAGES=(lint sanity build importer compat ee)
BACKGROUND_CGROUP=gosvc-background

# Make the background cgroup; print its directory, or nothing when it cannot be made.
background_cgroup() {
  local shares="${GOSVC_BACKGROUND_SHARES:-256}" idle="${GOSVC_BACKGROUND_IDLE:-0}" dir
  [ "$idle" = 1 ] || idle=0
  if ! [[ "$shares" =~ ^[0-9]+$ ]] || [ "$shares" -lt 2 ] || [ "$shares" -gt 1024 ]; then
    die "GOSVC_BACKGROUND_SHARES must be a whole number from 2 to 1024, not '$shares'"
  fi
  [ "$(docker info -f '{{.CgroupDriver}}' 2>/dev/null)" = cgroupfs ] || return 0
  local file value
  if [ -w /sys/fs/cgroup/cpu ] && [ -e /sys/fs/cgroup/cpu/cpu.shares ]; then
    # cgroup v1: cpu.shares, 1024 for a process of the root group.
    dir=/sys/fs/cgroup/cpu/$BACKGROUND_CGROUP file=cpu.shares value="$shares"
  elif grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
    # cgroup v2: cpu.weight, 100 for a process of the root group.
    dir=/sys/fs/cgroup/$BACKGROUND_CGROUP file=cpu.weight value=$(( (shares * 100 + 1023) / 1024 ))
  else
    return 0
  fi
  mkdir -p "$dir" 2>/dev/null || return 0
  # cpu.idle first, set either way (the cgroup outlives a run): the kernel
  # refuses a share for an idle cgroup.
  if [ -e "$dir/cpu.idle" ]; then
    echo "$idle" > "$dir/cpu.idle" 2>/dev/null || return 0
  elif [ "$idle" = 1 ]; then
    return 0
  fi
  if [ "$idle" = 0 ]; then
    echo "$value" > "$dir/$file" 2>/dev/null || return 0
  fi
  echo "$dir"
}

# Start the given stages in the background cgroup, each in turn, in a session
# of their own (so that a failing run can stop all of them).
BACKGROUND_PID=""
start_background() {
  local dir="$1"; shift
  mkdir -p reports
  local how
  if [ "$(cat "$dir/cpu.idle" 2>/dev/null)" = 1 ]; then
    how="idle: it runs when nothing else wants the CPU"
  else
    how="CPU share $(cat "$dir/cpu.shares" 2>/dev/null || cat "$dir/cpu.weight")"
  fi
  log "beside molecule, in cgroup $BACKGROUND_CGROUP ($how): $* (output: reports/background.log)"
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  GOSVC_DOCKER_CGROUP_PARENT="/$BACKGROUND_CGROUP" setsid bash -c '
    echo "$$" > "$1/cgroup.procs"; shift
    for s in "$@"; do scripts/test.sh "$s" || exit 1; done
  ' background "$dir" "$@" > reports/background.log 2>&1 &
  BACKGROUND_PID=$!
  trap 'stop_background' EXIT
}

stop_background() {
  if [ -n "$BACKGROUND_PID" ]; then
    kill -- "-$BACKGROUND_PID" 2>/dev/null || true
  fi
}

# Wait for the background stages, print what they printed, and fail as they did.
wait_background() {
  local rc=0
  log "waiting for the stages beside molecule (pid $BACKGROUND_PID)"
  wait "$BACKGROUND_PID" || rc=$?
  BACKGROUND_PID=""
  cat reports/background.log
  [ "$rc" -eq 0 ] || die "a stage run beside molecule failed (rc $rc; output above and in reports/background.log)"
}

main() {
  local stages=("$@") s b start=$SECONDS dir="" beside=() deferred=() started=0 fallback=0
  # Bytecode of the temporary copies earlier runs imported from (sanity,
  # build, example): their directories are gone, and it would only pile up.
  # Only in the cache lib.sh chose, never under a prefix the caller set.
  [ "$PYTHONPYCACHEPREFIX" != "$GOSVC_PYCACHE" ] || rm -rf "$GOSVC_PYCACHE${TMPDIR:-/tmp}"
  [ ${#stages[@]} -gt 0 ] || stages=(setup lint unit sanity build importer molecule compat ee)
  for s in "${stages[@]}"; do
    declare -F "stage_$s" >/dev/null || die "unknown stage '$s' (stages: setup lint unit sanity build importer molecule compat ee)"
  done
  if [[ " ${stages[*]} " == *" molecule "* ]] && [ "${GOSVC_BACKGROUND:-1}" != 0 ]; then
    for s in "${stages[@]}"; do
      [[ " ${BACKGROUND_STAGES[*]} " != *" $s "* ]] || beside+=("$s")
    done
  fi
  for s in "${stages[@]}"; do
    # A stage to run beside Molecule: held until Molecule starts (it needs the
    # Docker engine that setup starts), or already running there.
    if [[ " ${beside[*]} " == *" $s "* ]] && [ "$fallback" = 0 ]; then
      [ "$started" = 1 ] || deferred+=("$s")
      continue
    fi
    if [ "$s" = molecule ] && [ ${#beside[@]} -gt 0 ]; then
      dir="$(background_cgroup)"
      if [ -n "$dir" ]; then
        start_background "$dir" "${beside[@]}"
        started=1
      else
        log "no cgroup for the stages beside molecule on this machine: ${beside[*]} run in the usual order"
        fallback=1
        for b in "${deferred[@]}"; do "stage_$b"; done
      fi
    fi
    "stage_$s"
  done
  [ -z "$BACKGROUND_PID" ] || wait_background
  log "all stages passed (${stages[*]}) in $((SECONDS - start))s"
}

main "$@"
