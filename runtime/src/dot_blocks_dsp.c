/* The int32 sums of consecutive blocks of four rows of an NNSP_W_BLOCK4 table, in one call (kernels_dsp.c's
 * whole-layer products). The product loop is nnsp_dot4_block4_s8_s16's (LDM of the four rows' weight words,
 * LDRD of the input pairs as they lie in memory, SXTB16 and SMLAD: 18 instructions per 16 multiply-accumulates);
 * what this adds is four groups per loop iteration, the first group's SMUAD starting the sums, and the loop over
 * blocks inside the assembly: the blocks of a table lie one after the other
 * (16 bytes per group of four columns, so the weight pointer the loop leaves is the next block's), the input
 * restarts from its first pair, and the four sums are stored to out. Per block about 11 instructions around the
 * loop instead of a call, the saving and restoring of ten registers, and the loading and storing of the sums
 * through memory (about 40). */
#include "kernels.h"

#if NNSP_DSP_KERNELS

#include "asm_function.h"
#include "block4_group_asm.h"
#include "dot_blocks_dsp.h"


/* The block's first group: SMUAD starts each sum with its first pair of products (no zeroing of the sums). */
#define BLOCKS_FIRST_GROUP_ASM           \
  "ldmia  r0!, {r7, r8, r9, r10}\n\t"   \
  "ldrd   r11, r12, [r1], #8\n\t"       \
  "sxtb16 lr, r7\n\t"                   \
  "smuad  r3, lr, r11\n\t"              \
  "sxtb16 r7, r7, ror #8\n\t"           \
  "smlad  r3, r7, r12, r3\n\t"          \
  "sxtb16 lr, r8\n\t"                   \
  "smuad  r4, lr, r11\n\t"              \
  "sxtb16 r8, r8, ror #8\n\t"           \
  "smlad  r4, r8, r12, r4\n\t"          \
  "sxtb16 lr, r9\n\t"                   \
  "smuad  r5, lr, r11\n\t"              \
  "sxtb16 r9, r9, ror #8\n\t"           \
  "smlad  r5, r9, r12, r5\n\t"          \
  "sxtb16 lr, r10\n\t"                  \
  "smuad  r6, lr, r11\n\t"              \
  "sxtb16 r10, r10, ror #8\n\t"         \
  "smlad  r6, r10, r12, r6\n\t"

/* r0 = w (runs through all the blocks), r1 = x (restarts per block), r2 = groups, then the end of x; r3 =
 * blocks, then sum 0; r4..r6 sums 1..3; r7..r10 weight words; r11, r12 input pairs; lr unpacked weights. The
 * stack frame below the saved registers: [sp] x, [sp + 4] (groups - 1) % 4, [sp + 8] blocks left, [sp + 12] out
 * (the fifth argument, at [sp + 52] once the frame is made). Per block: the first group starts the sums; then
 * (groups - 1) % 4 shifted left by 31 puts its bit 0 in N and its bit 1 in C, which select an odd group and a pair
 * of groups before the loop of four groups per iteration (its test paid once per 64 multiply-accumulates).
 * Nothing between LSLS and the two branches sets flags (LDM, LDRD, SXTB16 and SMLAD leave them). */
__asm(NNSP_ASM_BEGIN(nnsp_dot4_blocks_s8_s16)
      "push   {r4-r11, lr}\n\t"
      "sub    sp, sp, #16\n\t"
      "ldr    r4, [sp, #52]\n\t"
      "sub    r5, r2, #1\n\t"
      "and    r5, r5, #3\n\t"
      "strd   r1, r5, [sp, #0]\n\t"
      "strd   r3, r4, [sp, #8]\n\t"
      "add    r2, r1, r2, lsl #3\n"
      "1:\n\t"
      "ldrd   r1, r7, [sp, #0]\n\t"
      "lsls   r7, r7, #31\n\t"
      BLOCKS_FIRST_GROUP_ASM
      "bpl    4f\n\t"
      NNSP_BLOCK4_GROUP_ASM
      "4:\n\t"
      "bcc    5f\n\t"
      NNSP_BLOCK4_GROUP_ASM
      NNSP_BLOCK4_GROUP_ASM
      "5:\n\t"
      "cmp    r1, r2\n\t"
      "beq    3f\n"
      "2:\n\t"
      NNSP_BLOCK4_GROUP_ASM
      NNSP_BLOCK4_GROUP_ASM
      NNSP_BLOCK4_GROUP_ASM
      NNSP_BLOCK4_GROUP_ASM
      "cmp    r1, r2\n\t"
      "bne    2b\n"
      "3:\n\t"
      "ldrd   r7, r8, [sp, #8]\n\t"
      "stmia  r8!, {r3, r4, r5, r6}\n\t"
      "subs   r7, r7, #1\n\t"
      "strd   r7, r8, [sp, #8]\n\t"
      "bne    1b\n\t"
      "add    sp, sp, #16\n\t"
      "pop    {r4-r11, pc}\n\t"
      NNSP_ASM_END(nnsp_dot4_blocks_s8_s16));

#else
/* ISO C forbids an empty translation unit. */
typedef int nnsp_dot_blocks_dsp_unused;
#endif
