#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer + UndefinedBehaviorSanitizer,
# assertions on) in build-fuzz/ and runs each in turn for SECONDS (default 600). The
# targets, their input limits and dictionaries are listed once, in tests/fuzz/CMakeLists.txt
# (which writes build-fuzz/fuzz-targets.txt for this script); each target writes its own
# seeds (encodings made by the codecs, the repository's examples) before its run.
#   scripts/fuzz.sh                    # the long run: ten minutes per target
#   scripts/fuzz.sh 3600               # an hour per target
#   scripts/fuzz.sh 10                 # the smoke run scripts/test.sh does
#   scripts/fuzz.sh 300 farm_file      # only the targets named
# Prints one line per target (executions, coverage, features, corpus). A crash, a leak, a
# timeout, an allocation over 64 MB or a broken property prints the tail of that target's
# log and the input's path (fuzz-artifacts/), and the script exits non-zero once every
# target has run. The corpus grows across runs in build-fuzz/corpus/.
set -euo pipefail
seconds=${1:-600}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
cd "$root"
scripts/install-deps.sh >/dev/null
# -O1 -g1 as libFuzzer's documentation suggests, and as the test build (decision D71).
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DDABS_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_all

# name max_len dict, one target a line.
mapfile -t targets < <(grep -v '^#' "$build/fuzz-targets.txt")
if [ $# -gt 0 ]; then
  wanted=" $* "
  mapfile -t targets < <(printf '%s\n' "${targets[@]}" | while read -r n rest; do
    [[ $wanted == *" $n "* ]] && echo "$n $rest"; done)
  [ ${#targets[@]} -gt 0 ] || { echo "fuzz: no target named $*" >&2; exit 1; }
fi

mkdir -p "$root/fuzz-artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
started=$SECONDS
for line in "${targets[@]}"; do
  read -r name max_len dict <<<"$line"
  bin=$build/bin/fuzz_$name
  log=$build/fuzz_$name.log
  corpus=$build/corpus/$name
  seeds=$build/seeds/$name
  [ -x "$bin" ] || { echo "fuzz: $bin was not built" >&2; exit 1; }
  rm -rf "$seeds"
  mkdir -p "$corpus"
  DABS_FUZZ_SEED_DIR=$seeds "$bin" >/dev/null
  options=(-max_total_time="$seconds" -max_len="$max_len" -timeout=10 -malloc_limit_mb=64
           -artifact_prefix="$root/fuzz-artifacts/$name-" -print_final_stats=1)
  [ "$dict" = "-" ] || options+=(-dict="$dict")
  if "$bin" "${options[@]}" "$corpus" "$seeds" >"$log" 2>&1; then
    # "#123 DONE cov: 456 ft: 789 corp: 12/3456b ..." and the final stats.
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE ' "$log" | tail -1 || true)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    printf 'fuzz: %-16s %4ss %11s runs  cov %-5s ft %-6s corpus %s\n' "$name" "$seconds" \
      "$runs" "$(awk '{for(i=1;i<NF;i++) if($i=="cov:") print $(i+1)}' <<<"$done_line")" \
      "$(awk '{for(i=1;i<NF;i++) if($i=="ft:") print $(i+1)}' <<<"$done_line")" \
      "$(awk '{for(i=1;i<NF;i++) if($i=="corp:") print $(i+1)}' <<<"$done_line")"
  else
    status=1
    echo "fuzz: $name FAILED; its log: $log" >&2
    tail -40 "$log" >&2
    grep -E 'Test unit written to|artifact_prefix' "$log" >&2 || true
  fi
done
echo "fuzz: ${#targets[@]} targets in $((SECONDS - started)) s$([ $status -eq 0 ] || echo ', FAILURES above')"
exit $status
