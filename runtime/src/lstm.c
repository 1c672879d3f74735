/* One lstm step (Keras gate order i, f, g, o): z = W x + R h + b; c = f c + i g; h = o tanh(c).
 * All 4u pre-activations are computed from the previous h before any state changes. */
#include "activation.h"
#include "fixed.h"
#include "kernels.h"
#include "recurrent.h"

/* nnsp_sat32(nnsp_rshr64(v, 15)) for |v| < 2^62, from the two words of v + 2^14 (no 64-bit shift or comparison):
 * the shifted value fits int32 exactly when the high word lies in [-2^14, 2^14), that is when its bits above bit 13
 * all equal the result's sign; otherwise it saturates by the high word's sign. */
static int32_t rshr15_sat32(int64_t v) {
  const int64_t t = v + (1 << 14);
  const uint32_t lo = (uint32_t)t;
  const int32_t hi = (int32_t)(t >> 32);
  const int32_t r = (int32_t)((lo >> 15) | ((uint32_t)hi << 17));
  if ((hi >> 14) != (r >> 31)) return hi < 0 ? INT32_MIN : INT32_MAX;
  return r;
}

/* The cell and output update from the gates: pre-activations in Q24 (activated = 0: the activations run here) or
 * already activated (Q15 in int32). A constant in each of the two copies. */
static NNSP_ALWAYS_INLINE void lstm_cell(int u, const int32_t *gates, int16_t *h, int32_t *c_q24, const int activated) {
  int j;
  for (j = 0; j < u; ++j) {
    const int32_t i_g = activated ? gates[j] : nnsp_sigmoid_q15_inline(gates[j]);
    const int32_t f_g = activated ? gates[u + j] : nnsp_sigmoid_q15_inline(gates[u + j]);
    const int32_t g_g = activated ? gates[2 * u + j] : nnsp_tanh_q15_inline(gates[2 * u + j]);
    const int32_t o_g = activated ? gates[3 * u + j] : nnsp_sigmoid_q15_inline(gates[3 * u + j]);
    /* f c: Q15 x Q24 = Q39 (< 2^46); i g: Q30 (|i g| < 2^30), times 2^9 to Q39. */
    const int64_t sum = (int64_t)f_g * c_q24[j] + (int64_t)(i_g * g_g) * 512;
    c_q24[j] = rshr15_sat32(sum);
    /* o tanh(c): below 2^30 in magnitude, so the rounded shift stays in int32 and inside int16 (no saturation:
     * (32767^2 + 2^14) >> 15 = 32767). */
    h[j] = (int16_t)((o_g * nnsp_tanh_q15_inline(c_q24[j]) + (1 << 14)) >> 15);
  }
}

void nnsp_lstm_step_s8_s16(const nnsp_layer *layer, const int16_t *x, int16_t *h, int32_t *c_q24,
                           int32_t *scratch) {
  const int u = layer->units;
  if (nnsp_lstm_gates_act(layer, x, h, scratch)) {
    lstm_cell(u, scratch, h, c_q24, 1);
  } else {
    nnsp_gate_rows(layer, 4 * u, x, h, scratch);
    lstm_cell(u, scratch, h, c_q24, 0);
  }
}
