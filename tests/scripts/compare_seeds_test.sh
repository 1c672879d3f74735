#!/usr/bin/env bash
# scripts/selection/compare-seeds.py on made-up eval reports: a candidate within the tolerance passes, one row
# beyond it fails, --report-only-high stops the 20 / 30 / clean rows from counting, --need-gain asks for a gain
# beyond the tolerance, means are over the seeds, and a file that is not a report is refused with status 2.
set -euo pipefail
tool="$1/scripts/selection/compare-seeds.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# report NAME SISDR_ALL STOI_ALL ESTOI_ALL SISDR_30 CLEAN_SISDR: rows all, SNR 0 dB (= all), SNR 30 dB, clean
report() {
  cat > "$work/$1.json" <<EOF
{"groups": [
 {"label": "all", "clean": false, "metrics": {"si_sdr_db": {"improvement": $2}, "stoi": {"improvement": $3}, "estoi": {"improvement": $4}}},
 {"label": "SNR 0 dB", "clean": false, "metrics": {"si_sdr_db": {"improvement": $2}, "stoi": {"improvement": $3}, "estoi": {"improvement": $4}}},
 {"label": "SNR 30 dB", "clean": false, "metrics": {"si_sdr_db": {"improvement": $5}, "stoi": {"improvement": 0}, "estoi": {"improvement": 0}}},
 {"label": "clean (output vs input)", "clean": true, "metrics": {"si_sdr_db": {"enhanced": $6}, "stoi": {"enhanced": 0.99}, "estoi": {"enhanced": 0.98}}}]}
EOF
}
run() { python3 "$tool" "$@" > "$work/out.txt" 2>&1; }
report b1 1.00 0.0050 0.0010 -7.0 21.0
report b2 1.10 0.0052 0.0012 -7.2 20.8     # baseline means: 1.05 / 0.0051 / 0.0011, 30 dB -7.1, clean 20.9
report same 1.00 0.0050 0.0010 -7.2 20.8
report low 0.90 0.0051 0.0011 -7.1 20.9    # all / 0 dB SI-SDR 0.15 below the mean: beyond 0.10
report hi30 1.05 0.0051 0.0011 -8.0 20.9   # 30 dB 0.9 dB below: beyond 0.3
report gain 1.30 0.0051 0.0011 -7.1 20.9   # 0.25 dB ahead overall
run --baseline "$work/b1.json" "$work/b2.json" --candidate "$work/same.json" "$work/b2.json" || fail "within the tolerance: $(cat "$work/out.txt")"
grep -q '^PASS$' "$work/out.txt" || fail "no PASS line"
! run --baseline "$work/b1.json" "$work/b2.json" --candidate "$work/low.json" || fail "0.15 dB below passed"
grep -q '| all | .*fails SI-SDR (-0.150, tol 0.10)' "$work/out.txt" || fail "the failing row, its difference and tolerance not named: $(cat "$work/out.txt")"
! run --baseline "$work/b1.json" "$work/b2.json" --candidate "$work/hi30.json" || fail "30 dB 0.9 dB below passed"
run --baseline "$work/b1.json" "$work/b2.json" --candidate "$work/hi30.json" --report-only-high || fail "--report-only-high still counted 30 dB"
grep -q 'reported only' "$work/out.txt" || fail "30 dB not marked as reported only"
! run --baseline "$work/b1.json" "$work/b2.json" --candidate "$work/same.json" --need-gain || fail "--need-gain passed an equal candidate"
grep -q 'ahead by more than the tolerance: SI-SDR -0.050 (tol 0.10)' "$work/out.txt" || fail "--need-gain's margins not shown: $(cat "$work/out.txt")"
run --baseline "$work/b1.json" "$work/b2.json" --candidate "$work/gain.json" --need-gain || fail "--need-gain refused a 0.25 dB gain"
# a mean, not a best seed: one seed far below, one above, mean within
report lowseed 0.80 0.0050 0.0010 -7.1 20.9
report highseed 1.28 0.0052 0.0012 -7.1 20.9
run --baseline "$work/b1.json" "$work/b2.json" --candidate "$work/lowseed.json" "$work/highseed.json" || fail "mean 1.04 within 0.10 of 1.05 failed"
echo '{"not": "a report"}' > "$work/bad.json"
set +e; python3 "$tool" --baseline "$work/bad.json" --candidate "$work/b1.json" > "$work/out.txt" 2>&1; rc=$?; set -e
[[ $rc -eq 2 ]] || fail "a bad report gave status $rc"
grep -q 'bad.json: not an nnse eval --json report' "$work/out.txt" || fail "bad input not named: $(cat "$work/out.txt")"
echo "compare-seeds: ok"
