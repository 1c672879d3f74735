/* The portable row product for either weight layout (the oracle the DSP kernels match). */
#include "weight_layout.h"

#include "kernels.h"

int64_t nnsp_dot_row_s8_s16(const int8_t *w, int layout, int rows, int cols, int r, const int16_t *x) {
  const int8_t *p;
  int64_t acc = 0;
  int g;
  if (layout != NNSP_W_BLOCK4 || r >= (rows & ~3)) return nnsp_dot_s8_s16(w + (long)r * cols, x, cols);
  /* Row r's four weights of group g are 16 bytes apart; within them columns 0, 2, 1, 3 of the group. Each
   * product is below 2^22 in magnitude. */
  p = w + (long)(r & ~3) * cols + 4 * (r & 3);
  for (g = 0; g < cols; g += 4, p += 16)
    acc += (int32_t)p[0] * x[g] + (int32_t)p[1] * x[g + 2] + (int32_t)p[2] * x[g + 1] + (int32_t)p[3] * x[g + 3];
  return acc;
}
