/* The whole-table product of the DSP kernels (dot_blocks_dsp.c), for kernels_dsp.c. */
#ifndef NNSP_DOT_BLOCKS_DSP_H
#define NNSP_DOT_BLOCKS_DSP_H

#include <stdint.h>

/* out[4 b + i] = sum_j W[4 b + i][j] x[j] (int32) for the blocks b < blocks (>= 1) of an NNSP_W_BLOCK4 table
 * starting at w (a block's first byte, 4-byte aligned), with x (int16, 4-byte aligned) of `groups` (>= 1)
 * groups of four columns, at most 127 of them (one int32 chunk: 508 products below 2^22 each stay below 2^31). */
void nnsp_dot4_blocks_s8_s16(const int8_t *w, const int16_t *x, int groups, int blocks, int32_t *out);

#endif /* NNSP_DOT_BLOCKS_DSP_H */
