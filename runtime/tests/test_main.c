/* Runtime tests: golden vectors (bit-exact), float references (error bounds), pipeline robustness. Built with
 * AddressSanitizer and UndefinedBehaviorSanitizer; any report aborts the run. Optional argument: a test name. */
#include <string.h>

#include "check.h"

int g_failures = 0;
int g_checks = 0;

int main(int argc, char **argv) {
  const struct {
    const char *name;
    void (*run)(void);
  } tests[] = {{"golden", test_golden},     {"kernels_float", test_kernels_float}, {"fft", test_fft},
               {"frontend", test_frontend}, {"pipeline", test_pipeline},
               {"weight_layout", test_weight_layout}};
  unsigned i;
  for (i = 0; i < sizeof tests / sizeof tests[0]; ++i) {
    if (argc > 1 && strcmp(argv[1], tests[i].name) != 0) continue;
    printf("[%s]\n", tests[i].name);
    tests[i].run();
  }
  printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
