#include "nnse/enhance/pitch_filter.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "nnse/dsp/window.h"
#include "nnse/util/error.h"

namespace nnse::enhance {
namespace {

// Band centres in Hz: 200 Hz apart up to 1.6 kHz, then wider (RNNoise's layout), cut at the Nyquist frequency.
constexpr double kBandHz[] = {0,    200,  400,  600,  800,  1000, 1200, 1400, 1600,  2000,  2400,
                              2800, 3200, 4000, 4800, 5600, 6800, 8000, 9600, 12000, 15600, 20000};

// A minimum-tracking floor lies below the mean noise power (the minima of a smoothed periodogram): scaled up by
// this before it counts as the band's noise.
constexpr float kFloorBias = 2.0f;
// Bounds that keep the fixed-point runtime's ranges (runtime/src/pitch_filter.c): the mix of the delayed frame
// (a band far weaker one period back would otherwise be scaled up without limit) and the band rescale.
constexpr float kMaxMix = 8.0f;
constexpr float kMaxRescale = 32767.0f / 8192.0f;
constexpr double kLongLagPenalty = 0.15;  // the score's fall from the shortest to the longest lag
// The highest band centre that is filtered: the mix fades out towards the next centre (1.4 kHz), and bins from
// there up pass unchanged. Measured (docs/generalization.md "A pitch filter"): filtering every band up to 8 kHz
// gives the same SI-SDR, STOI and ESTOI within 0.002 dB / 0.0001 on both validation views and the independent set
// (a lag that is off by a sample turns a harmonic's phase by 2 pi f / 16 kHz, so the copy one period back stops
// adding up coherently within a few kHz), while the bins above cost five sixths of the per-bin work.
constexpr double kTopBandHz = 1200.0;

}  // namespace

PitchFilter::PitchFilter(const dsp::FrontendConfig& config, PitchFilterOptions options)
    : strength_(static_cast<float>(options.strength)),
      window_(config.window_length),
      hop_(config.hop_length),
      bins_(config.bins()),
      window_values_(dsp::stft_window(config)),
      fft_(config.fft_size) {
  if (!(options.strength >= 0.0 && options.strength <= 1.0)) {
    throw Error("pitch filter strength must be in [0, 1], got " + std::to_string(options.strength));
  }
  if (!(options.min_pitch_hz > 0.0 && options.max_pitch_hz > options.min_pitch_hz)) {
    throw Error("pitch filter: the pitch range must be positive and increasing");
  }
  min_lag_ = std::max(1, static_cast<int>(std::floor(config.sample_rate / options.max_pitch_hz)));
  max_lag_ = static_cast<int>(std::ceil(config.sample_rate / options.min_pitch_hz));
  min_lag_ += (4 - min_lag_ % 4) % 4;  // multiples of 4: the coarse search runs at a quarter of the rate
  max_lag_ += (4 - max_lag_ % 4) % 4;
  // (checked only when the filter is on: an enhancer holds one, off, for every front end)
  if (strength_ > 0.0f && window_ % 4 != 0) {
    throw Error("pitch filter: the window length must be a multiple of 4, got " + std::to_string(window_));
  }
  const double bin_hz = static_cast<double>(config.sample_rate) / config.fft_size;
  for (double hz : kBandHz) {
    const int bin = static_cast<int>(std::lround(hz / bin_hz));
    if (bin >= bins_ - 1) break;
    band_edges_.push_back(bin);
  }
  band_edges_.push_back(bins_ - 1);
  const auto bands = band_edges_.size();
  filtered_bands_ = 0;
  while (filtered_bands_ + 1 < static_cast<int>(bands) && kBandHz[filtered_bands_] <= kTopBandHz) ++filtered_bands_;
  band_x_.resize(bands);
  band_p_.resize(bands);
  band_xp_.resize(bands);
  band_g_.resize(bands);
  band_n_.resize(bands);
  band_r_.resize(bands);
  history_.resize(static_cast<std::size_t>(window_ + max_lag_));
  half_.resize(history_.size() / 2);
  quarter_.resize(half_.size() / 2);
  frame_.resize(static_cast<std::size_t>(config.fft_size));
  filtered_.resize(static_cast<std::size_t>(bins_));
  reset();
}

void PitchFilter::reset() {
  std::fill(history_.begin(), history_.end(), 0.0f);
  last_lag_ = 0;
}

double PitchFilter::lag_weight(int lag) const {
  return 1.0 - kLongLagPenalty * (lag - min_lag_) / static_cast<double>(max_lag_ - min_lag_);
}

int PitchFilter::best_lag(const float* frame, int length, int lo, int hi, int step) const {
  double best = 0.0;
  int found = 0;
  for (int lag = lo; lag <= hi; ++lag) {
    const float* span = frame - lag;
    double energy = 0.0, dot = 0.0;
    for (int n = 0; n < length; ++n) {
      energy += static_cast<double>(span[n]) * span[n];
      dot += static_cast<double>(frame[n]) * span[n];
    }
    if (dot <= 0.0 || energy <= 0.0) continue;
    const double score = dot / std::sqrt(energy) * lag_weight(lag * step);
    if (score > best) best = score, found = lag;
  }
  return found;
}

int PitchFilter::find_lag() {
  // The frame is the last `window_` samples of the history; the candidate for lag T starts T samples earlier.
  const float* frame = history_.data() + max_lag_;
  double frame_energy = 0.0;
  for (int n = 0; n < window_; ++n) frame_energy += static_cast<double>(frame[n]) * frame[n];
  if (!(frame_energy > 1e-12 * window_)) return 0;
  // The history at half and at a quarter of the rate (means of pairs).
  for (std::size_t m = 0; m < half_.size(); ++m) half_[m] = 0.5f * (history_[2 * m] + history_[2 * m + 1]);
  for (std::size_t m = 0; m < quarter_.size(); ++m) quarter_[m] = 0.5f * (half_[2 * m] + half_[2 * m + 1]);
  const int coarse = best_lag(quarter_.data() + max_lag_ / 4, window_ / 4, min_lag_ / 4, max_lag_ / 4, 4);
  if (coarse == 0) return 0;
  const int mid = best_lag(half_.data() + max_lag_ / 2, window_ / 2, std::max(min_lag_ / 2, 2 * coarse - 1),
                           std::min(max_lag_ / 2, 2 * coarse + 1), 2);
  if (mid == 0) return 0;
  return best_lag(frame, window_, std::max(min_lag_, 2 * mid - 1), std::min(max_lag_, 2 * mid + 1), 1);
}

void PitchFilter::analyze_hop(std::span<const float> hop, std::span<dsp::Complex> pitch_bins) {
  if (static_cast<int>(hop.size()) != hop_ || static_cast<int>(pitch_bins.size()) != bins_) {
    throw Error("PitchFilter: wrong hop or spectrum size");
  }
  std::move(history_.begin() + hop_, history_.end(), history_.begin());
  std::copy(hop.begin(), hop.end(), history_.end() - hop_);

  last_lag_ = find_lag();
  if (last_lag_ == 0) {
    std::fill(pitch_bins.begin(), pitch_bins.end(), dsp::Complex(0.0f, 0.0f));
    return;
  }
  const float* delayed = history_.data() + (max_lag_ - last_lag_);
  for (int n = 0; n < window_; ++n)
    frame_[static_cast<std::size_t>(n)] = delayed[n] * window_values_[static_cast<std::size_t>(n)];
  std::fill(frame_.begin() + window_, frame_.end(), 0.0f);
  fft_.forward(frame_, pitch_bins);
}

void PitchFilter::apply(std::span<dsp::Complex> bins, std::span<const dsp::Complex> pitch_bins,
                        std::span<const float> gains, std::span<const float> noise_floor) {
  const bool with_floor = !noise_floor.empty();
  if (!enabled()) return;
  const int bands = static_cast<int>(band_edges_.size());
  std::fill(band_x_.begin(), band_x_.end(), 0.0f);
  std::fill(band_p_.begin(), band_p_.end(), 0.0f);
  std::fill(band_xp_.begin(), band_xp_.end(), 0.0f);
  std::fill(band_g_.begin(), band_g_.end(), 0.0f);
  std::fill(band_n_.begin(), band_n_.end(), 0.0f);
  // Each bin splits between the band below and the band above it (triangular weights). Only the segments that
  // start at a filtered band's centre are visited: the bins from the first unfiltered centre up are left as they
  // are, and that band's sums (incomplete) are not used.
  auto for_each_bin = [&](auto&& visit) {
    for (int i = 0; i < filtered_bands_; ++i) {
      const int lo = band_edges_[static_cast<std::size_t>(i)];
      const int hi = band_edges_[static_cast<std::size_t>(i + 1)];
      const int last = (i + 2 == bands) ? hi : hi - 1;
      for (int k = lo; k <= last; ++k) visit(k, i, static_cast<float>(k - lo) / static_cast<float>(hi - lo));
    }
  };
  for_each_bin([&](int k, int i, float w) {
    const auto kk = static_cast<std::size_t>(k);
    const float x = std::norm(bins[kk]);
    const float p = std::norm(pitch_bins[kk]);
    const float xp = bins[kk].real() * pitch_bins[kk].real() + bins[kk].imag() * pitch_bins[kk].imag();
    const float gx = gains[kk] * gains[kk] * x;
    const auto a = static_cast<std::size_t>(i);
    band_x_[a] += (1.0f - w) * x, band_x_[a + 1] += w * x;
    band_p_[a] += (1.0f - w) * p, band_p_[a + 1] += w * p;
    band_xp_[a] += (1.0f - w) * xp, band_xp_[a + 1] += w * xp;
    band_g_[a] += (1.0f - w) * gx, band_g_[a + 1] += w * gx;
    if (with_floor) {
      const float n = noise_floor[kk];
      band_n_[a] += (1.0f - w) * n, band_n_[a + 1] += w * n;
    }
  });
  constexpr float kTiny = 1e-20f;
  for (int b = 0; b < bands; ++b) {
    const auto bb = static_cast<std::size_t>(b);
    float r = 0.0f;
    if (b < filtered_bands_ && band_x_[bb] > kTiny && band_p_[bb] > kTiny) {
      const float p = std::clamp(band_xp_[bb] / std::sqrt(band_x_[bb] * band_p_[bb]), 0.0f, 1.0f);
      float g = std::clamp(std::sqrt(band_g_[bb] / band_x_[bb]), 0.0f, 1.0f);
      if (with_floor) g = std::max(g, std::sqrt(std::clamp(1.0f - kFloorBias * band_n_[bb] / band_x_[bb], 0.0f, 1.0f)));
      float a = 1.0f;
      if (p < g) {
        a = std::sqrt(std::clamp(p * p * (1.0f - g * g) / (g * g * (1.0f - p * p) + kTiny), 0.0f, 1.0f));
      }
      r = std::min(strength_ * a * std::sqrt(band_x_[bb] / band_p_[bb]), kMaxMix);
    }
    band_r_[bb] = r;
  }
  std::fill(band_p_.begin(), band_p_.end(), 0.0f);  // now: the band energies after filtering
  for_each_bin([&](int k, int i, float w) {
    const auto kk = static_cast<std::size_t>(k);
    const auto a = static_cast<std::size_t>(i);
    const float r = (1.0f - w) * band_r_[a] + w * band_r_[a + 1];
    filtered_[kk] = bins[kk] + r * pitch_bins[kk];
    const float e = std::norm(filtered_[kk]);
    band_p_[a] += (1.0f - w) * e, band_p_[a + 1] += w * e;
  });
  for (int b = 0; b < bands; ++b) {
    const auto bb = static_cast<std::size_t>(b);
    band_r_[bb] =
        b < filtered_bands_ && band_p_[bb] > kTiny ? std::min(std::sqrt(band_x_[bb] / band_p_[bb]), kMaxRescale) : 1.0f;
  }
  for_each_bin([&](int k, int i, float w) {
    const auto kk = static_cast<std::size_t>(k);
    const auto a = static_cast<std::size_t>(i);
    bins[kk] = filtered_[kk] * ((1.0f - w) * band_r_[a] + w * band_r_[a + 1]);
  });
}

}  // namespace nnse::enhance
