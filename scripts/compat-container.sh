#!/usr/bin/env bash
# Run scripts/compat.sh for one ansible-core release with Debian 13's own
# Python (3.13) as the controller, for cores whose controller Python this
# machine does not have (ansible-core 2.20 and later need Python 3.12+; a
# Debian 12 machine has 3.11). scripts/compat.sh calls this by itself.
#   scripts/compat-container.sh 2.21.5
#
# The controller is a throw-away container of the image gosvc-controller:debian13:
# the Debian 13 test image (tests/images/build.sh) plus python3-venv, git,
# docker-cli and the tools the unit tests use, installed from the image's
# Debian mirror (the one tests/images/build.sh took from this machine's apt
# sources). The image is built once and labelled with a hash of its recipe;
# a re-run reuses it.
# The container gets the checkout at the same path (so paths in the
# inventory, the collection link and the reports stay valid), the Docker
# socket (the demo starts its systemd containers and reaches them with the
# docker connection), this machine's CA bundle and proxy settings (pip and
# ansible-test install from PyPI through them), and a home directory under
# .cache/ that keeps pip's, Go's and ansible-test's caches between runs. The
# compat virtualenv itself is made inside, in .cache/, by scripts/compat.sh.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GOSVC_ROOT"

core="${1:?usage: compat-container.sh <ansible-core version>}"
base="gosvc-systemd:debian13"
image="gosvc-controller:debian13"
# python3-venv: the compat virtualenv and ansible-test's; git: scripts/sanity.sh;
# docker-cli: the demo's docker connection; the rest: tools the unit tests
# use where present (go, readelf, zip, ip, capsh; gcc, gcc-multilib and
# musl-tools for the CGO, 32-bit and musl binaries), so the same tests run here
# as on this machine.
packages=(python3-venv git docker-cli golang-go binutils zip iproute2 libcap2-bin gcc gcc-multilib musl-tools)
home="$GOSVC_CACHE/compat-home/debian13"

# Only a Docker engine behind a unix socket can be handed to the container.
sock="/var/run/docker.sock"
if [ -n "${DOCKER_HOST:-}" ]; then
  [[ "$DOCKER_HOST" == unix://* ]] || die "DOCKER_HOST=$DOCKER_HOST: only a unix socket can be passed to the controller container"
  sock="${DOCKER_HOST#unix://}"
fi
[ -S "$sock" ] || die "no Docker socket at $sock (run scripts/bootstrap.sh docker)"

# What the container needs to reach PyPI and the Debian mirror the way this
# machine does: its CA bundle (TLS-inspecting proxies) and proxy variables.
net_opts=()
ca=/etc/ssl/certs/ca-certificates.crt
if [ -r "$ca" ]; then
  net_opts+=(-v "$ca:$ca:ro" -e "PIP_CERT=$ca")
fi
for var in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY PIP_INDEX_URL PIP_TRUSTED_HOST PIP_DEFAULT_TIMEOUT; do
  if [ -n "${!var:-}" ]; then net_opts+=(-e "$var"); fi
done

build_name="gosvc-compat-build-$$"
run_name="gosvc-compat-${core//./-}-$$"
# shellcheck disable=SC2064
trap "docker rm -f $build_name $run_name >/dev/null 2>&1 || true" EXIT

build_controller_image() {
  local name="$build_name"
  docker run --name "$name" "${GOSVC_DOCKER_CGROUP_OPTS[@]}" "${net_opts[@]}" -e DEBIAN_FRONTEND=noninteractive "$base" sh -ec '
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    apt-get clean
    rm -rf /var/lib/apt/lists/*
  ' sh "${packages[@]}"
  docker commit --change "LABEL gosvc.controller=$1" --change 'CMD ["bash"]' "$name" "$image" >/dev/null
  docker rm "$name" >/dev/null
}

ensure_controller_image() {
  "$GOSVC_ROOT/tests/images/build.sh" debian13
  local want current old
  want="$( (docker image inspect -f '{{ index .Config.Labels "gosvc.recipe" }}' "$base"
            printf '%s\n' "${packages[@]}"; declare -f build_controller_image) | sha256sum | cut -c1-16)"
  current="$(docker image inspect -f '{{ index .Config.Labels "gosvc.controller" }}' "$image" 2>/dev/null || true)"
  if [ "$current" = "$want" ]; then
    echo "controller image $image is up to date ($want)"
    return
  fi
  old="$(docker image inspect -f '{{ .Id }}' "$image" 2>/dev/null || true)"
  log "building the controller image $image: $base + ${packages[*]}"
  build_controller_image "$want"
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{ .Id }}' "$image")" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
  echo "built $image ($want)"
}

ensure_controller_image

# community.docker (the demo's connection plugin) comes from the main venv's
# pinned `ansible` package, as in scripts/compat.sh; it is plain Python and
# YAML, so the controller's Python can load it. Mount it when it lies outside
# the checkout.
main_site="$("$GOSVC_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
mounts=(-v "$GOSVC_ROOT:$GOSVC_ROOT" -v "$sock:/var/run/docker.sock")
case "$main_site/" in
  "$GOSVC_ROOT"/*) ;;
  *) mounts+=(-v "$main_site/ansible_collections:$main_site/ansible_collections:ro") ;;
esac

# Files made inside belong to the caller, not to root.
user_opts=(--user "$(id -u):$(id -g)" -e "USER=$(id -un)" -e "LOGNAME=$(id -un)")
if [ "$(id -u)" != 0 ]; then
  user_opts+=(--group-add "$(stat -c %g "$sock")")
fi

# The unit tests' download cache (third-party Go binaries) is this machine's,
# so the container finds what the unit stage already fetched.
test_cache="${GOSVC_TEST_CACHE:-$HOME/.cache/gosvc-hardening-tests}"
mkdir -p "$home" "$test_cache"
mounts+=(-v "$test_cache:$test_cache" -e "GOSVC_TEST_CACHE=$test_cache")
# As the image build above, the controller and (GOSVC_DOCKER_CGROUP_PARENT
# passed on) the demo's hosts go into the cgroup of the stages beside Molecule
# (GOSVC_DOCKER_CGROUP_OPTS, scripts/lib.sh).
docker run --rm --init --name "$run_name" "${GOSVC_DOCKER_CGROUP_OPTS[@]}" \
  "${mounts[@]}" "${net_opts[@]}" "${user_opts[@]}" \
  -w "$GOSVC_ROOT" \
  -e "HOME=$home" \
  -e GOSVC_COMPAT_CONTROLLER=here \
  -e GOSVC_COMPAT_PYTHON=/usr/bin/python3 \
  -e "GOSVC_COMPAT_COLLECTIONS=$main_site" \
  -e ANSIBLE_FORCE_COLOR -e PY_COLORS -e CI \
  -e GOSVC_DOCKER_CGROUP_PARENT \
  "$image" scripts/compat.sh "$core"
