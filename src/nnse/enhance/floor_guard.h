#pragma once
// The noise-floor guard of the enhancer: a bin may not be turned down by more than the noise that a classical
// tracker can see in it explains.
//
// Why: a small mask network trained on noisy speech also turns down parts of clean speech (quiet high bands,
// onsets) that it takes for noise. On clean and 30 dB input that is pure harm (the bundled model without the
// guard: clean output 21 dB SI-SDR, STOI 0.983; -7.7 dB at 30 dB input). Per bin k and frame t:
//   P(k)   = s P(k) + (1 - s) |Y(k)|^2                     smoothed power (s = 0.5)
//   N(k)   = min(P(k), N(k) r + 1e-12)                     noise floor: follows P down at once, rises r^100 = 10 dB/s
//   lb(k)  = clamp(1 - beta N(k) / P(k), 0, 1)             lower bound: 1 where the bin stands far above its floor
//   g'(k)  = max(g(k), lb(k) min(1, g(k) / confidence))    weighted by the network's own gain
// The weighting keeps the network in charge of bins it is sure are noise (g well below `confidence`): bursts of
// non-stationary noise (effects, music) stand far above a minimum-tracking floor too, and an unweighted bound
// would keep them. beta sets how far above its floor a bin must stand to be protected (beta = 10: fully at
// 20 dB and more, not at all below 10 dB). Measured on the unseen-voice evaluation in docs/generalization.md.
#include <span>
#include <vector>

#include "nnse/dsp/fft.h"

namespace nnse::enhance {

struct FloorGuardOptions {
  double beta = 0.0;         // 0 = off
  double confidence = 0.3;   // the network gain at and above which the bound applies in full
  double frame_rate = 100.0; // frames per second (sets the rise per frame of the noise floor)
  bool track = false;        // run the floor tracker even when beta is 0 (the pitch filter reads the floor)
};

class FloorGuard {
 public:
  FloorGuard(int bins, FloorGuardOptions options);  // throws nnse::Error for a negative beta or confidence <= 0
  bool enabled() const { return beta_ > 0.0f; }  // the bound applies (the floor is tracked also with `track`)
  void reset();
  // Updates the trackers with one frame's spectrum and computes its lower bounds.
  void observe(std::span<const dsp::Complex> spectrum);
  // The tracked noise floor per bin (power) of the frame last observed; zeros while not tracking.
  std::span<const float> noise_floor() const { return noise_; }
  // The guarded gain of bin k of the frame last observed.
  float apply(int k, float gain) const {
    const float lb = bound_[static_cast<std::size_t>(k)];
    const float weight = gain >= confidence_ ? 1.0f : (gain > 0.0f ? gain / confidence_ : 0.0f);
    return gain >= lb * weight ? gain : lb * weight;
  }

 private:
  float beta_, confidence_, rise_;
  std::vector<float> power_, noise_, bound_;
  bool tracking_;
  bool first_ = true;
};

}  // namespace nnse::enhance
