/* libFuzzer target: arbitrary byte streams through the whole runtime. Byte 0 picks the synthetic model (the
 * golden pipelines' four: lstm, gru + relu6, per-row formats, melflat features) and the
 * attenuation limit, byte 1 the sample mapping (bit 0) and the pass level (bits 1-2: the model's, 1.0, 0.7, or the
 * smallest, 2^-15, which makes every gain above zero 1): raw little-endian int16, or each byte one of the extremes
 * (+full scale, -full scale, 0, a random level) so square waves, DC and alternating extremes are near at hand.
 * Checks: no crash and no UB (ASan, UBSan), exact silence for silent input, and output energy bounded by the
 * input's: gains <= 1, a squared window summing to 1 and three overlapping frames give at most 2x. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/cases.h"

static synthetic_model models[4];
static int ready = 0;

static int16_t sample_of(const uint8_t *data, size_t size, size_t *pos, int mode) {
  if (mode == 0) {
    int16_t v = 0;
    if (*pos + 1 < size) v = (int16_t)(uint16_t)(data[*pos] | (data[*pos + 1] << 8));
    *pos += 2;
    return v;
  } else {
    const uint8_t b = *pos < size ? data[*pos] : 0;
    *pos += 1;
    switch (b & 3) {
      case 0: return 32767;
      case 1: return -32768;
      case 2: return 0;
      default: return (int16_t)((b >> 2) * 1040 - 32768);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint64_t arena[4096];
  nnsp_params params = nnsp_default_params();
  nnsp_state *st;
  size_t pos = 2;
  double in_e = 0.0, out_e = 0.0;
  int nonzero_in = 0, nonzero_out = 0, m, mode;
  if (!ready) {
    int i;
    for (i = 0; i < 4; ++i) {
      synthetic_options o;
      memset(&o, 0, sizeof o);
      o.seed = 1000u + (uint32_t)i;
      o.gru = i == 1;
      o.relu6 = i == 1;
      o.per_row = i == 2;
      o.melflat = i == 3;
      make_synthetic_model(&models[i], &o);
    }
    ready = 1;
  }
  if (size < 2) return 0;
  m = data[0] % 4;
  mode = data[1] & 1;
  params.atten_lim_db_q8 = (data[0] & 0x80) ? (int32_t)((data[0] & 0x7F) % 121) << 8 : -1;
  {
    static const int32_t pass_levels[4] = {0, 32768, 22938, 1};
    static const int32_t guards[4] = {0, 2560, 65535, 1}; /* off, the bundled model's 10, the largest, tiniest */
    params.pass_gain_q15 = pass_levels[(data[1] >> 1) & 3];
    params.floor_guard_q8 = guards[(data[1] >> 3) & 3];
    params.pitch_filter_q15 = (data[1] & 0x20) ? ((data[1] & 0x40) ? 32768 : 16384) : 0; /* off, 0.5, 1 */
  }
  if (nnsp_arena_size(&models[m].model) > sizeof arena) abort();
  st = nnsp_init(&models[m].model, arena, sizeof arena, &params, 0);
  if (!st) abort();
  while (pos < size) {
    int16_t in[NNSP_HOP], out[NNSP_HOP];
    int n;
    for (n = 0; n < NNSP_HOP; ++n) {
      in[n] = sample_of(data, size, &pos, mode);
      in_e += (double)in[n] * in[n];
      nonzero_in |= in[n];
    }
    nnsp_process_q15(st, in, out);
    for (n = 0; n < NNSP_HOP; ++n) {
      out_e += (double)out[n] * out[n];
      nonzero_out |= out[n];
    }
  }
  if (!nonzero_in && nonzero_out) abort();
  /* 2x from the overlap of three frames, plus rounding noise of a few LSB per sample */
  if (out_e > 2.0 * in_e + 16.0 * (double)size) abort();
  return 0;
}
