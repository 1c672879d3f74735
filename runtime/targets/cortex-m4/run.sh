#!/bin/sh
# Runs a test firmware under qemu's Cortex-M4F board (mps2-an386) with semihosting (files are read and written
# in the current directory; the firmware's exit code becomes this script's). -icount shift=0 makes one
# instruction one nanosecond of virtual time, which the firmware's timer counts (board.h). A fault that the
# firmware does not catch would spin forever: `timeout` ends it (exit code 124). A non-zero exit is reported
# on stderr (3: the firmware's fault handler ran).
# Usage: run.sh FIRMWARE.elf [TIMEOUT_SECONDS]
set -u
timeout "${2:-300}" qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -icount shift=0 -kernel "$1"
status=$?
case $status in
  0) ;;
  124) echo "run.sh: $1 did not finish within ${2:-300} s (killed)" >&2 ;;
  3) echo "run.sh: $1 faulted (exit 3)" >&2 ;;
  *) echo "run.sh: $1 exited with $status" >&2 ;;
esac
exit $status
