/* Test firmware: the whole enhancer on a clip, hop by hop, as a device runs it. Reads in.raw (int16 little
 * endian, 16 kHz, a whole number of hops) over semihosting from qemu's working directory, writes out.raw (the
 * runtime's raw output, NNSP_DELAY samples late, as many samples as in.raw) and prints the measurements:
 *   arena=<bytes> stack=<bytes> macs=<per hop> hops=<n> ticks_features=<t> ticks_network=<t> ticks_synthesis=<t>
 * (ticks of the 25 MHz timer summed over all hops; one tick = 40 instructions, see board.h).
 * Compile-time settings: FW_MODEL (the converted model's symbol, default nnsp_model_se), FW_ATTEN_LIM_DB_Q8
 * (default -1, no limit), FW_FLOOR_GUARD_Q8 (default -1, the model's noise-floor guard; 0: none), FW_PITCH_FILTER_Q15
 * (default -1, the model's pitch filter; 0: none), FW_ARENA_BYTES
 * (default 32768), FW_PROFILE (sample the program counter into
 * profile.bin, see profile.c; the profiler's interrupts then count in the measured ticks). */
#include <stdio.h>
#include <stdlib.h>

#include "board.h"
#include "nnsp.h"

#ifndef FW_MODEL
#define FW_MODEL nnsp_model_se
#endif
#ifndef FW_ATTEN_LIM_DB_Q8
#define FW_ATTEN_LIM_DB_Q8 (-1)
#endif
#ifndef FW_FLOOR_GUARD_Q8
#define FW_FLOOR_GUARD_Q8 (-1)
#endif
#ifndef FW_PITCH_FILTER_Q15
#define FW_PITCH_FILTER_Q15 (-1)
#endif
#ifndef FW_ARENA_BYTES
#define FW_ARENA_BYTES 32768
#endif

extern const nnsp_model FW_MODEL;

static uint64_t arena[FW_ARENA_BYTES / 8];

/* The runtime's profiling points (nnsp.c, built with -DNNSP_PROFILE_MARK_FN=fw_mark): 0 hop start,
 * 1 features done, 2 network done, 3 synthesis done (gains and the noise-floor guard included). */
static uint32_t section_ticks[3], last_mark;
void fw_mark(int point);
void fw_mark(int point) {
  const uint32_t now = board_ticks();
  if (point > 0) section_ticks[point - 1] += now - last_mark;
  last_mark = now;
}

/* Multiply-accumulates of one network run: rows x columns of every matrix product. */
static unsigned long network_macs(const nnsp_model *m) {
  unsigned long macs = 0;
  int l;
  for (l = 0; l < (int)m->num_layers; ++l) {
    const nnsp_layer *layer = &m->layers[l];
    const unsigned long cols = (unsigned long)layer->kernel * layer->in_dim;
    if (layer->kind == NNSP_LAYER_LSTM || layer->kind == NNSP_LAYER_GRU) {
      const unsigned long gates = layer->kind == NNSP_LAYER_LSTM ? 4u : 3u;
      macs += gates * layer->units * (cols + layer->units);
    } else {
      macs += (unsigned long)layer->units * cols;
    }
  }
  return macs;
}

static long read_file(const char *name, int16_t **data) {
  FILE *f = fopen(name, "rb");
  long bytes;
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  *data = malloc((size_t)bytes + 1);
  if (!*data || fread(*data, 1, (size_t)bytes, f) != (size_t)bytes) bytes = -1;
  fclose(f);
  return bytes;
}

int main(void) {
  int16_t *samples = 0;
  const long bytes = read_file("in.raw", &samples);
  nnsp_params params = nnsp_default_params();
  nnsp_status status;
  nnsp_state *st;
  uint32_t stack;
  long hops, h;
  FILE *out;
  if (bytes < 0 || bytes % (2 * NNSP_HOP) != 0) {
    printf("error: in.raw missing or not a whole number of hops\n");
    return 1;
  }
  hops = bytes / (2 * NNSP_HOP);
  params.atten_lim_db_q8 = FW_ATTEN_LIM_DB_Q8;
  params.floor_guard_q8 = FW_FLOOR_GUARD_Q8;
  params.pitch_filter_q15 = FW_PITCH_FILTER_Q15;

  board_paint_stack();
  st = nnsp_init(&FW_MODEL, arena, sizeof arena, &params, &status);
  if (!st) {
    printf("error: nnsp_init status %d (arena needs %lu bytes)\n", (int)status,
           (unsigned long)nnsp_arena_size(&FW_MODEL));
    return 1;
  }
  board_timer_start();
#ifdef FW_PROFILE
  board_profile_start();
#endif
  /* In place: the runtime allows in == out. */
  for (h = 0; h < hops; ++h) nnsp_process_q15(st, samples + h * NNSP_HOP, samples + h * NNSP_HOP);
#ifdef FW_PROFILE
  if (board_profile_stop() != 0) printf("error: cannot write profile.bin\n");
#endif
  stack = board_stack_used();

  out = fopen("out.raw", "wb");
  if (!out || fwrite(samples, 1, (size_t)bytes, out) != (size_t)bytes || fclose(out) != 0) {
    printf("error: cannot write out.raw\n");
    return 1;
  }
  printf("arena=%lu stack=%lu macs=%lu hops=%ld ticks_features=%lu ticks_network=%lu ticks_synthesis=%lu\n",
         (unsigned long)nnsp_arena_size(&FW_MODEL), (unsigned long)stack, network_macs(&FW_MODEL), hops,
         (unsigned long)section_ticks[0], (unsigned long)section_ticks[1], (unsigned long)section_ticks[2]);
  free(samples);
  return 0;
}
