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
 * minus the left shift, or the right shift. With left non-null the left shift is not applied but returned in
 * *left (0 when the block is guarded instead), for a transform that applies it as it loads. */
static int normalize_deferred(int32_t *v, int n, int bits, int *left) {
  uint32_t or_abs = 0;
  int32_t m;
  int s = 0, i;
  if (left) *left = 0;
  for (i = 0; i < n; ++i) or_abs |= abs_u32(v[i]);
  m = magnitude_bits(or_abs); /* the shifts below depend on nothing but its highest set bit */
  if (m == 0 || m >= ((int32_t)1 << (bits - 1))) return guard_max(v, n, bits, m);
  while (m < ((int32_t)1 << (bits - 1))) {
    m *= 2;
    ++s;
  }
  if (left) {
    *left = s;
  } else {
    for (i = 0; i < n; ++i) v[i] *= ((int32_t)1 << s); /* |v[i]| * 2^s < 2^bits: no overflow */
  }
  return -s;
}

static int normalize(int32_t *v, int n, int bits) { return normalize_deferred(v, n, bits, 0); }

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

/* The 120 pairs (i, j) of 8-bit reversals with i < j, the swaps of the bit-reversal permutation (a table: the
 * loop then costs a few instructions per swap instead of computing 256 reversals). */
#define SWAP_PAIRS 120
static const uint8_t swap_pairs[2 * SWAP_PAIRS] = {
    1, 128, 2, 64, 3, 192, 4, 32, 5, 160, 6, 96, 7, 224, 8, 16, 9, 144, 10, 80,
    11, 208, 12, 48, 13, 176, 14, 112, 15, 240, 17, 136, 18, 72, 19, 200, 20, 40, 21, 168,
    22, 104, 23, 232, 25, 152, 26, 88, 27, 216, 28, 56, 29, 184, 30, 120, 31, 248, 33, 132,
    34, 68, 35, 196, 37, 164, 38, 100, 39, 228, 41, 148, 42, 84, 43, 212, 44, 52, 45, 180,
    46, 116, 47, 244, 49, 140, 50, 76, 51, 204, 53, 172, 54, 108, 55, 236, 57, 156, 58, 92,
    59, 220, 61, 188, 62, 124, 63, 252, 65, 130, 67, 194, 69, 162, 70, 98, 71, 226, 73, 146,
    74, 82, 75, 210, 77, 178, 78, 114, 79, 242, 81, 138, 83, 202, 85, 170, 86, 106, 87, 234,
    89, 154, 91, 218, 93, 186, 94, 122, 95, 250, 97, 134, 99, 198, 101, 166, 103, 230, 105, 150,
    107, 214, 109, 182, 110, 118, 111, 246, 113, 142, 115, 206, 117, 174, 119, 238, 121, 158, 123, 222,
    125, 190, 127, 254, 131, 193, 133, 161, 135, 225, 137, 145, 139, 209, 141, 177, 143, 241, 147, 201,
    149, 169, 151, 233, 155, 217, 157, 185, 159, 249, 163, 197, 167, 229, 171, 213, 173, 181, 175, 245,
    179, 205, 183, 237, 187, 221, 191, 253, 199, 227, 203, 211, 207, 243, 215, 235, 223, 251, 239, 247};

/* z (256 complex values, interleaved) in bit-reversed order. */
static void bit_reverse_permute(int32_t *z) {
  const uint8_t *p = swap_pairs;
  int n;
  for (n = 0; n < SWAP_PAIRS; ++n, p += 2) {
    int32_t *a = z + 2 * p[0], *b = z + 2 * p[1];
    const int32_t t0 = a[0], t1 = a[1];
    a[0] = b[0];
    a[1] = b[1];
    b[0] = t0;
    b[1] = t1;
  }
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

/* One radix-2 stage of butterflies of length len over z[512] (interleaved), inputs guarded by the right shift s
 * (rounded half up: (v + round) >> s) as they are loaded. s is a constant in each call below (the function is
 * inlined three times), so that the guard costs nothing for s = 0 and two instructions per value otherwise, and
 * the round and shift need no registers. Returns the OR of the magnitudes written. */
static NNSP_ALWAYS_INLINE uint32_t cfft_stage(int32_t *z, int len, int inverse, const int s) {
  int32_t *const end = z + 2 * HALF;
  const int half = len / 2, step = 512 / len, stride = 2 * half, advance = 2 * len;
  const int32_t round = ((int32_t)1 << s) >> 1;
  uint32_t bits = 0;
  int j;
  for (j = 0; j < half; ++j) {
    const int k = j * step;
    int32_t *a;
    if (k == 0) {
      for (a = z + 2 * j; a < end; a += advance) {
        int32_t *b = a + stride;
        bits |= butterfly_out(a, b, (a[0] + round) >> s, (a[1] + round) >> s, (b[0] + round) >> s,
                              (b[1] + round) >> s);
      }
    } else if (k == HALF / 2) {
      /* W = -i (forward) or +i (inverse): t = (bi, -br) or (-bi, br), i.e. t = sign (bi, -br). */
      for (a = z + 2 * j; a < end; a += advance) {
        int32_t *b = a + stride;
        const int32_t br = (b[0] + round) >> s, bi = (b[1] + round) >> s;
        const int32_t tr = inverse ? -bi : bi, ti = inverse ? br : -br;
        bits |= butterfly_out(a, b, (a[0] + round) >> s, (a[1] + round) >> s, tr, ti);
      }
    } else {
      int32_t c, sn, nsn;
      twiddle(k, &c, &sn);
      if (inverse) sn = -sn;
      nsn = -sn; /* |sn| <= 2^31 - 1: no overflow */
      for (a = z + 2 * j; a < end; a += advance) {
        int32_t *b = a + stride;
        const int32_t br = (b[0] + round) >> s, bi = (b[1] + round) >> s;
        /* b (c - i s): components <= sqrt(2) 2^29 * 2^31 < 2^61 before the shift; bi c - br s is written
         * bi c + br (-s) so that each is one multiply and one multiply-accumulate. */
        const int32_t tr = (int32_t)nnsp_rshr64((int64_t)br * c + (int64_t)bi * sn, 31);
        const int32_t ti = (int32_t)nnsp_rshr64((int64_t)bi * c + (int64_t)br * nsn, 31);
        bits |= butterfly_out(a, b, (a[0] + round) >> s, (a[1] + round) >> s, tr, ti);
      }
    }
  }
  return bits;
}

/* The stages of length first_len .. 256 on z, whose largest magnitude (as magnitude_bits gives it) is in bits;
 * returns the result's. */
static int32_t cfft_stages(int32_t *z, int inverse, int *exp, int first_len, uint32_t bits) {
  int len;
  for (len = first_len; len <= HALF; len *= 2) {
    const int s = guard_shift(magnitude_bits(bits), 29); /* 0, 1 or 2 (values below 2^31) */
    *exp += s;
    if (s == 0) bits = cfft_stage(z, len, inverse, 0);
    else if (s == 1) bits = cfft_stage(z, len, inverse, 1);
    else bits = cfft_stage(z, len, inverse, 2);
  }
  return magnitude_bits(bits);
}

/* In-place 256-point complex FFT (inverse = 0: e^-; 1: e^+, unnormalized) on interleaved z[512] holding values
 * below 2^30 in magnitude; returns the largest magnitude of the result as magnitude_bits gives it.
 * Each stage is preceded by the guard (shift every value right, rounded, by the smallest s that brings the
 * block's largest magnitude below 2^29). Instead of separate passes, the shift is applied as each butterfly
 * loads its inputs (every value is loaded once per stage) and s comes from the magnitudes the previous stage
 * wrote: the same numbers. (v + 2^(s-1)) >> s stays in int32: the values loaded are below 2^30 (the input) or
 * 2.42 * 2^29 (a stage's output from guarded inputs), so s <= 2 and v + 2 < 2^31. Butterflies sharing a twiddle
 * run together, and those with W = 1 (k = 0) and W = -i (k = 128) need no multiply: for |b| <= 2^29,
 * rnd(b (2^31 - 1), 31) = b exactly. */
static int32_t cfft256(int32_t *z, int inverse, int *exp) {
  uint32_t bits = 0;
  int i;
  bit_reverse_permute(z);
  for (i = 0; i < 2 * HALF; ++i) bits |= abs_u32(z[i]);
  return cfft_stages(z, inverse, exp, 2, bits);
}

/* The forward transform of a block normalized as normalize(z, 512, 29) would, but with its left shift (left >= 0)
 * not yet applied: the first stage (len 2, W = 1 only) applies it as it loads. The numbers are cfft256's on the
 * normalized block: its magnitudes are below 2^29, so the first stage's guard shift is 0, and shifting left
 * commutes with the permutation. */
static int32_t cfft256_forward_scaled(int32_t *z, int left, int *exp) {
  const int32_t scale = (int32_t)1 << left;
  int32_t *a;
  uint32_t bits = 0;
  bit_reverse_permute(z);
  for (a = z; a < z + 2 * HALF; a += 4)
    bits |= butterfly_out(a, a + 2, a[0] * scale, a[1] * scale, a[2] * scale, a[3] * scale); /* < 2^29: exact */
  return cfft_stages(z, 0, exp, 4, bits);
}

/* p + q and p - q for values whose sum and difference stay in int32 (the block bounds), computed in uint32: the
 * same numbers, but the compiler cannot widen them to 64 bits ahead of the multiplies below (it may for a signed
 * sum, whose overflow it assumes away), which keeps each product a single 32 x 32 -> 64 multiply. */
static int32_t add32(int32_t p, int32_t q) { return (int32_t)((uint32_t)p + (uint32_t)q); }
static int32_t sub32(int32_t p, int32_t q) { return (int32_t)((uint32_t)p - (uint32_t)q); }

/* Bin k (0..256) of the real spectrum, 2X[k], from the complex transform z (W^k = c - i s), with a = 2 (k mod
 * 256) and b = 2 ((256 - k) mod 256). foi c - for s is written foi c + for (-s) (|s| < 2^31: no overflow), one
 * multiply and one multiply-accumulate. */
static inline void split_bin(const int32_t *buf, int a, int b, int k, int32_t c, int32_t s, int32_t *spec) {
  const int32_t fer = add32(buf[a], buf[b]), fei = sub32(buf[a + 1], buf[b + 1]);
  const int32_t for_ = add32(buf[a + 1], buf[b + 1]), foi = sub32(buf[b], buf[a]);
  /* (for + i foi)(c - i s) */
  spec[2 * k] = fer + (int32_t)nnsp_rshr64((int64_t)for_ * c + (int64_t)foi * s, 31);
  spec[2 * k + 1] = fei + (int32_t)nnsp_rshr64((int64_t)foi * c + (int64_t)for_ * -s, 31);
}

void nnsp_rfft512(int32_t buf[512], int32_t spec[NNSP_SPEC_VALUES], int *exp) {
  int32_t c, s;
  int k, left;
  /* z[n] = x[2n] + i x[2n+1] is the same memory; normalized (the left shift applied by the first stage). */
  *exp += normalize_deferred(buf, 512, 29, &left);
  *exp += guard_max(buf, 512, 28, cfft256_forward_scaled(buf, left, exp));
  /* X[k] = Fe[k] + W^k Fo[k], Fe = (Z[k] + conj Z[256-k]) / 2, Fo = (Z[k] - conj Z[256-k]) / 2i; computed
   * as 2X (the halving goes into the exponent). Bins 0 and 256 (Z[0] with itself; W = -1) apart, so that the
   * loop needs no index wrap and reads the tables. */
  split_bin(buf, 0, 0, 0, nnsp_cos_q31[0], nnsp_sin_q31[0], spec);
  for (k = 1; k < HALF; ++k) split_bin(buf, 2 * k, 2 * (HALF - k), k, nnsp_cos_q31[k], nnsp_sin_q31[k], spec);
  twiddle(HALF, &c, &s);
  split_bin(buf, 0, 0, HALF, c, s, spec);
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
