/* The pitch filter in fixed point: before the gains, each voiced band of the synthesis path's spectrum is mixed
 * with the frame one pitch period back, in proportion to its periodicity and its noise share (RNNoise's comb
 * filter). The float original and why it exists: nnse's enhance/pitch_filter.h; every step is the same, in
 * integers (docs/fixed-point.md "Pitch filter"):
 *   lag:  the lag in [32, 268] with the highest dot / sqrt(span energy) times the lag weight 1 - 0.15 (T - 32) /
 *         236, searched at a quarter of the rate (means of pairs, (a + b) >> 1, twice: every lag 8..67), then at
 *         half and at the full rate over the best lag's neighbours (20k multiply-accumulates per frame).
 *         Scores are compared as pseudo-floats of their squares (16-bit mantissas: equal within 2^-14 may order
 *         either way, where the float one might differ).
 *   bands: the 7 triangular bands centred at 0, 200, ..., 1200 Hz (the mix fades out towards 1.4 kHz; the bins
 *         from there up are not touched: above it the copy one period back no longer adds up coherently, and the
 *         float filter measured no change of any metric from filtering them), sums in int64 of the two spectra's
 *         filtered bins brought to one exponent with 17-bit mantissas;
 *   per band: p = Exp / sqrt(Ex Ep), g = max(sqrt(Eg / Ex), sqrt(1 - 2 N / Ex)), a = 1 if p >= g else
 *         sqrt(p^2 (1 - g^2) / (g^2 (1 - p^2))), r = strength a sqrt(Ex / Ep) (at most 8), Q10;
 *   per bin: X' = X + r P, then X' sqrt(Ex / Ex') per band (at most 4), interpolated between bands.
 * The filtered bins go back to the spectrum's exponent (which changes only where they would not fit 31 bits). */
#ifndef NNSP_PITCH_FILTER_H
#define NNSP_PITCH_FILTER_H

#include <stdint.h>

#include "nnsp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NNSP_PITCH_MIN_LAG 32  /* 500 Hz */
#define NNSP_PITCH_MAX_LAG 268 /* 59.7 Hz (ceil(16000 / 60) made even) */
/* Samples kept before the frame: the longest lag rounded up so that the history's moves go by 16 bytes. */
#define NNSP_PITCH_REACH 272
#define NNSP_PITCH_HIST (NNSP_WINDOW + NNSP_PITCH_REACH)

/* The lag of the frame hist[NNSP_PITCH_REACH ..) (NNSP_PITCH_HIST samples of the synthesis path, oldest first),
 * 0 for none (a silent frame, or no positive correlation). scratch: NNSP_PITCH_SCRATCH values. */
#define NNSP_PITCH_SCRATCH (NNSP_PITCH_HIST / 2 + NNSP_PITCH_HIST / 4)
int nnsp_pitch_find_lag(const int16_t hist[NNSP_PITCH_HIST], int16_t* scratch);

/* Filters spec (value = mantissa 2^*exp; *exp updated) with pspec (the frame one period back, 2^pexp), the final
 * gains, and floor (the floor guard's packed Q40 noise floor per bin, or null for none). pspec is destroyed.
 * strength_q15 in [1, 32768]; scratch: NNSP_PITCH_APPLY_SCRATCH values (8-byte aligned). */
#define NNSP_PITCH_APPLY_SCRATCH (6 * 8)
void nnsp_pitch_filter_apply(int32_t spec[2 * NNSP_BINS], int* exp, int32_t pspec[2 * NNSP_BINS], int pexp,
                             const int16_t gains_q15[NNSP_BINS], const uint32_t* floor, int32_t strength_q15,
                             int64_t* scratch);

#ifdef __cplusplus
}
#endif

#endif /* NNSP_PITCH_FILTER_H */
