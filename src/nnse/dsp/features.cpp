#include "nnse/dsp/features.h"

#include <algorithm>
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
    : config_(config), mel_(config), power_(static_cast<std::size_t>(config.bins())) {
  if (config.feature_type != FeatureType::melflat) return;
  log_power_.resize(power_.size());
  for (int b = 0; b < mel_.bands(); ++b) {
    double sum = 0;
    for (float w : mel_.weights(b)) sum += w;
    band_weight_.push_back(static_cast<float>(sum));
  }
}

void FeatureExtractor::process_frame(std::span<const Complex> bins, std::span<float> features_out) {
  if (bins.size() != power_.size() || features_out.size() != static_cast<std::size_t>(feature_dim())) {
    throw Error("FeatureExtractor: expected " + std::to_string(power_.size()) + " bins and " +
                std::to_string(feature_dim()) + " features, got " + std::to_string(bins.size()) + " and " +
                std::to_string(features_out.size()));
  }
  if (config_.feature_type == FeatureType::pspec) {
    power_spectrum(bins, features_out);
    log_compress(features_out, config_.log_offset);
    return;
  }
  const auto bands = static_cast<std::size_t>(mel_.bands());
  const auto energy = features_out.first(bands);
  power_spectrum(bins, power_);
  mel_.apply(power_, energy);
  if (config_.feature_type == FeatureType::melflat) {
    // Flatness = weighted mean of log10(P + offset) minus log10(weighted mean P + offset). Single-bin bands
    // carry no within-band shape: 0.
    const auto flatness = features_out.subspan(bands, bands);
    std::copy(power_.begin(), power_.end(), log_power_.begin());
    log_compress(log_power_, config_.log_offset);
    mel_.apply(log_power_, flatness);
    for (std::size_t b = 0; b < bands; ++b) {
      const float w = band_weight_[b];
      flatness[b] = mel_.weights(static_cast<int>(b)).size() < 2 || !(w > 0)
                        ? 0.0f
                        : flatness[b] / w - std::log10(energy[b] / w + static_cast<float>(config_.log_offset));
    }
  }
  log_compress(energy, config_.log_offset);
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
