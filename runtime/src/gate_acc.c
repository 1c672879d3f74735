/* One gate row of a recurrent layer: W x and R h in int64, each shifted left to the common Q (exact: the
 * shifts are small and the sums far from 2^62). */
#include "fixed.h"
#include "kernels.h"
#include "recurrent.h"

int nnsp_gate_acc(const nnsp_layer *layer, int row, const int16_t *x, const int16_t *h, int64_t *acc_x,
                  int64_t *acc_h) {
  const int in = layer->in_dim, units = layer->units;
  const int q_x = layer->q_in + nnsp_row_q_w(layer, row);
  const int q_h = 15 + nnsp_row_q_r(layer, row);
  const int q_acc = q_x > q_h ? q_x : q_h;
  *acc_x = nnsp_shl64_sat(nnsp_dot_s8_s16(layer->w + (long)row * in, x, in), q_acc - q_x);
  *acc_h = nnsp_shl64_sat(nnsp_dot_s8_s16(layer->r + (long)row * units, h, units), q_acc - q_h);
  return q_acc;
}
