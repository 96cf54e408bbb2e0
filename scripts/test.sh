#!/usr/bin/env bash
# README command 2 (and .ci/run): install what is missing, build with -Werror, run every test
# (unit, integration against real DCMTK peers, fuzz-corpus replay, packaging), then the unit and
# integration tests again built with AddressSanitizer and UBSan, then fuzz each decoder for a
# bounded time with libFuzzer (clang). SANITIZE=0 skips the sanitizer stage, FUZZ_SECONDS=0 the
# fuzzing (both run in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
start=$(date +%s)
BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh -DACC_BUILD_TESTS=ON -DACC_BUILD_BENCHMARKS=ON
echo "build: $(( $(date +%s) - start )) s"

ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j 2 --timeout 600
echo "tests: $(( $(date +%s) - start )) s"

# Sanitizer stage: every unit and integration test again, on a build instrumented with ASan and
# UBSan (the integration tests start this build's daemon, so the server runs instrumented too).
# Packaging tests and benchmarks are left out: they test files and timings, not memory.
if [ "${SANITIZE:-1}" != 0 ]; then
  san_dir=${SANITIZE_BUILD_DIR:-build-asan}
  # Debug (-O0) with -g1: line tables for the reports, without the full debug info that doubles
  # compile time.
  cmake -S . -B "$san_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DACC_WERROR=ON \
    -DACC_SANITIZE=address,undefined -DACC_BUILD_TESTS=ON -DACC_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build "$san_dir" -j "$(nproc)"
  echo "sanitizer build: $(( $(date +%s) - start )) s"
  # The stamping simulator's 10,000 studies run in the normal stage; under the sanitizers 1,000
  # of them find memory errors in the same code paths in a tenth of the time. (Not another
  # seed: ACC_SIM_SEED also seeds the daemon scenario test, whose 24 studies must stay the ones
  # the normal stage checks.)
  ACC_SIM_STUDIES=${SANITIZE_SIM_STUDIES:-1000} \
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir "$san_dir" --output-on-failure -j 2 --timeout 900 -L 'unit|integration'
  echo "sanitizer tests: $(( $(date +%s) - start )) s"
fi

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
if [ "$FUZZ_SECONDS" -gt 0 ] && command -v clang++ >/dev/null; then
  fuzz_dir=${FUZZ_BUILD_DIR:-build-fuzz}
  CXX=clang++ cmake -S . -B "$fuzz_dir" -G Ninja -DACC_FUZZ_ONLY=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$fuzz_dir" -j "$(nproc)"
  for target in pdu_decode dimse_command http_request; do
    work=$(mktemp -d)
    cp tests/fuzz/corpus/$target/* "$work/"
    echo "fuzzing $target for ${FUZZ_SECONDS}s"
    "$fuzz_dir/tests/fuzz/${target}_fuzz" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
      -print_final_stats=1 "$work" 2>&1 | tail -n 12
    rm -rf "$work"
  done
fi
echo "total: $(( $(date +%s) - start )) s"
