#!/usr/bin/env bash
# The main job: set everything up, then deploy the demo Go service into three
# local systemd containers (Debian 11, 12, 13) and verify it. Ends with a
# per-host summary (version, user, health, exposure). Safe to re-run.
#   scripts/demo.sh [extra ansible-playbook args, e.g. -e gosvc_demo_version=2.0.0]
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$GOSVC_ROOT/scripts/bootstrap.sh"
cd "$GOSVC_ROOT"
step "demo deploy + verify" ansible-playbook -i demo/inventory demo/site.yml "$@"
cat <<MSG

The demo containers keep running. Look around:
  docker exec gosvc-demo-debian12 systemctl status demo
  docker exec gosvc-demo-debian12 systemd-analyze security demo.service
  docker exec gosvc-demo-debian12 journalctl -u demo -n 5 -o cat
Reports: $GOSVC_ROOT/reports/verify/<host>.json (JSON) and <host>.xml (JUnit), fleet-summary.json
Remove them: docker rm -f gosvc-demo-debian11 gosvc-demo-debian12 gosvc-demo-debian13
MSG
