/* One lstm step (Keras gate order i, f, g, o): z = W x + R h + b; c = f c + i g; h = o tanh(c).
 * All 4u pre-activations are computed from the previous h before any state changes. */
#include "fixed.h"
#include "kernels.h"
#include "recurrent.h"

void nnsp_lstm_step_s8_s16(const nnsp_layer *layer, const int16_t *x, int16_t *h, int32_t *c_q24,
                           int32_t *scratch) {
  const int u = layer->units;
  int j;
  nnsp_gate_rows(layer, 4 * u, x, h, scratch);
  for (j = 0; j < u; ++j) {
    const int32_t i_g = nnsp_sigmoid_q15(scratch[j]);
    const int32_t f_g = nnsp_sigmoid_q15(scratch[u + j]);
    const int32_t g_g = nnsp_tanh_q15(scratch[2 * u + j]);
    const int32_t o_g = nnsp_sigmoid_q15(scratch[3 * u + j]);
    /* f c: Q15 x Q24 = Q39 (< 2^46); i g: Q30, times 2^9 to Q39. */
    const int64_t sum = (int64_t)f_g * c_q24[j] + (int64_t)(i_g * g_g) * 512;
    c_q24[j] = nnsp_sat32(nnsp_rshr64(sum, 15));
    h[j] = nnsp_sat16_64(nnsp_rshr64((int64_t)o_g * nnsp_tanh_q15(c_q24[j]), 15));
  }
}
