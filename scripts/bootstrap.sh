#!/usr/bin/env bash
# Set up everything the demo and the tests need, idempotently and fast on a
# re-run: a virtualenv with the pinned requirements, the collection link, a
# reachable Docker engine (installed and started when running as root on
# Debian), the systemd test images and the demo service binaries.
#
# Usage: scripts/bootstrap.sh [venv|docker|images|demo-binaries ...]  (default: all)
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# musl-tools and gcc-multilib: the unit tests build a musl-linked and a 32-bit
# binary and run the 32-bit loader (they skip, saying so, without them).
APT_PACKAGES=(docker.io debootstrap golang-go git openssh-client musl-tools gcc-multilib)

is_debian_root() { [ "$(id -u)" = 0 ] && [ -r /etc/debian_version ] && command -v apt-get >/dev/null; }

apt_install_missing() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! is_debian_root; then
    die "missing packages: ${missing[*]}. Install them (e.g. 'sudo apt-get install ${missing[*]}') and re-run."
  fi
  log "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_venv() {
  local req="$GOSVC_ROOT/tests/requirements.txt" stamp="$GOSVC_VENV/.gosvc-requirements.sha256" want
  want="$( (cat "$req"; python3 --version) | sha256sum | cut -d' ' -f1)"
  if [ -x "$GOSVC_VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "virtualenv $GOSVC_VENV is up to date"
  else
    python3 -m venv --help >/dev/null 2>&1 || apt_install_missing python3-venv
    python3 -c 'import ensurepip' 2>/dev/null || apt_install_missing python3-venv
    python3 -m venv "$GOSVC_VENV"
    "$GOSVC_VENV/bin/python" -m pip install -q --upgrade pip
    # --no-compile: Python compiles a module when it is first imported; the
    # ansible package's hundred-odd collections are mostly never imported,
    # and compiling all of them took 22 of the 30 s of this install.
    "$GOSVC_VENV/bin/python" -m pip install -q --no-compile -r "$req"
    echo "$want" > "$stamp"
  fi
  mkdir -p "$GOSVC_CACHE/collections/ansible_collections/gosvc"
  ln -sfn "$GOSVC_ROOT" "$GOSVC_CACHE/collections/ansible_collections/gosvc/hardening"
}

docker_ok() { docker info >/dev/null 2>&1; }

setup_docker() {
  if docker_ok; then echo "Docker engine reachable"; return; fi
  if ! is_debian_root; then
    die "no Docker engine is reachable. Install Docker (Debian: 'sudo apt-get install docker.io'), start it (e.g. 'sudo systemctl start docker'), make sure '$(id -un)' may use it, and re-run."
  fi
  apt_install_missing docker.io
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl start docker || true
  fi
  if ! docker_ok; then
    log "starting dockerd in the background (log: /var/log/gosvc-dockerd.log)"
    nohup dockerd >/var/log/gosvc-dockerd.log 2>&1 &
    local _
    for _ in $(seq 1 60); do docker_ok && break; sleep 1; done
  fi
  docker_ok || die "dockerd did not come up; see /var/log/gosvc-dockerd.log"
  echo "Docker engine reachable"
}

setup_images() {
  command -v debootstrap >/dev/null || apt_install_missing debootstrap
  "$GOSVC_ROOT/tests/images/build.sh"
  # Images replaced by a rebuild stay behind untagged; drop them.
  docker image prune -f --filter "label=gosvc.recipe" >/dev/null
}

setup_demo_binaries() {
  command -v go >/dev/null || apt_install_missing golang-go
  "$GOSVC_ROOT/scripts/build-demo.sh"
  "$GOSVC_ROOT/scripts/fetch-debs.sh"
}

main() {
  local steps=("$@")
  [ ${#steps[@]} -gt 0 ] || steps=(packages venv docker images demo-binaries)
  local s
  for s in "${steps[@]}"; do
    case "$s" in
      packages) if is_debian_root; then apt_install_missing "${APT_PACKAGES[@]}"; fi ;;
      venv) step "virtualenv" setup_venv ;;
      docker) step "docker engine" setup_docker ;;
      images) step "systemd test images" setup_images ;;
      demo-binaries) step "demo service binaries" setup_demo_binaries ;;
      *) die "unknown bootstrap step '$s'" ;;
    esac
  done
}

main "$@"
