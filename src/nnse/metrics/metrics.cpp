#include "nnse/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <string>
#include <vector>

#include "nnse/dsp/fft.h"
#include "nnse/util/error.h"

namespace nnse::metrics {
namespace {

std::size_t common_length(std::span<const float> a, std::span<const float> b) { return std::min(a.size(), b.size()); }

// 10 log10(num / den) clamped to +-kDbLimit; a zero numerator is the worst case whatever the denominator.
double ratio_db(double num, double den) {
  if (!(num > 0.0)) return -kDbLimit;
  if (!(den > 0.0)) return kDbLimit;
  return std::clamp(10.0 * std::log10(num / den), -kDbLimit, kDbLimit);
}

void check_rate(int sample_rate, const char* who) {
  if (sample_rate <= 0) throw Error(std::string(who) + ": invalid sample rate " + std::to_string(sample_rate));
}

}  // namespace

double si_sdr(std::span<const float> reference, std::span<const float> estimate) {
  const std::size_t n = common_length(reference, estimate);
  if (n == 0) return -kDbLimit;
  double mean_s = 0.0, mean_e = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    mean_s += reference[i];
    mean_e += estimate[i];
  }
  mean_s /= static_cast<double>(n);
  mean_e /= static_cast<double>(n);
  double ss = 0.0, es = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double s = reference[i] - mean_s, e = estimate[i] - mean_e;
    ss += s * s;
    es += e * s;
  }
  if (!(ss > 0.0)) return -kDbLimit;
  const double a = es / ss;
  double target = 0.0, error = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = a * (reference[i] - mean_s);
    const double d = t - (estimate[i] - mean_e);
    target += t * t;
    error += d * d;
  }
  return ratio_db(target, error);
}

double snr(std::span<const float> reference, std::span<const float> estimate) {
  const std::size_t n = common_length(reference, estimate);
  double signal = 0.0, error = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(reference[i]) - estimate[i];
    signal += static_cast<double>(reference[i]) * reference[i];
    error += d * d;
  }
  return ratio_db(signal, error);
}

double segmental_snr(std::span<const float> reference, std::span<const float> estimate, int sample_rate) {
  check_rate(sample_rate, "segmental SNR");
  const std::size_t n = common_length(reference, estimate);
  const auto frame = static_cast<std::size_t>(std::lround(0.030 * sample_rate));
  const std::size_t hop = std::max<std::size_t>(1, frame / 2);
  if (n < frame || frame == 0) {
    throw Error("segmental SNR: the signals (" + std::to_string(n) + " samples) are shorter than one 30 ms frame");
  }
  double total = 0.0;
  std::size_t count = 0;
  for (std::size_t start = 0; start + frame <= n; start += hop, ++count) {
    double signal = 0.0, error = 0.0;
    for (std::size_t i = start; i < start + frame; ++i) {
      const double d = static_cast<double>(reference[i]) - estimate[i];
      signal += static_cast<double>(reference[i]) * reference[i];
      error += d * d;
    }
    total += std::clamp(ratio_db(signal, error), kSegSnrFloorDb, kSegSnrCeilingDb);
  }
  return total / static_cast<double>(count);
}

double log_spectral_distance(std::span<const float> reference, std::span<const float> estimate, int sample_rate) {
  check_rate(sample_rate, "log-spectral distance");
  const std::size_t n = common_length(reference, estimate);
  auto frame = static_cast<std::size_t>(std::lround(0.032 * sample_rate));
  frame = std::max<std::size_t>(2, frame + (frame % 2));
  std::size_t fft_size = 2;
  while (fft_size < frame) fft_size *= 2;
  const std::size_t hop = frame / 2;
  std::vector<float> window(frame);
  for (std::size_t i = 0; i < frame; ++i) {
    window[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(frame)));
  }
  dsp::RealFft fft(static_cast<int>(fft_size));
  std::vector<float> a(fft_size, 0.0f), b(fft_size, 0.0f);
  std::vector<dsp::Complex> A(fft_size / 2 + 1), B(fft_size / 2 + 1);
  constexpr double floor = 1e-10;
  // Short signals are zero-padded to one frame rather than refused.
  const std::size_t frames = n <= frame ? 1 : (n - frame) / hop + 1;
  double total = 0.0;
  for (std::size_t f = 0; f < frames; ++f) {
    const std::size_t start = f * hop;
    for (std::size_t i = 0; i < frame; ++i) {
      a[i] = start + i < n ? reference[start + i] * window[i] : 0.0f;
      b[i] = start + i < n ? estimate[start + i] * window[i] : 0.0f;
    }
    fft.forward(a, A);
    fft.forward(b, B);
    double sum = 0.0;
    for (std::size_t k = 0; k < A.size(); ++k) {
      const double d = 10.0 * (std::log10(std::norm(std::complex<double>(A[k])) + floor) -
                               std::log10(std::norm(std::complex<double>(B[k])) + floor));
      sum += d * d;
    }
    total += std::sqrt(sum / static_cast<double>(A.size()));
  }
  return total / static_cast<double>(frames);
}

std::optional<double> onset_gain(std::span<const float> reference, std::span<const float> estimate, int sample_rate) {
  check_rate(sample_rate, "onset gain");
  const std::size_t n = common_length(reference, estimate);
  const std::size_t hop = static_cast<std::size_t>(std::max(1, sample_rate / 100));
  const std::size_t frames = n / hop;
  if (frames == 0) return std::nullopt;
  std::vector<double> power(frames, 0.0);
  for (std::size_t t = 0; t < frames; ++t) {
    for (std::size_t i = t * hop; i < (t + 1) * hop; ++i) power[t] += static_cast<double>(reference[i]) * reference[i];
  }
  const double loudest = *std::max_element(power.begin(), power.end());
  if (!(loudest > 0.0)) return std::nullopt;  // a silent reference has no onset
  const double jump = std::pow(10.0, kOnset.jump_db / 10.0), range = std::pow(10.0, -kOnset.range_db / 10.0);
  const double floor = std::pow(10.0, -kOnset.floor_db / 20.0);
  const auto history = static_cast<std::size_t>(kOnset.history_frames);
  const auto window = static_cast<std::size_t>(kOnset.window_frames);
  double sum_db = 0.0;
  int count = 0;
  std::size_t last = 0;
  for (std::size_t t = history; t + window <= frames; ++t) {
    if (count > 0 && t < last + static_cast<std::size_t>(kOnset.spacing_frames)) continue;
    const double before = *std::max_element(power.begin() + static_cast<std::ptrdiff_t>(t - history),
                                            power.begin() + static_cast<std::ptrdiff_t>(t));
    if (!(power[t] > jump * before && power[t] >= range * loudest)) continue;
    // Both sums in one pass, in the same order: for the reference itself cross == energy exactly (0 dB, not -0.00).
    double cross = 0.0, energy = 0.0;
    for (std::size_t i = t * hop; i < (t + window) * hop; ++i) {
      cross += static_cast<double>(estimate[i]) * reference[i];
      energy += static_cast<double>(reference[i]) * reference[i];
    }
    sum_db += 20.0 * std::log10(std::max(cross / energy, floor));
    ++count;
    last = t;
  }
  if (count == 0) return std::nullopt;
  return sum_db / count;
}

}  // namespace nnse::metrics
