#!/usr/bin/env bash
# Prove one more ansible-core release claimed in meta/runtime.yml: in a
# virtualenv of its own, run the unit tests, ansible-test sanity, and a real
# deploy + verify of the demo into fresh systemd containers, then a second
# run that must change nothing.
#   scripts/compat.sh 2.17.14
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GOSVC_ROOT"

core="${1:?usage: compat.sh <ansible-core version>}"
venv="$GOSVC_CACHE/venv-core-$core"
main_site="$("$GOSVC_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
reqs=("ansible-core==$core" "$(grep -E '^pytest==' tests/requirements.txt)" "$(grep -E '^sigstore==' tests/requirements.txt)")
want="$(printf '%s\n' "${reqs[@]}" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$venv/.gosvc-requirements.sha256" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "${reqs[@]}"
  echo "$want" > "$venv/.gosvc-requirements.sha256"
fi
export PATH="$venv/bin:$PATH"
# community.docker (the demo's connection plugin) comes from the main venv's
# pinned `ansible` package; the collection under test from the checkout.
export ANSIBLE_COLLECTIONS_PATH="$GOSVC_CACHE/collections:$main_site"
version_line="$(ansible --version)"
version_line="${version_line%%$'\n'*}"
echo "$version_line"
[[ "$version_line" == *"core $core]"* ]] || die "expected ansible-core $core, found: $version_line"

step "unit tests on ansible-core $core" python -m pytest -q -p no:cacheprovider
step "sanity on ansible-core $core" scripts/sanity.sh --test validate-modules --test import --test compile \
  --test action-plugin-docs --test ansible-doc --test runtime-metadata --test yamllint

docker rm -f gosvc-demo-debian11 gosvc-demo-debian12 gosvc-demo-debian13 >/dev/null 2>&1 || true
step "deploy + verify on ansible-core $core" ansible-playbook -i demo/inventory demo/site.yml
out="$(mktemp)"
step "no-change re-run on ansible-core $core" ansible-playbook -i demo/inventory demo/site.yml | tee "$out"
if grep -E '^gosvc-demo-[^ ]+ +: .*changed=[1-9]' "$out"; then
  die "the second run on ansible-core $core changed something (see above)"
fi
