#include "nnse/dsp/frontend.h"

#include <algorithm>

#include <string>

#include "nnse/audio/audio_io.h"
#include "nnse/util/error.h"

namespace nnse::dsp {

StreamingFrontend::StreamingFrontend(const FrontendConfig& config, double output_dc_pole)
    : config_(config),
      dc_(config.dc_pole),
      output_dc_(output_dc_pole),
      output_dc_enabled_(output_dc_pole > 0.0),
      analyzer_(config),
      output_analyzer_(config),
      extractor_(config),
      scratch_(static_cast<std::size_t>(config.hop_length)),
      output_scratch_(static_cast<std::size_t>(config.hop_length)),
      feature_bins_(static_cast<std::size_t>(config.bins())) {
  if (!(output_dc_pole >= 0.0 && output_dc_pole < 1.0)) {
    throw Error("StreamingFrontend: output DC pole must be in [0, 1), got " + std::to_string(output_dc_pole));
  }
}

void StreamingFrontend::reset() {
  dc_.reset();
  output_dc_.reset();
  analyzer_.reset();
  output_analyzer_.reset();
}

void StreamingFrontend::process_hop(std::span<const float> hop, std::span<Complex> bins_out,
                                    std::span<float> features_out) {
  if (hop.size() != scratch_.size()) {
    throw Error("StreamingFrontend: expected " + std::to_string(scratch_.size()) + " samples, got " +
                std::to_string(hop.size()));
  }
  std::copy(hop.begin(), hop.end(), scratch_.begin());
  std::copy(hop.begin(), hop.end(), output_scratch_.begin());
  if (config_.dc_removal) dc_.process(scratch_);
  analyzer_.process_hop(scratch_, feature_bins_);
  extractor_.process_frame(feature_bins_, features_out);
  if (output_dc_enabled_) output_dc_.process(output_scratch_);
  output_analyzer_.process_hop(output_scratch_, bins_out);
}

FeatureMatrix file_features(const std::filesystem::path& file, const FrontendConfig& config, bool announce,
                            FeatureMatrix* log_power_out) {
  config.validate("features");
  audio::AudioReader reader(file, config.sample_rate, announce);
  // DC removal runs on the real samples only, then the last partial hop is zero-padded: the frames of
  // extract_features() on the whole signal.
  DcRemover dc(config.dc_pole);
  StftAnalyzer analyzer(config);
  FeatureExtractor extractor(config);
  const auto hop = static_cast<std::size_t>(config.hop_length);
  const int dim = config.feature_dim();
  const int bins = config.bins();
  const int expected_frames = stft_frame_count(static_cast<std::size_t>(std::max<std::int64_t>(0, reader.output_length())), config);
  FeatureMatrix features;
  features.dim = dim;
  features.values.reserve(static_cast<std::size_t>(expected_frames) * static_cast<std::size_t>(dim));
  if (log_power_out) {
    *log_power_out = FeatureMatrix();
    log_power_out->dim = bins;
    log_power_out->values.reserve(static_cast<std::size_t>(expected_frames) * static_cast<std::size_t>(bins));
  }
  std::vector<float> block(hop * 64);
  std::vector<Complex> spectrum(static_cast<std::size_t>(bins));
  std::vector<float> frame(static_cast<std::size_t>(dim));
  std::vector<float> power(static_cast<std::size_t>(bins));
  std::size_t filled = 0;
  bool done = false;
  while (!done) {
    const std::size_t got = reader.read(std::span<float>(block).subspan(filled));
    if (config.dc_removal) dc.process(std::span<float>(block).subspan(filled, got));
    filled += got;
    if (got == 0) {
      done = true;
      // Block mode pads the last partial hop with zeros.
      const std::size_t padded = (filled + hop - 1) / hop * hop;
      std::fill(block.begin() + static_cast<std::ptrdiff_t>(filled), block.begin() + static_cast<std::ptrdiff_t>(padded), 0.0f);
      filled = padded;
    } else if (filled < block.size()) {
      continue;
    }
    for (std::size_t start = 0; start + hop <= filled; start += hop) {
      analyzer.process_hop(std::span<const float>(block).subspan(start, hop), spectrum);
      extractor.process_frame(spectrum, frame);
      features.values.insert(features.values.end(), frame.begin(), frame.end());
      ++features.frames;
      if (log_power_out) {
        power_spectrum(spectrum, power);
        log_compress(power, config.log_offset);
        log_power_out->values.insert(log_power_out->values.end(), power.begin(), power.end());
        ++log_power_out->frames;
      }
    }
    filled = 0;
  }
  return features;
}

}  // namespace nnse::dsp
