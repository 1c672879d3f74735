/* Test firmware: the build's matrix-product kernels (the DSP-extension ones on a Cortex-M4) against the
 * portable oracle (nnsp_fc_s8_s16_c, nnsp_gate_rows_c) on random and extreme layers: every row count of a
 * block (1..4 and beyond), column counts that are not multiples of four, the int32 chunk boundary (508 columns)
 * with the largest products (-128 x -32768), rows too long for the packed input (portable fallback), lstm and
 * gru gate rows, per-row formats. Any difference fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels.h"
#include "../../src/recurrent.h"
#include "cases.h"

static int failures, checks;

/* Weights and inputs: random, or all extreme (mode 1: products +2^22; mode 2: alternating signs). */
static void fill(uint32_t *rng, int mode, int8_t *w, int nw, int16_t *x, int nx) {
  int i;
  for (i = 0; i < nw; ++i) w[i] = mode == 0 ? (int8_t)rng_range(rng, -128, 127) : (int8_t)(mode == 1 || (i & 1) ? -128 : 127);
  for (i = 0; i < nx; ++i) x[i] = mode == 0 ? (int16_t)rng_range(rng, -32768, 32767) : (int16_t)-32768;
}

static void fill_layer_common(uint32_t *rng, nnsp_layer *l, int rows, int32_t *bias, int8_t *q_rows, int per_row) {
  int r;
  l->q_in = (int8_t)rng_range(rng, 8, 14);
  l->q_w = (int8_t)rng_range(rng, 5, 9);
  l->q_r = (int8_t)rng_range(rng, 5, 9);
  for (r = 0; r < rows; ++r) {
    bias[r] = rng_range(rng, -(1 << 24), 1 << 24);
    q_rows[r] = (int8_t)rng_range(rng, 4, 10);
  }
  l->q_w_rows = per_row ? q_rows : 0;
  l->q_r_rows = per_row ? q_rows : 0;
  l->bias = bias;
}

static void check_fc(uint32_t *rng, int units, int cols, int mode, int activation) {
  nnsp_layer l;
  int8_t *w = malloc((size_t)units * cols), q_rows[64];
  int16_t *x = malloc((size_t)cols * 2), y_dsp[64], y_ref[64];
  int32_t bias[64];
  memset(&l, 0, sizeof l);
  l.kind = NNSP_LAYER_FC;
  l.kernel = 1;
  l.in_dim = (uint16_t)cols;
  l.units = (uint16_t)units;
  l.activation = (uint8_t)activation;
  fill_layer_common(rng, &l, units, bias, q_rows, mode == 0 && (cols & 1));
  l.q_out = (int8_t)(activation == NNSP_ACT_RELU6 ? 12 : activation == NNSP_ACT_LINEAR ? 10 : 15);
  fill(rng, mode, w, units * cols, x, cols);
  l.w = w;
  nnsp_fc_s8_s16(&l, x, y_dsp);
  nnsp_fc_s8_s16_c(&l, x, y_ref);
  ++checks;
  if (memcmp(y_dsp, y_ref, (size_t)units * 2) != 0) {
    ++failures;
    printf("fc %d x %d mode %d activation %d differs\n", units, cols, mode, activation);
  }
  free(w);
  free(x);
}

static void check_gates(uint32_t *rng, int kind, int in, int units, int mode) {
  const int rows = (kind == NNSP_LAYER_LSTM ? 4 : 3) * units;
  nnsp_layer l;
  int8_t *w = malloc((size_t)rows * in), *r = malloc((size_t)rows * units), q_rows[256];
  int16_t *x = malloc((size_t)in * 2), *h = malloc((size_t)units * 2);
  int32_t bias[256], rbias[64], s_dsp[256], s_ref[256];
  int i;
  memset(&l, 0, sizeof l);
  l.kind = (uint8_t)kind;
  l.kernel = 1;
  l.in_dim = (uint16_t)in;
  l.units = (uint16_t)units;
  fill_layer_common(rng, &l, rows, bias, q_rows, mode == 0 && (in & 1));
  for (i = 0; i < units; ++i) rbias[i] = rng_range(rng, -(1 << 24), 1 << 24);
  l.rbias = rbias;
  fill(rng, mode, w, rows * in, x, in);
  fill(rng, mode, r, rows * units, h, units);
  l.w = w;
  l.r = r;
  memset(s_dsp, 0, sizeof s_dsp);
  memset(s_ref, 0, sizeof s_ref);
  nnsp_gate_rows(&l, rows, x, h, s_dsp);
  nnsp_gate_rows_c(&l, rows, x, h, s_ref);
  ++checks;
  if (memcmp(s_dsp, s_ref, sizeof s_dsp) != 0) {
    ++failures;
    printf("%s %d -> %d mode %d differs\n", kind == NNSP_LAYER_LSTM ? "lstm" : "gru", in, units, mode);
  }
  free(w);
  free(r);
  free(x);
  free(h);
}

int main(void) {
  static const int cols[] = {1, 3, 4, 5, 8, 12, 72, 257, 432, 507, 508, 509, 511, 512, 513, 600, 1000};
  uint32_t rng = 12345u;
  unsigned c;
  int units, mode, act;
  for (c = 0; c < sizeof cols / sizeof cols[0]; ++c)
    for (units = 1; units <= 9; ++units)
      for (mode = 0; mode < 3; ++mode)
        for (act = 0; act < 4; ++act) check_fc(&rng, units, cols[c], mode, act);
  for (mode = 0; mode < 3; ++mode) {
    for (units = 1; units <= 13; units += 3) {
      check_gates(&rng, NNSP_LAYER_LSTM, 4 * units + 1, units, mode);
      check_gates(&rng, NNSP_LAYER_GRU, 72, units, mode);
    }
    check_gates(&rng, NNSP_LAYER_LSTM, 72, 16, mode);
    check_gates(&rng, NNSP_LAYER_GRU, 257, 64, mode);
    check_gates(&rng, NNSP_LAYER_LSTM, 500, 60, mode); /* x and h too long for the packed input: fallback */
  }
  printf("kernels (%s): %d checks, %d failures\n", NNSP_DSP_KERNELS ? "dsp" : "portable", checks, failures);
  return failures == 0 ? 0 : 1;
}
