/* Fixed-point kernels against their float references (runtime/ref) on the same (dequantized) weights and
 * inputs: what remains is the kernels' own error (activation tables, requantization, state rounding). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../ref/nnsp_ref.h"
#include "../src/kernels.h"
#include "cases.h"
#include "check.h"

static void activation_sweep(void) {
  int32_t x[ACT_SWEEP];
  double worst_tanh = 0.0, worst_sigmoid = 0.0;
  int i;
  make_act_sweep(x);
  for (i = 0; i < ACT_SWEEP; ++i) {
    const double v = ldexp(x[i], -24);
    const double et = fabs(ldexp(nnsp_tanh_q15(x[i]), -15) - tanh(v));
    const double es = fabs(ldexp(nnsp_sigmoid_q15(x[i]), -15) - 1.0 / (1.0 + exp(-v)));
    worst_tanh = et > worst_tanh ? et : worst_tanh;
    worst_sigmoid = es > worst_sigmoid ? es : worst_sigmoid;
  }
  /* table interpolation <= 2.3e-5, output rounding <= 1.53e-5, 1.0 -> 32767/32768 costs 3.05e-5 */
  MEASURE("tanh |error| (sweep +-20)", worst_tanh, 4.0e-5 + 3.1e-5);
  MEASURE("sigmoid |error| (sweep +-20)", worst_sigmoid, 4.0e-5);
}

/* Largest |fixed - float| over all frames and units of case i, in units of the output LSB. */
static double case_error_lsb(int i, const char **name) {
  kernel_case *c = malloc(sizeof *c);
  nnsp_model model;
  nnsp_ref_model ref;
  int16_t *fixed = malloc(sizeof(int16_t) * CASE_MAX_FRAMES * CASE_MAX_ROWS);
  float x[CASE_MAX_COLS], window[CASE_MAX_FRAMES * CASE_MAX_COLS], h[CASE_MAX_ROWS], cs[CASE_MAX_ROWS];
  float y[CASE_MAX_ROWS];
  double worst = 0.0;
  int t, j, in, k;
  const nnsp_layer *l;
  make_kernel_case(i, c);
  l = &c->layer;
  *name = c->name;
  memset(&model, 0, sizeof model);
  model.num_layers = 1;
  model.layers = l;
  nnsp_ref_model_from(&model, &ref);
  run_kernel_case(c, fixed);
  in = l->in_dim;
  k = l->kernel;
  memset(window, 0, sizeof window);
  memset(h, 0, sizeof h);
  memset(cs, 0, sizeof cs);
  for (t = 0; t < c->frames; ++t) {
    for (j = 0; j < in; ++j) x[j] = (float)ldexp(c->x[t][j], -l->q_in);
    switch (l->kind) {
      case NNSP_LAYER_CONV1D:
        memmove(window, window + in, sizeof(float) * (size_t)(k - 1) * in);
        memcpy(window + (k - 1) * in, x, sizeof(float) * (size_t)in);
        nnsp_ref_fc(&ref.layers[0], window, y);
        break;
      case NNSP_LAYER_LSTM:
        nnsp_ref_lstm_step(&ref.layers[0], x, h, cs);
        memcpy(y, h, sizeof(float) * l->units);
        break;
      case NNSP_LAYER_GRU:
        nnsp_ref_gru_step(&ref.layers[0], x, h);
        memcpy(y, h, sizeof(float) * l->units);
        break;
      default: nnsp_ref_fc(&ref.layers[0], x, y); break;
    }
    for (j = 0; j < l->units; ++j) {
      /* the int16 output saturates: compare with the float value clamped to that range */
      const double top = ldexp(32767, -l->q_out), bottom = -ldexp(32768, -l->q_out);
      double want = y[j];
      double e;
      want = want > top ? top : (want < bottom ? bottom : want);
      e = fabs(ldexp(fixed[t * l->units + j], -l->q_out) - want) * ldexp(1.0, l->q_out);
      worst = e > worst ? e : worst;
    }
  }
  nnsp_ref_model_free(&ref);
  free(fixed);
  free(c);
  return worst;
}

void test_kernels_float(void) {
  /* Bounds in output LSBs. Feed-forward: the accumulator is exact, the Q24 pre-activation adds < 2^-25, so the
   * error is the activation's (tanh/sigmoid <= 2.3 LSB) or the output rounding (relu6, linear: 0.5 LSB).
   * Recurrent: each step adds that error to h (and 2^-25 to c) and the next step sees it through R and the
   * gates; with these weights (|R| row sums up to ~6) a few steps amplify it to ~10 LSB, bounded by 24. */
  const double bounds[NUM_KERNEL_CASES] = {3, 3, 0.6, 0.6, 3, 24, 24, 24, 24};
  int i;
  activation_sweep();
  for (i = 0; i < NUM_KERNEL_CASES; ++i) {
    const char *name;
    const double e = case_error_lsb(i, &name);
    char label[64];
    snprintf(label, sizeof label, "%s |error| (LSB)", name);
    MEASURE(label, e, bounds[i]);
  }
}
