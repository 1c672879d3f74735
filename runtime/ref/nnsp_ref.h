/* Float references of the runtime's kernels (host only: uses libm). Same argument order and the same layer
 * semantics as the fixed-point kernels in runtime/src/kernels.h, with float weights in the same row-major
 * layouts; golden-vector tests compare the two. Not part of the runtime library. */
#ifndef NNSP_REF_H
#define NNSP_REF_H

#include <stdint.h>

#include "nnsp.h"

typedef struct {
  int kind, activation, kernel, in_dim, units, concat_input;
  const float *w;     /* [rows][kernel * in_dim] */
  const float *r;     /* [rows][units] */
  const float *bias;  /* [rows] */
  const float *rbias; /* gru: [units] */
} nnsp_ref_layer;

float nnsp_ref_activate(float z, int activation);
void nnsp_ref_fc(const nnsp_ref_layer *layer, const float *x, float *y);
void nnsp_ref_lstm_step(const nnsp_ref_layer *layer, const float *x, float *h, float *c);
void nnsp_ref_gru_step(const nnsp_ref_layer *layer, const float *x, float *h);

/* Direct DFT in double: X[k] = sum_n x[n] e^(-2 pi i k n / 512), k = 0..256; and the normalized inverse from
 * bins 0..256 (Hermitian extension; imaginary parts of bins 0 and 256 ignored). */
void nnsp_ref_rfft512(const double x[512], double re[NNSP_BINS], double im[NNSP_BINS]);
void nnsp_ref_irfft512(const double re[NNSP_BINS], const double im[NNSP_BINS], double x[512]);

/* nnse's float noise-floor guard (enhance/floor_guard.h; the fixed-point one: runtime/src/floor_guard.h):
 * smoothed power P = (P + p) / 2, floor N = min(P, N 10^(0.1 / 100 frames) + 1e-12), bound clamp(1 - beta N / P,
 * 0, 1) weighted by min(1, g / 0.3); gain = max(gain, bound). beta 0: off. power in the units of the Q23 power
 * spectrum (sample values in [-1, 1)). */
typedef struct {
  double power[NNSP_BINS], floor[NNSP_BINS], beta;
  int first;
} nnsp_ref_floor_guard;
void nnsp_ref_floor_guard_reset(nnsp_ref_floor_guard *g, double beta);
void nnsp_ref_floor_guard_observe(nnsp_ref_floor_guard *g, const double power[NNSP_BINS]);
void nnsp_ref_floor_guard_apply(const nnsp_ref_floor_guard *g, double gain[NNSP_BINS]);

/* The log features of one frame in double (feature_dim values): the formulas of nnsp.h's nnsp_feature_type on a
 * power spectrum p (in the units of the Q23 power, sample values in [-1, 1)), with the model's mel tables. */
void nnsp_ref_log_features(const nnsp_model *model, const double p[NNSP_BINS], double *features);

/* A float model: the int8 model's weights and biases dequantized (layer-wise float copies). */
typedef struct {
  const nnsp_model *model;
  nnsp_ref_layer layers[16];
  float *storage;
} nnsp_ref_model;

/* Dequantizes model (at most 16 layers) into ref (allocates; free with nnsp_ref_model_free). */
int nnsp_ref_model_from(const nnsp_model *model, nnsp_ref_model *ref);
void nnsp_ref_model_free(nnsp_ref_model *ref);

/* The float enhancer: the same per-hop pipeline as nnsp_process_q15 in double/float arithmetic (the structure
 * of nnse's enhance::Enhancer: features through the DC high-pass, synthesis from the input through the DC
 * blocker, pass level, gain floor, overlap-add), with the model's dequantized weights. Stream state in an opaque
 * struct. pass_gain: 1 = none. guard_beta: the noise-floor guard of nnse's float enhancer (0 = none). */
typedef struct nnsp_ref_enhancer nnsp_ref_enhancer;
nnsp_ref_enhancer *nnsp_ref_enhancer_new(const nnsp_ref_model *ref, double gain_floor, double pass_gain,
                                         double guard_beta);
void nnsp_ref_enhancer_free(nnsp_ref_enhancer *e);
/* in, out: NNSP_HOP samples in [-1, 1). */
void nnsp_ref_enhancer_process(nnsp_ref_enhancer *e, const double *in, double *out);
const float *nnsp_ref_enhancer_features(const nnsp_ref_enhancer *e);

#endif /* NNSP_REF_H */
