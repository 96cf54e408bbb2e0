#!/usr/bin/env bash
# Installs the Debian 12 packages Accessioner needs to build, test and benchmark.
# Idempotent: packages already present are skipped, so a second run costs one dpkg query.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  # libraries
  libasio-dev libdcmtk-dev librocksdb-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev prometheus-cpp-dev
  libxxhash-dev libssl-dev
  # real peers and sample data for tests and benchmarks
  dcmtk python3-pydicom orthanc dicom3tools
  # promtool: checks the /metrics exposition in tests
  prometheus
  # packaging tests (tests/packaging): systemd-analyze verify/security on the unit, cpack's
  # dpkg-shlibdeps (dpkg-dev, file), compose file validation, shell script lint
  systemd dpkg-dev file docker-compose python3-yaml shellcheck
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
