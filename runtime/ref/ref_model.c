/* Dequantized float model and the float enhancer pipeline (the reference the whole-pipeline test measures the
 * fixed-point runtime against). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnsp_ref.h"

static int rows_of(const nnsp_layer *l) {
  return l->kind == NNSP_LAYER_LSTM ? 4 * l->units : (l->kind == NNSP_LAYER_GRU ? 3 * l->units : l->units);
}
static int q_w(const nnsp_layer *l, int r) { return l->q_w_rows ? l->q_w_rows[r] : l->q_w; }
static int q_r(const nnsp_layer *l, int r) { return l->q_r_rows ? l->q_r_rows[r] : l->q_r; }

int nnsp_ref_model_from(const nnsp_model *model, nnsp_ref_model *ref) {
  size_t total = 0, used = 0;
  int l;
  memset(ref, 0, sizeof *ref);
  if (model->num_layers > 16) return -1;
  for (l = 0; l < model->num_layers; ++l) {
    const nnsp_layer *s = &model->layers[l];
    const size_t rows = (size_t)rows_of(s);
    total += rows * (size_t)(s->kernel * s->in_dim) + rows * s->units + rows + s->units;
  }
  ref->storage = malloc(total * sizeof(float));
  if (!ref->storage) return -1;
  ref->model = model;
  for (l = 0; l < model->num_layers; ++l) {
    const nnsp_layer *s = &model->layers[l];
    nnsp_ref_layer *d = &ref->layers[l];
    const int rows = rows_of(s), cols = s->kernel * s->in_dim;
    const int recurrent = s->kind == NNSP_LAYER_LSTM || s->kind == NNSP_LAYER_GRU;
    float *w = ref->storage + used, *r, *b, *rb;
    int i, j;
    used += (size_t)rows * cols;
    r = ref->storage + used;
    used += recurrent ? (size_t)rows * s->units : 0;
    b = ref->storage + used;
    used += (size_t)rows;
    rb = ref->storage + used;
    used += s->kind == NNSP_LAYER_GRU ? (size_t)s->units : 0;
    for (i = 0; i < rows; ++i) {
      for (j = 0; j < cols; ++j) w[(long)i * cols + j] = (float)ldexp(s->w[(long)i * cols + j], -q_w(s, i));
      if (recurrent)
        for (j = 0; j < s->units; ++j) r[(long)i * s->units + j] = (float)ldexp(s->r[(long)i * s->units + j], -q_r(s, i));
      b[i] = (float)ldexp(s->bias[i], -s->q_b);
    }
    if (s->kind == NNSP_LAYER_GRU)
      for (j = 0; j < s->units; ++j) rb[j] = (float)ldexp(s->rbias[j], -s->q_rb);
    d->kind = s->kind;
    d->activation = s->activation;
    d->kernel = s->kernel;
    d->in_dim = s->in_dim;
    d->units = s->units;
    d->concat_input = s->concat_input;
    d->w = w;
    d->r = recurrent ? r : 0;
    d->bias = b;
    d->rbias = s->kind == NNSP_LAYER_GRU ? rb : 0;
  }
  return 0;
}

void nnsp_ref_model_free(nnsp_ref_model *ref) {
  free(ref->storage);
  ref->storage = 0;
}

struct nnsp_ref_enhancer {
  const nnsp_ref_model *ref;
  double gain_floor, pass_gain;
  nnsp_ref_floor_guard guard;
  double window[NNSP_WINDOW];
  double fx_prev, fy_prev, ox_prev, oy_prev; /* DC filter states */
  double feature_hist[NNSP_WINDOW], output_hist[NNSP_WINDOW], ola[NNSP_WINDOW];
  float features[2 * NNSP_BINS]; /* feature_dim: at most 2 bands (melflat), bands <= NNSP_BINS */
  float *windows[16], *h[16], *c[16];
  float act_a[4096], act_b[4096];
};

static double dc_step(double pole, double x, double *x_prev, double *y_prev) {
  double y;
  if (pole == 0.0) return x;
  y = x - *x_prev + pole * *y_prev;
  *x_prev = x;
  *y_prev = y;
  return y;
}

static void reset_network(nnsp_ref_enhancer *e) {
  const nnsp_model *m = e->ref->model;
  int l, t, i;
  for (l = 0; l < m->num_layers; ++l) {
    const nnsp_layer *s = &m->layers[l];
    if (e->windows[l]) {
      for (t = 0; t < s->kernel; ++t)
        for (i = 0; i < s->in_dim; ++i) {
          /* layer 0: the features of silence normalized: log10(offset), melflat's flatness 0 (nnse's
           * dsp::context_fill_frame, and the runtime's compute_fill) */
          const int flatness = m->feature_type == NNSP_FEATURE_MELFLAT && i >= m->feature_dim / 2;
          const double floor = flatness ? 0.0 : log10(ldexp(m->log_offset_q23, -23));
          e->windows[l][t * s->in_dim + i] =
              l == 0 ? (float)((floor - ldexp(m->mean_q15[i], -15)) * ldexp(m->inv_std_q15[i], -15)) : 0.0f;
        }
    }
    if (e->h[l]) memset(e->h[l], 0, (size_t)s->units * sizeof(float));
    if (e->c[l]) memset(e->c[l], 0, (size_t)s->units * sizeof(float));
  }
}

nnsp_ref_enhancer *nnsp_ref_enhancer_new(const nnsp_ref_model *ref, double gain_floor, double pass_gain,
                                         double guard_beta) {
  nnsp_ref_enhancer *e = calloc(1, sizeof *e);
  const nnsp_model *m = ref->model;
  int n, l;
  if (!e) return 0;
  e->ref = ref;
  e->gain_floor = gain_floor;
  e->pass_gain = pass_gain;
  nnsp_ref_floor_guard_reset(&e->guard, guard_beta);
  for (n = 0; n < NNSP_WINDOW; ++n)
    e->window[n] = sqrt((1.0 / 3.0) * (1.0 - cos(2.0 * 3.14159265358979323846 * n / NNSP_WINDOW)));
  for (l = 0; l < m->num_layers; ++l) {
    const nnsp_layer *s = &m->layers[l];
    if (s->kind == NNSP_LAYER_CONV1D) e->windows[l] = calloc((size_t)s->kernel * s->in_dim, sizeof(float));
    if (s->kind == NNSP_LAYER_LSTM || s->kind == NNSP_LAYER_GRU) e->h[l] = calloc(s->units, sizeof(float));
    if (s->kind == NNSP_LAYER_LSTM) e->c[l] = calloc(s->units, sizeof(float));
  }
  reset_network(e);
  return e;
}

void nnsp_ref_enhancer_free(nnsp_ref_enhancer *e) {
  int l;
  if (!e) return;
  for (l = 0; l < 16; ++l) {
    free(e->windows[l]);
    free(e->h[l]);
    free(e->c[l]);
  }
  free(e);
}

static const float *run_network(nnsp_ref_enhancer *e, const float *x) {
  const nnsp_model *m = e->ref->model;
  int l;
  for (l = 0; l < m->num_layers; ++l) {
    const nnsp_ref_layer *layer = &e->ref->layers[l];
    float *y = x == e->act_a ? e->act_b : e->act_a;
    switch (layer->kind) {
      case NNSP_LAYER_CONV1D: {
        const int in = layer->in_dim, older = (layer->kernel - 1) * in;
        memmove(e->windows[l], e->windows[l] + in, (size_t)older * sizeof(float));
        memcpy(e->windows[l] + older, x, (size_t)in * sizeof(float));
        nnsp_ref_fc(layer, e->windows[l], y);
        break;
      }
      case NNSP_LAYER_LSTM:
        nnsp_ref_lstm_step(layer, x, e->h[l], e->c[l]);
        memcpy(y, e->h[l], (size_t)layer->units * sizeof(float));
        break;
      case NNSP_LAYER_GRU:
        nnsp_ref_gru_step(layer, x, e->h[l]);
        memcpy(y, e->h[l], (size_t)layer->units * sizeof(float));
        break;
      default: nnsp_ref_fc(layer, x, y); break;
    }
    if (layer->concat_input) memcpy(y + layer->units, x, (size_t)layer->in_dim * sizeof(float));
    x = y;
  }
  return x;
}

void nnsp_ref_log_features(const nnsp_model *m, const double p[NNSP_BINS], double *features) {
  const double offset = ldexp(m->log_offset_q23, -23);
  const int bands = m->feature_type == NNSP_FEATURE_MELFLAT ? m->feature_dim / 2 : m->feature_dim;
  int b, j;
  if (m->feature_type == NNSP_FEATURE_PSPEC) {
    for (b = 0; b < NNSP_BINS; ++b) features[b] = log10(p[b] + offset);
    return;
  }
  for (b = 0; b < bands; ++b) {
    const int16_t *w = m->mel_weights_q15 + m->mel_offset[b];
    const double *pb = p + m->mel_first_bin[b];
    double energy = 0.0, weight = 0.0, log_sum = 0.0;
    for (j = 0; j < m->mel_count[b]; ++j) {
      energy += ldexp(w[j], -15) * pb[j];
      weight += ldexp(w[j], -15);
      log_sum += ldexp(w[j], -15) * log10(pb[j] + offset);
    }
    features[b] = log10(energy + offset);
    if (m->feature_type == NNSP_FEATURE_MELFLAT)
      features[bands + b] =
          m->mel_count[b] < 2 || !(weight > 0.0) ? 0.0 : log_sum / weight - log10(energy / weight + offset);
  }
}

static void frame_spectrum(const nnsp_ref_enhancer *e, const double *hist, double *re, double *im) {
  double x[512];
  int n;
  for (n = 0; n < 512; ++n) x[n] = n < NNSP_WINDOW ? hist[n] * e->window[n] : 0.0;
  nnsp_ref_rfft512(x, re, im);
}

void nnsp_ref_enhancer_process(nnsp_ref_enhancer *e, const double *in, double *out) {
  const nnsp_model *m = e->ref->model;
  const int keep = NNSP_WINDOW - NNSP_HOP;
  const double fpole = ldexp(m->feature_dc_pole_q30, -30), opole = ldexp(m->output_dc_pole_q30, -30);
  double re[NNSP_BINS], im[NNSP_BINS], p[NNSP_BINS], x[512], gains[NNSP_BINS], log_features[2 * NNSP_BINS];
  const float *g;
  int n, k, b;
  memmove(e->feature_hist, e->feature_hist + NNSP_HOP, (size_t)keep * sizeof(double));
  memmove(e->output_hist, e->output_hist + NNSP_HOP, (size_t)keep * sizeof(double));
  for (n = 0; n < NNSP_HOP; ++n) {
    e->feature_hist[keep + n] = dc_step(fpole, in[n], &e->fx_prev, &e->fy_prev);
    e->output_hist[keep + n] = dc_step(opole, in[n], &e->ox_prev, &e->oy_prev);
  }
  frame_spectrum(e, e->feature_hist, re, im);
  for (k = 0; k < NNSP_BINS; ++k) p[k] = re[k] * re[k] + im[k] * im[k];
  nnsp_ref_log_features(m, p, log_features);
  for (b = 0; b < m->feature_dim; ++b)
    e->features[b] = (float)((log_features[b] - ldexp(m->mean_q15[b], -15)) * ldexp(m->inv_std_q15[b], -15));
  g = run_network(e, e->features);
  frame_spectrum(e, e->output_hist, re, im);
  for (k = 0; k < NNSP_BINS; ++k) {
    p[k] = re[k] * re[k] + im[k] * im[k];
    gains[k] = g[k] / e->pass_gain; /* nnse's enhancer: min(max(g / pass, floor), 1), then the guard */
    if (gains[k] < e->gain_floor) gains[k] = e->gain_floor;
    if (e->pass_gain != 1.0 && gains[k] > 1.0) gains[k] = 1.0;
  }
  nnsp_ref_floor_guard_observe(&e->guard, p);
  nnsp_ref_floor_guard_apply(&e->guard, gains);
  for (k = 0; k < NNSP_BINS; ++k) {
    const double gain = gains[k];
    re[k] *= gain;
    im[k] *= gain;
  }
  nnsp_ref_irfft512(re, im, x);
  for (n = 0; n < NNSP_WINDOW; ++n) e->ola[n] += x[n] * e->window[n];
  for (n = 0; n < NNSP_HOP; ++n) out[n] = e->ola[n];
  memmove(e->ola, e->ola + NNSP_HOP, (size_t)keep * sizeof(double));
  for (n = keep; n < NNSP_WINDOW; ++n) e->ola[n] = 0.0;
}

const float *nnsp_ref_enhancer_features(const nnsp_ref_enhancer *e) { return e->features; }
