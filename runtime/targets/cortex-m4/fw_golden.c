/* Test firmware: the runtime's golden-vector test (runtime/tests/test_golden.c) on the Cortex-M4: activations,
 * every kernel case, the FFTs, log10, the gain floor and four whole synthetic pipelines (one on melflat features)
 * must reproduce the committed host results bit for bit, whichever kernels (portable or DSP) the firmware was
 * built with. */
#include <stdio.h>

#include "check.h"

int g_failures = 0;
int g_checks = 0;

int main(void) {
  test_golden();
  printf("golden: %d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
