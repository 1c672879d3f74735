/* The noise-floor guard in fixed point (floor_guard.h). Everything per bin is 32-bit arithmetic on the packed
 * values (the only 64-bit steps: packing the Q23 input power, and one UMULL for the floor's rise), because a
 * Cortex-M4 spends a dozen instructions on every variable 64-bit shift: the first version, on unpacked uint64
 * values, cost 43k instructions per frame there. */
#include "floor_guard.h"

#include <string.h>

#include "asm_function.h"
#include "fixed.h"
#include "frontend.h" /* nnsp_power_q23 */
#include "kernels.h"  /* NNSP_DSP_KERNELS */

#define RISE_Q30 1098752484u   /* 10^(10 dB / 10 / 100 frames) = 1.0232930 per frame, Q30 */
#define CONFIDENCE_Q15 9830    /* 0.3: the network gain at and above which the bound applies in full */
#define INV_CONFIDENCE_Q13 27307 /* 1 / 0.3, Q13 */
#define MBITS 27               /* mantissa bits of a packed value */
#define MMASK ((1u << MBITS) - 1u)

/* A packed value x = (e << 27) | m stands for m 2^e in Q40 (m < 2^27; m >= 2^26 whenever e > 0), so packed values
 * compare as unsigned integers exactly as the numbers do. */

/* A Q23 power (< 2^40) as a packed Q40 value: p 2^17 with its 27 leading bits (truncated below). */
static NNSP_ALWAYS_INLINE uint32_t pack_q23(uint64_t p) {
  const uint32_t hi = (uint32_t)(p >> 32), lo = (uint32_t)p;
  const int bits = hi ? 32 + nnsp_bit_length32(hi) : nnsp_bit_length32(lo);
  if (bits <= 10) return lo << 17; /* below 2^27 in Q40: exact, e = 0 */
  if (bits <= MBITS) return ((uint32_t)(bits - 10) << MBITS) | (lo << (MBITS - bits));
  /* bits in [28, 40] (p <= 2^39, nnsp_power_q23's cap): m = p >> s for s = bits - 27 in [1, 13], from the two
   * words (hi < 2^8). */
  {
    const int s = bits - MBITS;
    return ((uint32_t)(bits - 10) << MBITS) | (lo >> s) | (hi << (32 - s));
  }
}

/* (a + b) / 2 of two packed values: the smaller mantissa aligned to the larger exponent (its bits below that are
 * dropped: < 2^-26 relative), then halved by the exponent (or, for e = 0, by a rounded shift). */
static uint32_t average(uint32_t a, uint32_t b) {
  const uint32_t big = a > b ? a : b, small = a > b ? b : a;
  const uint32_t e = big >> MBITS, d = e - (small >> MBITS);
  const uint32_t sum = (big & MMASK) + (d < 32u ? (small & MMASK) >> d : 0u); /* < 2^28 */
  if (e == 0) return (sum + 1u) >> 1;                                        /* < 2^27: still e = 0 */
  if (sum >= (1u << MBITS)) return (e << MBITS) | (sum >> 1);                 /* sum 2^(e-1) = (sum / 2) 2^e */
  return ((e - 1u) << MBITS) | sum;                                           /* sum >= 2^26: normalized */
}

/* n r + 2^-40 (the float guard's n r + 1e-12): the mantissa times r in Q30 (one UMULL), renormalized. */
static uint32_t rise(uint32_t n) {
  uint32_t e = n >> MBITS;
  uint32_t m = (uint32_t)(((uint64_t)(n & MMASK) * RISE_Q30) >> 30); /* < 2^27 * 1.03 */
  if (e == 0) ++m; /* the 2^-40: below a mantissa step for e > 0 */
  if (m >= (1u << MBITS)) {
    m >>= 1;
    ++e;
  }
  return (e << MBITS) | m;
}

#if NNSP_DSP_KERNELS
/* nnsp_power_q23's usual case (shift s = -(2 exp + 23) in [1, 31]), pack_q23 and the trackers' update of
 * nnsp_floor_guard_observe (average, rise, minimum) in one loop over the bins, in assembly: GCC's two loops took
 * 77 instructions per bin (the 64-bit powers stored and loaded again, spills), this one about 54 on the usual
 * path. The same numbers:
 * - power: re^2 + im^2 + 2^(s-1) by SMULL, SMLAL, ADDS / ADC (modulo 2^64 as the uint64 sum; below 2^63 + 2^30),
 *   p = that >> s from the two words; p >= 2^39 (high word >= 128) is the cap 2^39 (capped or exactly it), whose
 *   packed value is 0xF4000000 (e = 30, m = 2^26);
 * - pack_q23: for p < 2^32 with c = clz(p) < 22 (more than 10 bits), e = 22 - c and m = (p << c) >> 5 (the 27
 *   leading bits, truncated; exact when p has at most 27), otherwise p << 17; for p >= 2^32 with c = clz(high
 *   word) in [25, 31], e = 54 - c and m = the 64-bit value's 32 leading bits >> 5;
 * - average: the two values ordered (big, small), d = e - small's exponent (always in [0, 31], so LSR by d
 *   needs no test), sum = the mantissas aligned; e = 0: (sum + 1) >> 1; sum >= 2^27: (e << 27) + (sum >> 1);
 *   otherwise (e << 27) + sum - 2^27;
 * - rise: (m r) >> 30 with r = 2^30 + delta is m + (m delta) >> 30 exactly (m 2^30 is a multiple of 2^30), and
 *   (m delta) >> 30 = (m 4 delta) >> 32 (m < 2^27, 4 delta < 2^31, both positive): one SMMLA (truncating); + 1
 *   for e = 0, renormalized; the floor = the smaller of that and the average.
 * r0 spec (walking), r1 power, r2 floor (walking), r3 s, r4 32 - s, r5 2^(s-1), r6 4 delta = 4 (RISE_Q30 - 2^30),
 * r7 the end of spec; r8..r12 and lr temporaries. */
void nnsp_floor_guard_track_asm(const int32_t *spec, uint32_t *power, uint32_t *floor, int s);
__asm(NNSP_ASM_BEGIN(nnsp_floor_guard_track_asm)
      "push   {r4-r11, lr}\n\t"
      "rsb    r4, r3, #32\n\t"
      "sub    r5, r3, #1\n\t"
      "movs   r6, #1\n\t"
      "lsl    r5, r6, r5\n\t"
      "movw   r6, #:lower16:100042640\n\t"
      "movt   r6, #:upper16:100042640\n\t"
      "add    r7, r0, #2056\n"
      "1:\n\t"
      "ldrd   r8, r9, [r0], #8\n\t"
      "smull  r10, r11, r8, r8\n\t"
      "smlal  r10, r11, r9, r9\n\t"
      "adds   r10, r10, r5\n\t"
      "adc    r11, r11, #0\n\t"
      "lsr    r10, r10, r3\n\t"
      "lsl    r8, r11, r4\n\t"
      "orr    r10, r10, r8\n\t"
      "lsrs   r11, r11, r3\n\t"
      "bne    5f\n\t"
      "clz    r9, r10\n\t"
      "cmp    r9, #22\n\t"
      "bcs    6f\n\t"
      "lsl    r8, r10, r9\n\t"
      "rsb    r9, r9, #22\n\t"
      "lsl    r9, r9, #27\n\t"
      "orr    r8, r9, r8, lsr #5\n"
      "2:\n\t"
      "ldr    r9, [r1]\n\t"
      "cmp    r9, r8\n\t"
      "ittt   hi\n\t"
      "movhi  r10, r8\n\t"
      "movhi  r8, r9\n\t"
      "movhi  r9, r10\n\t"
      "lsr    r10, r8, #27\n\t"
      "sub    r11, r10, r9, lsr #27\n\t"
      "bic    r9, r9, #0xF8000000\n\t"
      "lsr    r9, r9, r11\n\t"
      "bic    r11, r8, #0xF8000000\n\t"
      "add    r9, r9, r11\n\t"
      "ands   r8, r8, #0xF8000000\n\t"
      "beq    7f\n\t"
      "cmp    r9, #0x8000000\n\t"
      "itee   hs\n\t"
      "addhs  r8, r8, r9, lsr #1\n\t"
      "addlo  r8, r8, r9\n\t"
      "sublo  r8, r8, #0x8000000\n"
      "3:\n\t"
      "str    r8, [r1], #4\n\t"
      "ldr    r9, [r2]\n\t"
      "bic    r10, r9, #0xF8000000\n\t"
      "smmla  r10, r10, r6, r10\n\t"
      "ands   r9, r9, #0xF8000000\n\t"
      "it     eq\n\t"
      "addeq  r10, r10, #1\n\t"
      "cmp    r10, #0x8000000\n\t"
      "itt    hs\n\t"
      "lsrhs  r10, r10, #1\n\t"
      "addhs  r9, r9, #0x8000000\n\t"
      "orr    r9, r9, r10\n\t"
      "cmp    r9, r8\n\t"
      "it     hs\n\t"
      "movhs  r9, r8\n\t"
      "str    r9, [r2], #4\n\t"
      "cmp    r0, r7\n\t"
      "bne    1b\n\t"
      "pop    {r4-r11, pc}\n"
      "5:\n\t"
      "clz    r9, r11\n\t"
      "cmp    r9, #24\n\t"
      "bls    8f\n\t"
      "lsl    r8, r11, r9\n\t"
      "rsb    r11, r9, #32\n\t"
      "lsr    r11, r10, r11\n\t"
      "orr    r8, r8, r11\n\t"
      "rsb    r9, r9, #54\n\t"
      "lsl    r9, r9, #27\n\t"
      "orr    r8, r9, r8, lsr #5\n\t"
      "b      2b\n"
      "6:\n\t"
      "lsl    r8, r10, #17\n\t"
      "b      2b\n"
      "7:\n\t"
      "add    r8, r9, #1\n\t"
      "lsr    r8, r8, #1\n\t"
      "b      3b\n"
      "8:\n\t"
      "mov    r8, #0xF4000000\n\t"
      "b      2b\n\t"
      NNSP_ASM_END(nnsp_floor_guard_track_asm));
#endif

void nnsp_floor_guard_reset(nnsp_floor_guard *g) {
  memset(g->power, 0, NNSP_BINS * sizeof(uint32_t));
  memset(g->floor, 0, NNSP_BINS * sizeof(uint32_t));
  g->first = 1;
}

void nnsp_floor_guard_observe(nnsp_floor_guard *g, const uint64_t power_q23[NNSP_BINS]) {
  int k;
  if (!nnsp_floor_guard_tracking(g)) return;
  if (g->first) {
    for (k = 0; k < NNSP_BINS; ++k) g->power[k] = g->floor[k] = pack_q23(power_q23[k]);
    g->first = 0;
    return;
  }
  for (k = 0; k < NNSP_BINS; ++k) {
    const uint32_t ps = average(g->power[k], pack_q23(power_q23[k])), risen = rise(g->floor[k]);
    g->power[k] = ps;
    g->floor[k] = risen < ps ? risen : ps;
  }
}

void nnsp_floor_guard_observe_spec(nnsp_floor_guard *g, const int32_t *spec, int exp, uint64_t power_q23[NNSP_BINS]) {
#if NNSP_DSP_KERNELS
  const int shift = 2 * exp + 23;
  if (nnsp_floor_guard_tracking(g) && !g->first && shift < 0 && shift > -32) {
    nnsp_floor_guard_track_asm(spec, g->power, g->floor, -shift);
    return;
  }
#endif
  nnsp_power_q23(spec, exp, power_q23);
  nnsp_floor_guard_observe(g, power_q23);
}

/* N / P in Q18 (N <= P, P > 0), rounded, with one 32-bit unsigned division (UDIV on a Cortex-M): P's value shifted
 * right by s until it fits 16 bits (its 16 leading bits: relative error < 2^-15). Below 1/8, where beta magnifies
 * the ratio's error, the numerator is N 2^(18 - s) (< 2^31 because N < P / 8); at and above 1/8 (lb = 0 for
 * beta >= 8) a Q15 quotient of N >> s is enough. */
static uint32_t ratio_q18(uint32_t n, uint32_t p) {
  const int ep = (int)(p >> MBITS), en = (int)(n >> MBITS);
  const uint32_t mp = p & MMASK, mn = n & MMASK;
  const int sp = ep > 0 ? MBITS - 16 : (nnsp_bit_length32(mp) > 16 ? nnsp_bit_length32(mp) - 16 : 0);
  const int s = ep + sp, down = s - en; /* N >> s = mn >> down, down >= 0 */
  const uint32_t p32 = mp >> sp, n16 = down < 32 ? mn >> down : 0u;
  int up;
  if (n16 >= (p32 >> 3)) return (((n16 << 15) + p32 / 2u) / p32) << 3;
  up = en + 18 - s; /* N 2^(18 - s) = mn 2^up */
  return ((up >= 0 ? mn << up : (-up < 32 ? mn >> -up : 0u)) + p32 / 2u) / p32;
}

/* With beta >= 520 / 256 (beta_q8 >= 520), a bin whose floor is at least half its power has lb <= 0 and keeps
 * its gain: ratio_q18 then takes its first branch with n16 >= floor(p32 / 2) (N 2^-s >= P 2^-(s+1)), so the ratio
 * is at least 8 floor(2^15 (p32 - 1) / (2 p32)) >= 2^17 - 8 (p32 >= 2^15), and the deficit at least
 * beta_q8 (64 - 2^-8) - 1 >= 32768 for beta_q8 >= 513. Tested on the packed values where P's exponent is at least
 * 1 (P / 2 is then P's word less one exponent step, exactly); N <= P always (the floor is a minimum with P). The
 * test skips the division and its unpacking in falling and steady noise-only bins; the same numbers. */
#define HALF_FLOOR_BETA_Q8 520

#if NNSP_DSP_KERNELS
/* nnsp_floor_guard_apply's loop for beta_q8 in [HALF_FLOOR_BETA_Q8, 65535] in assembly (GCC's took about 57
 * instructions on the path with the division, this one about 40). The same numbers, step by step:
 * - the tests in the C loop's order: p = 0, gain outside [1, 32766], the half-floor test (SUBS gives p - 2^27 and
 *   whether p >= 2^27; the comparison with n runs only then);
 * - ratio_q18: for ep > 0, p32 = bits 11..26 of p (UBFX) and down = ep + 11 - en; for ep = 0, sp = 16 - clz(p)
 *   if positive, down = sp - en; n16 = mn >> down (a register shift by 32 to 255 gives 0, as the C's test does),
 *   then the C's two branches (up = 18 - down);
 * - the deficit beta r / 2^11 (rounded) is at least 32768 exactly when r >= t_skip = ceil((2^26 - 1024) / beta)
 *   (the caller's), and below that beta r < 2^26 fits 32 bits: one MUL instead of UMULL;
 * - for gain >= 9830 (weight 32768) the bound is lb itself ((lb 2^15 + 2^14) >> 15), capped to 32767 by USAT;
 *   below, the C's weight and bound (at most 32764: no cap).
 * r0 power, r1 floor, r2 gains (walking; the store goes to [r2, -2]), r3 the end of power, r4 beta, r5 t_skip,
 * lr 32766; r6 p, r7 n (then mn), r8 gain, r9 .. r12 temporaries. */
void nnsp_floor_guard_apply_asm(const uint32_t *power, const uint32_t *floor, int16_t *gain_q15, int32_t beta_q8,
                                uint32_t t_skip);
__asm(NNSP_ASM_BEGIN(nnsp_floor_guard_apply_asm)
      "push   {r4-r11, lr}\n\t"
      "mov    r4, r3\n\t"
      "ldr    r5, [sp, #36]\n\t"
      "add    r3, r0, #1028\n\t"
      "movw   lr, #32766\n"
      "1:\n\t"
      "ldr    r6, [r0], #4\n\t"
      "ldr    r7, [r1], #4\n\t"
      "ldrsh  r8, [r2], #2\n\t"
      "cmp    r6, #0\n\t"
      "beq    9f\n\t"
      "sub    r9, r8, #1\n\t"
      "cmp    r9, lr\n\t"
      "bhs    9f\n\t"
      "subs   r9, r6, #0x8000000\n\t"
      "it     hs\n\t"
      "cmphs  r7, r9\n\t"
      "bhs    9f\n\t"
      "lsrs   r9, r6, #27\n\t"
      "beq    20f\n\t"
      "ubfx   r10, r6, #11, #16\n\t"
      "add    r11, r9, #11\n\t"
      "sub    r11, r11, r7, lsr #27\n\t"
      "bic    r7, r7, #0xF8000000\n"
      "3:\n\t"
      "lsr    r9, r7, r11\n\t"
      "cmp    r9, r10, lsr #3\n\t"
      "bcc    4f\n\t"
      "lsl    r9, r9, #15\n\t"
      "add    r9, r9, r10, lsr #1\n\t"
      "udiv   r9, r9, r10\n\t"
      "lsl    r9, r9, #3\n\t"
      "b      5f\n"
      "4:\n\t"
      "rsbs   r12, r11, #18\n\t"
      "bmi    6f\n\t"
      "lsl    r9, r7, r12\n\t"
      "b      7f\n"
      "6:\n\t"
      "rsb    r12, r12, #0\n\t"
      "lsr    r9, r7, r12\n"
      "7:\n\t"
      "add    r9, r9, r10, lsr #1\n\t"
      "udiv   r9, r9, r10\n"
      "5:\n\t"
      "cmp    r9, r5\n\t"
      "bhs    9f\n\t"
      "mul    r9, r9, r4\n\t"
      "add    r9, r9, #1024\n\t"
      "lsr    r9, r9, #11\n\t"
      "rsb    r9, r9, #32768\n\t"
      "movw   r12, #9830\n\t"
      "cmp    r8, r12\n\t"
      "blt    8f\n\t"
      "usat   r9, #15, r9\n\t"
      "cmp    r9, r8\n\t"
      "it     gt\n\t"
      "strhgt r9, [r2, #-2]\n\t"
      "b      9f\n"
      "8:\n\t"
      "movw   r12, #27307\n\t"
      "mul    r12, r8, r12\n\t"
      "add    r12, r12, #4096\n\t"
      "asr    r12, r12, #13\n\t"
      "mul    r9, r9, r12\n\t"
      "add    r9, r9, #16384\n\t"
      "asr    r9, r9, #15\n\t"
      "cmp    r9, r8\n\t"
      "it     gt\n\t"
      "strhgt r9, [r2, #-2]\n"
      "9:\n\t"
      "cmp    r0, r3\n\t"
      "bne    1b\n\t"
      "pop    {r4-r11, pc}\n"
      "20:\n\t"
      "clz    r12, r6\n\t"
      "rsbs   r12, r12, #16\n\t"
      "it     mi\n\t"
      "movmi  r12, #0\n\t"
      "lsr    r10, r6, r12\n\t"
      "sub    r11, r12, r7, lsr #27\n\t"
      "bic    r7, r7, #0xF8000000\n\t"
      "b      3b\n\t"
      NNSP_ASM_END(nnsp_floor_guard_apply_asm));
#endif

void nnsp_floor_guard_apply(const nnsp_floor_guard *g, int16_t gain_q15[NNSP_BINS]) {
#if NNSP_DSP_KERNELS
  const int32_t beta_q8 = g->beta_q8;
  if (beta_q8 >= HALF_FLOOR_BETA_Q8 && beta_q8 <= 65535 && !g->first) {
    nnsp_floor_guard_apply_asm(g->power, g->floor, gain_q15, beta_q8,
                               ((1u << 26) - 1024u + (uint32_t)beta_q8 - 1u) / (uint32_t)beta_q8);
    return;
  }
#endif
  nnsp_floor_guard_apply_portable(g, gain_q15);
}

void nnsp_floor_guard_apply_portable(const nnsp_floor_guard *g, int16_t gain_q15[NNSP_BINS]) {
  const uint32_t *const power = g->power, *const floor = g->floor; /* not reloaded after each gain store */
  const int32_t beta_q8 = g->beta_q8;
  const int half_test = beta_q8 >= HALF_FLOOR_BETA_Q8;
  int k;
  if (beta_q8 == 0 || g->first) return;
  for (k = 0; k < NNSP_BINS; ++k) {
    const uint32_t p = power[k], n = floor[k];
    const int32_t gain = gain_q15[k];
    uint64_t deficit;
    int32_t lb, weight, bound;
    /* A silent bin gets no bound; a zero gain has zero weight; a gain of 32767 is already at any bound's cap. */
    if (p == 0 || (uint32_t)(gain - 1) >= 32766u) continue;
    if (half_test && p >= (1u << MBITS) && n >= p - (1u << MBITS)) continue; /* N >= P / 2: lb <= 0 */
    /* beta N / P in Q15 from Q8 x Q18 (below 2^35: one UMULL); lb <= 0 for anything above 2^15. */
    deficit = ((uint64_t)(uint32_t)beta_q8 * ratio_q18(n, p) + (1u << 10)) >> 11;
    if (deficit >= 32768u) continue;
    lb = 32768 - (int32_t)deficit;
    weight = gain >= CONFIDENCE_Q15 ? 32768 : (gain * INV_CONFIDENCE_Q13 + (1 << 12)) >> 13;
    bound = (lb * weight + (1 << 14)) >> 15; /* < 2^30 */
    if (bound > 32767) bound = 32767;
    if (bound > gain) gain_q15[k] = (int16_t)bound;
  }
}
