#!/bin/sh
# Runs a test firmware under qemu's Cortex-M4F board (mps2-an386) with semihosting (files are read and written
# in the current directory; the firmware's exit code becomes this script's). -icount shift=0 makes one
# instruction one nanosecond of virtual time, which the firmware's timer counts (board.h). A fault that the
# firmware does not catch would spin forever: `timeout` ends it (exit code 124).
# Usage: run.sh FIRMWARE.elf [TIMEOUT_SECONDS]
set -eu
exec timeout "${2:-300}" qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -icount shift=0 -kernel "$1"
