/* Integer helpers used by every kernel: saturation and shifts written so that no step is undefined behaviour
 * in C99 (no signed overflow, no left shift of a negative value, no shift by >= the type's width).
 *
 * Right shifts of negative values are implementation-defined in C99; every compiler this targets (GCC, Clang,
 * arm-none-eabi, IAR, Keil) shifts arithmetically, and the typedef below refuses to compile otherwise. */
#ifndef NNSP_FIXED_H
#define NNSP_FIXED_H

#include <stdint.h>

typedef char nnsp_requires_arithmetic_right_shift[((-8) >> 1) == -4 ? 1 : -1];

static inline int16_t nnsp_sat16(int32_t v) {
  return (int16_t)(v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : v));
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

/* Round half up: (v + 2^(shift-1)) >> shift, shift in [1, 62]; needs |v| <= 2^62 + 2^32 (true for every
 * accumulator here) so that adding the half cannot overflow. */
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

/* Unsigned: round half up, shift in [0, 63], v < 2^63. */
static inline uint64_t nnsp_urshr64(uint64_t v, int shift) {
  if (shift <= 0) return v;
  if (shift > 63) return 0;
  return (v + ((uint64_t)1 << (shift - 1))) >> shift;
}

static inline int32_t nnsp_abs32_sat(int32_t v) { return v == INT32_MIN ? INT32_MAX : (v < 0 ? -v : v); }

#endif /* NNSP_FIXED_H */
