/* The pitch filter in fixed point (pitch_filter.h). The per-band quotients and square roots are few (7 bands), so
 * they run on small pseudo-floats (a 31-bit mantissa and an exponent, 15 significant bits through a division);
 * the per-bin work is integer multiply-adds. */
#include "pitch_filter.h"

#include <string.h>

#include "asm_function.h"
#include "fixed.h"
#include "kernels.h" /* NNSP_DSP_KERNELS */

#if NNSP_DSP_KERNELS
#include <arm_acle.h>
#endif

/* The filtered bands: 0 .. FILTERED - 1, centres 0, 200, ..., 1200 Hz; the mix fades out towards the next centre,
 * 1.4 kHz, and the bins from there up are not touched (why: the float filter, nnse's enhance/pitch_filter.cpp).
 * The layout is the float filter's (RNNoise's, 200 Hz apart up to 1.6 kHz, then wider) cut there. */
#define FILTERED 7
#define MANTISSA_BITS 17     /* of the two spectra's filtered bins at their common exponent */
#define MAX_R_Q10 8192       /* r <= 8 */
#define MAX_N_Q13 32767      /* band rescale < 4 */
#define LAG_PENALTY_Q15 4915 /* 0.15: the lag weight's fall from the shortest to the longest lag */

/* Band centres in bins (16 kHz, 512-point FFT), rounded to the nearest bin: the filtered bands' and the next. */
static const uint16_t band_edges[FILTERED + 1] = {0, 6, 13, 19, 26, 32, 38, 45};

/* bin_weight_q15[k] = floor(2^15 (k - lo) / (hi - lo)) for bin k between band centres lo and hi. */
static const uint16_t bin_weight_q15[45] = {
    0,     5461,  10922, 16384, 21845, 27306, 0,     4681,  9362,  14043, 18724, 23405, 28086, 0,     5461,
    10922, 16384, 21845, 27306, 0,     4681,  9362,  14043, 18724, 23405, 28086, 0,     5461,  10922, 16384,
    21845, 27306, 0,     5461,  10922, 16384, 21845, 27306, 0,     4681,  9362,  14043, 18724, 23405, 28086,
};

typedef struct {
  uint32_t m; /* [2^30, 2^31), or 0 for the value 0 */
  int e;      /* value = m 2^e */
} pfloat;

static int bit_length64(uint64_t v) {
  const uint32_t hi = (uint32_t)(v >> 32);
  return hi ? 32 + nnsp_bit_length32(hi) : nnsp_bit_length32((uint32_t)v);
}

static pfloat pf_normalize(uint64_t m, int e) {
  pfloat r;
  const int b = bit_length64(m);
  if (b == 0) {
    r.m = 0;
    r.e = 0;
  } else if (b > 31) {
    r.m = (uint32_t)(m >> (b - 31));
    r.e = e + b - 31;
  } else {
    r.m = (uint32_t)(m << (31 - b));
    r.e = e - (31 - b);
  }
  return r;
}

static pfloat pf_u64(uint64_t v) { return pf_normalize(v, 0); }

static pfloat pf_mul(pfloat a, pfloat b) {
  if (a.m == 0 || b.m == 0) return pf_u64(0);
  return pf_normalize(((uint64_t)a.m * b.m) >> 31, a.e + b.e + 31);
}

/* a / b for b != 0: one 32-bit division by b's 16 leading bits. */
static pfloat pf_div(pfloat a, pfloat b) {
  if (a.m == 0) return a;
  return pf_normalize(a.m / (b.m >> 15), a.e - b.e - 15);
}

/* floor(sqrt(v)): Newton's iteration from a power of two at or above the root, a few divisions. */
static uint32_t isqrt32(uint32_t v) {
  uint32_t x, y;
  if (v == 0) return 0;
  x = 1u << ((nnsp_bit_length32(v) + 1) / 2);
  for (;;) {
    y = (x + v / x) >> 1;
    if (y >= x) return x;
    x = y;
  }
}

static pfloat pf_sqrt(pfloat a) {
  uint32_t m = a.m;
  int e = a.e;
  if (m == 0) return a;
  if (e & 1) { /* make the exponent even (m stays >= 2^29) */
    m >>= 1;
    ++e;
  }
  return pf_normalize(isqrt32(m), e / 2);
}

/* round(value 2^q), at most max (and 0 for 0). */
static int32_t pf_fixed(pfloat a, int q, int32_t max) {
  const int s = a.e + q;
  uint64_t v;
  if (a.m == 0 || s < -31) return 0;
  if (s >= 0) return s > 31 - 1 ? max : ((uint64_t)a.m << s > (uint64_t)max ? max : (int32_t)((uint64_t)a.m << s));
  v = ((uint64_t)a.m + (1u << (-s - 1))) >> -s;
  return v > (uint64_t)max ? max : (int32_t)v;
}

/* A key that orders like the score dot / sqrt(energy) * weight (through its square). */
static uint32_t score_key(int64_t dot, int64_t energy, int32_t weight_q15) {
  pfloat d = pf_u64((uint64_t)dot), s;
  d = pf_normalize(((uint64_t)d.m * (uint32_t)weight_q15) >> 15, d.e);
  s = pf_div(pf_mul(d, d), pf_u64((uint64_t)energy));
  return ((uint32_t)(s.e + 512) << 22) | (s.m >> 9);
}

static int32_t lag_weight_q15(int lag) {
  const int span = NNSP_PITCH_MAX_LAG - NNSP_PITCH_MIN_LAG;
  return 32768 - (LAG_PENALTY_Q15 * (lag - NNSP_PITCH_MIN_LAG) + span / 2) / span;
}

/* sum a[i] b[i] over n (even) values, exact. */
#if NNSP_DSP_KERNELS
/* With the DSP extension two multiply-accumulates per SMLALD; the pairs are loaded as words (unaligned where the
 * lag is odd: LDR allows it on a Cortex-M4). The same sums as the portable loop. */
static int64_t dot16(const int16_t* a, const int16_t* b, int n) {
  int64_t acc = 0;
  int i;
  for (i = 0; i < n; i += 2) {
    int32_t x, y;
    memcpy(&x, a + i, sizeof x);
    memcpy(&y, b + i, sizeof y);
    acc = __smlald(x, y, acc);
  }
  return acc;
}
#else
static int64_t dot16(const int16_t* a, const int16_t* b, int n) {
  int64_t acc = 0;
  int i;
  for (i = 0; i < n; ++i) acc += (int32_t)a[i] * b[i];
  return acc;
}
#endif

/* dot[j] = dot16(frame, frame - lag - j, n) for j = 0..3: the dots of four neighbouring lags in one pass, n a
 * multiple of 8. Reads frame - lag - 3 .. frame - lag + n. */
#if NNSP_DSP_KERNELS
/* In assembly: each pair of frame words (one LDRD) serves the four lags, whose span words are loaded as words
 * (unaligned for the odd offsets: LDR allows it on a Cortex-M4), 8 SMLALD per 7 loads, 16 instructions per
 * 4 samples where GCC's loop took 24 (the eight accumulator registers leave it no room). The sums are exact
 * int64, so the grouping gives the same values as dot16.
 * r0 frame (walking), r1 span = frame - lag - 3 (walking; its word at sample o pairs with frame's first word for
 * lag + 3 - o, with the second for lag + 5 - o),
 * r2 the end of frame, r3 the word of span, r12 / lr two words of frame, dot[0..3] in r4:r5, r6:r7, r8:r9,
 * r10:r11. */
/* Four samples of nnsp_pitch_dot_lags4_asm (below): frame[i .. i + 3] against span[i + o .. i + o + 1] for o =
 * 1..5, then o = 0, walking on by 4 samples. */
#define NNSP_DOT_LAGS4_STEP_ASM  \
  "ldrd   r12, lr, [r0], #8\n\t" \
  "ldr    r3, [r1, #2]\n\t"      \
  "smlald r8, r9, r12, r3\n\t"   \
  "ldr    r3, [r1, #4]\n\t"      \
  "smlald r6, r7, r12, r3\n\t"   \
  "smlald r10, r11, lr, r3\n\t"  \
  "ldr    r3, [r1, #6]\n\t"      \
  "smlald r4, r5, r12, r3\n\t"   \
  "smlald r8, r9, lr, r3\n\t"    \
  "ldr    r3, [r1, #8]\n\t"      \
  "smlald r6, r7, lr, r3\n\t"    \
  "ldr    r3, [r1, #10]\n\t"     \
  "smlald r4, r5, lr, r3\n\t"    \
  "ldr    r3, [r1], #8\n\t"      \
  "smlald r10, r11, r12, r3\n\t"

void nnsp_pitch_dot_lags4_asm(const int16_t* frame, const int16_t* span, const int16_t* end, int64_t dot[4]);
__asm(NNSP_ASM_BEGIN(nnsp_pitch_dot_lags4_asm)
      "push   {r3-r11, lr}\n\t"
      "movs   r4, #0\n\t"
      "movs   r5, #0\n\t"
      "movs   r6, #0\n\t"
      "movs   r7, #0\n\t"
      "mov    r8, #0\n\t"
      "mov    r9, #0\n\t"
      "mov    r10, #0\n\t"
      "mov    r11, #0\n"
      "1:\n\t"
      NNSP_DOT_LAGS4_STEP_ASM
      NNSP_DOT_LAGS4_STEP_ASM
      "cmp    r0, r2\n\t"
      "bne    1b\n\t"
      "pop    {r3}\n\t"
      "strd   r4, r5, [r3]\n\t"
      "strd   r6, r7, [r3, #8]\n\t"
      "strd   r8, r9, [r3, #16]\n\t"
      "strd   r10, r11, [r3, #24]\n\t"
      "pop    {r4-r11, pc}\n\t"
      NNSP_ASM_END(nnsp_pitch_dot_lags4_asm));

/* LDRD needs frame word-aligned (the caller's frames are); otherwise the same sums in C by word loads. */
static void dot16_lags4(const int16_t* frame, int lag, int n, int64_t dot[4]) {
  const int16_t* span = frame - lag - 3;
  int64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int i;
  if (((uintptr_t)frame & 3u) == 0) {
    nnsp_pitch_dot_lags4_asm(frame, span, frame + n, dot);
    return;
  }
  for (i = 0; i < n; i += 2) {
    int32_t f, s;
    memcpy(&f, frame + i, sizeof f);
    memcpy(&s, span + i, sizeof s);
    a3 = __smlald(f, s, a3);
    memcpy(&s, span + i + 1, sizeof s);
    a2 = __smlald(f, s, a2);
    memcpy(&s, span + i + 2, sizeof s);
    a1 = __smlald(f, s, a1);
    memcpy(&s, span + i + 3, sizeof s);
    a0 = __smlald(f, s, a0);
  }
  dot[0] = a0, dot[1] = a1, dot[2] = a2, dot[3] = a3;
}
#else
static void dot16_lags4(const int16_t* frame, int lag, int n, int64_t dot[4]) {
  const int16_t* span = frame - lag - 3;
  int64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int i;
  for (i = 0; i < n; ++i) {
    const int32_t f = frame[i];
    a3 += (int64_t)f * span[i];
    a2 += (int64_t)f * span[i + 1];
    a1 += (int64_t)f * span[i + 2];
    a0 += (int64_t)f * span[i + 3];
  }
  dot[0] = a0, dot[1] = a1, dot[2] = a2, dot[3] = a3;
}
#endif

/* The lag in [lo, hi] of frame (length samples at 1 / step of the rate) with the best score, 0 for none. The
 * span's energy slides from lag to lag (one sample in, one out: the same exact sum). The dots come four lags at
 * a time (up to hi + 3: frame - hi - 3 must be readable). */
static int best_lag(const int16_t* frame, int length, int lo, int hi, int step) {
  int64_t energy = dot16(frame - lo, frame - lo, length);
  uint32_t best = 0;
  int lag, j, found = 0;
  for (lag = lo; lag <= hi; lag += 4) {
    int64_t dots[4];
    dot16_lags4(frame, lag, length, dots);
    for (j = 0; j < 4 && lag + j <= hi; ++j) {
      const int16_t* span = frame - lag - j;
      if (lag + j > lo) energy += (int32_t)span[0] * span[0] - (int32_t)span[length] * span[length];
      if (dots[j] > 0 && energy > 0) {
        const uint32_t key = score_key(dots[j], energy, lag_weight_q15((lag + j) * step));
        if (key > best) {
          best = key;
          found = lag + j;
        }
      }
    }
  }
  return found;
}

/* out[m] = (in[2 m] + in[2 m + 1]) >> 1 for n_out (a multiple of 4) values. */
#if NNSP_DSP_KERNELS
/* Two outputs per SHADD16 (the signed halving add: the same floor((a + b) / 2) in each halfword) of the pairs'
 * first and second samples, gathered by PKHBT / PKHTB (in inline assembly: GCC builds them of UXTH, AND and
 * ORR). Four outputs per pass (n_out a multiple of 4). */
static int32_t pair_firsts(uint32_t a, uint32_t b) { /* a's low halfword, b's low halfword */
  int32_t r;
  __asm("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
static int32_t pair_seconds(uint32_t a, uint32_t b) { /* a's high halfword, b's high halfword */
  int32_t r;
  __asm("pkhtb %0, %2, %1, asr #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
static void halve_rate(const int16_t* in, int16_t* out, int n_out) {
  int m;
  for (m = 0; m < n_out; m += 4) {
    uint32_t a, b, c, d;
    int32_t r[2];
    memcpy(&a, in + 2 * m, sizeof a);
    memcpy(&b, in + 2 * m + 2, sizeof b);
    memcpy(&c, in + 2 * m + 4, sizeof c);
    memcpy(&d, in + 2 * m + 6, sizeof d);
    r[0] = __shadd16(pair_firsts(a, b), pair_seconds(a, b));
    r[1] = __shadd16(pair_firsts(c, d), pair_seconds(c, d));
    memcpy(out + m, r, sizeof r);
  }
}
#else
static void halve_rate(const int16_t* in, int16_t* out, int n_out) {
  int m;
  for (m = 0; m < n_out; ++m) out[m] = (int16_t)(((int32_t)in[2 * m] + in[2 * m + 1]) >> 1);
}
#endif

/* Whether all n (even) samples are 0: the OR of their words (dot16(v, v, n) == 0 exactly then). */
static int all_zero(const int16_t* v, int n) {
  uint32_t acc = 0;
  int i;
  for (i = 0; i < n; i += 2) {
    uint32_t x;
    memcpy(&x, v + i, sizeof x);
    acc |= x;
  }
  return acc == 0;
}

int nnsp_pitch_find_lag(const int16_t hist[NNSP_PITCH_HIST], int16_t* scratch) {
  enum { MIN = NNSP_PITCH_MIN_LAG, MAX = NNSP_PITCH_MAX_LAG, HALF = NNSP_PITCH_HIST / 2 };
  const int16_t* frame = hist + NNSP_PITCH_REACH;
  int16_t *half = scratch, *quarter = scratch + HALF;
  int coarse, mid;
  if (all_zero(frame, NNSP_WINDOW)) return 0;
  halve_rate(hist, half, HALF);
  halve_rate(half, quarter, HALF / 2);
  coarse = best_lag(quarter + NNSP_PITCH_REACH / 4, NNSP_WINDOW / 4, MIN / 4, MAX / 4, 4);
  if (coarse == 0) return 0;
  mid = best_lag(half + NNSP_PITCH_REACH / 2, NNSP_WINDOW / 2, 2 * coarse - 1 < MIN / 2 ? MIN / 2 : 2 * coarse - 1,
                 2 * coarse + 1 > MAX / 2 ? MAX / 2 : 2 * coarse + 1, 2);
  if (mid == 0) return 0;
  return best_lag(frame, NNSP_WINDOW, 2 * mid - 1 < MIN ? MIN : 2 * mid - 1, 2 * mid + 1 > MAX ? MAX : 2 * mid + 1, 1);
}

static uint32_t or_abs(const int32_t* v, int n) {
  uint32_t acc = 0;
  int i;
  for (i = 0; i < n; ++i) acc |= nnsp_abs_u32(v[i]);
  return acc;
}

/* n (even) values times 2^-s, rounded (s > 0), or exactly (s <= 0, where the caller knows |v| 2^-s fits). For s
 * in [1, 31] the rounding floor(((v >> (s - 1)) + 1) / 2) = nnsp_rshr32(v, s) needs no overflow guard (three
 * instructions instead of four) as long as |v| < 2^(s + 30): the callers' spectra have s >= bits - MANTISSA_BITS for
 * |v| < 2^bits, the filtered values going back to the spectrum's exponent stay below 2^22.2. */
static void rescale(int32_t* v, int n, int s) {
  int k;
  if (s <= 0) {
    for (k = 0; k < n; ++k) v[k] = (int32_t)((uint32_t)v[k] << -s);
  } else if (s >= 32) {
    memset(v, 0, (size_t)n * sizeof(int32_t));
  } else {
    for (k = 0; k < n; k += 2) { /* by pairs: less loop overhead */
      const int32_t a = ((v[k] >> (s - 1)) + 1) >> 1, b = ((v[k + 1] >> (s - 1)) + 1) >> 1;
      v[k] = a;
      v[k + 1] = b;
    }
  }
}

/* The packed Q40 noise floor (floor_guard.h: m 2^e) in units of |v|^2 for mantissas v at exponent ev: the power
 * of v is |v|^2 2^(2 ev + 23) in Q23, so the floor is m 2^(e - 2 ev - 40) of those units (capped below 2^31). */
static uint32_t floor_in_units(uint32_t packed, int ev) {
  const int s = (int)(packed >> 27) - 2 * ev - 40;
  const uint32_t m = packed & ((1u << 27) - 1u);
  if (s >= 0) return s > 3 ? 0x7FFFFFFFu : m << s;
  return s <= -32 ? 0 : m >> -s;
}

/* The band statistics use the 17-bit mantissas shifted down by this, rounded (15 bits: every square fits 32 bits,
 * and each weighted sum is one 32 x 32 -> 64-bit multiply-accumulate; rounded, not floored, so that a band's
 * energy has no bias against the energy of the full mantissas that the rescale compares it with). */
#define STATS_SHIFT 2

/* nnsp_rshr32(v, STATS_SHIFT) for a rescaled mantissa (|v| <= 2^MANTISSA_BITS: the rescale's rounding reaches
 * 2^17 at most), where v + 2^(STATS_SHIFT - 1) cannot overflow: in [-2^15, 2^15]. */
static int32_t stats_round(int32_t v) { return (v + (1 << (STATS_SHIFT - 1))) >> STATS_SHIFT; }

/* The interpolation between band values a and b at weight w: (((2^15 - w) a + w b + 2^14) >> 15) for a, b in
 * [0, 2^15) is a + ((w (b - a) + 2^14) >> 15) (the 2^15 a comes out of the floor whole), one multiply-add. */
static int32_t interpolate(int32_t a, int32_t d, uint32_t w) { return a + (((int32_t)w * d + 16384) >> 15); }

/* Band sums: bin k between centres lo and hi counts (1 - w) towards band i and w towards band i + 1. Per segment
 * between two centres (the segments of the filtered bands: 0 .. FILTERED - 1), band i gets sum((2^15 - w) q) and
 * band i + 1 gets sum(w q) of each unsigned quantity q (two UMLAL; the same integers as 2^15 S - W and W of the
 * plain and weighted sums), the signed Re(X P*) the plain and weighted sums. Three loops of two quantities each,
 * so that the running sums stay in registers. A segment ends before the next centre. */
static int segment_last(int i) { return band_edges[i + 1] - 1; }

/* |X|^2 and |P|^2 (of the mantissas rounded to 15 bits) into ex and ep */
static void band_sums_power(const int32_t* spec, const int32_t* pspec, uint64_t* ex, uint64_t* ep) {
  int i, k;
  for (i = 0; i < FILTERED; ++i) {
    const int last = segment_last(i);
    uint64_t xa = 0, xb = 0, pa = 0, pb = 0;
    for (k = band_edges[i]; k <= last; ++k) {
      const uint32_t w = bin_weight_q15[k], wl = 32768u - w;
      const int32_t xr = stats_round(spec[2 * k]), xi = stats_round(spec[2 * k + 1]);
      const int32_t pr = stats_round(pspec[2 * k]), pi = stats_round(pspec[2 * k + 1]);
      /* each square at most 2^30: the sum fits 32 bits unsigned */
      const uint32_t x2 = (uint32_t)(xr * xr) + (uint32_t)(xi * xi), p2 = (uint32_t)(pr * pr) + (uint32_t)(pi * pi);
      xa += (uint64_t)wl * x2, xb += (uint64_t)w * x2;
      pa += (uint64_t)wl * p2, pb += (uint64_t)w * p2;
    }
    ex[i] += xa, ex[i + 1] += xb;
    ep[i] += pa, ep[i + 1] += pb;
  }
}

/* Re(X P*) into exp_sum, g^2 |X|^2 into eg */
static void band_sums_cross(const int32_t* spec, const int32_t* pspec, const int16_t* gains_q15, int64_t* exp_sum,
                            uint64_t* eg) {
  int i, k;
  for (i = 0; i < FILTERED; ++i) {
    const int last = segment_last(i);
    int64_t ss = 0, ws = 0;
    uint64_t ga = 0, gb = 0;
    for (k = band_edges[i]; k <= last; ++k) {
      const uint32_t w = bin_weight_q15[k];
      const int32_t xr = stats_round(spec[2 * k]), xi = stats_round(spec[2 * k + 1]);
      const int32_t pr = stats_round(pspec[2 * k]), pi = stats_round(pspec[2 * k + 1]);
      /* a gain of 32767 is the runtime's unity (the float filter leaves a band of unity gain alone) */
      const uint32_t g2 = gains_q15[k] >= 32767 ? 32768u : ((uint32_t)(gains_q15[k] * gains_q15[k])) >> 15;
      const uint32_t gx = (uint32_t)(((uint64_t)g2 * ((uint32_t)(xr * xr) + (uint32_t)(xi * xi))) >> 15);
      /* each product up to 2^30 (a rounded 15-bit mantissa reaches 2^15), and so are w xr and w xi (w <= 2^15):
       * ws is the weighted sum of xr pr + xi pi exactly */
      ss += (int64_t)xr * pr + (int64_t)xi * pi;
      ws += (int64_t)((int32_t)w * xr) * pr + (int64_t)((int32_t)w * xi) * pi;
      ga += (uint64_t)(32768u - w) * gx, gb += (uint64_t)w * gx;
    }
    exp_sum[i] += ss * 32768 - ws, exp_sum[i + 1] += ws;
    eg[i] += ga, eg[i + 1] += gb;
  }
}

/* the tracked noise floor into en */
static void band_sums_floor(const uint32_t* floor, int ev, uint64_t* en) {
  int i, k;
  for (i = 0; i < FILTERED; ++i) {
    const int last = segment_last(i);
    uint64_t na = 0, nb = 0;
    for (k = band_edges[i]; k <= last; ++k) {
      const uint32_t w = bin_weight_q15[k], nk = floor_in_units(floor[k], ev);
      na += (uint64_t)(32768u - w) * nk, nb += (uint64_t)w * nk;
    }
    en[i] += na, en[i + 1] += nb;
  }
}

/* The filtered values (spec[0 .. values), at exponent ec, below 2^22.2: |X'| < 2^20.2, rescaled by less than 4)
 * back to the exponent of the rest of the spectrum, *exp: by a shift, rounded where it goes right. Where they would
 * not fit 31 bits there (filtered bins near full scale that the filter made louder: the runtime tests build one),
 * the whole spectrum takes the exponent at which they do. */
static void to_spectrum_exponent(int32_t spec[2 * NNSP_BINS], int* exp, int ec, int values) {
  const int s = ec - *exp;
  int bits, i;
  if (s == 0) return;
  if (s > 0) {
    bits = nnsp_bit_length32(or_abs(spec, values));
    if (bits + s > 31) {
      /* the new exponent e = ec + bits - 31 > *exp: the filtered values shift by ec - e = 31 - bits >= 0 to the
       * left, the others by e - *exp to the right (rounded; nnsp_rshr32 has no overflow for any int32) */
      const int e = ec + bits - 31;
      rescale(spec, values, e - ec);
      for (i = values; i < 2 * NNSP_BINS; ++i) spec[i] = e - *exp >= 32 ? 0 : nnsp_rshr32(spec[i], e - *exp);
      *exp = e;
      return;
    }
  }
  rescale(spec, values, -s);
}

void nnsp_pitch_filter_apply(int32_t spec[2 * NNSP_BINS], int* exp, int32_t pspec[2 * NNSP_BINS], int pexp,
                             const int16_t gains_q15[NNSP_BINS], const uint32_t* floor, int32_t strength_q15,
                             int64_t* scratch) {
  /* the band sums: in the caller's scratch, to keep the stack small */
  enum { SUMS = FILTERED + 1 }; /* a filtered band's sums and the next band's share of the last segment */
  uint64_t *const ex = (uint64_t*)scratch, *const ep = ex + SUMS, *const eg = ex + 2 * SUMS;
  uint64_t *const en = ex + 3 * SUMS, *const ef = ex + 4 * SUMS;
  int64_t* const exp_sum = scratch + 5 * SUMS;
  /* bands FILTERED and up: no mix, no rescale (the interpolation's upper end in the last filtered segment) */
  int32_t r_q10[FILTERED + 1], n_q13[FILTERED + 1];
  const int values = 2 * band_edges[FILTERED]; /* the filtered bins' */
  const int bx = nnsp_bit_length32(or_abs(spec, values));
  const int bp = nnsp_bit_length32(or_abs(pspec, values));
  int ec, i, k, b;
  if (bx == 0 || bp == 0) return;
  memset(scratch, 0, 6 * SUMS * sizeof(int64_t));
  /* the filtered bins of both spectra at one exponent, ec */
  ec = (bx + *exp > bp + pexp ? bx + *exp : bp + pexp) - MANTISSA_BITS;
  rescale(spec, values, ec - *exp);
  rescale(pspec, values, ec - pexp);
  band_sums_power(spec, pspec, ex, ep);
  band_sums_cross(spec, pspec, gains_q15, exp_sum, eg);
  if (floor) band_sums_floor(floor, ec + STATS_SHIFT, en);
  r_q10[FILTERED] = 0;
  n_q13[FILTERED] = 8192;
  for (b = 0; b < FILTERED; ++b) {
    pfloat fx, fp;
    int32_t p = 0, g, a = 32768;
    r_q10[b] = 0;
    if (ex[b] == 0 || ep[b] == 0) continue;
    fx = pf_u64(ex[b]);
    fp = pf_u64(ep[b]);
    if (exp_sum[b] > 0) p = pf_fixed(pf_div(pf_u64((uint64_t)exp_sum[b]), pf_sqrt(pf_mul(fx, fp))), 15, 32767);
    /* exactly 1 where every bin has unity gain (the division's 15 bits would leave it just below, and p >= g
     * then filter the band in full) */
    g = eg[b] >= ex[b] ? 32768 : pf_fixed(pf_sqrt(pf_div(pf_u64(eg[b]), fx)), 15, 32768);
    if (floor) {
      const int32_t noise = pf_fixed(pf_div(pf_u64(2u * en[b]), fx), 15, 32768);
      const int32_t share = (int32_t)isqrt32((uint32_t)(32768 - noise) << 15);
      if (share > g) g = share;
    }
    if (p < g) {
      const int32_t p2 = (p * p) >> 15, g2 = (g * g) >> 15;
      const int32_t num = (int32_t)(((int64_t)p2 * (32768 - g2)) >> 15);
      const int32_t den = (int32_t)(((int64_t)g2 * (32768 - p2)) >> 15);
      a = 0;
      if (num > 0) {
        const uint32_t a2 = den <= 0 || num >= den ? 32768u : ((uint32_t)num << 15) / (uint32_t)den;
        a = (int32_t)isqrt32(a2 << 15);
      }
    }
    {
      const pfloat scale = pf_u64((uint64_t)a * (uint64_t)strength_q15); /* Q30 */
      pfloat r = pf_mul(pf_sqrt(pf_div(fx, fp)), scale);
      r.e -= 30;
      r_q10[b] = pf_fixed(r, 10, MAX_R_Q10);
    }
  }
  /* X' = X + r P (in spec, 17-bit mantissas: |X'| < 2^20.2), and the band energies of X' (of the full mantissas:
   * a quiet band keeps its precision). */
  for (i = 0; i < FILTERED; ++i) {
    const int last = segment_last(i);
    const int32_t r0 = r_q10[i], dr = r_q10[i + 1] - r0;
    uint64_t se = 0, we = 0;
    for (k = band_edges[i]; k <= last; ++k) {
      const uint32_t w = bin_weight_q15[k];
      const int32_t r = interpolate(r0, dr, w);
      const int32_t yr = spec[2 * k] + ((r * pspec[2 * k] + 512) >> 10);
      const int32_t yi = spec[2 * k + 1] + ((r * pspec[2 * k + 1] + 512) >> 10);
      /* < 2^41.4: the segment's sums (at most 7 bins), times 2^15, stay below 2^62; w times the high word
       * (< 2^10) fits 32 bits, so w e is one UMLAL and one MLA */
      const uint64_t e = (uint64_t)((int64_t)yr * yr) + (uint64_t)((int64_t)yi * yi);
      spec[2 * k] = yr;
      spec[2 * k + 1] = yi;
      se += e;
      we += (uint64_t)w * (uint32_t)e + ((uint64_t)(w * (uint32_t)(e >> 32)) << 32);
    }
    ef[i] += (se << 15) - we, ef[i + 1] += we;
  }
  for (b = 0; b < FILTERED; ++b) {
    pfloat f = pf_u64(ef[b]);
    f.e -= 2 * STATS_SHIFT; /* into the statistics' units */
    n_q13[b] = ef[b] != 0 && ex[b] != 0 ? pf_fixed(pf_sqrt(pf_div(pf_u64(ex[b]), f)), 13, MAX_N_Q13) : 8192;
  }
  for (i = 0; i < FILTERED; ++i) {
    const int last = segment_last(i);
    const int32_t n0 = n_q13[i], dn = n_q13[i + 1] - n0;
    for (k = band_edges[i]; k <= last; ++k) {
      const int32_t n = interpolate(n0, dn, bin_weight_q15[k]);
      spec[2 * k] = (int32_t)(((int64_t)spec[2 * k] * n + 4096) >> 13);
      spec[2 * k + 1] = (int32_t)(((int64_t)spec[2 * k + 1] * n + 4096) >> 13);
    }
  }
  to_spectrum_exponent(spec, exp, ec, values);
}
