#!/bin/sh
# Cross-compiles a test firmware for the Cortex-M4F (qemu mps2-an386) with arm-none-eabi-gcc.
#   build.sh enhance OUT.elf MODEL.c [CFLAG...]   the enhancer on a clip (fw_enhance.c) with a converted model
#   build.sh golden OUT.elf [CFLAG...]            the runtime's golden-vector test (fw_golden.c)
#   build.sh kernels OUT.elf [CFLAG...]           the build's kernels against the portable ones (fw_kernels.c)
# Extra flags go to every compile, e.g. -DNNSP_PORTABLE_KERNELS (the portable kernels instead of the DSP ones)
# or -DFW_ATTEN_LIM_DB_Q8=3072. OPT overrides the optimization level (default -O2). Writes OUT.map beside it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
runtime=$(cd "$here/../.." && pwd)
kind=$1
elf=$2
shift 2
model=""
if [ "$kind" = enhance ]; then
  model=$1
  shift
fi
CC=${ARM_CC:-arm-none-eabi-gcc}
arch="-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard"
common="$arch ${OPT:--O2} -g -std=c99 -ffunction-sections -fdata-sections -Wall -Wextra -Werror"
objdir="$elf.obj"
rm -rf "$objdir"
mkdir -p "$objdir/runtime" "$objdir/firmware"

# The runtime exactly as a product build compiles it (pedantic C99), plus the enhancer's profiling hook.
mark=""
[ "$kind" = enhance ] && mark=-DNNSP_PROFILE_MARK_FN=fw_mark
for src in "$runtime"/src/*.c; do
  $CC $common -pedantic $mark "$@" -I"$runtime/include" \
    -c "$src" -o "$objdir/runtime/$(basename "$src" .c).o"
done

# The firmware: startup and board support, then the program (newlib and semihosting allowed here).
fw_flags="$common $* -I$runtime/include -I$here"
for src in "$here/startup.c" "$here/board.c"; do
  $CC $fw_flags -c "$src" -o "$objdir/firmware/$(basename "$src" .c).o"
done
case "$kind" in
  enhance)
    $CC $fw_flags -c "$here/fw_enhance.c" -o "$objdir/firmware/fw_enhance.o"
    case " $* " in
      *" -DFW_PROFILE "*) $CC $fw_flags -c "$here/profile.c" -o "$objdir/firmware/profile.o" ;;
    esac
    mkdir -p "$objdir/model"
    $CC $fw_flags -c "$model" -o "$objdir/model/$(basename "$model" .c).o"
    ;;
  golden)
    for src in "$here/fw_golden.c" "$runtime/tests/test_golden.c" "$runtime/tests/golden.c" \
               "$runtime/tests/cases.c" "$runtime/tests/golden_vectors.c"; do
      $CC $fw_flags -I"$runtime/tests" -I"$runtime/src" -c "$src" -o "$objdir/firmware/$(basename "$src" .c).o"
    done
    ;;
  kernels)
    for src in "$here/fw_kernels.c" "$runtime/tests/cases.c"; do
      $CC $fw_flags -I"$runtime/tests" -c "$src" -o "$objdir/firmware/$(basename "$src" .c).o"
    done
    ;;
  *) echo "build.sh: unknown firmware '$kind' (enhance, golden or kernels)" >&2; exit 2 ;;
esac
# shellcheck disable=SC2046
$CC $arch --specs=rdimon.specs -nostartfiles -T "$here/cortex-m4.ld" -Wl,--gc-sections -Wl,-Map="${elf%.elf}.map" \
  -o "$elf" $(find "$objdir" -name '*.o' | sort) -lm
