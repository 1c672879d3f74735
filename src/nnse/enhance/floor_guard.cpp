#include "nnse/enhance/floor_guard.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "nnse/util/error.h"

namespace nnse::enhance {
namespace {
constexpr float kSmoothing = 0.5f;         // of the bin power: ~20 ms, enough to steady a periodogram bin
constexpr double kRiseDbPerSecond = 10.0;  // noise floor rise: new stationary noise is tracked within seconds
constexpr float kFloorEpsilon = 1e-12f;    // lets a floor that reached digital silence rise again
}  // namespace

FloorGuard::FloorGuard(int bins, FloorGuardOptions options)
    : beta_(static_cast<float>(options.beta)),
      confidence_(static_cast<float>(options.confidence)),
      rise_(static_cast<float>(std::pow(10.0, kRiseDbPerSecond / 10.0 / options.frame_rate))),
      power_(static_cast<std::size_t>(bins)),
      noise_(static_cast<std::size_t>(bins)),
      bound_(static_cast<std::size_t>(bins)),
      tracking_(options.beta > 0.0 || options.track) {
  if (!(options.beta >= 0.0) || !std::isfinite(options.beta)) {
    throw Error("floor guard: beta must be a non-negative number, got " + std::to_string(options.beta));
  }
  if (!(options.confidence > 0.0 && options.confidence <= 1.0)) {
    throw Error("floor guard: confidence must be in (0, 1], got " + std::to_string(options.confidence));
  }
  if (!(options.frame_rate > 0.0)) throw Error("floor guard: frame rate must be positive");
  reset();
}

void FloorGuard::reset() {
  std::fill(power_.begin(), power_.end(), 0.0f);
  std::fill(noise_.begin(), noise_.end(), 0.0f);
  std::fill(bound_.begin(), bound_.end(), 0.0f);
  first_ = true;
}

void FloorGuard::observe(std::span<const dsp::Complex> spectrum) {
  if (!tracking_) return;
  for (std::size_t k = 0; k < power_.size(); ++k) {
    const float p = std::norm(spectrum[k]);
    float& ps = power_[k];
    float& n = noise_[k];
    ps = first_ ? p : kSmoothing * ps + (1.0f - kSmoothing) * p;
    n = first_ ? ps : std::min(ps, n * rise_ + kFloorEpsilon);
    bound_[k] = ps > 0.0f ? std::clamp(1.0f - beta_ * n / ps, 0.0f, 1.0f) : 0.0f;
  }
  first_ = false;
}

}  // namespace nnse::enhance
