/* A sampling profiler for the test firmware (built in with -DFW_PROFILE): SysTick interrupts every
 * PROFILE_TICKS ticks and counts the interrupted program counter in a histogram of the first
 * PROFILE_CODE_BYTES of flash (one counter per halfword), which the firmware writes to profile.bin at the end.
 * profile.sh maps it to functions. With qemu's -icount the samples are deterministic. */
#include <stdio.h>

#include "board.h"

#define PROFILE_CODE_BYTES 0x10000u
/* SysTick counts qemu's 25 MHz processor clock: one tick is 40 instructions under -icount shift=0. 23 ticks
 * (prime, so that no loop aliases with it) = 920 instructions between samples. */
#define PROFILE_TICKS 23u

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static uint32_t histogram[PROFILE_CODE_BYTES / 2];

void profile_sample(const uint32_t *frame);
void profile_sample(const uint32_t *frame) {
  const uint32_t pc = frame[6]; /* the exception frame: r0-r3, r12, lr, pc, xpsr */
  if (pc < PROFILE_CODE_BYTES) ++histogram[pc / 2];
}

/* The frame is on the stack the handler starts with; pass it on before anything is pushed. */
__attribute__((naked)) void SysTick_Handler(void) { __asm volatile("mov r0, sp\n\tb profile_sample"); }

void board_profile_start(void) {
  SYST_RVR = PROFILE_TICKS - 1u;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* processor clock, interrupt, enable */
}

int board_profile_stop(void) {
  FILE *f;
  SYST_CSR = 0;
  f = fopen("profile.bin", "wb");
  if (!f || fwrite(histogram, 1, sizeof histogram, f) != sizeof histogram || fclose(f) != 0) return -1;
  return 0;
}
