#pragma once
// The runtime (runtime/, the very C code that runs on the device) behind the float enhancer's interface: audio in,
// audio out, any block size, output sample n belongs to input sample n and the output has the input's length.
// Samples are converted to Q15 (rounded, saturated) on the way in and back to float on the way out. This is what
// `--quantized` processing is: no second implementation of the integer arithmetic exists.
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/dsp/stream_enhancer.h"
#include "nnse/export/quantize.h"
#include "nnse/nn/model.h"

namespace nnse::deploy {

class QuantizedEnhancer final : public dsp::StreamEnhancer {
 public:
  // Quantizes the model and starts a stream. atten_lim_db: the gain floor in dB below unity (infinity = none),
  // as enhance::EnhancerOptions::atten_lim_db; the synthesis DC blocker's pole is quantize.output_dc_pole.
  // Throws nnse::Error if the model or the front end cannot run on the runtime, or for a negative limit.
  QuantizedEnhancer(const nn::Model& model, const dsp::FrontendConfig& frontend, const dsp::FeatureStats& stats,
                    double atten_lim_db = kNoLimit, const QuantizeOptions& quantize = {});
  ~QuantizedEnhancer() override;
  QuantizedEnhancer(const QuantizedEnhancer&) = delete;
  QuantizedEnhancer& operator=(const QuantizedEnhancer&) = delete;

  void reset() override;
  void process(std::span<const float> input, std::vector<float>& out) override;
  void finish(std::vector<float>& out) override;

  const QuantizedModel& quantized() const { return quantized_; }
  std::uint32_t arena_bytes() const { return static_cast<std::uint32_t>(arena_.size() * sizeof(std::uint64_t)); }

  static constexpr double kNoLimit = std::numeric_limits<double>::infinity();
  // The runtime's attenuation limit (dB in Q8, or -1 for none) for a limit in dB (throws for negative or NaN).
  static std::int32_t atten_lim_q8(double atten_lim_db);

 private:
  void run_hop(std::vector<float>& out);

  QuantizedModel quantized_;
  std::vector<std::uint64_t> arena_;
  nnsp_state* state_ = nullptr;
  std::vector<std::int16_t> pending_;
  std::int64_t to_drop_ = 0, samples_in_ = 0, samples_out_ = 0;
};

// Whole-signal convenience (tests, eval): output of the same length as the input.
std::vector<float> enhance_signal_quantized(const nn::Model& model, const dsp::FrontendConfig& frontend,
                                            const dsp::FeatureStats& stats, std::span<const float> input,
                                            double atten_lim_db = QuantizedEnhancer::kNoLimit,
                                            const QuantizeOptions& quantize = {});

}  // namespace nnse::deploy
