/* Minimal Cortex-M4F startup for the test firmware (qemu mps2-an386; the same steps apply on any Cortex-M4F):
 * vector table, .data copy and .bss clear, FPU access enabled, semihosting opened, then main(). A fault ends
 * the program over semihosting with exit code 3 instead of spinning, so a crash fails the test at once (the
 * scripts still run qemu under `timeout`). */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__, __stack_top__;
extern void initialise_monitor_handles(void);
extern int main(void);

void Reset_Handler(void);
void Fault_Handler(void);
/* A firmware may define these (e.g. a SysTick sampling profiler); otherwise they end the program as faults. */
void SVC_Handler(void) __attribute__((weak, alias("Fault_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Fault_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Fault_Handler")));
/* newlib's exit() runs __libc_fini_array, which calls _fini (crti.o's, left out by -nostartfiles). C needs no
 * constructors or destructors. */
void _init(void);
void _fini(void);
void _init(void) {}
void _fini(void) {}

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void) {
  uint32_t *dst = &__data_start__;
  const uint32_t *src = &__data_load__;
  while (dst < &__data_end__) *dst++ = *src++;
  for (dst = &__bss_start__; dst < &__bss_end__; ++dst) *dst = 0;
  /* CP10 and CP11 (the FPU) full access; newlib's printf and the test harness use float, the runtime does not.
   * The barriers make the next instruction see the new setting. */
  SCB_CPACR |= (0xFu << 20);
  __asm volatile("dsb\n\tisb" ::: "memory");
  initialise_monitor_handles();
  exit(main());
}

void Fault_Handler(void) { _Exit(3); }

/* Exceptions 1..15 (reset, NMI, hard, memory-management, bus and usage faults, SVC, debug, PendSV, SysTick);
 * the test firmware enables no peripheral interrupt. */
__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top__,
    Reset_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    0, 0, 0, 0,
    SVC_Handler, Fault_Handler, 0, PendSV_Handler, SysTick_Handler};
