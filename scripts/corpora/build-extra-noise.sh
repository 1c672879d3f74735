#!/usr/bin/env bash
# build-extra-noise.sh - build an extra TRAINING noise corpus: the kinds of noise the other training corpora
# lack (aircraft and cockpit, engines and vehicles, industry and machinery, crowds, rain, wind and thunder),
# from Debian packages that are not reserved for evaluation (see build-unseen-eval.sh for the reserved ones).
# Noise only: files with spoken words (callouts, ATC, PA, voices) are never listed.
#
# Usage: build-extra-noise.sh OUT_DIR [--pkg-cache DIR] [--work DIR] [--jobs N] [--dry-run]
#   --pkg-cache DIR  where .deb files are kept / downloaded (default: ~/.cache/corpus-debs)
#   --work DIR       scratch folder, kept for reuse (default: a temporary folder, removed at exit)
#   --jobs N         parallel conversions (default 2)
#   --dry-run        list the candidate files per group and stop (nothing converted)
#
# Needs (as root): apt-get update && apt-get install -y sox libsox-fmt-all ffmpeg unzip
# Same packages -> same bytes: sox -R, md5-ordered selection, pinned package versions.
# Splits: whole groups go to valid where a folder has 3 or more groups, else single files; test is empty.
set -euo pipefail
BUILDER=extra-noise
SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=lib.sh
source "$(dirname "$SCRIPT_PATH")/lib.sh"

# ---------------------------------------------------------------- settings
MIN_NOISE_S=1.0         # loops and recordings shorter than this are dropped ...
MIN_ONESHOT_S=0.3       # ... except in the one-shot families (openttd effects, torcs engine loops)
ONESHOT_RE='^(openttd|torcs)_'
WIDEBAND_MAX_DB=50      # band-limited (dropped): RMS(full) - RMS(>4 kHz) >= this. Not the speech rule (30 dB):
                        # engines, wind and thunder fall off steeply, but files sampled at 8 kHz or low-passed
                        # near 4 kHz lie 50-85 dB down, at the dither floor
CLIP_MAX_COUNT=0.1%     # clipping-heavy (dropped): more than this share of a channel's samples at a >= 0.99 peak
MIN_RMS_DB=-60          # near-silent (dropped): RMS of the 16 kHz file below this (dBFS)
NOISE_MAX_S=120         # long noise tracks are cut to their first N seconds
GROUP_CAP_S=480         # at most 8 min per group, so that no group dominates
VALID_SPEECH_PCT=12     # (no speech here; write_splits reads it only for speech)
VALID_NOISE_PCT=15      # share of noise groups (or files, where a folder has < 3 groups) in valid

declare -A PIN=(
  [flightgear-data-base]=1:2020.3.16+dfsg-1
  [openttd-opensfx]=1.0.3-2
  [torcs-data]=1.3.7+dfsg-5
  [supertuxkart-data]=1.4+dfsg-2
  [0ad-data]=0.0.26-1
  [lincity-ng-data]=2.9~git20150314-5
  [redeclipse-data]=1.6.0-1
)
# RESERVED_RE (lib.sh): the packages reserved for evaluation, never read here (checked against every source
# before writing the manifest).

parse_builder_args "" "$@"
need_tools
common_setup "$OUT_ARG"

# ---------------------------------------------------------------- sources
# Every source is named explicitly: the packages also hold voice callouts (FlightGear mk-viii and tcas,
# c172p checklists), PA announcements, music, UI beeps and cartoon effects, none of which is listed.

# FlightGear: engines and rotors, cockpit mechanics, weather (GPL-2+, Files: * of the copyright file)
FG_ENGINE="engine-prop prop jet turbine_loop turbine_start turbine_shutdown turbojet_fan turboprop1 R-1535Slow
  exhaust_loop exhaust_start exhaust_shutdown p51d_rpm1 p51d_starter p51d_startup starter_loop starter_start
  starter_stop helicopter rotor rotor-2blade blade_vortex wasp whine fan rumble rumble-rough rattleroll
  c172p:engine c172p:engine-idle c172p:engine-cut c172p:engine-start c172p:engine-crank"
FG_COCKPIT="avionics-400Hz radionoise c172p:gyro c172p:flaps-motor c172p:tires-rolling-asphalt
  c172p:tires-rolling-gravel c172p:tires-screech-asphalt c172p:water-fast c172p:water-still"
FG_WEATHER="rain rain-windshield thunder thunder1 thunder2 thunder3 wind wind1 wind-8khz"
queue_flightgear() {
  local pkg=flightgear-data-base root grp list n f out
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/flightgear"
  for grp in engine cockpit weather; do
    case $grp in engine) list=$FG_ENGINE ;; cockpit) list=$FG_COCKPIT ;; weather) list=$FG_WEATHER ;; esac
    for n in $list; do
      if [[ $n == c172p:* ]]; then n=${n#c172p:}; f="$root/Aircraft/c172p/Sounds/$n.wav"; out="${grp}__c172p-$n"
      else f="$root/Sounds/$n.wav"; out="${grp}__$n"; fi
      cand_deb_noise "$pkg" "$f" "noise/flightgear/$out.flac" "flightgear_$grp" GPL-2+ "$n"
    done
  done
}

# OpenTTD OpenSFX: industry, vehicles, aircraft and ambience effects, chosen by their title. The Debian
# copyright file: the collection is CC-BY-SA-3.0 (single samples CC-BY-3.0, CC-BY-SA-3.0 or CC0, each
# credited in the catalogue; those credits go to LICENSES/openttd-opensfx-credits.tsv).
openttd_group() {
  case "$1" in
    "Factory Whistle"|"Mining machinery"|"Electric sparking"|"Jackhammer"|"Building bridge"|"Sawmill"|\
    "Lumber mill: Chainsaw"|"Lumber mill: Falling tree"|"Lumber mill: Crashing tree") echo industry ;;
    "Steam train station departure"|"Steam engine going in tunnel"|"Diesel/electric train station departure"|\
    "Steam (of steam engine)"|"Level crossing"|"Truck/old bus start, pull away"|\
    "Truck/old bus start, pull away with horn"|"Modern bus start"|"Old bus start"|\
    "Maglev train station departure"|"Monorail train station departure"|"Ship horn"|"Ferry horn") echo vehicles ;;
    "Propeller plane start"|"Early jet take off"|"Plane wheels touching ground"|"Helicopter"|\
    "Mach 1+ Jet take off"|"Modern jet take off") echo aircraft ;;
    "Applause"|"Wind"|"Heavy wind") echo ambience ;;
  esac
}

# TORCS: car engine loops (played pitch-shifted by the game) and road/tyre noise (GPL-2+, Files: *)
TORCS_ENGINE="206_engine 935 944 alpha-romeo cleanviper clkdtmb2 corolla1400hi2 engine-1 evo7_engine evo7_engine_f
  f360 ferrarif355 ferrarif50 ford1b ford2c gt40 impreza2002_engine lamborghinidiablo lotus mclarenf1 nsx
  porsche_engine renault-v10 turbo1 viper2 viper_long xj220 backfire_loop"
TORCS_ROAD="road-ride skid_tyres skid_metal out_of_road out_of_road-3 axle"
queue_torcs() {
  local pkg=torcs-data root grp list n
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/torcs/data/sound"
  for grp in engine road; do
    case $grp in engine) list=$TORCS_ENGINE ;; road) list=$TORCS_ROAD ;; esac
    for n in $list; do
      cand_deb_noise "$pkg" "$root/$n.wav" "noise/torcs/${grp}__$n.flac" "torcs_$grp" GPL-2+ "$n"
    done
  done
}

# SuperTuxKart: engines (a jet fly-over, cars, a truck/compressor mix, a steam locomotive, a machine) and
# weather/water; licenses per file from the Debian copyright file. Left out: the restaurant and airport
# PA ambiences (voices), static-radio (may hold broadcast speech), cartoon effects, music.
STK_FILES="engines sfx/airplane_jetEngine.ogg CC-BY-SA-3.0
engines sfx/car_accel.ogg CC-BY-3.0
engines sfx/car_revup.ogg CC-BY-3.0
engines sfx/engine_large.ogg CC-BY-SA-3.0
engines sfx/engine_small.ogg CC-BY-SA-3.0/GPL-2/GPL-3
engines sfx/machine_sound.ogg CC-BY-3.0
engines tracks/black_forest/steamLocomotive.ogg CC-BY-SA-3.0
weather sfx/rain.ogg CC-BY-3.0
weather sfx/thunder.ogg CC-BY-3.0
weather sfx/river_loop.ogg CC0
weather sfx/waterfall_loop_2.ogg CC0"
queue_stk() {
  local pkg=supertuxkart-data root grp rel lic n
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/supertuxkart/data"
  while read -r grp rel lic; do
    n=$(basename "$rel" .ogg)
    cand_deb_noise "$pkg" "$root/$rel" "noise/supertuxkart/${grp}__$n.flac" "stk_$grp" "$lic" "$n"
  done <<< "$STK_FILES"
}

# 0 A.D.: long rain, wind, storm and water ambiences from public.zip (CC-BY-SA-3.0, Files: *). Left out: the
# farm, port and market ambiences (may hold voices), the dayscapes (birds), unit voices, music.
ZAD_FILES="rain weather/rain_11 weather/rain_12 weather/thunder_10 weather/thunder_11
wind weather/wind_11 weather/windstorm_11 weather/snowstorm_11 weather/windgust_11 weather/windleaves_10 weather/windleaves_11
water water/river_fast_21 water/river_med_21 water/river_raging_21 water/river_slow_21 water/waterfall_31 water/wave_21 water/wavecrash_21 water/waverocky_21"
queue_0ad() {
  local pkg=0ad-data zip grp files a zrel
  fetch_deb "$pkg"; zip="$DEB_ROOT/usr/share/games/0ad/mods/public/public.zip"
  rm -rf "$WORK/0ad"; mkdir -p "$WORK/0ad"
  # shellcheck disable=SC2046  # one unzip call for all the files (the archive's directory is large)
  unzip -q -o "$zip" $(awk '{ for (i = 2; i <= NF; i++) print "audio/ambient/" $i ".ogg" }' <<< "$ZAD_FILES") -d "$WORK/0ad"
  while read -r grp files; do
    for a in $files; do
      zrel="audio/ambient/$a.ogg"; [[ -f "$WORK/0ad/$zrel" ]] || die "missing in $pkg: $zrel"
      cand "$WORK/0ad/$zrel" "noise/0ad/${grp}__$(basename "$a").flac" noise \
        "$(debsrc "$pkg" "${zip#"$DEB_ROOT"/}!$zrel")" "0ad_$grp" CC-BY-SA-3.0 "$(basename "$a")" "$NOISE_MAX_S"
    done
  done <<< "$ZAD_FILES"
}

# LinCity-NG building loops: industry, traffic (road, rail, dirt track, harbour, rocket pad) and a sports
# crowd (GPL-2+; the copyright file: sound effects dual GPL / CC-BY-SA-2.0, Debian uses the GPL). Left out:
# residential, school, market, health and other loops that may hold voices, and the UI clicks.
LINCITY_GLOBS="industry IndustryHigh IndustryLight CoalMine OreMine Mill PowerCoal Recycle Tip Blacksmith Pottery WindMill Substation
traffic TraficHigh TraficLow RailTrain DirtTrack Harbor Rocket
crowd SportsCroud"
queue_lincity() {
  local pkg=lincity-ng-data root grp prefixes p f n
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/lincity-ng/sounds"
  while read -r grp prefixes; do
    for p in $prefixes; do
      for f in "$root/$p"*.wav; do
        n=$(basename "$f" .wav)
        cand_deb_noise "$pkg" "$f" "noise/lincity/${grp}__$n.flac" "lincity_$grp" GPL-2+ "$n"
      done
    done
  done <<< "$LINCITY_GLOBS"
}

# Red Eclipse ambience loops: wind, water and machinery/traffic (the copyright file: data/sounds/ambience/*
# CC-BY-SA-3.0, distant_cars.ogg CC-BY-3.0). Left out: the sci-fi loops (jump pads, teleport, alien wind,
# wakawaka, lava), forest, insects, the announcer and voice folders, music.
RE_FILES="wind wind blowwind hollowwind wastewind
water river creek water waterfall2 waterfall3 waterfall_deep waterfall_huge waterfall_indoor waterfall_medium
machines distant_cars hum vapour machine1 pneumatic fire"
queue_redeclipse() {
  local pkg=redeclipse-data root grp names n f lic
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/redeclipse/data/sounds/ambience"
  while read -r grp names; do
    for n in $names; do
      f="$root/$n.ogg"
      lic=CC-BY-SA-3.0; [[ $n != distant_cars ]] || lic=CC-BY-3.0
      cand_deb_noise "$pkg" "$f" "noise/redeclipse/${grp}__$n.flac" "redeclipse_$grp" "$lic" "$n"
    done
  done <<< "$RE_FILES"
}

# ---------------------------------------------------------------- output
write_readme() {
  local dir=$1
  {
    cat <<EOF
# Extra noise corpus (16 kHz, training)

Noise for TRAINING the noise suppressor, of the kinds the starter and extra-train corpora lack: aircraft and
cockpit, engines and vehicles, industry and machinery, crowds, rain, wind and thunder. From Debian packages
that are not reserved for evaluation (no asterisk it/ru, fillets, music on hold or ufoai files). Same
manifest layout and format as the other corpora: FLAC 16 kHz mono 16-bit, levels as recorded. No speech:
every source file is named in the script, and voice callouts, PA and ATC, voice folders, ambiences that may
hold voices, music and UI beeps are left out.

\`\`\`
noise/flightgear/    FlightGear: engine__ (piston, prop, jet, turbine, rotor loops and starters),
                     cockpit__ (avionics hum, gyro, flap motor, tyres, water), weather__ (rain, thunder, wind)
noise/openttd/       OpenTTD OpenSFX effects: industry__, vehicles__ (trains, buses, ships), aircraft__,
                     ambience__ (applause, wind)
noise/torcs/         TORCS: engine__ (car engine loops), road__ (road ride, skids)
noise/supertuxkart/  SuperTuxKart: engines__ (jet fly-over, cars, steam locomotive, machine), weather__
noise/0ad/           0 A.D. ambiences: rain__, wind__ (wind, storm, snowstorm), water__ (rivers, waves)
noise/lincity/       LinCity-NG building loops: industry__, traffic__ (road, rail, harbour), crowd__ (sports)
noise/redeclipse/    Red Eclipse ambience loops: wind__, water__ (rivers, waterfalls), machines__ (traffic, hum, steam)
\`\`\`

Selection: files of at least ${MIN_NOISE_S} s (${MIN_ONESHOT_S} s in the one-shot families openttd and torcs), cut
to ${NOISE_MAX_S} s; dropped when clipping-heavy (more than ${CLIP_MAX_COUNT} of the samples of a channel of the original
at a peak >= 0.99), band-limited (RMS of the whole file minus RMS above 4 kHz at least ${WIDEBAND_MAX_DB} dB), near-silent (RMS
below ${MIN_RMS_DB} dBFS) or an exact duplicate of another source; in md5 order of the output path up to
${GROUP_CAP_S} s per group.

EOF
    noise_readme_splits "$dir"
    readme_totals_and_rebuild "$dir" build-extra-noise.sh
  } > "$dir/README.md"
}
write_attribution() {
  {
    noise_attribution_intro
    cat <<EOF
| noise/flightgear | \`flightgear-data-base\` ${PKGVER[flightgear-data-base]} | GPL-2+ | FlightGear, Curtis L. Olson and the FlightGear team. |
| noise/openttd | \`openttd-opensfx\` ${PKGVER[openttd-opensfx]} | CC-BY-SA-3.0 (the collection; single samples CC-BY-3.0, CC-BY-SA-3.0 or CC0) | OpenSFX, Janis Lukss, Wuzzy, Richard Wheeler and the freesound.org authors named per file in \`LICENSES/openttd-opensfx-credits.tsv\`. |
| noise/torcs | \`torcs-data\` ${PKGVER[torcs-data]} | GPL-2+ | TORCS, Eric Espié, Christophe Guionneau, Bernhard Wymann and contributors. |
| noise/supertuxkart | \`supertuxkart-data\` ${PKGVER[supertuxkart-data]} | per file (column license) | airplane_jetEngine: Fritz Schlüter (CC-BY-SA-3.0); car_accel: "SpeedJunkie" (CC-BY-3.0); car_revup: Mike Koenig (CC-BY-3.0); engine_large: Mike Koenig, "Stephan", "SpeedJunkie", mixed by Marianne Gagnon (CC-BY-SA-3.0); engine_small: Ivan "qubodup" Gabovitch (CC-BY-SA-3.0 or GPL-2 or GPL-3); machine_sound: Swelk, modified by Marianne Gagnon (CC-BY-3.0); steamLocomotive: Daniel Simion (CC-BY-SA-3.0); rain (CC-BY-3.0); thunder: Mike Koenig, modified by Marianne Gagnon (CC-BY-3.0); river_loop: Adam Newns (CC0); waterfall_loop_2: Leonard "VKProduktion" Graf (CC0). |
| noise/0ad | \`0ad-data\` ${PKGVER[0ad-data]} | CC-BY-SA-3.0 | 0 A.D., Wildfire Games. |
| noise/lincity | \`lincity-ng-data\` ${PKGVER[lincity-ng-data]} | GPL-2+ (upstream: GPL or CC-BY-SA-2.0) | LinCity-NG team (I J Peters, Greg Sharp, Corey Keasling, Ingo Ruhnke, Wolfgang Becker, Matthias Braun and others). |
| noise/redeclipse | \`redeclipse-data\` ${PKGVER[redeclipse-data]} | CC-BY-SA-3.0 (distant_cars: CC-BY-3.0) | Red Eclipse ambience, Quinton "quin" Reeves and Alex "blackshoe" Anguix; wind: Batuhan Bozkurt; water: Paul Hertz; hum: Therac-25; river: Mike "Acclivity"; creek: Richard Humphries; waterfall*: Tim "Corsica_S" Kahn; vapour: D.a.M.i.E.n.; distant_cars: "fresco" and "WIM" (all via freesound.org, relicensed with permission). |

GPL: pass on the license text and offer the source (the Debian source package of the name and version in
MANIFEST.tsv). CC-BY / CC-BY-SA: attribute as above; audio derived from CC-BY-SA files that you pass on
stays CC-BY-SA. The CC license texts are in the copyright files of openttd-opensfx, 0ad-data and redeclipse-data.
EOF
  } > "$1"
}

# ================================================================ main
queue_flightgear
queue_openttd openttd_group
queue_torcs
queue_stk
queue_0ad
queue_lincity
queue_redeclipse
process_candidates

for g in $(cut -f5 "$CANDS" | sort -u); do
  min=$MIN_NOISE_S; [[ ! "$g" =~ $ONESHOT_RE ]] || min=$MIN_ONESHOT_S
  select_group "$g" "$min" "$GROUP_CAP_S" 1 1 "$MIN_RMS_DB"
done
stage_manifest_splits_gpl
[[ ! -f /usr/share/common-licenses/GPL-3 ]] || cp /usr/share/common-licenses/GPL-3 "$STAGE/LICENSES/GPL-3.txt"
awk -F'\t' 'NR == FNR { k[$1]; next } ($1 in k)' <(cut -f1 "$ROWS") "$WORK/openttd-credits.tsv" | sort > "$STAGE/LICENSES/openttd-opensfx-credits.tsv"
finish_build
