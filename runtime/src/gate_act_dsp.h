/* The activated lstm gate rows of the DSP kernels in assembly (gate_act_dsp.c), for kernels_dsp.c. */
#ifndef NNSP_GATE_ACT_DSP_H
#define NNSP_GATE_ACT_DSP_H

#include <stdint.h>

/* What one call takes besides the first product (the layout is the assembly's: keep the order). */
typedef struct {
  const int32_t *b;     /* the second int32 products, shifted left by d before the sum */
  const int16_t *bias;  /* the rows' int16 biases, times scale */
  int32_t *out;         /* Q15 results in int32 */
  int32_t n;            /* rows, >= 1 */
  int32_t d;            /* 0 to 7 */
  int32_t scale;        /* 2^(q_acc - q_b) <= 2^15 */
  int32_t up;           /* the requantization's left shift to Q24, 0 to 17 */
  uint32_t big;         /* 2^27 >> up (tanh) or 2^28 >> up (sigmoid): |v| from which the result is +-32767 */
} nnsp_gate_act_args;

/* out[i] = act(sat((a[i] + (b[i] << d) +sat bias[i] scale) 2^up)) for i < n, act sigmoid or tanh of the Q24
 * value: kernels_dsp.c's gate_act_left, the same numbers. */
void nnsp_gate_sigmoid_s32(const int32_t *a, const nnsp_gate_act_args *args);
void nnsp_gate_tanh_s32(const int32_t *a, const nnsp_gate_act_args *args);

#endif /* NNSP_GATE_ACT_DSP_H */
