#!/usr/bin/env bash
# Prove the collection tarball is complete and holds nothing else (see build_ignore
# in galaxy.yml): build it, check its entries, install the tarball into
# an empty path, and render every module, filter, lookup and role with ansible-doc from there.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GOSVC_ROOT"

work="$(mktemp -d "${TMPDIR:-/tmp}/gosvc-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
ansible-galaxy collection build --output-path "$work/dist" .
tarballs=("$work"/dist/gosvc-hardening-*.tar.gz)
tarball="${tarballs[0]}"
entries="$(tar -tzf "$tarball")"
echo "tarball: $(basename "$tarball") ($(du -h "$tarball" | cut -f1)), $(wc -l <<< "$entries") entries"
# What users need and nothing else: no virtualenvs, caches, reports, changelog
# fragments (antsibull-changelog input; ansible-lint would read them as
# playbooks), test beds or scripts that only work from the checkout.
dev_files="$(grep -E '(^|/)(\.venv|\.cache|\.git|\.github|\.pytest_cache|\.ruff_cache|\.mypy_cache|\.tox|\.ansible|__pycache__)(/|$)|^(molecule|reports|scripts|benchmarks|demo|build|changelogs/fragments)(/|$)|\.pyc$|\.tar\.gz$|(^|/)importer_result\.json$' <<< "$entries" || true)"
[ -z "$dev_files" ] || die "the tarball contains development files (see build_ignore in galaxy.yml):
$dev_files"
# Under tests/ only what ansible-test runs from the installed path: sanity ignore files.
stray_tests="$(grep -E '^tests/' <<< "$entries" | grep -vxE 'tests/|tests/sanity/|tests/sanity/ignore-[0-9.]+\.txt' || true)"
[ -z "$stray_tests" ] || die "the tarball contains tests that cannot run from the installed collection (see build_ignore in galaxy.yml):
$stray_tests"
# What Galaxy shows and galaxy-importer requires: the collection and role READMEs.
required=(README.md COPYING meta/runtime.yml changelogs/changelog.yaml)
for r in $(find "$GOSVC_ROOT/roles" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort); do
  required+=("roles/$r/README.md")
done
for f in "${required[@]}"; do
  grep -qxF "$f" <<< "$entries" || die "the tarball lacks $f"
done
echo "tarball contents: no development files; has ${required[*]}"
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
