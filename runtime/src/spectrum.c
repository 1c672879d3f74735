/* Framing, windowing, power spectrum, gain and overlap-add (formats in frontend.h and docs/fixed-point.md). */
#include "asm_function.h"
#include "fft.h"
#include "fixed.h"
#include "frontend.h"
#include "kernels.h" /* NNSP_DSP_KERNELS */
#include "mul_hi.h"
#include "tables.h"

#define POWER_CAP ((uint64_t)1 << 39) /* above any true power: |X| <= sum w < 250, P < 2^16 = 2^39 in Q23 */

int nnsp_window_frame(const int16_t hist[NNSP_WINDOW], int32_t buf[512]) {
  int n;
  /* |x w| < 2^15 * 26755 < 2^30 */
  for (n = 0; n < NNSP_WINDOW; ++n) buf[n] = (int32_t)hist[n] * nnsp_window_q15[n];
  for (n = NNSP_WINDOW; n < NNSP_FFT; ++n) buf[n] = 0;
  return -30;
}

#if NNSP_DSP_KERNELS
/* nnsp_power_q23's usual case in assembly (GCC's loop: 19 instructions per bin, this one 14): re^2 + im^2 +
 * 2^(s-1) by SMULL, SMLAL, ADDS / ADC (the uint64 sum modulo 2^64, below 2^63 + 2^30), shifted right by s from
 * its two words, capped to 2^39 where the high word is at least 128 (the value is then at least 2^39), stored by
 * STRD. r0 spec, r1 out, r2 s, r3 32 - s, r4 2^(s-1), r5 the end of spec; the same numbers as the C loop below. */
void nnsp_power_q23_asm(const int32_t *spec, uint64_t *out, int s);
__asm(NNSP_ASM_BEGIN(nnsp_power_q23_asm)
      "push   {r4-r9, lr}\n\t"
      "rsb    r3, r2, #32\n\t"
      "sub    r4, r2, #1\n\t"
      "movs   r5, #1\n\t"
      "lsl    r4, r5, r4\n\t"
      "add    r5, r0, #2056\n"
      "1:\n\t"
      "ldrd   r6, r7, [r0], #8\n\t"
      "smull  r8, r9, r6, r6\n\t"
      "smlal  r8, r9, r7, r7\n\t"
      "adds   r8, r8, r4\n\t"
      "adc    r9, r9, #0\n\t"
      "lsr    r8, r8, r2\n\t"
      "lsl    r6, r9, r3\n\t"
      "orr    r8, r8, r6\n\t"
      "lsr    r9, r9, r2\n\t"
      "cmp    r9, #128\n\t"
      "bhs    3f\n"
      "2:\n\t"
      "strd   r8, r9, [r1], #8\n\t"
      "cmp    r0, r5\n\t"
      "bne    1b\n\t"
      "pop    {r4-r9, pc}\n"
      "3:\n\t"
      "movs   r8, #0\n\t"
      "movs   r9, #128\n\t"
      "b      2b\n\t"
      NNSP_ASM_END(nnsp_power_q23_asm));
#endif

void nnsp_power_q23(const int32_t *spec, int exp, uint64_t power_q23[NNSP_BINS]) {
  /* P = (re^2 + im^2) 2^(2 exp) in Q23: shift the exact uint64 sum (< 2^63) by 2 exp + 23. */
  const int shift = 2 * exp + 23;
  int k;
#if NNSP_DSP_KERNELS
  if (shift < 0 && shift > -32) {
    nnsp_power_q23_asm(spec, power_q23, -shift);
    return;
  }
#endif
  if (shift < 0 && shift > -32) {
    /* The usual case, nnsp_urshr64(sum, s) for s in [1, 31] from the two words of t = sum + 2^(s-1) (no
     * overflow: sum < 2^63), without a 64-bit variable shift: the same numbers. */
    const int s = -shift;
    const uint64_t half = (uint64_t)1 << (s - 1);
    const int32_t *v = spec;
    uint64_t *out = power_q23;
    /* walking pointers: a bin's two values come with one LDRD and its power goes out with one STRD */
    for (k = 0; k < NNSP_BINS; ++k, v += 2) {
      const int64_t re = v[0], im = v[1];
      const uint64_t t = (uint64_t)(re * re) + (uint64_t)(im * im) + half;
      const uint32_t lo = (uint32_t)t, hi = (uint32_t)(t >> 32);
      const uint64_t p = ((uint64_t)(hi >> s) << 32) | ((lo >> s) | (hi << (32 - s)));
      *out++ = p > POWER_CAP ? POWER_CAP : p;
    }
    return;
  }
  for (k = 0; k < NNSP_BINS; ++k) {
    const int64_t re = spec[2 * k], im = spec[2 * k + 1];
    const uint64_t sum = (uint64_t)(re * re) + (uint64_t)(im * im);
    uint64_t p;
    if (shift >= 0) {
      p = (shift >= 40 || sum > (POWER_CAP >> shift)) ? POWER_CAP : sum << shift;
    } else {
      p = nnsp_urshr64(sum, -shift);
    }
    power_q23[k] = p > POWER_CAP ? POWER_CAP : p;
  }
}

/* One component times its gain, rounded: |x g| < 2^31 2^15, so the result is below 2^31 (no saturation). */
static NNSP_ALWAYS_INLINE int32_t gained(int32_t x, int16_t g) { return (int32_t)nnsp_rshr64((int64_t)x * g, 15); }

#if NNSP_DSP_KERNELS
/* gained(x, g) for 0 <= g <= 32767 as one rounded high-word product (SMMLAR): x g / 2^15 rounded half up is
 * x (g 2^17) / 2^32 rounded half up. g 2^17 fits an int32 for g < 2^14; above, the int32 g17 is g 2^17 - 2^32
 * (negative), so the product's high word lacks x: the accumulator x & (g17 >> 31) adds it back (x for g >= 2^14,
 * 0 below; the sum is the exact result, inside int32). The same numbers, two instructions. */
static NNSP_ALWAYS_INLINE int32_t gained17(int32_t x, int32_t g17) { return nnsp_mla_hi_r(x & (g17 >> 31), x, g17); }
#endif

#if NNSP_DSP_KERNELS
#if NNSP_BINS != 257
#error "nnsp_apply_gain_asm's counts: 127 pairs of bins and one"
#endif
/* One bin of nnsp_apply_gain_asm (below): its gain, both values by SMMLAR, the OR of their magnitudes. */
#define NNSP_APPLY_GAIN_BIN_ASM \
  "ldrsh  r4, [r1], #2\n\t"          \
  "ldrd   r5, r6, [r0]\n\t"          \
  "lsl    r4, r4, #17\n\t"           \
  "and    r7, r5, r4, asr #31\n\t"   \
  "and    r8, r6, r4, asr #31\n\t"   \
  "smmlar r5, r5, r4, r7\n\t"        \
  "smmlar r6, r6, r4, r8\n\t"        \
  "strd   r5, r6, [r0], #8\n\t"      \
  "eor    r7, r5, r5, asr #31\n\t"   \
  "sub    r7, r7, r5, asr #31\n\t"   \
  "orr    r3, r3, r7\n\t"            \
  "eor    r8, r6, r6, asr #31\n\t"   \
  "sub    r8, r8, r6, asr #31\n\t"   \
  "orr    r3, r3, r8\n\t"

/* nnsp_apply_gain's loop over bins 1 .. 255 in assembly (GCC's: 18 instructions per bin, this one 15): gained17
 * (the mask x & (g17 >> 31) as a shifted operand of AND, SMMLAR), the bin's two values by LDRD and STRD (post-
 * indexed), the OR of nnsp_abs_u32 (EOR, SUB); two bins per iteration. r0 spec + 2, r1 gain + 1; returns the OR.
 * The same numbers as the C loop. */
uint32_t nnsp_apply_gain_asm(int32_t *v, const int16_t *g);
__asm(NNSP_ASM_BEGIN(nnsp_apply_gain_asm)
      "push   {r4-r8}\n\t"
      "movs   r3, #0\n\t"
      "add    r2, r0, #2032\n" /* 127 pairs of bins: 254 x 8 bytes */
      "1:\n\t"
      NNSP_APPLY_GAIN_BIN_ASM
      NNSP_APPLY_GAIN_BIN_ASM
      "cmp    r0, r2\n\t"
      "bne    1b\n\t"
      NNSP_APPLY_GAIN_BIN_ASM
      "mov    r0, r3\n\t"
      "pop    {r4-r8}\n\t"
      "bx     lr\n\t"
      NNSP_ASM_END(nnsp_apply_gain_asm));
#endif

uint32_t nnsp_apply_gain(int32_t *spec, const int16_t gain_q15[NNSP_BINS]) {
  uint32_t or_re = 0, or_im = 0;
  int k;
#if NNSP_DSP_KERNELS
  {
    int32_t *v = spec + 2;
    const int16_t *g = gain_q15 + 1;
    spec[0] = gained(spec[0], gain_q15[0]);
    spec[1] = 0;
    spec[2 * (NNSP_BINS - 1)] = gained(spec[2 * (NNSP_BINS - 1)], gain_q15[NNSP_BINS - 1]);
    spec[2 * (NNSP_BINS - 1) + 1] = 0;
    or_re = nnsp_abs_u32(spec[0]) | nnsp_abs_u32(spec[2 * (NNSP_BINS - 1)]);
    return or_re | nnsp_apply_gain_asm(v, g); /* bins 1 .. 255 */
  }
#endif
  /* Bins 0 and 256: real parts only (the inverse ignores the imaginary ones; zeroed). */
  spec[0] = gained(spec[0], gain_q15[0]);
  spec[1] = 0;
  spec[2 * (NNSP_BINS - 1)] = gained(spec[2 * (NNSP_BINS - 1)], gain_q15[NNSP_BINS - 1]);
  spec[2 * (NNSP_BINS - 1) + 1] = 0;
  or_re = nnsp_abs_u32(spec[0]) | nnsp_abs_u32(spec[2 * (NNSP_BINS - 1)]);
  for (k = 1; k < NNSP_BINS - 1; ++k) {
    const int32_t re = gained(spec[2 * k], gain_q15[k]), im = gained(spec[2 * k + 1], gain_q15[k]);
    spec[2 * k] = re;
    spec[2 * k + 1] = im;
    or_re |= nnsp_abs_u32(re);
    or_im |= nnsp_abs_u32(im);
  }
  return or_re | or_im;
}

/* One windowed sample of the inverse transform in Q20: nnsp_requant32(buf w, shift) for shift = exp + 5; with s =
 * -shift in [1, 31] (fast) without a 64-bit variable shift: t = v + 2^(s-1) is exact in int64; t >> s has the
 * low word (lo >> s) | (hi << (32 - s)) and the high word hi >> s, and fits int32 exactly when the high word is
 * the low word's sign; otherwise it saturates by its sign. The same numbers as nnsp_requant32. */
static NNSP_ALWAYS_INLINE int32_t ola_term(int32_t b, int16_t w, int shift, const int fast) {
#if NNSP_DSP_KERNELS
  if (fast == 3) {
    /* s = 15, window values in [0, 2^15) (nnsp_window_q15; the kernels test covers s = 15): b w / 2^15 rounded is
     * gained17(b, w 2^17) (one AND, one SMMLAR; w 2^17 wraps for w >= 2^14, the accumulator adds b back);
     * |b w| / 2^15 < 2^31 needs no saturation. The same numbers. */
    return gained17(b, (int32_t)((uint32_t)(int32_t)w << 17));
  }
#endif
  if (fast) {
    const int s = -shift;
    const int64_t t = (int64_t)b * w + ((int64_t)1 << (s - 1));
    const uint32_t lo = (uint32_t)t;
    const int32_t hi = (int32_t)(t >> 32);
    const int32_t r_lo = (int32_t)((lo >> s) | ((uint32_t)hi << (32 - s)));
    const int32_t r_hi = hi >> s;
    return r_hi == (r_lo >> 31) ? r_lo : (r_hi < 0 ? INT32_MIN : INT32_MAX);
  }
  return nnsp_requant32((int64_t)b * w, shift);
}

#if NNSP_DSP_KERNELS
#if NNSP_WINDOW != 480 || NNSP_HOP != 160
#error "nnsp_ola_smmulr_asm's counts: three parts of 160 samples"
#endif
/* Two samples of the synthesis frame (r6, r7) times their window values shifted left by r3, rounded high words. */
#define NNSP_OLA_WINDOWED_PAIR_ASM \
  "ldrd   r6, r7, [r0], #8\n\t"  \
  "ldrsh  r8, [r4], #2\n\t"      \
  "ldrsh  r9, [r4], #2\n\t"      \
  "lsl    r8, r8, r3\n\t"        \
  "lsl    r9, r9, r3\n\t"        \
  "smmulr r6, r6, r8\n\t"        \
  "smmulr r7, r7, r9\n\t"

/* The overlap-add buffer's two values (r1, advanced) added to r6, r7 with saturation. */
#define NNSP_OLA_ADD_PAIR_ASM \
  "ldrd   r8, r9, [r1], #8\n\t"  \
  "qadd   r6, r8, r6\n\t"        \
  "qadd   r7, r9, r7\n\t"

/* overlap_add for s = -shift in [16, 31] in assembly: there w 2^(32-s) < 2^15 2^16 fits an int32, and floor((b w
 * 2^(32-s) + 2^31) / 2^32) = floor((b w + 2^(s-1)) / 2^s) is ola_term's value, one SMMULR; |b w| / 2^s < 2^31 2^15
 * / 2^16 needs no saturation. Two samples per iteration (GCC's loops with the SMMULR: 12, 9 and 8 instructions per
 * sample, these 10, 7 and 5.5): each term SMMULR(b, w << (32 - s)) from an LDRD of two values of buf and two LDRSH
 * of the window; the first hop's output as nnsp_sat16(nnsp_rshr32(QADD(ola, term), 5)) (UBFX, ADD, SSAT), the
 * second hop summed by QADD and stored a hop lower by STRD, the third stored a hop lower as it comes (overlap_add
 * below). r0 buf, r1 ola, r2 out, r3 32 - s; the same numbers as overlap_add. */
void nnsp_ola_smmulr_asm(const int32_t *buf, int32_t *ola, int16_t *out, int k);
__asm(NNSP_ASM_BEGIN(nnsp_ola_smmulr_asm)
      "push   {r4-r9, lr}\n\t"
      "movw   r4, #:lower16:nnsp_window_q15\n\t"
      "movt   r4, #:upper16:nnsp_window_q15\n\t"
      "mov    r12, r1\n\t"
      "add    r5, r0, #640\n" /* the first hop: output */
      "1:\n\t"
      NNSP_OLA_WINDOWED_PAIR_ASM
      NNSP_OLA_ADD_PAIR_ASM
      "ubfx   r8, r6, #4, #1\n\t"
      "add    r6, r8, r6, asr #5\n\t"
      "ubfx   r9, r7, #4, #1\n\t"
      "add    r7, r9, r7, asr #5\n\t"
      "ssat   r6, #16, r6\n\t"
      "ssat   r7, #16, r7\n\t"
      "strh   r6, [r2], #2\n\t"
      "strh   r7, [r2], #2\n\t"
      "cmp    r0, r5\n\t"
      "bne    1b\n\t"
      "add    r5, r0, #640\n" /* the second hop: summed, a hop lower */
      "2:\n\t"
      NNSP_OLA_WINDOWED_PAIR_ASM
      NNSP_OLA_ADD_PAIR_ASM
      "strd   r6, r7, [r12], #8\n\t"
      "cmp    r0, r5\n\t"
      "bne    2b\n\t"
      "add    r5, r0, #640\n" /* the third hop: a hop lower as it comes */
      "3:\n\t"
      NNSP_OLA_WINDOWED_PAIR_ASM
      "strd   r6, r7, [r12], #8\n\t"
      "cmp    r0, r5\n\t"
      "bne    3b\n\t"
      "pop    {r4-r9, pc}\n\t"
      NNSP_ASM_END(nnsp_ola_smmulr_asm));
#endif

/* The overlap-add in one pass over the window, each part of ola read and written once: the first hop leaves as
 * output, the second moves down a hop as it is summed, and the third, where ola is zero (nnsp_reset clears it and
 * no call writes it), is stored a hop lower as it comes (QADD with 0 is the value). The same numbers as summing
 * into ola, writing the output and moving ola down a hop. fast: a constant in each copy (ola_term). */
static NNSP_ALWAYS_INLINE void overlap_add(const int32_t buf[512], int shift, int32_t ola[NNSP_WINDOW],
                                           int16_t out[NNSP_HOP], const int fast) {
  int n;
  for (n = 0; n < NNSP_HOP; ++n)
    out[n] = nnsp_sat16(nnsp_rshr32(nnsp_add_sat32(ola[n], ola_term(buf[n], nnsp_window_q15[n], shift, fast)), 5));
  for (n = NNSP_HOP; n < NNSP_WINDOW - NNSP_HOP; ++n)
    ola[n - NNSP_HOP] = nnsp_add_sat32(ola[n], ola_term(buf[n], nnsp_window_q15[n], shift, fast));
  for (n = NNSP_WINDOW - NNSP_HOP; n < NNSP_WINDOW; ++n)
    ola[n - NNSP_HOP] = ola_term(buf[n], nnsp_window_q15[n], shift, fast);
}

void nnsp_overlap_add(const int32_t buf[512], int exp, int32_t ola[NNSP_WINDOW], int16_t out[NNSP_HOP]) {
  /* buf[n] 2^exp * w[n] 2^-15 in Q20: (buf w) * 2^(exp - 15 + 20). */
  const int shift = exp + 5;
#if NNSP_DSP_KERNELS
  if (shift <= -16 && shift > -32) {
    nnsp_ola_smmulr_asm(buf, ola, out, 32 + shift);
    return;
  }
  if (shift == -15) {
    overlap_add(buf, shift, ola, out, 3);
    return;
  }
#endif
  if (shift < 0 && shift > -32) overlap_add(buf, shift, ola, out, 1);
  else overlap_add(buf, shift, ola, out, 0);
}
