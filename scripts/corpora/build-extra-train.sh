#!/usr/bin/env bash
# build-extra-train.sh - build an extra TRAINING corpus: more real voices and noises from Debian
# packages that are not reserved for evaluation (see build-unseen-eval.sh for the reserved ones).
#
# Usage: build-extra-train.sh OUT_DIR [--pkg-cache DIR] [--work DIR] [--jobs N] [--limit PREFIX:N ...]
#   --pkg-cache DIR  where .deb files are kept / downloaded (default: ~/.cache/corpus-debs)
#   --work DIR       scratch folder, kept for reuse (default: a temporary folder, removed at exit)
#   --jobs N         parallel conversions (default 2)
#   --limit PREFIX:N at most N candidates per group whose name starts with PREFIX (repeatable; replaces the
#                    default LIMITS below: give e.g. --limit tuxpaint_:1000 for all of tuxpaint's speech)
#   --dry-run        list the candidate files per group and stop (nothing converted)
#
# Needs (as root): apt-get update && apt-get install -y sox libsox-fmt-all ffmpeg unzip
# Same packages -> same bytes: sox -R, md5-ordered selection, pinned package versions.
# Splits: whole voices (groups) go to valid, so valid never shares a voice with train; test is empty
# (test with the unseen evaluation set and the starter corpus's test split).
set -euo pipefail
BUILDER=extra-train
SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=lib.sh
source "$(dirname "$SCRIPT_PATH")/lib.sh"

# ---------------------------------------------------------------- settings
MIN_SPEECH_S=0.5        # ktuberling and kajongg are single words / short calls; shorter is mostly silence
WIDEBAND_MAX_DB=30      # keep speech if RMS(full) - RMS(>4 kHz) < this (the starter corpus's rule)
CLIP_MAX_COUNT=3        # speech is dropped when more than this many samples sit at a >= 0.99 peak
NOISE_MAX_S=120         # long noise tracks are cut to their first N seconds
SPEECH_GROUP_CAP_S=480  # at most 8 min per voice, so the big tuxpaint languages do not dominate
VALID_SPEECH_PCT=12     # share of each family's voices (whole groups) that go to valid
VALID_NOISE_PCT=15      # share of noise groups (or files, where a folder has < 3 groups) in valid
# candidates converted per group at most (md5 order), to keep the build short on 2 cores
LIMITS="tuxpaint_:140 ktuberling_:70"

declare -A PIN=(
  [tuxpaint-stamps-default]=2022.06.04-1
  [hedgewars-data]=1.0.2-6
  [ktuberling-data]=4:22.12.3-1
  [kajongg]=4:22.12.3-1
  [megaglest-data]=3.13.0-3
  [widelands-data]=2:1.1-3
  [wesnoth-1.16-data]=1:1.16.9-1
  [trigger-rally-data]=0.6.6.1-3
)
# RESERVED_RE (lib.sh): the packages reserved for evaluation, never read here (checked against every source
# before writing the manifest).

# ---------------------------------------------------------------- arguments
LIMITS_GIVEN=
# --limit PREFIX:N, beside the builders' common options (lib.sh: parse_builder_args)
limit_option() {
  [[ $1 = --limit ]] || return 1
  [[ "$2" =~ ^[A-Za-z0-9_]+:[0-9]+$ ]] || { echo "--limit wants PREFIX:N, got '$2'" >&2; exit 2; }
  LIMITS_GIVEN="$LIMITS_GIVEN $2"
}
parse_builder_args limit_option "$@"
[[ -z "$LIMITS_GIVEN" ]] || LIMITS=$LIMITS_GIVEN
need_tools
common_setup "$OUT_ARG"

# ---------------------------------------------------------------- speech
# tuxpaint stamp descriptions: <category path>/<stamp>_desc_<lang>.ogg, one reader (or a few) per language
queue_tuxpaint() {
  local pkg=tuxpaint-stamps-default root f rel lang stamp
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/tuxpaint/stamps"
  while IFS= read -r f; do
    rel=${f#"$root"/}; [[ "$rel" =~ _desc_([a-z]+)\.ogg$ ]] || continue
    lang=${BASH_REMATCH[1]}; stamp=${rel%_desc_*}; stamp=${stamp//\//-}
    cand "$f" "speech/tuxpaint/${lang}__${stamp}.flac" speech "$(debsrc "$pkg" "${f#"$DEB_ROOT"/}")" \
      "tuxpaint_$lang" GPL-2+ "$stamp" 0
  done < <(find "$root" -type f -name '*_desc_*.ogg' | sort)
}
# hedgewars voice packs (one actor each); Robot is a synthetic/processed voice
queue_hedgewars() {
  local pkg=hedgewars-data vdir pack f
  fetch_deb "$pkg"
  for vdir in "$DEB_ROOT"/usr/share/games/hedgewars/Data/Sounds/voices/*/; do
    pack=$(basename "$vdir"); [[ "$pack" != Robot ]] || continue
    for f in "$vdir"*.ogg; do
      cand "$f" "speech/hedgewars/${pack}__$(basename "$f" .ogg).flac" speech \
        "$(debsrc "$pkg" "${f#"$DEB_ROOT"/}")" "hedgewars_$pack" GFDL-1.3 "$(basename "$f" .ogg)" 0
    done
  done
}
# ktuberling words: only files recorded at >= 16 kHz (es, fi, it, nds, nl, pt, sv are 8 kHz);
# the sr@* folders are byte-identical copies of sr
queue_ktuberling() {
  local pkg=ktuberling-data ldir lang f rate
  fetch_deb "$pkg"
  for ldir in "$DEB_ROOT"/usr/share/ktuberling/sounds/*/; do
    lang=$(basename "$ldir"); [[ "$lang" != *@* ]] || continue
    while IFS= read -r f; do
      # the recording rate decides per file (some folders mix 8 kHz and 44.1 kHz recordings)
      case "$f" in
        *.opus) rate=$(stored_rate "$f") ;;
        *) rate=$(soxi -r "$f") ;;
      esac
      [[ "$rate" -ge 16000 ]] || continue
      cand "$f" "speech/ktuberling/${lang}__$(basename "${f%.*}").flac" speech \
        "$(debsrc "$pkg" "${f#"$DEB_ROOT"/}")" "ktuberling_$lang" GPL-2+ "$(basename "${f%.*}")" 0
    done < <(find "$ldir" -type f \( -name '*.ogg' -o -name '*.wav' -o -name '*.opus' \) | sort)
  done
}
# kajongg calls: voices/<voice>/ (English) and voices/de/<voice>/; the same voice name is kept as one
# group across both languages (it may be the same speaker), so it never straddles train and valid
queue_kajongg() {
  local pkg=kajongg root f v lang rel
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/kajongg/voices"
  while IFS= read -r f; do
    rel=${f#"$root"/}
    if [[ "$rel" == de/* ]]; then lang=de; v=$(cut -d/ -f2 <<< "$rel"); else lang=en; v=$(cut -d/ -f1 <<< "$rel"); fi
    cand "$f" "speech/kajongg/${v}__${lang}__$(basename "$f" .ogg).flac" speech \
      "$(debsrc "$pkg" "${f#"$DEB_ROOT"/}")" "kajongg_$v" GPL-2+ "$(basename "$f" .ogg)" 0
  done < <(find "$root" -type f -name '*.ogg' | sort)
}

# ---------------------------------------------------------------- noise
# megaglest tileset ambience: day/night/rain/wind beds and animal calls, one group per tileset
queue_megaglest() {
  local pkg=megaglest-data root f rel ts
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/megaglest/tilesets"
  while IFS= read -r f; do
    rel=${f#"$root"/}; ts=${rel%%/*}
    cand "$f" "noise/megaglest/${ts}__$(basename "${f%.*}").flac" noise "$(debsrc "$pkg" "${f#"$DEB_ROOT"/}")" \
      "megaglest_$ts" CC-BY-SA-3.0 "$(basename "${f%.*}")" "$NOISE_MAX_S"
  done < <(find "$root" -path '*/sounds/*' -type f \( -name '*.ogg' -o -name '*.wav' \) | sort)
}
# widelands work and nature sounds (animals, farms, smiths, saws, ...); the top-level files are UI
# clicks and chat signals, and data/music is music
queue_widelands() {
  local pkg=widelands-data root f rel sub
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/widelands/data/sound"
  while IFS= read -r f; do
    rel=${f#"$root"/}; sub=${rel%%/*}; rel=${rel%.ogg}
    cand "$f" "noise/widelands/${rel//\//__}.flac" noise "$(debsrc "$pkg" "${f#"$DEB_ROOT"/}")" \
      "widelands_$sub" GPL-2+ "$(basename "$f" .ogg)" "$NOISE_MAX_S"
  done < <(find "$root" -mindepth 2 -type f -name '*.ogg' | sort)
}
# wesnoth ambient loops and a few environment sounds (rumble, cave-in, lightning, fuse, fire)
queue_wesnoth() {
  local pkg=wesnoth-1.16-data root f n group
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/wesnoth/1.16/data/core/sounds"
  for f in "$root"/ambient/*.ogg "$root"/{rumble,cave-in,lightning,fuse}.ogg "$root"/fire.wav; do
    [[ -f "$f" ]] || continue
    n=$(basename "${f%.*}"); group=wesnoth_env; [[ "$f" != */ambient/* ]] || group=wesnoth_ambient
    cand "$f" "noise/wesnoth/${group#wesnoth_}__$n.flac" noise "$(debsrc "$pkg" "${f#"$DEB_ROOT"/}")" \
      "$group" GPL-2+ "$n" "$NOISE_MAX_S"
  done
}
# trigger-rally car sounds (engine, gravel, wind, gear, bang) from data.zip; the co-driver calls are speech
queue_trigger() {
  local pkg=trigger-rally-data n lic
  fetch_deb "$pkg"
  rm -rf "$WORK/trigger"; mkdir -p "$WORK/trigger"
  unzip -q -o "$DEB_ROOT/usr/share/games/trigger-rally/data.zip" 'sounds/*.wav' -d "$WORK/trigger"
  for n in bang engine gear gravel wind; do
    lic=GPL-2+; [[ $n != gear ]] || lic=CC0
    cand "$WORK/trigger/sounds/$n.wav" "noise/trigger_rally/$n.flac" noise \
      "$(debsrc "$pkg" "usr/share/games/trigger-rally/data.zip!sounds/$n.wav")" trigger_rally "$lic" "$n" "$NOISE_MAX_S"
  done
}

# ---------------------------------------------------------------- output
write_readme() {
  local dir=$1
  {
    cat <<EOF
# Extra training corpus (16 kHz)

More real voices and noises for TRAINING the noise suppressor, from Debian packages that are not
reserved for evaluation (no asterisk it/ru, fillets, music on hold or ufoai files). Same manifest layout
and format as the starter corpus: FLAC 16 kHz mono 16-bit, levels as recorded.

\`\`\`
speech/tuxpaint/     Tux Paint stamp descriptions, <lang>__<stamp>.flac, one group per language
speech/hedgewars/    Hedgewars voice packs (acted, short lines), one group per pack (Robot left out)
speech/ktuberling/   KTuberling single words, one group per language (wideband languages only)
speech/kajongg/      Kajongg calls, 2 female + 2 male voices (English and German)
noise/megaglest/     MegaGlest tileset ambience: day, night, rain, wind, birds, animals
noise/widelands/     Widelands work and nature sounds (animals, farms, smiths, saws, ...)
noise/wesnoth/       Wesnoth ambient loops and environment sounds
noise/trigger_rally/ Trigger Rally engine, gravel, wind, gear and bang
\`\`\`

Selection: speech at least ${MIN_SPEECH_S} s, not clipped (no more than ${CLIP_MAX_COUNT} samples at a peak
>= 0.99 in any channel of the original), wideband (RMS of the whole file minus RMS above 4 kHz below
${WIDEBAND_MAX_DB} dB), no exact duplicates, in md5 order of the output path up to ${SPEECH_GROUP_CAP_S} s per voice
(and at most the first candidates per group given by \`LIMITS\` in the script: ${LIMITS}). Noise: every
candidate, cut to ${NOISE_MAX_S} s.

**Splits.** valid holds whole voices: in each speech family the first max(1, round(${VALID_SPEECH_PCT} %)) groups in
md5 order of the group name; noise folders with 3 or more groups likewise (${VALID_NOISE_PCT} %), smaller ones by
md5 of the file name (${VALID_NOISE_PCT} %). test.txt is empty: test with the unseen evaluation set and the starter
corpus's test split. Speech minutes train $(split_minutes "$dir" train speech), valid $(split_minutes "$dir" valid speech);
noise minutes train $(split_minutes "$dir" train noise), valid $(split_minutes "$dir" valid noise).
Valid groups: $(tr '\n' ' ' < "$WORK/valid_groups")

EOF
    readme_totals_and_rebuild "$dir" build-extra-train.sh
  } > "$dir/README.md"
}
write_attribution() {
  cat > "$1" <<EOF
# Attribution and licenses

Each file keeps the license of its source (column \`license\` of MANIFEST.tsv); files were only
decoded, mixed to mono, resampled to 16 kHz and (noise) cut to ${NOISE_MAX_S} s. Each Debian package's
copyright file is in \`LICENSES/<package>.copyright\`.

| part | source | license | attribution |
|---|---|---|---|
| speech/tuxpaint | \`tuxpaint-stamps-default\` ${PKGVER[tuxpaint-stamps-default]} | GPL-2+ | Tux Paint stamps, Bill Kendrick and the Tux Paint contributors (2002-2022). |
| speech/hedgewars | \`hedgewars-data\` ${PKGVER[hedgewars-data]} | GFDL-1.3 (Data/Sounds/*, per the Debian copyright file) | Hedgewars project, Andrey Korotaev and contributors. |
| speech/ktuberling | \`ktuberling-data\` ${PKGVER[ktuberling-data]} | GPL-2+ | KTuberling (KDE), Éric Bischoff and the KDE translators who recorded the words. |
| speech/kajongg | \`kajongg\` ${PKGVER[kajongg]} | GPL-2+ | Kajongg voices, Wolfgang Rohdewald. |
| noise/megaglest | \`megaglest-data\` ${PKGVER[megaglest-data]} | CC-BY-SA-3.0 | MegaGlest team and Glest contributors. |
| noise/widelands | \`widelands-data\` ${PKGVER[widelands-data]} | GPL-2+ | Widelands development team. |
| noise/wesnoth | \`wesnoth-1.16-data\` ${PKGVER[wesnoth-1.16-data]} | GPL-2+ | Battle for Wesnoth, David White and contributors. |
| noise/trigger_rally | \`trigger-rally-data\` ${PKGVER[trigger-rally-data]} | GPL-2+ (gear.wav: CC0) | Trigger Rally, Jasmine Langridge and contributors. |

GPL / GFDL: pass on the license text and offer the source (the Debian source package of the name and
version in MANIFEST.tsv). CC-BY-SA: attribute, and audio derived from these files that you pass on
stays CC-BY-SA.
EOF
}

# ================================================================ main
queue_tuxpaint
queue_hedgewars
queue_ktuberling
queue_kajongg
queue_megaglest
queue_widelands
queue_wesnoth
queue_trigger
for spec in $LIMITS; do limit_cands "${spec%:*}" "${spec##*:}"; done
if [[ $DRY_RUN = 1 ]]; then cut -f3,5 "$CANDS" | sort | uniq -c >&2; rm -rf "$STAGE"; exit 0; fi
process_all

for g in $(awk -F'\t' '$3 == "speech" { print $5 }' "$CANDS" | sort -u); do
  select_group "$g" "$MIN_SPEECH_S" "$SPEECH_GROUP_CAP_S" 1 1
done
for g in $(awk -F'\t' '$3 == "noise" { print $5 }' "$CANDS" | sort -u); do select_group "$g" 0 0 0 0; done
stage_manifest_splits_gpl
[[ ! -f /usr/share/common-licenses/GFDL-1.3 ]] || cp /usr/share/common-licenses/GFDL-1.3 "$STAGE/LICENSES/GFDL-1.3.txt"
finish_build
