#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine too: installs what is missing, builds dabs in
# build/ (every executable in build/bin/), and runs the main job.
#
# Today the main job shows the message protocol at work: an `mpcat listen` echo responder,
# a session opened to it, small and multi-buffer echoes, round-trip percentiles, and a quick
# benchmark against raw UDP. (The local farm and the set-top emulator replace it as they
# land; see README.md.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

echo "== dependencies"
scripts/install-deps.sh

echo "== build in build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

bin=$root/build/bin
echo "== an echo responder"
out=$(mktemp)
"$bin/mpcat" listen --port 0 >"$out" 2>/dev/null &
listener=$!
trap 'kill $listener 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q '^listening' "$out" && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening //p' "$out")
echo "mpcat listen on $endpoint"

echo "== a session, one echo"
"$bin/mpcat" send "$endpoint" --payload-text "hello, head-end"
echo "== a 200 kB message each way (406 buffers)"
"$bin/mpcat" send "$endpoint" --payload-size 200000 --quiet --count 5
echo "== 2,000 round trips"
"$bin/mpcat" send "$endpoint" --payload-hex 00010203 --quiet --count 2000

echo "== the protocol against raw UDP (quick run; full run: build/bin/mp_bench --json)"
"$bin/mp_bench" --quick 2>/dev/null
