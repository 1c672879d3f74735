/* The activated lstm gate rows (gate_act_dsp.h) in assembly: kernels_dsp.c's gate_act_left, whose loop needs 13
 * values live (4 pointers, 5 constants, 4 temporaries), more than GCC keeps in registers there (it spilled three
 * per row, 36 instructions; here 28 for sigmoid, 25 for tanh). Per row: v = QADD(a + (b << d), bias scale); s =
 * |v|; at or above big the magnitude is 32767, else the table interpolation of q = s << up in Q24 (nnsp_tanh_magnitude
 * with 18 fraction bits, 19 for sigmoid's half rate); the sign of v; sigmoid: SSAT((32769 + t) >> 1). */
#include "kernels.h"

#if NNSP_DSP_KERNELS

#include "asm_function.h"
#include "gate_act_dsp.h"

/* r0 a, r1 b, r2 bias, r3 out, r4 end of a, r5 d, r6 scale, r7 up, r8 big, r9 the tanh table; r10 v, r11, r12 and
 * lr temporaries. FB: the table's fraction bits; HALF: 2^(FB - 1); SIGMOID: the two adds and the SSAT. */
#define GATE_ACT_FUNCTION(NAME, FB, HALF, SIGMOID)                  \
  __asm(NNSP_ASM_BEGIN(NAME)                                        \
        "push   {r4-r11, lr}\n\t"                                   \
        "ldmia  r1, {r1, r2, r3, r4, r5, r6, r7, r8}\n\t"           \
        "add    r4, r0, r4, lsl #2\n\t"                             \
        "ldr    r9, =nnsp_tanh_table_q15\n"                         \
        "1:\n\t"                                                    \
        "ldr    r10, [r0], #4\n\t"                                  \
        "ldr    r11, [r1], #4\n\t"                                  \
        "ldrsh  r12, [r2], #2\n\t"                                  \
        "lsl    r11, r11, r5\n\t"                                   \
        "add    r10, r10, r11\n\t"                                  \
        "mul    r12, r12, r6\n\t"                                   \
        "qadd   r10, r10, r12\n\t"                                  \
        "eor    r11, r10, r10, asr #31\n\t"                         \
        "sub    r11, r11, r10, asr #31\n\t"                         \
        "cmp    r11, r8\n\t"                                        \
        "bcs    3f\n\t"                                             \
        "lsl    r11, r11, r7\n\t"                                   \
        "lsr    r12, r11, #" #FB "\n\t"                             \
        "add    r12, r9, r12, lsl #1\n\t"                           \
        "ldrsh  lr, [r12]\n\t"                                      \
        "ldrsh  r12, [r12, #2]\n\t"                                 \
        "sub    r12, r12, lr\n\t"                                   \
        "ubfx   r11, r11, #0, #" #FB "\n\t"                         \
        "mul    r12, r12, r11\n\t"                                  \
        "add    r12, r12, #" #HALF "\n\t"                           \
        "add    r11, lr, r12, asr #" #FB "\n"                       \
        "2:\n\t"                                                    \
        "eor    r11, r11, r10, asr #31\n\t"                         \
        "sub    r11, r11, r10, asr #31\n\t"                         \
        SIGMOID                                                     \
        "str    r11, [r3], #4\n\t"                                  \
        "cmp    r0, r4\n\t"                                         \
        "bne    1b\n\t"                                             \
        "pop    {r4-r11, pc}\n"                                     \
        "3:\n\t"                                                    \
        "movw   r11, #32767\n\t"                                    \
        "b      2b\n\t"                                             \
        ".ltorg\n\t"                                                \
        NNSP_ASM_END(NAME))

/* (32769 + t) >> 1 saturated to 16 bits: t + 1 + 32768 (two immediates; no register is left for 32769). */
#define SIGMOID_STEP          \
  "add    r11, r11, #1\n\t"   \
  "add    r11, r11, #32768\n\t" \
  "ssat   r11, #16, r11, asr #1\n\t"

GATE_ACT_FUNCTION(nnsp_gate_sigmoid_s32, 19, 262144, SIGMOID_STEP);
GATE_ACT_FUNCTION(nnsp_gate_tanh_s32, 18, 131072, "");

#else
/* ISO C forbids an empty translation unit. */
typedef int nnsp_gate_act_dsp_unused;
#endif
