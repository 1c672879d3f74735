#pragma once
// File-level enhancement: stream a file of any format / rate / channel count through the Enhancer in blocks
// (constant memory for any length), write a 16-bit WAV of the same length and alignment, and optionally a
// picture of what happened (noisy and enhanced spectrograms, the gain mask, both waveforms).
#include <filesystem>
#include <optional>

#include "nnse/enhance/enhancer.h"
#include "nnse/model/trained_model.h"

namespace nnse::enhance {

struct FileEnhanceOptions {
  std::optional<std::filesystem::path> picture;  // PNG to write
  double picture_seconds = 60.0;                 // the picture shows at most this much (long files stay bounded)
  bool announce = true;                          // say on stderr when the input is resampled / downmixed
  // Gain settings (attenuation limit, pass level, noise-floor guard); block and analysis sizes are enhance_file's own.
  EnhancerOptions gains;
  bool quantized = false;  // run the fixed-point runtime (deploy::QuantizedEnhancer) instead; no picture
};

struct FileEnhanceResult {
  std::int64_t samples = 0;
  double seconds = 0.0;
  std::int64_t clipped = 0;  // output samples clipped to 16 bits
};

FileEnhanceResult enhance_file(const model::TrainedModel& trained, const std::filesystem::path& input,
                               const std::filesystem::path& output, const FileEnhanceOptions& options = {});

}  // namespace nnse::enhance
