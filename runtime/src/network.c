/* Layer driver: ping-pong between two activation buffers; conv1d layers stack their input frames in their own
 * window (this is the context stacking of the front end for a conv1d first layer). */
#include "network.h"

#include <string.h>

#include "kernels.h"

void nnsp_move_down(int16_t *dst, int shift, int n) {
#if NNSP_DSP_KERNELS
  if (((uintptr_t)dst & 3u) == 0 && n > 0 && n % 8 == 0 && shift % 8 == 0 && shift > 0) {
    const int16_t *s = dst + shift;
    const int16_t *const end = s + n;
    int16_t *d = dst;
    if (n % 16 == 8) {
      __asm volatile("ldmia %0!, {r4, r5, r6, r7}\n\t"
                     "stmia %1!, {r4, r5, r6, r7}"
                     : "+r"(s), "+r"(d)
                     :
                     : "r4", "r5", "r6", "r7", "memory");
      if (s == end) return;
    }
    __asm volatile("1:\n\t"
                   "ldmia %0!, {r4, r5, r6, r7}\n\t"
                   "stmia %1!, {r4, r5, r6, r7}\n\t"
                   "ldmia %0!, {r4, r5, r6, r7}\n\t"
                   "stmia %1!, {r4, r5, r6, r7}\n\t"
                   "cmp %0, %2\n\t"
                   "bne 1b"
                   : "+r"(s), "+r"(d)
                   : "r"(end)
                   : "r4", "r5", "r6", "r7", "memory", "cc");
    return;
  }
#endif
  memmove(dst, dst + shift, (size_t)n * sizeof(int16_t));
}

int nnsp_layer_rows(const nnsp_layer *layer) {
  if (layer->kind == NNSP_LAYER_LSTM) return 4 * layer->units;
  if (layer->kind == NNSP_LAYER_GRU) return 3 * layer->units;
  return layer->units;
}

int nnsp_layer_output_dim(const nnsp_layer *layer) {
  return layer->units + (layer->concat_input ? layer->in_dim : 0);
}

void nnsp_network_reset(const nnsp_model *model, nnsp_layer_state *states, const int16_t *fill) {
  int l, t;
  for (l = 0; l < (int)model->num_layers; ++l) {
    const nnsp_layer *layer = &model->layers[l];
    nnsp_layer_state *s = &states[l];
    const int in = layer->in_dim;
    if (s->window) {
      for (t = 0; t < (int)layer->kernel; ++t) {
        if (l == 0) memcpy(s->window + (long)t * in, fill, (size_t)in * sizeof(int16_t));
        else memset(s->window + (long)t * in, 0, (size_t)in * sizeof(int16_t));
      }
    }
    if (s->h) memset(s->h, 0, (size_t)layer->units * sizeof(int16_t));
    if (s->c) memset(s->c, 0, (size_t)layer->units * sizeof(int32_t));
  }
}

const int16_t *nnsp_network_run(const nnsp_model *model, nnsp_layer_state *states, const int16_t *input,
                                int16_t *act_a, int16_t *act_b, int32_t *scratch) {
  const int16_t *x = input;
  int l;
  for (l = 0; l < (int)model->num_layers; ++l) {
    const nnsp_layer *layer = &model->layers[l];
    nnsp_layer_state *s = &states[l];
    int16_t *y = (x == act_a) ? act_b : act_a;
    const size_t units_bytes = (size_t)layer->units * sizeof(int16_t);
    switch (layer->kind) {
      case NNSP_LAYER_CONV1D: {
        const int in = layer->in_dim, older = (layer->kernel - 1) * in;
        nnsp_move_down(s->window, in, older);
        memcpy(s->window + older, x, (size_t)in * sizeof(int16_t));
        nnsp_fc_s8_s16(layer, s->window, y);
        break;
      }
      case NNSP_LAYER_LSTM:
        nnsp_lstm_step_s8_s16(layer, x, s->h, s->c, scratch);
        memcpy(y, s->h, units_bytes);
        break;
      case NNSP_LAYER_GRU:
        nnsp_gru_step_s8_s16(layer, x, s->h, scratch);
        memcpy(y, s->h, units_bytes);
        break;
      default: nnsp_fc_s8_s16(layer, x, y); break;
    }
    /* The skip path: the input follows the layer's own output (same format, q_in == q_out: validate.c). */
    if (layer->concat_input) memcpy(y + layer->units, x, (size_t)layer->in_dim * sizeof(int16_t));
    x = y;
  }
  return x;
}
