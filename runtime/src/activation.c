/* Activations of Q24 pre-activations. tanh: odd symmetry, then the table tanh(k/64), k = 0..512, with linear
 * interpolation (max error 2.3e-5 plus 0.5 LSB of Q15 rounding); |x| >= 8 gives 32767 (tanh(8) = 1 - 2.3e-7).
 * sigmoid(x) = (1 + tanh(x / 2)) / 2, reading the same table at half the rate so no input bit is dropped. */
#include "fixed.h"
#include "kernels.h"
#include "tables.h"

/* tanh(s / 2^(18 + half)) for s >= 0 in Q24 units, i.e. tanh(s) when half = 0 and tanh(s / 2) when half = 1. */
static int32_t tanh_magnitude(int32_t s, int half) {
  const int frac_bits = 18 + half; /* table step 1/64 = 2^18 in Q24 */
  const int32_t idx = s >> frac_bits;
  int32_t frac, lo, hi;
  if (idx >= NNSP_TANH_ENTRIES - 1) return 32767;
  frac = s & (((int32_t)1 << frac_bits) - 1);
  lo = nnsp_tanh_table_q15[idx];
  hi = nnsp_tanh_table_q15[idx + 1];
  /* (hi - lo) <= 512 and frac < 2^19: the product stays below 2^28. */
  return lo + (((hi - lo) * frac + ((int32_t)1 << (frac_bits - 1))) >> frac_bits);
}

int16_t nnsp_tanh_q15(int32_t x_q24) {
  const int32_t m = tanh_magnitude(nnsp_abs32_sat(x_q24), 0);
  return (int16_t)(x_q24 < 0 ? -m : m);
}

int16_t nnsp_sigmoid_q15(int32_t x_q24) {
  const int32_t m = tanh_magnitude(nnsp_abs32_sat(x_q24), 1);
  const int32_t t = x_q24 < 0 ? -m : m;
  /* (2^15 + t) / 2 rounded; t = 32767 would give 2^15, one past int16. */
  const int32_t y = (32768 + t + 1) >> 1;
  return (int16_t)(y > 32767 ? 32767 : y);
}

int16_t nnsp_activate(int32_t pre_q24, int activation, int q_out) {
  switch (activation) {
    case NNSP_ACT_TANH: return nnsp_tanh_q15(pre_q24);
    case NNSP_ACT_SIGMOID: return nnsp_sigmoid_q15(pre_q24);
    case NNSP_ACT_RELU6: {
      const int32_t six = (int32_t)6 << q_out; /* q_out <= 12: fits int16 */
      int32_t y = nnsp_requant32(pre_q24, q_out - NNSP_PRE_Q);
      if (y < 0) y = 0;
      if (y > six) y = six;
      return (int16_t)y;
    }
    default: return nnsp_sat16(nnsp_requant32(pre_q24, q_out - NNSP_PRE_Q));
  }
}
