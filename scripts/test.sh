#!/usr/bin/env bash
# README command 2 (and .ci/run): install what is missing, build with -Werror, run every test
# (unit, integration against real DCMTK peers, fuzz-corpus replay), then fuzz each decoder for a
# bounded time with libFuzzer (clang).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
start=$(date +%s)
BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh -DACC_BUILD_BENCHMARKS=ON
echo "build: $(( $(date +%s) - start )) s"

ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j 2 --timeout 600

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
