/* Front-end pieces against double arithmetic: log10, the DC filters, the gain floor, the noise-floor guard. */
#include <math.h>

#include "../ref/nnsp_ref.h"
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

void test_frontend(void) {
  floor_guard_against_float();
  log10_accuracy();
  dc_filter_accuracy(31630 << 15, "feature DC high-pass |error| (LSB)");
  dc_filter_accuracy((int32_t)lround(0.9995 * 1073741824.0), "output DC blocker |error| (LSB)");
  gain_floor();
}

