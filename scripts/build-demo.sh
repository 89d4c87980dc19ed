#!/usr/bin/env bash
# Build the demo service's releases reproducibly into .cache/demo/dist/<version>/
# with a goreleaser-style checksums.txt beside each binary. Cached on the
# source: nothing is rebuilt when neither the source nor the Go version changed.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$GOSVC_ROOT/demo/goservice"
dist="$GOSVC_CACHE/demo/dist"
versions=("${@:-1.0.0 2.0.0 3.0.0}")
# shellcheck disable=SC2206
versions=(${versions[*]})

key="$( (cd "$src" && find . -type f \( -name '*.go' -o -name go.mod -o -name build.sh \) ! -name '*_test.go' -print0 \
  | sort -z | xargs -0 sha256sum; go version) | sha256sum | cut -c1-16)"

for v in "${versions[@]}"; do
  out="$dist/$v"
  if [ "$(cat "$out/.key" 2>/dev/null)" = "$key" ] && [ -x "$out/gosvc-demo" ]; then
    echo "demo $v is up to date ($(cut -d' ' -f1 "$out/checksums.txt"))"
    continue
  fi
  mkdir -p "$out"
  "$src/build.sh" "$v" "$out/gosvc-demo" >/dev/null
  (cd "$out" && sha256sum gosvc-demo > checksums.txt)
  echo "$key" > "$out/.key"
  echo "demo $v built: $(cut -d' ' -f1 "$out/checksums.txt")"
done
