#!/usr/bin/env bash
# README command 1: install what is missing, build, show the router working (scripts/demo.sh:
# sample images stamped from a local DCMTK worklist and delivered to a local DCMTK PACS, one line
# per image), then run `accessioner serve` on its embedded default (AE title ACCESSIONER, port
# 11112, storage ./var/accessioner) until Ctrl-C. `--no-serve` stops after the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Only what the demo and `serve` run: the daemon (its CLI is the same binary), not the test suite
# or the benchmarks. scripts/test.sh builds everything.
BUILD_DIR=${BUILD_DIR:-build} BUILD_TARGET=accessioner bash scripts/build.sh \
  -DACC_BUILD_TESTS=OFF -DACC_BUILD_BENCHMARKS=OFF
ACCESSIONER="${BUILD_DIR:-build}/router/accessioner" exec bash scripts/demo.sh "$@"
