/* Radix-2 FFT, two stages per pass, that halves every stage (a fixed scaling schedule after one normalization
 * of the block). Bounds (docs/fixed-point.md): a halving butterfly (a +- W b) / 2 grows a component by at most
 * (1 + sqrt(2)) / 2 < 1.21 (plus the roundings), so 8 stages grow a block by less than 4.5: a block normalized to
 * at most 2^28 stays below 2^31. No magnitude is tracked and no guard runs between stages; the halving costs no
 * instruction (a shifted operand). */
#include "fft.h"

#include <string.h>

#include "asm_function.h"
#include "fixed.h"
#include "kernels.h" /* NNSP_DSP_KERNELS */
#include "mul_hi.h"
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

/* The largest magnitude of a block as far as the shifts here can tell, from the OR of all |v[i]| (nnsp_abs_u32;
 * cheaper than a maximum, and a transform stage can keep it while writing): it has the same highest set bit as the
 * maximum, and every shift below depends on nothing else. INT32_MIN counts as INT32_MAX. */
#define abs_u32 nnsp_abs_u32
static int32_t magnitude_bits(uint32_t or_abs) { return or_abs > (uint32_t)INT32_MAX ? INT32_MAX : (int32_t)or_abs; }

/* Normalize a block before a transform: a left shift that brings the largest magnitude to [2^(bits-1), 2^bits)
 * (precision for quiet blocks), or a guard (shift right, rounded) below 2^bits. Returns the exponent change: minus
 * the left shift, or the right shift. or_abs: the OR of |v[i]| (or_abs_block, or gathered by the caller while
 * writing v). A guard shift is applied here; a left shift is not, but returned in *left (0 when the block is
 * guarded instead), for the transform to apply as it loads. */
static int normalize_from(int32_t *v, int n, int bits, uint32_t or_abs, int *left) {
  int32_t m;
  int s = 0;
  *left = 0;
  m = magnitude_bits(or_abs); /* the shifts below depend on nothing but its highest set bit */
  if (m == 0 || m >= ((int32_t)1 << (bits - 1))) return guard_max(v, n, bits, m);
  while (m < ((int32_t)1 << (bits - 1))) {
    m *= 2;
    ++s;
  }
  *left = s;
  return -s;
}

/* The OR of |v[i]|, two values per iteration (n even). */
static uint32_t or_abs_block(const int32_t *v, int n) {
  uint32_t a = 0, b = 0;
  int i;
  for (i = 0; i < n; i += 2) {
    a |= abs_u32(v[i]);
    b |= abs_u32(v[i + 1]);
  }
  return a | b;
}


/* The 8-bit reversal of i. */
static const uint8_t bit_rev8[256] = {
    0, 128, 64, 192, 32, 160, 96, 224, 16, 144, 80, 208, 48, 176, 112, 240, 8, 136, 72, 200,
    40, 168, 104, 232, 24, 152, 88, 216, 56, 184, 120, 248, 4, 132, 68, 196, 36, 164, 100, 228,
    20, 148, 84, 212, 52, 180, 116, 244, 12, 140, 76, 204, 44, 172, 108, 236, 28, 156, 92, 220,
    60, 188, 124, 252, 2, 130, 66, 194, 34, 162, 98, 226, 18, 146, 82, 210, 50, 178, 114, 242,
    10, 138, 74, 202, 42, 170, 106, 234, 26, 154, 90, 218, 58, 186, 122, 250, 6, 134, 70, 198,
    38, 166, 102, 230, 22, 150, 86, 214, 54, 182, 118, 246, 14, 142, 78, 206, 46, 174, 110, 238,
    30, 158, 94, 222, 62, 190, 126, 254, 1, 129, 65, 193, 33, 161, 97, 225, 17, 145, 81, 209,
    49, 177, 113, 241, 9, 137, 73, 201, 41, 169, 105, 233, 25, 153, 89, 217, 57, 185, 121, 249,
    5, 133, 69, 197, 37, 165, 101, 229, 21, 149, 85, 213, 53, 181, 117, 245, 13, 141, 77, 205,
    45, 173, 109, 237, 29, 157, 93, 221, 61, 189, 125, 253, 3, 131, 67, 195, 35, 163, 99, 227,
    19, 147, 83, 211, 51, 179, 115, 243, 11, 139, 75, 203, 43, 171, 107, 235, 27, 155, 91, 219,
    59, 187, 123, 251, 7, 135, 71, 199, 39, 167, 103, 231, 23, 151, 87, 215, 55, 183, 119, 247,
    15, 143, 79, 207, 47, 175, 111, 239, 31, 159, 95, 223, 63, 191, 127, 255};

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

/* Half the twiddle product, (br + i bi)(c - i sn) / 2 (inverse: (c + i sn)), as two rounded high-word products
 * per component (mul_hi.h: one SMMULR and one SMMLAR or SMMLSR on a Cortex-M4): the Q31 twiddle times b over 2^32
 * is half of W b, each product rounded half up on its own, so |2 t - W b| <= 2 (in units of the block's last
 * bit). The butterflies add and subtract 2 t (a shifted operand: no instruction). |b| components below 2^31. */
static NNSP_ALWAYS_INLINE void twiddle_mul_half(int32_t br, int32_t bi, int32_t c, int32_t sn, const int inverse,
                                                int32_t *tr, int32_t *ti) {
  if (inverse) {
    *tr = nnsp_mls_hi_r(nnsp_mul_hi_r(br, c), bi, sn);
    *ti = nnsp_mla_hi_r(nnsp_mul_hi_r(bi, c), br, sn);
  } else {
    *tr = nnsp_mla_hi_r(nnsp_mul_hi_r(br, c), bi, sn);
    *ti = nnsp_mls_hi_r(nnsp_mul_hi_r(bi, c), br, sn);
  }
}

/* (ar + i ai) + (br + i bi) and (ar + i ai) - (br + i bi): the butterflies' last step. */
static NNSP_ALWAYS_INLINE void add_sub(int32_t ar, int32_t ai, int32_t br, int32_t bi, int32_t *sr, int32_t *si,
                                       int32_t *dr, int32_t *di) {
  *sr = ar + br;
  *si = ai + bi;
  *dr = ar - br;
  *di = ai - bi;
}

/* p[0] = a, p[1] = b: one STRD with the DSP kernels (GCC stores a pair of int32 one by one when it interleaves
 * the stores with the arithmetic). */
static NNSP_ALWAYS_INLINE void store_pair(int32_t *p, int32_t a, int32_t b) {
#if NNSP_DSP_KERNELS
  __asm volatile("strd %1, %2, [%0]" : : "r"(p), "r"(a), "r"(b) : "memory");
#else
  p[0] = a;
  p[1] = b;
#endif
}

/* Two halving radix-2 stages (lengths len and 2 len) in one pass over z (256 complex values, interleaved, in
 * bit-reversed order). For j < len / 2 and each block of 2 len values from base, the four values x0..x3 at
 * base + j, + len/2, + len, + 3 len/2 go through
 *   stage len:    y0 = (x0 + W1 x1) / 2, y1 = (x0 - W1 x1) / 2, y2, y3 the same from x2, x3   (W1 = W_len^j)
 *   stage 2 len:  out0 = (y0 + W2 y2) / 2, out2 = (y0 - W2 y2) / 2, out1 = (y1 - i W2 y3) / 2,
 *                 out3 = (y1 + i W2 y3) / 2                 (W2 = W_2len^j; W_2len^(j + len/2) = -i W2)
 * (inverse: conjugate twiddles, +i). a / 2 is a >> 1 (floor), W b / 2 is twiddle_mul_half; j = 0 (W1 = W2 = 1)
 * needs no multiply (b >> 1). Bounds: a component of a stage's output is at most (M + sqrt(2) M) / 2 + 1 for
 * inputs at most M, so inputs at most 2^28 stay below 2^28 1.21^2 + 3 in a pass and below 2^30.2 after 8 stages.
 * scale: 1 (a constant) everywhere but in the forward transform's first pass, which applies the normalization's
 * 2^left as it loads. */
static NNSP_ALWAYS_INLINE void butterflies4(int32_t *p, const int h, const int l, int32_t c1, int32_t s1, int32_t c2,
                                             int32_t s2, const int inverse, const int trivial, int32_t scale) {
  const int32_t x0r = p[0] * scale, x0i = p[1] * scale, x1r = p[h] * scale, x1i = p[h + 1] * scale;
  const int32_t x2r = p[l] * scale, x2i = p[l + 1] * scale, x3r = p[l + h] * scale, x3i = p[l + h + 1] * scale;
  int32_t t1r, t1i, t3r, t3i, ur, ui, vr, vi, wr, wi;
  int32_t y0r, y0i, y1r, y1i, y2r, y2i, y3r, y3i, o0r, o0i, o1r, o1i, o2r, o2i, o3r, o3i;
  if (trivial) {
    t1r = x1r >> 1;
    t1i = x1i >> 1;
    t3r = x3r >> 1;
    t3i = x3i >> 1;
  } else {
    twiddle_mul_half(x1r, x1i, c1, s1, inverse, &t1r, &t1i);
    twiddle_mul_half(x3r, x3i, c1, s1, inverse, &t3r, &t3i);
  }
  add_sub(x0r >> 1, x0i >> 1, t1r, t1i, &y0r, &y0i, &y1r, &y1i);
  add_sub(x2r >> 1, x2i >> 1, t3r, t3i, &y2r, &y2i, &y3r, &y3i);
  if (trivial) {
    ur = y2r >> 1;
    ui = y2i >> 1;
    vr = y3r >> 1;
    vi = y3i >> 1;
  } else {
    twiddle_mul_half(y2r, y2i, c2, s2, inverse, &ur, &ui);
    twiddle_mul_half(y3r, y3i, c2, s2, inverse, &vr, &vi);
  }
  /* w = -i v (forward) or +i v (inverse) */
  wr = inverse ? -vi : vi;
  wi = inverse ? vr : -vr;
  add_sub(y0r >> 1, y0i >> 1, ur, ui, &o0r, &o0i, &o2r, &o2i);
  add_sub(y1r >> 1, y1i >> 1, wr, wi, &o1r, &o1i, &o3r, &o3i);
#if NNSP_DSP_KERNELS
  if (l + h <= 255) {
    /* GCC stores the eight values one by one (it interleaves the stores with the arithmetic); STRD stores each
     * complex value at once. The offsets (bytes, at most 1020) are immediates. */
    __asm volatile("strd %1, %2, [%0]\n\t"
                   "strd %3, %4, [%0, %9]\n\t"
                   "strd %5, %6, [%0, %10]\n\t"
                   "strd %7, %8, [%0, %11]"
                   :
                   : "r"(p), "r"(o0r), "r"(o0i), "r"(o1r), "r"(o1i), "r"(o2r), "r"(o2i), "r"(o3r), "r"(o3i),
                     "i"(4 * h), "i"(4 * l), "i"(4 * (l + h))
                   : "memory");
    return;
  }
  if (h <= 255) {
    /* the last pass (offsets 512, 1024 and 1536 bytes): the second pair of values from p + l */
    int32_t *const q = p + l;
    __asm volatile("strd %2, %3, [%0]\n\t"
                   "strd %4, %5, [%0, %10]\n\t"
                   "strd %6, %7, [%1]\n\t"
                   "strd %8, %9, [%1, %10]"
                   :
                   : "r"(p), "r"(q), "r"(o0r), "r"(o0i), "r"(o1r), "r"(o1i), "r"(o2r), "r"(o2i), "r"(o3r), "r"(o3i),
                     "i"(4 * h)
                   : "memory");
    return;
  }
#endif
  p[0] = o0r;
  p[1] = o0i;
  p[h] = o1r;
  p[h + 1] = o1i;
  p[l] = o2r;
  p[l + 1] = o2i;
  p[l + h] = o3r;
  p[l + h + 1] = o3i;
}

static NNSP_ALWAYS_INLINE void cfft_pass_j(int32_t *z, int len, int j, const int inverse, const int trivial,
                                           int32_t scale) {
  int32_t *const end = z + 2 * HALF;
  const int h = len, l = 2 * len, advance = 4 * len; /* offsets in int32: len/2 and len complex values */
  int32_t c1 = 0, s1 = 0, c2 = 0, s2 = 0;
  int32_t *p;
  if (!trivial) {
    c1 = nnsp_cos_q31[j * (512 / len)]; /* j < len / 2: the index stays below 256 */
    s1 = nnsp_sin_q31[j * (512 / len)];
    c2 = nnsp_cos_q31[j * (256 / len)];
    s2 = nnsp_sin_q31[j * (256 / len)];
  }
  for (p = z + 2 * j; p < end; p += advance) butterflies4(p, h, l, c1, s1, c2, s2, inverse, trivial, scale);
}

/* One pass (stages len and 2 len), len a constant in each copy: the four values' offsets are then immediates of
 * the loads and stores, not registers (a Cortex-M4 has too few for them and the butterfly). The last pass
 * (len 128) has one block per j: its loop runs over j (cfft_pass_j's loop runs once), so that no j sets up a
 * block loop. */
static NNSP_ALWAYS_INLINE void cfft_pass(int32_t *z, const int len, const int inverse) {
  int j;
  cfft_pass_j(z, len, 0, inverse, 1, 1);
  if (len == HALF / 2) {
    for (j = 1; j < len / 2; ++j)
      butterflies4(z + 2 * j, len, 2 * len, nnsp_cos_q31[4 * j], nnsp_sin_q31[4 * j], nnsp_cos_q31[2 * j],
                   nnsp_sin_q31[2 * j], inverse, 0, 1);
    return;
  }
  for (j = 1; j < len / 2; ++j) cfft_pass_j(z, len, j, inverse, 0, 1);
}

/* The passes (stage lengths first_len, 2 first_len) .. (128, 256) on z, first_len 2 or 8; each divides by 4
 * (*exp += 2). inverse is a constant in each of the two copies (cfft_passes_forward, cfft_passes_inverse), so that
 * no butterfly tests it. */
static NNSP_ALWAYS_INLINE void cfft_passes(int32_t *z, const int inverse, int *exp, int first_len) {
  if (first_len == 2) {
    cfft_pass(z, 2, inverse);
    *exp += 2;
  }
  cfft_pass(z, 8, inverse);
  cfft_pass(z, 32, inverse);
  cfft_pass(z, 128, inverse);
  *exp += 6;
}

static void cfft_passes_forward(int32_t *z, int *exp, int first_len) { cfft_passes(z, 0, exp, first_len); }

static void cfft_passes_inverse(int32_t *z, int *exp, int first_len) { cfft_passes(z, 1, exp, first_len); }

/* The 256-point complex FFT (inverse = 0: e^-; 1: e^+), divided by 256, is bit_reverse_permute (or a pre-step
 * writing in that order) followed by cfft_passes from len 2, on a block at most 2^28 in magnitude; its result is
 * below 2^30.2. */

/* The forward transform of a block in bit-reversed order, normalized as normalize(z, 512, 28) would, but with its
 * left shift (left >= 0) not yet applied: the first pass (stages 2 and 4: twiddles 1 and -i only) applies it as
 * it loads (|v| 2^left <= 2^28: exact). Shifting left commutes with the permutation. */
static void cfft256_forward_scaled(int32_t *z, int left, int *exp) {
  cfft_pass_j(z, 2, 0, 0, 1, (int32_t)1 << left);
  *exp += 2;
  cfft_passes_forward(z, exp, 8);
}

/* Bins k and 256 - k (0 < k < 128) of the real spectrum, X[k] / 2 and X[256 - k] / 2, from the complex transform
 * z (W^k = c - i s): they read the same two values Z[k], Z[256-k] (swapped), and the twiddle tables are
 * symmetric (cos[256-k] = -cos[k], sin[256-k] = sin[k], checked in test_fft), so bin 256 - k has fe and fo's real
 * part unchanged, fe's imaginary part negated and the products -P1 and P2 of bin k's. Halved as the passes are:
 * Fe = (Z[k] / 2 + conj Z[256-k] / 2), Fo likewise, X / 2 = Fe / 2 + W Fo / 2 (twiddle_mul_half). z at most M:
 * Fe, Fo at most M, the bins at most M / 2 + sqrt(2) M / 2 + 2 (2^30.5 for M = 2^30.2). */
static NNSP_ALWAYS_INLINE void split_pair(const int32_t *buf, int k, int32_t c, int32_t s, int32_t *spec) {
  const int a = 2 * k, b = 2 * (HALF - k);
  const int32_t ar = buf[a] >> 1, ai = buf[a + 1] >> 1, br = buf[b] >> 1, bi = buf[b + 1] >> 1;
  const int32_t fer = ar + br, fei = ai - bi, for_ = ai + bi, foi = br - ar;
  int32_t h1, h2;
  twiddle_mul_half(for_, foi, c, s, 0, &h1, &h2); /* (for + i foi)(c - i s) / 2 */
  spec[a] = (fer >> 1) + h1;
  spec[a + 1] = (fei >> 1) + h2;
  spec[b] = (fer >> 1) - h1;
  spec[b + 1] = h2 - (fei >> 1);
}

#if NNSP_DSP_KERNELS
/* split_pair for k = 1 .. 127 in assembly (GCC's loop: 32 instructions per pair, this one 23): the halvings of Z
 * folded into the additions as shifted operands where a value is used only so, the twiddles by register offset k,
 * the bins stored by STRD through two walking pointers. The same operations as split_pair, in the same order.
 * r0 buf + 2 k (up), r1 spec + 2 k (up), r2 cos, r3 sin, r4 buf + 2 (256 - k) (down), r5 spec + 2 (256 - k)
 * (down), r6 k; r7 .. r12, lr temporaries. */
void nnsp_rfft_split_asm(const int32_t *buf, int32_t *spec, const int32_t *cos_q31, const int32_t *sin_q31);
__asm(NNSP_ASM_BEGIN(nnsp_rfft_split_asm)
      "push   {r4-r11, lr}\n\t"
      "add    r4, r0, #2048\n\t"
      "add    r5, r1, #2048\n\t"
      "movs   r6, #1\n"
      "1:\n\t"
      "ldrd   r8, r9, [r0, #8]!\n\t"      /* Z[k]: ar, ai (before halving) */
      "ldrd   r10, r11, [r4, #-8]!\n\t"   /* Z[256 - k]: br, bi */
      "asr    r8, r8, #1\n\t"
      "asr    r9, r9, #1\n\t"
      "add    r12, r8, r10, asr #1\n\t"   /* fer = ar + br */
      "rsb    r8, r8, r10, asr #1\n\t"    /* foi = br - ar */
      "sub    lr, r9, r11, asr #1\n\t"    /* fei = ai - bi */
      "add    r9, r9, r11, asr #1\n\t"    /* for = ai + bi */
      "ldr    r10, [r2, r6, lsl #2]\n\t"  /* c */
      "ldr    r11, [r3, r6, lsl #2]\n\t"  /* s */
      "smmulr r7, r9, r10\n\t"
      "smmlar r7, r8, r11, r7\n\t"        /* h1 = for c + foi s */
      "smmulr r8, r8, r10\n\t"
      "smmlsr r8, r9, r11, r8\n\t"        /* h2 = foi c - for s */
      "add    r9, r7, r12, asr #1\n\t"    /* spec[a] = fer / 2 + h1 */
      "add    r10, r8, lr, asr #1\n\t"    /* spec[a + 1] = fei / 2 + h2 */
      "rsb    r11, r7, r12, asr #1\n\t"   /* spec[b] = fer / 2 - h1 */
      "sub    r12, r8, lr, asr #1\n\t"    /* spec[b + 1] = h2 - fei / 2 */
      "strd   r9, r10, [r1, #8]!\n\t"
      "strd   r11, r12, [r5, #-8]!\n\t"
      "add    r6, r6, #1\n\t"
      "cmp    r6, #128\n\t"
      "bne    1b\n\t"
      "pop    {r4-r11, pc}\n\t"
      NNSP_ASM_END(nnsp_rfft_split_asm));

/* The inverse's pre-step for k = 1 .. 127 in assembly (GCC's loop: 41 instructions per pair with spills, this one
 * 30): the left shift by register, the twiddles by register offset k, and the bit-reversed places as
 * buf + (RBIT(k) >> 21) (RBIT reverses all 32 bits: an 8-bit k lands in the top byte, its 8-bit reversal times 8
 * bytes is that >> 21), stored by STRD. The same operations as the C loop, in the same order.
 * r0 spec + 2 k (up), r1 buf, r2 left, r3 spec + 2 (256 - k) (down), r4 cos, r5 sin, r6 k; r7 .. r12, lr
 * temporaries. */
void nnsp_irfft_prestep_asm(const int32_t *spec, int32_t *buf, int left, const int32_t *cos_q31,
                            const int32_t *sin_q31);
__asm(NNSP_ASM_BEGIN(nnsp_irfft_prestep_asm)
      "push   {r4-r11, lr}\n\t"
      "mov    r4, r3\n\t"
      "ldr    r5, [sp, #36]\n\t"
      "add    r3, r0, #2048\n\t"
      "movs   r6, #1\n"
      "1:\n\t"
      "ldrd   r8, r9, [r0, #8]!\n\t"      /* X[k] */
      "ldrd   r10, r11, [r3, #-8]!\n\t"   /* X[256 - k] */
      "lsl    r8, r8, r2\n\t"
      "lsl    r9, r9, r2\n\t"
      "lsl    r10, r10, r2\n\t"
      "lsl    r11, r11, r2\n\t"
      "add    r12, r8, r10\n\t"           /* fer = ar + br */
      "sub    r8, r8, r10\n\t"            /* dr = ar - br */
      "sub    lr, r9, r11\n\t"            /* fei = ai - bi */
      "add    r9, r9, r11\n\t"            /* di = ai + bi */
      "ldr    r10, [r4, r6, lsl #2]\n\t"  /* c */
      "ldr    r11, [r5, r6, lsl #2]\n\t"  /* s */
      "smmulr r7, r8, r10\n\t"
      "smmlsr r7, r9, r11, r7\n\t"        /* gr = dr c - di s */
      "smmulr r9, r9, r10\n\t"
      "smmlar r9, r8, r11, r9\n\t"        /* gi = di c + dr s */
      "rsb    r8, r9, r12, asr #1\n\t"    /* zk = (fer / 2 - gi, fei / 2 + gr) */
      "add    r10, r7, lr, asr #1\n\t"
      "add    r9, r9, r12, asr #1\n\t"    /* zn = (fer / 2 + gi, gr - fei / 2) */
      "sub    r11, r7, lr, asr #1\n\t"
      "rbit   r12, r6\n\t"
      "add    r12, r1, r12, lsr #21\n\t"
      "strd   r8, r10, [r12]\n\t"
      "rsb    r12, r6, #256\n\t"
      "rbit   r12, r12\n\t"
      "add    r12, r1, r12, lsr #21\n\t"
      "strd   r9, r11, [r12]\n\t"
      "add    r6, r6, #1\n\t"
      "cmp    r6, #128\n\t"
      "bne    1b\n\t"
      "pop    {r4-r11, pc}\n\t"
      NNSP_ASM_END(nnsp_irfft_prestep_asm));
#endif

/* The real transform of buf, already in bit-reversed order (as complex values) with or_abs the OR of its
 * magnitudes. */
static void rfft512_permuted(int32_t buf[512], uint32_t or_abs, int32_t spec[NNSP_SPEC_VALUES], int *exp) {
  int left;
  /* z[n] = x[2n] + i x[2n+1] is the same memory; normalized (the left shift applied by the first pass). */
  *exp += normalize_from(buf, 512, 28, or_abs, &left);
  cfft256_forward_scaled(buf, left, exp);
  /* X[k] = Fe[k] + W^k Fo[k], Fe = (Z[k] + conj Z[256-k]) / 2, Fo = (Z[k] - conj Z[256-k]) / 2i; computed as
   * X / 2 (the halving goes into the exponent). */
#if NNSP_DSP_KERNELS
  nnsp_rfft_split_asm(buf, spec, nnsp_cos_q31, nnsp_sin_q31);
#else
  int k;
  for (k = 1; k < HALF / 2; ++k) split_pair(buf, k, nnsp_cos_q31[k], nnsp_sin_q31[k], spec);
#endif
  /* Bins 0 and 256 (W = 1 and -1; Z[0] with itself: fe = re Z[0], fo = im Z[0]) and 128 (W = -i, Z[128] with
   * itself: conj Z[128]) need no product. */
  spec[0] = (buf[0] >> 1) + (buf[1] >> 1);
  spec[1] = 0;
  spec[2 * HALF] = (buf[0] >> 1) - (buf[1] >> 1);
  spec[2 * HALF + 1] = 0;
  spec[HALF] = buf[HALF] >> 1;
  spec[HALF + 1] = -(buf[HALF + 1] >> 1);
  *exp += 1;
}

void nnsp_rfft512(int32_t buf[512], int32_t spec[NNSP_SPEC_VALUES], int *exp) {
  bit_reverse_permute(buf);
  rfft512_permuted(buf, or_abs_block(buf, 512), spec, exp);
}

#if NNSP_DSP_KERNELS && !defined(__ARM_BIG_ENDIAN)
#if NNSP_WINDOW != 480
#error "nnsp_window_frame_asm's counts: 240 values, 16 zeros"
#endif
/* nnsp_rfft512_frame's windowing in assembly (GCC's loop: 18 instructions per pair of samples, this one 11): two
 * complex values per iteration, their four samples and four window values by two LDRD (hist and window 4-byte
 * aligned: the caller checks), the products by SMULBB / SMULTT, each complex value to its bit-reversed place by
 * one STRD; then zeros to the places of values 240 .. 255, two per iteration. The OR of the magnitudes is taken of
 * v ^ (v >> 31) (one EOR: |v| - 1 for v < 0), which has the same highest set bit as |v| unless |v| is a power of
 * two; |x w| = |x| w is one only where the window value w is, and no nonzero value of nnsp_window_q15 is (the
 * kernels test checks the table). normalize_from depends on nothing but the highest set bit. r0 hist, r1 buf,
 * r2 window, r3 bit_rev8; returns the OR. The same numbers as the C loop. */
uint32_t nnsp_window_frame_asm(const int16_t *hist, int32_t *buf, const int16_t *window, const uint8_t *bit_rev);
__asm(NNSP_ASM_BEGIN(nnsp_window_frame_asm)
      "push   {r4-r11, lr}\n\t"
      "movs   r12, #0\n\t"
      "add    lr, r0, #960\n" /* NNSP_WINDOW samples */
      "1:\n\t"
      "ldrd   r4, r5, [r0], #8\n\t"
      "ldrd   r6, r7, [r2], #8\n\t"
      "ldrb   r8, [r3], #1\n\t"
      "ldrb   r9, [r3], #1\n\t"
      "smulbb r10, r4, r6\n\t"
      "smultt r11, r4, r6\n\t"
      "add    r8, r1, r8, lsl #3\n\t"
      "strd   r10, r11, [r8]\n\t"
      "eor    r8, r10, r10, asr #31\n\t"
      "orr    r12, r12, r8\n\t"
      "eor    r8, r11, r11, asr #31\n\t"
      "orr    r12, r12, r8\n\t"
      "smulbb r10, r5, r7\n\t"
      "smultt r11, r5, r7\n\t"
      "add    r9, r1, r9, lsl #3\n\t"
      "strd   r10, r11, [r9]\n\t"
      "eor    r8, r10, r10, asr #31\n\t"
      "orr    r12, r12, r8\n\t"
      "eor    r8, r11, r11, asr #31\n\t"
      "orr    r12, r12, r8\n\t"
      "cmp    r0, lr\n\t"
      "bne    1b\n\t"
      "movs   r10, #0\n\t"
      "movs   r11, #0\n\t"
      "add    lr, r3, #16\n" /* 256 - NNSP_WINDOW / 2 places */
      "2:\n\t"
      "ldrb   r8, [r3], #1\n\t"
      "ldrb   r9, [r3], #1\n\t"
      "add    r8, r1, r8, lsl #3\n\t"
      "add    r9, r1, r9, lsl #3\n\t"
      "strd   r10, r11, [r8]\n\t"
      "strd   r10, r11, [r9]\n\t"
      "cmp    r3, lr\n\t"
      "bne    2b\n\t"
      "mov    r0, r12\n\t"
      "pop    {r4-r11, pc}\n\t"
      NNSP_ASM_END(nnsp_window_frame_asm));
#endif

void nnsp_rfft512_frame(const int16_t hist[NNSP_WINDOW], int32_t buf[512], int32_t spec[NNSP_SPEC_VALUES],
                        int *exp) {
  uint32_t or_abs = 0;
  int m;
#if NNSP_DSP_KERNELS && !defined(__ARM_BIG_ENDIAN)
  if ((((uintptr_t)hist | (uintptr_t)nnsp_window_q15) & 3u) == 0) {
    *exp = -30;
    rfft512_permuted(buf, nnsp_window_frame_asm(hist, buf, nnsp_window_q15, bit_rev8), spec, exp);
    return;
  }
#endif
  /* Complex value m = (x[2m], x[2m+1]) goes to bit_rev8[m]; |x w| < 2^15 * 26755 < 2^30. */
  for (m = 0; m < NNSP_WINDOW / 2; ++m) {
    int32_t *const z = buf + 2 * bit_rev8[m];
#if NNSP_DSP_KERNELS && !defined(__ARM_BIG_ENDIAN)
    /* Both samples and both window values as one word each (little-endian: sample 2m in the bottom half), their
     * products by SMULBB and SMULTT: two loads instead of four. A window value may sit at any even address (LDR
     * takes it, memcpy says so). The same products. */
    uint32_t x2, w2;
    int32_t re, im;
    memcpy(&x2, hist + 2 * m, sizeof x2);
    memcpy(&w2, nnsp_window_q15 + 2 * m, sizeof w2);
    __asm("smulbb %0, %1, %2" : "=r"(re) : "r"(x2), "r"(w2)); /* GCC's ACLE has no __smulbb */
    __asm("smultt %0, %1, %2" : "=r"(im) : "r"(x2), "r"(w2));
#else
    const int32_t re = (int32_t)hist[2 * m] * nnsp_window_q15[2 * m];
    const int32_t im = (int32_t)hist[2 * m + 1] * nnsp_window_q15[2 * m + 1];
#endif
    z[0] = re;
    z[1] = im;
    or_abs |= abs_u32(re) | abs_u32(im);
  }
  for (; m < HALF; ++m) {
    int32_t *const z = buf + 2 * bit_rev8[m];
    z[0] = 0;
    z[1] = 0;
  }
  *exp = -30;
  rfft512_permuted(buf, or_abs, spec, exp);
}

void nnsp_irfft512(int32_t spec[NNSP_SPEC_VALUES], int32_t buf[512], int *exp) {
  spec[1] = 0;
  spec[2 * HALF + 1] = 0;
  nnsp_irfft512_or(spec, or_abs_block(spec, NNSP_SPEC_VALUES), buf, exp);
}

void nnsp_irfft512_or(int32_t spec[NNSP_SPEC_VALUES], uint32_t or_abs, int32_t buf[512], int *exp) {
  int left;
  int32_t scale;
  /* At most 2^27, so that the pre-step's output is at most 2^27 + 2^27.5 + 1 < 2^28.3 and the passes' below
   * 2^28.3 4.5 < 2^30.5. A left shift is not applied here but by the pre-step as it loads (scale; exact: the
   * shifted values are below 2^27), a guard shift in place. */
  *exp += normalize_from(spec, NNSP_SPEC_VALUES, 27, or_abs, &left);
  scale = (int32_t)1 << left;
  /* Z[k] = (X[k] + conj X[256-k]) / 2 + i W^-k (X[k] - conj X[256-k]) / 2, with G = (dr + i di)(c + i s) / 2
   * (twiddle_mul_half): Z[k] = (fer / 2 - gi) + i (fei / 2 + gr). Written straight to bit-reversed order (the
   * complex FFT's first step). k and 256 - k together (0 < k < 128), as in split_pair: for 256 - k, fer and di
   * are unchanged, fei and dr negated, and (symmetric tables) gr is the same and gi negated. */
  {
    /* k = 0 with X[256] (W = 1; the imaginary parts are 0): Z[0] = fer / 2 + i dr / 2; k = 128 with itself
     * (W^-128 = i): Z[128] = re X[128] - i im X[128]. No product. */
    int32_t *const z0 = buf, *const z128 = buf + 2 * bit_rev8[HALF / 2];
    const int32_t x0 = spec[0] * scale, x256 = spec[2 * HALF] * scale;
    z0[0] = (x0 >> 1) + (x256 >> 1);
    z0[1] = (x0 >> 1) - (x256 >> 1);
    z128[0] = spec[HALF] * scale;
    z128[1] = -(spec[HALF + 1] * scale);
  }
#if NNSP_DSP_KERNELS
  nnsp_irfft_prestep_asm(spec, buf, left, nnsp_cos_q31, nnsp_sin_q31);
#else
  int k;
  for (k = 1; k < HALF / 2; ++k) {
    const int a = 2 * k, b = 2 * (HALF - k);
    const int32_t ar = spec[a] * scale, ai = spec[a + 1] * scale, br = spec[b] * scale, bi = spec[b + 1] * scale;
    const int32_t fer = ar + br, fei = ai - bi, dr = ar - br, di = ai + bi;
    int32_t gr, gi, *const zk = buf + 2 * bit_rev8[k], *const zn = buf + 2 * bit_rev8[HALF - k];
    twiddle_mul_half(dr, di, nnsp_cos_q31[k], nnsp_sin_q31[k], 1, &gr, &gi); /* (dr + i di)(c + i s) / 2 */
    store_pair(zk, (fer >> 1) - gi, (fei >> 1) + gr);
    store_pair(zn, (fer >> 1) + gi, gr - (fei >> 1));
  }
#endif
  /* The passes divide by 256 (*exp += 8): x = (1/256) sum Z e^+ is their result as it stands. */
  cfft_passes_inverse(buf, exp, 2);
  *exp -= 8;
}
