/* The whole runtime on synthetic models: against the float enhancer, on extreme streams, reset, in-place
 * processing, the attenuation limit, and the checks of nnsp_init. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../ref/nnsp_ref.h"
#include "check.h"
#include "golden.h"

#define HOPS 300

typedef struct {
  synthetic_model *s;
  uint64_t *arena;
  nnsp_state *st;
} runtime;

/* The tables' pitch filter strength of the next open_runtime_on (0: none). */
static int32_t next_model_pitch_q15 = 0;

/* A runtime on synthetic model o whose own defaults are model_pass_q15 / model_guard_q8 (the tables' pass level
 * and noise-floor guard), initialized with params p. */
static int open_runtime_on(runtime *rt, const synthetic_options *o, int32_t model_pass_q15, int32_t model_guard_q8,
                           const nnsp_params *p) {
  nnsp_status status;
  uint32_t bytes;
  rt->s = malloc(sizeof *rt->s);
  make_synthetic_model(rt->s, o);
  rt->s->model.pass_gain_q15 = model_pass_q15;
  rt->s->model.floor_guard_q8 = model_guard_q8;
  rt->s->model.pitch_filter_q15 = next_model_pitch_q15;
  bytes = nnsp_arena_size(&rt->s->model);
  rt->arena = malloc(bytes);
  rt->st = nnsp_init(&rt->s->model, rt->arena, bytes, p, &status);
  CHECK(rt->st && status == NNSP_OK, "nnsp_init failed with %d", (int)status);
  return rt->st != 0;
}

static int open_runtime_with(runtime *rt, const synthetic_options *o, int32_t atten_db_q8, int32_t pass_q15,
                             int32_t guard_q8) {
  nnsp_params p = nnsp_default_params();
  p.atten_lim_db_q8 = atten_db_q8;
  p.pass_gain_q15 = pass_q15;
  p.floor_guard_q8 = guard_q8;
  return open_runtime_on(rt, o, 32768, 0, &p);
}

static int open_runtime(runtime *rt, const synthetic_options *o, int32_t atten_db_q8) {
  return open_runtime_with(rt, o, atten_db_q8, 0, 0);
}

static void close_runtime(runtime *rt) {
  free(rt->arena);
  free(rt->s);
}

/* Runtime vs float enhancer on the golden stream: output SNR, feature and gain errors. pass_q15: the pass level
 * (0: the model's, none), guard_q8 the noise-floor guard (0: none), given to both. */
static void against_float(int variant, int32_t pass_q15, int32_t guard_q8) {
  synthetic_options o;
  runtime rt;
  nnsp_ref_model ref;
  nnsp_ref_enhancer *e;
  double signal = 0.0, noise = 0.0, worst_feature = 0.0, sum_sq_feature = 0.0, worst_flat = 0.0, sum_sq_flat = 0.0;
  int h, n, k, dim, bands;
  char label[80];
  const char *what = guard_q8 ? " pass 0.7 guard 10" : (pass_q15 ? " pass 0.7" : "");
  golden_pipeline_options(variant, &o);
  if (!open_runtime_with(&rt, &o, -1, pass_q15, guard_q8)) return;
  nnsp_ref_model_from(&rt.s->model, &ref);
  e = nnsp_ref_enhancer_new(&ref, 0.0, pass_q15 ? ldexp(pass_q15, -15) : 1.0, ldexp(guard_q8, -8));
  dim = rt.s->model.feature_dim;
  bands = o.melflat ? dim / 2 : dim; /* melflat: the flatness features, measured apart */
  for (h = 0; h < HOPS; ++h) {
    int16_t in[NNSP_HOP], out[NNSP_HOP];
    double fin[NNSP_HOP], fout[NNSP_HOP];
    golden_stream_hop(h, in);
    for (n = 0; n < NNSP_HOP; ++n) fin[n] = in[n] / 32768.0;
    nnsp_process_q15(rt.st, in, out);
    nnsp_ref_enhancer_process(e, fin, fout);
    for (n = 0; n < NNSP_HOP; ++n) {
      const double d = out[n] / 32768.0 - fout[n];
      signal += fout[n] * fout[n];
      noise += d * d;
    }
    for (k = 0; k < dim; ++k) {
      const double d = fabs(ldexp(nnsp_last_features(rt.st)[k], -8) - nnsp_ref_enhancer_features(e)[k]);
      if (k < bands) {
        worst_feature = d > worst_feature ? d : worst_feature;
        sum_sq_feature += d * d;
      } else {
        worst_flat = d > worst_flat ? d : worst_flat;
        sum_sq_flat += d * d;
      }
    }
  }
  /* The features are int16 Q8 (LSB 2^-8). Most bands: the Q8 rounding (half an LSB) plus log10 (2e-5) times
   * inv_std <= 0.75. The worst band is the DC bin after the high-pass, 70 dB below the tones: the Q15 window
   * table's rounding (1.5e-5 per sample) leaks the tones into it at about -45 dB of its own level, ~1% of its
   * power; allow 4 LSB there and hold the RMS over all bands to 0.6 LSB. */
  snprintf(label, sizeof label, "model %d%s: normalized feature max |error| (Q8 LSB)", variant, what);
  MEASURE(label, worst_feature * 256.0, 4.0);
  snprintf(label, sizeof label, "model %d%s: normalized feature RMS error (Q8 LSB)", variant, what);
  MEASURE(label, sqrt(sum_sq_feature / ((double)bands * HOPS)) * 256.0, 0.6);
  if (o.melflat) {
    /* The flatness features: their own arithmetic's error (0.53 Q15 LSB at most, test_frontend) times inv std <= 6.5
     * is 0.03 Q8 LSB, plus the Q8 rounding. But every bin's log enters, not just band sums: in a two-bin band whose
     * second bin lies 60 dB below the frame's peak (between the stream's tones), the int16 rounding of the feature
     * path's high-passed samples (the runtime keeps them in int16, the reference in double; noise 2^-15 / sqrt(12)
     * per sample) moves that bin's power by 2%, its log by 0.007, the flatness by 0.005 (times inv std 5.5: 7.7
     * Q8 LSB, measured). Held to 10 LSB at worst (0.04 of a normalized unit), and the RMS as the mel features'. */
    snprintf(label, sizeof label, "model %d%s: normalized flatness max |error| (Q8 LSB)", variant, what);
    MEASURE(label, worst_flat * 256.0, 10.0);
    snprintf(label, sizeof label, "model %d%s: normalized flatness RMS error (Q8 LSB)", variant, what);
    MEASURE(label, sqrt(sum_sq_flat / ((double)bands * HOPS)) * 256.0, 0.6);
  }
  /* Output: int16 rounding of the output (-101 dB of full scale) and of the DC-blocked input, the Q15 window
   * twice; the gains are Q15 from tables accurate to ~1 LSB. Measured ~-74 dB; held to -60 dB. */
  snprintf(label, sizeof label, "model %d%s: output error power / output power", variant, what);
  MEASURE(label, noise / signal, 1e-6);
  nnsp_ref_enhancer_free(e);
  nnsp_ref_model_free(&ref);
  close_runtime(&rt);
}

/* Extreme streams: nothing crashes (the sanitizers watch), silence stays exactly silent, the output never
 * exceeds what the gains <= 1 allow, DC dies out. */
static void extremes(void) {
  synthetic_options o;
  runtime rt;
  int kind;
  golden_pipeline_options(0, &o);
  if (!open_runtime(&rt, &o, 30 << 8)) return;
  for (kind = 0; kind < 8; ++kind) {
    double in_energy = 0.0, out_energy = 0.0;
    int32_t last_peak = 0, any = 0;
    int h, n;
    uint32_t rng = 3u;
    nnsp_reset(rt.st);
    for (h = 0; h < HOPS; ++h) {
      int16_t in[NNSP_HOP], out[NNSP_HOP];
      for (n = 0; n < NNSP_HOP; ++n) {
        const long t = (long)h * NNSP_HOP + n;
        switch (kind) {
          case 0: in[n] = 0; break;                                           /* silence */
          case 1: in[n] = 32767; break;                                       /* DC + */
          case 2: in[n] = -32768; break;                                      /* DC - */
          case 3: in[n] = (t & 1) ? -32768 : 32767; break;                    /* alternating extremes */
          case 4: in[n] = ((t / 40) & 1) ? -32768 : 32767; break;             /* 200 Hz square, full scale */
          case 5: in[n] = ((t / 3) & 1) ? -32768 : 32767; break;              /* 2.7 kHz square */
          case 6: in[n] = (int16_t)rng_range(&rng, -32768, 32767); break;     /* full-scale white noise */
          default: in[n] = (t % 4000 == 0) ? 32767 : 0; break;                /* impulses */
        }
      }
      nnsp_process_q15(rt.st, in, out);
      last_peak = 0;
      for (n = 0; n < NNSP_HOP; ++n) {
        in_energy += (double)in[n] * in[n];
        out_energy += (double)out[n] * out[n];
        any |= out[n];
        last_peak = abs(out[n]) > last_peak ? abs(out[n]) : last_peak;
      }
    }
    if (kind == 0) CHECK(any == 0, "silence in, non-silence out");
    /* DC dies in the DC blocker (time constant 2000 samples; 300 hops are 24 of them) */
    if (kind == 1 || kind == 2) CHECK(last_peak <= 2, "DC still %d at the end", (int)last_peak);
    /* gains <= 1 and a squared window summing to 1: the output energy cannot exceed the input's by more than the
     * DC blocker's overshoot (x 4 at most for a full-scale square edge) */
    if (kind > 0) CHECK(out_energy <= 1.2 * in_energy + 1.0, "stream %d: output energy %g > input %g", kind, out_energy, in_energy);
  }
  close_runtime(&rt);
}

/* Gains pinned to 0 by the most negative output bias (-32768 in Q0): the attenuation limit decides the output
 * level. */
static void attenuation_limit(void) {
  const int32_t limits[3] = {6 << 8, 20 << 8, -1};
  const double want[3] = {0.5011872336, 0.1, 0.0};
  int i;
  for (i = 0; i < 3; ++i) {
    synthetic_options o;
    runtime rt;
    double in_e = 0.0, out_e = 0.0, ratio;
    int h, n, r;
    char label[64];
    golden_pipeline_options(0, &o);
    if (!open_runtime(&rt, &o, limits[i])) return;
    rt.s->layers[4].q_b = 0;
    for (r = 0; r < 257; ++r) rt.s->bias[4][r] = -32768;
    for (h = 0; h < HOPS; ++h) {
      int16_t in[NNSP_HOP], out[NNSP_HOP];
      golden_stream_hop(h, in);
      nnsp_process_q15(rt.st, in, out);
      /* the output lags by NNSP_DELAY = 2 hops: compare the same samples */
      for (n = 0; n < NNSP_HOP; ++n) {
        if (h >= 10 && h < HOPS - 2) in_e += (double)in[n] * in[n];
        if (h >= 12) out_e += (double)out[n] * out[n];
      }
    }
    ratio = sqrt(out_e / in_e);
    snprintf(label, sizeof label, "atten limit %d dB: |level - floor|", limits[i] >> 8);
    MEASURE(label, fabs(ratio - want[i]), 0.003 * want[i] + 1e-4);
    close_runtime(&rt);
  }
}

/* nnsp_reset gives the same output as a fresh state; in == out works. */
static void reset_and_in_place(void) {
  synthetic_options o;
  runtime a, b;
  int h, n, same = 1;
  golden_pipeline_options(1, &o);
  if (!open_runtime(&a, &o, -1) || !open_runtime(&b, &o, -1)) return;
  for (h = 0; h < 50; ++h) {
    int16_t in[NNSP_HOP], out[NNSP_HOP];
    golden_stream_hop(h + 1000, in);
    nnsp_process_q15(a.st, in, out);
  }
  nnsp_reset(a.st);
  for (h = 0; h < 80; ++h) {
    int16_t in[NNSP_HOP], out_a[NNSP_HOP], buf[NNSP_HOP];
    golden_stream_hop(h, in);
    memcpy(buf, in, sizeof in);
    nnsp_process_q15(a.st, in, out_a);
    nnsp_process_q15(b.st, buf, buf);
    for (n = 0; n < NNSP_HOP; ++n) same &= out_a[n] == buf[n];
  }
  CHECK(same, "reset state or in-place processing differs from a fresh state");
  close_runtime(&a);
  close_runtime(&b);
}

static void init_checks(void) {
  synthetic_options o;
  synthetic_model *s = malloc(sizeof *s);
  nnsp_params p = nnsp_default_params();
  nnsp_status status;
  uint32_t bytes;
  uint64_t *arena;
  int8_t q_b0;
  golden_pipeline_options(0, &o);
  make_synthetic_model(s, &o);
  q_b0 = s->layers[0].q_b;
  bytes = nnsp_arena_size(&s->model);
  printf("  arena bytes (reference-sized model)             %u\n", (unsigned)bytes);
  CHECK(bytes > 0 && bytes < 20 * 1024, "arena %u bytes", (unsigned)bytes);
  arena = malloc(bytes + 16);
  CHECK(!nnsp_init(&s->model, arena, bytes - 8, &p, &status) && status == NNSP_ERR_ARENA, "small arena");
  CHECK(!nnsp_init(&s->model, (uint8_t *)arena + 4, bytes, &p, &status) && status == NNSP_ERR_ARENA, "misaligned");
  CHECK(!nnsp_init(&s->model, 0, bytes, &p, &status) && status == NNSP_ERR_NULL, "null arena");
  p.atten_lim_db_q8 = 200 << 8;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_PARAMS, "params");
  p = nnsp_default_params();
  p.pass_gain_q15 = 32769;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_PARAMS, "pass gain above 1");
  p.pass_gain_q15 = -1;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_PARAMS, "negative pass gain");
  p = nnsp_default_params();
  p.floor_guard_q8 = -2;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_PARAMS, "guard below -1");
  p.floor_guard_q8 = 65536;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_PARAMS, "guard above 65535");
  p = nnsp_default_params();
  p.pitch_filter_q15 = -2;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_PARAMS, "pitch filter below -1");
  p.pitch_filter_q15 = 32769;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_PARAMS, "pitch filter above 1");
  p = nnsp_default_params();
  s->model.pitch_filter_q15 = -1;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "model pitch filter -1");
  s->model.pitch_filter_q15 = 32769;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "model pitch filter above 1");
  s->model.pitch_filter_q15 = 0;
  s->model.floor_guard_q8 = -1;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "model guard -1");
  s->model.floor_guard_q8 = 0;
  s->model.pass_gain_q15 = 0;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "model pass gain 0");
  s->model.pass_gain_q15 = 32768;
  s->layers[0].q_b = (int8_t)(s->layers[0].q_in + s->layers[0].q_w + 1); /* finer than its accumulator format */
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "bias format above q_acc");
  s->layers[0].q_b = -1;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "negative bias format");
  s->layers[0].q_b = q_b0;
  s->model.version = 99;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_VERSION, "version");
  CHECK(nnsp_arena_size(&s->model) == 0, "arena size of a bad model");
  s->model.version = NNSP_MODEL_VERSION;
  s->model.hop_length = 128;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_FRONTEND, "hop");
  s->model.hop_length = NNSP_HOP;
  s->model.output_dc_pole_q30 = (1 << 30) - 10; /* too close to 1 for the filter's state format */
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_FRONTEND, "pole");
  s->model.output_dc_pole_q30 = 0;
  s->layers[2].q_in = 12; /* does not match layer 1's output */
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "q chain");
  s->layers[2].q_in = 15;
  s->layers[4].q_out = 12; /* sigmoid outputs Q15 */
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "sigmoid q");
  s->layers[4].q_out = 15;
  s->layers[4].units = 256;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "output bins");
  s->layers[4].units = 257;
  /* concat_input: the next layer must take [units + in_dim] (72 + 72 here, not 72), the skip path copies the input
   * unconverted (q_in == q_out), the last layer's output is the gains alone, the flag is 0 or 1. */
  s->layers[1].concat_input = 1;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "concat width");
  s->layers[2].in_dim = 144;
  CHECK(nnsp_arena_size(&s->model) > 0, "concat model sized");
  s->layers[1].concat_input = 2;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "concat flag 2");
  s->layers[1].concat_input = 0;
  s->layers[2].in_dim = 72;
  s->layers[3].activation = NNSP_ACT_RELU6; /* Q12 out of a Q15 input */
  s->layers[3].q_out = 12;
  s->layers[3].concat_input = 1;
  s->layers[4].in_dim = 72 + 72;
  s->layers[4].q_in = 12;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "concat across formats");
  s->layers[3].activation = NNSP_ACT_TANH;
  s->layers[3].q_out = 15;
  s->layers[3].concat_input = 0;
  s->layers[4].in_dim = 72;
  s->layers[4].q_in = 15;
  s->layers[4].concat_input = 1;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_MODEL, "concat on the last layer");
  s->layers[4].concat_input = 0;
  s->layers[1].r = 0;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_NULL, "null recurrent");
  s->layers[1].r = s->r;
  CHECK(nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_OK, "restored model");
  free(arena);
  free(s);
}

/* melflat models: the arena and the checks of nnsp_init on their feature dimension and tables. */
static void melflat_init_checks(void) {
  synthetic_options o;
  synthetic_model *s = malloc(sizeof *s);
  nnsp_params p = nnsp_default_params();
  nnsp_status status;
  uint32_t bytes, mel_bytes;
  uint64_t *arena;
  golden_pipeline_options(0, &o);
  make_synthetic_model(s, &o);
  mel_bytes = nnsp_arena_size(&s->model);
  o.melflat = 1;
  make_synthetic_model(s, &o);
  bytes = nnsp_arena_size(&s->model);
  printf("  arena bytes (reference-sized model on melflat)  %u\n", (unsigned)bytes);
  /* 72 more log features (int32) and normalized ones (int16, twice: features and fill), 72 more values in each of
   * the conv1d window's 6 frames (int16), the 72 bands' constants (8 bytes each); the bins' logs use the FFT's
   * work area */
  CHECK(bytes == mel_bytes + 72 * 4 + 2 * 72 * 2 + 6 * 72 * 2 + 72 * 8, "melflat arena %u bytes, mel %u",
        (unsigned)bytes, (unsigned)mel_bytes);
  arena = malloc(bytes);
  CHECK(nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_OK, "melflat model");
  s->model.feature_dim = 143; /* odd: not two values per band */
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_FRONTEND, "odd melflat dim");
  CHECK(nnsp_arena_size(&s->model) == 0, "arena size of an odd melflat dim");
  s->model.feature_dim = 2 * 258; /* more bands than bins */
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_FRONTEND, "melflat bands > bins");
  s->model.feature_dim = 0;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_FRONTEND, "melflat dim 0");
  s->model.feature_dim = 144;
  s->model.mel_weights_q15 = 0;
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_NULL, "melflat without mel tables");
  s->model.mel_weights_q15 = s->mel_w;
  s->model.feature_type = 3; /* unknown */
  CHECK(!nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_ERR_FRONTEND, "feature type 3");
  s->model.feature_type = NNSP_FEATURE_MELFLAT;
  CHECK(nnsp_init(&s->model, arena, bytes, &p, &status) && status == NNSP_OK, "restored melflat model");
  free(arena);
  free(s);
}

/* The pass level: the model's default applies with pass_gain_q15 = 0, an explicit one overrides it, and the gains
 * follow min(1, g / G) exactly (integer division, rounded). */
static void pass_gain_default(void) {
  synthetic_options o;
  runtime plain, by_model, explicit_pass;
  const nnsp_params defaults = nnsp_default_params();
  int h, k, same = 1, exact = 1;
  golden_pipeline_options(0, &o);
  if (!open_runtime_with(&plain, &o, -1, 0, 0) || !open_runtime_with(&explicit_pass, &o, -1, 22938, 0) ||
      !open_runtime_on(&by_model, &o, 22938, 0, &defaults))
    return;
  for (h = 0; h < 60; ++h) {
    int16_t in[NNSP_HOP], out_p[NNSP_HOP], out_m[NNSP_HOP], out_e[NNSP_HOP];
    golden_stream_hop(h, in);
    nnsp_process_q15(plain.st, in, out_p);
    nnsp_process_q15(by_model.st, in, out_m);
    nnsp_process_q15(explicit_pass.st, in, out_e);
    for (k = 0; k < NNSP_HOP; ++k) same &= out_m[k] == out_e[k];
    for (k = 0; k < NNSP_BINS; ++k) {
      const int64_t g = nnsp_last_gains_q15(plain.st)[k];
      const int64_t want = (g * 32768 + 22938 / 2) / 22938;
      exact &= nnsp_last_gains_q15(explicit_pass.st)[k] == (want > 32767 ? 32767 : want);
    }
  }
  CHECK(same, "the model's pass level and the same level given in the params differ");
  CHECK(exact, "pass level: gains are not min(32767, round(g * 2^15 / G))");
  close_runtime(&plain);
  close_runtime(&by_model);
  close_runtime(&explicit_pass);
}

/* The noise-floor guard: the model's strength applies with floor_guard_q8 = -1 (the default) and equals the same
 * strength given in the params; 0 turns it off; with it no gain is lower than without it, and it raises some. */
static void guard_default_and_effect(void) {
  synthetic_options o;
  runtime off, by_model, explicit_guard;
  const nnsp_params defaults = nnsp_default_params();
  int h, k, same = 1, never_lower = 1, raised = 0;
  golden_pipeline_options(0, &o);
  if (!open_runtime_with(&off, &o, -1, 0, 0) || !open_runtime_with(&explicit_guard, &o, -1, 0, 2560) ||
      !open_runtime_on(&by_model, &o, 32768, 2560, &defaults))
    return;
  for (h = 0; h < 100; ++h) {
    int16_t in[NNSP_HOP], out_o[NNSP_HOP], out_m[NNSP_HOP], out_e[NNSP_HOP];
    golden_stream_hop(h, in);
    nnsp_process_q15(off.st, in, out_o);
    nnsp_process_q15(by_model.st, in, out_m);
    nnsp_process_q15(explicit_guard.st, in, out_e);
    for (k = 0; k < NNSP_HOP; ++k) same &= out_m[k] == out_e[k];
    for (k = 0; k < NNSP_BINS; ++k) {
      const int16_t g_off = nnsp_last_gains_q15(off.st)[k], g_on = nnsp_last_gains_q15(explicit_guard.st)[k];
      never_lower &= g_on >= g_off;
      raised += g_on > g_off;
    }
  }
  CHECK(same, "the model's guard and the same guard given in the params differ");
  CHECK(never_lower, "the guard lowered a gain");
  CHECK(raised > 100, "the guard raised only %d gains", raised);
  close_runtime(&off);
  close_runtime(&by_model);
  close_runtime(&explicit_guard);
}

/* The pitch filter: the model's strength applies with pitch_filter_q15 = -1 (the default) and equals the same
 * strength given in the params; 0 in the params turns the model's off (the output without it); on, it changes
 * the output. */
static void pitch_default_and_effect(void) {
  synthetic_options o;
  runtime off, by_model, explicit_pitch, without;
  nnsp_params p_off = nnsp_default_params(), p_on = nnsp_default_params();
  const nnsp_params defaults = nnsp_default_params();
  int h, k, same = 1, off_is_without = 1, differs = 0;
  golden_pipeline_options(0, &o);
  p_off.pitch_filter_q15 = 0;
  p_on.pitch_filter_q15 = 16384;
  if (!open_runtime_on(&without, &o, 32768, 0, &defaults) || !open_runtime_on(&explicit_pitch, &o, 32768, 0, &p_on))
    return;
  next_model_pitch_q15 = 16384;
  if (!open_runtime_on(&by_model, &o, 32768, 0, &defaults) || !open_runtime_on(&off, &o, 32768, 0, &p_off)) {
    next_model_pitch_q15 = 0;
    return;
  }
  next_model_pitch_q15 = 0;
  for (h = 0; h < 100; ++h) {
    int16_t in[NNSP_HOP], out_w[NNSP_HOP], out_m[NNSP_HOP], out_e[NNSP_HOP], out_o[NNSP_HOP];
    golden_stream_hop(h, in);
    nnsp_process_q15(without.st, in, out_w);
    nnsp_process_q15(by_model.st, in, out_m);
    nnsp_process_q15(explicit_pitch.st, in, out_e);
    nnsp_process_q15(off.st, in, out_o);
    for (k = 0; k < NNSP_HOP; ++k) {
      same &= out_m[k] == out_e[k];
      off_is_without &= out_o[k] == out_w[k];
      differs += out_e[k] != out_w[k];
    }
  }
  CHECK(same, "the model's pitch filter and the same filter given in the params differ");
  CHECK(off_is_without, "pitch_filter_q15 = 0 did not turn the model's filter off");
  CHECK(differs > 100, "the pitch filter changed only %d samples", differs);
  close_runtime(&without);
  close_runtime(&by_model);
  close_runtime(&explicit_pitch);
  close_runtime(&off);
}

void test_pipeline(void) {
  int v;
  init_checks();
  melflat_init_checks();
  for (v = 0; v < GOLDEN_PIPELINES; ++v) against_float(v, 0, 0);
  against_float(0, 22938, 0);    /* pass level 0.7 (the bundled model's) */
  against_float(0, 22938, 2560); /* and its noise-floor guard 10 */
  pass_gain_default();
  guard_default_and_effect();
  pitch_default_and_effect();
  attenuation_limit();
  reset_and_in_place();
  extremes();
}
