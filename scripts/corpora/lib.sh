# lib.sh - shared helpers for the corpus builders in scripts/corpora/ (sourced, not run).
#
# Flow of a builder:
#   1. fetch_deb PKG            download (pinned version) into the package cache and unpack once
#   2. cand ...                 queue a candidate source file with its output path, group and license
#   3. process_all              convert every candidate to 16 kHz mono 16-bit FLAC and measure it
#                               (at most $JOBS parallel sox/ffmpeg processes, niced)
#   4. select_group ...         keep candidates of one group in md5 order, apply the filters and caps
#   5. write_manifest / write_splits, the builder's own licenses, then finish_build (checks, move into
#      place, summary tables)
# Selection is sequential and reads only the measurements, so the result does not depend on the order
# in which the parallel workers finished.

export LC_ALL=C

# The Debian packages reserved for independent evaluation (DEVELOPERS.md): a training builder refuses any source
# that matches (the source column is deb:PKG=VERSION:path); the one list every builder reads.
RESERVED_RE='^deb:(asterisk-core-sounds-(it|ru)[^=]*|fillets-ng-data(-nl)?|asterisk-moh-opsound-[^=]*|ufoai-sound)='

# parse_builder_args HOOK ARGS...: the command line of the package builders (build-extra-train.sh,
# build-extra-noise.sh, build-extra-effects.sh): OUT_DIR [--pkg-cache DIR] [--work DIR] [--jobs N] [--dry-run];
# sets OUT_ARG, WORK, JOBS, DRY_RUN, PKG_CACHE; --help prints the calling script's header (SCRIPT_PATH). HOOK (a
# function name, or "" for none) is offered any other option as HOOK OPTION VALUE: it returns 0 when it took both.
parse_builder_args() {
  local hook=$1
  shift
  OUT_ARG="" WORK="" JOBS=2 DRY_RUN=0
  PKG_CACHE="${HOME:-/root}/.cache/corpus-debs"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --pkg-cache) PKG_CACHE=$2; shift 2 ;;
      --work) WORK=$2; shift 2 ;;
      --jobs) JOBS=$2; shift 2 ;;
      --dry-run) DRY_RUN=1; shift ;;
      -h|--help) builder_usage 0 ;;
      -*) if [[ -n "$hook" ]] && "$hook" "$1" "${2-}"; then shift 2; else echo "unknown option $1" >&2; builder_usage 2; fi ;;
      *) [[ -z "$OUT_ARG" ]] || builder_usage 2; OUT_ARG=$1; shift ;;
    esac
  done
  [[ -n "$OUT_ARG" ]] || builder_usage 2
}
# builder_usage STATUS: the calling script's header comment, then exit STATUS
builder_usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$SCRIPT_PATH"; exit "${1:-0}"; }

log() { printf '[%s] %s\n' "${BUILDER:-corpora}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# need_tools: the builders install nothing silently; they say what is missing.
need_tools() {
  local t missing=""
  for t in sox soxi ffmpeg dpkg-deb md5sum awk unzip xargs; do command -v "$t" >/dev/null || missing+=" $t"; done
  [[ -z "$missing" ]] || die "missing tools:$missing; as root: apt-get update && apt-get install -y sox libsox-fmt-all ffmpeg unzip"
}

# ---------------------------------------------------------------- packages
declare -A PKGVER=()
APT_UPDATED=0
# deb_in_cache NAME [VERSION]: path of a cached .deb of NAME (of VERSION when given), empty if none
deb_in_cache() {
  local name=$1 want=${2:-} f
  for f in "$PKG_CACHE/${name}"_*.deb; do
    [[ -e "$f" && "$(dpkg-deb -f "$f" Package)" = "$name" ]] || continue
    if [[ -z "$want" || "$(dpkg-deb -f "$f" Version)" = "$want" ]]; then echo "$f"; return; fi
  done
}
apt_download() {   # apt_download SPEC: run apt-get download in the cache, once after apt-get update
  (cd "$PKG_CACHE" && apt-get download -q "$1" >/dev/null 2>&1) && return 0
  if [[ $APT_UPDATED = 0 ]]; then
    APT_UPDATED=1; log "apt-get update"; apt-get update -qq >/dev/null 2>&1 || log "apt-get update failed"
    (cd "$PKG_CACHE" && apt-get download -q "$1" >/dev/null 2>&1) && return 0
  fi
  return 1
}
# fetch_deb NAME: the pinned version (PIN[NAME]) when the archive still has it, otherwise the current one
# with a warning. Sets DEB_ROOT (unpacked tree) and PKGVER[NAME]; records the .deb size in DEB_BYTES.
declare -A DEB_BYTES=()
fetch_deb() {
  local name=$1 want=${PIN[$1]:-} deb
  deb=$(deb_in_cache "$name" "$want")
  if [[ -z "$deb" ]]; then
    apt_download "$name=$want" || apt_download "$name" || true
    deb=$(deb_in_cache "$name" "$want"); [[ -n "$deb" ]] || deb=$(deb_in_cache "$name")
  fi
  [[ -n "$deb" ]] || die "cannot download $name"
  PKGVER[$name]=$(dpkg-deb -f "$deb" Version)
  [[ "${PKGVER[$name]}" = "$want" ]] || log "WARNING: $name ${PKGVER[$name]} used; the script was written for $want"
  DEB_BYTES[$name]=$(stat -c %s "$deb")
  DEB_ROOT="$WORK/ext/$name"
  if [[ ! -e "$DEB_ROOT/.done-${PKGVER[$name]}" ]]; then
    rm -rf "$DEB_ROOT"; mkdir -p "$DEB_ROOT"
    nice -n 10 dpkg-deb -x "$deb" "$DEB_ROOT"
    touch "$DEB_ROOT/.done-${PKGVER[$name]}"
  fi
}
debsrc() { printf 'deb:%s=%s:%s' "$1" "${PKGVER[$1]}" "$2"; }   # debsrc NAME PATH_IN_PACKAGE
# stored_rate FILE: the sample rate the file's first audio stream is stored at (any format ffprobe reads)
stored_rate() { ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of csv=p=0 "$1"; }
# license_file PKG: where the package's copyright file is after fetch_deb
license_file() { printf '%s/ext/%s/usr/share/doc/%s/copyright' "$WORK" "$1" "$1"; }

# ---------------------------------------------------------------- candidates and conversion
# A candidate is one TSV line in $CANDS:
#   src  rel  kind  source  group  license  key  trim_s
# src: absolute input file; rel: output path inside the stage; key: split key; trim_s: 0 = whole file.
cand() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$CANDS"; }

# convert_one SRC OUT TRIM: write OUT (16 kHz mono 16-bit FLAC) and print one measurement line:
#   OUT  duration_s  clipped(0/1)  rms_full_db  rms_above4k_db  peak_db
# G.722 (no SoX reader) and Opus go through ffmpeg to a temporary WAV first. `sox -R` keeps the dither
# repeatable, so equal inputs give equal bytes.
convert_one() {
  local src=$1 out=$2 trim=$3 in tmp="" st
  mkdir -p "$(dirname "$out")"
  case "$src" in
    *.g722) tmp="$out.tmp.wav"; ffmpeg -nostdin -loglevel error -y -f g722 -i "$src" -ac 1 -ar 16000 -c:a pcm_s16le "$tmp"; in=$tmp ;;
    *.opus) tmp="$out.tmp.wav"; ffmpeg -nostdin -loglevel error -y -i "$src" -c:a pcm_s16le "$tmp"; in=$tmp ;;
    *) in=$src ;;
  esac
  # clipping is judged on the original samples: any channel whose peak is >= 0.99 (-0.09 dBFS) and
  # reached by more than CLIP_MAX_COUNT samples (hard clipping piles samples up at the peak); a
  # CLIP_MAX_COUNT like "0.1%" is a share of the samples per channel
  st=$(sox -V1 "$in" -n stats 2>&1)
  local clipped rate=0
  [[ "$CLIP_MAX_COUNT" != *% ]] || rate=$(soxi -r "$in")
  clipped=$(awk -v m="$CLIP_MAX_COUNT" -v rate="$rate" '
    function num(s) { if (s ~ /k$/) return substr(s, 1, length(s) - 1) * 1000
                      if (s ~ /M$/) return substr(s, 1, length(s) - 1) * 1e6; return s + 0 }
    /^Pk lev dB/ { for (i = 4; i <= NF; i++) lev[i - 3] = $i; nl = NF - 3 }
    /^Pk count/  { for (i = 3; i <= NF; i++) cnt[i - 2] = num($i) }
    /^Length s/  { len = $3 }
    END { if (m ~ /%$/) m = substr(m, 1, length(m) - 1) / 100 * len * rate
          c = 0; for (i = 1; i <= nl; i++) if (lev[i] != "-inf" && lev[i] + 0 >= -0.0873 && cnt[i] > m) c = 1; print c }' <<< "$st")
  if [[ "$trim" != 0 ]]; then
    sox -R -V1 "$in" -r 16000 -c 1 -b 16 "$out" remix - rate -v trim 0 "$trim"
  else
    sox -R -V1 "$in" -r 16000 -c 1 -b 16 "$out" remix - rate -v
  fi
  [[ -z "$tmp" ]] || rm -f "$tmp"
  # wideband measure on the 16 kHz result: the whole signal, then what lies above 4 kHz
  sox -V1 "$out" -n stats sinc 4000 stats 2>&1 | awk -v o="$out" -v c="$clipped" '
    /^RMS lev dB/ { r[++n] = $4 } /^Pk lev dB/ { if (!pk) pk = $4 } /^Length s/ { d = $3 }
    END { printf "%s\t%s\t%s\t%s\t%s\t%s\n", o, d, c, r[1], r[2], pk }'
}

# process_candidates: the queued candidates' end for the noise builders: refuse a reserved package, drop
# duplicates, list them and stop (--dry-run), else extract and measure them all (process_all).
process_candidates() {
  if cut -f4 "$CANDS" | grep -Eq "$RESERVED_RE"; then die "a reserved evaluation package is among the candidates"; fi
  dedupe_cands
  if [[ $DRY_RUN = 1 ]]; then cut -f3,5 "$CANDS" | sort | uniq -c >&2; rm -rf "$STAGE"; exit 0; fi
  process_all
}

# process_all: convert every candidate (JOBS at a time) into $STAGE; measurements go to $MEAS
process_all() {
  export -f convert_one; export CLIP_MAX_COUNT
  log "converting $(wc -l < "$CANDS") candidate files ($JOBS jobs)"
  export STAGE
  # one candidate line per worker call; fields are tab-separated (paths hold no tabs or newlines)
  cut -f1,2,8 "$CANDS" |
    nice -n 10 xargs -d '\n' -n 1 -P "$JOBS" bash -c \
      'IFS=$'"'"'\t'"'"' read -r src rel trim <<< "$1"; convert_one "$src" "$STAGE/$rel" "$trim"' _ > "$MEAS.unsorted"
  sort -t$'\t' -k1,1 "$MEAS.unsorted" > "$MEAS"
  [[ $(wc -l < "$MEAS") -eq $(wc -l < "$CANDS") ]] || die "some conversions failed"
}

# md5key STRING: first 12 hex digits of md5 (a stable pseudo-random order)
md5key() { printf '%s' "$1" | md5sum | cut -c1-12; }

# select_group GROUP MIN_S CAP_S WIDEBAND(0/1) NOCLIP(0/1) [MIN_RMS_DB]: keep the candidates of GROUP in md5
# order of their output path, dropping files shorter than MIN_S, clipped ones (NOCLIP=1), narrowband ones
# (WIDEBAND=1), near-silent ones (RMS of the 16 kHz file below MIN_RMS_DB dBFS, when given) and exact
# duplicates of a kept source, until CAP_S seconds (0 = no cap). Rejected outputs are deleted by prune_stage.
# Appends kept rows to $ROWS; counts rejections in $REJECTS.
select_group() {
  local group=$1 min=$2 cap=$3 wb=$4 noclip=$5 minrms=${6:-}
  awk -F'\t' -v g="$group" '$5 == g' "$CANDS" |
    while IFS=$'\t' read -r src rel kind source grp lic key trim; do
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(md5key "$rel")" "$src" "$rel" "$kind" "$source" "$grp" "$lic" "$key" "$trim"
    done | sort -t$'\t' -k1,1 -k3,3 |
    awk -F'\t' -v OFS='\t' -v st="$STAGE" -v min="$min" -v cap="$cap" -v wb="$wb" -v nc="$noclip" \
        -v maxdb="$WIDEBAND_MAX_DB" -v minrms="$minrms" -v rows="$ROWS" -v rej="$REJECTS" -v meas="$MEAS" '
      BEGIN { while ((getline l < meas) > 0) { split(l, m, "\t"); M[m[1]] = l } }
      function drop(why, path) { print why "\t" path >> rej }
      {
        src = $2; rel = $3; split(M[st "/" rel], m, "\t"); d = m[2] + 0
        cmd = "md5sum < \"" src "\""; cmd | getline h; close(cmd)
        if (h in seen) { drop("duplicate", rel); next }
        if (d < min) { drop("short", rel); next }
        if (nc && m[3] == 1) { drop("clipped", rel); next }
        if (minrms != "" && (m[4] == "-inf" || m[4] + 0 < minrms + 0)) { drop("silent", rel); next }
        if (wb && (m[5] == "-inf" || m[4] - m[5] >= maxdb)) { drop("narrowband", rel); next }
        if (cap > 0 && tot + d > cap) { drop("cap", rel); next }
        seen[h] = 1; tot += d
        print rel, $4, $5, $6, $7, sprintf("%.3f", d), $8 >> rows
      }'
}

# cand_deb_noise PKG FILE REL GROUP LICENSE KEY: queue FILE of the unpacked PKG as a noise candidate at REL (cut to
# NOISE_MAX_S), its source column naming the package file; a missing FILE stops the build, naming it
cand_deb_noise() {
  [[ -f "$2" ]] || die "missing in $1: ${2#"$DEB_ROOT"/}"
  cand "$2" "$3" noise "$(debsrc "$1" "${2#"$DEB_ROOT"/}")" "$4" "$5" "$6" "$NOISE_MAX_S"
}

# dedupe_cands: drop candidates whose source bytes equal those of another candidate (any group); the one
# first in md5 order of the output path stays
dedupe_cands() {
  local src rel
  while IFS=$'\t' read -r src rel _; do
    printf '%s\t%s\t%s\n' "$(md5key "$rel")" "$(md5sum < "$src" | cut -d' ' -f1)" "$rel"
  done < "$CANDS" | sort -t$'\t' -k1,1 -k3,3 | awk -F'\t' '($2 in s) { print $3 } { s[$2] = 1 }' > "$WORK/dups"
  sed 's/^/duplicate\t/' "$WORK/dups" >> "$REJECTS"
  awk -F'\t' -v d="$WORK/dups" 'BEGIN { while ((getline l < d) > 0) D[l] = 1 } !($2 in D)' "$CANDS" > "$CANDS.tmp"
  mv "$CANDS.tmp" "$CANDS"
}

# opensfx_extract CAT DIR: write each sample of an OpenTTD sound catalogue as DIR/NN.wav and print
# "NN<TAB>credit" per sample. Layout: N entries of (uint32 offset | 0x80000000, uint32 size), then per
# sample a length byte, the NUL-terminated credit string and a RIFF WAVE file of `size` bytes.
opensfx_extract() {
  local cat=$1 dir=$2 n i off size nl credit
  n=$(od -A n -t u4 -N 4 "$cat"); n=$(( (n & 0x7fffffff) / 8 ))
  for ((i = 0; i < n; i++)); do
    read -r off size < <(od -A n -t u4 -j $((8 * i)) -N 8 "$cat"); off=$((off & 0x7fffffff))
    nl=$(od -A n -t u1 -j "$off" -N 1 "$cat"); nl=$((nl))
    credit=$(dd if="$cat" iflag=skip_bytes,count_bytes skip=$((off + 1)) count=$((nl - 1)) status=none | tr -d '\000\t\n')
    dd if="$cat" of="$dir/$(printf %02d "$i").wav" iflag=skip_bytes,count_bytes skip=$((off + 1 + nl)) count="$size" status=none
    printf '%02d\t%s\n' "$i" "$credit"
  done
}
# ---------------------------------------------------------------- splits
# pick_valid_groups PCT GROUP...: prints the groups for valid: the first max(1, round(PCT% of n)) in md5
# order of the group name
pick_valid_groups() {
  local pct=$1; shift
  local n=$# k g
  k=$(( (n * pct + 50) / 100 )); [[ $k -ge 1 ]] || k=1
  for g in "$@"; do printf '%s %s\n' "$(md5key "$g")" "$g"; done | sort | awk -v k="$k" 'NR <= k { print $2 }'
}
# write_splits DIR: splits/{train,valid,test}.txt from DIR/MANIFEST.tsv (and $ROWS for the split keys); the
# groups chosen for valid go to $WORK/valid_groups. Speech: per family (the group name up to its first '_'; all
# voices are one family when SPEECH_ONE_FAMILY=1), VALID_SPEECH_PCT of the voices; noise: per folder,
# VALID_NOISE_PCT of the groups (folders with 3 or more groups) or of the files (by md5 of the split key). test.txt
# is empty.
write_splits() {
  local dir=$1 fam folder groups g one=${SPEECH_ONE_FAMILY:-0}
  : > "$WORK/valid_groups"
  # speech: per family (tuxpaint, hedgewars, ...), whole voices
  for fam in $(awk -F'\t' -v one="$one" 'NR > 1 && $2 == "speech" { if (one == 1) $4 = "all"; else sub(/_.*/, "", $4); print $4 }' "$dir/MANIFEST.tsv" | sort -u); do
    mapfile -t groups < <(awk -F'\t' -v f="$fam" -v one="$one" 'NR > 1 && $2 == "speech" && (one == 1 || index($4, f "_") == 1) { print $4 }' "$dir/MANIFEST.tsv" | sort -u)
    pick_valid_groups "$VALID_SPEECH_PCT" "${groups[@]}" >> "$WORK/valid_groups"
  done
  # noise: per folder; whole groups where a folder has 3 or more, else single files by md5 of the key
  : > "$WORK/valid_files"
  for folder in $(awk -F'\t' 'NR > 1 && $2 == "noise" { split($1, p, "/"); print p[2] }' "$dir/MANIFEST.tsv" | sort -u); do
    mapfile -t groups < <(awk -F'\t' -v f="$folder" 'NR > 1 && index($1, "noise/" f "/") == 1 { print $4 }' "$dir/MANIFEST.tsv" | sort -u)
    if [[ ${#groups[@]} -ge 3 ]]; then
      pick_valid_groups "$VALID_NOISE_PCT" "${groups[@]}" >> "$WORK/valid_groups"
    else
      awk -F'\t' -v f="$folder" 'index($1, "noise/" f "/") == 1 { print $1 "\t" $7 }' "$ROWS" |
        while IFS=$'\t' read -r rel key; do
          [[ $(( 16#$(md5key "$key" | cut -c1-8) % 100 )) -ge $VALID_NOISE_PCT ]] || echo "$rel"
        done >> "$WORK/valid_files"
    fi
  done
  mkdir -p "$dir/splits"; : > "$dir/splits/test.txt"
  awk -F'\t' -v vg="$WORK/valid_groups" -v vf="$WORK/valid_files" -v d="$dir/splits" '
    BEGIN { while ((getline l < vg) > 0) G[l] = 1; while ((getline l < vf) > 0) F[l] = 1 }
    NR > 1 { if (($4 in G) || ($1 in F)) print $1 > (d "/valid.txt"); else print $1 > (d "/train.txt") }' "$dir/MANIFEST.tsv"
  touch "$dir/splits/valid.txt" "$dir/splits/train.txt"
}

split_minutes() {   # split_minutes DIR SPLIT KIND
  awk -F'\t' -v k="$3" 'NR == FNR { s[$1]; next } FNR > 1 && $2 == k && ($1 in s) { t += $6 } END { printf "%.1f", t / 60 }' \
    "$1/splits/$2.txt" "$1/MANIFEST.tsv"
}

# prune_stage: delete converted files that no select_group kept
prune_stage() {
  local f
  cut -f1 "$ROWS" | sed "s|^|$STAGE/|" | sort > "$WORK/kept.lst"
  find "$STAGE" -name '*.flac' | sort | comm -23 - "$WORK/kept.lst" | while IFS= read -r f; do rm -f "$f"; done
  find "$STAGE" -type d -empty -delete
}

# write_manifest DIR: MANIFEST.tsv from $ROWS (sorted by path)
write_manifest() {
  { printf 'path\tkind\tsource\tspeaker_or_group\tlicense\tduration_s\n'
    sort -t$'\t' -k1,1 "$ROWS" | cut -f1-6; } > "$1/MANIFEST.tsv"
}

# summary DIR: markdown table of files and minutes per speaker_or_group, and totals per kind
summary() {
  awk -F'\t' 'NR > 1 { n[$2 "\t" $4]++; s[$2 "\t" $4] += $6; t[$2] += $6; c[$2]++ }
    END {
      print "| kind | group | files | minutes |"; print "|---|---|---:|---:|"
      for (k in n) { split(k, a, "\t"); printf "| %s | %s | %d | %.1f |\n", a[1], a[2], n[k], s[k] / 60 | "sort" }
      close("sort")
      for (k in t) printf "| **%s total** | | %d | %.1f |\n", k, c[k], t[k] / 60 | "sort"
      close("sort")
    }' "$1/MANIFEST.tsv"
}

# check_audio DIR: every FLAC decodes as 16 kHz mono 16-bit
check_audio() {
  local f bad=0
  while IFS= read -r f; do
    [[ "$(soxi -r "$f")/$(soxi -c "$f")/$(soxi -b "$f")" = 16000/1/16 ]] || { log "bad audio: $f"; bad=1; }
  done < <(find "$1" -name '*.flac')
  return $bad
}

# finish_stage STAGE OUT: move the finished staging folder into place
finish_stage() {
  rm -rf "$2.old"; [[ ! -e "$2" ]] || mv "$2" "$2.old"
  mv "$1" "$2"; rm -rf "$2.old"
}

# download_table: markdown table of the packages used, versions and download size
download_table() {
  local p tot=0
  printf '| package | version | download MB |\n|---|---|---:|\n'
  for p in $(printf '%s\n' "${!PKGVER[@]}" | sort); do
    printf '| %s | %s | %.1f |\n' "$p" "${PKGVER[$p]}" "$(awk -v b="${DEB_BYTES[$p]}" 'BEGIN {print b / 1e6}')"
    tot=$((tot + DEB_BYTES[$p]))
  done
  printf '| **total** | | %.1f |\n' "$(awk -v b="$tot" 'BEGIN {print b / 1e6}')"
}

# readme_totals_and_rebuild DIR SCRIPT: the end of a builder's README.md (the builder's write_readme prints its
# own head first): the totals of DIR, the packages and download sizes, and how to rebuild with SCRIPT's copy.
readme_totals_and_rebuild() {
  printf '## Totals\n\n'
  summary "$1"
  printf '\n## Packages and download size\n\n'
  download_table
  cat <<EOF

## Rebuild

\`\`\`
apt-get update && apt-get install -y sox libsox-fmt-all ffmpeg unzip
bash build.sh OUT_DIR --pkg-cache ~/.cache/corpus-debs
\`\`\`

(\`build.sh\` is a copy of \`scripts/corpora/$2\` with \`lib.sh\` next to it.)
Licenses: ATTRIBUTION.md and the license column of MANIFEST.tsv.
EOF
}

# noise_readme_splits DIR: the noise builders' README paragraph on the splits and the dropped files (their
# write_readme, after its own text; reads WORK/valid_groups, REJECTS, VALID_NOISE_PCT)
noise_readme_splits() {
  local dir=$1
  cat <<EOF
**Splits.** valid holds whole groups in folders with 3 or more groups (the first max(1, round(${VALID_NOISE_PCT} %)) in md5
order of the group name), single files (by md5 of the file name, ${VALID_NOISE_PCT} %) in smaller folders. test.txt is
empty. Noise minutes train $(split_minutes "$dir" train noise), valid $(split_minutes "$dir" valid noise).
Valid groups: $(tr '\n' ' ' < "$WORK/valid_groups")

Dropped: $(cut -f1 "$REJECTS" | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }').

EOF
}

# noise_attribution_intro: the head of the noise builders' ATTRIBUTION.md, up to the table's header (reads NOISE_MAX_S)
noise_attribution_intro() {
  cat <<EOF
# Attribution and licenses

Each file keeps the license of its source (column \`license\` of MANIFEST.tsv); files were only
decoded, mixed to mono, resampled to 16 kHz and cut to ${NOISE_MAX_S} s. Each Debian package's copyright file
is in \`LICENSES/<package>.copyright\`.

| part | source | license | attribution |
|---|---|---|---|
EOF
}

# queue_openttd CLASSIFIER: queue the samples of OpenTTD's OpenSFX catalogue that the function CLASSIFIER (called
# with a sample's title) names a group for, as noise/openttd/GROUP__title.flac in group openttd_GROUP; the samples'
# credits go to WORK/openttd-credits.tsv (the builder copies those of the kept files into LICENSES/)
queue_openttd() {
  local pkg=openttd-opensfx cat i credit title grp slug
  fetch_deb "$pkg"; cat="$DEB_ROOT/usr/share/games/openttd/baseset/opensfx/opensfx.cat"
  rm -rf "$WORK/openttd"; mkdir -p "$WORK/openttd"; : > "$WORK/openttd-credits.tsv"
  while IFS=$'\t' read -r i credit; do
    title=$(sed 's/^"\([^"]*\)".*/\1/' <<< "$credit"); grp=$("$1" "$title")
    [[ -n "$grp" ]] || continue
    slug=$(tr 'A-Z' 'a-z' <<< "$title" | sed 's/[^a-z0-9]\{1,\}/_/g; s/^_//; s/_$//')
    cand "$WORK/openttd/$i.wav" "noise/openttd/${grp}__$slug.flac" noise \
      "$(debsrc "$pkg" "${cat#"$DEB_ROOT"/}!$i")" "openttd_$grp" CC-BY-SA-3.0 "$slug" "$NOISE_MAX_S"
    printf 'noise/openttd/%s__%s.flac\t%s\n' "$grp" "$slug" "$credit" >> "$WORK/openttd-credits.tsv"
  done < <(opensfx_extract "$cat" "$WORK/openttd")
}

# stage_manifest_splits_gpl: after the groups are selected: drop unselected staged files, refuse any reserved
# package once more, write MANIFEST.tsv and splits/, and start LICENSES/ with the GPL-2 text
stage_manifest_splits_gpl() {
  prune_stage
  if cut -f3 "$ROWS" | grep -Eq "$RESERVED_RE"; then die "a reserved evaluation package slipped in"; fi
  write_manifest "$STAGE"
  write_splits "$STAGE"
  mkdir -p "$STAGE/LICENSES"
  cp /usr/share/common-licenses/GPL-2 "$STAGE/LICENSES/GPL-2.txt"
}

# finish_build: the common end of a builder, once its files, MANIFEST.tsv, splits/ and LICENSES/ folder are
# staged: the copyright file of every package used, the builder's own scripts, ATTRIBUTION.md and README.md (the
# builder's write_attribution and write_readme), the audio check; then the stage moves to $OUT and the summary
# tables go to stderr.
finish_build() {
  local p
  for p in "${!PKGVER[@]}"; do cp "$(license_file "$p")" "$STAGE/LICENSES/$p.copyright"; done
  cp "$SCRIPT_PATH" "$STAGE/build.sh"; cp "$(dirname "$SCRIPT_PATH")/lib.sh" "$STAGE/lib.sh"
  write_attribution "$STAGE/ATTRIBUTION.md"
  write_readme "$STAGE"
  check_audio "$STAGE" || die "some files are not 16 kHz mono 16-bit"
  log "rejected: $(cut -f1 "$REJECTS" | sort | uniq -c | tr '\n' ' ')"
  finish_stage "$STAGE" "$OUT"
  summary "$OUT" >&2
  download_table >&2
  log "done: $OUT"
}

# common_setup OUT: parse nothing; make WORK, STAGE, CANDS, ROWS, MEAS, REJECTS
common_setup() {
  OUT=$(readlink -m "$1")
  [[ -n "$WORK" ]] || { WORK=$(mktemp -d /tmp/corpora.XXXXXX); AUTO_WORK=1; }
  mkdir -p "$WORK/ext" "$PKG_CACHE"; PKG_CACHE=$(readlink -f "$PKG_CACHE"); WORK=$(readlink -f "$WORK")
  STAGE="$OUT.partial"; rm -rf "$STAGE"; mkdir -p "$STAGE"
  CANDS="$WORK/cands.tsv" ROWS="$WORK/rows.tsv" MEAS="$WORK/meas.tsv" REJECTS="$WORK/rejects.tsv"
  : > "$CANDS"; : > "$ROWS"; : > "$REJECTS"
  trap 'rc=$?; [[ $rc -eq 0 ]] || rm -rf "$STAGE"; [[ ${AUTO_WORK:-0} = 0 ]] || rm -rf "$WORK"' EXIT
}

# limit_cands PREFIX N: keep at most N candidates per group whose name starts with PREFIX, the first
# ones in md5 order of the output path (the order select_group uses), so that groups far over their
# cap are not converted in full. Deterministic: depends only on the candidate paths.
limit_cands() {
  local prefix=$1 n=$2
  awk -F'\t' -v OFS='\t' '{ cmd = "printf %s \"" $2 "\" | md5sum"; cmd | getline h; close(cmd); print substr(h, 1, 12), $0 }' "$CANDS" |
    sort -t$'\t' -k1,1 -k3,3 |
    awk -F'\t' -v p="$prefix" -v n="$n" 'index($6, p) != 1 || ++c[$6] <= n' | cut -f2- > "$CANDS.tmp"
  mv "$CANDS.tmp" "$CANDS"
}
