/* The pitch filter in fixed point (pitch_filter.h). The per-band quotients and square roots are few (18 bands), so
 * they run on small pseudo-floats (a 31-bit mantissa and an exponent, 15 significant bits through a division);
 * the per-bin work is integer multiply-adds. */
#include "pitch_filter.h"

#include <string.h>

#include "fixed.h"
#include "kernels.h" /* NNSP_DSP_KERNELS */

#if NNSP_DSP_KERNELS
#include <arm_acle.h>
#endif

#define BANDS 18
#define MANTISSA_BITS 17     /* of the two spectra at their common exponent */
#define MAX_R_Q10 8192       /* r <= 8 */
#define MAX_N_Q13 32767      /* band rescale < 4 */
#define LAG_PENALTY_Q15 4915 /* 0.15: the lag weight's fall from the shortest to the longest lag */

/* Band centres in bins (16 kHz, 512-point FFT): 0, 200, ..., 1600, 2000, 2400, 2800, 3200, 4000, 4800, 5600, 6800,
 * 8000 Hz, rounded to the nearest bin. */
static const uint16_t band_edges[BANDS] = {0, 6, 13, 19, 26, 32, 38, 45, 51, 64, 77, 90, 102, 128, 154, 179, 218, 256};

/* bin_weight_q15[k] = floor(2^15 (k - lo) / (hi - lo)) for bin k between band centres lo and hi (bin 256: 2^15). */
static const uint16_t bin_weight_q15[NNSP_BINS] = {
    0,     5461,  10922, 16384, 21845, 27306, 0,     4681,  9362,  14043, 18724, 23405, 28086, 0,     5461,  10922,
    16384, 21845, 27306, 0,     4681,  9362,  14043, 18724, 23405, 28086, 0,     5461,  10922, 16384, 21845, 27306,
    0,     5461,  10922, 16384, 21845, 27306, 0,     4681,  9362,  14043, 18724, 23405, 28086, 0,     5461,  10922,
    16384, 21845, 27306, 0,     2520,  5041,  7561,  10082, 12603, 15123, 17644, 20164, 22685, 25206, 27726, 30247,
    0,     2520,  5041,  7561,  10082, 12603, 15123, 17644, 20164, 22685, 25206, 27726, 30247, 0,     2520,  5041,
    7561,  10082, 12603, 15123, 17644, 20164, 22685, 25206, 27726, 30247, 0,     2730,  5461,  8192,  10922, 13653,
    16384, 19114, 21845, 24576, 27306, 30037, 0,     1260,  2520,  3780,  5041,  6301,  7561,  8822,  10082, 11342,
    12603, 13863, 15123, 16384, 17644, 18904, 20164, 21425, 22685, 23945, 25206, 26466, 27726, 28987, 30247, 31507,
    0,     1260,  2520,  3780,  5041,  6301,  7561,  8822,  10082, 11342, 12603, 13863, 15123, 16384, 17644, 18904,
    20164, 21425, 22685, 23945, 25206, 26466, 27726, 28987, 30247, 31507, 0,     1310,  2621,  3932,  5242,  6553,
    7864,  9175,  10485, 11796, 13107, 14417, 15728, 17039, 18350, 19660, 20971, 22282, 23592, 24903, 26214, 27525,
    28835, 30146, 31457, 0,     840,   1680,  2520,  3360,  4201,  5041,  5881,  6721,  7561,  8402,  9242,  10082,
    10922, 11762, 12603, 13443, 14283, 15123, 15963, 16804, 17644, 18484, 19324, 20164, 21005, 21845, 22685, 23525,
    24365, 25206, 26046, 26886, 27726, 28566, 29407, 30247, 31087, 31927, 0,     862,   1724,  2586,  3449,  4311,
    5173,  6036,  6898,  7760,  8623,  9485,  10347, 11210, 12072, 12934, 13797, 14659, 15521, 16384, 17246, 18108,
    18970, 19833, 20695, 21557, 22420, 23282, 24144, 25007, 25869, 26731, 27594, 28456, 29318, 30181, 31043, 31905,
    32768,
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

/* The lag in [lo, hi] of frame (length samples at 1 / step of the rate) with the best score, 0 for none. The
 * span's energy slides from lag to lag (one sample in, one out: the same exact sum). */
static int best_lag(const int16_t* frame, int length, int lo, int hi, int step) {
  int64_t energy = dot16(frame - lo, frame - lo, length);
  uint32_t best = 0;
  int lag, found = 0;
  for (lag = lo; lag <= hi; ++lag) {
    const int16_t* span = frame - lag;
    int64_t dot;
    if (lag > lo) energy += (int32_t)span[0] * span[0] - (int32_t)span[length] * span[length];
    dot = dot16(frame, span, length);
    if (dot > 0 && energy > 0) {
      const uint32_t key = score_key(dot, energy, lag_weight_q15(lag * step));
      if (key > best) {
        best = key;
        found = lag;
      }
    }
  }
  return found;
}

static void halve_rate(const int16_t* in, int16_t* out, int n_out) {
  int m;
  for (m = 0; m < n_out; ++m) out[m] = (int16_t)(((int32_t)in[2 * m] + in[2 * m + 1]) >> 1);
}

int nnsp_pitch_find_lag(const int16_t hist[NNSP_PITCH_HIST], int16_t* scratch) {
  enum { MIN = NNSP_PITCH_MIN_LAG, MAX = NNSP_PITCH_MAX_LAG, HALF = NNSP_PITCH_HIST / 2 };
  const int16_t* frame = hist + NNSP_PITCH_REACH;
  int16_t *half = scratch, *quarter = scratch + HALF;
  int coarse, mid;
  if (dot16(frame, frame, NNSP_WINDOW) == 0) return 0;
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

/* The spectrum's values times 2^-s, rounded (s > 0), or exactly (s <= 0, where |v| 2^-s stays below
 * 2^MANTISSA_BITS). */
static void rescale_all(int32_t v[2 * NNSP_BINS], int s) {
  int k;
  if (s <= 0) {
    for (k = 0; k < 2 * NNSP_BINS; ++k) v[k] = (int32_t)((uint32_t)v[k] << -s);
  } else if (s >= 32) {
    memset(v, 0, 2 * NNSP_BINS * sizeof(int32_t));
  } else {
    for (k = 0; k < 2 * NNSP_BINS; ++k) v[k] = nnsp_rshr32(v[k], s);
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

void nnsp_pitch_filter_apply(int32_t spec[2 * NNSP_BINS], int* exp, int32_t pspec[2 * NNSP_BINS], int pexp,
                             const int16_t gains_q15[NNSP_BINS], const uint32_t* floor, int32_t strength_q15,
                             int64_t* scratch) {
  /* the band sums: in the caller's scratch, to keep the stack small */
  uint64_t *const ex = (uint64_t*)scratch, *const ep = ex + BANDS, *const eg = ex + 2 * BANDS;
  uint64_t *const en = ex + 3 * BANDS, *const ef = ex + 4 * BANDS;
  int64_t* const exp_sum = scratch + 5 * BANDS;
  int32_t r_q10[BANDS], n_q13[BANDS];
  const int bx = nnsp_bit_length32(or_abs(spec, 2 * NNSP_BINS));
  const int bp = nnsp_bit_length32(or_abs(pspec, 2 * NNSP_BINS));
  int ec, i, k, b;
  if (bx == 0 || bp == 0) return;
  memset(scratch, 0, NNSP_PITCH_APPLY_SCRATCH * sizeof(int64_t));
  ec = (bx + *exp > bp + pexp ? bx + *exp : bp + pexp) - MANTISSA_BITS;
  rescale_all(spec, ec - *exp);
  rescale_all(pspec, ec - pexp);
  /* Band sums (of the mantissas rounded to 15 bits): bin k between centres lo and hi counts (1 - w) towards band i
   * and w towards band i + 1. Per segment between two centres, the plain sum S and the weighted sum W of each
   * quantity: band i gets 2^15 S - W, band i + 1 gets W (exact). Three loops of two quantities each, so that the
   * running sums stay in registers. */
  for (i = 0; i + 1 < BANDS; ++i) {
    const int first = band_edges[i], last = i + 2 == BANDS ? band_edges[i + 1] : band_edges[i + 1] - 1;
    uint64_t s1 = 0, w1 = 0, s2 = 0, w2 = 0;
    int64_t ss = 0, ws = 0;
    for (k = first; k <= last; ++k) { /* |X|^2, |P|^2 */
      const uint32_t w = bin_weight_q15[k];
      const int32_t xr = nnsp_rshr32(spec[2 * k], STATS_SHIFT), xi = nnsp_rshr32(spec[2 * k + 1], STATS_SHIFT);
      const int32_t pr = nnsp_rshr32(pspec[2 * k], STATS_SHIFT), pi = nnsp_rshr32(pspec[2 * k + 1], STATS_SHIFT);
      const uint32_t x2 = (uint32_t)(xr * xr) + (uint32_t)(xi * xi), p2 = (uint32_t)(pr * pr) + (uint32_t)(pi * pi);
      s1 += x2, w1 += (uint64_t)w * x2;
      s2 += p2, w2 += (uint64_t)w * p2;
    }
    ex[i] += (s1 << 15) - w1, ex[i + 1] += w1;
    ep[i] += (s2 << 15) - w2, ep[i + 1] += w2;
    s1 = w1 = 0;
    for (k = first; k <= last; ++k) { /* Re(X P*), g^2 |X|^2 */
      const uint32_t w = bin_weight_q15[k];
      const int32_t xr = nnsp_rshr32(spec[2 * k], STATS_SHIFT), xi = nnsp_rshr32(spec[2 * k + 1], STATS_SHIFT);
      /* each product up to 2^30 (a rounded 15-bit mantissa reaches 2^15): the sum in 64 bits */
      const int64_t xp = (int64_t)xr * nnsp_rshr32(pspec[2 * k], STATS_SHIFT) +
                         (int64_t)xi * nnsp_rshr32(pspec[2 * k + 1], STATS_SHIFT);
      /* a gain of 32767 is the runtime's unity (the float filter leaves a band of unity gain alone) */
      const uint32_t g2 = gains_q15[k] >= 32767 ? 32768u : ((uint32_t)(gains_q15[k] * gains_q15[k])) >> 15;
      const uint32_t gx = (uint32_t)(((uint64_t)g2 * ((uint32_t)(xr * xr) + (uint32_t)(xi * xi))) >> 15);
      ss += xp, ws += (int64_t)w * xp;
      s1 += gx, w1 += (uint64_t)w * gx;
    }
    exp_sum[i] += ss * 32768 - ws, exp_sum[i + 1] += ws;
    eg[i] += (s1 << 15) - w1, eg[i + 1] += w1;
    if (floor) {
      s1 = w1 = 0;
      for (k = first; k <= last; ++k) { /* the tracked noise floor */
        const uint32_t nk = floor_in_units(floor[k], ec + STATS_SHIFT);
        s1 += nk, w1 += (uint64_t)bin_weight_q15[k] * nk;
      }
      en[i] += (s1 << 15) - w1, en[i + 1] += w1;
    }
  }
  for (b = 0; b < BANDS; ++b) {
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
  for (i = 0; i + 1 < BANDS; ++i) {
    const int last = i + 2 == BANDS ? band_edges[i + 1] : band_edges[i + 1] - 1;
    uint64_t se = 0, we = 0;
    for (k = band_edges[i]; k <= last; ++k) {
      const uint32_t w = bin_weight_q15[k];
      const int32_t r = (int32_t)(((32768u - w) * (uint32_t)r_q10[i] + w * (uint32_t)r_q10[i + 1] + 16384u) >> 15);
      const int32_t yr = spec[2 * k] + ((r * pspec[2 * k] + 512) >> 10);
      const int32_t yi = spec[2 * k + 1] + ((r * pspec[2 * k + 1] + 512) >> 10);
      /* < 2^41.4: the segment's sums (at most 39 bins), times 2^15, stay below 2^62 */
      const uint64_t e = (uint64_t)((int64_t)yr * yr) + (uint64_t)((int64_t)yi * yi);
      spec[2 * k] = yr;
      spec[2 * k + 1] = yi;
      se += e, we += w * e;
    }
    ef[i] += (se << 15) - we, ef[i + 1] += we;
  }
  for (b = 0; b < BANDS; ++b) {
    pfloat f = pf_u64(ef[b]);
    f.e -= 2 * STATS_SHIFT; /* into the statistics' units */
    n_q13[b] = ef[b] != 0 && ex[b] != 0 ? pf_fixed(pf_sqrt(pf_div(pf_u64(ex[b]), f)), 13, MAX_N_Q13) : 8192;
  }
  for (i = 0; i + 1 < BANDS; ++i) {
    const int last = i + 2 == BANDS ? band_edges[i + 1] : band_edges[i + 1] - 1;
    for (k = band_edges[i]; k <= last; ++k) {
      const uint32_t w = bin_weight_q15[k], wl = 32768u - w;
      const int32_t n = (int32_t)((wl * (uint32_t)n_q13[i] + w * (uint32_t)n_q13[i + 1] + 16384u) >> 15);
      spec[2 * k] = (int32_t)(((int64_t)spec[2 * k] * n + 4096) >> 13);
      spec[2 * k + 1] = (int32_t)(((int64_t)spec[2 * k + 1] * n + 4096) >> 13);
    }
  }
  *exp = ec;
}
