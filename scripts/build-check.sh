#!/usr/bin/env bash
# Prove the collection tarball is complete: build it, install the tarball into
# an empty path, and render every module, filter, lookup and role with ansible-doc from there.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GOSVC_ROOT"

work="$(mktemp -d "${TMPDIR:-/tmp}/gosvc-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
ansible-galaxy collection build --output-path "$work/dist" .
tarballs=("$work"/dist/gosvc-hardening-*.tar.gz)
tarball="${tarballs[0]}"
echo "tarball: $(basename "$tarball") ($(du -h "$tarball" | cut -f1)), $(tar -tzf "$tarball" | wc -l) entries"
if tar -tzf "$tarball" | grep -E '(^|/)(\.venv|\.cache|tests/unit|molecule|__pycache__|\.git)(/|$)'; then
  die "the tarball contains development files (see build_ignore in galaxy.yml)"
fi
# Only the installed copy may be visible: not the checkout link, not a copy
# that ansible-lint or a user put in ~/.ansible/collections.
export ANSIBLE_COLLECTIONS_PATH="$work/installed"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
ansible-galaxy collection install --offline --force -p "$work/installed" "$tarball" >/dev/null
[ -f "$work/installed/ansible_collections/gosvc/hardening/MANIFEST.json" ] || die "the tarball did not install"
cd "$work"
modules=$(find "$GOSVC_ROOT/plugins/modules" -maxdepth 1 -name '*.py' ! -name '__init__.py' -printf '%f\n' | sed 's|\.py$||' | sort)
for m in $modules; do
  ansible-doc -t module "gosvc.hardening.$m" >/dev/null || die "ansible-doc failed for module $m"
  echo "ansible-doc module gosvc.hardening.$m: ok"
done
# Filters are documented in plugins/filter/<name>.yml, lookups in their .py.
plugins="$(sed -n 's/^  name: /filter /p' "$GOSVC_ROOT"/plugins/filter/*.yml)
$(find "$GOSVC_ROOT/plugins/lookup" -maxdepth 1 -name '*.py' -printf 'lookup %f\n' | sed 's|\.py$||')"
while read -r kind name; do
  ansible-doc -t "$kind" "gosvc.hardening.$name" >/dev/null || die "ansible-doc failed for $kind $name"
  echo "ansible-doc $kind gosvc.hardening.$name: ok"
done <<< "$plugins"
for r in $(find "$GOSVC_ROOT/roles" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort); do
  ansible-doc -t role "gosvc.hardening.$r" >/dev/null || die "ansible-doc failed for role $r"
  echo "ansible-doc role gosvc.hardening.$r: ok"
done
listed=$(ansible-doc -t module -l gosvc.hardening | wc -l)
[ "$listed" -eq "$(echo "$modules" | wc -w)" ] || die "ansible-doc lists $listed modules, expected $(echo "$modules" | wc -w)"
