/* 512-point real FFT and inverse in block floating point: int32 mantissas that share one exponent per block
 * (value = mantissa * 2^exp). Before every radix-2 stage the block is shifted right (rounding) just enough
 * that no butterfly can overflow, so the transform is exact to ~29 bits whatever the input level. */
#ifndef NNSP_FFT_H
#define NNSP_FFT_H

#include <stdint.h>

#include "nnsp.h"

#define NNSP_SPEC_VALUES (2 * 257) /* interleaved re, im of bins 0..256 */

/* buf: 512 real samples (value buf[n] * 2^*exp, |buf[n]| < 2^31), destroyed (used as the complex work area).
 * spec: bins 0..256 of the unnormalized DFT X[k] = sum_n x[n] e^(-2 pi i k n / 512), interleaved.
 * *exp: on entry the input's exponent, on return the spectrum's. */
void nnsp_rfft512(int32_t buf[512], int32_t spec[NNSP_SPEC_VALUES], int *exp);

/* nnsp_window_frame(hist, buf) then nnsp_rfft512 from its exponent, in one step (the same numbers): the windowed
 * samples are written straight to their bit-reversed places. *exp is set. */
void nnsp_rfft512_frame(const int16_t hist[NNSP_WINDOW], int32_t buf[512], int32_t spec[NNSP_SPEC_VALUES],
                        int *exp);

/* spec: bins 0..256 (destroyed; the imaginary parts of bins 0 and 256 are ignored), buf: 512 real samples of
 * the normalized inverse x[n] = (1/512) sum_k X[k] e^(+2 pi i k n / 512) over all 512 bins (Hermitian). */
void nnsp_irfft512(int32_t spec[NNSP_SPEC_VALUES], int32_t buf[512], int *exp);

/* nnsp_irfft512 for a spectrum whose imaginary parts of bins 0 and 256 are already 0, with or_abs the OR of
 * |value| over the other 512 values (as nnsp_apply_gain returns it): the same numbers without a pass to find it. */
void nnsp_irfft512_or(int32_t spec[NNSP_SPEC_VALUES], uint32_t or_abs, int32_t buf[512], int *exp);

#endif /* NNSP_FFT_H */
