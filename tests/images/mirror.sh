# shellcheck shell=bash
# Sourced by tests/images/build.sh and scripts/fetch-debs.sh: where Debian
# packages come from on this machine.

# The first Debian archive URI configured on this machine (deb822 .sources
# files first, then one-line sources.list entries); security archives skipped.
apt_mirror() {
  if [ -n "${GOSVC_DEBIAN_MIRROR:-}" ]; then echo "$GOSVC_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(awk '
    tolower($1) == "uris:" { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }
  ' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | grep -v security | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { print $i; exit } }' | head -n1)
  fi
  if [ -z "$uri" ]; then
    echo "no Debian mirror found in /etc/apt/sources*; set GOSVC_DEBIAN_MIRROR=<url of a Debian archive>" >&2
    return 1
  fi
  echo "${uri%/}"
}

