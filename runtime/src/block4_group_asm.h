#ifndef NNSP_BLOCK4_GROUP_ASM_H
#define NNSP_BLOCK4_GROUP_ASM_H
/* One group of four columns of an NNSP_W_BLOCK4 block (the four rows' products), as Thumb-2 assembly text for
 * the DSP kernels' product loops (kernels_dsp.c, dot_blocks_dsp.c): r0 the weights (advanced by 16), r1 the
 * input (advanced by 8), r3..r6 the four rows' sums, r7..r12 and lr scratch. One LDM loads the rows' weight
 * words, one LDRD the input pairs, SXTB16 of a word gives the weights of columns 0 and 1 (rotated by 8, of
 * columns 2 and 3), and SMLAD adds two products: 18 instructions for 16 multiply-accumulates. */
#define NNSP_BLOCK4_GROUP_ASM                 \
  "ldmia  r0!, {r7, r8, r9, r10}\n\t"   \
  "ldrd   r11, r12, [r1], #8\n\t"       \
  "sxtb16 lr, r7\n\t"                   \
  "smlad  r3, lr, r11, r3\n\t"          \
  "sxtb16 r7, r7, ror #8\n\t"           \
  "smlad  r3, r7, r12, r3\n\t"          \
  "sxtb16 lr, r8\n\t"                   \
  "smlad  r4, lr, r11, r4\n\t"          \
  "sxtb16 r8, r8, ror #8\n\t"           \
  "smlad  r4, r8, r12, r4\n\t"          \
  "sxtb16 lr, r9\n\t"                   \
  "smlad  r5, lr, r11, r5\n\t"          \
  "sxtb16 r9, r9, ror #8\n\t"           \
  "smlad  r5, r9, r12, r5\n\t"          \
  "sxtb16 lr, r10\n\t"                  \
  "smlad  r6, lr, r11, r6\n\t"          \
  "sxtb16 r10, r10, ror #8\n\t"         \
  "smlad  r6, r10, r12, r6\n\t"

#endif
