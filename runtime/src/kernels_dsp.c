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
 * portable dot product does. The bias, requantization and activation: for layers with per-tensor formats and rows
 * of one chunk, the same steps in int32 (fc_blocks_i32 and nnsp_gate_rows, each with its bounds), falling back
 * to the portable code's (nnsp_fc_row_out, nnsp_gate_pre) where a sum would leave int32; otherwise the portable
 * code's on the identical int64 sums.
 *
 * Tables in NNSP_W_BLOCK4 (nnse convert's order) go whole to nnsp_dot4_blocks_s8_s16 (dot_blocks_dsp.c: up to
 * SUM_ROWS rows per call into int32 sums), and where the requantization to Q24 shifts left by 0 to 17, tanh and
 * sigmoid are read from the int32 sum directly (act_of): fc rows here (fc_blocked_act), an lstm's gates in
 * assembly (nnsp_lstm_gates_act, gate_act_dsp.c). The block-by-block loop (nnsp_dot4_block4_s8_s16) serves the
 * rest. */
#include "kernels.h"

#if NNSP_DSP_KERNELS

#include <arm_acle.h>

#include "activation.h"
#include "asm_function.h"
#include "block4_group_asm.h"
#include "dot_blocks_dsp.h"
#include "fixed.h"
#include "gate_act_dsp.h"
#include "recurrent.h"
#include "weight_layout.h"

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

/* acc[0..3] += the products of one block of four rows of an NNSP_W_BLOCK4 table (w: the block's first byte, 16
 * per group of four columns, 4-byte aligned) with x (int16, 4-byte aligned, `groups` >= 1 groups of four): per
 * group one LDM loads the four rows' words, one LDRD the input pairs (x0, x1), (x2, x3) as they lie in memory,
 * and SXTB16 of a word gives the weights of columns 0 and 1 (bytes 0 and 2 hold them), rotated by 8 those of
 * columns 2 and 3: 18 instructions for 16 multiply-accumulates, two groups per loop iteration. A function of
 * its own in assembly, because it needs 14 registers (4 sums, 4 weight words, 2 input pairs, 1 temporary and 3
 * pointers), more than inline assembly can ask of the compiler. Exactness as in dot4_groups (callers keep a
 * call within one int32 chunk). */
void nnsp_dot4_block4_s8_s16(const int8_t *w, const int16_t *x, int groups, int32_t acc[4]);

/* r0 = w, r1 = x, r2 = groups, then the end of x; r3 = acc (kept on the stack), then sum 0; r4..r6 sums 1..3;
 * r7..r10 the weight words; r11, r12 the input pairs; lr the unpacked weights. No flags are set between the
 * parity test and its branch (LDM, LDRD, SXTB16, SMLAD and ADD without S leave them). */
__asm(NNSP_ASM_BEGIN(nnsp_dot4_block4_s8_s16)
      "push   {r3-r11, lr}\n\t"
      "ldm    r3, {r3, r4, r5, r6}\n\t"
      "tst    r2, #1\n\t"
      "add    r2, r1, r2, lsl #3\n\t"
      "beq    2f\n\t"
      NNSP_BLOCK4_GROUP_ASM
      "cmp    r1, r2\n\t"
      "beq    3f\n"
      "2:\n\t"
      NNSP_BLOCK4_GROUP_ASM
      NNSP_BLOCK4_GROUP_ASM
      "cmp    r1, r2\n\t"
      "bne    2b\n"
      "3:\n\t"
      "pop    {r7}\n\t"
      "stm    r7, {r3, r4, r5, r6}\n\t"
      "pop    {r4-r11, pc}\n\t"
      NNSP_ASM_END(nnsp_dot4_block4_s8_s16));

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

/* The rows of one block of four (rows r .. r + 3, whole groups, one int32 chunk) straight into int32 sums. */
static inline void dot_block4(const int8_t *w, long stride, const uint32_t *pairs, int n, int32_t sum[BLOCK_ROWS]) {
  sum[0] = sum[1] = sum[2] = sum[3] = 0;
  dot4_groups(w, w + 2 * stride, stride, pairs, n / 4, sum);
}

/* Whether a row of n columns is one block-of-four product: whole groups within one int32 chunk. */
static int one_chunk(int n) { return n > 0 && (n & 3) == 0 && n / 4 <= CHUNK_GROUPS; }

/* Whether the tables and inputs of an NNSP_W_BLOCK4 product allow its loop (LDM and LDRD need 4-byte aligned
 * addresses); the arena and nnse convert's tables are. */
static int aligned4(const void *a, const void *b) { return (((uintptr_t)a | (uintptr_t)b) & 3u) == 0; }

/* The int32 sums of rows r .. r + 3 of a table of cols columns (whole groups within one int32 chunk): blocked,
 * the NNSP_W_BLOCK4 loop on the input as it lies; else the row-major loop on its packed pairs. */
static NNSP_ALWAYS_INLINE void block_sums(const int8_t *w, int blocked, int cols, int r, const int16_t *x,
                                          const uint32_t *pairs, int32_t sum[BLOCK_ROWS]) {
  if (blocked) {
    sum[0] = sum[1] = sum[2] = sum[3] = 0;
    nnsp_dot4_block4_s8_s16(w + (long)r * cols, x, cols / 4, sum);
  } else {
    dot_block4(w + (long)r * cols, cols, pairs, cols, sum);
  }
}

/* dot_rows for rows r .. r + rows - 1 of a table in either layout: a whole block of an NNSP_W_BLOCK4 table by
 * its loop (one chunk) or the portable row product (longer rows); the last rows % 4 rows of such a table are
 * row-major, as every row of an NNSP_W_ROWS table. */
static void dot_rows_layout(const int8_t *w, int blocked, int all_rows, int cols, int r, int rows,
                            const uint32_t *pairs, const int16_t *x, int64_t acc[BLOCK_ROWS]) {
  int i;
  if (blocked && rows == BLOCK_ROWS) {
    if (one_chunk(cols)) {
      int32_t sum[BLOCK_ROWS];
      block_sums(w, 1, cols, r, x, pairs, sum);
      for (i = 0; i < BLOCK_ROWS; ++i) acc[i] = sum[i];
    } else {
      for (i = 0; i < BLOCK_ROWS; ++i) acc[i] = nnsp_dot_row_s8_s16(w, NNSP_W_BLOCK4, all_rows, cols, r + i, x);
    }
    return;
  }
  dot_rows(w + (long)r * cols, cols, rows, pairs, x, cols, acc);
}

/* The rows of whole blocks of four of a per-tensor fc / conv1d layer (all but units % 4 rows) with the per-row
 * steps of nnsp_fc_row_out in int32: with v = dot + b inside int32 (checked; else the portable step on the same
 * sum), nnsp_requant32(v, shift) is nnsp_requant32_i32(v, shift); shift is the format change to the output
 * (linear) or to Q24 (any other activation). act is a constant in each call (inlined once per activation), so
 * that no row pays for the choice. Returns the number of rows done. */
static NNSP_ALWAYS_INLINE int fc_blocks_i32(const nnsp_layer *layer, const int16_t *x, int blocked,
                                            const uint32_t *pairs, int cols, int shift, int16_t *y, const int act,
                                            const int left) {
  const int units = layer->units;
  /* The int16 bias moved to the accumulator format (nnsp_bias_acc) in int32: the caller checks that
   * q_acc - q_b <= 15, so |bias| 2^(q_acc - q_b) <= 2^30. */
  const int32_t bias_scale = (int32_t)1 << (layer->q_in + layer->q_w - layer->q_b);
  /* left (shift > 0): v 2^shift saturates beyond [-limit, limit) with limit = 2^(31 - shift) <= 2^30. Then
   * v = QADD(dot, b) (saturated to int32) gives the same result as the exact sum: a sum outside int32 is beyond
   * the limits with the same sign, and so is its saturation. */
  const int32_t limit = left ? (int32_t)1 << (shift >= 31 ? 0 : 31 - shift) : 0;
  const int up = shift >= 31 ? 31 : shift;
  int r, i;
  for (r = 0; r + BLOCK_ROWS <= units; r += BLOCK_ROWS) {
    int32_t sum[BLOCK_ROWS];
    block_sums(layer->w, blocked, cols, r, x, pairs, sum);
    for (i = 0; i < BLOCK_ROWS; ++i) {
      int32_t v, pre;
      if (left) {
        v = nnsp_add_sat32(sum[i], (int32_t)layer->bias[r + i] * bias_scale);
        pre = v >= limit ? INT32_MAX : (v < -limit ? INT32_MIN : (int32_t)((uint32_t)v << up));
      } else {
        if (__builtin_add_overflow(sum[i], (int32_t)layer->bias[r + i] * bias_scale, &v)) {
          y[r + i] = nnsp_fc_row_out(layer, r + i, sum[i]);
          continue;
        }
        pre = nnsp_requant32_i32(v, shift);
      }
      if (act == NNSP_ACT_TANH) y[r + i] = nnsp_tanh_q15_inline(pre);
      else if (act == NNSP_ACT_SIGMOID) y[r + i] = nnsp_sigmoid_q15_inline(pre);
      else if (act == NNSP_ACT_LINEAR) y[r + i] = nnsp_sat16(pre);
      else y[r + i] = nnsp_activate(pre, act, layer->q_out);
    }
  }
  return r;
}

#define NNSP_NOINLINE __attribute__((noinline))
#define SUM_ROWS 64 /* rows per call of the whole-table product: their int32 sums on the stack (256 bytes) */

/* act(sat(v 2^up)) (tanh or sigmoid, Q15) straight from v, for up in [0, 17] (up 0: v is
 * the Q24 pre-activation, saturated by QADD where the exact sum leaves int32, beyond big with the same sign): with s = |v| (as uint32), where
 * s 2^up would reach 8 in Q24 (tanh; sigmoid: 16, the half-rate table's end) nnsp_tanh_magnitude passes the table's
 * last entry, 32767, and so it does for every saturated value (s >= 2^(31 - up)); below, s 2^up is the Q24
 * magnitude itself and inside the table (no test left for it). The requantization's saturation is never formed. */
static NNSP_ALWAYS_INLINE int32_t act_of(int32_t v, int up, uint32_t big, const int act) {
  const int frac_bits = act == NNSP_ACT_SIGMOID ? 19 : 18;
  const uint32_t sign = (uint32_t)(v >> 31), s = ((uint32_t)v ^ sign) - sign; /* |v|, exact for INT32_MIN */
  int32_t m, t;
  if (s >= big) {
    m = 32767;
  } else {
    const uint32_t q = s << up, idx = q >> frac_bits;
    const int32_t frac = (int32_t)(q & (((uint32_t)1 << frac_bits) - 1u));
    const int32_t lo = nnsp_tanh_table_q15[idx], hi = nnsp_tanh_table_q15[idx + 1];
    m = lo + (((hi - lo) * frac + ((int32_t)1 << (frac_bits - 1))) >> frac_bits);
  }
  /* -m or m as (m ^ sign) - sign: two instructions without a test */
  t = (int32_t)(((uint32_t)m ^ sign) - sign);
  /* sigmoid: (2^15 + t + 1) / 2 for t = +-m, at most 2^15: saturated to 32767 (nnsp_sigmoid_q15_inline) */
  return act == NNSP_ACT_SIGMOID ? __ssat((32769 + t) >> 1, 16) : t;
}

/* Where act_of passes 32767: 8 (tanh) or 16 (sigmoid) in Q24, 2^27 or 2^28, shifted right by up. */
static NNSP_ALWAYS_INLINE uint32_t act_big(int up, const int act) {
  return ((uint32_t)1 << (act == NNSP_ACT_SIGMOID ? 28 : 27)) >> up;
}

/* y[i] = act(requant(sum[i] + bias[i] scale)) for a tanh or sigmoid layer whose requantization to Q24 shifts
 * left by up in [0, 17]: the bias added by QADD (as fc_blocks_i32: a saturated sum gives the exact sum's result),
 * then act_of. */
static NNSP_ALWAYS_INLINE void rows_act_left(const int32_t *sum, const int16_t *bias, int n, int32_t bias_scale,
                                             int up, int16_t *y, const int act) {
  const uint32_t big = act_big(up, act);
  int i;
  for (i = 0; i < n; ++i) y[i] = (int16_t)act_of(nnsp_add_sat32(sum[i], (int32_t)bias[i] * bias_scale), up, big, act);
}

/* One function per activation, out of line: inside the layer function GCC would spill the loop's constants. */
static NNSP_NOINLINE void rows_tanh_left(const int32_t *sum, const int16_t *bias, int n, int32_t bias_scale, int up,
                                         int16_t *y) {
  rows_act_left(sum, bias, n, bias_scale, up, y, NNSP_ACT_TANH);
}
static NNSP_NOINLINE void rows_sigmoid_left(const int32_t *sum, const int16_t *bias, int n, int32_t bias_scale,
                                            int up, int16_t *y) {
  rows_act_left(sum, bias, n, bias_scale, up, y, NNSP_ACT_SIGMOID);
}

/* The whole blocks of a per-tensor tanh or sigmoid layer in NNSP_W_BLOCK4 (aligned, one int32 chunk, the bias
 * exact in int32 at the accumulator format, requantization to Q24 a left shift of 0 to 17): the sums of up to
 * SUM_ROWS rows per call of nnsp_dot4_blocks_s8_s16, then rows_act_left. Returns the rows done: 0 where the layer
 * does not qualify (the block-by-block path runs). */
static int fc_blocked_act(const nnsp_layer *layer, const int16_t *x, int cols, int16_t *y) {
  const int q_acc = layer->q_in + layer->q_w, up = NNSP_PRE_Q - q_acc, rows = layer->units & ~(BLOCK_ROWS - 1);
  const int32_t bias_scale = (int32_t)1 << (q_acc - layer->q_b); /* <= 2^15: checked by the caller */
  int32_t sum[SUM_ROWS];
  int r;
  if (up < 0 || up > 17 || rows == 0) return 0;
  if (layer->activation != NNSP_ACT_TANH && layer->activation != NNSP_ACT_SIGMOID) return 0;
  for (r = 0; r < rows; r += SUM_ROWS) {
    const int n = rows - r < SUM_ROWS ? rows - r : SUM_ROWS;
    nnsp_dot4_blocks_s8_s16(layer->w + (long)r * cols, x, cols / 4, n / BLOCK_ROWS, sum);
    if (layer->activation == NNSP_ACT_TANH) rows_tanh_left(sum, layer->bias + r, n, bias_scale, up, y + r);
    else rows_sigmoid_left(sum, layer->bias + r, n, bias_scale, up, y + r);
  }
  return rows;
}

void nnsp_fc_s8_s16(const nnsp_layer *layer, const int16_t *x, int16_t *y) {
  const int cols = (int)layer->kernel * (int)layer->in_dim, units = layer->units;
  uint32_t pairs[PAIR_WORDS];
  int64_t acc[BLOCK_ROWS];
  const int blocked = layer->w_layout == NNSP_W_BLOCK4;
  int r = 0, i;
  if (cols / 4 * 2 > PAIR_WORDS || (blocked && !aligned4(layer->w, x))) {
    nnsp_fc_s8_s16_c(layer, x, y);
    return;
  }
  /* The packed pairs serve the row-major loops: every row of an NNSP_W_ROWS table, the last units % 4 rows of a
   * blocked one. */
  if (!blocked || units % BLOCK_ROWS) pack_pairs(x, cols / 4, pairs);
  if (!layer->q_w_rows && one_chunk(cols) && layer->q_in + layer->q_w - layer->q_b <= 15 && blocked)
    r = fc_blocked_act(layer, x, cols, y);
  if (r == 0 && !layer->q_w_rows && one_chunk(cols) && layer->q_in + layer->q_w - layer->q_b <= 15) {
    /* Per-tensor formats: one shift for the layer, and the per-row steps in int32 (fc_blocks_i32). */
    const int q_acc = layer->q_in + layer->q_w;
    const int shift = layer->activation == NNSP_ACT_LINEAR ? layer->q_out - q_acc : NNSP_PRE_Q - q_acc;
    const int left = shift > 0;
    switch (layer->activation) {
      case NNSP_ACT_TANH:
        r = left ? fc_blocks_i32(layer, x, blocked, pairs, cols, shift, y, NNSP_ACT_TANH, 1)
                 : fc_blocks_i32(layer, x, blocked, pairs, cols, shift, y, NNSP_ACT_TANH, 0);
        break;
      case NNSP_ACT_SIGMOID:
        r = left ? fc_blocks_i32(layer, x, blocked, pairs, cols, shift, y, NNSP_ACT_SIGMOID, 1)
                 : fc_blocks_i32(layer, x, blocked, pairs, cols, shift, y, NNSP_ACT_SIGMOID, 0);
        break;
      case NNSP_ACT_LINEAR: r = fc_blocks_i32(layer, x, blocked, pairs, cols, shift, y, NNSP_ACT_LINEAR, 0); break;
      default: r = fc_blocks_i32(layer, x, blocked, pairs, cols, shift, y, layer->activation, 0); break;
    }
  }
  for (; r < units; r += BLOCK_ROWS) {
    const int rows = units - r < BLOCK_ROWS ? units - r : BLOCK_ROWS;
    dot_rows_layout(layer->w, blocked, units, cols, r, rows, pairs, x, acc);
    for (i = 0; i < rows; ++i) y[r + i] = nnsp_fc_row_out(layer, r + i, acc[i]);
  }
}

/* Q24 pre-activations of n gate rows from their int32 products W x and R h, for layers whose requantization
 * shifts left (by up in [1, 31]): nnsp_gate_rows' per-row step (the sum aligned by dx, dh is exact in int32; the
 * bias added by QADD, whose saturation gives the exact sum's result; saturated beyond 2^(31 - up)). Out of line,
 * so that its constants stay in registers. */
static NNSP_NOINLINE void gate_rows_left(const int32_t *sx, const int32_t *sh, const int16_t *bias, int n, int dx,
                                         int dh, int32_t bias_scale, int up, int32_t *out) {
  const int32_t limit = (int32_t)1 << (up >= 31 ? 0 : 31 - up);
  const int shl = up >= 31 ? 31 : up;
  int i;
  for (i = 0; i < n; ++i) {
    const int32_t sum = (int32_t)((uint32_t)sx[i] << dx) + (int32_t)((uint32_t)sh[i] << dh);
    const int32_t v = nnsp_add_sat32(sum, (int32_t)bias[i] * bias_scale);
    out[i] = v >= limit ? INT32_MAX : (v < -limit ? INT32_MIN : (int32_t)((uint32_t)v << shl));
  }
}

void nnsp_gate_rows(const nnsp_layer *layer, int rows, const int16_t *x, const int16_t *h, int32_t *scratch) {
  const int in = layer->in_dim, units = layer->units;
  const int x_words = in / 4 * 2, h_words = units / 4 * 2;
  uint32_t pairs[PAIR_WORDS];
  int64_t ax[BLOCK_ROWS], ah[BLOCK_ROWS];
  const int blocked = layer->w_layout == NNSP_W_BLOCK4;
  int r = 0, i;
  if (x_words + h_words > PAIR_WORDS ||
      (blocked && !(aligned4(layer->w, x) && aligned4(layer->r, h)))) {
    nnsp_gate_rows_c(layer, rows, x, h, scratch);
    return;
  }
  if (!blocked || rows % BLOCK_ROWS) {
    pack_pairs(x, in / 4, pairs);
    pack_pairs(h, units / 4, pairs + x_words);
  }
  if (!layer->q_w_rows && !layer->q_r_rows && one_chunk(in) && one_chunk(units)) {
    /* Per-tensor formats: nnsp_gate_pre's shifts are the layer's, dx and dh (one of them 0). |W x| <= in 2^22
     * and |R h| <= units 2^22 (products <= 128 * 32768), so when (in << dx) + (units << dh) < 2^9 the sum
     * (W x) 2^dx + (R h) 2^dh is below 2^31 and exact in int32; adding the bias is checked, and a sum outside
     * int32 takes the portable step. */
    const int q_x = layer->q_in + layer->q_w, q_h = 15 + layer->q_r;
    const int q_acc = q_x > q_h ? q_x : q_h, dx = q_acc - q_x, dh = q_acc - q_h;
    const int shift = NNSP_PRE_Q - q_acc;
    const int32_t limit = shift > 0 ? (int32_t)1 << (shift >= 31 ? 0 : 31 - shift) : 0; /* 0: no left shift */
    const int up = shift >= 31 ? 31 : shift;
    /* gru's n rows keep their bias apart: the portable step below. */
    const int n_row = layer->kind == NNSP_LAYER_GRU && 2 * units < rows ? 2 * units : rows;
    /* The int16 bias moved to q_acc in int32 (nnsp_bias_acc): exact while q_acc - q_b <= 15 (|b| 2^15 <= 2^30). */
    const int32_t bias_scale = (int32_t)1 << (q_acc - layer->q_b < 0 ? 0 : (q_acc - layer->q_b > 15 ? 15 : q_acc - layer->q_b));
    if (dx < 8 && dh < 8 && (in << dx) + (units << dh) < 512 && q_acc - layer->q_b <= 15) {
      if (blocked && limit) {
        /* Whole blocks, SUM_ROWS rows per call of the whole-table products, then gate_rows_left. */
        const int whole = n_row & ~(BLOCK_ROWS - 1);
        int32_t sx[SUM_ROWS], sh[SUM_ROWS];
        for (; r < whole; r += SUM_ROWS) {
          const int n = whole - r < SUM_ROWS ? whole - r : SUM_ROWS;
          nnsp_dot4_blocks_s8_s16(layer->w + (long)r * in, x, in / 4, n / BLOCK_ROWS, sx);
          nnsp_dot4_blocks_s8_s16(layer->r + (long)r * units, h, units / 4, n / BLOCK_ROWS, sh);
          gate_rows_left(sx, sh, layer->bias + r, n, dx, dh, bias_scale, up, scratch + r);
        }
        r = whole;
      }
      for (; r + BLOCK_ROWS <= n_row; r += BLOCK_ROWS) {
        int32_t sx[BLOCK_ROWS], sh[BLOCK_ROWS];
        block_sums(layer->w, blocked, in, r, x, pairs, sx);
        block_sums(layer->r, blocked, units, r, h, pairs + x_words, sh);
        for (i = 0; i < BLOCK_ROWS; ++i) {
          /* (uint32_t) shifts: the values may be negative; the bound above keeps the sum exact. */
          const int32_t sum = (int32_t)((uint32_t)sx[i] << dx) + (int32_t)((uint32_t)sh[i] << dh);
          int32_t v;
          if (limit) {
            /* shift > 0: as in fc_blocks_i32, the saturated sum gives the exact sum's result */
            v = nnsp_add_sat32(sum, (int32_t)layer->bias[r + i] * bias_scale);
            scratch[r + i] = v >= limit ? INT32_MAX : (v < -limit ? INT32_MIN : (int32_t)((uint32_t)v << up));
          } else if (__builtin_add_overflow(sum, (int32_t)layer->bias[r + i] * bias_scale, &v)) {
            nnsp_gate_pre(layer, r + i, sx[i], sh[i], scratch);
          } else {
            scratch[r + i] = nnsp_requant32_i32(v, shift);
          }
        }
      }
    }
  }
  for (; r < rows; r += BLOCK_ROWS) {
    const int n = rows - r < BLOCK_ROWS ? rows - r : BLOCK_ROWS;
    dot_rows_layout(layer->w, blocked, rows, in, r, n, pairs, x, ax);
    dot_rows_layout(layer->r, blocked, rows, units, r, n, pairs + x_words, h, ah);
    for (i = 0; i < n; ++i) nnsp_gate_pre(layer, r + i, ax[i], ah[i], scratch);
  }
}

int nnsp_lstm_gates_act(const nnsp_layer *layer, const int16_t *x, const int16_t *h, int32_t *gates) {
  const int in = layer->in_dim, units = layer->units;
  const int q_x = layer->q_in + layer->q_w, q_h = 15 + layer->q_r;
  const int q_acc = q_x > q_h ? q_x : q_h, dx = q_acc - q_x, dh = q_acc - q_h, up = NNSP_PRE_Q - q_acc;
  int32_t sx[SUM_ROWS], sh[SUM_ROWS];
  int32_t bias_scale;
  nnsp_gate_act_args args;
  int g, r;
  /* The conditions of nnsp_gate_rows' int32 steps with a left shift (see there), whole blocks per gate (units % 4
   * == 0, so that no block mixes two activations), and act_of's range of up. */
  if (layer->w_layout != NNSP_W_BLOCK4 || layer->q_w_rows || layer->q_r_rows || (units & 3) || !one_chunk(in) ||
      !one_chunk(units) || !aligned4(layer->w, x) || !aligned4(layer->r, h) || dx >= 8 || dh >= 8 ||
      (in << dx) + (units << dh) >= 512 || q_acc - layer->q_b > 15 || up < 0 || up > 17)
    return 0;
  bias_scale = (int32_t)1 << (q_acc - layer->q_b < 0 ? 0 : q_acc - layer->q_b);
  args.d = dx + dh;
  args.scale = bias_scale;
  args.up = up;
  for (g = 0; g < 4; ++g) {
    for (r = g * units; r < (g + 1) * units; r += SUM_ROWS) {
      const int n = (g + 1) * units - r < SUM_ROWS ? (g + 1) * units - r : SUM_ROWS;
      nnsp_dot4_blocks_s8_s16(layer->w + (long)r * in, x, in / 4, n / BLOCK_ROWS, sx);
      nnsp_dot4_blocks_s8_s16(layer->r + (long)r * units, h, units / 4, n / BLOCK_ROWS, sh);
      /* gate_act_dsp.c: dx or dh is 0 (q_acc is the larger of the two formats), the shifted product second */
      args.b = dx ? sx : sh;
      args.bias = layer->bias + r;
      args.out = gates + r;
      args.n = n;
      /* Keras order i, f, g, o: the third gate is tanh */
      args.big = act_big(up, g == 2 ? NNSP_ACT_TANH : NNSP_ACT_SIGMOID);
      if (g == 2) nnsp_gate_tanh_s32(dx ? sh : sx, &args);
      else nnsp_gate_sigmoid_s32(dx ? sh : sx, &args);
    }
  }
  return 1;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int nnsp_kernels_dsp_unused;
#endif
