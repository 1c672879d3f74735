/* CMSDK APB timer 0 and stack painting (see board.h). */
#include "board.h"

#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define PAINT 0xC5C5C5C5u
#define PAINT_MARGIN 64u /* bytes left unpainted below the painting function's own frame */

extern uint32_t __stack_bottom__;

static uint32_t *paint_top; /* highest painted word + 1 */

void board_timer_start(void) {
  TIMER0_CTRL = 0;
  TIMER0_RELOAD = 0xFFFFFFFFu;
  TIMER0_VALUE = 0xFFFFFFFFu;
  TIMER0_CTRL = 1u; /* enable, no interrupt */
}

uint32_t board_ticks(void) { return 0xFFFFFFFFu - TIMER0_VALUE; }

static uint32_t *stack_pointer(void) {
  uint32_t *sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

void board_paint_stack(void) {
  uint32_t *p = &__stack_bottom__;
  paint_top = stack_pointer() - PAINT_MARGIN / 4u;
  while (p < paint_top) *p++ = PAINT;
}

uint32_t board_stack_used(void) {
  const uint32_t *p = &__stack_bottom__;
  while (p < paint_top && *p == PAINT) ++p;
  /* The caller's frame is above paint_top + margin; what was written below it is the callee's use. */
  return (uint32_t)((const uint8_t *)paint_top - (const uint8_t *)p) + PAINT_MARGIN;
}
