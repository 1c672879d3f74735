/* The fixed-point network kernels (portable C, the oracle for any optimized port). Formats: activations int16
 * in the layer's Q (q_in / q_out), weights int8, accumulators int64, pre-activations int32 Q24 (range +-128,
 * beyond which tanh, sigmoid and relu6 are constant). Each kernel has a float twin in runtime/ref/nnsp_ref.h
 * with the same argument order, and golden-vector tests compare the two. */
#ifndef NNSP_KERNELS_H
#define NNSP_KERNELS_H

#include <stdint.h>

#include "nnsp.h"

#define NNSP_PRE_Q 24 /* fraction bits of every pre-activation and of the lstm cell state */

/* The matrix products (nnsp_fc_s8_s16 and the recurrent gate rows) come in two forms with the same results bit
 * for bit: portable C (fc.c, gate_acc.c; the oracle and the default) and, where the Arm DSP extension exists
 * (Cortex-M4/M7/M33: dual 16-bit multiply-accumulate) and the compiler takes GCC-style inline assembly (GCC,
 * Clang, armclang), kernels_dsp.c. -DNNSP_PORTABLE_KERNELS forces the portable form. */
#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32) && defined(__GNUC__) && \
    !defined(NNSP_PORTABLE_KERNELS)
#define NNSP_DSP_KERNELS 1
#else
#define NNSP_DSP_KERNELS 0
#endif

/* memmove(dst, dst + shift, n int16) for a move down (shift > 0): with the DSP kernels (Thumb-2) by LDM / STM of
 * four words where dst is 4-byte aligned and n and shift are multiples of 8 (16 bytes; a forward copy down by at
 * least 16 bytes reads every word before it is overwritten); otherwise memmove. newlib's memmove takes about 1.6
 * instructions per byte on a Cortex-M4, this about 0.25. */
void nnsp_move_down(int16_t *dst, int shift, int n);

/* tanh and sigmoid of a Q24 value, Q15 (table with linear interpolation; see docs/fixed-point.md). */
int16_t nnsp_tanh_q15(int32_t x_q24);
int16_t nnsp_sigmoid_q15(int32_t x_q24);
/* Any activation of a Q24 pre-activation, saturated to int16 in q_out (15 for tanh and sigmoid). */
int16_t nnsp_activate(int32_t pre_q24, int activation, int q_out);

/* An int16 bias in Q(q_b) moved to its row's accumulator format Q(q_acc): exact, since q_b <= q_acc <= 39
 * (nnsp_init checks) keeps it below 2^54. A multiplication, not a left shift of a possibly negative value. */
static inline int64_t nnsp_bias_acc(int16_t bias, int q_b, int q_acc) {
  return (int64_t)bias * ((int64_t)1 << (q_acc - q_b));
}

/* sum_i w[i] x[i], exact in int64 for n < 2^40. */
int64_t nnsp_dot_s8_s16(const int8_t *w, const int16_t *x, int n);

/* Fraction bits of row r's weights / recurrent weights (per-row table or per-tensor value). */
static inline int nnsp_row_q_w(const nnsp_layer *layer, int row) {
  return layer->q_w_rows ? layer->q_w_rows[row] : layer->q_w;
}
static inline int nnsp_row_q_r(const nnsp_layer *layer, int row) {
  return layer->q_r_rows ? layer->q_r_rows[row] : layer->q_r;
}

/* Row r of an fc / conv1d layer from its product dot = (W x)[r] (Q(q_in + q_w(r))): bias, requantization,
 * activation. */
int16_t nnsp_fc_row_out(const nnsp_layer *layer, int r, int64_t dot);

/* fc and conv1d: y[units] = act(W x + b); x holds kernel * in_dim values (conv1d: the stacked frames); y must
 * not overlap x. The build's form, and the portable one under its own name (the oracle). */
void nnsp_fc_s8_s16(const nnsp_layer *layer, const int16_t *x, int16_t *y);
void nnsp_fc_s8_s16_c(const nnsp_layer *layer, const int16_t *x, int16_t *y);

/* One lstm step: h (Q15, units) and c (Q24, units) are read and updated; scratch holds 4 * units int32. */
void nnsp_lstm_step_s8_s16(const nnsp_layer *layer, const int16_t *x, int16_t *h, int32_t *c_q24,
                           int32_t *scratch);

/* One gru step: h (Q15, units) is read and updated; scratch holds 4 * units int32. */
void nnsp_gru_step_s8_s16(const nnsp_layer *layer, const int16_t *x, int16_t *h, int32_t *scratch);

#endif /* NNSP_KERNELS_H */
