#include "nnse/dsp/mel.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "nnse/util/error.h"

namespace nnse::dsp {
namespace {

// The HTK mel scale's definition (not tunable parameters).
constexpr double kHtkMelFactor = 2595.0;
constexpr double kHtkCornerHz = 700.0;

// Triangle weight of bin k in the filter with edges (left, centre, right); 0 outside.
double triangle(int left, int centre, int right, int k) {
  if (k >= left && k < centre) return static_cast<double>(k - left) / (centre - left);
  if (k >= centre && k < right) return static_cast<double>(right - k) / (right - centre);
  return 0.0;
}

}  // namespace

double hz_to_mel(double hz) { return kHtkMelFactor * std::log10(1.0 + hz / kHtkCornerHz); }
double mel_to_hz(double mel) { return kHtkCornerHz * (std::pow(10.0, mel / kHtkMelFactor) - 1.0); }

std::vector<int> mel_bin_edges(const FrontendConfig& config) {
  config.validate("mel filterbank");
  const int points = config.mel_bands + 2;
  const double top = hz_to_mel(config.sample_rate / 2.0);
  std::vector<int> edges(static_cast<std::size_t>(points));
  for (int i = 0; i < points; ++i) {
    const double hz = mel_to_hz(top * i / (points - 1));
    const int bin = static_cast<int>(std::floor((config.fft_size + 1) * hz / config.sample_rate));
    edges[static_cast<std::size_t>(i)] = std::clamp(bin, 0, config.bins() - 1);
  }
  return edges;
}

MelFilterbank::MelFilterbank(const FrontendConfig& config) : bins_(config.bins()) {
  const std::vector<int> b = mel_bin_edges(config);
  const double quantum = std::ldexp(1.0, config.mel_weight_bits);
  const double max_code = quantum - 1.0;  // peak 1.0 saturates to 2^bits - 1, as in the reference's table
  offset_.push_back(0);
  for (int m = 1; m <= config.mel_bands; ++m) {
    const int left = b[static_cast<std::size_t>(m - 1)];
    const int centre = b[static_cast<std::size_t>(m)];
    const int right = b[static_cast<std::size_t>(m + 1)];
    // Zero weights at the support's edges (k = left; tiny weights floored away) are not stored.
    int first = -1;
    for (int k = left; k < right && k < bins_; ++k) {
      double w = triangle(left, centre, right, k);
      if (config.mel_weight_bits > 0) w = std::min(std::floor(w * quantum), max_code) / quantum;
      if (w == 0.0) {
        if (first >= 0) break;  // a triangle has no interior zeros
        continue;
      }
      if (first < 0) first = k;
      weights_.push_back(static_cast<float>(w));
    }
    // A band can be empty only when there are more bands than the FFT resolves; it then stays zero.
    if (first < 0) first = std::min(centre, bins_ - 1);
    first_bin_.push_back(first);
    offset_.push_back(weights_.size());
  }
}

std::span<const float> MelFilterbank::weights(int band) const {
  const auto i = static_cast<std::size_t>(band);
  return std::span<const float>(weights_).subspan(offset_[i], offset_[i + 1] - offset_[i]);
}

void MelFilterbank::apply(std::span<const float> power, std::span<float> mel_out) const {
  if (power.size() != static_cast<std::size_t>(bins_) || mel_out.size() != first_bin_.size()) {
    throw Error("MelFilterbank::apply: expected " + std::to_string(bins_) + " bins and " +
                std::to_string(first_bin_.size()) + " bands, got " + std::to_string(power.size()) + " and " +
                std::to_string(mel_out.size()));
  }
  const float* w = weights_.data();
  for (std::size_t m = 0; m < first_bin_.size(); ++m) {
    const float* p = power.data() + first_bin_[m];
    const std::size_t count = offset_[m + 1] - offset_[m];
    float sum = 0.0f;
    for (std::size_t j = 0; j < count; ++j) sum += w[j] * p[j];
    w += count;
    mel_out[m] = sum;
  }
}

std::vector<float> MelFilterbank::dense() const {
  std::vector<float> matrix(first_bin_.size() * static_cast<std::size_t>(bins_), 0.0f);
  for (int m = 0; m < bands(); ++m) {
    const auto w = weights(m);
    for (std::size_t j = 0; j < w.size(); ++j) {
      matrix[static_cast<std::size_t>(m) * static_cast<std::size_t>(bins_) + static_cast<std::size_t>(first_bin(m)) + j] = w[j];
    }
  }
  return matrix;
}

std::vector<float> mel_filterbank_matrix(const FrontendConfig& config) { return MelFilterbank(config).dense(); }

}  // namespace nnse::dsp
