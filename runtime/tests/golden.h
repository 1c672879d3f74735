/* The golden set: outputs of the fixed-point runtime on the deterministic cases of cases.h. golden_compute()
 * recomputes them; tools/gen_golden.c prints them into golden_vectors.c (committed), and the tests require the
 * runtime to reproduce them bit for bit (any port, e.g. Cortex-M4 kernels, must too). Large outputs are stored
 * as FNV-1a hashes. */
#ifndef NNSP_GOLDEN_H
#define NNSP_GOLDEN_H

#include <stdint.h>

#include "cases.h"

#define GOLDEN_FFT_N 6
#define GOLDEN_LOG_N 16
#define GOLDEN_FLOOR_N 8
#define GOLDEN_PIPELINES 5 /* lstm; gru + relu6; per-row formats; melflat features; lstm with concat_input */
#define GOLDEN_PIPELINE_HOPS 120

typedef struct {
  int16_t tanh_out[ACT_SWEEP];
  int16_t sigmoid_out[ACT_SWEEP];
  int16_t kernel_out[NUM_KERNEL_CASES][CASE_MAX_FRAMES * CASE_MAX_ROWS];
  uint32_t fft_hash[GOLDEN_FFT_N];
  int32_t fft_exp[GOLDEN_FFT_N];
  uint32_t ifft_hash[GOLDEN_FFT_N];
  int32_t ifft_exp[GOLDEN_FFT_N];
  int32_t log10_out[GOLDEN_LOG_N];
  int32_t gain_floor[GOLDEN_FLOOR_N];
  uint32_t pipeline_hash[GOLDEN_PIPELINES];
} golden_set;

extern const uint64_t kGoldenLogInputs[GOLDEN_LOG_N]; /* Q23 */
extern const int32_t kGoldenFloorInputs[GOLDEN_FLOOR_N]; /* dB, Q8 */
extern const golden_set kGolden; /* golden_vectors.c */

/* The synthetic model options of pipeline i. */
void golden_pipeline_options(int i, synthetic_options *o);
/* A deterministic test stream: hop h of a mix of tones, noise bursts and silence (Q15). */
void golden_stream_hop(int hop, int16_t out[NNSP_HOP]);

void golden_compute(golden_set *g);

#endif /* NNSP_GOLDEN_H */
