#!/usr/bin/env bash
# The test command of the README and of CI: installs what it needs, builds warning-clean, runs every test
# (unit tests, CLI tests and the PyTorch oracle), then runs the unit tests again under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-torch
jobs=$(nproc)

echo "== build (Release, -Werror)"
bash scripts/build.sh build -DNNSE_WERROR=ON
echo "== tests"
# The Cortex-M4 emulation tests (label emulation) must run here, not skip: install-deps.sh installed the tools.
# This includes the 2-rank MPI tests (label mpi: `mpirun -np 2 nnse train` against one process), built when CMake
# found MPI (install-deps.sh installs Open MPI; mpirun runs them with --oversubscribe --allow-run-as-root).
NNSE_REQUIRE_CORTEX_M4=1 ctest --test-dir build --output-on-failure --parallel "$jobs" --timeout 1200
if command -v mpirun >/dev/null && ! ctest --test-dir build -N -L mpi | grep -q "Total Tests: [1-9]"; then
  echo "mpirun is installed but the build has no MPI tests (CMake did not find MPI)" >&2
  exit 1
fi

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
# No -Werror here: GCC 12 emits false-positive -Wmaybe-uninitialized inside libstdc++ (std::regex) under
# -fsanitize; the warning-clean gate is the Release build above.
bash scripts/build.sh build-asan -DNNSE_SANITIZE=ON -DNNSE_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== unit tests under sanitizers"
LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --parallel "$jobs" -L unit --timeout 1200
