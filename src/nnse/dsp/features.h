#pragma once
// Log-spectral features (reference 1.5-1.7): power spectrum P[k] = Re^2 + Im^2 of the unnormalized DFT of audio
// in [-1, 1), then either the mel filterbank (config.feature_type == mel, mel_bands values) or all bins (pspec,
// fft_size/2 + 1 values), then log10(x + config.log_offset).
#include <cstddef>
#include <span>
#include <vector>

#include "nnse/dsp/frontend_config.h"
#include "nnse/dsp/mel.h"
#include "nnse/dsp/stft.h"

namespace nnse::dsp {

// A [frames x dim] row-major matrix of per-frame values (features, normalized features, stacked contexts).
struct FeatureMatrix {
  int frames = 0;
  int dim = 0;
  std::vector<float> values;

  FeatureMatrix() = default;
  FeatureMatrix(int frames, int dim);  // zero-filled
  std::span<float> row(int t) { return {values.data() + offset(t), static_cast<std::size_t>(dim)}; }
  std::span<const float> row(int t) const { return {values.data() + offset(t), static_cast<std::size_t>(dim)}; }
  float& at(int t, int i) { return values[offset(t) + static_cast<std::size_t>(i)]; }
  float at(int t, int i) const { return values[offset(t) + static_cast<std::size_t>(i)]; }

 private:
  std::size_t offset(int t) const { return static_cast<std::size_t>(t) * static_cast<std::size_t>(dim); }
};

// P[k] = Re(X[k])^2 + Im(X[k])^2.
void power_spectrum(std::span<const Complex> bins, std::span<float> power_out);
// x <- log10(x + offset), element-wise.
void log_compress(std::span<float> inout, double offset);
// The feature value of silence, log10(log_offset) (-4.515 with the defaults).
float log_floor(const FrontendConfig& config);

// One complex frame -> feature_dim() log features. Holds its filterbank and scratch: no allocation per frame.
class FeatureExtractor {
 public:
  explicit FeatureExtractor(const FrontendConfig& config);
  int feature_dim() const { return config_.feature_dim(); }
  const FrontendConfig& config() const { return config_; }
  const MelFilterbank& filterbank() const { return mel_; }
  // bins.size() == config.bins(), features_out.size() == feature_dim().
  void process_frame(std::span<const Complex> bins, std::span<float> features_out);
  FeatureMatrix process(const Spectrum& spectrum);

 private:
  FrontendConfig config_;
  MelFilterbank mel_;
  std::vector<float> power_;
  std::vector<float> log_power_;    // melflat: log10(P[k] + offset)
  std::vector<float> band_weight_;  // melflat: each band's weight sum
};

// Block form: features of every frame of a spectrum, [frames x feature_dim()].
FeatureMatrix compute_features(const Spectrum& spectrum, const FrontendConfig& config);

// Whole-signal convenience: DC removal (if config.dc_removal, fresh state), block STFT, features.
FeatureMatrix extract_features(std::span<const float> signal, const FrontendConfig& config);

}  // namespace nnse::dsp
