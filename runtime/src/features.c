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

void nnsp_log_features(const nnsp_model *model, const uint64_t power_q23[NNSP_BINS], int32_t *features_q15) {
  const uint64_t offset = (uint64_t)model->log_offset_q23;
  int m, j;
  if (model->feature_type == NNSP_FEATURE_PSPEC) {
    for (m = 0; m < NNSP_BINS; ++m) features_q15[m] = nnsp_log10_q15(power_q23[m] + offset, 23);
    return;
  }
  for (m = 0; m < (int)model->feature_dim; ++m) {
    /* the weights as unsigned (nonnegative: nnsp_init checks), read without sign extension */
    const uint16_t *wu = (const uint16_t *)(model->mel_weights_q15 + model->mel_offset[m]);
    const uint64_t *p = power_q23 + model->mel_first_bin[m];
    uint64_t low = 0;
    uint32_t high = 0;
    /* weights <= 2^15, power <= 2^39, at most 257 bins: the sum stays below 2^63. Negative weights are
     * refused by nnsp_init. The sum as sum w lo(p) + 2^32 sum w hi(p), the same number: one 32 x 32 -> 64-bit
     * multiply-accumulate (UMLAL) and one 32-bit one (MLA: hi(p) < 2^8, so sum w hi(p) < 257 2^23 < 2^31) per
     * weight, instead of a 64 x 64-bit product. */
    for (j = 0; j < (int)model->mel_count[m]; ++j) {
      const uint32_t wj = wu[j];
      low = umlal(low, wj, (uint32_t)p[j]);
      high += wj * (uint32_t)(p[j] >> 32);
    }
    features_q15[m] = nnsp_log10_q15(nnsp_urshr64(low + ((uint64_t)high << 32), 15) + offset, 23);
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
