#!/bin/sh
# Usage: check_symbols.sh NM LIBRARY. Fails if the runtime library needs any symbol from outside itself other
# than memcpy, memmove and memset (no libc, no libm, no soft-float helpers on the host).
set -eu
nm_tool=$1
lib=$2
tmp=${TMPDIR:-/tmp}/nnsp_symbols.$$
"$nm_tool" -u "$lib" | awk 'NF >= 1 && $NF !~ /:$/ {print $NF}' | sort -u > "$tmp.undefined"
"$nm_tool" --defined-only "$lib" | awk 'NF >= 3 {print $3}' | sort -u > "$tmp.defined"
outside=$(comm -23 "$tmp.undefined" "$tmp.defined" | tr '\n' ' ')
rm -f "$tmp.undefined" "$tmp.defined"
extra=$(echo "$outside" | tr ' ' '\n' | grep -vxE 'memcpy|memmove|memset|_GLOBAL_OFFSET_TABLE_|' || true)
if [ -n "$extra" ]; then
  echo "runtime library needs symbols from outside: $extra"
  exit 1
fi
echo "runtime library needs from outside only: $outside"
