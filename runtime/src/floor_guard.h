/* The noise-floor guard in fixed point: a bin may not be turned down by more than the noise that a classical
 * floor tracker can see in it explains. The float original and why it exists: nnse's enhance/floor_guard.h
 * (on clean and 30 dB input a small mask network also turns down speech it takes for noise; the guard keeps it).
 * Per bin k, from the power p(k) of the synthesis path's spectrum:
 *   P(k)  = (P(k) + p(k)) / 2                          smoothed power
 *   N(k)  = min(P(k), N(k) r + 1 LSB)                  floor: follows P down at once, rises r^100 = 10 dB/s
 *   lb(k) = clamp(1 - beta N(k) / P(k), 0, 1)
 *   g'(k) = max(g(k), lb(k) min(1, g(k) / 0.3))        weighted by the network's own gain
 * P and N are Q40 powers (nnsp_power_q23's values shifted by 17, below 2^57) kept in 32 bits each as a 27-bit
 * mantissa and a 5-bit exponent (relative error < 2^-26): the arena grows by 2 x 257 x 4 bytes and quiet bins
 * keep their precision; the floor rises by r in Q30 plus one Q40 LSB (0.9e-12; the float guard adds 1e-12).
 * N / P is one 32-bit unsigned division per bin (both shifted so that P fits 16 bits). The comparison with the
 * float guard: docs/fixed-point.md. */
#ifndef NNSP_FLOOR_GUARD_H
#define NNSP_FLOOR_GUARD_H

#include <stdint.h>

#include "nnsp.h"

typedef struct {
  uint32_t *power; /* NNSP_BINS packed Q40 powers, in the arena */
  uint32_t *floor; /* NNSP_BINS packed Q40 powers, in the arena */
  int32_t beta_q8;     /* 0: off */
  int track;           /* nonzero: the trackers run even with beta 0 (the pitch filter reads the floor) */
  int first;           /* no frame seen since reset */
} nnsp_floor_guard;

/* Whether the trackers run: the guard is on, or the pitch filter reads the floor. */
static inline int nnsp_floor_guard_tracking(const nnsp_floor_guard *g) { return g->beta_q8 != 0 || g->track; }

void nnsp_floor_guard_reset(nnsp_floor_guard *g);

/* Updates the trackers with one frame's power spectrum (Q23, as nnsp_power_q23 writes it). */
void nnsp_floor_guard_observe(nnsp_floor_guard *g, const uint64_t power_q23[NNSP_BINS]);

/* nnsp_power_q23(spec, exp, power_q23) then nnsp_floor_guard_observe(g, power_q23), the same numbers; with the
 * DSP kernels, in the usual case (guard on, not the first frame, 2 exp + 23 in [-31, -1]) in one loop that does not
 * write power_q23. */
void nnsp_floor_guard_observe_spec(nnsp_floor_guard *g, const int32_t *spec, int exp, uint64_t power_q23[NNSP_BINS]);

/* The guarded gains of the frame last observed: gain_q15[k] = max(gain_q15[k], bound(k)), in place. */
void nnsp_floor_guard_apply(const nnsp_floor_guard *g, int16_t gain_q15[NNSP_BINS]);

/* The same in C on every target: the oracle of the DSP build's loop (in assembly where beta_q8 >= 520), which
 * runtime.cortex_m4.kernels compares with it. */
void nnsp_floor_guard_apply_portable(const nnsp_floor_guard *g, int16_t gain_q15[NNSP_BINS]);

#endif /* NNSP_FLOOR_GUARD_H */
