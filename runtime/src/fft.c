/* Block-floating-point radix-2 FFT. Bounds (docs/fixed-point.md): a butterfly a +- W b grows one component by
 * at most 1 + sqrt(2) < 2.42, so a block whose largest component is <= 2^29 cannot leave int32 in one stage;
 * the real-FFT split and merge grow by at most 2 + sqrt(2) and run on blocks <= 2^28. */
#include "fft.h"

#include "fixed.h"
#include "tables.h"

#define HALF 256 /* complex points */

int32_t nnsp_block_max(const int32_t *v, int n) {
  int32_t m = 0;
  int i;
  for (i = 0; i < n; ++i) {
    const int32_t a = nnsp_abs32_sat(v[i]);
    if (a > m) m = a;
  }
  return m;
}

/* Shift right (round half up) until the largest magnitude is at most 2^bits; returns the shift. */
static int guard(int32_t *v, int n, int bits) {
  const int32_t m = nnsp_block_max(v, n);
  int s = 0, i;
  while ((m >> s) >= ((int32_t)1 << bits)) ++s;
  if (s > 0)
    for (i = 0; i < n; ++i) v[i] = (int32_t)nnsp_rshr64(v[i], s);
  return s;
}

/* Shift left so that the largest magnitude reaches [2^(bits-1), 2^bits) (precision for quiet blocks); returns
 * the shift (0 for an all-zero or already large block). */
static int raise_block(int32_t *v, int n, int bits) {
  int32_t m = nnsp_block_max(v, n);
  int s = 0, i;
  if (m == 0) return 0;
  while (m < ((int32_t)1 << (bits - 1))) {
    m *= 2;
    ++s;
  }
  if (s > 0)
    for (i = 0; i < n; ++i) v[i] *= ((int32_t)1 << s); /* |v[i]| * 2^s < 2^bits: no overflow */
  return s;
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

static int bit_reverse8(int i) {
  int r = 0, b;
  for (b = 0; b < 8; ++b) r |= ((i >> b) & 1) << (7 - b);
  return r;
}

/* In-place 256-point complex FFT (inverse = 0: e^-; 1: e^+, unnormalized) on interleaved z[512]. */
static void cfft256(int32_t *z, int inverse, int *exp) {
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
  for (len = 2; len <= HALF; len *= 2) {
    const int half = len / 2, step = 512 / len;
    int start, j;
    *exp += guard(z, 2 * HALF, 29);
    for (start = 0; start < HALF; start += len) {
      for (j = 0; j < half; ++j) {
        int32_t *a = z + 2 * (start + j);
        int32_t *b = z + 2 * (start + j + half);
        int32_t c, s, tr, ti;
        twiddle(j * step, &c, &s);
        if (inverse) s = -s;
        /* b (c - i s): components <= sqrt(2) 2^29 * 2^31 < 2^61 before the shift. */
        tr = (int32_t)nnsp_rshr64((int64_t)b[0] * c + (int64_t)b[1] * s, 31);
        ti = (int32_t)nnsp_rshr64((int64_t)b[1] * c - (int64_t)b[0] * s, 31);
        b[0] = a[0] - tr;
        b[1] = a[1] - ti;
        a[0] = a[0] + tr;
        a[1] = a[1] + ti;
      }
    }
  }
}

void nnsp_rfft512(int32_t buf[512], int32_t spec[NNSP_SPEC_VALUES], int *exp) {
  int k;
  /* z[n] = x[2n] + i x[2n+1] is the same memory. */
  *exp -= raise_block(buf, 512, 29);
  *exp += guard(buf, 512, 29);
  cfft256(buf, 0, exp);
  *exp += guard(buf, 512, 28);
  /* X[k] = Fe[k] + W^k Fo[k], Fe = (Z[k] + conj Z[256-k]) / 2, Fo = (Z[k] - conj Z[256-k]) / 2i; computed
   * as 2X (the halving goes into the exponent). */
  for (k = 0; k <= HALF; ++k) {
    const int a = 2 * (k % HALF), b = 2 * ((HALF - k) % HALF);
    const int32_t fer = buf[a] + buf[b], fei = buf[a + 1] - buf[b + 1];
    const int32_t for_ = buf[a + 1] + buf[b + 1], foi = buf[b] - buf[a];
    int32_t c, s;
    twiddle(k, &c, &s);
    /* (for + i foi)(c - i s) */
    spec[2 * k] = fer + (int32_t)nnsp_rshr64((int64_t)for_ * c + (int64_t)foi * s, 31);
    spec[2 * k + 1] = fei + (int32_t)nnsp_rshr64((int64_t)foi * c - (int64_t)for_ * s, 31);
  }
  *exp -= 1;
}

void nnsp_irfft512(int32_t spec[NNSP_SPEC_VALUES], int32_t buf[512], int *exp) {
  int k;
  spec[1] = 0;
  spec[2 * HALF + 1] = 0;
  *exp -= raise_block(spec, NNSP_SPEC_VALUES, 28);
  *exp += guard(spec, NNSP_SPEC_VALUES, 28);
  /* 2 Z[k] = (X[k] + conj X[256-k]) + i W^-k (X[k] - conj X[256-k]). */
  for (k = 0; k < HALF; ++k) {
    const int a = 2 * k, b = 2 * (HALF - k);
    const int32_t fer = spec[a] + spec[b], fei = spec[a + 1] - spec[b + 1];
    const int32_t dr = spec[a] - spec[b], di = spec[a + 1] + spec[b + 1];
    int32_t c, s, gr, gi;
    twiddle(k, &c, &s);
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
