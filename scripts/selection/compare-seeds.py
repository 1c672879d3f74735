#!/usr/bin/env python3
"""Compare a candidate recipe with a baseline recipe on `nnse eval --json` reports, over seeds.

The model card's selection rule (models/se_nn_arch72_mel/MODEL_CARD.md): for each row of the report (all, each
input SNR, clean) the mean over the given seeds of the change over noisy (SI-SDR dB, STOI, ESTOI; the clean row:
the output against its input) is compared. A candidate row fails when it is lower than the baseline's mean by more
than the tolerance (the spread of the baseline recipe's own seeds); the 20 dB, 30 dB and clean rows have their own
tolerance (--high-tol) and can be reported without counting (--report-only-high, for a view whose high-SNR rows
measure something else). --need-gain also asks that the candidate's "all" row be ahead by more than the tolerance
in at least one metric. Prints the table; exit status 0 = passes, 1 = fails, 2 = bad input.

  scripts/selection/compare-seeds.py --baseline base_s3.json base_s4.json --candidate cand_s3.json cand_s4.json \\
      --tol 0.10,0.0006,0.0010 --high-tol 0.3,0.001,0.001 --need-gain
"""
import argparse
import json
import sys

METRICS = ("si_sdr_db", "stoi", "estoi")
NAMES = ("SI-SDR", "STOI", "ESTOI")
DIGITS = (2, 4, 4)  # the table's decimals per metric
HIGH_ROWS = ("20", "30", "clean")


def shown(digits, base, cand, tol):
    """A metric's difference and tolerance as text, the difference one digit finer than the table's, so that a
    difference just beyond the tolerance does not print as equal to it."""
    return f"{cand - base:+.{digits + 1}f}", f"{tol:.{digits}f}"


def fail_input(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def read_rows(path):
    try:
        with open(path) as f:
            report = json.load(f)
        rows = {}
        for group in report["groups"]:
            key = "clean" if group["clean"] else group["label"].replace("SNR ", "").replace(" dB", "")
            field = "enhanced" if group["clean"] else "improvement"
            rows[key] = tuple(float(group["metrics"][m][field]) for m in METRICS)
        return rows
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail_input(f"{path}: not an nnse eval --json report ({e.__class__.__name__}: {e})")


def mean_rows(paths):
    reports = [read_rows(p) for p in paths]
    keys = list(reports[0])
    for path, rows in zip(paths, reports):
        if list(rows) != keys:
            fail_input(f"{path}: its rows {list(rows)} differ from {paths[0]}'s {keys}: not the same evaluation")
    return {k: tuple(sum(r[k][i] for r in reports) / len(reports) for i in range(3)) for k in keys}


def triple(text):
    parts = text.split(",")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"'{text}': give three numbers SI-SDR,STOI,ESTOI")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': not numbers")
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"'{text}': tolerances are not negative")
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", nargs="+", required=True, help="reports of the baseline, one per seed")
    parser.add_argument("--candidate", nargs="+", required=True, help="reports of the candidate, one per seed")
    parser.add_argument("--tol", type=triple, default=(0.10, 0.0005, 0.0006), help="rows -5..15 dB and all")
    parser.add_argument("--high-tol", type=triple, default=(0.3, 0.001, 0.001), help="rows 20 dB, 30 dB, clean")
    parser.add_argument("--report-only-high", action="store_true", help="print the 20, 30 and clean rows only")
    parser.add_argument("--need-gain", action="store_true", help="the all row must be ahead beyond --tol somewhere")
    args = parser.parse_args()
    base, cand = mean_rows(args.baseline), mean_rows(args.candidate)
    if list(base) != list(cand):
        fail_input(f"baseline rows {list(base)} and candidate rows {list(cand)} differ: not the same evaluation")
    passed, gain = True, False
    print("| row | baseline SI-SDR / STOI / ESTOI | candidate | verdict |")
    print("|---|---:|---:|---|")
    for key in base:
        high = key in HIGH_ROWS
        tol = args.high_tol if high else args.tol
        # Each failing metric with its difference and tolerance, so that a borderline verdict shows as one.
        fails = ["{} ({}, tol {})".format(name, *shown(d, b, c, t))
                 for name, d, b, c, t in zip(NAMES, DIGITS, base[key], cand[key], tol) if c < b - t - 1e-12]
        counted = not (high and args.report_only_high)
        if counted and fails:
            passed = False
        if key == "all" and any(c > b + t for b, c, t in zip(base[key], cand[key], tol)):
            gain = True
        verdict = ("fails " + ", ".join(fails) if fails else "ok") + ("" if counted else " (reported only)")
        print(f"| {key} | {base[key][0]:+.2f} / {base[key][1]:+.4f} / {base[key][2]:+.4f} | "
              f"{cand[key][0]:+.2f} / {cand[key][1]:+.4f} / {cand[key][2]:+.4f} | {verdict} |")
    if args.need_gain and not gain:
        passed = False
        margins = ", ".join("{} {} (tol {})".format(name, *shown(d, b, c, t))
                            for name, d, b, c, t in zip(NAMES, DIGITS, base["all"], cand["all"], args.tol))
        print(f"no metric of the all row is ahead by more than the tolerance: {margins}")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
