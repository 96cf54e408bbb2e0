#!/usr/bin/env bash
# Configures and builds Accessioner into build/ (or $BUILD_DIR). Warnings are errors. Extra
# arguments go to the configure step; BUILD_TARGET names one target to build instead of all.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DACC_WERROR=ON "$@"
cmake --build "$BUILD_DIR" -j "$(nproc)" ${BUILD_TARGET:+--target "$BUILD_TARGET"}
