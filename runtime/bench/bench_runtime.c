/* Host speed of the runtime: a reference-sized synthetic model (conv1d 6x72 -> lstm 72 -> fc 72 -> fc 72 ->
 * fc 257; with the argument melflat, on melflat features: conv1d 6x144) over 60 s of the golden test stream.
 * Prints microseconds per hop and the real-time factor (one core). Built by CMake as nnsp_bench (not run by the
 * tests). */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/golden.h"

int main(int argc, char **argv) {
  const int hops = 6000; /* 60 s */
  synthetic_model *s = malloc(sizeof *s);
  synthetic_options o = {0, 0, 0, 1000u, 0, 0};
  nnsp_params p = nnsp_default_params();
  uint64_t *arena;
  nnsp_state *st;
  int16_t (*in)[NNSP_HOP] = malloc(sizeof(*in) * 100);
  int16_t out[NNSP_HOP];
  struct timespec t0, t1;
  long checksum = 0;
  int h, n;
  double seconds;
  o.melflat = argc > 1 && strcmp(argv[1], "melflat") == 0;
  make_synthetic_model(s, &o);
  arena = malloc(nnsp_arena_size(&s->model));
  st = nnsp_init(&s->model, arena, nnsp_arena_size(&s->model), &p, 0);
  if (!st) return 1;
  for (h = 0; h < 100; ++h) golden_stream_hop(h, in[h]);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (h = 0; h < hops; ++h) {
    nnsp_process_q15(st, in[h % 100], out);
    for (n = 0; n < NNSP_HOP; ++n) checksum += out[n];
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  printf("%d hops in %.3f s: %.1f us per hop, real-time factor %.4f (checksum %ld)\n", hops, seconds,
         1e6 * seconds / hops, seconds / (hops * 0.01), checksum);
  free(arena);
  free(in);
  free(s);
  return 0;
}
