/* The frame of a Cortex-M4 assembly function written in C (basic __asm at file scope), one home for it:
 *   __asm(NNSP_ASM_BEGIN(name) "instructions..." NNSP_ASM_END(name));
 * BEGIN opens the function's own section (so -ffunction-sections and --gc-sections treat it like a C function),
 * selects unified Thumb syntax, aligns it, exports the symbol as a Thumb function and places its label; END gives
 * the symbol its size (for the map file and the profiler) and returns to the previous section. */
#ifndef NNSP_ASM_FUNCTION_H
#define NNSP_ASM_FUNCTION_H

#define NNSP_ASM_BEGIN(NAME)                         \
  ".pushsection .text." #NAME ", \"ax\", %progbits\n\t" \
  ".syntax unified\n\t"                              \
  ".thumb\n\t"                                       \
  ".p2align 2\n\t"                                   \
  ".global " #NAME "\n\t"                            \
  ".type " #NAME ", %function\n\t"                   \
  ".thumb_func\n" #NAME ":\n\t"

#define NNSP_ASM_END(NAME) ".size " #NAME ", . - " #NAME "\n\t.popsection\n"

#endif /* NNSP_ASM_FUNCTION_H */
