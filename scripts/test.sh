#!/usr/bin/env bash
# README command 2 (and .ci/run): install what is missing, then
#  1. build every target (daemon, unit, integration and packaging tests, simulator, benchmarks)
#     with AddressSanitizer, warnings as errors, and run every unit and integration test on it;
#     the integration tests start this instrumented daemon;
#  2. build the daemon as it is packaged and as README command 1 builds it (scripts/build.sh,
#     RelWithDebInfo) and run the integration and packaging tests again against it (the .deb is
#     made from this build);
#  3. fuzz each decoder that reads a peer's bytes for a bounded time with libFuzzer, ASan and
#     UBSan (clang).
# The test code is compiled once (stage 1): that is what keeps a clean build and every stage
# under 25 minutes on CI's 2 cores. SANITIZE=0 builds stage 1 without ASan; FUZZ_SECONDS=0 skips
# stage 3; both are for local runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
start=$(date +%s)
elapsed() { echo "$1: $(($(date +%s) - start)) s"; }

# ---- 1. everything, instrumented ------------------------------------------------------------------
test_dir=${TEST_BUILD_DIR:-build-asan}
sanitize=address
[ "${SANITIZE:-1}" != 0 ] || sanitize=
# Debug (-O0) with -g1: line tables for the reports, without the full debug info that doubles
# compile time. One ctest test per unit-test executable: ~940 starts of an instrumented binary
# would cost minutes (a failure still names its test case in the output). The benchmark programs
# are not built here (no test runs them, and CI must stay under 25 minutes): the benchmark
# scripts build what they need in their own Release build directory (build-bench).
cmake -S . -B "$test_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
  -DACC_WERROR=ON -DACC_SANITIZE="$sanitize" -DACC_TESTS_PER_BINARY=ON -DACC_BUILD_TESTS=ON \
  -DACC_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$test_dir" -j "$(nproc)"
elapsed "test build"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  ctest --test-dir "$test_dir" --output-on-failure -j 2 --timeout 900 -LE packaging
elapsed "tests, instrumented daemon"

# ---- 2. the packaged daemon -----------------------------------------------------------------------
release_dir=${BUILD_DIR:-build}
BUILD_DIR=$release_dir BUILD_TARGET=accessioner bash scripts/build.sh \
  -DACC_BUILD_TESTS=OFF -DACC_BUILD_BENCHMARKS=OFF
elapsed "release build"
ACC_DAEMON_UNDER_TEST=$PWD/$release_dir/router/accessioner ACC_PACKAGE_BUILD_DIR=$PWD/$release_dir \
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  ctest --test-dir "$test_dir" --output-on-failure -j 2 --timeout 600 -L 'integration|packaging'
elapsed "tests, packaged daemon"

# ---- 3. fuzzing -----------------------------------------------------------------------------------
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
if [ "$FUZZ_SECONDS" -gt 0 ] && command -v clang++ >/dev/null; then
  fuzz_dir=${FUZZ_BUILD_DIR:-build-fuzz}
  CXX=clang++ cmake -S . -B "$fuzz_dir" -G Ninja -DACC_FUZZ_ONLY=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$fuzz_dir" -j "$(nproc)"
  for target in pdu_decode dimse_command http_request association_sequence; do
    work=$(mktemp -d)
    cp tests/fuzz/corpus/$target/* "$work/"
    echo "fuzzing $target for ${FUZZ_SECONDS}s"
    "$fuzz_dir/tests/fuzz/${target}_fuzz" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
      -print_final_stats=1 "$work" 2>&1 | tail -n 12
    rm -rf "$work"
  done
  elapsed "fuzzing"
fi
elapsed "total"
