#!/usr/bin/env bash
# Recipe for the committed files in this directory (see README.md).
#
#   ./build.sh                      rebuild every binary from hello.c and the *.versions lists
#   ./build.sh capture NAME LIBC WHAT
#                                   write NAME.versions: the version definitions of a real libc.so.6
#                                   (readelf -V) and its release from glibc's banner (strings); WHAT
#                                   says where LIBC came from
#
# Needs gcc, musl-gcc (Debian: musl-tools) and gcc -m32 (Debian: gcc-multilib), readelf and strings
# (binutils). The binaries are reproducible for one toolchain (no build ID, stripped).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

capture() {
  local name="$1" libc="$2" what="$3" release
  release="$(strings -a "$libc" | sed -n 's/^GNU C Library .* release version \([0-9.]*[0-9]\)\.*$/\1/p' | head -n1)"
  [ -n "$release" ] || { echo "no glibc banner in $libc" >&2; exit 1; }
  {
    echo "# Version definitions (readelf -V) of $what; glibc release $release (its banner)"
    echo "release $release"
    readelf -VW "$libc" | sed -n '/^Version definition section/,/^Version needs section/p' \
      | sed -n 's/.*Flags: none .*Name: \([^ ]*\)$/\1/p'
  } >"$name.versions"
}

# A shared object named libc.so.6 with exactly the version definitions listed in NAME.versions (one
# symbol in each, GLIBC_x.y nodes chained as glibc chains them) and glibc's banner with the release,
# linked without any C library so that it needs nothing itself.
standin() {
  local name="$1" m="$2" tmp release prev="" v sym
  tmp="$(mktemp -d)"
  release="$(sed -n 's/^release //p' "$name.versions")"
  printf '__attribute__((used)) const char gosvc_standin_banner[] =\n  "GNU C Library (gosvc.hardening test stand-in, %s) stable release version %s.\\n";\n' \
    "$name" "$release" >"$tmp/standin.c"
  : >"$tmp/standin.map"
  while read -r v; do
    case "$v" in '#'* | release\ * | '') continue ;; esac
    sym="gosvc_standin_$(echo "$v" | tr -c 'A-Za-z0-9\n' '_')"
    echo "int $sym(void) { return 0; }" >>"$tmp/standin.c"
    if [ -s "$tmp/standin.map" ]; then local_all=""; else local_all=" local: *;"; fi
    case "$v" in
      GLIBC_[0-9]*) echo "$v { global: $sym;$local_all } $prev;" >>"$tmp/standin.map"; prev="$v" ;;
      *) echo "$v { global: $sym;$local_all };" >>"$tmp/standin.map" ;;
    esac
  done <"$name.versions"
  sed -i 's/ ;$/;/' "$tmp/standin.map"
  mkdir -p "libc-standin/$name"
  gcc "$m" -shared -fPIC -nostdlib -Os -s -Wl,-soname,libc.so.6 -Wl,--version-script="$tmp/standin.map" \
    -Wl,--build-id=none -Wl,--hash-style=gnu -o "libc-standin/$name/libc.so.6" "$tmp/standin.c"
  rm -rf "$tmp"
}

if [ "${1:-}" = capture ]; then
  capture "$2" "$3" "$4"
  exit 0
fi

musl-gcc -Os -s -Wl,--build-id=none -o hello-musl-x86_64 hello.c
gcc -m32 -Os -s -Wl,--build-id=none -o hello-glibc-i386 hello.c
standin debian11-amd64 -m64
standin debian12-i386 -m32
# Data, not programs to run from the checkout (the tests read them; one runs them through a loader).
chmod 0644 hello-musl-x86_64 hello-glibc-i386 libc-standin/*/libc.so.6
sha256sum hello-musl-x86_64 hello-glibc-i386 libc-standin/*/libc.so.6
