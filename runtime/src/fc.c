/* fc and conv1d (the same product over stacked frames): acc = sum W[r][i] x[i] (int64, Q(q_in + q_w(r))) plus
 * the bias in the same Q, then one rounding and saturating shift to the activation's input. */
#include "fixed.h"
#include "kernels.h"
#include "weight_layout.h"

int64_t nnsp_dot_s8_s16(const int8_t *w, const int16_t *x, int n) {
  int64_t acc = 0;
  int i;
  /* Each product is below 2^22 in magnitude. */
  for (i = 0; i < n; ++i) acc += (int32_t)w[i] * (int32_t)x[i];
  return acc;
}

int16_t nnsp_fc_row_out(const nnsp_layer *layer, int r, int64_t dot) {
  const int q_acc = layer->q_in + nnsp_row_q_w(layer, r);
  const int64_t acc = dot + nnsp_bias_acc(layer->bias[r], layer->q_b, q_acc);
  if (layer->activation == NNSP_ACT_LINEAR) {
    /* Straight to the output format: a linear output may exceed the Q24 range. */
    return nnsp_sat16(nnsp_requant32(acc, layer->q_out - q_acc));
  }
  return nnsp_activate(nnsp_requant32(acc, NNSP_PRE_Q - q_acc), layer->activation, layer->q_out);
}

void nnsp_fc_s8_s16_c(const nnsp_layer *layer, const int16_t *x, int16_t *y) {
  const int cols = (int)layer->kernel * (int)layer->in_dim;
  int r;
  for (r = 0; r < (int)layer->units; ++r)
    y[r] = nnsp_fc_row_out(layer, r, nnsp_dot_row_s8_s16(layer->w, layer->w_layout, layer->units, cols, r, x));
}

#if !NNSP_DSP_KERNELS
void nnsp_fc_s8_s16(const nnsp_layer *layer, const int16_t *x, int16_t *y) { nnsp_fc_s8_s16_c(layer, x, y); }
#endif
