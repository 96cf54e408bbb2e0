#!/usr/bin/env bash
# README command 1: install what is missing, build, and run `accessioner serve` on its embedded
# default (AE title ACCESSIONER, port 11112, storage ./var/accessioner). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh -DACC_BUILD_BENCHMARKS=OFF
exec "${BUILD_DIR:-build}/router/accessioner" serve "$@"
