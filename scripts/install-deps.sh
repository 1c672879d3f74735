#!/usr/bin/env bash
# The one dependency script: README, CI and developers all call this. Debian/Ubuntu, needs root (or sudo).
# Usage: scripts/install-deps.sh [--with-torch]   (--with-torch adds the PyTorch oracle for parity tests)
set -euo pipefail
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libeigen3-dev libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev
  libsndfile1-dev libsoxr-dev libspeexdsp-dev libkissfft-dev libcairo2-dev fonts-dejavu-core portaudio19-dev
  libcurl4-openssl-dev libarchive-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang
  python3 python3-numpy
  # The runtime on a Cortex-M4F: cross compiler, newlib (semihosting), and qemu's mps2-an386 board
  # (runtime/targets/cortex-m4). Not libstdc++-arm-none-eabi-newlib (313 MB; the firmware is C).
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
  # Data-parallel training over processes and machines (`mpirun -np N nnse train`, docs/scale-out.md). Optional
  # for building; CI installs it so that the 2-rank test (ctest label mpi) runs.
  libopenmpi-dev openmpi-bin
)
if [[ " $* " == *" --with-torch "* ]]; then
  packages+=(python3-torch)
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-deps: ok (${#packages[@]} packages)"
