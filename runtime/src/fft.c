/* Block-floating-point radix-2 FFT. Bounds (docs/fixed-point.md): a butterfly a +- W b grows one component by
 * at most 1 + sqrt(2) < 2.42, so a block whose largest component is <= 2^29 cannot leave int32 in one stage;
 * the real-FFT split and merge grow by at most 2 + sqrt(2) and run on blocks <= 2^28. */
#include "fft.h"

#include "fixed.h"
#include "tables.h"

#define HALF 256 /* complex points */

/* The smallest s with (m >> s) < 2^bits. */
static int guard_shift(int32_t m, int bits) {
  int s = 0;
  while ((m >> s) >= ((int32_t)1 << bits)) ++s;
  return s;
}

/* v rounded half up after a right shift by s >= 1, equal to nnsp_rshr64(v, s) without leaving int32:
 * floor((floor(v / 2^(s-1)) + 1) / 2) = floor((v + 2^(s-1)) / 2^s). */
static int32_t rshr32(int32_t v, int s) { return ((v >> (s - 1)) + 1) >> 1; }

/* Guard a block whose largest magnitude is m: shift right (round half up) until that is below 2^bits; returns
 * the shift. */
static int guard_max(int32_t *v, int n, int bits, int32_t m) {
  const int s = guard_shift(m, bits);
  int i;
  if (s > 0)
    for (i = 0; i < n; ++i) v[i] = rshr32(v[i], s);
  return s;
}

/* The largest magnitude of a block as far as the shifts here can tell, from the OR of all |v[i]| (cheaper than
 * a maximum, and a transform stage can keep it while writing): it has the same highest set bit as the maximum,
 * and every shift below depends on nothing else. INT32_MIN counts as INT32_MAX. */
static uint32_t abs_u32(int32_t v) {
  const uint32_t sign = (uint32_t)(v >> 31); /* all ones for v < 0: |v| = (v ^ sign) - sign, exact for INT32_MIN */
  return ((uint32_t)v ^ sign) - sign;
}
static int32_t magnitude_bits(uint32_t or_abs) { return or_abs > (uint32_t)INT32_MAX ? INT32_MAX : (int32_t)or_abs; }

/* Normalize a block before a transform: shift left so that the largest magnitude reaches [2^(bits-1), 2^bits)
 * (precision for quiet blocks), or guard it (shift right, rounded) below 2^bits. Returns the exponent change:
 * minus the left shift, or the right shift. */
static int normalize(int32_t *v, int n, int bits) {
  uint32_t or_abs = 0;
  int32_t m;
  int s = 0, i;
  for (i = 0; i < n; ++i) or_abs |= abs_u32(v[i]);
  m = magnitude_bits(or_abs); /* the shifts below depend on nothing but its highest set bit */
  if (m == 0 || m >= ((int32_t)1 << (bits - 1))) return guard_max(v, n, bits, m);
  while (m < ((int32_t)1 << (bits - 1))) {
    m *= 2;
    ++s;
  }
  for (i = 0; i < n; ++i) v[i] *= ((int32_t)1 << s); /* |v[i]| * 2^s < 2^bits: no overflow */
  return -s;
}

/* e^(-2 pi i k / 512) = cos - i sin for k = 0..256. */
static void twiddle(int k, int32_t *c, int32_t *s) {
  if (k == HALF) {
    *c = -INT32_MAX;
    *s = 0;
  } else {
    *c = nnsp_cos_q31[k];
    *s = nnsp_sin_q31[k];
  }
}

/* The 8-bit reversal of i by swapping nibbles, bit pairs, then bits (a few instructions instead of a loop). */
static int bit_reverse8(int i) {
  int r = ((i >> 4) | (i << 4)) & 0xFF;
  r = ((r & 0xCC) >> 2) | ((r & 0x33) << 2);
  return ((r & 0xAA) >> 1) | ((r & 0x55) << 1);
}

/* The second half of a butterfly: a' = a + t, b' = a - t; returns the OR of the four magnitudes written. */
static uint32_t butterfly_out(int32_t *a, int32_t *b, int32_t ar, int32_t ai, int32_t tr, int32_t ti) {
  const int32_t a0 = ar + tr, a1 = ai + ti, b0 = ar - tr, b1 = ai - ti;
  a[0] = a0;
  a[1] = a1;
  b[0] = b0;
  b[1] = b1;
  return abs_u32(a0) | abs_u32(a1) | abs_u32(b0) | abs_u32(b1);
}

/* In-place 256-point complex FFT (inverse = 0: e^-; 1: e^+, unnormalized) on interleaved z[512] holding values
 * below 2^30 in magnitude; returns the largest magnitude of the result as magnitude_bits gives it.
 * Each stage is preceded by the guard (shift every value right, rounded, by the smallest s that brings the
 * block's largest magnitude below 2^29). Instead of separate passes, the shift is applied as each butterfly
 * loads its inputs (every value is loaded once per stage) and s comes from the magnitudes the previous stage
 * wrote: the same numbers. (v + 2^(s-1)) >> s stays in int32: the values loaded are below 2^30 (the input) or
 * 2.42 * 2^29 (a stage's output from guarded inputs), so s <= 2 and v + 2 < 2^31. Butterflies sharing a twiddle run together, and those with W = 1
 * (k = 0) and W = -i (k = 128) need no multiply: for |b| <= 2^29, rnd(b (2^31 - 1), 31) = b exactly. */
static int32_t cfft256(int32_t *z, int inverse, int *exp) {
  int32_t *const end = z + 2 * HALF;
  uint32_t bits = 0;
  int i, len;
  for (i = 0; i < HALF; ++i) {
    const int j = bit_reverse8(i);
    if (j > i) {
      int32_t t = z[2 * i];
      z[2 * i] = z[2 * j];
      z[2 * j] = t;
      t = z[2 * i + 1];
      z[2 * i + 1] = z[2 * j + 1];
      z[2 * j + 1] = t;
    }
  }
  for (i = 0; i < 2 * HALF; ++i) bits |= abs_u32(z[i]);
  for (len = 2; len <= HALF; len *= 2) {
    const int half = len / 2, step = 512 / len, s = guard_shift(magnitude_bits(bits), 29);
    const int32_t round = ((int32_t)1 << s) >> 1;
    int j;
    *exp += s;
    bits = 0;
    for (j = 0; j < half; ++j) {
      const int k = j * step;
      int32_t *a;
      if (k == 0) {
        for (a = z + 2 * j; a < end; a += 2 * len) {
          int32_t *b = a + 2 * half;
          bits |= butterfly_out(a, b, (a[0] + round) >> s, (a[1] + round) >> s, (b[0] + round) >> s,
                                (b[1] + round) >> s);
        }
      } else if (k == HALF / 2) {
        /* W = -i (forward) or +i (inverse): t = (bi, -br) or (-bi, br). */
        for (a = z + 2 * j; a < end; a += 2 * len) {
          int32_t *b = a + 2 * half;
          const int32_t br = (b[0] + round) >> s, bi = (b[1] + round) >> s;
          bits |= butterfly_out(a, b, (a[0] + round) >> s, (a[1] + round) >> s, inverse ? -bi : bi,
                                inverse ? br : -br);
        }
      } else {
        int32_t c, sn;
        twiddle(k, &c, &sn);
        if (inverse) sn = -sn;
        for (a = z + 2 * j; a < end; a += 2 * len) {
          int32_t *b = a + 2 * half;
          const int32_t br = (b[0] + round) >> s, bi = (b[1] + round) >> s;
          /* b (c - i s): components <= sqrt(2) 2^29 * 2^31 < 2^61 before the shift. */
          const int32_t tr = (int32_t)nnsp_rshr64((int64_t)br * c + (int64_t)bi * sn, 31);
          const int32_t ti = (int32_t)nnsp_rshr64((int64_t)bi * c - (int64_t)br * sn, 31);
          bits |= butterfly_out(a, b, (a[0] + round) >> s, (a[1] + round) >> s, tr, ti);
        }
      }
    }
  }
  return magnitude_bits(bits);
}

/* p + q and p - q for values whose sum and difference stay in int32 (the block bounds), computed in uint32: the
 * same numbers, but the compiler cannot widen them to 64 bits ahead of the multiplies below (it may for a signed
 * sum, whose overflow it assumes away), which keeps each product a single 32 x 32 -> 64 multiply. */
static int32_t add32(int32_t p, int32_t q) { return (int32_t)((uint32_t)p + (uint32_t)q); }
static int32_t sub32(int32_t p, int32_t q) { return (int32_t)((uint32_t)p - (uint32_t)q); }

/* Bin k (0..256) of the real spectrum, 2X[k], from the complex transform z (W^k = c - i s). */
static void split_bin(const int32_t *buf, int k, int32_t c, int32_t s, int32_t *spec) {
  const int a = 2 * (k % HALF), b = 2 * ((HALF - k) % HALF);
  const int32_t fer = add32(buf[a], buf[b]), fei = sub32(buf[a + 1], buf[b + 1]);
  const int32_t for_ = add32(buf[a + 1], buf[b + 1]), foi = sub32(buf[b], buf[a]);
  /* (for + i foi)(c - i s) */
  spec[2 * k] = fer + (int32_t)nnsp_rshr64((int64_t)for_ * c + (int64_t)foi * s, 31);
  spec[2 * k + 1] = fei + (int32_t)nnsp_rshr64((int64_t)foi * c - (int64_t)for_ * s, 31);
}

void nnsp_rfft512(int32_t buf[512], int32_t spec[NNSP_SPEC_VALUES], int *exp) {
  int32_t c, s;
  int k;
  /* z[n] = x[2n] + i x[2n+1] is the same memory. */
  *exp += normalize(buf, 512, 29);
  *exp += guard_max(buf, 512, 28, cfft256(buf, 0, exp));
  /* X[k] = Fe[k] + W^k Fo[k], Fe = (Z[k] + conj Z[256-k]) / 2, Fo = (Z[k] - conj Z[256-k]) / 2i; computed
   * as 2X (the halving goes into the exponent). Bin 256 (W = -1) apart, so that the loop reads the tables. */
  for (k = 0; k < HALF; ++k) split_bin(buf, k, nnsp_cos_q31[k], nnsp_sin_q31[k], spec);
  twiddle(HALF, &c, &s);
  split_bin(buf, HALF, c, s, spec);
  *exp -= 1;
}

void nnsp_irfft512(int32_t spec[NNSP_SPEC_VALUES], int32_t buf[512], int *exp) {
  int k;
  spec[1] = 0;
  spec[2 * HALF + 1] = 0;
  *exp += normalize(spec, NNSP_SPEC_VALUES, 28);
  /* 2 Z[k] = (X[k] + conj X[256-k]) + i W^-k (X[k] - conj X[256-k]). */
  for (k = 0; k < HALF; ++k) {
    const int a = 2 * k, b = 2 * (HALF - k);
    const int32_t fer = add32(spec[a], spec[b]), fei = sub32(spec[a + 1], spec[b + 1]);
    const int32_t dr = sub32(spec[a], spec[b]), di = add32(spec[a + 1], spec[b + 1]);
    const int32_t c = nnsp_cos_q31[k], s = nnsp_sin_q31[k]; /* k < 256: the tables (twiddle) */
    int32_t gr, gi;
    /* (dr + i di)(c + i s) */
    gr = (int32_t)nnsp_rshr64((int64_t)dr * c - (int64_t)di * s, 31);
    gi = (int32_t)nnsp_rshr64((int64_t)di * c + (int64_t)dr * s, 31);
    buf[2 * k] = fer - gi;
    buf[2 * k + 1] = fei + gr;
  }
  cfft256(buf, 1, exp);
  /* x = (1/256) (1/2) sum 2Z e^+: the factor 2^-9 goes into the exponent. */
  *exp -= 9;
}
