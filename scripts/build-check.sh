#!/usr/bin/env bash
# Prove the collection tarball is complete: build it, install the tarball into
# an empty path, and render every module and role with ansible-doc from there.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GOSVC_ROOT"

work="$(mktemp -d "${TMPDIR:-/tmp}/gosvc-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
ansible-galaxy collection build --output-path "$work/dist" .
tarball="$(ls "$work"/dist/gosvc-hardening-*.tar.gz)"
echo "tarball: $(basename "$tarball") ($(du -h "$tarball" | cut -f1)), $(tar -tzf "$tarball" | wc -l) entries"
if tar -tzf "$tarball" | grep -E '(^|/)(\.venv|\.cache|tests/unit|molecule|__pycache__|\.git)(/|$)'; then
  die "the tarball contains development files (see build_ignore in galaxy.yml)"
fi
ansible-galaxy collection install --offline -p "$work/installed" "$tarball" >/dev/null
# Only the installed copy must be visible: no checkout link on the path.
export ANSIBLE_COLLECTIONS_PATH="$work/installed"
cd "$work"
modules=$(cd "$GOSVC_ROOT/plugins/modules" && ls ./*.py | sed 's|^\./||; s|\.py$||')
for m in $modules; do
  ansible-doc -t module "gosvc.hardening.$m" >/dev/null || die "ansible-doc failed for module $m"
  echo "ansible-doc module gosvc.hardening.$m: ok"
done
for r in $(cd "$GOSVC_ROOT/roles" && ls); do
  ansible-doc -t role "gosvc.hardening.$r" >/dev/null || die "ansible-doc failed for role $r"
  echo "ansible-doc role gosvc.hardening.$r: ok"
done
listed=$(ansible-doc -t module -l gosvc.hardening | wc -l)
[ "$listed" -eq "$(echo "$modules" | wc -w)" ] || die "ansible-doc lists $listed modules, expected $(echo "$modules" | wc -w)"
