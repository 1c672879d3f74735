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

/* Leading zeros of v != 0: one CLZ on a Cortex-M where the compiler has it, else a halving search. */
static NNSP_ALWAYS_INLINE int clz32(uint32_t v) {
#if defined(__GNUC__)
  return __builtin_clz(v);
#else
  int n = 0, step;
  for (step = 16; step > 0; step /= 2)
    if ((v >> (32 - step)) == 0) {
      n += step;
      v <<= step;
    }
  return n;
#endif
}

/* log2(v 2^-q) in Q24 for q in [0, 63] (|.| < 2^30), the steps of docs/fixed-point.md section 5 up to the product by
 * log10(2): p = index of the top set bit of v (v = 0 is read as 1), y = v 2^(30 - p) in [2^30, 2^31) (truncated
 * below 2^-30 relative), the table's interpolation frac (Q30), (p - q) 2^24 + rnd(frac, 6). In 32-bit steps: the
 * words of v are normalized by CLZ to x = v 2^(31 - p) truncated, y = x >> 1 (for v < 2^32 the low word alone:
 * x = lo << n, n = 31 - p in [0, 31]; else the top 32 bits of v 2^n), no 64-bit shift. nonzero (a
 * constant): the caller guarantees v >= 1 (log_offset_q23 > 0, checked by nnsp_init), so no test for 0. */
static NNSP_ALWAYS_INLINE int32_t log2_q24(uint64_t v, int q, const int nonzero) {
  const uint32_t hi = (uint32_t)(v >> 32), lo = (uint32_t)v;
  uint32_t x, idx, d;
  int p, n;
  int32_t t, frac_q30;
  /* x = v 2^(31 - p) truncated to 32 bits, top bit set: y = x >> 1 */
  if (hi == 0) {
    const uint32_t l = nonzero || lo != 0 ? lo : 1u; /* nonzero: the caller's v >= 1 (a power plus the offset) */
    n = clz32(l);
    p = 31 - n;
    x = l << n;
  } else {
    n = clz32(hi);
    p = 63 - n;
    x = n != 0 ? (hi << n) | (lo >> (32 - n)) : hi;
  }
  /* rest = y - 2^30 = bits 0..29 of y: its index rest >> 22 is bits 23..30 of x, and rest << 10 is x << 9 without
   * x's bit 0 (which y drops) */
  idx = (x >> 23) & 0xFFu;
  t = nnsp_log2_q30[idx];
  d = (uint32_t)(nnsp_log2_q30[idx + 1] - t);
  /* frac = t + rnd(d r, 22), r = rest mod 2^22, 0 <= d < 2^23 (the table rises), as the high word of
   * t 2^32 + 2^31 + d (r 2^10): rest << 10 drops rest's top bits, the rounding is the 2^31, and t (>= 0) is added
   * in the high word; below 2^30 + 2^55, one UMLAL, no shifts of a 64-bit product. */
  frac_q30 = (int32_t)(umlal(((uint64_t)(uint32_t)t << 32) | 0x80000000u, d, (x << 9) & ~(uint32_t)0x200u) >> 32);
  return (p - q) * ((int32_t)1 << 24) + ((frac_q30 + 32) >> 6);
}

/* log10 from log2_q24: rnd(l2 log10(2) 2^31, 40), one SMULL (|l2| < 2^30). */
static NNSP_ALWAYS_INLINE int32_t log10_of_log2_q24(int32_t l2) {
  return (int32_t)nnsp_rshr64((int64_t)l2 * LOG10_2_Q31, 40);
}

/* nnsp_log10_q15 inline (the features' loops): for q in [0, 63] log2_q24 then the product by log10(2). */
static NNSP_ALWAYS_INLINE int32_t log10_q15(uint64_t v, int q, const int nonzero) {
  return log10_of_log2_q24(log2_q24(v, q, nonzero));
}

int32_t nnsp_log10_q15(uint64_t v, int q) {
  int p;
  uint32_t y, rest;
  int32_t lo, hi, frac_q30;
  int64_t log2_q24_wide;
  /* log2 = (p - q) + frac, taken to Q24 (|.| < 2^31 for p, q in [0, 63]) before the multiply by log10(2). For
   * such q it fits int32 (|p - q| 2^24 + 2^24 < 2^30; frac_q30 + 32 < 2^31: the rounding in int32), and the
   * product by log10(2) is one SMULL; the same numbers. */
  if (q >= 0 && q <= 63) return log10_q15(v, q, 0);
  if (v == 0) v = 1;
  p = (v >> 32) != 0 ? 63 - clz32((uint32_t)(v >> 32)) : 31 - clz32((uint32_t)v);
  y = (uint32_t)(p >= 30 ? v >> (p - 30) : v << (30 - p));
  rest = y - ((uint32_t)1 << 30);
  lo = nnsp_log2_q30[rest >> 22];
  hi = nnsp_log2_q30[(rest >> 22) + 1];
  frac_q30 = lo + (int32_t)nnsp_rshr64((int64_t)((uint64_t)(uint32_t)(hi - lo) * (rest & 0x3FFFFFu)), 22);
  log2_q24_wide = (int64_t)(p - q) * ((int64_t)1 << 24) + nnsp_rshr64(frac_q30, 6);
  return (int32_t)nnsp_rshr64(log2_q24_wide * LOG10_2_Q31, 40);
}

/* Index of the highest set bit of v > 0. */
static int top_bit32(uint32_t v) { return 31 - clz32(v); }

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
    flat[m].log2_w_q24 = log2_q24(w, 15, 0);
  }
}

/* The flatness of one band (recip != 0), Q15: log10(2) (mean - (log2(X 2^-38) - log2(W 2^-15))) with
 *   mean = sum_j w_j L_j / W, L_j = log2(P_j + offset) in Q24 (bin_log2, log2_q24), and
 *   X = sum_j w_j P_j + offset W in Q38 (sum_q38: the band's unrounded mel sum), so X / W = E / W + offset exactly,
 *   in the log of an integer: no bits lost for quiet bands;
 * everything in log2 (Q24) and one product by log10(2) per band. s = sum_j w_j L_j (int64: one SMLAL per weight,
 * in the caller's loop). The division by W is a product by the reciprocal 2^(p+30) / W (p = floor(log2 W)): the
 * runtime divides no 64-bit numbers. |L_j| <= 23 2^24 < 2^28.53 (L_j in [log2(2^-23), log2(2^16 + 2^8)]), so
 * |s| < W 2^28.53 < 2^(p+29.53); rounded by 2^(p-1) to below 2^30.53 (int32; an error of at most 2^(p-2) / W <=
 * 1/4 Q24 LSB in the mean), times recip <= 2^30 (one SMULL; below 2^60.53), shifted back by 31. recip's rounding:
 * 2^-30 relative, < 0.4 Q24 LSB of |mean| < 2^28.53. W < 2 (p = 0): s as it is, shifted back by 30. */
static NNSP_ALWAYS_INLINE int32_t flatness(const nnsp_flat_band *f, int64_t s, uint32_t w, uint64_t sum_q38,
                                           uint32_t offset_q23) {
  const int p = top_bit32(w);
  int32_t s_short, mean;
  if (p >= 2) {
    /* rnd(s, k), k = p - 1 in [1, 21]: the result fits int32, so it is the low word of (s + 2^(k-1)) >> k, made of
     * the two words' shifts (no 64-bit shift) */
    const int k = p - 1;
    const uint64_t t = (uint64_t)s + ((uint32_t)1 << (k - 1));
    s_short = (int32_t)(((uint32_t)t >> k) | ((uint32_t)(t >> 32) << (32 - k)));
    mean = (int32_t)nnsp_rshr64((int64_t)s_short * f->recip, 31);
  } else if (p == 1) {
    mean = (int32_t)nnsp_rshr64((int64_t)(int32_t)s * f->recip, 31);
  } else {
    mean = (int32_t)nnsp_rshr64((int64_t)(int32_t)s * f->recip, 30);
  }
  /* sum_q38 < 257 2^15 2^39 < 2^62.01 and offset W < 2^31 2^23: X stays below 2^63 */
  return log10_of_log2_q24(mean - (log2_q24(sum_q38 + (uint64_t)offset_q23 * w, 38, 1) - f->log2_w_q24));
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

/* The melflat features: every needed bin's log2 once (most bins lie in two bands), then per band the mel sum, the
 * weighted sum of the bins' logs and W in one pass over the weights, the mel feature and the flatness. Bins that
 * no band of two or more weights covers (single-bin bands, whose flatness is 0; the Nyquist bin) get no log. */
static void melflat_features(const nnsp_model *model, const nnsp_flat_band *flat, const uint64_t *power_q23,
                             int32_t *bin_log2, int32_t *features_q15) {
  const uint64_t offset = (uint64_t)model->log_offset_q23;
  const int bands = model->feature_dim / 2;
  int m, lo = NNSP_BINS, hi = 0;
  for (m = 0; m < bands; ++m)
    if (flat[m].recip != 0) {
      lo = model->mel_first_bin[m];
      break;
    }
  for (m = bands - 1; m >= 0; --m)
    if (flat[m].recip != 0) {
      hi = model->mel_first_bin[m] + model->mel_count[m];
      break;
    }
  for (m = lo; m < hi; ++m) bin_log2[m] = log2_q24(power_q23[m] + offset, 23, 1);
  for (m = 0; m < bands; ++m) {
    const uint16_t *wu = (const uint16_t *)(model->mel_weights_q15 + model->mel_offset[m]);
    const int first = model->mel_first_bin[m], count = model->mel_count[m];
    const uint64_t *p = power_q23 + first;
    uint64_t sum_q38;
    if (flat[m].recip == 0) {
      sum_q38 = band_sum(wu, p, count);
      features_q15[bands + m] = 0;
    } else {
      const int32_t *l2 = bin_log2 + first;
      uint64_t low = 0;
      uint32_t high = 0, w = 0;
      int64_t s = 0;
      int j;
      for (j = 0; j < count; ++j) {
        const uint32_t wj = wu[j];
        low = umlal(low, wj, (uint32_t)p[j]);
        high += wj * (uint32_t)(p[j] >> 32);
        s += (int64_t)(int32_t)wj * l2[j]; /* one SMLAL */
        w += wj;
      }
      sum_q38 = low + ((uint64_t)high << 32);
      features_q15[bands + m] = flatness(&flat[m], s, w, sum_q38, (uint32_t)model->log_offset_q23);
    }
    features_q15[m] = log10_q15(nnsp_urshr64(sum_q38, 15) + offset, 23, 1);
  }
}

void nnsp_log_features(const nnsp_model *model, const nnsp_flat_band *flat, const uint64_t power_q23[NNSP_BINS],
                       int32_t *bin_log, int32_t *features_q15) {
  const uint64_t offset = (uint64_t)model->log_offset_q23;
  int m;
  if (model->feature_type == NNSP_FEATURE_PSPEC) {
    for (m = 0; m < NNSP_BINS; ++m) features_q15[m] = log10_q15(power_q23[m] + offset, 23, 1);
    return;
  }
  if (model->feature_type == NNSP_FEATURE_MELFLAT) {
    melflat_features(model, flat, power_q23, bin_log, features_q15);
    return;
  }
  for (m = 0; m < (int)model->feature_dim; ++m) {
    const uint16_t *wu = (const uint16_t *)(model->mel_weights_q15 + model->mel_offset[m]);
    const uint64_t sum_q38 = band_sum(wu, power_q23 + model->mel_first_bin[m], (int)model->mel_count[m]);
    features_q15[m] = log10_q15(nnsp_urshr64(sum_q38, 15) + offset, 23, 1);
  }
}

/* n = sat16(rnd((f - mean) inv_std, shift)), shift = 30 - input_q in [15, 30] (nnsp_init checks input_q <= 15):
 * where f - mean fits int32 (always, for the features' |f| < 2^19 and a model's means), the product is one SMULL
 * and the rounded shift is made of the words' 32-bit shifts: the low word of t >> shift (t = product + 2^(shift-1))
 * is (lo >> shift) | (hi << (32 - shift)), its high word hi >> shift; the value fits int32 exactly when that high
 * word is the low word's sign, and then SSAT saturates it; else its sign picks the end. The same numbers as the
 * int64 formula, which serves the rest. */
void nnsp_normalize(const nnsp_model *model, const int32_t *features_q15, int16_t *out) {
  const int shift = 30 - (int)model->input_q, n = (int)model->feature_dim;
  const int32_t *mean = model->mean_q15, *inv_std = model->inv_std_q15;
  int m;
  if (shift < 1 || shift > 31) {
    for (m = 0; m < n; ++m)
      out[m] = nnsp_sat16_64(nnsp_rshr64(((int64_t)features_q15[m] - mean[m]) * inv_std[m], shift));
    return;
  }
  for (m = 0; m < n; ++m) {
    int32_t c;
    int64_t product;
    uint64_t t;
    int32_t hi, v;
#if defined(__GNUC__)
    if (__builtin_sub_overflow(features_q15[m], mean[m], &c)) {
#else
    if ((int64_t)features_q15[m] - mean[m] != (int32_t)((int64_t)features_q15[m] - mean[m])) {
#endif
      out[m] = nnsp_sat16_64(nnsp_rshr64(((int64_t)features_q15[m] - mean[m]) * inv_std[m], shift));
      continue;
    }
#if !defined(__GNUC__)
    c = (int32_t)((int64_t)features_q15[m] - mean[m]);
#endif
    product = (int64_t)c * inv_std[m]; /* one SMULL */
    t = (uint64_t)product + ((uint32_t)1 << (shift - 1));
    hi = (int32_t)(t >> 32);
    v = (int32_t)(((uint32_t)t >> shift) | ((uint32_t)hi << (32 - shift)));
    out[m] = (hi >> shift) == (v >> 31) ? nnsp_sat16(v) : (hi < 0 ? INT16_MIN : INT16_MAX);
  }
}
