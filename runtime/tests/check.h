/* A minimal test harness: CHECK counts failures and prints where; MEASURE prints a measured error next to the
 * bound it is held to (the numbers docs/fixed-point.md quotes). */
#ifndef NNSP_CHECK_H
#define NNSP_CHECK_H

#include <stdio.h>

extern int g_failures;
extern int g_checks;

#define CHECK(cond, ...)                                              \
  do {                                                                \
    ++g_checks;                                                       \
    if (!(cond)) {                                                    \
      ++g_failures;                                                   \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                   \
      fprintf(stderr, "\n");                                          \
    }                                                                 \
  } while (0)

#define MEASURE(name, value, bound)                                                      \
  do {                                                                                   \
    printf("  %-44s %12.4g  (bound %.4g)\n", name, (double)(value), (double)(bound));    \
    CHECK((value) <= (bound), "%s = %g exceeds %g", name, (double)(value), (double)(bound)); \
  } while (0)

void test_golden(void);
void test_kernels_float(void);
void test_fft(void);
void test_frontend(void);
void test_pipeline(void);
void test_weight_layout(void);

#endif /* NNSP_CHECK_H */
