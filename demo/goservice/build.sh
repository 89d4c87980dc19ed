#!/usr/bin/env bash
# Reproducible build of the gosvc-demo service.
#
# Usage: demo/goservice/build.sh <version> <output-path>
#
# Runs, from this directory:
#   CGO_ENABLED=0 go build -trimpath -buildvcs=false \
#     -ldflags "-s -w -buildid= -X main.version=<version>" -o <output-path> .
# with GOFLAGS empty (no -mod=mod or other injected flags), GOTOOLCHAIN=local
# (Go 1.21+ would otherwise be allowed to fetch another toolchain; older Go
# ignores it), GOPROXY=off (the service uses the standard library only) and,
# when $HOME is missing or not writable, GOCACHE/GOPATH under a temporary
# directory. The same source, version, Go release and GOOS/GOARCH give a
# byte-identical binary. Prints "<sha256>  <output-path>" on stdout.
set -euo pipefail

die() { echo "build.sh: $*" >&2; exit 2; }

[ $# -eq 2 ] || die "usage: build.sh <version> <output-path>"
version="$1"
out="$2"
# The version goes inside the -ldflags string, which go splits on spaces.
[[ "$version" =~ ^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$ ]] \
  || die "version '$version' must be 1-128 characters of letters, digits and . _ + ~ - (starting with a letter or digit)"
[ -n "$out" ] || die "the output path must not be empty"
command -v go >/dev/null 2>&1 || die "the go tool is not on PATH; install Go 1.19 or later"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case "$out" in
  /*) ;;
  *) out="$PWD/$out" ;;
esac
outdir="$(dirname "$out")"
mkdir -p "$outdir" || die "cannot create the output directory $outdir"

unset GOFLAGS
export GOFLAGS=
export GOTOOLCHAIN=local
export GOPROXY=off
export CGO_ENABLED=0

if [ -z "${GOCACHE:-}" ] && { [ -z "${HOME:-}" ] || [ ! -d "$HOME" ] || [ ! -w "$HOME" ]; }; then
  tmpbase="${TMPDIR:-/tmp}/gosvc-demo-go-$(id -u)"
  mkdir -p "$tmpbase/cache" "$tmpbase/path"
  export GOCACHE="$tmpbase/cache"
  export GOPATH="${GOPATH:-$tmpbase/path}"
fi

cd "$here"
go build -trimpath -buildvcs=false \
  -ldflags "-s -w -buildid= -X main.version=$version" \
  -o "$out" .

if command -v sha256sum >/dev/null 2>&1; then
  sum="$(sha256sum "$out" | cut -d' ' -f1)"
else
  sum="$(shasum -a 256 "$out" | cut -d' ' -f1)"
fi
echo "$sum  $out"
