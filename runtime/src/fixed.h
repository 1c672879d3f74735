/* Integer helpers used by every kernel: saturation and shifts written so that no step is undefined behaviour
 * in C99 (no signed overflow, no left shift of a negative value, no shift by >= the type's width).
 *
 * Right shifts of negative values are implementation-defined in C99; every compiler this targets (GCC, Clang,
 * arm-none-eabi, IAR, Keil) shifts arithmetically, and the typedef below refuses to compile otherwise. */
#ifndef NNSP_FIXED_H
#define NNSP_FIXED_H

#include <stdint.h>

/* Bits needed for v: 0 for 0, else floor(log2 v) + 1 (CLZ where the compiler has it). */
static inline int nnsp_bit_length32(uint32_t v) {
#if defined(__GNUC__)
  return v ? 32 - __builtin_clz(v) : 0;
#else
  int b = 0;
  while (v >> b) ++b;
  return b;
#endif
}

/* A function whose callers pass constants it should be specialized for (GCC and Clang would otherwise keep one
 * out-of-line copy); plain inline elsewhere. */
#if defined(__GNUC__)
#define NNSP_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NNSP_ALWAYS_INLINE inline
#endif

typedef char nnsp_requires_arithmetic_right_shift[((-8) >> 1) == -4 ? 1 : -1];

static inline int16_t nnsp_sat16(int32_t v) {
#if defined(__ARM_FEATURE_SAT) && defined(__GNUC__)
  int32_t r; /* SSAT: one instruction (GCC writes the two comparisons as four with branches) */
  __asm("ssat %0, #16, %1" : "=r"(r) : "r"(v));
  return (int16_t)r;
#else
  return (int16_t)(v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : v));
#endif
}

static inline int16_t nnsp_sat16_64(int64_t v) {
  return (int16_t)(v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : v));
}

static inline int32_t nnsp_sat32(int64_t v) {
  return (int32_t)(v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v));
}

/* v * 2^shift for shift in [0, 61], saturated to [-2^61, 2^61]: two such values plus an int32 still have
 * headroom below 2^62, the bound nnsp_rshr64 needs. */
static inline int64_t nnsp_shl64_sat(int64_t v, int shift) {
  const int64_t limit = (int64_t)1 << 61;
  if (shift <= 0 || v == 0) return v;
  /* The usual case, a product sum that fits int32 shifted by at most 29 (below 2^60: no saturation), without the
   * 64-bit comparisons and multiply. */
  if (v == (int32_t)v && shift <= 29) return (int64_t)((uint64_t)v << shift);
  if (v > (limit >> shift)) return limit;
  if (v < -(limit >> shift)) return -limit;
  return v * ((int64_t)1 << shift);
}

/* Round half up: (v + 2^(shift-1)) >> shift, shift in [1, 62]; needs |v| <= 2^62 + 2^54 (true for every
 * accumulator here: two parts saturated at 2^61 plus an aligned int16 bias below 2^54) so that adding the half
 * cannot overflow. */
static inline int64_t nnsp_rshr64(int64_t v, int shift) {
  return (v + ((int64_t)1 << (shift - 1))) >> shift;
}

/* v * 2^shift with rounding for negative shifts and saturation for positive ones, result saturated to int32.
 * |v| < 2^62. The one requantization step of the library: round half up, saturate. */
static inline int32_t nnsp_requant32(int64_t v, int shift) {
  if (shift > 0) {
    /* v 2^shift fits int32 exactly when -2^(31-shift) <= v < 2^(31-shift); beyond, it saturates (for shift >= 31
     * every v != 0 does: -1 * 2^31 is INT32_MIN itself). The same result as saturating v 2^shift in int64,
     * without the 64-bit multiply. */
    const int32_t limit = (int32_t)1 << (shift >= 31 ? 0 : 31 - shift); /* <= 2^30 */
    if (v >= limit) return INT32_MAX;
    if (v < -limit) return INT32_MIN;
    return (int32_t)((uint32_t)(int32_t)v << (shift >= 31 ? 31 : shift));
  }
  if (shift < 0) {
    if (shift < -62) return 0;
    return nnsp_sat32(nnsp_rshr64(v, -shift));
  }
  return nnsp_sat32(v);
}

/* nnsp_rshr64(v, s) for an int32 v and s in [1, 31], in int32: floor((v + 2^(s-1)) / 2^s) = (v >> s) + bit s-1
 * of v (no intermediate sum, so no overflow). */
static inline int32_t nnsp_rshr32(int32_t v, int s) { return (v >> s) + ((v >> (s - 1)) & 1); }

/* nnsp_requant32((int64_t)v, shift) for an int32 v in int32 arithmetic (the same numbers; cheaper where 64-bit
 * shifts and comparisons take several instructions, as on a Cortex-M). Right shifts: round half up is
 * floor((v + 2^(s-1)) / 2^s) = (v >> s) + bit s-1 of v, which cannot overflow; for s >= 32 the result is 0
 * (v + 2^(s-1) lies in [0, 2^s) for every int32 v). */
static inline int32_t nnsp_requant32_i32(int32_t v, int shift) {
  if (shift > 0) {
    const int32_t limit = (int32_t)1 << (shift >= 31 ? 0 : 31 - shift);
    if (v >= limit) return INT32_MAX;
    if (v < -limit) return INT32_MIN;
    return (int32_t)((uint32_t)v << (shift >= 31 ? 31 : shift));
  }
  if (shift < 0) {
    if (shift <= -32) return 0;
    return nnsp_rshr32(v, -shift);
  }
  return v;
}

/* nnsp_sat32((int64_t)a + b): one QADD where the DSP extension has it. */
static inline int32_t nnsp_add_sat32(int32_t a, int32_t b) {
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  int32_t r;
  __asm("qadd %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
#else
  return nnsp_sat32((int64_t)a + b);
#endif
}

/* Unsigned: round half up, shift in [0, 63], v < 2^63. */
static inline uint64_t nnsp_urshr64(uint64_t v, int shift) {
  if (shift <= 0) return v;
  if (shift > 63) return 0;
  return (v + ((uint64_t)1 << (shift - 1))) >> shift;
}

/* |v| as an unsigned value: exact for INT32_MIN too (2 instructions, no test). */
static inline uint32_t nnsp_abs_u32(int32_t v) {
  const uint32_t sign = (uint32_t)(v >> 31); /* all ones for v < 0: |v| = (v ^ sign) - sign */
  return ((uint32_t)v ^ sign) - sign;
}

static inline int32_t nnsp_abs32_sat(int32_t v) { return v == INT32_MIN ? INT32_MAX : (v < 0 ? -v : v); }

#endif /* NNSP_FIXED_H */
