#pragma once
// File-level enhancement: stream a file of any format / rate / channel count through the Enhancer in blocks
// (constant memory for any length), write a 16-bit WAV of the same length and alignment, and optionally a
// picture of what happened (noisy and enhanced spectrograms, the gain mask, both waveforms).
#include <filesystem>
#include <optional>

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/enhance/enhancer.h"
#include "nnse/nn/model.h"

namespace nnse::enhance {

struct TrainedModel {
  nn::Model model;
  dsp::FrontendConfig frontend;
  dsp::FeatureStats stats;
  std::string description;  // where it came from, for messages ("models/se_nn_arch72_mel/model.ckpt, epoch 12")
};

struct FileEnhanceOptions {
  std::optional<std::filesystem::path> picture;  // PNG to write
  double picture_seconds = 60.0;                 // the picture shows at most this much (long files stay bounded)
  bool announce = true;                          // say on stderr when the input is resampled / downmixed
  double atten_lim_db = EnhancerOptions::kDefaultAttenLimDb;  // gain floor (EnhancerOptions::atten_lim_db)
  bool quantized = false;  // run the fixed-point runtime (deploy::QuantizedEnhancer) instead; no picture
};

struct FileEnhanceResult {
  std::int64_t samples = 0;
  double seconds = 0.0;
  std::int64_t clipped = 0;  // output samples clipped to 16 bits
};

FileEnhanceResult enhance_file(const TrainedModel& model, const std::filesystem::path& input,
                               const std::filesystem::path& output, const FileEnhanceOptions& options = {});

}  // namespace nnse::enhance
