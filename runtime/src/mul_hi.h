/* Rounded high-word products: round(a b / 2^32) (half up) and its accumulating forms, the Arm DSP extension's
 * SMMULR, SMMLAR and SMMLSR. One instruction each on a Cortex-M4 instead of a 64-bit multiply, its rounding and
 * the reassembly of the word (about six); the C forms below give the same numbers everywhere else (and under
 * -DNNSP_PORTABLE_KERNELS, so that the emulation tests compare the two). The FFT's twiddle products use them. */
#ifndef NNSP_MUL_HI_H
#define NNSP_MUL_HI_H

#include <stdint.h>

#include "kernels.h" /* NNSP_DSP_KERNELS */

/* floor((a b + 2^31) / 2^32): |result| <= 2^30 (SMMULR). */
static inline int32_t nnsp_mul_hi_r(int32_t a, int32_t b) {
#if NNSP_DSP_KERNELS
  int32_t r;
  __asm("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
#else
  return (int32_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32);
#endif
}

/* acc + floor((a b + 2^31) / 2^32), the sum taken modulo 2^32 as the instruction does (SMMLAR: (acc 2^32 + a b +
 * 2^31) >> 32 has acc's whole word plus the product's rounded high word). Callers keep the sum inside int32. */
static inline int32_t nnsp_mla_hi_r(int32_t acc, int32_t a, int32_t b) {
#if NNSP_DSP_KERNELS
  int32_t r;
  __asm("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
#else
  return (int32_t)((uint32_t)acc + (uint32_t)(int32_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32));
#endif
}

/* acc + floor((-a b + 2^31) / 2^32), modulo 2^32 (SMMLSR: (acc 2^32 - a b + 2^31) >> 32). -a b is exact in int64
 * (|a b| <= 2^62). */
static inline int32_t nnsp_mls_hi_r(int32_t acc, int32_t a, int32_t b) {
#if NNSP_DSP_KERNELS
  int32_t r;
  __asm("smmlsr %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
#else
  return (int32_t)((uint32_t)acc + (uint32_t)(int32_t)((((int64_t)1 << 31) - (int64_t)a * b) >> 32));
#endif
}

#endif /* NNSP_MUL_HI_H */
