/* One gru step, reset-after form (PyTorch): r = s(Wr x + Rr h + br), z = s(Wz x + Rz h + bz),
 * n = tanh(Wn x + bn + r (Rn h + bhn)), h = n + z (h_prev - n). Pre-activations first, then the update. */
#include "fixed.h"
#include "kernels.h"
#include "recurrent.h"

void nnsp_gru_step_s8_s16(const nnsp_layer *layer, const int16_t *x, int16_t *h, int32_t *scratch) {
  const int u = layer->units;
  int j;
  /* scratch: [0, 2u) r and z pre-activations, [2u, 3u) Wn x + bn, [3u, 4u) Rn h + bhn, all Q24. */
  nnsp_gate_rows(layer, 3 * u, x, h, scratch);
  for (j = 0; j < u; ++j) {
    const int32_t r_g = nnsp_sigmoid_q15(scratch[j]);
    const int32_t z_g = nnsp_sigmoid_q15(scratch[u + j]);
    /* r (Q15) x (Rn h + bhn) (Q24) = Q39, back to Q24. */
    const int64_t n_pre = (int64_t)scratch[2 * u + j] + nnsp_rshr64((int64_t)r_g * scratch[3 * u + j], 15);
    const int32_t n_g = nnsp_tanh_q15(nnsp_sat32(n_pre));
    const int32_t diff = (int32_t)h[j] - n_g; /* |diff| < 2^16 */
    h[j] = nnsp_sat16_64(n_g + nnsp_rshr64((int64_t)z_g * diff, 15));
  }
}
