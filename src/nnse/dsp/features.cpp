#include "nnse/dsp/features.h"

#include <cmath>
#include <string>

#include "nnse/dsp/dc_filter.h"
#include "nnse/util/error.h"

namespace nnse::dsp {

FeatureMatrix::FeatureMatrix(int frames_, int dim_)
    : frames(frames_), dim(dim_), values(static_cast<std::size_t>(frames_) * static_cast<std::size_t>(dim_)) {}

void power_spectrum(std::span<const Complex> bins, std::span<float> power_out) {
  if (bins.size() != power_out.size()) throw Error("power_spectrum: input and output sizes differ");
  for (std::size_t k = 0; k < bins.size(); ++k) {
    const float re = bins[k].real(), im = bins[k].imag();
    power_out[k] = re * re + im * im;
  }
}

void log_compress(std::span<float> inout, double offset) {
  const auto eps = static_cast<float>(offset);
  for (float& v : inout) v = std::log10(v + eps);
}

float log_floor(const FrontendConfig& config) { return static_cast<float>(std::log10(config.log_offset)); }

FeatureExtractor::FeatureExtractor(const FrontendConfig& config)
    : config_(config), mel_(config), power_(static_cast<std::size_t>(config.bins())) {}

void FeatureExtractor::process_frame(std::span<const Complex> bins, std::span<float> features_out) {
  if (bins.size() != power_.size() || features_out.size() != static_cast<std::size_t>(feature_dim())) {
    throw Error("FeatureExtractor: expected " + std::to_string(power_.size()) + " bins and " +
                std::to_string(feature_dim()) + " features, got " + std::to_string(bins.size()) + " and " +
                std::to_string(features_out.size()));
  }
  if (config_.feature_type == FeatureType::mel) {
    power_spectrum(bins, power_);
    mel_.apply(power_, features_out);
  } else {
    power_spectrum(bins, features_out);
  }
  log_compress(features_out, config_.log_offset);
}

FeatureMatrix FeatureExtractor::process(const Spectrum& spectrum) {
  FeatureMatrix features(spectrum.frames, feature_dim());
  for (int t = 0; t < spectrum.frames; ++t) process_frame(spectrum.frame(t), features.row(t));
  return features;
}

FeatureMatrix compute_features(const Spectrum& spectrum, const FrontendConfig& config) {
  FeatureExtractor extractor(config);
  return extractor.process(spectrum);
}

FeatureMatrix extract_features(std::span<const float> signal, const FrontendConfig& config) {
  if (!config.dc_removal) return compute_features(stft(signal, config), config);
  std::vector<float> filtered(signal.begin(), signal.end());
  DcRemover dc(config.dc_pole);
  dc.process(filtered);
  return compute_features(stft(filtered, config), config);
}

}  // namespace nnse::dsp
