#!/usr/bin/env bash
# Build the demo service's releases reproducibly into .cache/demo/dist/<version>/
# with a goreleaser-style checksums.txt beside each binary. Cached on the
# source: nothing is rebuilt when neither the source nor the Go version changed.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$GOSVC_ROOT/demo/goservice"
third="$GOSVC_ROOT/demo/thirdparty"
dist="$GOSVC_CACHE/demo/dist"
versions=("${@:-1.0.0 2.0.0 3.0.0}")
# shellcheck disable=SC2206
versions=(${versions[*]})

key="$( (cd "$GOSVC_ROOT/demo" && find goservice thirdparty -type f \( -name '*.go' -o -name go.mod -o -name build.sh \) ! -name '*_test.go' -print0 \
  | sort -z | xargs -0 sha256sum; go version) | sha256sum | cut -c1-16)"

for v in "${versions[@]}"; do
  out="$dist/$v"
  if [ "$(cat "$out/.key" 2>/dev/null)" = "$key" ] && [ -x "$out/gosvc-demo" ]; then
    echo "demo $v is up to date ($(grep "  gosvc-demo$" "$out/checksums.txt" | cut -d' ' -f1))"
    continue
  fi
  mkdir -p "$out"
  "$src/build.sh" "$v" "$out/gosvc-demo" >/dev/null
  # A service written by someone else, published the goreleaser way: an
  # archive holding the binary, listed in the same checksums.txt.
  stage="$(mktemp -d)"
  mkdir -p "$stage/thirdparty-exporter_${v}_linux_amd64"
  (cd "$third" && CGO_ENABLED=0 GOFLAGS='' go build -trimpath -buildvcs=false \
    -ldflags "-s -w -buildid= -X main.version=$v" -o "$stage/thirdparty-exporter_${v}_linux_amd64/thirdparty-exporter" .)
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$stage" \
    -czf "$out/thirdparty-exporter_${v}_linux_amd64.tar.gz" "thirdparty-exporter_${v}_linux_amd64"
  cp "$stage/thirdparty-exporter_${v}_linux_amd64/thirdparty-exporter" "$out/thirdparty-exporter"
  rm -rf "$stage"
  (cd "$out" && sha256sum gosvc-demo "thirdparty-exporter_${v}_linux_amd64.tar.gz" thirdparty-exporter > .checksums.txt.tmp \
    && mv -f .checksums.txt.tmp checksums.txt)
  echo "$key" > "$out/.key"
  echo "demo $v built: $(grep "  gosvc-demo$" "$out/checksums.txt" | cut -d' ' -f1)"
done

# Two builds of the exporter that not every test host can run, for the checks
# that refuse such a binary before the host is touched (molecule/edges): a
# CGO build, dynamically linked against this machine's glibc (built on Debian
# 12 it needs GLIBC_2.34, which Debian 11's glibc 2.31 lacks), and a build for
# linux/arm64.
out="$dist/runnable"
if [ "$(cat "$out/.key" 2>/dev/null)" = "$key" ] && [ -x "$out/thirdparty-exporter-cgo" ]; then
  echo "runnable-check builds are up to date"
else
  mkdir -p "$out"
  (cd "$third" && CGO_ENABLED=1 GOFLAGS='' go build -trimpath -buildvcs=false \
    -ldflags "-s -w -buildid= -X main.version=cgo" -o "$out/thirdparty-exporter-cgo" .)
  (cd "$third" && CGO_ENABLED=0 GOOS=linux GOARCH=arm64 GOFLAGS='' go build -trimpath -buildvcs=false \
    -ldflags "-s -w -buildid= -X main.version=arm64" -o "$out/thirdparty-exporter-arm64" .)
  (cd "$out" && sha256sum thirdparty-exporter-cgo thirdparty-exporter-arm64 > .checksums.txt.tmp \
    && mv -f .checksums.txt.tmp checksums.txt)
  echo "$key" > "$out/.key"
  echo "runnable-check builds: $(tr '\n' ' ' < "$out/checksums.txt")"
fi
