/* The runtime reproduces the committed golden set bit for bit. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"

void test_golden(void) {
  golden_set *g = malloc(sizeof *g);
  int i, j, first_bad;
  golden_compute(g);
  for (i = 0; i < ACT_SWEEP; ++i) {
    CHECK(g->tanh_out[i] == kGolden.tanh_out[i], "tanh sweep %d: %d vs golden %d", i, g->tanh_out[i], kGolden.tanh_out[i]);
    CHECK(g->sigmoid_out[i] == kGolden.sigmoid_out[i], "sigmoid sweep %d", i);
  }
  for (i = 0; i < NUM_KERNEL_CASES; ++i) {
    kernel_case *c = malloc(sizeof *c);
    make_kernel_case(i, c);
    first_bad = -1;
    for (j = 0; j < c->frames * c->layer.units; ++j)
      if (g->kernel_out[i][j] != kGolden.kernel_out[i][j] && first_bad < 0) first_bad = j;
    CHECK(first_bad < 0, "kernel case %s differs from golden at %d", c->name, first_bad);
    free(c);
  }
  for (i = 0; i < GOLDEN_FFT_N; ++i) {
    CHECK(g->fft_hash[i] == kGolden.fft_hash[i] && g->fft_exp[i] == kGolden.fft_exp[i], "rfft case %d", i);
    CHECK(g->ifft_hash[i] == kGolden.ifft_hash[i] && g->ifft_exp[i] == kGolden.ifft_exp[i], "irfft case %d", i);
  }
  for (i = 0; i < GOLDEN_LOG_N; ++i) CHECK(g->log10_out[i] == kGolden.log10_out[i], "log10 case %d", i);
  for (i = 0; i < GOLDEN_FLOOR_N; ++i) CHECK(g->gain_floor[i] == kGolden.gain_floor[i], "gain floor case %d", i);
  for (i = 0; i < GOLDEN_PIPELINES; ++i)
    CHECK(g->pipeline_hash[i] == kGolden.pipeline_hash[i], "pipeline %d hash %u vs golden %u", i,
          (unsigned)g->pipeline_hash[i], (unsigned)kGolden.pipeline_hash[i]);
  free(g);
}
