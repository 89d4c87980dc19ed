# shellcheck shell=sh
# gosvc.hardening.go_service: `systemd-analyze verify` a service unit together
# with its overrides drop-in, in a scratch directory, and fail on what verify
# only warns about. systemd ignores a line it cannot use (an unknown key or
# section, a value it fails to parse) and verify still exits 0; the unit would
# then run without what was written. Measured on systemd 247, 252 and 257:
# verify of DIR/NAME also loads DIR/NAME.d/*.conf, and reports each such line
# as FILE:LINE: MESSAGE ending in "ignoring" (or "Ignoring.", "is ignored").
#
# Not a standalone file on the host: the role runs it as
#   /bin/sh -c "<this text>" unit-verify MODE NAME UNIT [DROPIN]
# MODE    strict: verify itself must pass as well (the release is installed);
#         syntax: only ignored lines count (run before anything is installed,
#         when the ExecStart= binary may not exist yet)
# NAME    the unit's name, e.g. demo.service
# UNIT    the unit's content, or @PATH of a file holding it
# DROPIN  the content of NAME.d/50-gosvc-overrides.conf, or @PATH; optional
# Prints each ignored line as PATH:LINE: MESSAGE [THE LINE], PATH being where
# the file is installed. Exit status: 0 clean, 1 ignored lines, 2 verify
# failed (strict), 3 could not run. In a template's validate= every percent
# sign of this text must be doubled (the module formats the command with it).
set -u
mode=${1:?mode}
name=${2:?unit name}
unit=${3:?unit}
dropin=${4:-}
dest=/etc/systemd/system

say() {
  cat <<EOF
$*
EOF
}

put() {
  case $1 in
    @*) cat "${1#@}" ;;
    *) say "$1" ;;
  esac >"$2"
}

d=$(mktemp -d) || exit 3
trap 'rm -rf "$d"' EXIT
put "$unit" "$d/$name" || exit 3
if [ -n "$dropin" ]; then
  mkdir "$d/$name.d" || exit 3
  put "$dropin" "$d/$name.d/50-gosvc-overrides.conf" || exit 3
fi

out=$(SYSTEMD_LOG_COLOR=0 SYSTEMD_COLORS=0 LC_ALL=C systemd-analyze verify --man=no "$d/$name" 2>&1)
rc=$?

# Lines about our two files (FILE:LINE: ...) that say systemd drops something.
ignored=$(say "$out" | grep -E "^$d/[^:]+:[0-9]+: " | grep -Ei "ignor(ing|ed)|unknown (key|lvalue|section)|failed to parse")
if [ -n "$ignored" ]; then
  say "$ignored" | while IFS= read -r line; do
    file=${line%%:*}
    rest=${line#*:}
    source=$(sed -n "${rest%%:*}p" "$file")
    say "$dest/${file#"$d"/}:$rest [$source]"
  done
  exit 1
fi
if [ "$mode" = strict ] && [ "$rc" -ne 0 ]; then
  say "systemd-analyze verify exited with $rc:"
  say "$out" | sed "s|$d/|$dest/|g"
  exit 2
fi
exit 0
