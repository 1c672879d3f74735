/* Shared by lstm.c and gru.c: the pre-activations of the gate rows from the input and the previous state. */
#ifndef NNSP_RECURRENT_H
#define NNSP_RECURRENT_H

#include <stdint.h>

#include "nnsp.h"

/* Row `row`'s pre-activation(s) from its input product W x (dot_x, Q(q_in + q_w(row))) and recurrent product
 * R h (dot_h, Q(15 + q_r(row)): h is Q15), both shifted to q_acc = max of the two before the bias is added.
 * lstm and gru's r, z rows: scratch[row] = W x + R h + b. gru's n rows keep the two apart because r multiplies
 * the recurrent one: scratch[row] = W x + b, scratch[row + units] = R h + b_hn. All Q24. */
void nnsp_gate_pre(const nnsp_layer *layer, int row, int64_t dot_x, int64_t dot_h, int32_t *scratch);

/* nnsp_gate_pre for rows 0 .. rows - 1 (4 units for lstm, 3 for gru): the layer's matrix products. The build's
 * form (see NNSP_DSP_KERNELS in kernels.h), and the portable one under its own name (the oracle). */
void nnsp_gate_rows(const nnsp_layer *layer, int rows, const int16_t *x, const int16_t *h, int32_t *scratch);
void nnsp_gate_rows_c(const nnsp_layer *layer, int rows, const int16_t *x, const int16_t *h, int32_t *scratch);

/* The lstm's four gates activated, Q15 in int32 (sigmoid i, f, o, tanh g: nnsp_gate_rows then the activations,
 * the same values), where the build's kernels compute them in one pass with the products (kernels_dsp.c, for the
 * layers its conditions allow); returns 0 where they do not, and lstm.c then runs nnsp_gate_rows and the
 * activations itself. */
int nnsp_lstm_gates_act(const nnsp_layer *layer, const int16_t *x, const int16_t *h, int32_t *gates);

#endif /* NNSP_RECURRENT_H */
