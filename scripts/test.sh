#!/usr/bin/env bash
# Runs the whole test suite, on a fresh Debian 12 machine too:
#   1. installs what is missing (scripts/install-deps.sh),
#   2. builds everything with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/,
#   3. runs every test (unit, loopback, integration, multi-process) with ctest,
#   4. runs each libFuzzer target for a short smoke time (scripts/fuzz.sh; 10 s each,
#      about 2-3 minutes in all; DABS_FUZZ_SECONDS sets the time per target).
# Exits non-zero if anything fails. Usage: scripts/test.sh [ctest arguments...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)

echo "== dependencies"
scripts/install-deps.sh

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer) in build-asan/"
# -O1 -g1: half the compile time of -O2 -g on 2 cores (the suite must stay under 45 minutes),
# and still line numbers in every sanitizer report (decision D71).
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DDABS_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j "$jobs"

echo "== tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j "$jobs" --timeout 900 "$@")

echo "== fuzz smoke"
scripts/fuzz.sh "${DABS_FUZZ_SECONDS:-10}"

echo "== all tests passed"
