#include "nnse/export/quantized_enhancer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "nnse/util/error.h"

namespace nnse::deploy {

std::int32_t QuantizedEnhancer::atten_lim_q8(double atten_lim_db) {
  if (!(atten_lim_db >= 0.0)) {
    throw Error("attenuation limit must be a non-negative number of dB, got " + std::to_string(atten_lim_db));
  }
  if (std::isinf(atten_lim_db)) return -1;
  // Above 120 dB the floor is below one Q15 step anyway.
  return static_cast<std::int32_t>(std::nearbyint(std::min(atten_lim_db, 120.0) * 256.0));
}

QuantizedEnhancer::QuantizedEnhancer(const nn::Model& model, const dsp::FrontendConfig& frontend,
                                     const dsp::FeatureStats& stats, double atten_lim_db,
                                     const QuantizeOptions& quantize) {
  quantize_into(model, frontend, stats, quantize, quantized_);
  const std::uint32_t bytes = nnsp_arena_size(&quantized_.model());
  if (bytes == 0) throw Error("quantized model refused by the runtime");
  arena_.resize((bytes + 7) / 8);
  nnsp_params params = nnsp_default_params();
  params.atten_lim_db_q8 = atten_lim_q8(atten_lim_db);
  nnsp_status status = NNSP_OK;
  state_ = nnsp_init(&quantized_.model(), arena_.data(), bytes, &params, &status);
  if (!state_) throw Error("runtime refused the quantized model (status " + std::to_string(status) + ")");
  reset();
}

QuantizedEnhancer::~QuantizedEnhancer() = default;

void QuantizedEnhancer::reset() {
  nnsp_reset(state_);
  pending_.clear();
  to_drop_ = NNSP_DELAY;
  samples_in_ = samples_out_ = 0;
}

void QuantizedEnhancer::run_hop(std::vector<float>& out) {
  std::int16_t y[NNSP_HOP];
  nnsp_process_q15(state_, pending_.data(), y);
  pending_.clear();
  int first = 0;
  if (to_drop_ > 0) {
    first = static_cast<int>(std::min<std::int64_t>(to_drop_, NNSP_HOP));
    to_drop_ -= first;
  }
  const std::int64_t wanted = std::min<std::int64_t>(NNSP_HOP - first, samples_in_ - samples_out_);
  for (std::int64_t n = 0; n < wanted; ++n) out.push_back(static_cast<float>(y[first + n]) / 32768.0f);
  samples_out_ += wanted;
}

void QuantizedEnhancer::process(std::span<const float> input, std::vector<float>& out) {
  samples_in_ += static_cast<std::int64_t>(input.size());
  for (float v : input) {
    const float scaled = std::nearbyint(v * 32768.0f);
    pending_.push_back(static_cast<std::int16_t>(std::clamp(std::isnan(scaled) ? 0.0f : scaled, -32768.0f, 32767.0f)));
    if (pending_.size() == NNSP_HOP) run_hop(out);
  }
}

void QuantizedEnhancer::finish(std::vector<float>& out) {
  // Zeros complete the last hop and push the delayed tail out of the overlap-add.
  while (samples_out_ < samples_in_) {
    pending_.resize(NNSP_HOP, 0);
    run_hop(out);
  }
}

std::vector<float> enhance_signal_quantized(const nn::Model& model, const dsp::FrontendConfig& frontend,
                                            const dsp::FeatureStats& stats, std::span<const float> input,
                                            double atten_lim_db, const QuantizeOptions& quantize) {
  QuantizedEnhancer enhancer(model, frontend, stats, atten_lim_db, quantize);
  return dsp::enhance_whole(enhancer, input);
}

}  // namespace nnse::deploy
