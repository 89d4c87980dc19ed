#!/usr/bin/env bash
# Run `ansible-test sanity --local` from a clean ansible_collections/gosvc/hardening
# copy of the checkout (tracked and new, non-ignored files only), so neither
# the virtualenv nor tests/output is inside the tree it checks.
#   scripts/sanity.sh [ansible-test sanity options, e.g. --test validate-modules]
# The python interpreter is the one of the active ansible-core (the venv).
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ansible-test fetches a pip bootstrap script from a host CI cannot reach; it
# uses a cached copy when one exists. Provide an offline stand-in for each
# pip version this ansible-test may ask for.
py="$(command -v python)"
pip_versions="$("$py" - <<'PY'
import pathlib, re
import ansible_test
src = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(" ".join(sorted(set(re.findall(r"pip=['\"]([0-9.]+)['\"]", src)))))
PY
)"
[ -n "$pip_versions" ] || die "could not find the pip version ansible-test bootstraps"
mkdir -p "$HOME/.ansible/test/cache"
for v in $pip_versions; do
  install -m 0644 "$GOSVC_ROOT/tests/sanity/get_pip_standin.py" "$HOME/.ansible/test/cache/get_pip_${v//./_}.py"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/gosvc-sanity.XXXXXX")"
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/gosvc/hardening"
mkdir -p "$dest"
(cd "$GOSVC_ROOT" && git ls-files -z --cached --others --exclude-standard \
  | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
  | tar --null -T - -cf -) | tar -C "$dest" -xf -
# ansible-test sanity looks at git to find files; give it a repository of its own.
(cd "$dest" && git init -q && git add -A && git -c user.email=ci@localhost -c user.name=ci commit -qm sanity)
cd "$dest"
ansible-test sanity --local --python "$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --color no "$@"
