#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine too: installs what is missing, builds dabs in
# build/ (every executable in build/bin/), starts a 3-server farm on this machine with the
# example applications (scripts/demo/farm.yaml) and shows it serving: sessions opened
# through the farm's group and placed by voting, calculator and echo requests, a cold start,
# the operator's views (dabsctl); then dabs-emu drives 2,000 emulated set-tops against it
# for 60 s (emulator/scenarios/demo.yaml: DOCSIS, OOB and dial-up set-tops, the calculator
# and echo) and leaves its report in build/demo-report/; then 400 set-tops buy pay-per-view
# events for 20 s (emulator/scenarios/ppv.yaml, report in build/ppv-report/); then a clean stop.
#
#   scripts/run.sh           # the whole job
#   scripts/run.sh --keep    # ... and leave the farm running until Ctrl-C
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
keep=0
[[ ${1:-} == --keep ]] && keep=1

echo "== dependencies"
scripts/install-deps.sh

echo "== build in build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

bin=$root/build/bin
state=$root/build/demo-farm
rm -rf "$state"
group=239.192.10.1:7400
# The farm's identity key (farm.identity_key in the demo farm file): made once, kept.
keys=$root/build/demo-keys
mkdir -p "$keys"
[[ -f $keys/identity.pem ]] || "$bin/dabsctl" keygen --out "$keys/identity.pem" >/dev/null
ctl() { "$bin/dabsctl" --state-dir "$state" "$@"; }

echo "== a 3-server farm on this machine (state in build/demo-farm, logs in build/demo-farm/s*/logs)"
out=$(mktemp)
"$bin/dabs-farm" up --farm scripts/demo/farm.yaml --servers 3 --state-dir "$state" >"$out" &
farm=$!
trap 'kill -INT $farm 2>/dev/null; wait $farm 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 300); do grep -q '^farm ready' "$out" && break; sleep 0.1; done
grep '^farm ready' "$out" || { echo "the farm did not come up; see $state/*/logs" >&2; exit 1; }
sleep 1.5  # the first statistics round
ctl servers
ctl dasps

echo "== sessions through the group, placed by voting"
for i in 1 2 3; do
  "$bin/mpcat" send "$group" --group --app echo --payload-text "hello from set-top $i"
done
echo "calculator: 40 + 2 (INT_OP), then 1.5 x 4 (FLOAT_OP)"
"$bin/mpcat" send "$group" --group --app calculator --command 0x0100 \
  --payload-hex 0100000000000000280000000000000002
"$bin/mpcat" send "$group" --group --app calculator --command 0x0101 \
  --payload-hex 033ff80000000000004010000000000000
echo "counter: its first session starts a DASP (a cold start)"
"$bin/mpcat" send "$group" --group --app counter --command 0x0100 --payload-hex 0000000000000005
echo "ppv: the first 4 events of the pay-per-view catalogue (CATALOGUE)"
"$bin/mpcat" send "$group" --group --app ppv --encrypt --farm-public-key "$keys/identity.pem.pub" \
  --command 0x0100 --payload-hex 000000000004
echo "an application the farm does not run:"
"$bin/mpcat" send "$group" --group --app weather || true

echo "== 2,000 echoes through one placed session"
"$bin/mpcat" send "$group" --group --app echo --payload-hex 00010203 --quiet --count 2000

echo "== the operator's views"
ctl decisions --last 6
ctl dasps
ctl stats
echo "the farm key every server seals with, and what each daemon refused:"
ctl keys list
ctl security

echo "== 2,000 emulated set-tops for 60 s (emulator/scenarios/demo.yaml; report in build/demo-report/)"
rm -rf "$root/build/demo-report"
"$bin/dabs-emu" run emulator/scenarios/demo.yaml --farm scripts/demo/farm.yaml --farm-state "$state" \
  --report "$root/build/demo-report"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({k: r[k] for k in ["stbs","sessions_opened","sessions_failed","requests_ok","requests_failed","latency_ms","sessions_by_server"]}, indent=1))' \
  "$root/build/demo-report/report.json"
echo "charts: build/demo-report/sessions_by_server.svg, build/demo-report/latency_cdf.svg; per second: build/demo-report/timeline.csv"

echo "== pay-per-view: 400 set-tops browse and buy for 20 s (emulator/scenarios/ppv.yaml; report in build/ppv-report/)"
rm -rf "$root/build/ppv-report"
"$bin/dabs-emu" run emulator/scenarios/ppv.yaml --farm scripts/demo/farm.yaml --farm-state "$state" \
  --report "$root/build/ppv-report" --quiet
ctl stats

if [[ $keep == 1 ]]; then
  echo "== the farm keeps running: try  build/bin/dabsctl --state-dir build/demo-farm servers  (Ctrl-C stops it)"
  wait $farm
fi
echo "== stopping the farm"
kill -INT $farm
wait $farm
trap - EXIT
rm -f "$out"
echo "== done"
