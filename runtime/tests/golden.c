/* Recomputes the golden set (see golden.h). */
#include "golden.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/fft.h"
#include "../src/frontend.h"
#include "../src/kernels.h"

const uint64_t kGoldenLogInputs[GOLDEN_LOG_N] = {0,    1,      255,        256,         257,        1000,
                                                  8388607, 8388608, 8388609, 123456789, 1u << 31, 3000000000u,
                                                  (uint64_t)1 << 39, ((uint64_t)1 << 48) + 12345, (uint64_t)1 << 62,
                                                  ~(uint64_t)0};
const int32_t kGoldenFloorInputs[GOLDEN_FLOOR_N] = {-1, 0, 1, 3 << 8, 6 << 8, (20 << 8) + 128, 60 << 8, 120 << 8};

void golden_pipeline_options(int i, synthetic_options *o) {
  memset(o, 0, sizeof *o);
  o->seed = 1000u + (uint32_t)i;
  o->gru = i == 1;
  o->per_row = i == 2;
  o->relu6 = i == 1;
  o->melflat = i == 3;
  o->concat = i == 4;
}

void golden_stream_hop(int hop, int16_t out[NNSP_HOP]) {
  const double pi = 3.14159265358979323846;
  uint32_t rng = 777u + (uint32_t)hop * 2654435761u;
  int n;
  for (n = 0; n < NNSP_HOP; ++n) {
    const long t = (long)hop * NNSP_HOP + n;
    const double env = (hop / 20) % 3 == 2 ? 0.0 : 0.5 + 0.4 * sin(2.0 * pi * t / 12000.0);
    double v = env * (0.3 * sin(2.0 * pi * 220.0 * t / 16000.0) + 0.15 * sin(2.0 * pi * 1330.0 * t / 16000.0));
    v += 0.05 * ((rng_next(&rng) >> 8) / 8388608.0 - 1.0);
    out[n] = (int16_t)lround(v * 32767.0);
  }
}

static uint32_t pipeline_hash(int i) {
  synthetic_model *s = malloc(sizeof *s);
  synthetic_options o;
  nnsp_params params = nnsp_default_params();
  uint64_t *arena;
  nnsp_state *st;
  uint32_t hash = 0, bytes;
  int h;
  golden_pipeline_options(i, &o);
  make_synthetic_model(s, &o);
  params.atten_lim_db_q8 = i == 2 ? (12 << 8) : -1;
  bytes = nnsp_arena_size(&s->model);
  arena = malloc(bytes);
  st = nnsp_init(&s->model, arena, bytes, &params, 0);
  for (h = 0; st && h < GOLDEN_PIPELINE_HOPS; ++h) {
    int16_t in[NNSP_HOP], out[NNSP_HOP];
    golden_stream_hop(h, in);
    nnsp_process_q15(st, in, out);
    hash = fnv1a(out, sizeof out, hash);
  }
  free(arena);
  free(s);
  return hash;
}

void golden_compute(golden_set *g) {
  int32_t x[ACT_SWEEP];
  int i;
  memset(g, 0, sizeof *g);
  make_act_sweep(x);
  for (i = 0; i < ACT_SWEEP; ++i) {
    g->tanh_out[i] = nnsp_tanh_q15(x[i]);
    g->sigmoid_out[i] = nnsp_sigmoid_q15(x[i]);
  }
  for (i = 0; i < NUM_KERNEL_CASES; ++i) {
    kernel_case *c = malloc(sizeof *c);
    make_kernel_case(i, c);
    run_kernel_case(c, g->kernel_out[i]);
    free(c);
  }
  for (i = 0; i < GOLDEN_FFT_N; ++i) {
    int32_t buf[512], spec[NNSP_SPEC_VALUES];
    int exp = -30;
    make_fft_frame(99u + (uint32_t)i, 3 * i, buf);
    nnsp_rfft512(buf, spec, &exp);
    g->fft_hash[i] = fnv1a(spec, sizeof spec, 0);
    g->fft_exp[i] = exp;
    nnsp_irfft512(spec, buf, &exp);
    g->ifft_hash[i] = fnv1a(buf, sizeof buf, 0);
    g->ifft_exp[i] = exp;
  }
  for (i = 0; i < GOLDEN_LOG_N; ++i) g->log10_out[i] = nnsp_log10_q15(kGoldenLogInputs[i], 23);
  for (i = 0; i < GOLDEN_FLOOR_N; ++i) g->gain_floor[i] = nnsp_gain_floor_q15(kGoldenFloorInputs[i]);
  for (i = 0; i < GOLDEN_PIPELINES; ++i) g->pipeline_hash[i] = pipeline_hash(i);
}
