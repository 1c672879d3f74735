#pragma once
// The whole analysis chain for one stream, one hop at a time. Two paths leave it:
//   features:  DC removal as configured (the reference's first-order high-pass, -3 dB near 90 Hz) -> STFT ->
//              log features, exactly as in training;
//   synthesis: the complex bins that the gain multiplies and the inverse STFT turns back into audio. They come
//              from the input through a DC-only blocker (`output_dc_pole`, default -3 dB at 1.3 Hz), not through
//              the feature high-pass: that filter in the output path cut the bass of every voice by 3-5 dB and
//              shifted its phase, which alone limited clean speech to ~9 dB SI-SDR.
// No allocation per hop.
#include <filesystem>
#include <span>
#include <vector>

#include "nnse/dsp/dc_filter.h"
#include "nnse/dsp/features.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/dsp/stft.h"

namespace nnse::dsp {

class StreamingFrontend {
 public:
  // output_dc_pole: pole of the synthesis path's DC blocker (0 = none).
  explicit StreamingFrontend(const FrontendConfig& config, double output_dc_pole = kOutputDcPole);
  void reset();
  // hop.size() == hop_length; bins_out.size() == bins() (synthesis path); features_out.size() == feature_dim().
  void process_hop(std::span<const float> hop, std::span<Complex> bins_out, std::span<float> features_out);
  // The last hop's samples as the synthesis path sees them (after its DC blocker): what the output is made of.
  std::span<const float> synthesis_hop() const { return output_scratch_; }

  // -3 dB at (1 - a) fs / (2 pi) = 1.3 Hz at 16 kHz: removes a microphone's DC offset (which a time-varying gain
  // would otherwise turn into low-frequency thumps) and nothing audible: 0.7 degrees of phase at 100 Hz.
  static constexpr double kOutputDcPole = 0.9995;
  const FrontendConfig& config() const { return config_; }

 private:
  FrontendConfig config_;
  DcRemover dc_;
  DcRemover output_dc_;
  bool output_dc_enabled_;
  StftAnalyzer analyzer_;         // feature path
  StftAnalyzer output_analyzer_;  // synthesis path
  FeatureExtractor extractor_;
  std::vector<float> scratch_;
  std::vector<float> output_scratch_;
  std::vector<Complex> feature_bins_;
};

// Features of a whole audio file, read in blocks (any format/rate audio::AudioReader accepts, resampled to
// config.sample_rate): equal to extract_features() on the whole signal. If `log_power_out` is given it
// receives log10(P + log_offset) of every bin too (for spectrogram pictures).
FeatureMatrix file_features(const std::filesystem::path& file, const FrontendConfig& config, bool announce = true,
                            FeatureMatrix* log_power_out = nullptr);

}  // namespace nnse::dsp
