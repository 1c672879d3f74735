/* What the test firmware needs from the board (qemu mps2-an386): an instruction clock and the stack bounds. */
#ifndef NNSP_M4_BOARD_H
#define NNSP_M4_BOARD_H

#include <stdint.h>

/* qemu runs with -icount shift=0 (one instruction = 1 ns of virtual time) and the CMSDK timer 0 counts at the
 * 25 MHz peripheral clock, so one tick is exactly 40 instructions (DWT CYCCNT is not modelled by qemu). */
#define BOARD_INSTRUCTIONS_PER_TICK 40u

void board_timer_start(void);
/* Ticks since board_timer_start (counts down from 2^32 - 1: 171 s of virtual time before it wraps). */
uint32_t board_ticks(void);

/* Stack high-water mark: paint the unused stack below the caller's frame, run, then measure the deepest byte
 * written (bytes between the paint call's stack pointer and that byte). */
void board_paint_stack(void);
uint32_t board_stack_used(void);

/* Sampling profiler (profile.c, firmware built with -DFW_PROFILE): SysTick samples the program counter; stop
 * writes the histogram to profile.bin (0 on success). */
void board_profile_start(void);
int board_profile_stop(void);

#endif /* NNSP_M4_BOARD_H */
