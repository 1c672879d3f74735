#include "nnse/dsp/context.h"

#include <algorithm>
#include <string>

#include "nnse/util/error.h"

namespace nnse::dsp {

std::vector<float> context_fill_frame(const FrontendConfig& config, const FeatureStats* stats) {
  std::vector<float> fill(static_cast<std::size_t>(config.feature_dim()), log_floor(config));
  // melflat: the flatness of silence is 0 (log10(offset) - log10(offset)), not the log floor.
  if (config.feature_type == FeatureType::melflat)
    std::fill(fill.begin() + config.mel_bands, fill.end(), 0.0f);
  if (stats) stats->normalize(fill);
  return fill;
}

ContextStacker::ContextStacker(int context_frames, std::vector<float> fill)
    : context_(context_frames), fill_(std::move(fill)) {
  if (context_ <= 0 || fill_.empty()) throw Error("ContextStacker: context and dimension must be positive");
  buffer_.resize(static_cast<std::size_t>(context_) * fill_.size());
  reset();
}

ContextStacker::ContextStacker(const FrontendConfig& config, const FeatureStats& stats)
    : ContextStacker(config.context_frames, context_fill_frame(config, &stats)) {}

ContextStacker::ContextStacker(const FrontendConfig& config)
    : ContextStacker(config.context_frames, context_fill_frame(config, nullptr)) {}

void ContextStacker::reset() {
  for (int tau = 0; tau < context_; ++tau) {
    std::copy(fill_.begin(), fill_.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(tau) * dim());
  }
}

std::span<const float> ContextStacker::push(std::span<const float> frame) {
  if (frame.size() != fill_.size()) {
    throw Error("ContextStacker: frame has " + std::to_string(frame.size()) + " values, expected " +
                std::to_string(fill_.size()));
  }
  const auto d = static_cast<std::ptrdiff_t>(fill_.size());
  std::copy(buffer_.begin() + d, buffer_.end(), buffer_.begin());
  std::copy(frame.begin(), frame.end(), buffer_.end() - d);
  return buffer_;
}

void ContextStacker::push(std::span<const float> frame, std::span<float> stacked_out) {
  if (stacked_out.size() != buffer_.size()) throw Error("ContextStacker: output must hold context * dim values");
  const auto stacked = push(frame);
  std::copy(stacked.begin(), stacked.end(), stacked_out.begin());
}

FeatureMatrix stack_context(const FeatureMatrix& features, int context_frames, std::span<const float> fill) {
  ContextStacker stacker(context_frames, std::vector<float>(fill.begin(), fill.end()));
  if (features.frames > 0 && features.dim != stacker.dim()) {
    throw Error("stack_context: features have dimension " + std::to_string(features.dim) + ", fill has " +
                std::to_string(stacker.dim()));
  }
  FeatureMatrix out(features.frames, stacker.output_dim());
  for (int t = 0; t < features.frames; ++t) stacker.push(features.row(t), out.row(t));
  return out;
}

FeatureMatrix stack_context(const FeatureMatrix& normalized, const FrontendConfig& config, const FeatureStats& stats) {
  const auto fill = context_fill_frame(config, &stats);
  return stack_context(normalized, config.context_frames, fill);
}

}  // namespace nnse::dsp
