# shellcheck shell=bash
# The Debian releases the test bed covers, with their suite names. Sourced by
# the image build script and the test runner.
export GOSVC_RELEASES=(debian11 debian12 debian13)
gosvc_suite() {
  case "$1" in
    debian11) echo bullseye ;;
    debian12) echo bookworm ;;
    debian13) echo trixie ;;
    *) return 1 ;;
  esac
}
