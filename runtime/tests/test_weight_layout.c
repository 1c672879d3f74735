/* NNSP_W_BLOCK4 tables: nnsp_w_index places every weight exactly once, and the build's kernels on a blocked table
 * give the portable kernels' results on the row-major one, bit for bit (fc, conv1d, lstm and gru rows, row counts
 * with and without a row-major tail, per-tensor and per-row formats, whole synthetic models), and
 * nnsp_validate_model refuses blocked tables whose column counts are not multiples of 4. */
#include <stdlib.h>
#include <string.h>

#include "../src/kernels.h"
#include "../src/recurrent.h"
#include "../src/validate.h"
#include "../src/weight_layout.h"
#include "cases.h"
#include "check.h"

static int8_t *placed(const int8_t *w, int layout, int rows, int cols) {
  int8_t *out = malloc((size_t)rows * (size_t)cols);
  int r, c;
  for (r = 0; r < rows; ++r)
    for (c = 0; c < cols; ++c) out[nnsp_w_index(layout, rows, cols, r, c)] = w[(long)r * cols + c];
  return out;
}

static void fill(uint32_t *rng, int8_t *w, int nw, int16_t *x, int nx) {
  int i;
  for (i = 0; i < nw; ++i) w[i] = (int8_t)rng_range(rng, -128, 127);
  for (i = 0; i < nx; ++i) x[i] = (int16_t)rng_range(rng, -32768, 32767);
}

static void check_index_is_a_permutation(int rows, int cols) {
  unsigned char *seen = calloc((size_t)rows * (size_t)cols, 1);
  int r, c, ok = 1;
  for (r = 0; r < rows; ++r)
    for (c = 0; c < cols; ++c) {
      const long i = nnsp_w_index(NNSP_W_BLOCK4, rows, cols, r, c);
      ok = ok && i >= 0 && i < (long)rows * cols && !seen[i];
      if (i >= 0 && i < (long)rows * cols) seen[i] = 1;
    }
  CHECK(ok, "nnsp_w_index(%d x %d) is not a permutation", rows, cols);
  free(seen);
}

static void check_fc(uint32_t *rng, int kind, int units, int in, int kernel, int per_row) {
  const int cols = in * kernel;
  int8_t *w = malloc((size_t)units * (size_t)cols), *q_rows = malloc((size_t)units);
  int16_t *x = malloc((size_t)cols * 2), *bias = malloc((size_t)units * 2);
  int16_t *y_rows = malloc((size_t)units * 2), *y_block = malloc((size_t)units * 2);
  nnsp_layer l, b;
  int r;
  memset(&l, 0, sizeof l);
  l.kind = (uint8_t)kind;
  l.activation = NNSP_ACT_TANH;
  l.kernel = (uint8_t)kernel;
  l.in_dim = (uint16_t)in;
  l.units = (uint16_t)units;
  l.q_in = 12;
  l.q_out = 15;
  l.q_w = 7;
  l.q_b = 10;
  fill(rng, w, units * cols, x, cols);
  for (r = 0; r < units; ++r) {
    bias[r] = (int16_t)rng_range(rng, -32768, 32767);
    q_rows[r] = (int8_t)rng_range(rng, 5, 9);
  }
  l.q_w_rows = per_row ? q_rows : 0;
  l.bias = bias;
  l.w = w;
  b = l;
  b.w_layout = NNSP_W_BLOCK4;
  b.w = placed(w, NNSP_W_BLOCK4, units, cols);
  nnsp_fc_s8_s16_c(&l, x, y_rows);
  nnsp_fc_s8_s16(&b, x, y_block);
  CHECK(memcmp(y_rows, y_block, (size_t)units * 2) == 0, "fc %d x %d (per row %d): blocked differs", units, cols,
        per_row);
  free((void *)b.w);
  free(w);
  free(q_rows);
  free(x);
  free(bias);
  free(y_rows);
  free(y_block);
}

static void check_gates(uint32_t *rng, int kind, int in, int units, int per_row) {
  const int rows = (kind == NNSP_LAYER_LSTM ? 4 : 3) * units;
  int8_t *w = malloc((size_t)rows * (size_t)in), *rw = malloc((size_t)rows * (size_t)units);
  int8_t *q_rows = malloc((size_t)rows);
  int16_t *x = malloc((size_t)in * 2), *h = malloc((size_t)units * 2), *bias = malloc((size_t)rows * 2);
  int16_t *rbias = malloc((size_t)units * 2);
  int32_t *s_rows = calloc((size_t)rows * 2, 4), *s_block = calloc((size_t)rows * 2, 4);
  nnsp_layer l, b;
  int r;
  memset(&l, 0, sizeof l);
  l.kind = (uint8_t)kind;
  l.kernel = 1;
  l.in_dim = (uint16_t)in;
  l.units = (uint16_t)units;
  l.q_in = 12;
  l.q_out = 15;
  l.q_w = 7;
  l.q_r = 8;
  l.q_b = 10;
  l.q_rb = 10;
  fill(rng, w, rows * in, x, in);
  fill(rng, rw, rows * units, h, units);
  for (r = 0; r < rows; ++r) {
    bias[r] = (int16_t)rng_range(rng, -32768, 32767);
    q_rows[r] = (int8_t)rng_range(rng, 5, 9);
  }
  for (r = 0; r < units; ++r) rbias[r] = (int16_t)rng_range(rng, -32768, 32767);
  l.q_w_rows = per_row ? q_rows : 0;
  l.q_r_rows = per_row ? q_rows : 0;
  l.bias = bias;
  l.rbias = rbias;
  l.w = w;
  l.r = rw;
  b = l;
  b.w_layout = NNSP_W_BLOCK4;
  b.w = placed(w, NNSP_W_BLOCK4, rows, in);
  b.r = placed(rw, NNSP_W_BLOCK4, rows, units);
  nnsp_gate_rows_c(&l, rows, x, h, s_rows);
  nnsp_gate_rows(&b, rows, x, h, s_block);
  CHECK(memcmp(s_rows, s_block, (size_t)rows * 2 * 4) == 0, "%s %d -> %d (per row %d): blocked differs",
        kind == NNSP_LAYER_LSTM ? "lstm" : "gru", in, units, per_row);
  free((void *)b.w);
  free((void *)b.r);
  free(w);
  free(rw);
  free(q_rows);
  free(x);
  free(h);
  free(bias);
  free(rbias);
  free(s_rows);
  free(s_block);
}

/* The row count of layer l's tables. */
static int table_rows(const nnsp_layer *l) {
  return l->kind == NNSP_LAYER_LSTM ? 4 * l->units : l->kind == NNSP_LAYER_GRU ? 3 * l->units : l->units;
}

/* A whole synthetic model with every table blocked: the same output samples as the row-major model, and the
 * model checks. */
static void check_pipeline(int gru, int per_row) {
  static synthetic_model rows_model, block_model;
  synthetic_options options;
  nnsp_params params = nnsp_default_params();
  uint32_t rng = 777u;
  void *arena_rows, *arena_block;
  nnsp_state *st_rows, *st_block;
  int l, t, n, same = 1;
  memset(&options, 0, sizeof options);
  options.gru = gru;
  options.per_row = per_row;
  options.seed = 31u;
  make_synthetic_model(&rows_model, &options);
  block_model = rows_model;
  block_model.model.layers = block_model.layers;
  for (l = 0; l < (int)block_model.model.num_layers; ++l) {
    nnsp_layer *b = &block_model.layers[l];
    const int rows = table_rows(b);
    b->w_layout = NNSP_W_BLOCK4;
    b->w = placed(rows_model.layers[l].w, NNSP_W_BLOCK4, rows, b->kernel * b->in_dim);
    if (b->r) b->r = placed(rows_model.layers[l].r, NNSP_W_BLOCK4, rows, b->units);
  }
  CHECK(nnsp_validate_model(&block_model.model) == NNSP_OK, "blocked model refused");
  arena_rows = malloc(nnsp_arena_size(&rows_model.model));
  arena_block = malloc(nnsp_arena_size(&block_model.model));
  st_rows = nnsp_init(&rows_model.model, arena_rows, nnsp_arena_size(&rows_model.model), &params, 0);
  st_block = nnsp_init(&block_model.model, arena_block, nnsp_arena_size(&block_model.model), &params, 0);
  CHECK(st_rows && st_block, "init");
  for (t = 0; st_rows && st_block && t < 40; ++t) {
    int16_t in[NNSP_HOP], out_rows[NNSP_HOP], out_block[NNSP_HOP];
    for (n = 0; n < NNSP_HOP; ++n) in[n] = (int16_t)rng_range(&rng, -12000, 12000);
    nnsp_process_q15(st_rows, in, out_rows);
    nnsp_process_q15(st_block, in, out_block);
    same = same && memcmp(out_rows, out_block, sizeof out_rows) == 0;
  }
  CHECK(same, "pipeline (gru %d, per row %d): blocked tables give other samples", gru, per_row);
  /* Blocked tables need column counts of multiples of 4; unknown layouts are refused. */
  block_model.layers[1].w_layout = 2;
  CHECK(nnsp_validate_model(&block_model.model) == NNSP_ERR_MODEL, "unknown weight layout accepted");
  block_model.layers[1].units = 71;
  block_model.layers[2].in_dim = 71;
  block_model.layers[1].w_layout = NNSP_W_ROWS;
  block_model.layers[2].w_layout = NNSP_W_ROWS;
  CHECK(nnsp_validate_model(&block_model.model) == NNSP_OK, "71 units refused (row-major)");
  block_model.layers[1].w_layout = NNSP_W_BLOCK4;
  CHECK(nnsp_validate_model(&block_model.model) == NNSP_ERR_MODEL, "blocked recurrent table of 71 columns accepted");
  for (l = 0; l < (int)block_model.model.num_layers; ++l) {
    free((void *)block_model.layers[l].w);
    free((void *)block_model.layers[l].r);
  }
  free(arena_rows);
  free(arena_block);
}

void test_weight_layout(void) {
  uint32_t rng = 4242u;
  int per_row;
  check_index_is_a_permutation(1, 4);
  check_index_is_a_permutation(4, 8);
  check_index_is_a_permutation(257, 72);
  check_index_is_a_permutation(7, 12);
  for (per_row = 0; per_row < 2; ++per_row) {
    check_fc(&rng, NNSP_LAYER_FC, 257, 72, 1, per_row);
    check_fc(&rng, NNSP_LAYER_FC, 8, 72, 1, per_row);
    check_fc(&rng, NNSP_LAYER_CONV1D, 72, 72, 6, per_row);
    check_fc(&rng, NNSP_LAYER_FC, 6, 512, 1, per_row); /* longer than one int32 chunk */
    check_gates(&rng, NNSP_LAYER_LSTM, 72, 72, per_row);
    check_gates(&rng, NNSP_LAYER_GRU, 72, 12, per_row);
    check_gates(&rng, NNSP_LAYER_GRU, 16, 4, per_row);
    check_gates(&rng, NNSP_LAYER_GRU, 16, 8, per_row);
    check_pipeline(0, per_row);
    check_pipeline(1, per_row);
  }
}
