/* Deterministic test inputs shared by the golden-vector generator (runtime/tools/gen_golden.c) and the tests:
 * an integer PRNG (the same numbers on every platform), small kernel cases, and a synthetic model shaped like
 * nnse's reference arch. */
#ifndef NNSP_TEST_CASES_H
#define NNSP_TEST_CASES_H

#include <stdint.h>

#include "nnsp.h"

uint32_t rng_next(uint32_t *state);                 /* xorshift32 */
int32_t rng_range(uint32_t *state, int32_t lo, int32_t hi); /* uniform in [lo, hi] */

#define CASE_MAX_W 4096
#define CASE_MAX_ROWS 96
#define CASE_MAX_COLS 64
#define CASE_MAX_FRAMES 12

typedef struct {
  const char *name;
  nnsp_layer layer;
  int frames;  /* frames streamed through the kernel (conv1d: stacked by the test) */
  int8_t w[CASE_MAX_W], r[CASE_MAX_W];
  int16_t bias[CASE_MAX_ROWS], rbias[CASE_MAX_ROWS];
  int8_t q_w_rows[CASE_MAX_ROWS], q_r_rows[CASE_MAX_ROWS];
  int16_t x[CASE_MAX_FRAMES][CASE_MAX_COLS]; /* per-frame input (in_dim values) */
} kernel_case;

#define NUM_KERNEL_CASES 9
/* Fills case i (0 <= i < NUM_KERNEL_CASES). */
void make_kernel_case(int i, kernel_case *c);

/* Runs the fixed-point kernel of a case over its frames; out receives frames * units values. */
void run_kernel_case(const kernel_case *c, int16_t *out);

/* Activation sweep: n Q24 inputs covering [-20, 20] plus the int32 extremes. */
#define ACT_SWEEP 203
void make_act_sweep(int32_t x_q24[ACT_SWEEP]);

/* A random windowed frame for the FFT tests: n = 512 Q30 samples of a mix of tones and noise at `level` (0..15:
 * bits of amplitude below full scale). */
void make_fft_frame(uint32_t seed, int level, int32_t buf[512]);

/* Synthetic model: mel72 (or melflat144) -> conv1d(6x72->72, or 6x144->72, tanh) -> lstm or gru(72, optionally
 * followed by its input: concat_input) -> fc(72,
 * tanh) -> fc(72, relu6 or tanh) -> fc(257, sigmoid), random weights quantized per tensor (or per row) as the
 * converter will. */
typedef struct {
  nnsp_model model;
  nnsp_layer layers[5];
  uint16_t mel_first[72], mel_count[72], mel_offset[72];
  int16_t mel_w[600];
  int32_t mean[144], inv_std[144];
  int8_t w[5][6 * 144 * 72];
  int8_t r[4 * 72 * 72];
  int16_t bias[5][4 * 257];
  int16_t rbias[72];
  int8_t q_rows[5][4 * 257];
  int8_t q_r_rows[4 * 72];
} synthetic_model;

typedef struct {
  int gru;        /* recurrent layer: 0 lstm, 1 gru */
  int per_row;    /* per-output-channel weight formats */
  int relu6;      /* layer 3 relu6 (Q12 output) instead of tanh */
  uint32_t seed;
  int melflat;    /* melflat features (144: the 72 mel bands and their flatness) instead of mel */
  int concat;     /* the recurrent layer passes its input on beside its state (concat_input): layer 2 takes 144 */
} synthetic_options;

void make_synthetic_model(synthetic_model *s, const synthetic_options *options);

/* FNV-1a over bytes: the golden hash of big outputs. */
uint32_t fnv1a(const void *data, unsigned long bytes, uint32_t hash);

#endif /* NNSP_TEST_CASES_H */
