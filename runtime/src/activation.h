/* tanh and sigmoid of a Q24 value as inline functions, so that the kernels' per-row and per-unit loops (where a
 * call costs as much as the body on a Cortex-M) can use them; activation.c exports the same functions
 * (nnsp_tanh_q15, nnsp_sigmoid_q15). tanh: odd symmetry, then the table tanh(k/64), k = 0..512, with linear
 * interpolation (max error 2.3e-5 plus 0.5 LSB of Q15 rounding); |x| >= 8 gives 32767 (tanh(8) = 1 - 2.3e-7).
 * sigmoid(x) = (1 + tanh(x / 2)) / 2, reading the same table at half the rate so no input bit is dropped. */
#ifndef NNSP_ACTIVATION_H
#define NNSP_ACTIVATION_H

#include <stdint.h>

#include "fixed.h"
#include "tables.h"

/* tanh(s / 2^(18 + half)) for s >= 0 in Q24 units, i.e. tanh(s) when half = 0 and tanh(s / 2) when half = 1. s is
 * unsigned so that |INT32_MIN| = 2^31 is one (it lands beyond the table as INT32_MAX would). */
static inline int32_t nnsp_tanh_magnitude(uint32_t s, int half) {
  const int frac_bits = 18 + half; /* table step 1/64 = 2^18 in Q24 */
  const uint32_t idx = s >> frac_bits;
  int32_t frac, lo, hi;
  if (idx >= NNSP_TANH_ENTRIES - 1) return 32767;
  frac = (int32_t)(s & (((uint32_t)1 << frac_bits) - 1u));
  lo = nnsp_tanh_table_q15[idx];
  hi = nnsp_tanh_table_q15[idx + 1];
  /* (hi - lo) <= 512 and frac < 2^19: the product stays below 2^28. */
  return lo + (((hi - lo) * frac + ((int32_t)1 << (frac_bits - 1))) >> frac_bits);
}

static inline int16_t nnsp_tanh_q15_inline(int32_t x_q24) {
  const int32_t m = nnsp_tanh_magnitude(nnsp_abs_u32(x_q24), 0);
  return (int16_t)(x_q24 < 0 ? -m : m);
}

static inline int16_t nnsp_sigmoid_q15_inline(int32_t x_q24) {
  const int32_t m = nnsp_tanh_magnitude(nnsp_abs_u32(x_q24), 1);
  const int32_t t = x_q24 < 0 ? -m : m;
  /* (2^15 + t) / 2 rounded; t = 32767 would give 2^15, one past int16. */
  const int32_t y = (32768 + t + 1) >> 1;
#if defined(__ARM_FEATURE_SAT) && defined(__GNUC__)
  int32_t r; /* y >= 1: SSAT to 16 bits is the cap at 32767, one instruction */
  __asm("ssat %0, #16, %1" : "=r"(r) : "r"(y));
  return (int16_t)r;
#else
  return (int16_t)(y > 32767 ? 32767 : y);
#endif
}

#endif /* NNSP_ACTIVATION_H */
