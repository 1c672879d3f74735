/* Deterministic cases (see cases.h). Host code: uses double and libm to draw and quantize weights. */
#include "cases.h"

#include <math.h>
#include <string.h>

#include "../src/kernels.h"

uint32_t rng_next(uint32_t *state) {
  uint32_t x = *state ? *state : 0x9E3779B9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

int32_t rng_range(uint32_t *state, int32_t lo, int32_t hi) {
  const uint32_t span = (uint32_t)(hi - lo) + 1u;
  return lo + (int32_t)(span ? rng_next(state) % span : rng_next(state));
}

static double rng_uniform(uint32_t *state) { return (rng_next(state) >> 8) / 16777216.0; } /* [0, 1) */

uint32_t fnv1a(const void *data, unsigned long bytes, uint32_t hash) {
  const uint8_t *p = (const uint8_t *)data;
  unsigned long i;
  if (hash == 0) hash = 2166136261u;
  for (i = 0; i < bytes; ++i) hash = (hash ^ p[i]) * 16777619u;
  return hash;
}

static int rows_of(const nnsp_layer *l) {
  return l->kind == NNSP_LAYER_LSTM ? 4 * l->units : (l->kind == NNSP_LAYER_GRU ? 3 * l->units : l->units);
}

/* ---- kernel cases ---- */

typedef struct {
  const char *name;
  int kind, activation, kernel, in_dim, units, q_in, q_out, q_w, q_r, per_row, frames;
} case_spec;

static const case_spec kSpecs[NUM_KERNEL_CASES] = {
    {"fc_tanh", NNSP_LAYER_FC, NNSP_ACT_TANH, 1, 40, 24, 15, 15, 7, 0, 0, 3},
    {"fc_sigmoid_per_row", NNSP_LAYER_FC, NNSP_ACT_SIGMOID, 1, 40, 24, 15, 15, 7, 0, 1, 3},
    {"fc_relu6", NNSP_LAYER_FC, NNSP_ACT_RELU6, 1, 32, 16, 12, 12, 6, 0, 0, 3},
    {"fc_linear", NNSP_LAYER_FC, NNSP_ACT_LINEAR, 1, 32, 16, 15, 10, 7, 0, 0, 3},
    {"conv1d_tanh", NNSP_LAYER_CONV1D, NNSP_ACT_TANH, 3, 12, 16, 8, 15, 6, 0, 0, 8},
    {"lstm", NNSP_LAYER_LSTM, NNSP_ACT_TANH, 1, 16, 12, 15, 15, 6, 7, 0, 10},
    {"lstm_per_row_q12_input", NNSP_LAYER_LSTM, NNSP_ACT_TANH, 1, 16, 12, 12, 15, 6, 6, 1, 10},
    {"gru", NNSP_LAYER_GRU, NNSP_ACT_TANH, 1, 16, 12, 15, 15, 7, 6, 0, 10},
    {"gru_per_row", NNSP_LAYER_GRU, NNSP_ACT_TANH, 1, 16, 12, 15, 15, 7, 7, 1, 10},
};

void make_kernel_case(int i, kernel_case *c) {
  const case_spec *s = &kSpecs[i];
  uint32_t rng = 1234567u + 7919u * (uint32_t)i;
  nnsp_layer *l = &c->layer;
  int rows, cols, r, j, t;
  const int recurrent = s->kind == NNSP_LAYER_LSTM || s->kind == NNSP_LAYER_GRU;
  memset(c, 0, sizeof *c);
  c->name = s->name;
  c->frames = s->frames;
  l->kind = (uint8_t)s->kind;
  l->activation = (uint8_t)s->activation;
  l->kernel = (uint8_t)s->kernel;
  l->in_dim = (uint16_t)s->in_dim;
  l->units = (uint16_t)s->units;
  l->q_in = (int8_t)s->q_in;
  l->q_out = (int8_t)s->q_out;
  l->q_w = (int8_t)s->q_w;
  l->q_r = (int8_t)s->q_r;
  rows = rows_of(l);
  cols = s->kernel * s->in_dim;
  /* The bias format: Q15 (biases up to +-1), or the smallest row accumulator format if that is coarser. */
  l->q_b = 15;
  for (r = 0; r < rows; ++r) {
    int q_acc;
    c->q_w_rows[r] = (int8_t)(s->per_row ? rng_range(&rng, 5, 9) : s->q_w);
    c->q_r_rows[r] = (int8_t)(s->per_row ? rng_range(&rng, 5, 9) : s->q_r);
    q_acc = s->q_in + c->q_w_rows[r];
    if (recurrent && 15 + c->q_r_rows[r] > q_acc) q_acc = 15 + c->q_r_rows[r];
    if (q_acc < l->q_b) l->q_b = (int8_t)q_acc;
    for (j = 0; j < cols; ++j) c->w[r * cols + j] = (int8_t)rng_range(&rng, -128, 127);
    for (j = 0; j < s->units; ++j) c->r[r * s->units + j] = (int8_t)rng_range(&rng, -128, 127);
  }
  l->q_rb = (int8_t)(s->kind == NNSP_LAYER_GRU ? l->q_b : 0);
  /* biases up to +-0.5 */
  for (r = 0; r < rows; ++r) c->bias[r] = (int16_t)rng_range(&rng, -(1 << (l->q_b - 1)), 1 << (l->q_b - 1));
  for (j = 0; j < s->units && s->kind == NNSP_LAYER_GRU; ++j)
    c->rbias[j] = (int16_t)rng_range(&rng, -(1 << (l->q_rb - 1)), 1 << (l->q_rb - 1));
  l->w = c->w;
  l->r = recurrent ? c->r : 0;
  l->bias = c->bias;
  l->rbias = s->kind == NNSP_LAYER_GRU ? c->rbias : 0;
  l->q_w_rows = s->per_row ? c->q_w_rows : 0;
  l->q_r_rows = s->per_row ? c->q_r_rows : 0;
  if (!s->per_row)
    for (r = 0; r < rows; ++r) {
      c->q_w_rows[r] = (int8_t)s->q_w;
      c->q_r_rows[r] = (int8_t)s->q_r;
    }
  for (t = 0; t < s->frames; ++t)
    for (j = 0; j < s->in_dim; ++j) {
      /* Inputs over the format's range: Q15 activations in [-1, 1), Q12 relu6 outputs in [0, 6], Q8 features
       * in [-4, 4]; the first frame of each case is full scale to reach the saturation paths. */
      const int32_t lo = s->q_in == 12 ? 0 : (s->q_in == 8 ? -1024 : -32768);
      const int32_t hi = s->q_in == 12 ? 24576 : (s->q_in == 8 ? 1024 : 32767);
      c->x[t][j] = (int16_t)(t == 0 ? ((j & 1) ? hi : lo) : rng_range(&rng, lo, hi));
    }
}

void run_kernel_case(const kernel_case *c, int16_t *out) {
  const nnsp_layer *l = &c->layer;
  int16_t window[CASE_MAX_FRAMES * CASE_MAX_COLS];
  int16_t h[CASE_MAX_ROWS];
  int32_t cs[CASE_MAX_ROWS], scratch[4 * CASE_MAX_ROWS];
  const int in = l->in_dim, k = l->kernel;
  int t, j;
  memset(window, 0, sizeof window);
  memset(h, 0, sizeof h);
  memset(cs, 0, sizeof cs);
  for (t = 0; t < c->frames; ++t) {
    int16_t *y = out + (long)t * l->units;
    switch (l->kind) {
      case NNSP_LAYER_CONV1D:
        /* history before the first frame: zeros */
        memmove(window, window + in, (size_t)(k - 1) * in * sizeof(int16_t));
        memcpy(window + (k - 1) * in, c->x[t], (size_t)in * sizeof(int16_t));
        nnsp_fc_s8_s16(l, window, y);
        break;
      case NNSP_LAYER_LSTM:
        nnsp_lstm_step_s8_s16(l, c->x[t], h, cs, scratch);
        for (j = 0; j < l->units; ++j) y[j] = h[j];
        break;
      case NNSP_LAYER_GRU:
        nnsp_gru_step_s8_s16(l, c->x[t], h, scratch);
        for (j = 0; j < l->units; ++j) y[j] = h[j];
        break;
      default: nnsp_fc_s8_s16(l, c->x[t], y); break;
    }
  }
}

void make_act_sweep(int32_t x_q24[ACT_SWEEP]) {
  int i;
  /* 201 points from -20 to 20 (step 0.2, not on the table grid) plus the extremes */
  for (i = 0; i < ACT_SWEEP - 2; ++i) x_q24[i] = (int32_t)lround((-20.0 + 0.2 * i + 0.0123) * 16777216.0);
  x_q24[ACT_SWEEP - 2] = INT32_MIN;
  x_q24[ACT_SWEEP - 1] = INT32_MAX;
}

void make_fft_frame(uint32_t seed, int level, int32_t buf[512]) {
  uint32_t rng = seed;
  const double pi = 3.14159265358979323846;
  const double f1 = 50.0 + rng_range(&rng, 0, 4000), f2 = 300.0 + rng_range(&rng, 0, 7000);
  int n;
  for (n = 0; n < 512; ++n) {
    double v = 0.0;
    if (n < NNSP_WINDOW) {
      const double w = sqrt((1.0 - cos(2.0 * pi * n / NNSP_WINDOW)) / 3.0);
      v = 0.45 * sin(2.0 * pi * f1 * n / 16000.0) + 0.3 * cos(2.0 * pi * f2 * n / 16000.0) +
          0.2 * (rng_uniform(&rng) * 2.0 - 1.0);
      v = floor(v * 32767.0) / 32768.0 * w; /* int16 sample times window */
    }
    buf[n] = (int32_t)lround(ldexp(v, 30 - level));
  }
}

/* ---- synthetic model ---- */

static double hz_to_mel(double hz) { return 2595.0 * log10(1.0 + hz / 700.0); }
static double mel_to_hz(double mel) { return 700.0 * (pow(10.0, mel / 2595.0) - 1.0); }

static void make_mel(synthetic_model *s) {
  int b[74], m, k, used = 0;
  const double top = hz_to_mel(8000.0);
  for (m = 0; m < 74; ++m) {
    int bin = (int)floor(513.0 * mel_to_hz(top * m / 73.0) / 16000.0);
    b[m] = bin > 256 ? 256 : bin;
  }
  for (m = 1; m <= 72; ++m) {
    int first = -1, count = 0;
    for (k = 0; k < NNSP_BINS; ++k) {
      double w = 0.0;
      if (k >= b[m - 1] && k < b[m]) w = (double)(k - b[m - 1]) / (b[m] - b[m - 1]);
      else if (k >= b[m] && k < b[m + 1]) w = (double)(b[m + 1] - k) / (b[m + 1] - b[m]);
      if (w > 0.0) {
        long q = (long)floor(w * 32768.0);
        if (q > 32767) q = 32767;
        if (first < 0) first = k;
        s->mel_w[used + count++] = (int16_t)q;
      }
    }
    s->mel_first[m - 1] = (uint16_t)(first < 0 ? 0 : first);
    s->mel_count[m - 1] = (uint16_t)count;
    s->mel_offset[m - 1] = (uint16_t)used;
    used += count;
  }
}

/* Power-of-two format of a set of weights: the most fraction bits that keep max |w| within int8. */
static int weight_q(const double *w, int n) {
  double m = 0.0;
  int i, q;
  for (i = 0; i < n; ++i) m = fabs(w[i]) > m ? fabs(w[i]) : m;
  if (m == 0.0) return 7;
  q = 7 - (int)ceil(log2(m * 128.0 / 127.0));
  return q < 0 ? 0 : (q > 24 ? 24 : q);
}

static int8_t quant8(double v, int q) {
  long x = lround(ldexp(v, q));
  return (int8_t)(x > 127 ? 127 : (x < -128 ? -128 : x));
}

/* Draws a [rows][cols] matrix uniform in +-limit, quantized per tensor or per row; fills q_rows. */
static int draw_matrix(uint32_t *rng, int rows, int cols, double limit, int per_row, int8_t *out, int8_t *q_rows) {
  static double tmp[6 * 144 * 72];
  int r, j, q_tensor;
  for (r = 0; r < rows * cols; ++r) tmp[r] = (rng_uniform(rng) * 2.0 - 1.0) * limit;
  q_tensor = weight_q(tmp, rows * cols);
  for (r = 0; r < rows; ++r) {
    const int q = per_row ? weight_q(tmp + (long)r * cols, cols) : q_tensor;
    q_rows[r] = (int8_t)q;
    for (j = 0; j < cols; ++j) out[(long)r * cols + j] = quant8(tmp[(long)r * cols + j], q);
  }
  return q_tensor;
}

void make_synthetic_model(synthetic_model *s, const synthetic_options *o) {
  uint32_t rng = o->seed ? o->seed : 42u;
  const int dim = o->melflat ? 144 : 72;
  const int sizes[5][3] = {{NNSP_LAYER_CONV1D, dim, 72}, {NNSP_LAYER_LSTM, 72, 72}, {NNSP_LAYER_FC, 72, 72},
                           {NNSP_LAYER_FC, 72, 72}, {NNSP_LAYER_FC, 72, 257}};
  int l, m, q_in = 8;
  memset(s, 0, sizeof *s);
  make_mel(s);
  for (m = 0; m < 72; ++m) {
    /* plausible stats: mean of log10 mel around -3 .. -1, inv std around 0.6 .. 0.75 */
    s->mean[m] = (int32_t)lround(ldexp(-3.0 + 2.0 * m / 71.0, 15));
    s->inv_std[m] = (int32_t)lround(ldexp(0.6 + 0.15 * rng_uniform(&rng), 15));
  }
  for (m = 72; m < dim; ++m) {
    /* flatness stats like nnse's on speech: mean about -0.15 (0 for the single-bin bands, whose flatness is always
     * 0), inv std about 5.5. (nnse gives those bands std 0, inv std 32768: the silence fill's (log10(2^-15) - 0)
     * 32768 then saturates the Q8 input, which the float reference does not model; not here.) */
    s->mean[m] = s->mel_count[m - 72] < 2 ? 0 : (int32_t)lround(ldexp(-0.1 - 0.08 * rng_uniform(&rng), 15));
    s->inv_std[m] = (int32_t)lround(ldexp(4.5 + 2.0 * rng_uniform(&rng), 15));
  }
  for (l = 0; l < 5; ++l) {
    nnsp_layer *L = &s->layers[l];
    const int kind = l == 1 && o->gru ? NNSP_LAYER_GRU : sizes[l][0];
    const int in = l == 2 && o->concat ? 144 : sizes[l][1], units = sizes[l][2], kernel = l == 0 ? 6 : 1;
    const int rows = kind == NNSP_LAYER_LSTM ? 4 * units : (kind == NNSP_LAYER_GRU ? 3 * units : units);
    const int cols = kernel * in;
    const double limit = sqrt(6.0 / (cols + units));
    int r;
    L->kind = (uint8_t)kind;
    L->activation = (uint8_t)(l == 4 ? NNSP_ACT_SIGMOID : (l == 3 && o->relu6 ? NNSP_ACT_RELU6 : NNSP_ACT_TANH));
    L->kernel = (uint8_t)kernel;
    L->concat_input = (uint8_t)(l == 1 && o->concat);
    L->in_dim = (uint16_t)in;
    L->units = (uint16_t)units;
    L->q_in = (int8_t)q_in;
    L->q_out = (int8_t)(L->activation == NNSP_ACT_RELU6 ? 12 : 15);
    L->q_w = (int8_t)draw_matrix(&rng, rows, cols, limit, o->per_row, s->w[l], s->q_rows[l]);
    if (kind == NNSP_LAYER_LSTM || kind == NNSP_LAYER_GRU) {
      L->q_r = (int8_t)draw_matrix(&rng, rows, units, sqrt(3.0 / units), o->per_row, s->r, s->q_r_rows);
      L->r = s->r;
      L->q_r_rows = o->per_row ? s->q_r_rows : 0;
    }
    /* Biases in Q14 (|b| <= 1.2), or the smallest row accumulator format if that is coarser. */
    L->q_b = 14;
    for (r = 0; r < rows; ++r) {
      const int qw = o->per_row ? s->q_rows[l][r] : L->q_w;
      const int qr = o->per_row ? s->q_r_rows[r] : L->q_r;
      int q_acc = q_in + qw;
      if (kind == NNSP_LAYER_LSTM || kind == NNSP_LAYER_GRU) q_acc = q_acc > 15 + qr ? q_acc : 15 + qr;
      if (q_acc < L->q_b) L->q_b = (int8_t)q_acc;
    }
    L->q_rb = (int8_t)(kind == NNSP_LAYER_GRU ? L->q_b : 0);
    for (r = 0; r < rows; ++r) {
      double b = (rng_uniform(&rng) * 2.0 - 1.0) * 0.2;
      if (kind == NNSP_LAYER_LSTM && r >= units && r < 2 * units) b += 1.0; /* unit_forget_bias */
      s->bias[l][r] = (int16_t)lround(ldexp(b, L->q_b));
      if (kind == NNSP_LAYER_GRU && r >= 2 * units) s->rbias[r - 2 * units] = (int16_t)lround(ldexp(-b, L->q_rb));
    }
    L->w = s->w[l];
    L->bias = s->bias[l];
    L->rbias = kind == NNSP_LAYER_GRU ? s->rbias : 0;
    L->q_w_rows = o->per_row ? s->q_rows[l] : 0;
    q_in = L->q_out;
  }
  s->model.version = NNSP_MODEL_VERSION;
  s->model.sample_rate = NNSP_SAMPLE_RATE;
  s->model.window_length = NNSP_WINDOW;
  s->model.hop_length = NNSP_HOP;
  s->model.fft_size = NNSP_FFT;
  s->model.feature_type = o->melflat ? NNSP_FEATURE_MELFLAT : NNSP_FEATURE_MEL;
  s->model.input_q = 8;
  s->model.feature_dim = (uint16_t)dim;
  s->model.feature_dc_pole_q30 = 31630 << 15;                 /* 31630 / 32768 */
  s->model.output_dc_pole_q30 = (int32_t)lround(0.9995 * 1073741824.0);
  s->model.log_offset_q23 = 256;                              /* 2^-15 */
  s->model.pass_gain_q15 = 32768;                             /* no pass level */
  s->model.floor_guard_q8 = 0;                                /* no noise-floor guard */
  s->model.mel_first_bin = s->mel_first;
  s->model.mel_count = s->mel_count;
  s->model.mel_offset = s->mel_offset;
  s->model.mel_weights_q15 = s->mel_w;
  s->model.mean_q15 = s->mean;
  s->model.inv_std_q15 = s->inv_std;
  s->model.num_layers = 5;
  s->model.layers = s->layers;
}
