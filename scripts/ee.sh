#!/usr/bin/env bash
# Build the execution environment (execution-environment.yml) from this
# checkout and run the collection's deploy + verify in it under ansible-runner,
# the way AWX runs a job, against three SSH hosts; then check from outside
# what the job left in its artifacts directory.
#   scripts/ee.sh           set-up, EE image, SSH hosts, the job, the checks
#   scripts/ee.sh build     only the collection tarball and the EE image
# Settings (environment):
#   GOSVC_EE_BASE_IMAGE   base image (build argument EE_BASE_IMAGE), default gosvc-systemd:debian12
#   GOSVC_EE_IMAGE        the EE image's name, default gosvc-hardening-ee:latest
#   GOSVC_EE_RELEASES     the hosts' Debian releases, default "debian11 debian12 debian13"
#   GOSVC_EE_FULL_BUILD=1 run ansible-builder even when only the collection changed
#
# 1. The collection tarball (ansible-galaxy collection build) goes to
#    build/ee/gosvc-hardening.tar.gz, where execution-environment.yml takes it.
# 2. The EE image is labelled with two hashes: its recipe (the EE definition,
#    the base image, ansible-builder's version, this script's build function)
#    and the collection (the tarball's MANIFEST.json, which holds the digest of
#    every file). Same recipe and collection: the image is reused. A new
#    recipe: ansible-builder builds it (a few minutes). Only a new collection:
#    the tarball is installed over the last ansible-builder image in one layer
#    (seconds), the way the galaxy stage installs it.
# 3. The hosts are systemd containers of gosvc-sshd:<release>: the test image
#    with its sshd unmasked, sudo, and a user `deploy` (built once, cached on a
#    hash like the EE). They run with the container options of the Molecule
#    scenarios (.config/molecule/config.yml), on a Docker network of this run's
#    own, where the EE container reaches them by name.
# 4. The job: a private data directory (reports/ee/runner: the templates in
#    tests/ee/runner, the demo's group_vars, the demo release, an SSH key made
#    for this run, the hosts' own host keys) mounted at /runner in the EE, and
#    `ansible-runner run /runner -p site.yml` (deploy.yml, then verify.yml).
# 5. tests/ee/check_artifacts.py reads the artifacts: status, rc, per-host
#    events, the verify reports (which env/extravars sends into the artifacts
#    directory, as an AWX job would bring them back).
# Containers and the network are removed on exit; the artifacts stay.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GOSVC_ROOT"

mode="${1:-all}"
case "$mode" in
  all|build) ;;
  -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
  *) die "usage: scripts/ee.sh [build]" ;;
esac

base="${GOSVC_EE_BASE_IMAGE:-gosvc-systemd:debian12}"
image="${GOSVC_EE_IMAGE:-gosvc-hardening-ee:latest}"
[[ "${image##*/}" == *:* ]] || image="$image:latest"
# The last image ansible-builder itself built (<name>:<tag>-built): a new
# collection is layered on it.
full_image="$image-built"
read -r -a releases <<< "${GOSVC_EE_RELEASES:-debian11 debian12 debian13}"
[ ${#releases[@]} -gt 0 ] || die "GOSVC_EE_RELEASES is empty"

work="$GOSVC_ROOT/build/ee"
tarball="$work/gosvc-hardening.tar.gz"
pdd="$GOSVC_ROOT/reports/ee/runner"
ident="deploy-verify"
# Where the EE image installs the collection (ansible-builder's galaxy stage).
ee_collections=/usr/share/ansible/collections
run="gosvc-ee-$$"
network="$run"
runner_name="$run-runner"
hosts=()
containers=()
keydir=""

# What containers need to reach PyPI and the Debian mirror the way this
# machine does (as scripts/compat-container.sh): the CA bundle and proxies.
ca=/etc/ssl/certs/ca-certificates.crt
proxy_vars=(http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY)
net_opts=()
build_args=()
[ ! -r "$ca" ] || net_opts+=(-v "$ca:$ca:ro")
for var in "${proxy_vars[@]}"; do
  if [ -n "${!var:-}" ]; then
    net_opts+=(-e "$var")
    # Without a value, docker takes it from the environment (and it stays out of logs).
    build_args+=("--build-arg=$var")
  fi
done

# The image builds, the hosts and the job's container go into the cgroup of
# the stages beside Molecule, when scripts/test.sh runs this there
# (GOSVC_DOCKER_CGROUP_OPTS, scripts/lib.sh).

cleanup() {
  local rc=$?
  # The private key never outlives the run; the artifacts do.
  rm -f "$pdd/env/ssh_key"
  [ -z "$keydir" ] || rm -rf "$keydir"
  # Only this run's own names (gosvc-ee-<pid>-*): other runs' containers stay.
  docker rm -f "$runner_name" "$run-build-sshd" "${containers[@]}" >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
  return "$rc"
}
trap cleanup EXIT
# A signal ends the script through its EXIT trap too.
trap 'exit 130' INT TERM

timings=()
timed() {
  local name="$1" start=$SECONDS
  step "$@"
  timings+=("$(printf '%-34s %4ss' "$name" "$((SECONDS - start))")")
}

image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }
image_id() { docker image inspect -f '{{ .Id }}' "$1" 2>/dev/null || true; }
# Remove an image that a rebuild replaced, unless something still uses it.
drop_replaced() {
  local old="$1" tag
  shift
  [ -n "$old" ] || return 0
  for tag in "$image" "$full_image" "$@"; do
    [ "$old" != "$(image_id "$tag")" ] || return 0
  done
  docker image rm "$old" >/dev/null 2>&1 || true
}

# 1. The collection as users get it, and the build's CA certificates.
build_tarball() {
  mkdir -p "$work/build-ca"
  rm -f "$work"/gosvc-hardening-*.tar.gz
  ansible-galaxy collection build --force --output-path "$work" . >/dev/null
  local built=("$work"/gosvc-hardening-*.tar.gz)
  mv -f "${built[0]}" "$tarball"
  echo "$(basename "${built[0]}") -> ${tarball#"$GOSVC_ROOT"/} ($(du -h "$tarball" | cut -f1))"
  # The whole bundle of this machine, for a TLS-inspecting proxy between the
  # build and PyPI; the EE's RUN steps use it and the final image drops it.
  if [ -r "$ca" ]; then cp "$ca" "$work/build-ca/ca-certificates.crt"; else rm -f "$work/build-ca/ca-certificates.crt"; fi
}

# 2. The EE image.
ee_build_full() {
  local recipe="$1" collection="$2" log="$work/ansible-builder.log"
  echo "ansible-builder build on $base (log: ${log#"$GOSVC_ROOT"/})"
  # The build context (generated YAML among it) under .cache/, which the linters skip.
  if ! ansible-builder build --file execution-environment.yml --context "$GOSVC_CACHE/ee/context" \
      --container-runtime docker --tag "$full_image" --tag "$image" \
      --build-arg "EE_BASE_IMAGE=$base" "${build_args[@]}" \
      --extra-build-cli-args "--label gosvc.ee.recipe=$recipe --label gosvc.ee.collection=$collection${GOSVC_DOCKER_CGROUP_OPTS[*]:+ ${GOSVC_DOCKER_CGROUP_OPTS[*]}}" \
      --verbosity 3 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "ansible-builder failed (full log: $log)"
  fi
}

# The collection over the last full build, as the galaxy stage installs it
# (offline: the tarball is the whole input). The image's user stays as it was.
ee_layer_collection() {
  local collection="$1" ctx user
  user="$(docker image inspect -f '{{ .Config.User }}' "$full_image")"
  ctx="$(mktemp -d "${TMPDIR:-/tmp}/gosvc-ee-layer.XXXXXX")"
  cp "$tarball" "$ctx/"
  echo "installing the new collection over $full_image"
  docker build -q -t "$image" --label "gosvc.ee.collection=$collection" -f - "$ctx" >/dev/null <<EOF
FROM $full_image
USER root
COPY gosvc-hardening.tar.gz /tmp/gosvc-hardening.tar.gz
RUN ansible-galaxy collection install --offline --force -p $ee_collections /tmp/gosvc-hardening.tar.gz \
 && rm -f /tmp/gosvc-hardening.tar.gz
USER ${user:-root}
EOF
  rm -rf "$ctx"
}

ensure_ee_image() {
  case "$base" in
    gosvc-systemd:*) tests/images/build.sh "${base#gosvc-systemd:}" ;;
  esac
  [ -n "$(image_id "$base")" ] || die "base image $base not found (GOSVC_EE_BASE_IMAGE); build or load it first"
  local recipe collection current_recipe old
  recipe="$( (cat execution-environment.yml; image_id "$base"; ansible-builder --version
              declare -f ee_build_full) | sha256sum | cut -c1-16)"
  collection="$(tar -xzOf "$tarball" MANIFEST.json | sha256sum | cut -c1-16)"
  current_recipe="$(image_label "$image" gosvc.ee.recipe)"
  old="$(image_id "$image")"
  if [ "$current_recipe" = "$recipe" ] && [ "$(image_label "$image" gosvc.ee.collection)" = "$collection" ]; then
    echo "$image is up to date (recipe $recipe, collection $collection)"
  elif [ "${GOSVC_EE_FULL_BUILD:-0}" != 1 ] && [ "$current_recipe" = "$recipe" ] \
      && [ "$(image_label "$full_image" gosvc.ee.recipe)" = "$recipe" ]; then
    ee_layer_collection "$collection"
    drop_replaced "$old"
    echo "$image: recipe $recipe, new collection $collection"
  else
    local old_full
    old_full="$(image_id "$full_image")"
    ee_build_full "$recipe" "$collection"
    drop_replaced "$old"
    drop_replaced "$old_full"
    echo "$image built (recipe $recipe, collection $collection)"
  fi
  docker run --rm "$image" sh -c \
    'printf "in the image: %s, ansible-runner %s, " "$(ansible --version | head -n1)" "$(ansible-runner --version)"
     ansible-galaxy collection list gosvc.hardening 2>/dev/null | grep "^gosvc.hardening"'
}

# 3. The SSH hosts.
build_sshd_image() {
  local base_image="$1" target="$2" hash="$3" name="$run-build-sshd"
  docker run --name "$name" "${GOSVC_DOCKER_CGROUP_OPTS[@]}" "${net_opts[@]}" -e DEBIAN_FRONTEND=noninteractive "$base_image" sh -ec '
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends openssh-server sudo >/dev/null
    apt-get clean
    rm -rf /var/lib/apt/lists/*
    # The test image masks sshd (its scenarios use docker exec).
    rm -f /etc/systemd/system/ssh.service /etc/systemd/system/ssh.socket
    ln -sf /lib/systemd/system/ssh.service /etc/systemd/system/multi-user.target.wants/ssh.service
    # No host keys in the image: each container makes its own at boot.
    rm -f /etc/ssh/ssh_host_*
    cat > /etc/systemd/system/gosvc-ssh-host-keys.service <<UNIT
[Unit]
Description=SSH host keys of this container
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
[Install]
RequiredBy=ssh.service
UNIT
    mkdir -p /etc/systemd/system/ssh.service.requires
    ln -sf ../gosvc-ssh-host-keys.service /etc/systemd/system/ssh.service.requires/
    # Keys only, as a fleet is reached.
    printf "PasswordAuthentication no\nKbdInteractiveAuthentication no\n" > /etc/ssh/sshd_config.d/gosvc.conf
    # An unprivileged login with sudo, as an AWX machine credential has.
    useradd --create-home --shell /bin/bash deploy
    install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh
    echo "deploy ALL=(ALL:ALL) NOPASSWD: ALL" > /etc/sudoers.d/deploy
    chmod 0440 /etc/sudoers.d/deploy
    visudo -cq
  '
  docker commit --change "LABEL gosvc.sshd=$hash" --change 'CMD ["/lib/systemd/systemd"]' "$name" "$target" >/dev/null
  docker rm "$name" >/dev/null
}

ensure_sshd_images() {
  tests/images/build.sh "${releases[@]}"
  local r want old
  for r in "${releases[@]}"; do
    want="$( (image_label "gosvc-systemd:$r" gosvc.recipe; declare -f build_sshd_image) | sha256sum | cut -c1-16)"
    if [ "$(image_label "gosvc-sshd:$r" gosvc.sshd)" = "$want" ]; then
      echo "gosvc-sshd:$r is up to date ($want)"
      continue
    fi
    old="$(image_id "gosvc-sshd:$r")"
    build_sshd_image "gosvc-systemd:$r" "gosvc-sshd:$r" "$want"
    drop_replaced "$old" "gosvc-sshd:$r"
    echo "built gosvc-sshd:$r ($want)"
  done
}

# The options of a systemd container without --privileged, read from the one
# place the Molecule scenarios and the demo take them from.
container_opts() {
  python - "$GOSVC_ROOT/.config/molecule/config.yml" <<'PY'
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as f:
    platform = yaml.safe_load(f)["platforms"][0]
opts = [f"--cap-add={c}" for c in platform.get("capabilities", [])]
opts += [f"--security-opt={o}" for o in platform.get("security_opts", [])]
if platform.get("cgroupns_mode"):
    opts.append(f"--cgroupns={platform['cgroupns_mode']}")
opts += [f"--volume={v}" for v in platform.get("volumes", [])]
opts += [f"--tmpfs={t}" for t in platform.get("tmpfs", [])]
if platform.get("privileged"):
    opts.append("--privileged")
sys.stdout.write("\0".join(opts))
PY
}

start_hosts() {
  local opts=() r name host state i
  mapfile -d '' -t opts < <(container_opts)
  docker network create "$network" >/dev/null
  for r in "${releases[@]}"; do
    host="gosvc-ee-$r"
    name="$run-$r"
    hosts+=("$host")
    containers+=("$name")
    # The inventory name is the container's alias on this run's network.
    docker run -d --name "$name" --hostname "$host" --network "$network" --network-alias "$host" \
      "${GOSVC_DOCKER_CGROUP_OPTS[@]}" "${opts[@]}" "gosvc-sshd:$r" >/dev/null
  done
  keydir="$(mktemp -d "${TMPDIR:-/tmp}/gosvc-ee-key.XXXXXX")"
  ssh-keygen -q -t ed25519 -N '' -C "$run" -f "$keydir/id_ed25519"
  : > "$keydir/known_hosts"
  for i in "${!containers[@]}"; do
    name="${containers[$i]}"
    host="${hosts[$i]}"
    state=""
    for _ in $(seq 1 60); do
      state="$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)"
      [ "$state" != running ] || break
      sleep 1
    done
    if [ "$state" != running ]; then
      docker exec "$name" systemctl --failed --no-legend --no-pager >&2 || true
      die "$host: systemd is '$state', not 'running', after 60 s (failed units above)"
    fi
    docker exec "$name" systemctl is-active -q ssh.service || die "$host: sshd is not running"
    docker exec -i "$name" sh -c 'cat > /home/deploy/.ssh/authorized_keys && chown deploy:deploy /home/deploy/.ssh/authorized_keys && chmod 0600 /home/deploy/.ssh/authorized_keys' \
      < "$keydir/id_ed25519.pub"
    # The host key as the host itself has it: SSH checks it strictly.
    printf '%s %s\n' "$host" "$(docker exec "$name" cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)" >> "$keydir/known_hosts"
    echo "$host ($name): systemd running, sshd active"
  done
}

# 4. The private data directory and the job.
prepare_runner_dir() {
  local demo_version=1.0.0 dist="$GOSVC_CACHE/demo/dist/1.0.0" h
  if [ ! -f "$dist/gosvc-demo" ] || [ ! -f "$dist/checksums.txt" ]; then
    die "no demo release in $dist (run scripts/bootstrap.sh)"
  fi
  rm -rf "$pdd"
  mkdir -p "$pdd"
  cp -R tests/ee/runner/. "$pdd/"
  # The demo service as demo/ describes it; 20-ee.yml beside it says what differs here.
  cp demo/inventory/group_vars/go_services.yml "$pdd/inventory/group_vars/go_services/10-demo.yml"
  mkdir -p "$pdd/project/dist/$demo_version"
  cp "$dist/gosvc-demo" "$dist/checksums.txt" "$pdd/project/dist/$demo_version/"
  {
    echo "---"
    echo "# Written by scripts/ee.sh for this run: one host per Debian release."
    echo "go_services:"
    echo "  hosts:"
    for h in "${hosts[@]}"; do echo "    $h:"; done
  } > "$pdd/inventory/hosts.yml"
  install -m 0600 "$keydir/id_ed25519" "$pdd/env/ssh_key"
  cp "$keydir/known_hosts" "$pdd/env/known_hosts"
}

runner_rc=0
run_job() {
  # Files written in /runner belong to the caller, as in scripts/compat-container.sh.
  set +e
  docker run --rm --name "$runner_name" --network "$network" "${GOSVC_DOCKER_CGROUP_OPTS[@]}" \
    --user "$(id -u):$(id -g)" -v "$pdd:/runner" \
    "$image" ansible-runner run /runner --playbook site.yml --ident "$ident"
  runner_rc=$?
  set -e
  echo "ansible-runner exited with $runner_rc"
}

# 5. What the job left, read from outside.
check_job() {
  python tests/ee/check_artifacts.py "$pdd/artifacts/$ident" \
    --collection "$ee_collections/ansible_collections/gosvc/hardening" \
    --schema roles/verify/files/report.schema.json "${hosts[@]}" \
    || die "the EE job's artifacts in ${pdd#"$GOSVC_ROOT"/}/artifacts/$ident fail the checks above (ansible-runner exited with $runner_rc)"
  [ "$runner_rc" = 0 ] || die "ansible-runner exited with $runner_rc"
}

total_start=$SECONDS
timed "set-up (scripts/bootstrap.sh)" scripts/bootstrap.sh
timed "collection tarball" build_tarball
timed "EE image $image" ensure_ee_image
if [ "$mode" = build ]; then
  log "EE image $image ready"
  printf '    %s\n' "${timings[@]}"
  exit 0
fi
timed "SSH host images gosvc-sshd:*" ensure_sshd_images
timed "start ${#releases[@]} SSH hosts" start_hosts
timed "private data dir" prepare_runner_dir
timed "ansible-runner: deploy + verify" run_job
timed "artifact checks" check_job
log "EE job passed in $((SECONDS - total_start))s (artifacts: ${pdd#"$GOSVC_ROOT"/}/artifacts/$ident)"
printf '    %s\n' "${timings[@]}"
