/* Where a weight sits in a layer's table (nnsp_w_layout, nnsp.h), and the portable row product for any layout. */
#ifndef NNSP_WEIGHT_LAYOUT_H
#define NNSP_WEIGHT_LAYOUT_H

#include <stdint.h>

#include "nnsp.h"

/* The index of W[r][c] in a table of `rows` rows of `cols` columns (cols % 4 == 0 for NNSP_W_BLOCK4). Byte k of
 * a block's four holds column (0, 2, 1, 3)[k] of its group: the permutation swaps bits 0 and 1 of c % 4. */
static inline long nnsp_w_index(int layout, int rows, int cols, int r, int c) {
  const int k = c & 3;
  if (layout != NNSP_W_BLOCK4 || r >= (rows & ~3)) return (long)r * cols + c;
  return (long)(r & ~3) * cols + 4L * (c & ~3) + 4L * (r & 3) + (((k & 1) << 1) | (k >> 1));
}

/* sum_c W[r][c] x[c] (int64, exact) for row r of a table in either layout. */
int64_t nnsp_dot_row_s8_s16(const int8_t *w, int layout, int rows, int cols, int r, const int16_t *x);

#endif /* NNSP_WEIGHT_LAYOUT_H */
