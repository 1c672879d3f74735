/* The gate rows of a recurrent layer: W x and R h in int64, each shifted left to the common Q (exact: the
 * shifts are small and the sums far from 2^62), plus the bias, to the Q24 pre-activations. */
#include "fixed.h"
#include "kernels.h"
#include "recurrent.h"
#include "weight_layout.h"

void nnsp_gate_pre(const nnsp_layer *layer, int row, int64_t dot_x, int64_t dot_h, int32_t *scratch) {
  const int u = layer->units;
  const int q_x = layer->q_in + nnsp_row_q_w(layer, row);
  const int q_h = 15 + nnsp_row_q_r(layer, row);
  const int q_acc = q_x > q_h ? q_x : q_h;
  const int64_t ax = nnsp_shl64_sat(dot_x, q_acc - q_x);
  const int64_t ah = nnsp_shl64_sat(dot_h, q_acc - q_h);
  if (layer->kind == NNSP_LAYER_LSTM || row < 2 * u) {
    scratch[row] = nnsp_requant32(ax + ah + nnsp_bias_acc(layer->bias[row], layer->q_b, q_acc), NNSP_PRE_Q - q_acc);
  } else {
    /* gru's n gate keeps its two products apart (r multiplies the recurrent one). */
    scratch[row] = nnsp_requant32(ax + nnsp_bias_acc(layer->bias[row], layer->q_b, q_acc), NNSP_PRE_Q - q_acc);
    scratch[row + u] =
        nnsp_requant32(ah + nnsp_bias_acc(layer->rbias[row - 2 * u], layer->q_rb, q_acc), NNSP_PRE_Q - q_acc);
  }
}

void nnsp_gate_rows_c(const nnsp_layer *layer, int rows, const int16_t *x, const int16_t *h, int32_t *scratch) {
  const int in = layer->in_dim, units = layer->units;
  int r;
  for (r = 0; r < rows; ++r)
    nnsp_gate_pre(layer, r, nnsp_dot_row_s8_s16(layer->w, layer->w_layout, rows, in, r, x),
                  nnsp_dot_row_s8_s16(layer->r, layer->w_layout, rows, units, r, h), scratch);
}

#if !NNSP_DSP_KERNELS
int nnsp_lstm_gates_act(const nnsp_layer *layer, const int16_t *x, const int16_t *h, int32_t *gates) {
  (void)layer;
  (void)x;
  (void)h;
  (void)gates;
  return 0;
}

void nnsp_gate_rows(const nnsp_layer *layer, int rows, const int16_t *x, const int16_t *h, int32_t *scratch) {
  nnsp_gate_rows_c(layer, rows, x, h, scratch);
}
#endif
