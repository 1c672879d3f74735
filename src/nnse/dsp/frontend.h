#pragma once
// The whole analysis chain for one stream, one hop at a time: DC removal (if configured) -> STFT -> log
// features. Keeps the complex bins of each frame for masking and resynthesis. No allocation per hop.
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
  explicit StreamingFrontend(const FrontendConfig& config);
  void reset();
  // hop.size() == hop_length; bins_out.size() == bins(); features_out.size() == feature_dim().
  void process_hop(std::span<const float> hop, std::span<Complex> bins_out, std::span<float> features_out);
  const FrontendConfig& config() const { return config_; }

 private:
  FrontendConfig config_;
  DcRemover dc_;
  StftAnalyzer analyzer_;
  FeatureExtractor extractor_;
  std::vector<float> scratch_;
};

// Features of a whole audio file, read in blocks (any format/rate audio::AudioReader accepts, resampled to
// config.sample_rate): equal to extract_features() on the whole signal. If `log_power_out` is given it
// receives log10(P + log_offset) of every bin too (for spectrogram pictures).
FeatureMatrix file_features(const std::filesystem::path& file, const FrontendConfig& config, bool announce = true,
                            FeatureMatrix* log_power_out = nullptr);

}  // namespace nnse::dsp
