#pragma once
// Post-training quantization of a trained model into the runtime's format (runtime/include/nnsp.h): int8 weights
// with power-of-two scales per tensor (the reference's scheme) or per output row, int16 biases with one
// power-of-two format per tensor, the model's recommended pass level, the front end's tables and the normalization stats in fixed point. The result owns all
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
  double pass_gain = 1.0;    // the model's recommended pass level, written into the tables (1 = none)
  double floor_guard = 0.0;  // the model's recommended noise-floor guard strength, written into the tables (0 = none)
  double pitch_filter = 0.0; // the model's recommended pitch filter strength, written into the tables (0 = none)
};

constexpr int kMaxWeightQ = 16;  // smallest representable max weight 127 / 2^16: far below any trained layer
constexpr int kHiddenQ = 15;     // tanh, sigmoid and recurrent outputs
constexpr int kRelu6Q = 12;      // 6.0 must fit int16

// The converter's rounding, shared with quantization-aware training (export/qat.h) so both give the same
// integers: fraction bits of an int8 tensor whose largest magnitude is max_abs: the most (up to max_q) that keep
// round(max_abs * 2^q) <= 127 (0 if max_abs is too large even for q = 0).
int weight_fraction_bits(double max_abs, int max_q);
// The same for an int16 bias tensor (limit 32767); max_q is the smallest accumulator format it is added to.
int bias_fraction_bits(double max_abs, int max_q);
// round(v * 2^q) (to nearest, ties to even), saturated to int8 / int16.
std::int8_t to_int8(double v, int q);
std::int16_t to_int16(double v, int q);
// Fraction bits of a layer's int16 output: Q15 for tanh, sigmoid, lstm and gru, Q12 for relu6,
// options.linear_q for linear.
int output_fraction_bits(nn::LayerType type, nn::Activation activation, const QuantizeOptions& options);
// A pass level in (0, 1] as the runtime's Q15 value in [1, 32768]; throws nnse::Error outside (0, 1].
std::int32_t pass_gain_q15(double pass_gain);
// A noise-floor guard strength in [0, 255.99] as the runtime's Q8 value; throws nnse::Error outside.
std::int32_t floor_guard_q8(double beta);
// A pitch filter strength in [0, 1] as the runtime's Q15 value in [0, 32768]; throws nnse::Error outside.
std::int32_t pitch_filter_q15(double strength);

class QuantizedModel {
 public:
  QuantizedModel() = default;
  QuantizedModel(const QuantizedModel&) = delete;
  QuantizedModel& operator=(const QuantizedModel&) = delete;
  QuantizedModel(QuantizedModel&&) = delete;
  QuantizedModel& operator=(QuantizedModel&&) = delete;

  const nnsp_model& model() const { return model_; }
  std::int64_t weight_bytes() const;  // int8 weights + int16 biases

  // Storage, one entry per layer (empty where a layer has no such tensor).
  struct Layer {
    std::vector<std::int8_t> w, r, q_w_rows, q_r_rows;
    std::vector<std::int16_t> bias, rbias;
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
