#include "nnse/enhance/stream_factory.h"

#include <string>

#include "nnse/export/quantize.h"
#include "nnse/export/quantized_enhancer.h"
#include "nnse/util/error.h"

namespace nnse::enhance {

void check_runtime_settings(const EnhancerOptions& options, const RuntimeChoice& runtime) {
  if (!runtime.quantized) return;
  try {
    (void)deploy::floor_guard_q8(options.floor_guard);
  } catch (const Error& e) {
    throw Error("--floor-guard", std::string("with --quantized: ") + e.what());
  }
}

std::unique_ptr<dsp::StreamEnhancer> make_stream_enhancer(const nn::Model& model, const dsp::FrontendConfig& frontend,
                                                          const dsp::FeatureStats& stats,
                                                          const EnhancerOptions& options, const RuntimeChoice& runtime) {
  if (!runtime.quantized) return std::make_unique<Enhancer>(model, frontend, stats, options);
  check_runtime_settings(options, runtime);
  deploy::QuantizeOptions q;
  q.output_dc_pole = options.output_dc_pole;
  q.pass_gain = options.pass_gain;      // the tables' defaults, which the runtime then applies
  q.floor_guard = options.floor_guard;
  q.pitch_filter = options.pitch_filter;
  q.per_channel = runtime.per_channel;
  return std::make_unique<deploy::QuantizedEnhancer>(model, frontend, stats, options.atten_lim_db, q);
}

}  // namespace nnse::enhance
