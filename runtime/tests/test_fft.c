/* The block-floating-point FFT against a direct double DFT, at every input level, and its inverse. */
#include <math.h>

#include "../ref/nnsp_ref.h"
#include "../src/fft.h"
#include "../src/frontend.h"
#include "../src/tables.h"
#include "cases.h"
#include "check.h"

void test_fft(void) {
  double worst_fwd = 0.0, worst_inv = 0.0;
  int level, seed;
  for (seed = 0; seed < 3; ++seed)
    for (level = 0; level <= 15; level += 3) {
      int32_t buf[512], spec[NNSP_SPEC_VALUES];
      double x[512], re[NNSP_BINS], im[NNSP_BINS], peak = 0.0, e_fwd = 0.0, e_inv = 0.0, xpeak = 0.0;
      int exp = -30, n, k;
      make_fft_frame(500u + (uint32_t)seed, level, buf);
      for (n = 0; n < 512; ++n) {
        x[n] = ldexp(buf[n], -30);
        xpeak = fabs(x[n]) > xpeak ? fabs(x[n]) : xpeak;
      }
      nnsp_ref_rfft512(x, re, im);
      nnsp_rfft512(buf, spec, &exp);
      for (k = 0; k < NNSP_BINS; ++k) {
        const double dr = ldexp(spec[2 * k], exp) - re[k], di = ldexp(spec[2 * k + 1], exp) - im[k];
        const double mag = sqrt(re[k] * re[k] + im[k] * im[k]);
        peak = mag > peak ? mag : peak;
        e_fwd = fmax(e_fwd, sqrt(dr * dr + di * di));
      }
      /* relative to the spectrum's peak: 8 halving stages after a normalization to 2^28, each rounding at the
       * stage's last bit (a noise-like frame keeps ~24 bits of its peak through them) */
      e_fwd /= peak;
      worst_fwd = e_fwd > worst_fwd ? e_fwd : worst_fwd;
      nnsp_irfft512(spec, buf, &exp);
      for (n = 0; n < 512; ++n) e_inv = fmax(e_inv, fabs(ldexp(buf[n], exp) - x[n]));
      e_inv /= xpeak;
      worst_inv = e_inv > worst_inv ? e_inv : worst_inv;
    }
  MEASURE("rfft512 max |error| / peak |X|", worst_fwd, 4e-7);
  MEASURE("irfft512(rfft512(x)) max |error| / peak |x|", worst_inv, 1.5e-5);
  {
    /* all-zero and full-scale extremes: no overflow, exact zero stays zero */
    int32_t buf[512], spec[NNSP_SPEC_VALUES];
    int exp = -30, n, k, zero = 1;
    for (n = 0; n < 512; ++n) buf[n] = 0;
    nnsp_rfft512(buf, spec, &exp);
    for (k = 0; k < NNSP_SPEC_VALUES; ++k) zero &= spec[k] == 0;
    CHECK(zero, "FFT of zeros is not zero");
    for (n = 0; n < 512; ++n) buf[n] = (n & 1) ? INT32_MIN + 1 : INT32_MAX; /* Nyquist at 2^31 */
    exp = 0;
    nnsp_rfft512(buf, spec, &exp);
    CHECK(fabs(ldexp(spec[512], exp) - 512.0 * 2147483647.0) < 512.0 * 2147483647.0 * 1e-6,
          "full-scale Nyquist bin %g", ldexp(spec[512], exp));
    for (n = 0; n < 512; ++n) buf[n] = INT32_MAX; /* DC */
    exp = 0;
    nnsp_rfft512(buf, spec, &exp);
    CHECK(fabs(ldexp(spec[0], exp) - 512.0 * 2147483647.0) < 512.0 * 2147483647.0 * 1e-6, "full-scale DC");
  }
  {
    /* The split step computes bins k and 256 - k together from the symmetry of the twiddle tables. */
    int k, symmetric = 1;
    for (k = 1; k < 256; ++k)
      symmetric &= nnsp_cos_q31[256 - k] == -nnsp_cos_q31[k] && nnsp_sin_q31[256 - k] == nnsp_sin_q31[k];
    CHECK(symmetric, "twiddle tables not symmetric about k = 128");
  }
  {
    /* nnsp_rfft512_frame = nnsp_window_frame + nnsp_rfft512, bit for bit: random, quiet, full-scale, zero */
    static const int32_t amp[] = {32767, 200, 1, 0, -32768};
    uint32_t rng = 77u;
    int a, same = 1;
    for (a = 0; a < 5; ++a) {
      int16_t hist[NNSP_WINDOW];
      int32_t buf[512], spec[NNSP_SPEC_VALUES], buf2[512], spec2[NNSP_SPEC_VALUES];
      int exp, exp2, n;
      for (n = 0; n < NNSP_WINDOW; ++n)
        hist[n] = (int16_t)(amp[a] < 0 ? ((n & 1) ? 32767 : -32768) : rng_range(&rng, -amp[a], amp[a]));
      exp = nnsp_window_frame(hist, buf);
      nnsp_rfft512(buf, spec, &exp);
      nnsp_rfft512_frame(hist, buf2, spec2, &exp2);
      same &= exp == exp2;
      for (n = 0; n < NNSP_SPEC_VALUES; ++n) same &= spec[n] == spec2[n];
    }
    CHECK(same, "nnsp_rfft512_frame differs from nnsp_window_frame + nnsp_rfft512");
  }
}
