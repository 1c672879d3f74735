#pragma once
// The one place that picks the enhancer a command runs: the float enhance::Enhancer, or (quantized) the
// fixed-point runtime on the model converted in memory. `nnse enhance`, `nnse test` and `nnse eval` build theirs
// here, so the runtime's settings and what it cannot do are decided once.
#include <memory>

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/dsp/stream_enhancer.h"
#include "nnse/enhance/enhancer.h"
#include "nnse/nn/model.h"

namespace nnse::enhance {

struct RuntimeChoice {
  bool quantized = false;    // run the fixed-point runtime instead of the float enhancer
  bool per_channel = false;  // with quantized: one weight format per output row
};

// Throws nnse::Error for settings the fixed-point runtime cannot hold (a noise-floor guard beyond its Q8 range,
// 255.99). Does nothing for the float path.
void check_runtime_settings(const EnhancerOptions& options, const RuntimeChoice& runtime);

// The enhancer for `options` (all of them on the float path; attenuation limit, pass gain, noise-floor guard and
// output DC pole on the runtime, after check_runtime_settings). The model, config and stats must outlive it.
std::unique_ptr<dsp::StreamEnhancer> make_stream_enhancer(const nn::Model& model, const dsp::FrontendConfig& frontend,
                                                          const dsp::FeatureStats& stats,
                                                          const EnhancerOptions& options, const RuntimeChoice& runtime);

}  // namespace nnse::enhance
