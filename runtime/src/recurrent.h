/* Shared by lstm.c and gru.c: the accumulator of one gate row over the input and the previous state. */
#ifndef NNSP_RECURRENT_H
#define NNSP_RECURRENT_H

#include <stdint.h>

#include "nnsp.h"

/* Row r's input product W x (*acc_x) and recurrent product R h (*acc_h), both shifted to
 * q_acc = max(q_in + q_w(r), 15 + q_r(r)) (h is Q15), which is returned. They stay apart because gru's n gate
 * uses them separately. */
int nnsp_gate_acc(const nnsp_layer *layer, int row, const int16_t *x, const int16_t *h, int64_t *acc_x,
                  int64_t *acc_h);

#endif /* NNSP_RECURRENT_H */
