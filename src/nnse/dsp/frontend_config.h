#pragma once
// The one description of the audio front end. It travels with every feature file, shard, model and checkpoint,
// so that a model can never be run with features it was not trained on. Defaults are the reference system's
// (docs: docs/reference-facts.md section 1). No other file hard-codes these numbers.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace nnse::dsp {

// mel: log mel band energies; pspec: log power of every bin; melflat: the mel features followed by each band's
// spectral flatness (weighted mean log power minus log mean power, <= 0: 0 for noise-like flat bands, negative
// where a voice's harmonics make the band peaky), a within-band cue the band energies alone do not carry.
enum class FeatureType { mel, pspec, melflat };

std::string to_string(FeatureType type);
FeatureType feature_type_from_string(const std::string& name);  // throws nnse::Error for unknown names
// Every feature type's name, in enum order ("mel", "pspec"): what --feat-type accepts.
std::vector<std::string> feature_type_names();
// One line naming every feature type and what it holds, for --feat-type's help.
std::string feature_type_help();

struct FrontendConfig {
  int sample_rate = 16000;        // Hz, mono
  int window_length = 480;        // samples (30 ms), sqrt periodic Hann scaled for COLA
  int hop_length = 160;           // samples (10 ms): 100 frames per second
  int fft_size = 512;             // the window is zero-padded at the end to this length
  int mel_bands = 72;             // HTK mel triangles over 0 .. sample_rate/2
  FeatureType feature_type = FeatureType::mel;
  int context_frames = 6;         // frames stacked as network input, oldest first
  double log_offset = 1.0 / 32768.0;  // log10(x + 2^-15)
  double dc_pole = 31630.0 / 32768.0;  // DC-removal high-pass H(z) = (1 - z^-1) / (1 - a z^-1)
  bool dc_removal = true;
  // Mel weights are floored to this many fraction bits, like the reference's Q15 table (peak 32767/32768), so
  // the filterbank equals its fbank_mel.npy; 0 keeps the exact triangles (peak 1).
  int mel_weight_bits = 15;
  double stats_std_offset = 1.0 / 32768.0;  // feature stats: inv_std = 1 / (offset + std)

  int bins() const { return fft_size / 2 + 1; }
  // Values per frame of the chosen feature: mel_bands for mel, bins() for pspec, 2 mel_bands for melflat.
  int feature_dim() const {
    switch (feature_type) {
      case FeatureType::mel: return mel_bands;
      case FeatureType::melflat: return 2 * mel_bands;
      case FeatureType::pspec: break;
    }
    return bins();
  }
  bool uses_mel() const { return feature_type != FeatureType::pspec; }
  // Samples of the analysis buffer that precede the current hop (the history of a streaming frame).
  int history_length() const { return window_length - hop_length; }
  double frame_rate() const { return static_cast<double>(sample_rate) / hop_length; }  // frames per second

  // Throws nnse::Error naming `where` if the combination is not usable (hop does not divide the window, ...).
  void validate(const std::string& where = "front-end config") const;
  bool operator==(const FrontendConfig&) const = default;
};

void to_json(nlohmann::json& j, const FrontendConfig& config);
void from_json(const nlohmann::json& j, FrontendConfig& config);

}  // namespace nnse::dsp
