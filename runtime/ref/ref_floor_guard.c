/* Float reference of the noise-floor guard (nnsp_ref.h), the arithmetic of nnse's enhance::FloorGuard. */
#include <math.h>
#include <string.h>

#include "nnsp_ref.h"

void nnsp_ref_floor_guard_reset(nnsp_ref_floor_guard *g, double beta) {
  memset(g, 0, sizeof *g);
  g->beta = beta;
  g->first = 1;
}

void nnsp_ref_floor_guard_observe(nnsp_ref_floor_guard *g, const double power[NNSP_BINS]) {
  const double rise = pow(10.0, 10.0 / 10.0 / 100.0);
  int k;
  if (g->beta <= 0.0) return;
  for (k = 0; k < NNSP_BINS; ++k) {
    g->power[k] = g->first ? power[k] : 0.5 * g->power[k] + 0.5 * power[k];
    if (g->first) {
      g->floor[k] = g->power[k];
    } else {
      const double risen = g->floor[k] * rise + 1e-12;
      g->floor[k] = risen < g->power[k] ? risen : g->power[k];
    }
  }
  g->first = 0;
}

void nnsp_ref_floor_guard_apply(const nnsp_ref_floor_guard *g, double gain[NNSP_BINS]) {
  int k;
  if (g->beta <= 0.0 || g->first) return;
  for (k = 0; k < NNSP_BINS; ++k) {
    const double ps = g->power[k];
    double lb = ps > 0.0 ? 1.0 - g->beta * g->floor[k] / ps : 0.0, weight, bound;
    if (lb < 0.0) lb = 0.0;
    if (lb > 1.0) lb = 1.0;
    weight = gain[k] >= 0.3 ? 1.0 : (gain[k] > 0.0 ? gain[k] / 0.3 : 0.0);
    bound = lb * weight;
    if (bound > gain[k]) gain[k] = bound;
  }
}
