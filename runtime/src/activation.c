/* Activations of Q24 pre-activations (tanh and sigmoid: activation.h). */
#include "activation.h"
#include "fixed.h"
#include "kernels.h"

int16_t nnsp_tanh_q15(int32_t x_q24) { return nnsp_tanh_q15_inline(x_q24); }

int16_t nnsp_sigmoid_q15(int32_t x_q24) { return nnsp_sigmoid_q15_inline(x_q24); }

int16_t nnsp_activate(int32_t pre_q24, int activation, int q_out) {
  switch (activation) {
    case NNSP_ACT_TANH: return nnsp_tanh_q15_inline(pre_q24);
    case NNSP_ACT_SIGMOID: return nnsp_sigmoid_q15_inline(pre_q24);
    case NNSP_ACT_RELU6: {
      const int32_t six = (int32_t)6 << q_out; /* q_out <= 12: fits int16 */
      int32_t y = nnsp_requant32(pre_q24, q_out - NNSP_PRE_Q);
      if (y < 0) y = 0;
      if (y > six) y = six;
      return (int16_t)y;
    }
    default: return nnsp_sat16(nnsp_requant32(pre_q24, q_out - NNSP_PRE_Q));
  }
}
