#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer + UndefinedBehaviorSanitizer)
# and runs each for SECONDS (default 600: the longer run). The test command runs it with
# a short smoke time. Seeds come from the spec's test vectors; crashes land in
# fuzz-artifacts/.
#   scripts/fuzz.sh            # ten minutes per target
#   scripts/fuzz.sh 20         # a smoke run
set -euo pipefail
seconds=${1:-600}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
cd "$root"
scripts/install-deps.sh >/dev/null
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDABS_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_datagram fuzz_reassembly

corpus=$build/corpus
mkdir -p "$corpus/datagram" "$corpus/reassembly" "$root/fuzz-artifacts"
# Seed the datagram fuzzer with every vector of the spec.
python3 - "$root/docs/spec/mp-vectors.json" "$corpus/datagram" <<'PY'
import json, sys, pathlib
vectors = json.load(open(sys.argv[1]))["vectors"]
for i, v in enumerate(vectors):
    pathlib.Path(sys.argv[2], f"vector-{i}").write_bytes(bytes.fromhex(v["hex"]))
PY

status=0
for target in datagram reassembly; do
  [ -x "$build/bin/fuzz_$target" ] || { echo "fuzz: $build/bin/fuzz_$target was not built" >&2; exit 1; }
  echo "fuzz: fuzz_$target for ${seconds}s"
  if ! "$build/bin/fuzz_$target" -max_total_time="$seconds" -max_len=600 \
      -artifact_prefix="$root/fuzz-artifacts/$target-" -print_final_stats=1 \
      "$corpus/$target" 2> "$build/fuzz_$target.log"; then
    echo "fuzz: fuzz_$target FOUND A CRASH; see $build/fuzz_$target.log and fuzz-artifacts/" >&2
    tail -40 "$build/fuzz_$target.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$build/fuzz_$target.log" | tail -2
  fi
done
exit $status
