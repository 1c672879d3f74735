/* Test firmware: the build's matrix-product kernels (the DSP-extension ones on a Cortex-M4) against the
 * portable oracle (nnsp_fc_s8_s16_c, nnsp_gate_rows_c) on random and extreme layers: every row count of a
 * block (1..4 and beyond), column counts that are not multiples of four, the int32 chunk boundary (508 columns)
 * with the largest products (-128 x -32768), rows too long for the packed input (portable fallback), lstm and
 * gru gate rows, per-row formats; the same layers again with their tables in NNSP_W_BLOCK4 (nnse convert's order,
 * the DSP kernels' LDM loop), against the oracle on the row-major tables, including inputs at addresses the loop
 * cannot take (its portable fallback); layers of the bundled model's sizes (more rows than one whole-table call
 * takes); and the lstm's activated gates (nnsp_lstm_gates_act) wherever the build computes them, against the
 * oracle's pre-activations through the activations; and the noise-floor guard's fused power and trackers' update
 * (nnsp_floor_guard_observe_spec, in assembly in the DSP build) against nnsp_power_q23 and
 * nnsp_floor_guard_observe, and the power spectrum (nnsp_power_q23, in assembly in the DSP build) against plain
 * 64-bit C, on random spectra of every magnitude, every exponent and random tracker states; and the guarded gains
 * (nnsp_floor_guard_apply, in assembly in the DSP build) against nnsp_floor_guard_apply_portable. Any difference
 * fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/fft.h"
#include "../../src/floor_guard.h"
#include "../../src/frontend.h"
#include "../../src/kernels.h"
#include "../../src/recurrent.h"
#include "../../src/tables.h"
#include "../../src/weight_layout.h"
#include "cases.h"

#define MAX_ROWS 320 /* the largest layer below: lstm 72 -> 72, 288 gate rows */

static int failures, checks, gates_act_checks;

/* The layer under test goes to the build's kernels with its tables in this layout (where the column counts
 * allow), and with its input one int16 past an aligned address when misaligned is set. */
static int layout = NNSP_W_ROWS, misaligned;

/* A copy of the row-major table w ([rows][cols]) placed in `to` (malloc: 8-byte aligned). */
static int8_t *placed(const int8_t *w, int to, int rows, int cols) {
  int8_t *out = malloc((size_t)rows * cols + 1);
  int r, c;
  for (r = 0; r < rows; ++r)
    for (c = 0; c < cols; ++c) out[nnsp_w_index(to, rows, cols, r, c)] = w[(long)r * cols + c];
  return out;
}

/* Weights and inputs: random, or all extreme (mode 1: products +2^22; mode 2: alternating signs). */
static void fill(uint32_t *rng, int mode, int8_t *w, int nw, int16_t *x, int nx) {
  int i;
  for (i = 0; i < nw; ++i) w[i] = mode == 0 ? (int8_t)rng_range(rng, -128, 127) : (int8_t)(mode == 1 || (i & 1) ? -128 : 127);
  for (i = 0; i < nx; ++i) x[i] = mode == 0 ? (int16_t)rng_range(rng, -32768, 32767) : (int16_t)-32768;
}

/* Biases (int16 in Q(q_b)): random, or (big_bias) within 2^10 of the ends of int16 with q_b 15 below the
 * accumulator format, so that the aligned bias is near +-2^30 and W x + b leaves int32 in the DSP kernels'
 * int32 per-row steps and their checked fallback (the portable step) runs. */
static int big_bias;
static int16_t random_bias(uint32_t *rng, int r) {
  if (!big_bias) return (int16_t)rng_range(rng, -32768, 32767);
  return (int16_t)((r & 1) ? 32767 - rng_range(rng, 0, 1 << 10) : -32768 + rng_range(rng, 0, 1 << 10));
}

static void fill_layer_common(uint32_t *rng, nnsp_layer *l, int rows, int16_t *bias, int8_t *q_rows, int per_row) {
  int r;
  l->q_in = (int8_t)rng_range(rng, 8, 15); /* 15 with q_w 9: q_acc 24, the requantization to Q24 a shift by 0 */
  l->q_w = (int8_t)rng_range(rng, 5, 9);
  l->q_r = (int8_t)rng_range(rng, 5, 9);
  /* q_b never finer than any row's accumulator format (>= 8 + 4): random at or below 12; for big biases 15
   * below the per-tensor format (q_acc of fc rows; of gate rows the larger of q_in + q_w and 15 + q_r). */
  if (!big_bias) {
    l->q_b = (int8_t)rng_range(rng, 0, 12);
  } else {
    const int q_x = l->q_in + l->q_w, q_h = 15 + l->q_r;
    const int q_acc = l->kind == NNSP_LAYER_FC ? q_x : (q_x > q_h ? q_x : q_h);
    l->q_b = (int8_t)(q_acc - 15);
  }
  l->q_rb = l->q_b;
  for (r = 0; r < rows; ++r) {
    bias[r] = random_bias(rng, r);
    q_rows[r] = (int8_t)rng_range(rng, 4, 10);
  }
  l->q_w_rows = per_row ? q_rows : 0;
  l->q_r_rows = per_row ? q_rows : 0;
  l->bias = bias;
}

static void check_fc(uint32_t *rng, int units, int cols, int mode, int activation) {
  nnsp_layer l;
  int8_t *w = malloc((size_t)units * cols), *w_placed, q_rows[MAX_ROWS];
  int16_t *x_alloc = malloc((size_t)cols * 2 + 2), *x = x_alloc + misaligned, y_dsp[MAX_ROWS], y_ref[MAX_ROWS];
  int16_t bias[MAX_ROWS];
  nnsp_layer placed_layer;
  memset(&l, 0, sizeof l);
  l.kind = NNSP_LAYER_FC;
  l.kernel = 1;
  l.in_dim = (uint16_t)cols;
  l.units = (uint16_t)units;
  l.activation = (uint8_t)activation;
  /* per-row formats on some layers of each layout (blocked tables need cols % 4 == 0) */
  fill_layer_common(rng, &l, units, bias, q_rows, mode == 0 && ((layout == NNSP_W_ROWS ? cols : units) & 1));
  l.q_out = (int8_t)(activation == NNSP_ACT_RELU6 ? 12 : activation == NNSP_ACT_LINEAR ? 10 : 15);
  fill(rng, mode, w, units * cols, x, cols);
  l.w = w;
  placed_layer = l;
  placed_layer.w_layout = (uint8_t)(cols % 4 == 0 ? layout : NNSP_W_ROWS);
  placed_layer.w = w_placed = placed(w, placed_layer.w_layout, units, cols);
  nnsp_fc_s8_s16(&placed_layer, x, y_dsp);
  nnsp_fc_s8_s16_c(&l, x, y_ref);
  ++checks;
  if (memcmp(y_dsp, y_ref, (size_t)units * 2) != 0) {
    ++failures;
    printf("fc %d x %d mode %d activation %d layout %d differs\n", units, cols, mode, activation,
           placed_layer.w_layout);
  }
  free(w);
  free(w_placed);
  free(x_alloc);
}

static void check_gates(uint32_t *rng, int kind, int in, int units, int mode) {
  const int rows = (kind == NNSP_LAYER_LSTM ? 4 : 3) * units;
  nnsp_layer l;
  int8_t *w = malloc((size_t)rows * in), *r = malloc((size_t)rows * units), *w_placed, *r_placed, q_rows[MAX_ROWS];
  int16_t *x_alloc = malloc((size_t)in * 2 + 2), *x = x_alloc + misaligned, *h = malloc((size_t)units * 2);
  int16_t bias[MAX_ROWS], rbias[MAX_ROWS];
  nnsp_layer placed_layer;
  static int32_t s_dsp[MAX_ROWS], s_ref[MAX_ROWS];
  int i;
  memset(&l, 0, sizeof l);
  l.kind = (uint8_t)kind;
  l.kernel = 1;
  l.in_dim = (uint16_t)in;
  l.units = (uint16_t)units;
  fill_layer_common(rng, &l, rows, bias, q_rows, mode == 0 && (layout == NNSP_W_ROWS ? (in & 1) : (units & 4)));
  for (i = 0; i < units; ++i) rbias[i] = random_bias(rng, i);
  l.rbias = rbias;
  fill(rng, mode, w, rows * in, x, in);
  fill(rng, mode, r, rows * units, h, units);
  l.w = w;
  l.r = r;
  placed_layer = l;
  placed_layer.w_layout = (uint8_t)(in % 4 == 0 && units % 4 == 0 ? layout : NNSP_W_ROWS);
  placed_layer.w = w_placed = placed(w, placed_layer.w_layout, rows, in);
  placed_layer.r = r_placed = placed(r, placed_layer.w_layout, rows, units);
  memset(s_dsp, 0, sizeof s_dsp);
  memset(s_ref, 0, sizeof s_ref);
  nnsp_gate_rows(&placed_layer, rows, x, h, s_dsp);
  nnsp_gate_rows_c(&l, rows, x, h, s_ref);
  ++checks;
  if (memcmp(s_dsp, s_ref, sizeof s_dsp) != 0) {
    ++failures;
    printf("%s %d -> %d mode %d layout %d differs\n", kind == NNSP_LAYER_LSTM ? "lstm" : "gru", in, units, mode,
           placed_layer.w_layout);
  }
  /* The lstm's activated gates where the build computes them with the products (nnsp_lstm_gates_act), against
   * the oracle's pre-activations through the activations lstm.c applies otherwise. */
  if (kind == NNSP_LAYER_LSTM && nnsp_lstm_gates_act(&placed_layer, x, h, s_dsp)) {
    for (i = 0; i < rows; ++i)
      s_ref[i] = i / units == 2 ? nnsp_tanh_q15(s_ref[i]) : nnsp_sigmoid_q15(s_ref[i]);
    ++checks;
    ++gates_act_checks;
    if (memcmp(s_dsp, s_ref, (size_t)rows * sizeof s_dsp[0]) != 0) {
      ++failures;
      printf("lstm %d -> %d mode %d: activated gates differ\n", in, units, mode);
    }
  }
  free(w);
  free(r);
  free(w_placed);
  free(r_placed);
  free(x_alloc);
  free(h);
}

/* nnsp_power_q23 as its header defines it, in plain 64-bit C: the oracle for the build's (the DSP one's usual
 * case is in assembly). */
static void power_ref(const int32_t *spec, int exp, uint64_t *out) {
  const int shift = 2 * exp + 23;
  int k;
  for (k = 0; k < NNSP_BINS; ++k) {
    const int64_t re = spec[2 * k], im = spec[2 * k + 1];
    const uint64_t sum = (uint64_t)(re * re) + (uint64_t)(im * im);
    uint64_t p;
    if (shift >= 0) p = (shift >= 40 || sum > (((uint64_t)1 << 39) >> shift)) ? (uint64_t)1 << 39 : sum << shift;
    else p = -shift > 63 ? 0 : (sum + ((uint64_t)1 << (-shift - 1))) >> -shift;
    out[k] = p > ((uint64_t)1 << 39) ? (uint64_t)1 << 39 : p;
  }
}

/* The guard's trackers after nnsp_floor_guard_observe_spec against nnsp_power_q23 + nnsp_floor_guard_observe: spectra
 * of random magnitudes (each value shifted right by 0..31, some at the ends of int32), exponents from the fused
 * loop's whole range and beyond it (the fallback), trackers from random words (any exponent, any mantissa, also
 * zero) and from the previous frame, several frames each. */
static void check_guard(uint32_t *rng) {
  static int32_t spec[2 * NNSP_BINS];
  static uint64_t power[NNSP_BINS], power_expected[NNSP_BINS];
  static uint32_t p1[NNSP_BINS], f1[NNSP_BINS], p2[NNSP_BINS], f2[NNSP_BINS];
  nnsp_floor_guard a, b;
  int trial, frame, k;
  a.power = p1;
  a.floor = f1;
  b.power = p2;
  b.floor = f2;
  for (trial = 0; trial < 40; ++trial) {
    a.beta_q8 = b.beta_q8 = 768;
    a.first = b.first = 0;
    for (k = 0; k < NNSP_BINS; ++k) {
      const int kind = rng_range(rng, 0, 3);
      p1[k] = p2[k] = kind == 0 ? 0u : kind == 1 ? rng_next(rng) : rng_next(rng) >> rng_range(rng, 0, 31);
      f1[k] = f2[k] = rng_range(rng, 0, 1) ? p1[k] : rng_next(rng) >> rng_range(rng, 0, 31);
    }
    for (frame = 0; frame < 4; ++frame) {
      const int exp = rng_range(rng, -30, -9); /* 2 exp + 23 from -37 to 5: the fused loop takes [-31, -1] */
      for (k = 0; k < 2 * NNSP_BINS; ++k) {
        const int kind = rng_range(rng, 0, 15);
        spec[k] = kind == 0 ? INT32_MIN : kind == 1 ? INT32_MAX : kind == 2 ? 0
                  : (int32_t)rng_next(rng) >> rng_range(rng, 0, 31);
      }
      nnsp_floor_guard_observe_spec(&a, spec, exp, power);
      nnsp_power_q23(spec, exp, power);
      power_ref(spec, exp, power_expected);
      nnsp_floor_guard_observe(&b, power_expected);
      checks += 2;
      if (memcmp(power, power_expected, sizeof power) != 0) {
        ++failures;
        printf("FAIL power spectrum: trial %d frame %d exp %d\n", trial, frame, exp);
        return;
      }
      if (memcmp(p1, p2, sizeof p1) != 0 || memcmp(f1, f2, sizeof f1) != 0) {
        ++failures;
        printf("FAIL guard trackers: trial %d frame %d exp %d\n", trial, frame, exp);
        return;
      }
    }
  }
}

/* nnsp_overlap_add (the DSP build's SMMULR path for shifts -16 .. -31, SMMLAR for -15) against plain 64-bit C:
 * out = sat16(round((ola + sat32(round(b w 2^(exp + 5)))) / 32)), ola moved down a hop, the last hop's new part
 * alone. Random blocks of every magnitude (the ends of int32 included), exponents from -40 to 0, several hops. */
static int32_t ola_ref_term(int32_t b, int16_t w, int shift) {
  const int64_t v = (int64_t)b * w;
  int64_t r;
  if (shift >= 0) r = shift >= 32 ? (v > 0 ? INT32_MAX : v < 0 ? INT32_MIN : 0) : v * ((int64_t)1 << shift);
  else r = -shift > 62 ? 0 : (v + ((int64_t)1 << (-shift - 1))) >> -shift;
  return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : (int32_t)r;
}

static void check_overlap_add(uint32_t *rng) {
  static int32_t buf[512], ola[NNSP_WINDOW], ola_expected[NNSP_WINDOW];
  static int16_t out[NNSP_HOP], out_expected[NNSP_HOP];
  int trial, hop, n;
  for (trial = 0; trial < 30; ++trial) {
    memset(ola, 0, sizeof ola);
    memset(ola_expected, 0, sizeof ola_expected);
    for (hop = 0; hop < 4; ++hop) {
      const int exp = (trial * 4 + hop) % 41 - 40; /* every exponent from -40 to 0 */
      const int shift = exp + 5;
      for (n = 0; n < 512; ++n) {
        const int kind = rng_range(rng, 0, 15);
        buf[n] = kind == 0 ? INT32_MIN : kind == 1 ? INT32_MAX : (int32_t)rng_next(rng) >> rng_range(rng, 0, 31);
      }
      nnsp_overlap_add(buf, exp, ola, out);
      for (n = 0; n < NNSP_WINDOW; ++n) {
        const int64_t sum = (int64_t)(n < NNSP_WINDOW - NNSP_HOP ? ola_expected[n] : 0) +
                            ola_ref_term(buf[n], nnsp_window_q15[n], shift);
        const int32_t v = sum > INT32_MAX ? INT32_MAX : sum < INT32_MIN ? INT32_MIN : (int32_t)sum;
        if (n < NNSP_HOP) {
          const int32_t o = (int32_t)(((int64_t)v + 16) >> 5);
          out_expected[n] = (int16_t)(o > 32767 ? 32767 : o < -32768 ? -32768 : o);
        } else {
          ola_expected[n - NNSP_HOP] = v;
        }
      }
      for (n = NNSP_WINDOW - NNSP_HOP; n < NNSP_WINDOW; ++n) ola_expected[n] = 0;
      ++checks;
      if (memcmp(out, out_expected, sizeof out) != 0 ||
          memcmp(ola, ola_expected, (NNSP_WINDOW - NNSP_HOP) * sizeof(int32_t)) != 0) {
        ++failures;
        printf("FAIL overlap-add: trial %d hop %d exp %d\n", trial, hop, exp);
        return;
      }
    }
  }
}

/* nnsp_rfft512_frame (its windowing in assembly in the DSP build where hist and the window are 4-byte aligned)
 * against the window applied in plain C and nnsp_rfft512: random frames of every magnitude (the ends of int16
 * included), the history at an aligned and at a misaligned address; and the window table's property the assembly
 * relies on. */
static void check_window_frame(uint32_t *rng) {
  static int16_t hist_store[NNSP_WINDOW + 2] __attribute__((aligned(8)));
  static int32_t buf[512], buf_expected[512], spec[NNSP_SPEC_VALUES], spec_expected[NNSP_SPEC_VALUES];
  int trial, n;
  /* The assembly's OR of magnitudes (fft.c) needs x w != -2^k: no nonzero window value a power of two. */
  for (n = 0; n < NNSP_WINDOW; ++n) {
    const int32_t w = nnsp_window_q15[n];
    ++checks;
    if (w != 0 && (w & (w - 1)) == 0) {
      ++failures;
      printf("FAIL window value %d at %d is a power of two\n", (int)w, n);
      return;
    }
  }
  for (trial = 0; trial < 40; ++trial) {
    int16_t *const hist = hist_store + (trial & 1);
    int exp = 0, exp_expected = -30;
    const int kind = rng_range(rng, 0, 3);
    for (n = 0; n < NNSP_WINDOW; ++n) {
      const int k = rng_range(rng, 0, 15);
      hist[n] = k == 0 ? -32768 : k == 1 ? 32767 : (int16_t)((int32_t)rng_next(rng) >> (16 + kind * 4));
    }
    if (trial == 2) memset(hist, 0, NNSP_WINDOW * sizeof(int16_t));
    for (n = 0; n < 512; ++n) buf_expected[n] = n < NNSP_WINDOW ? (int32_t)hist[n] * nnsp_window_q15[n] : 0;
    nnsp_rfft512(buf_expected, spec_expected, &exp_expected);
    nnsp_rfft512_frame(hist, buf, spec, &exp);
    ++checks;
    if (exp != exp_expected || memcmp(spec, spec_expected, sizeof spec) != 0) {
      ++failures;
      printf("FAIL windowed frame: trial %d\n", trial);
      return;
    }
  }
}

#if NNSP_DSP_KERNELS && !defined(__ARM_BIG_ENDIAN)
/* nnsp.c's gains from the network's output (Q15, a pass level G < 1) in assembly, nnsp_gains_pass_asm, against
 * the C loop of gains_from_output: random outputs of every magnitude (the ends of int16, 0 and 1 included), pass
 * levels from 1 to 32767 (the ends included), floors from 0 to 32767. */
void nnsp_gains_pass_asm(const int16_t *out, int16_t *gains, uint32_t pass, int32_t floor_q15);

static void check_gains_pass(uint32_t *rng) {
  static int16_t out[NNSP_BINS], gains[NNSP_BINS], expected[NNSP_BINS];
  int trial, k;
  for (trial = 0; trial < 200; ++trial) {
    const int32_t pass = trial == 0 ? 1 : trial == 1 ? 32767 : trial == 2 ? 16384 : rng_range(rng, 1, 32767);
    const int32_t floor_q15 = trial < 3 ? 0 : trial == 3 ? 32767 : rng_range(rng, 0, 1) ? rng_range(rng, 0, 32767)
                                                                                        : rng_range(rng, 0, 3000);
    for (k = 0; k < NNSP_BINS; ++k) {
      const int kind = rng_range(rng, 0, 15);
      out[k] = kind == 0 ? -32768 : kind == 1 ? 32767 : kind == 2 ? 0 : kind == 3 ? 1
               : (int16_t)((int32_t)rng_next(rng) >> rng_range(rng, 16, 31));
      if (kind == 4) out[k] = (int16_t)pass;
      int32_t g = out[k];
      if (g > 0) {
        const uint32_t scaled = ((uint32_t)g * 32768u + (uint32_t)pass / 2u) / (uint32_t)pass;
        g = scaled > 32767u ? 32767 : (int32_t)scaled;
      }
      expected[k] = (int16_t)(g < floor_q15 ? floor_q15 : g);
    }
    nnsp_gains_pass_asm(out, gains, (uint32_t)pass, floor_q15);
    ++checks;
    if (memcmp(gains, expected, sizeof gains) != 0) {
      ++failures;
      printf("FAIL gains: trial %d pass %d floor %d\n", trial, (int)pass, (int)floor_q15);
      return;
    }
  }
}
#endif

/* nnsp_apply_gain (bins 1 .. 255 in assembly in the DSP build) against plain 64-bit C: x g / 2^15 rounded half up,
 * bins 0 and 256 real only, and the OR of the results' magnitudes. Random spectra of every magnitude (the ends of
 * int32 included; and 500 trials with one large value, so that every bit of the OR counts), gains from 0 to
 * 32767 (around 2^14, where the DSP form's g 2^17 wraps, included). */
static void check_apply_gain(uint32_t *rng) {
  static int32_t spec[NNSP_SPEC_VALUES], expected[NNSP_SPEC_VALUES];
  static int16_t gains[NNSP_BINS];
  int trial, k;
  for (trial = 0; trial < 600; ++trial) {
    uint32_t or_expected = 0, or_got;
    for (k = 0; k < NNSP_SPEC_VALUES; ++k) {
      const int kind = rng_range(rng, 0, 15);
      spec[k] = kind == 0 ? INT32_MIN : kind == 1 ? INT32_MAX : kind == 2 ? 0
                : (int32_t)rng_next(rng) >> rng_range(rng, 0, 31);
    }
    if (trial >= 100) {
      /* one large value: every bit of the OR counts */
      memset(spec, 0, sizeof spec);
      spec[rng_range(rng, 0, NNSP_SPEC_VALUES - 1)] = (int32_t)rng_next(rng) >> rng_range(rng, 0, 1);
    }
    for (k = 0; k < NNSP_BINS; ++k) {
      const int kind = rng_range(rng, 0, 7);
      gains[k] = (int16_t)(kind == 0 ? 0 : kind == 1 ? 32767 : kind == 2 ? rng_range(rng, 16380, 16388)
                                                                           : rng_range(rng, 0, 32767));
    }
    for (k = 0; k < NNSP_SPEC_VALUES; ++k) {
      const int bin = k / 2;
      const int real_only = bin == 0 || bin == NNSP_BINS - 1;
      const int32_t v = real_only && (k & 1) ? 0 : (int32_t)(((int64_t)spec[k] * gains[bin] + 16384) >> 15);
      expected[k] = v;
      or_expected |= v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    }
    or_got = nnsp_apply_gain(spec, gains);
    ++checks;
    if (or_got != or_expected || memcmp(spec, expected, sizeof spec) != 0) {
      ++failures;
      printf("FAIL apply gain: trial %d\n", trial);
      return;
    }
  }
}

/* The guarded gains (nnsp_floor_guard_apply, in assembly in the DSP build for beta_q8 >= 520) against
 * nnsp_floor_guard_apply_portable: trackers with floor <= power (the invariant: the floor is a minimum with the
 * power) of every exponent, zero, equal, at and around half the power; gains over their whole range and at the
 * edges of the tests (0, 1, 9829, 9830, 32766, 32767, negative); several strengths, also below 520 and at 65535. */
static void check_guard_apply(uint32_t *rng) {
  static const int32_t betas[] = {1, 300, 519, 520, 521, 768, 1000, 4096, 65535};
  static const int16_t edges[] = {0, 1, 2, 9829, 9830, 9831, 32766, 32767, -1, -32768};
  static uint32_t pw[NNSP_BINS], fl[NNSP_BINS];
  static int16_t g1[NNSP_BINS], g2[NNSP_BINS];
  nnsp_floor_guard g;
  unsigned b;
  int trial, k;
  g.power = pw;
  g.floor = fl;
  g.first = 0;
  for (b = 0; b < sizeof betas / sizeof betas[0]; ++b) {
    g.beta_q8 = betas[b];
    for (trial = 0; trial < 20; ++trial) {
      for (k = 0; k < NNSP_BINS; ++k) {
        const int kind = rng_range(rng, 0, 7);
        uint32_t p = rng_next(rng) >> rng_range(rng, 0, 31), n;
        if (rng_range(rng, 0, 15) == 0) p = 0;
        switch (kind) {
          case 0: n = p; break;
          case 1: n = 0; break;
          case 2: n = p >= (1u << 27) ? p - (1u << 27) + (uint32_t)rng_range(rng, -3, 3) : p / 2u; break;
          case 3: n = p >= (3u << 27) ? p - (3u << 27) + (uint32_t)rng_range(rng, 0, 1u << 26) : p / 8u; break;
          default: n = p >> rng_range(rng, 0, 31); break;
        }
        if (n > p) n = p;
        pw[k] = p;
        fl[k] = n;
        g1[k] = g2[k] = rng_range(rng, 0, 3) == 0 ? edges[rng_range(rng, 0, 9)] : (int16_t)rng_range(rng, 0, 32767);
      }
      nnsp_floor_guard_apply(&g, g1);
      nnsp_floor_guard_apply_portable(&g, g2);
      ++checks;
      if (memcmp(g1, g2, sizeof g1) != 0) {
        ++failures;
        printf("FAIL guard bounds: beta %d trial %d\n", (int)betas[b], trial);
        return;
      }
    }
  }
}

int main(void) {
  static const int cols[] = {1, 3, 4, 5, 8, 12, 72, 257, 432, 507, 508, 509, 511, 512, 513, 600, 1000};
  uint32_t rng = 12345u;
  unsigned c;
  int units, mode, act, pass, i;
  /* Row-major tables, then NNSP_W_BLOCK4 ones (layers whose column counts are not multiples of 4 stay
   * row-major), then NNSP_W_BLOCK4 with a misaligned input. */
  for (pass = 0; pass < 3; ++pass) {
    layout = pass == 0 ? NNSP_W_ROWS : NNSP_W_BLOCK4;
    misaligned = pass == 2;
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
      check_gates(&rng, NNSP_LAYER_LSTM, 72, 12, mode);
      check_gates(&rng, NNSP_LAYER_GRU, 257, 64, mode);
      check_gates(&rng, NNSP_LAYER_GRU, 256, 64, mode);
      check_gates(&rng, NNSP_LAYER_LSTM, 500, 60, mode); /* x and h too long for the packed input: fallback */
    }
    /* Layers of the bundled model's sizes: more rows than one call of the DSP kernels' whole-table product takes
     * (64), with a short last block (257 rows). */
    for (mode = 0; mode < 3; ++mode) {
      for (act = 0; act < 4; ++act) {
        check_fc(&rng, 257, 72, mode, act);
        check_fc(&rng, 72, 432, mode, act);
      }
      check_gates(&rng, NNSP_LAYER_LSTM, 72, 72, mode);
      check_gates(&rng, NNSP_LAYER_GRU, 72, 72, mode);
      /* Small lstm layers in numbers: their random formats reach every branch of the activated gates. */
      for (i = 0; i < 24; ++i) check_gates(&rng, NNSP_LAYER_LSTM, 8 + 4 * (i % 5), 4 + 4 * (i % 4), mode);
    }
    /* Biases at the ends of int32 on the sizes the int32 per-row steps take (whole blocks of four rows). */
    big_bias = 1;
    for (mode = 0; mode < 3; ++mode) {
      for (act = 0; act < 4; ++act) {
        check_fc(&rng, 8, 72, mode, act);
        check_fc(&rng, 4, 432, mode, act);
      }
      check_gates(&rng, NNSP_LAYER_LSTM, 72, 16, mode);
      check_gates(&rng, NNSP_LAYER_LSTM, 24, 8, mode);
      check_gates(&rng, NNSP_LAYER_GRU, 72, 12, mode);
    }
    big_bias = 0;
  }
  check_guard(&rng);
  check_guard_apply(&rng);
  check_overlap_add(&rng);
  check_window_frame(&rng);
  check_apply_gain(&rng);
#if NNSP_DSP_KERNELS && !defined(__ARM_BIG_ENDIAN)
  check_gains_pass(&rng);
#endif
  printf("kernels (%s): %d checks (%d of activated lstm gates), %d failures\n", NNSP_DSP_KERNELS ? "dsp" : "portable",
         checks, gates_act_checks, failures);
  return failures == 0 ? 0 : 1;
}
