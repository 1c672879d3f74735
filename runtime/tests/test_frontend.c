/* Front-end pieces against double arithmetic: the melflat features, log10, the DC filters, the gain floor, the
 * noise-floor guard. */
#include <math.h>
#include <string.h>

#include "../ref/nnsp_ref.h"
#include "../src/fft.h"
#include "../src/floor_guard.h"
#include "../src/frontend.h"
#include "cases.h"
#include "check.h"

static void log10_accuracy(void) {
  double worst = 0.0;
  uint32_t rng = 5u;
  int i;
  for (i = 0; i < 20000; ++i) {
    /* values from 1 to 2^62, log-uniform */
    const int bits = rng_range(&rng, 0, 61);
    const uint64_t v = ((uint64_t)1 << bits) + (((uint64_t)rng_next(&rng) << 31) % ((uint64_t)1 << bits));
    const double e = fabs(ldexp(nnsp_log10_q15(v, 23), -15) - log10((double)v / 8388608.0));
    worst = e > worst ? e : worst;
  }
  /* log2 table interpolation 2.8e-6 (x log10(2)), the Q24 step, and output rounding 2^-16 */
  MEASURE("log10 |error|", worst, 2.0e-5);
  CHECK(nnsp_log10_q15(256, 23) == (int32_t)lround(log10(ldexp(1.0, -15)) * 32768.0),
        "log10(2^-15) = %d", nnsp_log10_q15(256, 23));
}

static void dc_filter_accuracy(int32_t pole_q30, const char *label) {
  nnsp_dc_filter f;
  const double a = ldexp(pole_q30, -30);
  double x_prev = 0.0, y_prev = 0.0, worst = 0.0;
  uint32_t rng = 11u;
  int n;
  nnsp_dc_init(&f, pole_q30);
  for (n = 0; n < 48000; ++n) {
    /* a DC offset, a step, and noise: the state's full range */
    const int16_t x = (int16_t)(n < 16000 ? 12000 + rng_range(&rng, -2000, 2000)
                                          : (n < 32000 ? -20000 : rng_range(&rng, -16000, 16000)));
    const double y = x - x_prev + a * y_prev;
    const double got = nnsp_dc_process(&f, x);
    double want = y > 32767 ? 32767 : (y < -32768 ? -32768 : y);
    x_prev = x;
    y_prev = y;
    want = fabs(got - want);
    worst = want > worst ? want : worst;
  }
  /* the state rounding (2^-(s+1) per step) accumulates to at most 2^-(s+1) / (1 - a) of the output; 1 LSB */
  MEASURE(label, worst, 1.0);
}

static void gain_floor(void) {
  int32_t db_q8;
  double worst = 0.0;
  for (db_q8 = 0; db_q8 <= 120 * 256; db_q8 += 37) {
    const double want = 32768.0 * pow(10.0, -ldexp(db_q8, -8) / 20.0);
    const double e = fabs(nnsp_gain_floor_q15(db_q8) - (want > 32767 ? 32767 : want));
    worst = e > worst ? e : worst;
  }
  MEASURE("gain floor |error| (Q15 LSB)", worst, 1.0);
  CHECK(nnsp_gain_floor_q15(-1) == 0, "negative limit must mean no floor");
}

/* The fixed-point guard against its float reference on a stream of power spectra: per bin a level from -60 to
 * +20 dB (re 1.0 in Q23 units; a full-scale tone's bin is ~+39 dB) with steps, stationary stretches and random
 * fluctuation, and random gains. (Far below that, at floors near 1e-12, the two add their different epsilons,
 * 2^-40 and 1e-12, to floors of the same size; irrelevant to audio, so not compared.) The input powers are Q23 as nnsp_power_q23 gives them (both sides get the same values). The fixed-point one
 * differs by the 27-bit mantissas of P and N, 2^-40 instead of 1e-12 in the floor's rise, the Q15 roundings of
 * N / P, lb, the weight and the bound: a few LSB. */
static void floor_guard_against_float(void) {
  static uint32_t power_packed[NNSP_BINS], floor_packed[NNSP_BINS];
  nnsp_floor_guard fixed;
  nnsp_ref_floor_guard ref;
  uint64_t p23[NNSP_BINS];
  double level_db[NNSP_BINS], p[NNSP_BINS], g[NNSP_BINS];
  int16_t g15[NNSP_BINS];
  uint32_t rng = 11u;
  double worst = 0.0;
  int t, k, raised = 0;
  fixed.power = power_packed;
  fixed.floor = floor_packed;
  fixed.beta_q8 = 2560;
  nnsp_floor_guard_reset(&fixed);
  nnsp_ref_floor_guard_reset(&ref, 10.0);
  for (k = 0; k < NNSP_BINS; ++k) level_db[k] = -60.0 + 80.0 * rng_range(&rng, 0, 1000) / 1000.0;
  for (t = 0; t < 600; ++t) {
    for (k = 0; k < NNSP_BINS; ++k) {
      if (rng_range(&rng, 0, 99) == 0) level_db[k] = -60.0 + 80.0 * rng_range(&rng, 0, 1000) / 1000.0; /* a step */
      /* +-6 dB of fluctuation around the level, quantized as nnsp_power_q23 gives it */
      p23[k] = (uint64_t)llround(ldexp(pow(10.0, (level_db[k] + rng_range(&rng, -600, 600) / 100.0) / 10.0), 23));
      p[k] = ldexp((double)p23[k], -23);
      g15[k] = (int16_t)rng_range(&rng, 0, 32767);
      g[k] = ldexp(g15[k], -15);
    }
    nnsp_floor_guard_observe(&fixed, p23);
    nnsp_ref_floor_guard_observe(&ref, p);
    nnsp_floor_guard_apply(&fixed, g15);
    nnsp_ref_floor_guard_apply(&ref, g);
    for (k = 0; k < NNSP_BINS; ++k) {
      const double e = fabs(ldexp(g15[k], -15) - g[k]);
      worst = e > worst ? e : worst;
      raised += g[k] > 0.0;
    }
  }
  MEASURE("floor guard: gain |error| (Q15 LSB)", worst * 32768.0, 3.0);
  CHECK(raised > 0, "no gains");
}

/* One frame of test audio (NNSP_WINDOW int16 samples) of kind: 0 speech-like (a 140 Hz voice's harmonics under
 * three formants, plus a little noise), 1 white noise, 2 silence, 3 a full-scale 1 kHz sine, 4 quiet noise (about
 * -80 dB of full scale: bins near the log offset), 5 the voice 40 dB down (6, 7: quiet noise, replaced by
 * melflat_accuracy). */
static void flat_test_frame(int kind, uint32_t seed, int16_t x[NNSP_WINDOW]) {
  const double pi = 3.14159265358979323846;
  static const double formant_hz[3] = {500.0, 1500.0, 2500.0};
  uint32_t rng = seed;
  int n, h, f;
  for (n = 0; n < NNSP_WINDOW; ++n) {
    const double noise = (rng_range(&rng, -100000, 100000) / 100000.0);
    double v = 0.0;
    switch (kind) {
      case 0:
      case 5:
        for (h = 1; h * 140.0 < 7800.0; ++h) {
          double a = 0.0;
          for (f = 0; f < 3; ++f) a += 1.0 / (1.0 + pow((h * 140.0 - formant_hz[f]) / 150.0, 2.0));
          v += 0.08 * a / h * sin(2.0 * pi * 140.0 * h * (n + seed) / 16000.0 + 0.3 * h);
        }
        v = (v + 0.002 * noise) * (kind == 5 ? 0.01 : 1.0);
        break;
      case 1: v = 0.3 * noise; break;
      case 2: v = 0.0; break;
      case 3: v = 32767.0 / 32768.0 * sin(2.0 * pi * 1000.0 * n / 16000.0 + 0.1 * seed); break;
      default: v = 1e-4 * noise; break;
    }
    x[n] = (int16_t)lround(v * 32767.0 > 32767.0 ? 32767.0 : (v * 32767.0 < -32768.0 ? -32768.0 : v * 32767.0));
  }
}

/* The melflat features (nnsp_log_features with nnsp_flat_init's constants) against the double formulas
 * (nnsp_ref_log_features) on the same Q23 power spectra, from the runtime's own window, FFT and power. The mel half
 * is the mel features' arithmetic; the flatness is log10(2) times a Q24 log2 difference (the weighted mean of the
 * bins' Q24 log2, log2 X and log2 W; each within the table's 2.8e-6 of its exact value, 0.03 Q15 LSB in log10),
 * rounded once: about 0.6 Q15 LSB at most (0.53 measured; the bound, 2.2, is the earlier arithmetic's: a Q15 log10
 * per bin, three roundings). */
static void melflat_accuracy(void) {
  static const char *const names[8] = {"speech-like", "white noise", "silence", "full-scale sine", "quiet noise",
                                        "speech -40 dB", "every bin at the cap", "cap and 0 alternating"};
  static synthetic_model s;
  synthetic_options o;
  nnsp_flat_band flat[72];
  int16_t x[NNSP_WINDOW];
  int32_t buf[512], spec[NNSP_SPEC_VALUES], fixed[144], bin_log[NNSP_BINS];
  uint64_t power[NNSP_BINS];
  double p[NNSP_BINS], want[144], worst_mel = 0.0, sum_sq = 0.0;
  double peaky = 0.0;
  int kind, t, b, k, exp, zero_bands = 1, count = 0;
  char label[80];
  memset(&o, 0, sizeof o);
  o.melflat = 1;
  make_synthetic_model(&s, &o);
  nnsp_flat_init(&s.model, flat);
  for (kind = 0; kind < 8; ++kind) {
    double worst_kind = 0.0;
    for (t = 0; t < 20; ++t) {
      flat_test_frame(kind, 17u + 101u * (uint32_t)t, x);
      nnsp_rfft512_frame(x, buf, spec, &exp);
      nnsp_power_q23(spec, exp, power);
      /* the extremes of the power's range (2^39, its cap, and 0), not from audio: the sums' bounds */
      if (kind >= 6)
        for (k = 0; k < NNSP_BINS; ++k) power[k] = kind == 6 || (k + t) % 2 == 0 ? (uint64_t)1 << 39 : 0;
      nnsp_log_features(&s.model, flat, power, bin_log, fixed);
      for (k = 0; k < NNSP_BINS; ++k) p[k] = ldexp((double)power[k], -23);
      nnsp_ref_log_features(&s.model, p, want);
      for (b = 0; b < 72; ++b) {
        const double e_mel = fabs(fixed[b] - ldexp(want[b], 15));
        const double e_flat = fabs(fixed[72 + b] - ldexp(want[72 + b], 15));
        worst_mel = e_mel > worst_mel ? e_mel : worst_mel;
        worst_kind = e_flat > worst_kind ? e_flat : worst_kind;
        if (s.mel_count[b] < 2) zero_bands &= fixed[72 + b] == 0;
        if (kind == 0 && want[72 + b] < peaky) peaky = want[72 + b];
        sum_sq += e_flat * e_flat;
        ++count;
      }
    }
    snprintf(label, sizeof label, "melflat: flatness max |error|, %s (Q15 LSB)", names[kind]);
    MEASURE(label, worst_kind, 2.2);
  }
  MEASURE("melflat: flatness RMS error (Q15 LSB)", sqrt(sum_sq / count), 0.6);
  /* The mel half rounds the band sum to Q23 first (the mel features' arithmetic): 2^-24 at the log offset 2^-15 is
   * 2^-9 / ln(10) = 8.5e-4 in log10, 27.8 LSB, plus the log's 0.52. (The flatness uses the unrounded sum.) */
  MEASURE("melflat: mel half max |error| (Q15 LSB)", worst_mel, 28.5);
  CHECK(zero_bands, "a single-bin band's flatness is not exactly 0");
  /* the test means something only if the voice makes some bands peaky */
  CHECK(peaky < -0.5, "the speech-like frames' most negative flatness is only %g", peaky);
}

void test_frontend(void) {
  melflat_accuracy();
  floor_guard_against_float();
  log10_accuracy();
  dc_filter_accuracy(31630 << 15, "feature DC high-pass |error| (LSB)");
  dc_filter_accuracy((int32_t)lround(0.9995 * 1073741824.0), "output DC blocker |error| (LSB)");
  gain_floor();
}

