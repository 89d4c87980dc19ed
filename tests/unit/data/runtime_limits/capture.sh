#!/bin/sh
# Recipe of the captures beside this file (README.md): run inside a fresh gosvc-systemd container,
#   docker cp capture.sh <container>:/root/capture.sh
#   docker exec <container> sh /root/capture.sh /root/out
#   docker cp <container>:/root/out/. debian12/
# It installs four units running /bin/sleep with and without CPU and memory limits, then saves what
# service_probe reads for the runtime_limits check: `systemctl show` of the report's properties plus
# CPUQuotaPerSecUSec and MemoryMax, and /proc/<MainPID>/environ (NUL-separated, unchanged).
set -eu
out=$1
mkdir -p "$out"
unit() {
    printf '[Service]\nExecStart=/bin/sleep 86400\n%b' "$2" > "/etc/systemd/system/$1.service"
}
unit limits 'CPUQuota=150%\nMemoryMax=512M\nEnvironment=GOMAXPROCS=2 GOMEMLIMIT=483183820 API_TOKEN=s3cret\n'
unit quarter 'CPUQuota=25%\nMemoryMax=50%\n'
unit wide 'CPUQuota=9000%\nMemoryMax=infinity\nEnvironment=GOMAXPROCS=64 GOMEMLIMIT=off\n'
unit nolimits ''
systemctl daemon-reload
keys=LoadState,ActiveState,SubState,Result,MainPID,NRestarts,User,InvocationID,ExecMainStartTimestamp,CPUQuotaPerSecUSec,MemoryMax
for name in limits quarter wide nolimits; do
    systemctl start "$name.service"
    systemctl show -p "$keys" "$name.service" > "$out/$name.show.txt"
    cat "/proc/$(systemctl show -p MainPID --value "$name.service")/environ" > "$out/$name.environ"
done
systemctl --version | head -1 > "$out/version.txt"
