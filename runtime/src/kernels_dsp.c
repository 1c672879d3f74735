/* The matrix products with the Arm DSP extension (Cortex-M4F and up), the same results bit for bit as the
 * portable fc.c / gate_acc.c, which stay the oracle (see NNSP_DSP_KERNELS in kernels.h).
 *
 * SMLAD multiplies two int16 pairs and adds both products to an int32 accumulator in one instruction; SXTB16
 * sign-extends bytes 0 and 2 of a word into two int16 (and, on the word rotated by 8, bytes 1 and 3). So four
 * int8 weights w0..w3 loaded as one word become (w0, w2) and (w1, w3), and the input is packed once per layer
 * call into the matching pairs (x0, x2), (x1, x3): four multiply-accumulates cost one load of weights, two
 * SXTB16 and two SMLAD. The weights keep the model format's row-major layout. Four rows are computed together
 * so that each loaded input pair serves four rows.
 *
 * Exactness: a product is at most 128 * 32768 = 2^22 in magnitude, so any 508 of them sum below 2^31 and the
 * int32 accumulator of a chunk of 127 groups of four never overflows; chunks are summed in int64 as the
 * portable dot product does. The bias, requantization and activation are the portable code's (nnsp_fc_row_out,
 * nnsp_gate_pre), applied to the identical int64 sums. */
#include "kernels.h"

#if NNSP_DSP_KERNELS

#include <arm_acle.h>

#include "recurrent.h"

#define BLOCK_ROWS 4
#define PAIR_WORDS 256   /* packed input on the stack: up to 512 values (1 KB); longer rows use the portable code */
#define CHUNK_GROUPS 127 /* groups of four products summed in int32 (508 products < 2^31 / 2^22) */

/* Input x[0 .. 4 groups) as SXTB16 unpacks the weights: word 2k = (x[4k], x[4k+2]), 2k+1 = (x[4k+1], x[4k+3]),
 * low half first. */
static void pack_pairs(const int16_t *x, int groups, uint32_t *pairs) {
  int k;
  for (k = 0; k < groups; ++k, x += 4) {
    pairs[2 * k] = (uint32_t)(uint16_t)x[0] | ((uint32_t)(uint16_t)x[2] << 16);
    pairs[2 * k + 1] = (uint32_t)(uint16_t)x[1] | ((uint32_t)(uint16_t)x[3] << 16);
  }
}

/* One group of four columns for four rows: rows 0 and 1 at a and a + s, rows 2 and 3 at b and b + s (three
 * registers address four rows); a, b and the packed input p advance. 21 instructions for 16 multiply-
 * accumulates (plus the loop test, once per two groups): the input pairs are loaded once for the four rows. Written out because GCC neither fuses a
 * rotate into SXTB16 (ACLE has no rotating form) nor keeps the thirteen live values in registers. */
#define GROUP_ASM                            \
  "ldrd   %[x02], %[x13], [%[p]], #8\n\t"    \
  "ldr    %[v], [%[a], %[s]]\n\t"            \
  "sxtb16 %[u], %[v]\n\t"                    \
  "sxtb16 %[v], %[v], ror #8\n\t"            \
  "smlad  %[a1], %[u], %[x02], %[a1]\n\t"    \
  "smlad  %[a1], %[v], %[x13], %[a1]\n\t"    \
  "ldr    %[v], [%[a]], #4\n\t"              \
  "sxtb16 %[u], %[v]\n\t"                    \
  "sxtb16 %[v], %[v], ror #8\n\t"            \
  "smlad  %[a0], %[u], %[x02], %[a0]\n\t"    \
  "smlad  %[a0], %[v], %[x13], %[a0]\n\t"    \
  "ldr    %[v], [%[b], %[s]]\n\t"            \
  "sxtb16 %[u], %[v]\n\t"                    \
  "sxtb16 %[v], %[v], ror #8\n\t"            \
  "smlad  %[a3], %[u], %[x02], %[a3]\n\t"    \
  "smlad  %[a3], %[v], %[x13], %[a3]\n\t"    \
  "ldr    %[v], [%[b]], #4\n\t"              \
  "sxtb16 %[u], %[v]\n\t"                    \
  "sxtb16 %[v], %[v], ror #8\n\t"            \
  "smlad  %[a2], %[u], %[x02], %[a2]\n\t"    \
  "smlad  %[a2], %[v], %[x13], %[a2]\n\t"

/* acc[0..3] += the products of `groups` (>= 1) groups of four columns. Two groups per loop iteration (the loop
 * test is paid once per 32 multiply-accumulates), then an odd last group. */
static void dot4_groups(const int8_t *a, const int8_t *b, long s, const uint32_t *p, int groups, int32_t acc[4]) {
  const uint32_t *p_pairs_end = p + 2 * (groups & ~1);
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int32_t x02, x13, v, u;
  if (groups >= 2) {
    __asm volatile("1:\n\t" GROUP_ASM GROUP_ASM
                   "cmp    %[p], %[end]\n\t"
                   "bne    1b\n\t"
                   : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [a] "+r"(a), [b] "+r"(b),
                     [p] "+r"(p), [x02] "=&r"(x02), [x13] "=&r"(x13), [v] "=&r"(v), [u] "=&r"(u)
                   : [s] "r"(s), [end] "r"(p_pairs_end)
                   : "cc", "memory");
  }
  if (groups & 1) {
    __asm volatile(GROUP_ASM
                   : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [a] "+r"(a), [b] "+r"(b),
                     [p] "+r"(p), [x02] "=&r"(x02), [x13] "=&r"(x13), [v] "=&r"(v), [u] "=&r"(u)
                   : [s] "r"(s)
                   : "memory");
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* dot_rows for any block: a short last block, odd columns, rows longer than one int32 chunk. */
static void dot_rows_general(const int8_t *w, long stride, int rows, const uint32_t *pairs, const int16_t *x,
                             int n, int64_t acc[BLOCK_ROWS]) {
  /* The four computed rows are (a, a + s, b, b + s); a short last block computes rows it has twice:
   * 1 row: (0, 0, 0, 0); 2 rows: (0, 1, 0, 1); 3 rows: (0, 1, 1, 2). out[i] says which computed row is row i. */
  static const uint8_t out_3[BLOCK_ROWS] = {0, 1, 3, 3}, out_4[BLOCK_ROWS] = {0, 1, 2, 3};
  const uint8_t *out = rows == 3 ? out_3 : out_4;
  const long s = rows > 1 ? stride : 0;
  const int8_t *a = w, *b = w + (rows == 4 ? 2 * stride : rows == 3 ? stride : 0);
  const int groups = n / 4;
  int64_t sum[BLOCK_ROWS];
  int g, i, j;
  sum[0] = sum[1] = sum[2] = sum[3] = 0;
  for (g = 0; g < groups; g += CHUNK_GROUPS) {
    const int count = groups - g > CHUNK_GROUPS ? CHUNK_GROUPS : groups - g;
    int32_t chunk[BLOCK_ROWS];
    chunk[0] = chunk[1] = chunk[2] = chunk[3] = 0;
    dot4_groups(a + 4 * g, b + 4 * g, s, pairs + 2 * g, count, chunk);
    for (i = 0; i < BLOCK_ROWS; ++i) sum[i] += chunk[i];
  }
  /* The last n % 4 columns. */
  for (j = 4 * groups; j < n; ++j) {
    sum[0] += a[j] * x[j];
    sum[1] += a[s + j] * x[j];
    sum[2] += b[j] * x[j];
    sum[3] += b[s + j] * x[j];
  }
  for (i = 0; i < BLOCK_ROWS; ++i) acc[i] = sum[out[i]];
}

/* acc[i] = sum_j w[i * stride + j] x[j], j < n, for the first `rows` (1..4) rows; pairs = pack_pairs(x). The
 * common block (four rows, whole groups, one int32 chunk) goes straight to the product loop. */
static inline void dot_rows(const int8_t *w, long stride, int rows, const uint32_t *pairs, const int16_t *x, int n,
                            int64_t acc[BLOCK_ROWS]) {
  if (rows == BLOCK_ROWS && (n & 3) == 0 && n > 0 && n / 4 <= CHUNK_GROUPS) {
    int32_t chunk[BLOCK_ROWS];
    chunk[0] = chunk[1] = chunk[2] = chunk[3] = 0;
    dot4_groups(w, w + 2 * stride, stride, pairs, n / 4, chunk);
    acc[0] = chunk[0];
    acc[1] = chunk[1];
    acc[2] = chunk[2];
    acc[3] = chunk[3];
  } else {
    dot_rows_general(w, stride, rows, pairs, x, n, acc);
  }
}

void nnsp_fc_s8_s16(const nnsp_layer *layer, const int16_t *x, int16_t *y) {
  const int cols = (int)layer->kernel * (int)layer->in_dim, units = layer->units;
  uint32_t pairs[PAIR_WORDS];
  int64_t acc[BLOCK_ROWS];
  int r, i;
  if (cols / 4 * 2 > PAIR_WORDS) {
    nnsp_fc_s8_s16_c(layer, x, y);
    return;
  }
  pack_pairs(x, cols / 4, pairs);
  for (r = 0; r < units; r += BLOCK_ROWS) {
    const int rows = units - r < BLOCK_ROWS ? units - r : BLOCK_ROWS;
    dot_rows(layer->w + (long)r * cols, cols, rows, pairs, x, cols, acc);
    for (i = 0; i < rows; ++i) y[r + i] = nnsp_fc_row_out(layer, r + i, acc[i]);
  }
}

void nnsp_gate_rows(const nnsp_layer *layer, int rows, const int16_t *x, const int16_t *h, int32_t *scratch) {
  const int in = layer->in_dim, units = layer->units;
  const int x_words = in / 4 * 2, h_words = units / 4 * 2;
  uint32_t pairs[PAIR_WORDS];
  int64_t ax[BLOCK_ROWS], ah[BLOCK_ROWS];
  int r, i;
  if (x_words + h_words > PAIR_WORDS) {
    nnsp_gate_rows_c(layer, rows, x, h, scratch);
    return;
  }
  pack_pairs(x, in / 4, pairs);
  pack_pairs(h, units / 4, pairs + x_words);
  for (r = 0; r < rows; r += BLOCK_ROWS) {
    const int n = rows - r < BLOCK_ROWS ? rows - r : BLOCK_ROWS;
    dot_rows(layer->w + (long)r * in, in, n, pairs, x, in, ax);
    dot_rows(layer->r + (long)r * units, units, n, pairs + x_words, h, units, ah);
    for (i = 0; i < n; ++i) nnsp_gate_pre(layer, r + i, ax[i], ah[i], scratch);
  }
}

#else
/* ISO C forbids an empty translation unit. */
typedef int nnsp_kernels_dsp_unused;
#endif
