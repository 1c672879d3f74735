/* DC-removal high-pass in fixed point (see frontend.h). With |x| <= 2^15 the state obeys
 * |g| <= (2^(15+s) + 1/2) / (1 - a); s is the largest value in [0, 12] with 2^(16+s) <= (1 - a) 2^30, which
 * keeps |g| below 2^29 + 2^14: g[n] - g[n-1] and a * g (< 2^60) never overflow. nnsp_init refuses poles with
 * (1 - a) 2^30 < 2^16 (a > 0.99994), for which no s exists. */
#include "fixed.h"
#include "frontend.h"

void nnsp_dc_init(nnsp_dc_filter *f, int32_t pole_q30) {
  const int32_t one_minus = ((int32_t)1 << 30) - pole_q30;
  int s = 0;
  f->pole_q30 = pole_q30;
  while (s < 12 && ((int32_t)1 << (17 + s)) <= one_minus) ++s;
  f->shift = s;
  f->g = 0;
}

void nnsp_dc_reset(nnsp_dc_filter *f) { f->g = 0; }

int16_t nnsp_dc_process(nnsp_dc_filter *f, int16_t x) { return nnsp_dc_process_inline(f, x); }

/* The rounded shift of the filter's difference and its saturation, rnd(d, s) for s >= 1 as
 * floor((floor(d / 2^(s-1)) + 1) / 2) (= floor((d + 2^(s-1)) / 2^s)): the last halving is SSAT's shifted operand
 * where the DSP extension has it. The same numbers as nnsp_dc_process_inline's. */
static NNSP_ALWAYS_INLINE int16_t round_sat16(int32_t d, int s) {
  const int32_t h = (d >> (s - 1)) + 1; /* |d| < 2^30: no overflow */
#if defined(__ARM_FEATURE_SAT) && defined(__GNUC__)
  int32_t r;
  __asm("ssat %0, #16, %1, asr #1" : "=r"(r) : "r"(h));
  return (int16_t)r;
#else
  return nnsp_sat16(h >> 1);
#endif
}

/* nnsp_dc_process_inline over n samples with the state in locals, one loop per case (bypass, s = 0, s >= 1)
 * so that no sample tests them. */
void nnsp_dc_process_block(nnsp_dc_filter *f, const int16_t *in, int16_t *out, int n) {
  const int32_t a2 = f->pole_q30 * 2; /* 2a, 2g: see nnsp_dc_process_inline */
  const int s = f->shift;
  int32_t g = f->g;
  int i;
  if (f->pole_q30 == 0) {
    for (i = 0; i < n; ++i) out[i] = in[i];
    return;
  }
  if (s == 0) {
    for (i = 0; i < n; ++i) {
      const int32_t next = in[i] + nnsp_mul_hi_r(a2, g * 2);
      out[i] = nnsp_sat16(next - g);
      g = next;
    }
  } else {
    for (i = 0; i < n; ++i) {
      const int32_t next = (int32_t)in[i] * ((int32_t)1 << s) + nnsp_mul_hi_r(a2, g * 2);
      out[i] = round_sat16(next - g, s);
      g = next;
    }
  }
  f->g = g;
}
