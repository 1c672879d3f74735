#!/bin/sh
# Builds the libFuzzer target (needs clang) and runs it. Usage: fuzz.sh BUILD_DIR [SECONDS]
# CC picks the compiler (default clang). The corpus stays in BUILD_DIR/corpus between runs.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=$1
seconds=${2:-60}
cc=${CC:-clang}
mkdir -p "$out/corpus"
# Exit 77 (CTest: skipped) when this compiler cannot build a libFuzzer target at all.
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
  > "$out/probe.c"
if ! "$cc" -fsanitize=fuzzer "$out/probe.c" -o "$out/probe" 2>/dev/null; then
  echo "libFuzzer is not available with $cc: fuzz run skipped"
  exit 77
fi
"$cc" -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I"$here/include" -I"$here/src" "$here"/src/*.c "$here/fuzz/fuzz_stream.c" "$here/tests/cases.c" -lm \
  -o "$out/nnsp_fuzz"
# Seeds: silence, full-scale extremes in byte mode, a raw full-scale square wave.
printf '\000\000\000\000\000\000' > "$out/corpus/seed_silence"
printf '\001\001\000\001\000\001\000\001\000\001\000\001' > "$out/corpus/seed_alternating"
awk 'BEGIN { printf "%c%c", 2, 0; for (i = 0; i < 1600; ++i) printf (int(i / 40) % 2) ? "\377\177" : "\000\200" }' \
  > "$out/corpus/seed_square"
exec "$out/nnsp_fuzz" -max_total_time="$seconds" -max_len=32768 -rss_limit_mb=2048 -print_final_stats=1 \
  "$out/corpus"
