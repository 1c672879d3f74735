/* The layer driver: runs a model's layers on one feature frame, keeping each layer's streaming state. */
#ifndef NNSP_NETWORK_H
#define NNSP_NETWORK_H

#include <stdint.h>

#include "nnsp.h"

typedef struct {
  int16_t *window; /* conv1d: the last `kernel` input frames, oldest first */
  int16_t *h;      /* lstm, gru: output state, Q15 */
  int32_t *c;      /* lstm: cell state, Q24 */
} nnsp_layer_state;

/* Rows of a layer's weight matrix (units, 4 units for lstm, 3 for gru). */
int nnsp_layer_rows(const nnsp_layer *layer);
/* Values a layer outputs per frame: units, plus in_dim with concat_input. */
int nnsp_layer_output_dim(const nnsp_layer *layer);

/* Stream start: conv1d windows hold the fill frame (layer 0, the normalized features of silence) or zeros,
 * recurrent states are zero. */
void nnsp_network_reset(const nnsp_model *model, nnsp_layer_state *states, const int16_t *fill);

/* One frame through every layer. act_a and act_b hold the widest layer's output (nnsp_layer_output_dim) each;
 * scratch 4 x the widest recurrent layer's units. Returns the last layer's output (in act_a or act_b). */
const int16_t *nnsp_network_run(const nnsp_model *model, nnsp_layer_state *states, const int16_t *input,
                                int16_t *act_a, int16_t *act_b, int32_t *scratch);

#endif /* NNSP_NETWORK_H */
