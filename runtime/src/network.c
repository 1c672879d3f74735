/* Layer driver: ping-pong between two activation buffers; conv1d layers stack their input frames in their own
 * window (this is the context stacking of the front end for a conv1d first layer). */
#include "network.h"

#include <string.h>

#include "kernels.h"

int nnsp_layer_rows(const nnsp_layer *layer) {
  if (layer->kind == NNSP_LAYER_LSTM) return 4 * layer->units;
  if (layer->kind == NNSP_LAYER_GRU) return 3 * layer->units;
  return layer->units;
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
        memmove(s->window, s->window + in, (size_t)older * sizeof(int16_t));
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
    x = y;
  }
  return x;
}
