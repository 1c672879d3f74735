#pragma once
// Context stacking (reference 1.9): the network input at frame t is the config.context_frames most recent
// (normalized) feature frames, oldest first, as one vector with index = tau * dim + band (tau = context - 1 is
// the current frame). Before the first frames of a stream the history holds a fill frame, normally the
// normalized log floor (log10(log_offset) - mean) * inv_std, i.e. what silence looks like.
#include <span>
#include <vector>

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/features.h"
#include "nnse/dsp/frontend_config.h"

namespace nnse::dsp {

// The history fill: the features of silence, normalized: (log10(log_offset) - mean) * inv_std per band (melflat:
// flatness 0), or raw without stats.
std::vector<float> context_fill_frame(const FrontendConfig& config, const FeatureStats* stats);

class ContextStacker {
 public:
  // fill.size() is the feature dimension.
  ContextStacker(int context_frames, std::vector<float> fill);
  // History filled with the normalized log floor of these stats.
  ContextStacker(const FrontendConfig& config, const FeatureStats& stats);
  // Unnormalized features: history filled with log10(log_offset).
  explicit ContextStacker(const FrontendConfig& config);

  int dim() const { return static_cast<int>(fill_.size()); }
  int context_frames() const { return context_; }
  int output_dim() const { return context_ * dim(); }
  // Back to the stream start: every history slot holds the fill frame.
  void reset();
  // Appends one frame (dim() values) and returns the stacked vector (output_dim() values, valid until the next
  // call), oldest frame first.
  std::span<const float> push(std::span<const float> frame);
  void push(std::span<const float> frame, std::span<float> stacked_out);
  std::span<const float> current() const { return buffer_; }

 private:
  int context_;
  std::vector<float> fill_;
  std::vector<float> buffer_;
};

// Block form, frame for frame equal to a fresh ContextStacker fed every row: [frames x context * dim].
FeatureMatrix stack_context(const FeatureMatrix& features, int context_frames, std::span<const float> fill);
FeatureMatrix stack_context(const FeatureMatrix& normalized, const FrontendConfig& config, const FeatureStats& stats);

}  // namespace nnse::dsp
