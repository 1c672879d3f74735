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
