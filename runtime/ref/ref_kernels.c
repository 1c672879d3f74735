/* Float kernels: the textbook formulas, nothing clever. */
#include <math.h>

#include "nnsp_ref.h"

static float sigmoidf_(float z) { return 1.0f / (1.0f + expf(-z)); }

float nnsp_ref_activate(float z, int activation) {
  switch (activation) {
    case NNSP_ACT_TANH: return tanhf(z);
    case NNSP_ACT_SIGMOID: return sigmoidf_(z);
    case NNSP_ACT_RELU6: return z < 0.0f ? 0.0f : (z > 6.0f ? 6.0f : z);
    default: return z;
  }
}

static double dot(const float *w, const float *x, int n) {
  double acc = 0.0;
  int i;
  for (i = 0; i < n; ++i) acc += (double)w[i] * x[i];
  return acc;
}

void nnsp_ref_fc(const nnsp_ref_layer *layer, const float *x, float *y) {
  const int cols = layer->kernel * layer->in_dim;
  int r;
  for (r = 0; r < layer->units; ++r)
    y[r] = nnsp_ref_activate((float)(dot(layer->w + (long)r * cols, x, cols) + layer->bias[r]), layer->activation);
}

void nnsp_ref_lstm_step(const nnsp_ref_layer *layer, const float *x, float *h, float *c) {
  const int u = layer->units, in = layer->in_dim;
  float z[4 * 1024];
  int r, j;
  for (r = 0; r < 4 * u; ++r)
    z[r] = (float)(dot(layer->w + (long)r * in, x, in) + dot(layer->r + (long)r * u, h, u) + layer->bias[r]);
  for (j = 0; j < u; ++j) {
    const float i_g = sigmoidf_(z[j]), f_g = sigmoidf_(z[u + j]), g_g = tanhf(z[2 * u + j]);
    const float o_g = sigmoidf_(z[3 * u + j]);
    c[j] = f_g * c[j] + i_g * g_g;
    h[j] = o_g * tanhf(c[j]);
  }
}

void nnsp_ref_gru_step(const nnsp_ref_layer *layer, const float *x, float *h) {
  const int u = layer->units, in = layer->in_dim;
  float g[4 * 1024];
  int r, j;
  for (r = 0; r < 3 * u; ++r) {
    const double ax = dot(layer->w + (long)r * in, x, in), ah = dot(layer->r + (long)r * u, h, u);
    if (r < 2 * u) {
      g[r] = (float)(ax + ah + layer->bias[r]);
    } else {
      g[r] = (float)(ax + layer->bias[r]);
      g[r + u] = (float)(ah + layer->rbias[r - 2 * u]);
    }
  }
  for (j = 0; j < u; ++j) {
    const float r_g = sigmoidf_(g[j]), z_g = sigmoidf_(g[u + j]);
    const float n_g = tanhf(g[2 * u + j] + r_g * g[3 * u + j]);
    h[j] = n_g + z_g * (h[j] - n_g);
  }
}

static double cos_t[512], sin_t[512];
static int tables_ready = 0;

/* cos and sin of 2 pi m / 512, each computed directly in double. */
static void make_tables(void) {
  const double step = 2.0 * 3.14159265358979323846 / 512.0;
  int m;
  if (tables_ready) return;
  for (m = 0; m < 512; ++m) {
    cos_t[m] = cos(step * m);
    sin_t[m] = sin(step * m);
  }
  tables_ready = 1;
}

void nnsp_ref_rfft512(const double x[512], double re[NNSP_BINS], double im[NNSP_BINS]) {
  int k, n;
  make_tables();
  for (k = 0; k < NNSP_BINS; ++k) {
    double a = 0.0, b = 0.0;
    for (n = 0; n < 512; ++n) {
      const int m = (k * n) % 512; /* exact angle index */
      a += x[n] * cos_t[m];
      b -= x[n] * sin_t[m];
    }
    re[k] = a;
    im[k] = b;
  }
}

void nnsp_ref_irfft512(const double re[NNSP_BINS], const double im[NNSP_BINS], double x[512]) {
  int k, n;
  make_tables();
  for (n = 0; n < 512; ++n) {
    double s = re[0] + ((n & 1) ? -re[256] : re[256]);
    for (k = 1; k < 256; ++k) {
      const int m = (k * n) % 512;
      s += 2.0 * (re[k] * cos_t[m] - im[k] * sin_t[m]);
    }
    x[n] = s / 512.0;
  }
}
