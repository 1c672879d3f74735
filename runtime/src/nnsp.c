/* The public API: arena layout, init, reset and the per-hop pipeline
 *   features:  DC high-pass -> window -> FFT -> power -> mel -> log10 -> normalize -> network
 *   synthesis: DC blocker -> window -> FFT -> (power -> floor guard) -> gains -> x gains -> inverse FFT -> window
 *              -> overlap-add. */
#include <string.h>

#include "asm_function.h"
#include "fft.h"
#include "fixed.h"
#include "floor_guard.h"
#include "frontend.h"
#include "kernels.h" /* nnsp_move_down */
#include "network.h"
#include "pitch_filter.h"
#include "nnsp.h"
#include "tables.h"
#include "validate.h"

#define MAX_ATTEN_DB_Q8 (120 << 8)
#define UNITY_Q15 32768 /* a pass level of 1.0: no pass level */
#define ALIGN 8u

/* Profiling points, compiled out unless a port names a function void f(int point) in NNSP_PROFILE_MARK_FN (the
 * Cortex-M4 measurement firmware does): 0 hop start, 1 features done, 2 network done, 3 synthesis done (gains
 * and the guard included). */
#ifdef NNSP_PROFILE_MARK_FN
void NNSP_PROFILE_MARK_FN(int point);
#define PROFILE_MARK(point) NNSP_PROFILE_MARK_FN(point)
#else
#define PROFILE_MARK(point) ((void)0)
#endif

struct nnsp_state {
  const nnsp_model *model;
  int16_t gain_floor_q15;
  int32_t pass_gain_q15; /* [1, UNITY_Q15] */
  nnsp_floor_guard guard;
  nnsp_dc_filter feature_dc, output_dc;
  int16_t *feature_hist; /* NNSP_WINDOW: the feature path's last window of (filtered) input */
  int16_t *output_hist;  /* NNSP_WINDOW: the synthesis path's, the last part of pitch_hist */
  int16_t *pitch_hist;   /* NNSP_PITCH_HIST: the synthesis path's input (the pitch filter's lags reach back) */
  int32_t pitch_q15;     /* pitch filter strength, 0: off */
  int32_t *fft_buf;      /* 512 */
  int32_t *spec;         /* NNSP_SPEC_VALUES */
  uint64_t *power;       /* NNSP_BINS, Q23 */
  int32_t *log_features; /* feature_dim, Q15 */
  nnsp_flat_band *flat;  /* melflat: feature_dim / 2 per-band constants (nnsp_flat_init); else null */
  int16_t *features;     /* feature_dim, Q(input_q) */
  int16_t *fill;         /* feature_dim: the normalized features of silence (compute_fill) */
  int16_t *act_a, *act_b;
  int32_t *scratch;
  int16_t *gains;        /* NNSP_BINS, Q15 */
  int32_t *ola;          /* NNSP_WINDOW, Q20 */
  nnsp_layer_state *layers;
};

/* Bump allocator over the arena; with base == 0 it only measures. */
typedef struct {
  uint8_t *base;
  uint32_t used;
} carver;

static void *carve(carver *c, uint32_t bytes) {
  void *p;
  c->used = (c->used + (ALIGN - 1u)) & ~(ALIGN - 1u);
  p = c->base ? (void *)(c->base + c->used) : 0;
  c->used += bytes;
  return p;
}

static void layout(const nnsp_model *m, carver *c, nnsp_state *st) {
  const uint32_t dim = m->feature_dim;
  uint32_t widest = 0, widest_recurrent = 0;
  int l;
  for (l = 0; l < (int)m->num_layers; ++l) {
    const nnsp_layer *layer = &m->layers[l];
    const uint32_t output_dim = (uint32_t)nnsp_layer_output_dim(layer);
    if (output_dim > widest) widest = output_dim;
    if ((layer->kind == NNSP_LAYER_LSTM || layer->kind == NNSP_LAYER_GRU) && layer->units > widest_recurrent)
      widest_recurrent = layer->units;
  }
  st->feature_hist = carve(c, NNSP_WINDOW * sizeof(int16_t));
  st->pitch_hist = carve(c, NNSP_PITCH_HIST * sizeof(int16_t));
  st->output_hist = st->pitch_hist ? st->pitch_hist + NNSP_PITCH_REACH : 0;
  st->fft_buf = carve(c, NNSP_FFT * sizeof(int32_t));
  st->spec = carve(c, NNSP_SPEC_VALUES * sizeof(int32_t));
  st->power = carve(c, NNSP_BINS * sizeof(uint64_t));
  st->log_features = carve(c, dim * sizeof(int32_t));
  st->flat = m->feature_type == NNSP_FEATURE_MELFLAT ? carve(c, dim / 2u * (uint32_t)sizeof(nnsp_flat_band)) : 0;
  st->features = carve(c, dim * sizeof(int16_t));
  st->fill = carve(c, dim * sizeof(int16_t));
  st->act_a = carve(c, widest * sizeof(int16_t));
  st->act_b = carve(c, widest * sizeof(int16_t));
  st->scratch = carve(c, 4u * widest_recurrent * sizeof(int32_t));
  st->gains = carve(c, NNSP_BINS * sizeof(int16_t));
  st->ola = carve(c, NNSP_WINDOW * sizeof(int32_t));
  st->guard.power = carve(c, NNSP_BINS * sizeof(uint32_t));
  st->guard.floor = carve(c, NNSP_BINS * sizeof(uint32_t));
  st->layers = carve(c, m->num_layers * (uint32_t)sizeof(nnsp_layer_state));
  for (l = 0; l < (int)m->num_layers; ++l) {
    const nnsp_layer *layer = &m->layers[l];
    nnsp_layer_state s;
    s.window = layer->kind == NNSP_LAYER_CONV1D ? carve(c, (uint32_t)layer->kernel * layer->in_dim * 2u) : 0;
    s.h = (layer->kind == NNSP_LAYER_LSTM || layer->kind == NNSP_LAYER_GRU) ? carve(c, layer->units * 2u) : 0;
    s.c = layer->kind == NNSP_LAYER_LSTM ? carve(c, layer->units * 4u) : 0;
    if (st->layers) st->layers[l] = s;
  }
}

nnsp_params nnsp_default_params(void) {
  nnsp_params p;
  p.atten_lim_db_q8 = -1;
  p.pass_gain_q15 = 0;
  p.floor_guard_q8 = -1;
  p.pitch_filter_q15 = -1;
  return p;
}

uint32_t nnsp_arena_size(const nnsp_model *model) {
  carver c;
  nnsp_state probe;
  if (nnsp_validate_model(model) != NNSP_OK) return 0;
  c.base = 0;
  c.used = 0;
  (void)carve(&c, (uint32_t)sizeof(nnsp_state));
  layout(model, &c, &probe);
  return (c.used + (ALIGN - 1u)) & ~(ALIGN - 1u);
}

int32_t nnsp_gain_floor_q15(int32_t atten_lim_db_q8) {
  /* 10^(-d/20) = 2^(-e), e = d log2(10) / 20; K = log2(10) / 20 in Q24. e in Q32 (< 2^37 for d <= 120 dB). */
  const int64_t k_q24 = 2786572;
  int64_t e_q32;
  int32_t whole, idx, frac, lo, hi, mant_q30;
  if (atten_lim_db_q8 < 0) return 0;
  if (atten_lim_db_q8 > MAX_ATTEN_DB_Q8) atten_lim_db_q8 = MAX_ATTEN_DB_Q8;
  e_q32 = (int64_t)atten_lim_db_q8 * k_q24;
  whole = (int32_t)(e_q32 >> 32);
  idx = (int32_t)((e_q32 >> 26) & 63);
  frac = (int32_t)(e_q32 & 0x3FFFFFF);
  lo = nnsp_exp2_neg_q30[idx];
  hi = nnsp_exp2_neg_q30[idx + 1];
  /* 2^(-frac) by linear interpolation between table entries 1/64 apart (error < 3e-5 relative). */
  mant_q30 = lo - (int32_t)nnsp_rshr64((int64_t)(lo - hi) * frac, 26);
  if (15 + whole > 60) return 0;
  return (int32_t)nnsp_rshr64(mant_q30, 15 + whole);
}

static void compute_fill(nnsp_state *st) {
  /* The features of silence (log10(0 + offset); melflat's flatness: 0, as nnse's context fill), normalized by the
   * same code as every frame (fft_buf: the bins' logs, scratch as in nnsp_process_q15). */
  memset(st->power, 0, NNSP_BINS * sizeof(uint64_t));
  nnsp_log_features(st->model, st->flat, st->power, st->fft_buf, st->log_features);
  nnsp_normalize(st->model, st->log_features, st->fill);
}

nnsp_state *nnsp_init(const nnsp_model *model, void *arena, uint32_t arena_bytes, const nnsp_params *params,
                      nnsp_status *status) {
  nnsp_status result;
  nnsp_state *st;
  carver c;
  uint32_t need;
  if (!arena || !params) {
    result = NNSP_ERR_NULL;
    goto fail;
  }
  result = nnsp_validate_model(model);
  if (result != NNSP_OK) goto fail;
  if (params->atten_lim_db_q8 > MAX_ATTEN_DB_Q8 || params->pass_gain_q15 < 0 || params->pass_gain_q15 > UNITY_Q15 ||
      params->floor_guard_q8 < -1 || params->floor_guard_q8 > 65535 || params->pitch_filter_q15 < -1 ||
      params->pitch_filter_q15 > 32768) {
    result = NNSP_ERR_PARAMS;
    goto fail;
  }
  need = nnsp_arena_size(model);
  if (arena_bytes < need || ((uintptr_t)arena & (ALIGN - 1u)) != 0) {
    result = NNSP_ERR_ARENA;
    goto fail;
  }
  c.base = (uint8_t *)arena;
  c.used = 0;
  st = carve(&c, (uint32_t)sizeof(nnsp_state));
  layout(model, &c, st);
  st->model = model;
  st->gain_floor_q15 = (int16_t)nnsp_gain_floor_q15(params->atten_lim_db_q8);
  st->pass_gain_q15 = params->pass_gain_q15 ? params->pass_gain_q15 : model->pass_gain_q15;
  st->guard.beta_q8 = params->floor_guard_q8 >= 0 ? params->floor_guard_q8 : model->floor_guard_q8;
  st->pitch_q15 = params->pitch_filter_q15 >= 0 ? params->pitch_filter_q15 : model->pitch_filter_q15;
  st->guard.track = st->pitch_q15 != 0;
  nnsp_dc_init(&st->feature_dc, model->feature_dc_pole_q30);
  nnsp_dc_init(&st->output_dc, model->output_dc_pole_q30);
  if (st->flat) nnsp_flat_init(model, st->flat);
  compute_fill(st);
  nnsp_reset(st);
  if (status) *status = NNSP_OK;
  return st;
fail:
  if (status) *status = result;
  return 0;
}

void nnsp_reset(nnsp_state *st) {
  nnsp_dc_reset(&st->feature_dc);
  nnsp_dc_reset(&st->output_dc);
  memset(st->feature_hist, 0, NNSP_WINDOW * sizeof(int16_t));
  memset(st->pitch_hist, 0, NNSP_PITCH_HIST * sizeof(int16_t));
  memset(st->ola, 0, NNSP_WINDOW * sizeof(int32_t));
  memset(st->gains, 0, NNSP_BINS * sizeof(int16_t));
  nnsp_floor_guard_reset(&st->guard);
  memcpy(st->features, st->fill, st->model->feature_dim * sizeof(int16_t));
  nnsp_network_reset(st->model, st->layers, st->fill);
}

#if NNSP_DSP_KERNELS && !defined(__ARM_BIG_ENDIAN)
#if NNSP_BINS != 257
#error "nnsp_gains_pass_asm's counts: 128 pairs and one bin"
#endif
/* One bin of nnsp_gains_pass_asm (below): clamp, divide by the pass gain (UDIV), cap, raise to the floor, store. */
#define NNSP_GAINS_PASS_BIN_ASM \
  "ldrsh  r6, [r0], #2\n\t"          \
  "usat   r6, #15, r6\n\t"           \
  "add    r6, r4, r6, lsl #15\n\t"   \
  "udiv   r6, r6, r2\n\t"            \
  "usat   r6, #15, r6\n\t"           \
  "ssub16 r7, r6, r3\n\t"            \
  "sel    r6, r6, r3\n\t"            \
  "strh   r6, [r1], #2\n\t"

/* gains_from_output's usual loop in assembly (GCC's: 15 instructions per bin with its branches, this one 9.5): g
 * = out[k] clamped to [0, 32767] by USAT (a gain g <= 0 goes to 0, and min(0 / G, ...) raised to the floor is the
 * floor, as max(g, floor) is for g <= 0 with floor >= 0), (g 2^15 + G / 2) / G by one UDIV (0 for g = 0: G / 2 <
 * G), capped at 32767 by USAT, raised to the floor by SSUB16 / SEL (both halves' compare: the top halves are 0, the
 * bottom ones below 2^15). r0 out, r1 gains, r2 G in [1, 32767], r3 floor in [0, 32767]. The same numbers as the
 * C loop. */
void nnsp_gains_pass_asm(const int16_t *out, int16_t *gains, uint32_t pass, int32_t floor_q15);
__asm(NNSP_ASM_BEGIN(nnsp_gains_pass_asm)
      "push   {r4-r7}\n\t"
      "lsrs   r4, r2, #1\n\t"
      "add    r5, r0, #512\n" /* 256 bins in pairs */
      "1:\n\t"
      NNSP_GAINS_PASS_BIN_ASM
      NNSP_GAINS_PASS_BIN_ASM
      "cmp    r0, r5\n\t"
      "bne    1b\n\t"
      NNSP_GAINS_PASS_BIN_ASM
      "pop    {r4-r7}\n\t"
      "bx     lr\n\t"
      NNSP_ASM_END(nnsp_gains_pass_asm));
#endif

/* Network output -> gain in Q15: divided by the pass level G (g' = min(1, g / G)), clamped to [floor, 32767],
 * then raised to the noise-floor guard's bound: the order of nnse's float enhancer. */
static void gains_from_output(nnsp_state *st, const int16_t *out) {
  const nnsp_layer *last = &st->model->layers[st->model->num_layers - 1];
  const int32_t pass = st->pass_gain_q15, floor_q15 = st->gain_floor_q15;
  const int shift = 15 - last->q_out;
  int16_t *const gains = st->gains; /* locals: the int16 stores to gains[] might otherwise alias them */
  int k;
#if NNSP_DSP_KERNELS && !defined(__ARM_BIG_ENDIAN)
  if (shift == 0 && pass < UNITY_Q15 && floor_q15 >= 0) {
    nnsp_gains_pass_asm(out, gains, (uint32_t)pass, floor_q15);
    nnsp_floor_guard_apply(&st->guard, st->gains);
    return;
  }
#endif
  if (shift == 0 && pass < UNITY_Q15) {
    /* The usual case (a Q15 output, a pass level): the general loop below with g = out[k] <= 32767, one test
     * fewer and nothing reloaded. The same numbers. */
    for (k = 0; k < NNSP_BINS; ++k) {
      int32_t g = out[k];
      if (g > 0) {
        const uint32_t scaled = ((uint32_t)g * (uint32_t)UNITY_Q15 + (uint32_t)pass / 2u) / (uint32_t)pass;
        g = scaled > 32767u ? 32767 : (int32_t)scaled;
      }
      gains[k] = (int16_t)(g < floor_q15 ? floor_q15 : g);
    }
  } else {
    for (k = 0; k < NNSP_BINS; ++k) {
      int32_t g = nnsp_requant32_i32(out[k], shift); /* = nnsp_requant32: out[k] is an int16 */
      if (pass < UNITY_Q15 && g > 0) {
        /* g / G in Q15, rounded half up by an exact unsigned division: with g capped to 32767 first (a gain of 1
         * or more stays at least 1 after dividing by G <= 1), g * 2^15 + G / 2 < 2^30 fits 32 bits, so a
         * Cortex-M needs only its UDIV instruction. A gain at or above G comes out at 32768 or more and is capped
         * below. */
        const uint32_t g_q15 = (uint32_t)(g > 32767 ? 32767 : g);
        const uint32_t scaled = (g_q15 * (uint32_t)UNITY_Q15 + (uint32_t)pass / 2u) / (uint32_t)pass;
        g = scaled > 32767u ? 32767 : (int32_t)scaled;
      }
      if (g < floor_q15) g = floor_q15;
      if (g > 32767) g = 32767;
      gains[k] = (int16_t)g;
    }
  }
  nnsp_floor_guard_apply(&st->guard, st->gains);
}

void nnsp_process_q15(nnsp_state *st, const int16_t in[NNSP_HOP], int16_t out[NNSP_HOP]) {
  const int keep = NNSP_WINDOW - NNSP_HOP;
  const int16_t *net_out;
  int exp;
  PROFILE_MARK(0);
  nnsp_move_down(st->feature_hist, NNSP_HOP, keep);
  if (st->pitch_q15 != 0) {
    nnsp_move_down(st->pitch_hist, NNSP_HOP, NNSP_PITCH_HIST - NNSP_HOP);
  } else {
    nnsp_move_down(st->output_hist, NNSP_HOP, keep);
  }
  /* in[] is read before out[] (which may alias it) is written */
  nnsp_dc_process_block(&st->feature_dc, in, st->feature_hist + keep, NNSP_HOP);
  nnsp_dc_process_block(&st->output_dc, in, st->output_hist + keep, NNSP_HOP);

  nnsp_rfft512_frame(st->feature_hist, st->fft_buf, st->spec, &exp);
  nnsp_power_q23(st->spec, exp, st->power);
  /* fft_buf: scratch for the bins' logs of melflat (free until the synthesis transform) */
  nnsp_log_features(st->model, st->flat, st->power, st->fft_buf, st->log_features);
  nnsp_normalize(st->model, st->log_features, st->features);
  PROFILE_MARK(1);
  net_out = nnsp_network_run(st->model, st->layers, st->features, st->act_a, st->act_b, st->scratch);
  PROFILE_MARK(2);

  nnsp_rfft512_frame(st->output_hist, st->fft_buf, st->spec, &exp);
  if (nnsp_floor_guard_tracking(&st->guard)) {
    /* the power spectrum and the trackers' update (st->power as scratch: the feature path is done with it) */
    nnsp_floor_guard_observe_spec(&st->guard, st->spec, exp, st->power);
  }
  gains_from_output(st, net_out);
  if (st->pitch_q15 != 0) {
    /* Scratch without more arena: fft_buf until the inverse transform, and st->power (257 uint64 = the 514 int32
     * of a spectrum) for the delayed frame's, as the feature path and the guard's update are done with it. */
    const int lag = nnsp_pitch_find_lag(st->pitch_hist, (int16_t *)st->fft_buf);
    if (lag != 0) {
      int32_t *const pitch_spec = (int32_t *)st->power;
      int pexp;
      nnsp_rfft512_frame(st->output_hist - lag, st->fft_buf, pitch_spec, &pexp);
      nnsp_pitch_filter_apply(st->spec, &exp, pitch_spec, pexp, st->gains, st->guard.floor, st->pitch_q15,
                              (int64_t *)st->fft_buf);
    }
  }
  nnsp_irfft512_or(st->spec, nnsp_apply_gain(st->spec, st->gains), st->fft_buf, &exp);
  nnsp_overlap_add(st->fft_buf, exp, st->ola, out);
  PROFILE_MARK(3);
}

const int16_t *nnsp_last_gains_q15(const nnsp_state *st) { return st->gains; }
const int16_t *nnsp_last_features(const nnsp_state *st) { return st->features; }
