/* The noise-floor guard in fixed point (floor_guard.h). */
#include "floor_guard.h"

#include <string.h>

#define RISE_MINUS_ONE_Q30 25010660u /* 10^(10 dB / 10 / 100 frames) - 1 = 0.0232930 per frame, Q30 */
#define CONFIDENCE_Q15 9830           /* 0.3: the network gain at and above which the bound applies in full */
#define INV_CONFIDENCE_Q13 27307      /* 1 / 0.3, Q13 */
#define MANTISSA_BITS 27

/* The trackers are Q40 powers (below 2^57) kept in 32 bits as m 2^e (e in the top 5 bits, m < 2^27): exact below
 * 2^27, else truncated to 27 significant bits (relative error < 2^-26). */
static uint32_t pack(uint64_t v) {
  int e = 0;
  if (v >> MANTISSA_BITS) {
#if defined(__GNUC__)
    e = (64 - __builtin_clzll(v)) - MANTISSA_BITS;
#else
    while ((v >> (MANTISSA_BITS + e)) != 0) ++e;
#endif
  }
  return ((uint32_t)e << MANTISSA_BITS) | (uint32_t)(v >> e);
}

static uint64_t unpack(uint32_t x) {
  return (uint64_t)(x & ((1u << MANTISSA_BITS) - 1u)) << (x >> MANTISSA_BITS);
}

/* floor(n (r - 1)) for n < 2^57, from n's two words (each product fits 64 bits). */
static uint64_t rise_of(uint64_t n) {
  const uint64_t hi = (uint64_t)(uint32_t)(n >> 32) * RISE_MINUS_ONE_Q30, lo = (uint64_t)(uint32_t)n * RISE_MINUS_ONE_Q30;
  return (hi << 2) + (lo >> 30);
}

void nnsp_floor_guard_reset(nnsp_floor_guard *g) {
  memset(g->power, 0, NNSP_BINS * sizeof(uint32_t));
  memset(g->floor, 0, NNSP_BINS * sizeof(uint32_t));
  g->first = 1;
}

void nnsp_floor_guard_observe(nnsp_floor_guard *g, const uint64_t power_q23[NNSP_BINS]) {
  int k;
  if (g->beta_q8 == 0) return;
  for (k = 0; k < NNSP_BINS; ++k) {
    const uint64_t p = power_q23[k] << 17; /* Q40, <= 2^56 */
    uint64_t ps, n;
    if (g->first) {
      ps = p;
      n = p;
    } else {
      /* + 1 LSB = 2^-40 = 0.9e-12: the float guard's 1e-12, which lets a floor at 0 rise again. */
      const uint64_t old = unpack(g->floor[k]), risen = old + rise_of(old) + 1u;
      ps = (unpack(g->power[k]) + p + 1u) >> 1;
      n = risen < ps ? risen : ps;
    }
    g->power[k] = pack(ps);
    g->floor[k] = pack(n);
  }
  g->first = 0;
}

/* N / P in Q18 (N <= P, P > 0), rounded, with one 32-bit unsigned division (UDIV on a Cortex-M): P shifted right
 * by s until it fits 16 bits (16 significant bits: relative error < 2^-15). Below 1/8, where beta magnifies the
 * ratio's error, N is taken to N 2^(18 - s) (no bits of N lost that matter; < 2^31 because N < P / 8); at and
 * above 1/8 (lb = 0 for beta >= 8) a Q15 quotient of N >> s is enough. */
static uint32_t ratio_q18(uint64_t n, uint64_t p) {
  int s = 0;
  uint32_t p32;
  uint64_t num;
#if defined(__GNUC__)
  if (p >= 0x10000u) s = (64 - __builtin_clzll(p)) - 16;
#else
  while ((p >> s) >= 0x10000u) ++s;
#endif
  p32 = (uint32_t)(p >> s);
  if (n >= (p >> 3)) return (((uint32_t)(n >> s) << 15) + p32 / 2u) / p32 << 3;
  num = s >= 18 ? n >> (s - 18) : n << (18 - s);
  return ((uint32_t)num + p32 / 2u) / p32;
}

void nnsp_floor_guard_apply(const nnsp_floor_guard *g, int16_t gain_q15[NNSP_BINS]) {
  int k;
  if (g->beta_q8 == 0 || g->first) return;
  for (k = 0; k < NNSP_BINS; ++k) {
    const uint64_t p = unpack(g->power[k]);
    const int32_t gain = gain_q15[k];
    uint64_t deficit;
    int32_t lb, weight, bound;
    if (p == 0 || gain <= 0) continue; /* a silent bin gets no bound; a zero gain has zero weight */
    /* beta N / P in Q15 from Q8 x Q18 (below 2^35: one UMULL); lb <= 0 for anything above 2^15. */
    deficit = ((uint64_t)(uint32_t)g->beta_q8 * ratio_q18(unpack(g->floor[k]), p) + (1u << 10)) >> 11;
    if (deficit >= 32768u) continue;
    lb = 32768 - (int32_t)deficit;
    weight = gain >= CONFIDENCE_Q15 ? 32768 : (gain * INV_CONFIDENCE_Q13 + (1 << 12)) >> 13;
    bound = (int32_t)(((int64_t)lb * weight + (1 << 14)) >> 15);
    if (bound > 32767) bound = 32767;
    if (bound > gain) gain_q15[k] = (int16_t)bound;
  }
}
