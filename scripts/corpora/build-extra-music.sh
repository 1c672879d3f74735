#!/usr/bin/env bash
# build-extra-music.sh - build an extra TRAINING noise corpus of MUSIC (game soundtracks: orchestral, ambient,
# electronic, rock, folk) from Debian packages that are not reserved for evaluation. Music is one of the noise
# types users meet (and the held-out sets use: music on hold); the training noise had only the starter corpus's
# four music-on-hold tracks, and it is the type on which the model is furthest behind RNNoise
# (docs/generalization.md "Per noise type"). All of it goes into ONE folder, noise/music, so that the mixer draws
# it as one noise type.
#
# Usage: build-extra-music.sh OUT_DIR [--pkg-cache DIR] [--work DIR] [--jobs N] [--dry-run]
#   --pkg-cache DIR  where .deb files are kept / downloaded (default: ~/.cache/corpus-debs)
#   --work DIR       scratch folder, kept for reuse (default: a temporary folder, removed at exit)
#   --jobs N         parallel conversions (default 2)
#   --dry-run        list the candidate files per group and stop (nothing converted)
#
# Needs (as root): apt-get update && apt-get install -y sox libsox-fmt-all ffmpeg unzip
# Same packages -> same bytes: sox -R, md5-ordered selection, pinned package versions.
# Splits: single tracks (by md5 of the file name, 15 %) go to valid (the folder has fewer than 3 groups); test is empty.
set -euo pipefail
BUILDER=extra-music
SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=lib.sh
source "$(dirname "$SCRIPT_PATH")/lib.sh"

# ---------------------------------------------------------------- settings
MIN_TRACK_S=20          # shorter files are jingles, not music to train on
CLIP_MAX_COUNT=0.1%     # convert_one's clipping flag (lib.sh); select_group ignores it here: music is mastered loud
WIDEBAND_MAX_DB=50      # band-limited (dropped): RMS(full) - RMS(>4 kHz) >= this (as the other noise builders)
MIN_RMS_DB=-50          # near-silent (dropped): RMS of the 16 kHz file below this (dBFS)
NOISE_MAX_S=60          # each track is cut to its first minute: more tracks rather than long ones
GROUP_CAP_S=1800        # at most 30 min per package
VALID_SPEECH_PCT=12     # (no speech here; write_splits reads it only for speech)
VALID_NOISE_PCT=15      # share of the tracks in valid

declare -A PIN=(
  [widelands-data]=2:1.1-3
  [hedgewars-data]=1.0.2-6
)
# RESERVED_RE (lib.sh): the packages reserved for evaluation (music on hold among them), never read here.

parse_builder_args "" "$@"
need_tools
common_setup "$OUT_ARG"

# ---------------------------------------------------------------- sources
# queue_folder PKG DIR GROUP LICENSE_FN: every .ogg in DIR of the unpacked PKG as noise/music/GROUP-suffix__NAME.flac;
# LICENSE_FN prints the license of a file name.
queue_folder() {
  local pkg=$1 dir=$2 grp=$3 licfn=$4 f n
  fetch_deb "$pkg"
  n=0
  for f in "$DEB_ROOT/$dir"/*.ogg; do
    [[ -f "$f" ]] || continue; n=$((n + 1))
    cand_deb_noise "$pkg" "$f" "noise/music/${grp%_*}__$(basename "$f" .ogg).flac" "$grp" "$("$licfn" "$(basename "$f")")" "$(basename "$f" .ogg)"
  done
  [[ $n -gt 0 ]] || die "no .ogg files in $pkg: $dir"
}
# Widelands' in-game, menu and intro music: GPL-2+ (Files: *) except three tracks by Stuart Marshall (CC-BY-SA-3.0).
widelands_license() { case "$1" in ingame_24.ogg|ingame_25.ogg|ingame_26.ogg) echo CC-BY-SA-3.0 ;; *) echo GPL-2+ ;; esac; }
# Hedgewars' theme music (Data/Music: the package's Files: *, GPL-2; its Data/Sounds effects, GFDL, are not read).
hedgewars_license() { echo GPL-2; }

# ---------------------------------------------------------------- output
write_readme() {
  local dir=$1
  {
    cat <<EOF
# Extra music corpus (16 kHz, training)

Noise for TRAINING the noise suppressor: music, from the soundtracks of two games in Debian (not reserved for
evaluation: no music on hold, no asterisk or fillets files). One folder, \`noise/music\`, so that the mixer draws it
as one noise type. Same manifest layout and format as the other corpora: FLAC 16 kHz mono 16-bit, levels as
recorded, each track cut to its first ${NOISE_MAX_S} s.

\`\`\`
noise/music/widelands__* Widelands in-game, menu and intro music (orchestral, folk, ambient)
noise/music/hedgewars__* Hedgewars theme music (one track per map theme: electronic, rock, orchestral, ethnic)
\`\`\`

Selection: tracks of at least ${MIN_TRACK_S} s; dropped when band-limited (RMS of the whole file minus RMS above 4 kHz at
least ${WIDEBAND_MAX_DB} dB), near-silent (RMS below ${MIN_RMS_DB} dBFS) or an exact duplicate of another source; in md5
order of the output path up to ${GROUP_CAP_S} s per package. Clipping is not a reason to drop music (mastered loud).
Singing: these soundtracks are instrumental as far as their titles and the games go; not listened through.

EOF
    noise_readme_splits "$dir"
    readme_totals_and_rebuild "$dir" build-extra-music.sh
  } > "$dir/README.md"
}
write_attribution() {
  {
    noise_attribution_intro
    cat <<EOF
| noise/music (widelands__) | \`widelands-data\` ${PKGVER[widelands-data]} | GPL-2+ (ingame_24-26: CC-BY-SA-3.0) | The Widelands Development Team; ingame_24-26: Stuart Marshall. |
| noise/music (hedgewars__) | \`hedgewars-data\` ${PKGVER[hedgewars-data]} | GPL-2 | Hedgewars, Andrey Korotaev and the Hedgewars Project. |

GPL: pass on the license text (LICENSES/) and offer the source (the Debian source package of the name and
version in MANIFEST.tsv). CC-BY-SA: attribute as above; audio derived from it that you pass on stays
CC-BY-SA (license text in LICENSES/widelands-data.copyright).
EOF
  } > "$1"
}

# ================================================================ main
queue_folder widelands-data usr/share/games/widelands/data/music widelands_music widelands_license
queue_folder hedgewars-data usr/share/games/hedgewars/Data/Music hedgewars_music hedgewars_license
process_candidates

for g in $(cut -f5 "$CANDS" | sort -u); do
  select_group "$g" "$MIN_TRACK_S" "$GROUP_CAP_S" 1 0 "$MIN_RMS_DB"
done
stage_manifest_splits_gpl
finish_build
