#pragma once
// Post-training quantization of a trained model into the runtime's format (runtime/include/nnsp.h): int8 weights
// with power-of-two scales per tensor (the reference's scheme) or per output row, int32 biases in each row's
// accumulator format, the front end's tables and the normalization stats in fixed point. The result owns all
// its arrays; model() is the nnsp_model that points into them (valid while the QuantizedModel lives and is
// not moved-from). docs/fixed-point.md describes what the runtime does with each field.
#include <cstdint>
#include <vector>

#include "nnsp.h"  // runtime/include (C, with extern "C" guards)
#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/nn/model.h"

namespace nnse::deploy {

struct QuantizeOptions {
  bool per_channel = false;  // one weight format per output row instead of per tensor
  int input_q = 8;           // fraction bits of the normalized features (the reference's Q8)
  int linear_q = 11;         // fraction bits of a linear layer's int16 output (range +-16)
  double output_dc_pole = dsp::StreamingFrontend::kOutputDcPole;  // the synthesis path's DC blocker
};

// Fraction bits of an int8 tensor whose largest magnitude is max_abs: the most (up to max_q) that keep
// round(max_abs * 2^q) <= 127 (0 if max_abs is too large even for q = 0).
int weight_fraction_bits(double max_abs, int max_q);

class QuantizedModel {
 public:
  QuantizedModel() = default;
  QuantizedModel(const QuantizedModel&) = delete;
  QuantizedModel& operator=(const QuantizedModel&) = delete;
  QuantizedModel(QuantizedModel&&) = delete;
  QuantizedModel& operator=(QuantizedModel&&) = delete;

  const nnsp_model& model() const { return model_; }
  std::int64_t weight_bytes() const;  // int8 weights + int32 biases

  // Storage, one entry per layer (empty where a layer has no such tensor).
  struct Layer {
    std::vector<std::int8_t> w, r, q_w_rows, q_r_rows;
    std::vector<std::int32_t> bias, rbias;
  };
  std::vector<Layer> layers;
  std::vector<nnsp_layer> layer_table;
  std::vector<std::uint16_t> mel_first_bin, mel_count, mel_offset;
  std::vector<std::int16_t> mel_weights_q15;
  std::vector<std::int32_t> mean_q15, inv_std_q15;

 private:
  friend void quantize_into(const nn::Model&, const dsp::FrontendConfig&, const dsp::FeatureStats&,
                            const QuantizeOptions&, QuantizedModel&);
  nnsp_model model_{};
};

// Fills `out` (throws nnse::Error if the front end or the network cannot run on the runtime: another sample
// rate, window, hop or FFT size, an output other than 257 gains, ...).
void quantize_into(const nn::Model& model, const dsp::FrontendConfig& frontend, const dsp::FeatureStats& stats,
                   const QuantizeOptions& options, QuantizedModel& out);

}  // namespace nnse::deploy
