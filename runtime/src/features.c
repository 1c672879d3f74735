/* Log features and their normalization (formats in frontend.h and docs/fixed-point.md). */
#include "fixed.h"
#include "frontend.h"
#include "tables.h"

#define LOG10_2_Q31 646456993 /* log10(2) 2^31, rounded */

/* acc + a b (64-bit): one UMLAL on a Cortex-M (GCC computes the product and adds it in four instructions). */
static inline uint64_t umlal(uint64_t acc, uint32_t a, uint32_t b) {
#if defined(__GNUC__) && defined(__thumb2__)
  __asm("umlal %Q0, %R0, %1, %2" : "+r"(acc) : "r"(a), "r"(b));
  return acc;
#else
  return acc + (uint64_t)a * b;
#endif
}

int32_t nnsp_log10_q15(uint64_t v, int q) {
  int p;
  uint32_t y, rest;
  int32_t lo, hi, frac_q30;
  int64_t log2_q24;
  int step;
  if (v == 0) v = 1;
  /* p = index of the highest set bit: count leading zeros where the compiler has it (one CLZ per word on a
   * Cortex-M), else by halving the search range (6 steps instead of up to 63). */
#if defined(__GNUC__)
  (void)step;
  p = 63 - __builtin_clzll(v);
#else
  p = 0;
  for (step = 32; step > 0; step /= 2)
    if ((v >> (p + step)) != 0) p += step;
#endif
  /* y = v 2^(30 - p) in [2^30, 2^31): the mantissa, truncated below 2^-30 relative. */
  y = (uint32_t)(p >= 30 ? v >> (p - 30) : v << (30 - p));
  rest = y - ((uint32_t)1 << 30);
  lo = nnsp_log2_q30[rest >> 22];
  hi = nnsp_log2_q30[(rest >> 22) + 1];
  /* 0 <= (hi - lo) < 2^23 (the table rises), remainder < 2^22: the product stays below 2^45 (unsigned 32-bit
   * factors: one UMULL). */
  frac_q30 = lo + (int32_t)nnsp_rshr64((int64_t)((uint64_t)(uint32_t)(hi - lo) * (rest & 0x3FFFFFu)), 22);
  /* log2 = (p - q) + frac, taken to Q24 (|.| < 2^31 for p, q in [0, 63]) before the multiply by log10(2). For
   * such q it fits int32 (|p - q| 2^24 + 2^24 < 2^30; frac_q30 + 32 < 2^31: the rounding in int32), and the
   * product by log10(2) is one SMULL; the same numbers. */
  if (q >= 0 && q <= 63) {
    const int32_t l2 = (p - q) * ((int32_t)1 << 24) + ((frac_q30 + 32) >> 6);
    return (int32_t)nnsp_rshr64((int64_t)l2 * LOG10_2_Q31, 40);
  }
  log2_q24 = (int64_t)(p - q) * ((int64_t)1 << 24) + nnsp_rshr64(frac_q30, 6);
  return (int32_t)nnsp_rshr64(log2_q24 * LOG10_2_Q31, 40);
}

/* Index of the highest set bit of v > 0: one CLZ on a Cortex-M where the compiler has it, else a halving search. */
static int top_bit32(uint32_t v) {
#if defined(__GNUC__)
  return 31 - __builtin_clz(v);
#else
  int p = 0, step;
  for (step = 16; step > 0; step /= 2)
    if ((v >> (p + step)) != 0) p += step;
  return p;
#endif
}

/* round(2^e / w) for 0 < w < 2^23 and 2^e / w <= 2^30: restoring long division, one quotient bit per step (init
 * only; no 64-bit division, which a Cortex-M4 has no instruction for and the library links no helper for). rem < w
 * keeps 2 rem + 1 below 2^24; the quotient floor(2^(e+1) / w) <= 2^31 fits q. */
static int32_t round_pow2_over(int e, uint32_t w) {
  uint32_t rem = 0, q = 0;
  int i;
  for (i = e + 1; i >= 0; --i) {
    rem = (rem << 1) | (i == e + 1 ? 1u : 0u); /* the bits of 2^(e+1), top first: a one, then e + 1 zeros */
    q <<= 1;
    if (rem >= w) {
      rem -= w;
      q |= 1u;
    }
  }
  return (int32_t)((q + 1u) >> 1); /* round half up: floor((floor(2x) + 1) / 2) = floor(x + 1/2), x = 2^e / w */
}

void nnsp_flat_init(const nnsp_model *model, nnsp_flat_band *flat) {
  int m, j;
  for (m = 0; m < (int)model->feature_dim / 2; ++m) {
    uint32_t w = 0;
    for (j = 0; j < (int)model->mel_count[m]; ++j) w += (uint16_t)model->mel_weights_q15[model->mel_offset[m] + j];
    /* A band of one weight has no shape within it: flatness 0, as nnse computes it (and for W = 0). */
    flat[m].recip = model->mel_count[m] >= 2 && w > 0 ? round_pow2_over(top_bit32(w) + 30, w) : 0;
    flat[m].log_w_q15 = nnsp_log10_q15(w, 15);
  }
}

/* The flatness of one band (recip != 0), Q15: mean - (log10(X 2^-38) - log10(W 2^-15)) with
 *   mean = sum_j w_j L_j / W, L_j = log10(P_j + offset) in Q15 (bin_log), and
 *   X = sum_j w_j P_j + offset W in Q38 (sum_q38: the band's unrounded mel sum), so X / W = E / W + offset exactly,
 *   in the log of an integer: no bits lost for quiet bands.
 * The division by W is a product by the reciprocal 2^(p+30) / W (p = floor(log2 W)): the runtime divides no 64-bit
 * numbers. |L_j| < 2^18 (L_j in [log10(2^-23), log10(2^16 + 2^8)]), so |s| < W 2^18 < 2^(p+19); rounded to
 * below 2^30 (int32; an error of at most 2^(shift-1) / W < 2^-12 LSB in the mean), times recip <= 2^30 (one SMULL;
 * below 2^60), shifted back by p + 30 - shift. recip's rounding: 2^-30 relative, < 2^-12 LSB of |mean| < 2^18. */
static int32_t flatness(const nnsp_flat_band *f, const uint16_t *wu, const int32_t *bin_log, int count,
                        uint64_t sum_q38, uint32_t offset_q23) {
  int64_t s = 0;
  uint32_t w = 0;
  int j, p, shift;
  int32_t s_short, mean, log_x;
  for (j = 0; j < count; ++j) {
    s += (int64_t)(int32_t)wu[j] * bin_log[j]; /* one SMLAL per weight */
    w += wu[j];                                /* the band's W again (the same sum as at init) */
  }
  p = top_bit32(w);
  shift = p > 11 ? p - 11 : 0;
  s_short = (int32_t)(shift > 0 ? nnsp_rshr64(s, shift) : s);
  mean = (int32_t)nnsp_rshr64((int64_t)s_short * f->recip, p + 30 - shift);
  /* sum_q38 < 257 2^15 2^39 < 2^62.01 and offset W < 2^31 2^23: X stays below 2^63 */
  log_x = nnsp_log10_q15(sum_q38 + (uint64_t)offset_q23 * w, 38);
  return mean - (log_x - f->log_w_q15);
}

/* The band's mel sum sum_j w_j P[j], Q38 (Q15 weights times Q23 powers). Weights <= 2^15, power <= 2^39, at most
 * 257 bins: the sum stays below 2^63. Negative weights are refused by nnsp_init: the weights are read as unsigned,
 * without sign extension. The sum as sum w lo(p) + 2^32 sum w hi(p), the same number: one 32 x 32 -> 64-bit
 * multiply-accumulate (UMLAL) and one 32-bit one (MLA: hi(p) < 2^8, so sum w hi(p) < 257 2^23 < 2^31) per weight,
 * instead of a 64 x 64-bit product. */
static inline uint64_t band_sum(const uint16_t *wu, const uint64_t *p, int count) {
  uint64_t low = 0;
  uint32_t high = 0;
  int j;
  for (j = 0; j < count; ++j) {
    const uint32_t wj = wu[j];
    low = umlal(low, wj, (uint32_t)p[j]);
    high += wj * (uint32_t)(p[j] >> 32);
  }
  return low + ((uint64_t)high << 32);
}

/* The melflat features: every bin's log10 once (most bins lie in two bands; the pspec features' values), then per
 * band the mel feature and the flatness from the same sum. */
static void melflat_features(const nnsp_model *model, const nnsp_flat_band *flat, const uint64_t *power_q23,
                             int32_t *bin_log, int32_t *features_q15) {
  const uint64_t offset = (uint64_t)model->log_offset_q23;
  const int bands = model->feature_dim / 2;
  int m;
  for (m = 0; m < NNSP_BINS; ++m) bin_log[m] = nnsp_log10_q15(power_q23[m] + offset, 23);
  for (m = 0; m < bands; ++m) {
    const uint16_t *wu = (const uint16_t *)(model->mel_weights_q15 + model->mel_offset[m]);
    const int first = model->mel_first_bin[m], count = model->mel_count[m];
    const uint64_t sum_q38 = band_sum(wu, power_q23 + first, count);
    features_q15[m] = nnsp_log10_q15(nnsp_urshr64(sum_q38, 15) + offset, 23);
    features_q15[bands + m] = flat[m].recip == 0 ? 0
                                                  : flatness(&flat[m], wu, bin_log + first, count, sum_q38,
                                                             (uint32_t)model->log_offset_q23);
  }
}

void nnsp_log_features(const nnsp_model *model, const nnsp_flat_band *flat, const uint64_t power_q23[NNSP_BINS],
                       int32_t *bin_log, int32_t *features_q15) {
  const uint64_t offset = (uint64_t)model->log_offset_q23;
  int m;
  if (model->feature_type == NNSP_FEATURE_PSPEC) {
    for (m = 0; m < NNSP_BINS; ++m) features_q15[m] = nnsp_log10_q15(power_q23[m] + offset, 23);
    return;
  }
  if (model->feature_type == NNSP_FEATURE_MELFLAT) {
    melflat_features(model, flat, power_q23, bin_log, features_q15);
    return;
  }
  for (m = 0; m < (int)model->feature_dim; ++m) {
    const uint16_t *wu = (const uint16_t *)(model->mel_weights_q15 + model->mel_offset[m]);
    const uint64_t sum_q38 = band_sum(wu, power_q23 + model->mel_first_bin[m], (int)model->mel_count[m]);
    features_q15[m] = nnsp_log10_q15(nnsp_urshr64(sum_q38, 15) + offset, 23);
  }
}

void nnsp_normalize(const nnsp_model *model, const int32_t *features_q15, int16_t *out) {
  const int shift = 30 - (int)model->input_q;
  int m;
  for (m = 0; m < (int)model->feature_dim; ++m) {
    const int64_t centred = (int64_t)features_q15[m] - model->mean_q15[m];
    out[m] = nnsp_sat16_64(nnsp_rshr64(centred * model->inv_std_q15[m], shift));
  }
}
