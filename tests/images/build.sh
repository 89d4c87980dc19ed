#!/usr/bin/env bash
# Build local systemd test images for Debian releases with debootstrap and
# `docker import`: no registry is needed. Each image is tagged
# gosvc-systemd:<release> and labelled with a hash of this recipe, so a
# re-run rebuilds only what changed.
#
# Usage: tests/images/build.sh [--force] [release ...]   (default: all)
# The Debian mirror comes from this machine's own apt sources; override it
# with GOSVC_DEBIAN_MIRROR=<url>.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/images/releases.sh
. "$here/releases.sh"

force=0
releases=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) releases+=("$arg") ;;
  esac
done
[ ${#releases[@]} -gt 0 ] || releases=("${GOSVC_RELEASES[@]}")

die() { echo "build-images: $*" >&2; exit 1; }

# The first Debian archive URI configured on this machine (deb822 .sources
# files first, then one-line sources.list entries); security archives skipped.
apt_mirror() {
  if [ -n "${GOSVC_DEBIAN_MIRROR:-}" ]; then echo "$GOSVC_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(awk '
    tolower($1) == "uris:" { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }
  ' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | grep -v security | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { print $i; exit } }' | head -n1)
  fi
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources*; set GOSVC_DEBIAN_MIRROR=<url of a Debian archive>"
  echo "${uri%/}"
}

# Comments and blank lines do not change an image, so they do not count.
recipe_hash() {
  grep -hvE '^[[:space:]]*(#|$)' "$here/build.sh" "$here/releases.sh" | sha256sum | cut -c1-16
}

build_one() {
  local release="$1" suite hash image current rootfs mirror
  suite="$(gosvc_suite "$release")" || die "unknown release '$release'; known: ${GOSVC_RELEASES[*]}"
  hash="$(recipe_hash)-$suite"
  image="gosvc-systemd:$release"
  current="$(docker image inspect -f '{{ index .Config.Labels "gosvc.recipe" }}' "$image" 2>/dev/null || true)"
  if [ "$force" = 0 ] && [ "$current" = "$hash" ]; then
    echo "build-images: $image is up to date ($hash)"
    return
  fi
  mirror="$(apt_mirror)"
  rootfs="$(mktemp -d "${TMPDIR:-/tmp}/gosvc-rootfs-$release.XXXXXX")"
  trap 'rm -rf "$rootfs"' RETURN
  echo "build-images: debootstrap $suite from $mirror into $rootfs"
  local log="$rootfs.log"
  if ! debootstrap --variant=minbase \
      --include=systemd,systemd-sysv,dbus,python3,curl,ca-certificates,openssh-server \
      "$suite" "$rootfs" "$mirror" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "debootstrap of $suite failed (full log: $log)"
  fi
  rm -f "$log"
  # A container-friendly systemd: empty machine-id (generated at boot), no
  # gettys or hardware units, apt caches dropped to keep the image small.
  # sshd is installed but masked: Molecule and the demo use the Docker
  # transport; benchmarks/run.py unmasks it to measure over SSH, the
  # transport fleets use.
  : > "$rootfs/etc/machine-id"
  rm -f "$rootfs/var/lib/dbus/machine-id"
  for unit in getty.target console-getty.service systemd-firstboot.service \
              systemd-udevd.service systemd-udev-trigger.service \
              systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount \
              sys-kernel-tracing.mount systemd-remount-fs.service \
              ssh.service ssh.socket; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" --numeric-owner -c . | docker import \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change 'ENV container=docker' \
    --change "LABEL gosvc.recipe=$hash" \
    - "$image" >/dev/null
  echo "build-images: built $image ($hash)"
}

command -v docker >/dev/null || die "docker is not installed"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
for r in "${releases[@]}"; do
  build_one "$r"
done
