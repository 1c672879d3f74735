#include "validate.h"

#include "network.h"

#define MIN_ONE_MINUS_POLE ((int32_t)1 << 16) /* dc_filter.c: a pole closer to 1 has no safe state format */

static int pole_ok(int32_t pole_q30) {
  return pole_q30 == 0 || (pole_q30 > 0 && ((int32_t)1 << 30) - pole_q30 >= MIN_ONE_MINUS_POLE);
}

static nnsp_status check_frontend(const nnsp_model *m) {
  int b, bands;
  if (m->sample_rate != NNSP_SAMPLE_RATE || m->window_length != NNSP_WINDOW || m->hop_length != NNSP_HOP ||
      m->fft_size != NNSP_FFT)
    return NNSP_ERR_FRONTEND;
  if (!pole_ok(m->feature_dc_pole_q30) || !pole_ok(m->output_dc_pole_q30)) return NNSP_ERR_FRONTEND;
  if (m->log_offset_q23 <= 0 || m->input_q > 15) return NNSP_ERR_FRONTEND;
  if (!m->mean_q15 || !m->inv_std_q15) return NNSP_ERR_NULL;
  if (m->feature_type == NNSP_FEATURE_PSPEC) return m->feature_dim == NNSP_BINS ? NNSP_OK : NNSP_ERR_FRONTEND;
  /* mel: one feature per band; melflat: two (the band's log energy, then its flatness), so an even count. A runtime
   * from before melflat refuses its feature type here (NNSP_ERR_FRONTEND): no format version change was needed. */
  if (m->feature_type == NNSP_FEATURE_MEL) {
    bands = m->feature_dim;
  } else if (m->feature_type == NNSP_FEATURE_MELFLAT && m->feature_dim % 2 == 0) {
    bands = m->feature_dim / 2;
  } else {
    return NNSP_ERR_FRONTEND;
  }
  if (bands == 0 || bands > NNSP_BINS) return NNSP_ERR_FRONTEND;
  if (!m->mel_first_bin || !m->mel_count || !m->mel_offset || !m->mel_weights_q15) return NNSP_ERR_NULL;
  for (b = 0; b < bands; ++b) {
    int j;
    if ((int)m->mel_first_bin[b] + (int)m->mel_count[b] > NNSP_BINS) return NNSP_ERR_FRONTEND;
    if (b > 0 && m->mel_offset[b] != m->mel_offset[b - 1] + m->mel_count[b - 1]) return NNSP_ERR_FRONTEND;
    for (j = 0; j < (int)m->mel_count[b]; ++j)
      if (m->mel_weights_q15[m->mel_offset[b] + j] < 0) return NNSP_ERR_FRONTEND; /* the sum is unsigned */
  }
  return NNSP_OK;
}

static int q_ok(int q, int lo, int hi) { return q >= lo && q <= hi; }

static nnsp_status check_layer(const nnsp_layer *layer, int expected_in, int expected_q) {
  const int rows = nnsp_layer_rows(layer);
  const int recurrent = layer->kind == NNSP_LAYER_LSTM || layer->kind == NNSP_LAYER_GRU;
  int r;
  if (layer->kind > NNSP_LAYER_GRU || layer->units == 0 || layer->in_dim != expected_in) return NNSP_ERR_MODEL;
  if (layer->q_in != expected_q || !q_ok(layer->q_out, 0, 15)) return NNSP_ERR_MODEL;
  if (layer->concat_input > 1 || (layer->concat_input && layer->q_out != layer->q_in) || layer->reserved != 0)
    return NNSP_ERR_MODEL;
  if (layer->kernel < 1 || (layer->kind != NNSP_LAYER_CONV1D && layer->kernel != 1)) return NNSP_ERR_MODEL;
  if (!layer->w || !layer->bias) return NNSP_ERR_NULL;
  /* NNSP_W_BLOCK4 groups columns by four: w's and r's column counts must be multiples of 4. */
  if (layer->w_layout > NNSP_W_BLOCK4) return NNSP_ERR_MODEL;
  if (layer->w_layout == NNSP_W_BLOCK4 &&
      (((int)layer->kernel * (int)layer->in_dim) % 4 != 0 || (recurrent && layer->units % 4 != 0)))
    return NNSP_ERR_MODEL;
  /* Weight formats in [0, 24]: accumulator Q <= 15 + 24, alignment shifts <= 24 (kernels.h, fixed.h). Bias
   * formats in [0, q_acc] of every row they are added to: the alignment is then an exact multiplication. */
  for (r = 0; r < rows; ++r) {
    const int q_w = layer->q_w_rows ? layer->q_w_rows[r] : layer->q_w;
    const int q_r = layer->q_r_rows ? layer->q_r_rows[r] : layer->q_r;
    int q_acc = layer->q_in + q_w;
    if (!q_ok(q_w, 0, 24)) return NNSP_ERR_MODEL;
    if (recurrent && !q_ok(q_r, 0, 24)) return NNSP_ERR_MODEL;
    if (recurrent && 15 + q_r > q_acc) q_acc = 15 + q_r;
    if (!q_ok(layer->q_b, 0, q_acc)) return NNSP_ERR_MODEL;
    if (layer->kind == NNSP_LAYER_GRU && r >= 2 * (int)layer->units && !q_ok(layer->q_rb, 0, q_acc))
      return NNSP_ERR_MODEL;
  }
  if (recurrent) {
    if (!layer->r || (layer->kind == NNSP_LAYER_GRU && !layer->rbias)) return NNSP_ERR_NULL;
    return layer->q_out == 15 ? NNSP_OK : NNSP_ERR_MODEL;
  }
  switch (layer->activation) {
    case NNSP_ACT_TANH:
    case NNSP_ACT_SIGMOID: return layer->q_out == 15 ? NNSP_OK : NNSP_ERR_MODEL;
    case NNSP_ACT_RELU6: return layer->q_out <= 12 ? NNSP_OK : NNSP_ERR_MODEL;
    case NNSP_ACT_LINEAR: return NNSP_OK;
    default: return NNSP_ERR_MODEL;
  }
}

nnsp_status nnsp_validate_model(const nnsp_model *model) {
  nnsp_status status;
  int l, in, q;
  if (!model) return NNSP_ERR_NULL;
  if (model->version != NNSP_MODEL_VERSION) return NNSP_ERR_VERSION;
  status = check_frontend(model);
  if (status != NNSP_OK) return status;
  if (model->pass_gain_q15 < 1 || model->pass_gain_q15 > 32768) return NNSP_ERR_MODEL;
  if (model->floor_guard_q8 < 0 || model->floor_guard_q8 > 65535) return NNSP_ERR_MODEL;
  if (model->pitch_filter_q15 < 0 || model->pitch_filter_q15 > 32768) return NNSP_ERR_MODEL;
  if (model->num_layers == 0) return NNSP_ERR_MODEL;
  if (!model->layers) return NNSP_ERR_NULL;
  in = model->feature_dim;
  q = model->input_q;
  for (l = 0; l < (int)model->num_layers; ++l) {
    status = check_layer(&model->layers[l], in, q);
    if (status != NNSP_OK) return status;
    in = nnsp_layer_output_dim(&model->layers[l]);
    q = model->layers[l].q_out;
  }
  return in == NNSP_BINS && !model->layers[model->num_layers - 1].concat_input ? NNSP_OK : NNSP_ERR_MODEL;
}
