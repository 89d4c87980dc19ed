#!/usr/bin/env bash
# Run docs/examples/molecule as a user would: a copy of it outside this
# checkout (no Molecule settings of ours apply), its role deploying the demo
# service with gosvc.hardening.go_service and gosvc.hardening.verify as the
# verifier; then read the JUnit files it leaves, as a CI system would.
#   scripts/example-molecule.sh
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GOSVC_ROOT"

dist="$GOSVC_CACHE/demo/dist/1.0.0"
[ -f "$dist/gosvc-demo" ] || die "no demo build in $dist: run scripts/test.sh setup first"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r docs/examples/molecule/. "$work/"
export HELLO_SERVICE_BINARY="$dist/gosvc-demo"
HELLO_SERVICE_CHECKSUM="sha256:$(awk '$2 == "gosvc-demo" {print $1}' "$dist/checksums.txt")"
export HELLO_SERVICE_CHECKSUM
export MOLECULE_SYSTEMD_IMAGE="${MOLECULE_SYSTEMD_IMAGE:-gosvc-systemd:debian12}"
(cd "$work" && molecule test)
for xml in "$work"/junit/*.xml; do
  log "JUnit: $(basename "$xml")"
  cat "$xml"
done
python scripts/junit-summary.py "$work"/junit/*.xml
