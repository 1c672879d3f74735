/* The fixed-point front end: DC filters, framing and windowing, power spectrum, mel, log10, normalization,
 * gain application and overlap-add. Formats in docs/fixed-point.md. */
#ifndef NNSP_FRONTEND_H
#define NNSP_FRONTEND_H

#include <stdint.h>

#include "fixed.h"
#include "mul_hi.h"
#include "nnsp.h"

/* First-order DC-removal high-pass y = (1 - z^-1) / (1 - a z^-1) x, transposed: g[n] = x[n] 2^s + a g[n-1],
 * y[n] = (g[n] - g[n-1]) / 2^s, with s extra fraction bits chosen from a so that g stays below 2^30. */
typedef struct {
  int32_t pole_q30; /* 0: bypass */
  int32_t g;
  int shift;
} nnsp_dc_filter;

void nnsp_dc_init(nnsp_dc_filter *f, int32_t pole_q30);
void nnsp_dc_reset(nnsp_dc_filter *f);
int16_t nnsp_dc_process(nnsp_dc_filter *f, int16_t x);

/* nnsp_dc_process inline, for the per-sample loop (the call would cost as much as the filter). The bounds in
 * dc_filter.c: |g| < 2^29 + 2^14, so d = g[n] - g[n-1] fits int32 and its rounding shift is done in int32:
 * floor((d + 2^(s-1)) / 2^s) = (d >> s) + bit s-1 of d, the same number as nnsp_rshr64(d, s). */
static inline int16_t nnsp_dc_process_inline(nnsp_dc_filter *f, int16_t x) {
  int32_t g, d;
  if (f->pole_q30 == 0) return x;
  /* rnd(a g, 30) as one rounded high-word product (SMMULR on a Cortex-M4): 0 < a < 2^30 and |g| < 2^29 + 2^14, so
   * 2a and 2g fit int32 and floor((2a 2g + 2^31) / 2^32) = floor((a g + 2^29) / 2^30), the same number. */
  g = (int32_t)x * ((int32_t)1 << f->shift) + nnsp_mul_hi_r(f->pole_q30 * 2, f->g * 2);
  d = g - f->g;
  f->g = g;
  if (f->shift > 0) d = (d >> f->shift) + ((d >> (f->shift - 1)) & 1);
  return nnsp_sat16(d);
}

/* nnsp_dc_process on in[0..n) into out[0..n) (the same numbers; out may be in). */
void nnsp_dc_process_block(nnsp_dc_filter *f, const int16_t *in, int16_t *out, int n);

/* Windowed frame: buf[n] = hist[n] * w[n] (Q30) for n < 480, 0 for n in [480, 512); returns the exponent -30. */
int nnsp_window_frame(const int16_t hist[NNSP_WINDOW], int32_t buf[512]);

/* Power spectrum of a block-floating-point spectrum (value = mantissa * 2^exp), Q23, capped at 2^39. */
void nnsp_power_q23(const int32_t *spec, int exp, uint64_t power_q23[NNSP_BINS]);

/* log10(v * 2^-q) in Q15 for v > 0 (v = 0 is treated as 1). */
int32_t nnsp_log10_q15(uint64_t v, int q);

/* Per-band constants of the melflat features (docs/fixed-point.md), from the mel tables by nnsp_flat_init, once
 * (nnsp_init: in the arena). W = the band's weight sum (Q15), below 2^23: at most NNSP_BINS weights <= 32767. */
typedef struct {
  int32_t recip;      /* round(2^(p + 30) / W) in [2^29, 2^30], p = floor(log2 W); 0: the band's flatness is 0 */
  int32_t log2_w_q24; /* log2(W 2^-15) in Q24 (features.c: log2_q24(W, 15)) */
} nnsp_flat_band;

/* Fills flat[0 .. bands) for a melflat model (bands = feature_dim / 2). */
void nnsp_flat_init(const nnsp_model *model, nnsp_flat_band *flat);

/* Log features of one frame (feature_dim values, Q15): mel (or pspec) of the power, plus the log offset; for
 * melflat also each band's flatness, with flat from nnsp_flat_init and bin_log (NNSP_BINS values) as scratch for
 * the bins' log2 in Q24 (both unused, and may be null, for mel and pspec). */
void nnsp_log_features(const nnsp_model *model, const nnsp_flat_band *flat, const uint64_t power_q23[NNSP_BINS],
                       int32_t *bin_log, int32_t *features_q15);

/* Normalized features, int16 Q(input_q): (f - mean) * inv_std, rounded and saturated. */
void nnsp_normalize(const nnsp_model *model, const int32_t *features_q15, int16_t *out);

/* spec *= gain (Q15, each in [0, 32767]: the pipeline's gains) bin by bin, rounded; the imaginary parts of bins 0
 * and 256 set to 0 (the inverse transform ignores them). Returns the OR of |value| over the other 512 values (nnsp_irfft512_or's or_abs). */
uint32_t nnsp_apply_gain(int32_t *spec, const int16_t gain_q15[NNSP_BINS]);

/* Overlap-add: ola[n] += buf[n] 2^exp * w[n] in Q20 (saturating), n < 480; then out = ola[0..160) in Q15
 * (rounded, saturated) and ola shifts by 160. ola[320..480) must be zero on entry (nnsp_reset clears them; the
 * shift leaves them zero, and this function never writes them). */
void nnsp_overlap_add(const int32_t buf[512], int exp, int32_t ola[NNSP_WINDOW], int16_t out[NNSP_HOP]);

#endif /* NNSP_FRONTEND_H */
