#!/usr/bin/env bash
# Fetch Go services that nobody here wrote, as Debian packages them, into
# .cache/debs/<name>/<version>/ (the binaries only, unpacked from the .deb).
# molecule/realworld deploys them. Each package is pinned by its SHA-256, so a
# mirror can serve it but not change it; a download is done once.
# The Debian mirror is this machine's, found by the image build's own
# apt_mirror (tests/images/build.sh; GOSVC_DEBIAN_MIRROR overrides it).
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
eval "$(sed -n '/^apt_mirror() {/,/^}/p' "$GOSVC_ROOT/tests/images/build.sh")"
declare -F apt_mirror >/dev/null || die "tests/images/build.sh defines no apt_mirror"

# name version (our label) pool path sha256
packages=(
  "alertmanager 0.21.0 pool/main/p/prometheus-alertmanager/prometheus-alertmanager_0.21.0+ds-4+b5_amd64.deb 479b515dd43b7e61e7621114fdf787a0167ee902cb032abc96f10031a05480a1"
  "alertmanager 0.25.0 pool/main/p/prometheus-alertmanager/prometheus-alertmanager_0.25.0-1+b4_amd64.deb 4fb9aed15cfe8e0c32408e643ab32a1e41ee87d2cc26f18aeba928b1b0b98ae7"
  "node_exporter 1.1.2 pool/main/p/prometheus-node-exporter/prometheus-node-exporter_1.1.2+ds-2.1_amd64.deb 43ef9fb57e27230bc7d1d38e9c9b90693421069ef9911b0781e6ac6dd974867b"
  "etcd 3.3.25 pool/main/e/etcd/etcd-server_3.3.25+dfsg-6+b6_amd64.deb 26ebaf2c5482e1ded1c7d9a65a47d06cdb9dc99d78aa3c280ee61bae39d4e44c"
)

mirror="$(apt_mirror)"
for entry in "${packages[@]}"; do
  read -r name version pool sha256 <<<"$entry"
  out="$GOSVC_CACHE/debs/$name/$version"
  if [ "$(cat "$out/.sha256" 2>/dev/null)" = "$sha256" ]; then
    echo "$name $version is fetched ($(basename "$pool"))"
    continue
  fi
  tmp="$(mktemp -d)"
  curl -fsSL --retry 3 -o "$tmp/pkg.deb" "$mirror/$pool" || die "cannot download $mirror/$pool"
  echo "$sha256  $tmp/pkg.deb" | sha256sum -c --quiet - || die "$pool does not have the pinned sha256 $sha256"
  dpkg-deb -x "$tmp/pkg.deb" "$tmp/root"
  rm -rf "$out" && mkdir -p "$out"
  cp "$tmp/root/usr/bin/"* "$out/"
  (cd "$out" && sha256sum -- * > checksums.txt)
  echo "$sha256" > "$out/.sha256"
  rm -rf "$tmp"
  echo "$name $version fetched from $mirror ($(basename "$pool"))"
done
