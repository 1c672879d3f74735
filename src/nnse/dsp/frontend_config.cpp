#include "nnse/dsp/frontend_config.h"

#include <nlohmann/json.hpp>

#include "nnse/util/error.h"

namespace nnse::dsp {

namespace {
constexpr FeatureType kFeatureTypes[] = {FeatureType::mel, FeatureType::pspec, FeatureType::melflat};
}  // namespace

// The one place the names are spelled.
std::string to_string(FeatureType type) {
  switch (type) {
    case FeatureType::mel: return "mel";
    case FeatureType::melflat: return "melflat";
    case FeatureType::pspec: break;
  }
  return "pspec";
}

std::vector<std::string> feature_type_names() {
  std::vector<std::string> names;
  for (FeatureType type : kFeatureTypes) names.push_back(to_string(type));
  return names;
}

std::string feature_type_help() {
  const FrontendConfig d;
  const auto bands = std::to_string(d.mel_bands);
  return "mel (" + bands + " log10 HTK mel bands), pspec (" + std::to_string(d.bins()) +
         " log10 power-spectrum bins) or melflat (the " + bands + " mel bands and each band's spectral flatness)";
}

FeatureType feature_type_from_string(const std::string& name) {
  for (FeatureType type : kFeatureTypes) {
    if (to_string(type) == name) return type;
  }
  std::string expected;
  for (const auto& known : feature_type_names()) expected += (expected.empty() ? "" : " or ") + known;
  throw Error("unknown feature type '" + name + "' (expected " + expected + ")");
}

void FrontendConfig::validate(const std::string& where) const {
  auto fail = [&](const std::string& problem) { throw Error(where, problem); };
  if (sample_rate <= 0) fail("sample_rate must be positive");
  if (hop_length <= 0 || window_length <= 0) fail("window and hop must be positive");
  if (window_length % hop_length != 0) fail("window_length must be a multiple of hop_length (COLA)");
  if (fft_size < window_length) fail("fft_size must be at least window_length");
  if (fft_size % 2 != 0) fail("fft_size must be even");
  if (mel_bands <= 0 || mel_bands > bins()) fail("mel_bands must be in 1..fft_size/2+1");
  if (context_frames <= 0) fail("context_frames must be positive");
  if (!(log_offset > 0)) fail("log_offset must be positive");
  if (!(dc_pole >= 0 && dc_pole < 1)) fail("dc_pole must be in [0, 1)");
  if (mel_weight_bits < 0 || mel_weight_bits > 30) fail("mel_weight_bits must be in 0..30");
  if (!(stats_std_offset >= 0)) fail("stats_std_offset must not be negative");
}

void to_json(nlohmann::json& j, const FrontendConfig& c) {
  j = nlohmann::json{{"sample_rate", c.sample_rate},   {"window_length", c.window_length},
                     {"hop_length", c.hop_length},     {"fft_size", c.fft_size},
                     {"mel_bands", c.mel_bands},       {"feature_type", to_string(c.feature_type)},
                     {"context_frames", c.context_frames}, {"log_offset", c.log_offset},
                     {"dc_pole", c.dc_pole},           {"dc_removal", c.dc_removal},
                     {"mel_weight_bits", c.mel_weight_bits}, {"stats_std_offset", c.stats_std_offset}};
}

void from_json(const nlohmann::json& j, FrontendConfig& c) {
  FrontendConfig d;
  c.sample_rate = j.value("sample_rate", d.sample_rate);
  c.window_length = j.value("window_length", d.window_length);
  c.hop_length = j.value("hop_length", d.hop_length);
  c.fft_size = j.value("fft_size", d.fft_size);
  c.mel_bands = j.value("mel_bands", d.mel_bands);
  c.feature_type = feature_type_from_string(j.value("feature_type", to_string(d.feature_type)));
  c.context_frames = j.value("context_frames", d.context_frames);
  c.log_offset = j.value("log_offset", d.log_offset);
  c.dc_pole = j.value("dc_pole", d.dc_pole);
  c.dc_removal = j.value("dc_removal", d.dc_removal);
  c.mel_weight_bits = j.value("mel_weight_bits", d.mel_weight_bits);
  c.stats_std_offset = j.value("stats_std_offset", d.stats_std_offset);
}

}  // namespace nnse::dsp
