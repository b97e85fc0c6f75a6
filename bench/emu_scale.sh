#!/usr/bin/env bash
# One dabs-emu process drives 100,000 idle set-tops in gateway mode against a 3-server farm
# on loopback; prints one JSON object: the run's counts and the emulator's resident memory
# per open set-top (its growth from start to the peak, over the sessions open at the peak).
#   bench/emu_scale.sh [BUILD_DIR] [STBS]        (default build, 100000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
stbs=${2:-100000}
bin=$build/bin
dir=$(mktemp -d /tmp/emu-scale.XXXX)
cat >"$dir/farm.yaml" <<YAML
farm: {name: scale, group: 239.192.55.1:7450, stats_group: 239.192.55.2:7450, config_group: 239.192.55.3:7450,
       interface: 127.0.0.1, heartbeat_ms: 250, lease_ms: 1000}
apps:
  - name: echo
    dasp: $bin/echo-dasp
    start_at_init: 1
    limits: {farm: {instances: 16, sessions: 200000}, instance: {sessions: 60000}}
YAML
"$bin/dabs-farm" up --farm "$dir/farm.yaml" --servers 3 --state-dir "$dir/farm" --daemons dabs-lbd >"$dir/farm.out" 2>&1 &
farm=$!
trap 'kill -INT $farm 2>/dev/null; wait $farm 2>/dev/null; [[ -n ${KEEP:-} ]] || rm -rf "$dir"' EXIT
for _ in $(seq 300); do grep -q '^farm ready' "$dir/farm.out" && break; sleep 0.1; done
"$bin/dabs-emu" run "$root/bench/scenarios/scale-100k.yaml" --stbs "$stbs" --farm "$dir/farm.yaml" \
  --farm-state "$dir/farm" --report "$dir/report" --quiet --drain 30 >&2
python3 - "$dir/report/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m = r["memory"]
print(json.dumps({"stbs": r["stbs"], "sessions_opened": r["sessions_opened"], "sessions_failed": r["sessions_failed"],
                  "peak_sessions_open": m["peak_sessions_open"], "sockets": r["sockets"],
                  "rss_start_kb": m["rss_start_kb"], "rss_peak_kb": m["rss_peak_kb"],
                  "bytes_per_idle_stb": round(m["bytes_per_open_stb"]), "target_bytes_per_idle_stb": 4096}))
PY
